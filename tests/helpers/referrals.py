"""Helpers shared by the tests, moved from tests/test_referrals.py."""

import io
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from casustafel.extensions import db
from casustafel.models import AuditEvent, Partner, PrivacyCheck, Referral
from casustafel.privacy.decisions import decide_privacy_check
from casustafel.referrals import services
from tests.conftest import csrf_from, login
from tests.helpers.legal_grounds import RIEC_GROUND
from tests.helpers.powers import power_ids

DESCRIPTION = "Contante betalingen DESCRMARK bij de coffeeshop"  # the reporter's own words: never in a package


SUMMARY = "Samenvatting SUMMARYMARK: contante betalingen bij een horecazaak"  # the coordinator's, what goes


PERSON = ("Jan PERSONMARK Jansen", "1980-01-02")


PURPOSE = "Doel PURPOSEMARK voor het RIEC"


def client_for(app, user):
    client = app.test_client()
    assert login(client, user.email).status_code == 200
    return client


def post(client, url, data=None, from_url="/"):
    payload = {"csrf_token": csrf_from(client.get(from_url))}
    payload.update(data or {})
    return client.post(url, data=payload)


def events(action, object_id=None) -> list[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.action == action)
    if object_id is not None:
        stmt = stmt.where(AuditEvent.object_id == str(object_id))
    return list(db.session.scalars(stmt.order_by(AuditEvent.seq)))


def partner(name) -> Partner:
    return db.session.scalar(select(Partner).where(Partner.name == name))


def referral_form(**overrides) -> dict:
    data = {
        "partner_id": str(partner("RIEC").id), "purpose": PURPOSE, "legal_ground": RIEC_GROUND,
        "legal_ground_note": "", "data_categories": ["beschrijving", "betrokkenen", "adressen"],
        "channel": "riec_portaal", "feedback_due": (date.today() + timedelta(days=14)).isoformat(),
    }
    data.update(overrides)
    return data


def decide_2b(referral, fields, *, approved=True, officer=None):
    check = db.session.scalar(select(PrivacyCheck).where(PrivacyCheck.referral_id == referral.id))
    decide_privacy_check(officer, check, approved=approved, rationale="Afgewogen", allowed_fields=fields,
                         powers=power_ids() if approved else ())
    db.session.commit()
    return check


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(content)).pages)


def make_scene(make_user, make_signal):
    """A coordinator, a privacy officer and a referred signal with marked content."""
    coordinator = make_user("coordinator")
    officer = make_user("privacy_officer")
    reporter = make_user("reporter", name="Rita REPORTERMARK Melder")
    signal = make_signal(reporter, description=DESCRIPTION, summary=SUMMARY, person=PERSON,
                         address=("9876 ZX", "77"), status="doorgezet")
    return coordinator, officer, signal


@pytest.fixture
def scene(app, make_user, make_signal):
    return make_scene(make_user, make_signal)


def create(app, coordinator, signal, **overrides) -> Referral:
    client = client_for(app, coordinator)
    response = post(client, f"/verstrekkingen/nieuw/{signal.id}", referral_form(**overrides))
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.scalars(select(Referral).where(Referral.signal_id == signal.id)).one()


def sent_referral(app, scene, **overrides) -> Referral:
    coordinator, officer, signal = scene
    referral = create(app, coordinator, signal, **overrides)
    decide_2b(referral, ["beschrijving", "betrokkenen", "adressen"], officer=officer)
    services.send_referral(coordinator, referral, store=app.extensions["casustafel_store"],
                           keyring=app.extensions["casustafel_keyring"],
                           render=lambda r, c: b"%PDF-1.4 testpakket", today=date.today())
    db.session.commit()
    return referral
