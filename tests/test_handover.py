"""‘Doorgezet’ only through a sent handover (issue 17, model protocol weging 3 and 4 and the
casustafel's decisions): whatever the coordinator clicks, a signal reaches ‘doorgezet’ only when
a referral that hands the case over (to a partner, or to a department: an internal handover)
has passed check 2B and was sent, so the register of disclosures counts every case passed on.
"""

import re

import pytest
from sqlalchemy import select

from casustafel.extensions import db
from casustafel.models import Partner, Referral, Signal, SignalEvent
from casustafel.referrals import services
from casustafel.signals.weighing import record_assessment
from casustafel.signals.workflow import HANDED_OVER, NEEDS_HANDOVER, TransitionError, transition
from tests.conftest import csrf_from
from tests.helpers.meetings import published_scene
from tests.helpers.referrals import SUMMARY, client_for, decide_2b, events, post, referral_form

REGISTER = "/verstrekkingen/"


def _events(signal) -> list[tuple[str, str, str | None]]:
    rows = db.session.scalars(select(SignalEvent).where(SignalEvent.signal_id == signal.id)
                              .order_by(SignalEvent.occurred_at))
    return [(e.from_status, e.to_status, e.reason_code) for e in rows]


def _status(signal) -> str:
    db.session.expire_all()
    return db.session.get(Signal, signal.id).status


def _send(app, coordinator, officer, signal, **form) -> Referral:
    """Through the pages: the referral form, check 2B by the privacy officer, send."""
    client = client_for(app, coordinator)
    response = post(client, f"/verstrekkingen/nieuw/{signal.id}", referral_form(**form),
                    from_url=f"/verstrekkingen/nieuw/{signal.id}")
    assert response.status_code == 302, response.get_data(as_text=True)
    referral = db.session.scalars(select(Referral).where(Referral.signal_id == signal.id)
                                  .order_by(Referral.created_at.desc())).first()
    decide_2b(referral, ["beschrijving", "betrokkenen"], officer=officer)
    assert post(client, f"/verstrekkingen/{referral.id}/versturen", {"bevestigen": "ja"},
                from_url=f"/verstrekkingen/{referral.id}").status_code == 302
    db.session.refresh(referral)
    assert referral.status == "verstuurd"
    return referral


@pytest.mark.parametrize("status", ["weging", "bronnenonderzoek", "besproken"])
def test_the_status_form_offers_no_doorgezet_and_a_forged_one_is_refused(app, make_user, make_signal, status):
    coordinator = make_user("coordinator")
    signal = make_signal(None, summary=SUMMARY, status=status)
    client = client_for(app, coordinator)
    page = client.get(f"/meldingen/{signal.id}").get_data(as_text=True)
    assert 'name="status-to_status" value="doorgezet"' not in page
    response = client.post(f"/meldingen/{signal.id}/status", data={
        "csrf_token": csrf_from(client.get(f"/meldingen/{signal.id}")), "status-to_status": "doorgezet",
        "status-version": str(signal.version)})
    assert response.status_code == 200
    assert _status(signal) == status and _events(signal) == []
    assert events("signal.status_changed") == []


def _riec_regie(coordinator, signal):
    record_assessment(coordinator, signal, "weging", answers={"concreet": True, "recent": True, "trend": True},
                      outcome="riec_regie", rationale="Het RIEC neemt de regie.")


def test_no_service_reaches_doorgezet_without_a_sent_handover(app, make_user, make_signal):
    coordinator = make_user("coordinator")
    signal = make_signal(None, summary=SUMMARY, status="weging")
    other = make_signal(None, summary=SUMMARY, status="weging")
    _riec_regie(coordinator, signal)
    riec = db.session.scalar(select(Partner).where(Partner.name == "RIEC"))
    handover = services.create_referral(coordinator, signal, partner=riec, purpose="Overdracht",
                                        legal_ground="wgs_riec", legal_ground_note=None,
                                        data_categories=["beschrijving"], channel="riec_portaal", feedback_due=None,
                                        hands_over=True)
    sharing = services.create_referral(coordinator, signal, partner=riec, purpose="Alleen delen",
                                       legal_ground="wgs_riec", legal_ground_note=None,
                                       data_categories=["beschrijving"], channel="riec_portaal", feedback_due=None)
    sharing.status = "verstuurd"  # sent, but it shares information: the municipality keeps the case
    for attempt in (None, handover, sharing):  # nothing; a concept handover; a sent non-handover
        with pytest.raises(TransitionError) as refused:
            transition(coordinator, signal, HANDED_OVER, handover=attempt)
        assert str(refused.value) == NEEDS_HANDOVER
    handover.status = "verstuurd"
    with pytest.raises(TransitionError):  # another signal's handover does not count
        transition(coordinator, other, HANDED_OVER, handover=handover)
    transition(coordinator, signal, HANDED_OVER, handover=handover, reason_code="verstrekking")
    assert signal.status == HANDED_OVER


def test_weging_3_riec_regie_reaches_doorgezet_when_the_handover_is_sent(app, make_user, make_signal):
    coordinator, officer = make_user("coordinator"), make_user("privacy_officer")
    signal = make_signal(None, summary=SUMMARY, status="weging")
    client = client_for(app, coordinator)
    response = post(client, f"/meldingen/{signal.id}/weging/weging", {
        "weging-c_concreet": "ja", "weging-c_recent": "ja", "weging-c_trend": "ja", "weging-outcome": "riec_regie",
        "weging-rationale": "Georganiseerd: het RIEC neemt de regie."}, from_url=f"/meldingen/{signal.id}")
    assert response.headers["Location"].endswith("?overdracht=riec")
    form = client.get(response.headers["Location"]).get_data(as_text=True)
    riec = db.session.scalar(select(Partner).where(Partner.name == "RIEC"))
    assert re.search(rf'<option selected value="{riec.id}">RIEC</option>', form)  # the partner preselected
    assert _status(signal) == "weging"
    workspace = client.get(f"/meldingen/{signal.id}").get_data(as_text=True)
    assert f'href="/verstrekkingen/nieuw/{signal.id}?overdracht=riec">Overdracht vastleggen' in workspace

    referral = _send(app, coordinator, officer, signal, hands_over="y")
    assert referral.hands_over and _status(signal) == HANDED_OVER
    assert _events(signal)[-1] == ("weging", HANDED_OVER, "verstrekking")
    assert "Overdracht vastleggen" not in client.get(f"/meldingen/{signal.id}").get_data(as_text=True)
    page = client.get(REGISTER).get_data(as_text=True)
    assert signal.reference in page and "RIEC" in page


def test_a_referral_that_only_shares_leaves_the_status(app, make_user, make_signal):
    coordinator, officer = make_user("coordinator"), make_user("privacy_officer")
    signal = make_signal(None, summary=SUMMARY, status="bronnenonderzoek")
    referral = _send(app, coordinator, officer, signal)  # hands_over unticked
    assert not referral.hands_over and _status(signal) == "bronnenonderzoek"


@pytest.mark.parametrize("status", ["weging", "bronnenonderzoek", "besproken", "in_aanpak"])
def test_without_a_decision_to_hand_over_a_referral_only_shares(app, make_user, make_signal, status):
    coordinator, officer = make_user("coordinator"), make_user("privacy_officer")
    signal = make_signal(None, summary=SUMMARY, status=status, next_step=None)
    page = client_for(app, coordinator).get(f"/verstrekkingen/nieuw/{signal.id}?overdracht=riec")
    assert 'name="hands_over"' not in page.get_data(as_text=True)  # nothing was decided: no handover offered
    assert "Besloten:" not in page.get_data(as_text=True)
    referral = _send(app, coordinator, officer, signal, hands_over="y")  # a forged tick is ignored
    assert not referral.hands_over and _status(signal) == status
    riec = db.session.scalar(select(Partner).where(Partner.name == "RIEC"))
    with pytest.raises(services.ReferralError, match="volgt op een besluit"):
        services.create_referral(coordinator, signal, partner=riec, purpose="x", legal_ground="wgs_riec",
                                 legal_ground_note=None, data_categories=["beschrijving"], channel="brief",
                                 feedback_due=None, hands_over=True)


def test_a_handover_is_not_sent_while_the_signal_cannot_be_doorgezet(app, make_user, make_signal):
    """Decided, then a question to the reporter: the package waits, so it never goes twice."""
    coordinator, officer = make_user("coordinator"), make_user("privacy_officer")
    signal = make_signal(None, summary=SUMMARY, status="weging")
    _riec_regie(coordinator, signal)
    db.session.commit()
    client = client_for(app, coordinator)
    assert post(client, f"/verstrekkingen/nieuw/{signal.id}", referral_form(hands_over="y"),
                from_url=f"/verstrekkingen/nieuw/{signal.id}").status_code == 302
    referral = db.session.scalars(select(Referral).where(Referral.signal_id == signal.id)).one()
    assert referral.hands_over
    decide_2b(referral, ["beschrijving"], officer=officer)
    transition(coordinator, db.session.get(Signal, signal.id), "aanvulling_gevraagd")
    db.session.commit()
    response = post(client, f"/verstrekkingen/{referral.id}/versturen", {"bevestigen": "ja"},
                    from_url=f"/verstrekkingen/{referral.id}")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "kan de melding niet worden doorgezet" in page
    db.session.refresh(referral)
    assert referral.status == "concept" and referral.package_digest is None
    assert _status(signal) == "aanvulling_gevraagd"


@pytest.mark.parametrize(("decision", "handover", "partner"), [
    ("riec", "riec", "RIEC"), ("politie", "politie", "Politie"),
    ("zorg_en_veiligheidshuis", "zvh", "Zorg- en Veiligheidshuis"), ("intern_doorzetten", "intern", None),
])
def test_a_meeting_decision_to_hand_over_waits_for_its_referral(app, make_user, make_signal, decision, handover,
                                                                 partner):
    scene = published_scene(make_user, make_signal, summary=SUMMARY)
    officer = make_user("privacy_officer")
    client = client_for(app, scene.coordinator)
    page = f"/overleggen/{scene.meeting.id}/agendapunten/{scene.item.id}"
    response = post(client, f"{page}/besluit", {"decision-decision": decision, "bevestigen": "ja",
                                                "decision-rationale": "Besproken; overdragen."}, page)
    assert response.status_code == 302 and _status(scene.signal) == "besproken"
    item_page = client.get(page).get_data(as_text=True)
    link = f"/verstrekkingen/nieuw/{scene.signal.id}?overdracht={handover}"
    assert link in item_page and "Overdracht vastleggen" in item_page

    form = client.get(link).get_data(as_text=True)
    if partner:
        chosen = db.session.scalar(select(Partner).where(Partner.name == partner))
        assert f'<option selected value="{chosen.id}">' in form
        target = chosen
    else:  # an internal handover: to a department listed as an internal partner
        assert '<option selected value="">' in form.split('name="partner_id"')[1].split("</select>")[0]
        target = Partner(name="Afdeling Vergunningen", internal=True, position=99)
        db.session.add(target)
        db.session.commit()
    _send(app, scene.coordinator, officer, scene.signal, partner_id=str(target.id), hands_over="y")
    assert _status(scene.signal) == HANDED_OVER
    assert "Overdracht vastleggen" not in client.get(page).get_data(as_text=True)


def test_a_handover_goes_where_the_decision_said(app, make_user, make_signal):
    """An internal handover (a department takes the regie) to an internal partner; one to the
    RIEC not to a department."""
    coordinator = make_user("coordinator")
    riec = db.session.scalar(select(Partner).where(Partner.name == "RIEC"))
    department = Partner(name="Afdeling Handhaving", internal=True, position=99)
    db.session.add(department)
    signal = make_signal(None, summary=SUMMARY, status="weging")
    _riec_regie(coordinator, signal)
    kept = {"purpose": "Overdracht", "legal_ground": "wgs_riec", "legal_ground_note": None,
            "data_categories": ["beschrijving"], "channel": "brief", "feedback_due": None, "hands_over": True}
    with pytest.raises(services.ReferralError, match="buiten de gemeente"):
        services.create_referral(coordinator, signal, partner=department, **kept)
    assert services.create_referral(coordinator, signal, partner=riec, **kept).hands_over

    internal = make_signal(None, summary=SUMMARY, status="weging")
    record_assessment(coordinator, internal, "weging", answers={"concreet": True, "recent": True, "trend": True},
                      outcome="afdeling_regie", rationale="Handhaving neemt de regie.")
    with pytest.raises(services.ReferralError, match="afdeling van de gemeente"):
        services.create_referral(coordinator, internal, partner=riec, **kept)
    assert services.create_referral(coordinator, internal, partner=department, **kept).hands_over
