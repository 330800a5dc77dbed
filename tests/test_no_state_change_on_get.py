"""Nothing changes state on GET: every page, PDF and export each role can reach, and every GET
route of the app, leaves the database byte for byte as it was, apart from the access log and
session activity."""

import hashlib
from datetime import timedelta

from sqlalchemy import select

from casustafel.breakglass.services import grant_access
from casustafel.dates import utcnow
from casustafel.demo import DEMO_PASSWORD
from casustafel.extensions import db
from casustafel.models import ActivationToken, Partner, Signal
from casustafel.privacy.decisions import decide_privacy_check
from casustafel.referrals.services import create_referral, privacy_check
from casustafel.retention.destruction import run_retention
from tests.conftest import login
from tests.crawler import ACCOUNTS, Crawler
from tests.helpers.powers import power_ids

# What a read may write: its own access-log event (and the chain head), the session's activity,
# and the anomaly counters (a cache derived from the log, brought up to date when read).
MAY_CHANGE = {"audit_event", "audit_head", "user_session", "audit_anomaly_count", "audit_anomaly_state"}
# Pages outside the crawl: before login, between password and code, confirming the password.
# The organisation's logo (an image, which the crawler does not follow) and theme stylesheet
# (the demo keeps the default theme, so no page links to it).
EXTRA = ["/inloggen", "/inloggen/code", "/inloggen/bevestigen", "/healthz",
         "/huisstijl/logo.png", "/huisstijl/thema.css"]


def snapshot() -> dict[str, list[tuple]]:
    db.session.expire_all()
    tables = {}
    for table in db.metadata.sorted_tables:
        if table.name in MAY_CHANGE:
            continue
        order = list(table.primary_key.columns) or list(table.columns)
        tables[table.name] = [tuple(row) for row in db.session.execute(select(table).order_by(*order))]
    db.session.rollback()
    return tables


def test_no_get_anywhere_changes_the_database(app, complete_world):
    users, hostile = complete_world
    officer, member = users["privacy@casustafel.test"], users["deelnemer@casustafel.test"]
    run_retention(officer, utcnow(), dry_run=False, origin="test")  # so its statement PDF exists
    first = db.session.scalars(select(Signal).order_by(Signal.reference)).first()
    grant_access(member, "member", first, "Spoed: controle vanavond, geen regisseur bereikbaar.", 60, utcnow())
    db.session.add(ActivationToken(user_id=member.id, token_hash=hashlib.sha256(b"een-geldige-link").hexdigest(),
                                   purpose="reset", expires_at=utcnow() + timedelta(hours=72)))
    db.session.commit()
    clients = {}
    for email in ACCOUNTS:  # logging in is a POST: before the snapshot
        clients[email] = app.test_client()
        assert login(clients[email], email, password=DEMO_PASSWORD).status_code == 200
    own = db.session.scalar(select(Signal.id).where(Signal.reporter_id == users["melder@casustafel.test"].id))
    # A referral ready to send (check 2B approved): its confirmation page is a GET, and sends nothing.
    officer_decides = users["privacy@casustafel.test"]
    ready = create_referral(users["voorzitter@casustafel.test"], hostile, partner=db.session.get(Partner, 1),
                            purpose="Doel", legal_ground="wgs_riec", legal_ground_note=None,
                            data_categories=["fenomeen"], channel="brief", feedback_due=None)
    decide_privacy_check(officer_decides, privacy_check(ready), approved=True, rationale="Nodig",
                         allowed_fields=["fenomeen"], powers=power_ids())
    db.session.commit()
    extra = {"melder@casustafel.test": [f"/mijn-meldingen/{own}/bevestiging"],
             "voorzitter@casustafel.test": [f"/verstrekkingen/{ready.id}/versturen"]}
    before = snapshot()

    reached = set()
    anonymous = Crawler(app.test_client(), "anoniem")
    # The single sign-on callback (404 while SSO is not configured; with SSO see tests/test_oidc.py).
    for url in [*EXTRA, "/activeren/een-geldige-link", "/activeren/onbekende-link",
                "/inloggen/gemeenteaccount/terug?code=vervalst&state=vervalst"]:
        anonymous.crawl(url)
    for email, client in clients.items():
        crawler = Crawler(client, email, password=DEMO_PASSWORD)
        for start in ["/", *EXTRA, *extra.get(email, [])]:
            crawler.crawl(start)
        assert not crawler.failures(), crawler.failures()
        reached |= {v.url for v in crawler.visits}
    after = snapshot()

    changed = {name: (len(before[name]), len(after[name])) for name in before if before[name] != after[name]}
    assert changed == {}
    adapter = app.url_map.bind("localhost")
    reached |= {v.url for v in anonymous.visits}
    endpoints = {adapter.match(url.split("?")[0], method="GET")[0] for url in reached | set(EXTRA)}
    every_get = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    assert every_get - endpoints == {"static"}  # every GET route was tried
