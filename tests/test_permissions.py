"""The role × endpoint table: one row per endpoint of the app, in this one file.

Adding a route without a row here makes test_every_endpoint_is_in_the_table fail.
"""

import re
import uuid
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from casustafel.actions.services import create_action
from casustafel.audit_log import record
from casustafel.bibob.services import BibobInput, record_bibob
from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models import (
    AgendaItem,
    AuditEvent,
    BreakGlass,
    InviteeGroup,
    MailConcept,
    Meeting,
    Partner,
    RetentionRun,
    SavedFilter,
)
from casustafel.permissions import ANY_ROLE_ENDPOINTS, PUBLIC_ENDPOINTS
from casustafel.privacy.services import request_privacy_check
from casustafel.referrals import received_services as received
from casustafel.referrals.services import create_referral
from casustafel.subject_requests import services as subject_requests
from casustafel.web import CSP
from tests.conftest import ROLES, csrf_from, login

ANON = "anonymous"
ALL = (ANON, *ROLES)


def only(allowed_status, *roles, anon=302, other=403):
    """Expected statuses: `allowed_status` for `roles`, `other` for other roles, `anon` for no login."""
    return {ANON: anon, **{r: (allowed_status if r in roles else other) for r in ROLES}}


def everyone(status, anon=302):
    return {ANON: anon, **{r: status for r in ROLES}}


# endpoint: (method, url template, expected status per role). {user} is another user's id,
# {signal} a signal reported by that other user, {attachment} an attachment of it: a
# foreign object answers 404 to a role that may use the endpoint for its own objects.
TABLE = {
    "static": ("GET", "/static/css/app.css", {r: 200 for r in ALL}),
    "healthz": ("GET", "/healthz", {r: 200 for r in ALL}),
    # Public like the stylesheets (the login page shows them); 404 while none is set.
    "main.logo": ("GET", "/huisstijl/logo.png", {r: 404 for r in ALL}),
    "main.theme_css": ("GET", "/huisstijl/thema.css", {r: 404 for r in ALL}),
    "auth.login": ("GET", "/inloggen", {ANON: 200, **{r: 302 for r in ROLES}}),
    "auth.second_factor": ("GET", "/inloggen/code", {r: 302 for r in ALL}),
    "auth.enrol_totp": ("GET", "/inloggen/koppelen", {ANON: 302, **{r: 200 for r in ROLES}}),
    "auth.logout": ("POST", "/uitloggen", everyone(302)),
    "auth.account": ("GET", "/account", everyone(200)),
    "auth.change_password": ("GET", "/account/wachtwoord", everyone(200)),
    "auth.reauthenticate": ("GET", "/inloggen/bevestigen", everyone(200)),
    # Single sign-on: public (the provider decides who logs in), 404 while not configured; the
    # configured flow is tests/test_oidc.py.
    "auth.sso_start": ("POST", "/inloggen/gemeenteaccount", {r: 404 for r in ALL}),
    "auth.sso_callback": ("GET", "/inloggen/gemeenteaccount/terug?code=x&state=y", {r: 404 for r in ALL}),
    "main.home": ("GET", "/", everyone(200)),
    "audit.log": ("GET", "/logboek/", only(200, "privacy_officer")),
    "admin.users": ("GET", "/beheer/gebruikers", only(200, "admin")),
    "admin.user_new": ("GET", "/beheer/gebruikers/nieuw", only(200, "admin")),
    "admin.users_bulk": ("GET", "/beheer/gebruikers/uitnodigen", only(200, "admin")),
    # Without a checked file (content + seal) the confirmation sends the admin back to the upload.
    "admin.users_bulk_confirm": ("POST", "/beheer/gebruikers/uitnodigen/bevestigen", only(302, "admin")),
    "admin.user_edit": ("GET", "/beheer/gebruikers/{user}", only(200, "admin")),
    "admin.user_deactivate": ("POST", "/beheer/gebruikers/{user}/deactiveren", only(302, "admin")),
    "admin.user_activate": ("POST", "/beheer/gebruikers/{user}/activeren", only(302, "admin")),
    "admin.user_reset_totp": (
        "POST", "/beheer/gebruikers/{user}/tweede-factor-herstellen", only(302, "admin")
    ),
    "admin.user_reset_password": (
        "POST", "/beheer/gebruikers/{user}/wachtwoord-herstellen", only(302, "admin")
    ),
    "admin.user_block_sso": ("POST", "/beheer/gebruikers/{user}/sso-blokkeren", only(302, "admin")),
    "admin.user_unblock_sso": ("POST", "/beheer/gebruikers/{user}/sso-deblokkeren", only(302, "admin")),
    "admin.user_allow_sso_link": ("POST", "/beheer/gebruikers/{user}/sso-koppeling-toestaan", only(302, "admin")),
    "admin.departments": ("GET", "/beheer/afdelingen", only(200, "admin")),
    # Four eyes: the admins and the privacy officer see open requests; an unknown one is 404.
    "admin.role_requests": ("GET", "/beheer/goedkeuringen", only(200, "admin", "privacy_officer")),
    "admin.role_request_decide": (
        "POST", "/beheer/goedkeuringen/00000000-0000-4000-8000-000000000000", only(404, "admin", "privacy_officer")
    ),
    "auth.activate": ("GET", "/activeren/onbekende-link", {r: 404 for r in ALL}),
    "admin.catalogue": ("GET", "/beheer/lijsten", only(200, "admin")),
    "admin.catalogue_toggle": ("POST", "/beheer/lijsten/indicator/1/wisselen", only(302, "admin")),
    "admin.registers": ("GET", "/beheer/lijsten/bronnen", only(200, "admin")),
    "admin.register_edit": ("GET", "/beheer/lijsten/bronnen/1", only(200, "admin")),
    "admin.register_toggle": ("POST", "/beheer/lijsten/bronnen/1/in-gebruik", only(302, "admin")),
    "signals.new": ("GET", "/meldpunt", only(200, "reporter", "coordinator")),
    "signals.confirmation": (
        "GET", "/mijn-meldingen/{signal}/bevestiging", only(404, "reporter", "coordinator")
    ),
    "signals.mine": ("GET", "/mijn-meldingen", only(200, "reporter", "coordinator")),
    "signals.mine_detail": ("GET", "/mijn-meldingen/{signal}", only(404, "reporter", "coordinator")),
    "signals.register": ("GET", "/meldingen/registreren", only(200, "coordinator")),
    # Without a file: the registration page with a message next to the file field.
    "signals.register_from_mail": ("POST", "/meldingen/registreren/e-mail", only(200, "coordinator")),
    "signals.inbox": ("GET", "/meldingen", only(200, "coordinator")),
    # The search is a POST (nothing typed goes into a URL); with nothing filled in it answers
    # the page with its message.
    "signals.search": ("POST", "/meldingen/zoeken", only(200, "coordinator")),
    "signals.detail": ("GET", "/meldingen/{signal}", only(200, "coordinator")),
    "signals.download": ("GET", "/meldingen/{signal}/bijlagen/{attachment}", only(200, "coordinator")),
    "signals.change_status": ("POST", "/meldingen/{signal}/status", only(200, "coordinator")),
    "signals.legal_hold": ("POST", "/meldingen/{signal}/legal-hold", only(200, "coordinator")),
    "signals.ask": ("POST", "/meldingen/{signal}/vraag", only(200, "coordinator")),
    "signals.feedback": ("POST", "/meldingen/{signal}/terugkoppeling", only(200, "coordinator")),
    "signals.summary": ("POST", "/meldingen/{signal}/samenvatting", only(200, "coordinator")),
    # Assignment and notes: an empty post comes back with its messages (200), nothing saved.
    "signals.owner": ("POST", "/meldingen/{signal}/regisseur", only(200, "coordinator")),
    "signals.add_note": ("POST", "/meldingen/{signal}/notities", only(200, "coordinator")),
    "signals.transfer": ("GET", "/meldingen/overdragen", only(200, "coordinator")),
    # Saved inbox filters: a post without a name shows the inbox with the message (200);
    # {saved_filter} is another user's filter, so 404 even for a coordinator.
    "signals.save_filter": ("POST", "/meldingen/filters", only(200, "coordinator")),
    "signals.delete_filter": ("POST", "/meldingen/filters/{saved_filter}/verwijderen", only(404, "coordinator")),
    "signals.mail_concepts": ("GET", "/meldingen/e-mail", only(200, "coordinator")),
    "signals.register_from_concept": ("GET", "/meldingen/e-mail/{mail_concept}/registreren", only(302, "coordinator")),
    "signals.discard_mail_concept": ("POST", "/meldingen/e-mail/{mail_concept}/verwijderen", only(302, "coordinator")),
    "signals.assessment": ("POST", "/meldingen/{signal}/weging/intake", only(200, "coordinator")),
    "signals.privacy_check_request": ("POST", "/meldingen/{signal}/privacytoets", only(302, "coordinator")),
    "signals.source_query": ("POST", "/meldingen/{signal}/bronnen", only(302, "coordinator")),
    # Step 4: {signal} is not in aanpak, so the coordinator is sent back to the workspace.
    "signals.case_plan": ("POST", "/meldingen/{signal}/plan-van-aanpak", only(302, "coordinator")),
    # The Bibob track (art. 28 Wet Bibob) and the zaaknummer links: the coordinator only; an
    # empty form comes back with its messages (200), nothing saved.
    "bibob.page": ("GET", "/meldingen/{signal}/bibob", only(200, "coordinator")),
    "bibob.create": ("POST", "/meldingen/{signal}/bibob", only(200, "coordinator")),
    "bibob.edit": ("GET", "/meldingen/{signal}/bibob/{bibob}", only(200, "coordinator")),
    "bibob.update": ("POST", "/meldingen/{signal}/bibob/{bibob}", only(200, "coordinator")),
    "signals.add_case_system_link": ("POST", "/meldingen/{signal}/zaaksysteem", only(200, "coordinator")),
    "signals.extend_monitoring_period": ("POST", "/meldingen/{signal}/monitoring/verlengen",
                                         only(302, "coordinator")),
    "privacy.checks": ("GET", "/privacy/", only(200, "privacy_officer")),
    "privacy.check": (
        "GET", "/privacy/toetsen/{privacy_check}", {**only(200, "privacy_officer"), "coordinator": 404}
    ),
    # Reopening: only a decision the coordinator recorded; {privacy_check} is an open check, so 404.
    "privacy.reopen": ("POST", "/privacy/toetsen/{privacy_check}/heropenen", only(404, "privacy_officer")),
    # The register of processing activities and the DPIA annex: the privacy officer (FG) only.
    "privacy.activities": ("GET", "/privacy/verwerkingen", only(200, "privacy_officer")),
    "privacy.activity": ("GET", "/privacy/verwerkingen/1", only(200, "privacy_officer")),
    "privacy.art30_csv": ("GET", "/privacy/verwerkingen/register.csv", only(200, "privacy_officer")),
    "privacy.art30_pdf": ("GET", "/privacy/verwerkingen/register.pdf", only(200, "privacy_officer")),
    "privacy.dpia_pdf": ("GET", "/privacy/verwerkingen/dpia-bijlage.pdf", only(200, "privacy_officer")),
    "admin.settings": ("GET", "/beheer/instellingen", only(200, "admin")),
    "admin.organisation_profile": ("GET", "/beheer/instellingen/huisstijl", only(200, "admin")),
    "meetings.index": ("GET", "/overleggen/", only(200, "coordinator")),
    "meetings.new": ("GET", "/overleggen/nieuw", only(200, "coordinator")),
    "meetings.detail": ("GET", "/overleggen/{meeting}", only(200, "coordinator")),
    "meetings.edit": ("GET", "/overleggen/{meeting}/wijzigen", only(200, "coordinator")),
    "meetings.invite": ("POST", "/overleggen/{meeting}/deelnemers", only(200, "coordinator")),
    "meetings.uninvite": (
        "POST", "/overleggen/{meeting}/deelnemers/{user}/verwijderen", only(404, "coordinator")
    ),
    "meetings.publish": ("POST", "/overleggen/{meeting}/publiceren", only(302, "coordinator")),
    # Closing: GET shows the confirmation page; {meeting} is a concept, so back to the meeting.
    "meetings.close": ("GET", "/overleggen/{meeting}/sluiten", only(302, "coordinator")),
    # The chair's screen: the start goes to the first undecided item; an empty post comes back
    # with its messages (200), nothing saved. Presence needs a published meeting: back (302).
    "meetings.chair": ("GET", "/overleggen/{meeting}/voorzitten", only(302, "coordinator")),
    "meetings.chair_item": ("GET", "/overleggen/{meeting}/voorzitten/{item}", only(200, "coordinator")),
    "meetings.chair_notes": (
        "POST", "/overleggen/{meeting}/voorzitten/{item}/aantekeningen", only(200, "coordinator")
    ),
    "meetings.chair_decision": ("POST", "/overleggen/{meeting}/voorzitten/{item}/besluit", only(200, "coordinator")),
    "meetings.chair_action": ("POST", "/overleggen/{meeting}/voorzitten/{item}/acties", only(200, "coordinator")),
    "meetings.presence": ("GET", "/overleggen/{meeting}/aanwezigheid", only(302, "coordinator")),
    "meetings.add_item": ("POST", "/overleggen/{meeting}/agendapunten", only(200, "coordinator")),
    "meetings.item": ("GET", "/overleggen/{meeting}/agendapunten/{item}", only(200, "coordinator")),
    "meetings.item_notes": (
        "POST", "/overleggen/{meeting}/agendapunten/{item}/aantekeningen", only(200, "coordinator")
    ),
    "meetings.item_decision": (
        "POST", "/overleggen/{meeting}/agendapunten/{item}/besluit", only(200, "coordinator")
    ),
    "meetings.item_action": ("POST", "/overleggen/{meeting}/agendapunten/{item}/acties", only(200, "coordinator")),
    "meetings.mine": ("GET", "/overleggen/mijn", only(200, "member")),
    # Preparing a meeting: the coordinator only. An empty post comes back with its message (200);
    # {group} is a standing group without members, so removing the target from it is 404.
    "meetings.groups": ("GET", "/overleggen/groepen", only(200, "coordinator")),
    "meetings.group_new": ("POST", "/overleggen/groepen", only(200, "coordinator")),
    "meetings.group": ("GET", "/overleggen/groepen/{group}", only(200, "coordinator")),
    "meetings.group_rename": ("POST", "/overleggen/groepen/{group}/naam", only(200, "coordinator")),
    "meetings.group_delete": ("POST", "/overleggen/groepen/{group}/verwijderen", only(302, "coordinator")),
    "meetings.group_add_member": ("POST", "/overleggen/groepen/{group}/leden", only(200, "coordinator")),
    "meetings.group_remove_member": ("POST", "/overleggen/groepen/{group}/leden/{user}/verwijderen",
                                     only(404, "coordinator")),
    "meetings.invite_group": ("POST", "/overleggen/{meeting}/deelnemers/groep", only(200, "coordinator")),
    "meetings.copy_invitees": ("POST", "/overleggen/{meeting}/deelnemers/vorig-overleg", only(302, "coordinator")),
    "meetings.move_item": ("POST", "/overleggen/{meeting}/agendapunten/{item}/verplaatsen", only(302, "coordinator")),
    # GET is the confirmation page; the POST takes the item off.
    "meetings.remove_item": ("GET", "/overleggen/{meeting}/agendapunten/{item}/van-de-agenda",
                             only(200, "coordinator")),
    # Not invited (members) or unpublished: 404 even for a member.
    "meetings.agenda": ("GET", "/overleggen/{meeting}/agenda", only(404, "member")),
    "meetings.agenda_pdf": (
        "GET", "/overleggen/{meeting}/agenda.pdf", {**only(404, "member", "coordinator"), "coordinator": 200}
    ),
    "meetings.minutes_pdf": ("GET", "/overleggen/{meeting}/verslag.pdf", only(200, "coordinator")),
    # The calendar invitation: {meeting} is not published, so 404 even for the coordinator.
    "meetings.calendar_ics": ("GET", "/overleggen/{meeting}/agenda.ics", only(404, "member", "coordinator")),
    # Calling a meeting off: the confirmation page (the POST does it).
    "meetings.cancel": ("GET", "/overleggen/{meeting}/afzeggen", only(200, "coordinator")),
    # The weighing record: the coordinator and the privacy officer (supervision), page and PDF.
    "signals.weighing_record_page": ("GET", "/meldingen/{signal}/wegingsverslag",
                                     only(200, "coordinator", "privacy_officer")),
    "signals.weighing_record_pdf": ("GET", "/meldingen/{signal}/wegingsverslag.pdf",
                                    only(200, "coordinator", "privacy_officer")),
    # The case summary: the coordinator only (it holds the internal notes), fresh login.
    "signals.case_summary_pdf": ("GET", "/meldingen/{signal}/zaakoverzicht.pdf", only(200, "coordinator")),
    "referrals.register": ("GET", "/verstrekkingen/", only(200, "coordinator")),
    "referrals.export": ("GET", "/verstrekkingen/export.csv", only(200, "coordinator")),
    "referrals.new": ("GET", "/verstrekkingen/nieuw/{signal}", only(200, "coordinator")),
    "referrals.received_new": ("GET", "/verstrekkingen/ontvangen-informatie/{signal}", only(200, "coordinator")),
    "referrals.exception_new": ("GET", "/verstrekkingen/ontvangen-informatie/{received}/uitzondering",
                                only(200, "coordinator")),
    "referrals.exceptions": ("GET", "/verstrekkingen/uitzonderingen", only(200, "privacy_officer")),
    # {received_exception} was asked by nobody in particular, so every privacy officer may decide it.
    "referrals.exception": ("GET", "/verstrekkingen/uitzonderingen/{received_exception}",
                            only(200, "privacy_officer")),
    "referrals.detail": ("GET", "/verstrekkingen/{referral}", only(200, "coordinator")),
    # GET shows the confirmation page (here: not yet possible, check 2B is open); only its button sends.
    "referrals.send": ("GET", "/verstrekkingen/{referral}/versturen", only(200, "coordinator")),
    # A concept referral has no package yet; a progress update on a concept shows a message.
    "referrals.package": ("GET", "/verstrekkingen/{referral}/pakket.pdf", only(404, "coordinator")),
    "referrals.progress": ("POST", "/verstrekkingen/{referral}/voortgang", only(200, "coordinator")),
    "admin.partners": ("GET", "/beheer/verstrekkingspartners", only(200, "admin")),
    "admin.partner_toggle": ("POST", "/beheer/verstrekkingspartners/1/in-gebruik", only(302, "admin")),
    "admin.partner_internal": ("POST", "/beheer/verstrekkingspartners/1/intern", only(302, "admin")),
    "admin.powers": ("GET", "/beheer/bevoegdheden", only(200, "admin")),
    "admin.power_toggle": ("POST", "/beheer/bevoegdheden/1/in-gebruik", only(302, "admin")),
    "admin.legal_grounds": ("GET", "/beheer/grondslagen", only(200, "admin")),
    "admin.legal_ground_toggle": ("POST", "/beheer/grondslagen/1/in-gebruik", only(302, "admin")),
    "admin.criteria": ("GET", "/beheer/wegingscriteria", only(200, "admin")),
    "admin.criterion_toggle": ("POST", "/beheer/wegingscriteria/1/wisselen", only(302, "admin")),
    "reports.index": ("GET", "/cijfers/", only(200, "coordinator")),
    "reports.export": ("GET", "/cijfers/export.csv", only(200, "coordinator")),
    "reports.yearly_pdf": ("GET", "/cijfers/jaaroverzicht-2025.pdf", only(200, "coordinator")),
    "actions.mine": ("GET", "/acties/mijn", only(200, "member", "coordinator")),
    "actions.index": ("GET", "/acties/", only(200, "coordinator")),
    "actions.detail": ("GET", "/acties/{action}", {**only(404, "member"), "coordinator": 200}),
    "actions.new": ("GET", "/acties/nieuw/{signal}", only(200, "coordinator")),
    # The privacy officer's log tools ("audit.log" is above). {signal_reference} is the row
    # signal's reference; {anomaly_key} a break-glass anomaly of the target.
    "audit.checkpoint": ("POST", "/logboek/controlepunt", only(302, "privacy_officer")),
    "audit.export": ("GET", "/logboek/export.csv", only(200, "privacy_officer")),
    "audit.signal_timeline": ("GET", "/logboek/melding/{signal_reference}", only(200, "privacy_officer")),
    "audit.user_timeline": ("GET", "/logboek/gebruiker/{user}", only(200, "privacy_officer")),
    "audit.subject_lookup": ("GET", "/logboek/betrokkene", only(200, "privacy_officer")),
    "audit.anomaly_list": ("GET", "/logboek/afwijkingen", only(200, "privacy_officer")),
    # A sign-off without outcome and comment shows the form again with its errors.
    "audit.anomaly": ("POST", "/logboek/afwijkingen/{anomaly_key}", only(200, "privacy_officer")),
    # Every role may ask for break-glass access (a POST with only a CSRF token re-shows the
    # form). {grant} is a running grant of ANOTHER user on the target's signal: 404 to all.
    "breakglass.request_access": ("GET", "/noodtoegang/", everyone(200)),
    "breakglass.grant": ("GET", "/noodtoegang/{grant}", everyone(404)),
    "breakglass.end": ("POST", "/noodtoegang/{grant}/beeindigen", everyone(404)),
    # Retention: the privacy officer runs it, the admin sets the terms. {run} is a finished run.
    "retention.index": ("GET", "/bewaren/", only(200, "privacy_officer")),
    "retention.dry_run": ("POST", "/bewaren/proefrun", only(302, "privacy_officer")),
    "retention.run": ("GET", "/bewaren/runs/{run}", only(200, "privacy_officer")),
    "retention.statement": ("GET", "/bewaren/runs/{run}/verklaring.pdf", only(200, "privacy_officer")),
    "retention.terms": ("GET", "/beheer/bewaartermijnen", only(200, "admin")),
    "retention.records_export": ("GET", "/bewaren/vernietigingsregistratie.csv", only(200, "privacy_officer")),
    # Signals open too long: the coordinator closes them or records why they stay open.
    "retention.long_open": ("GET", "/bewaren/lang-open", only(200, "coordinator")),
    "retention.justify_open": ("GET", "/bewaren/lang-open/{signal}", only(200, "coordinator")),
    # Data-subject requests: only the privacy officer. {subject_request} is an open request
    # about the row signal's person, decided "geen beperking" so its answer can be exported.
    "subject_requests.index": ("GET", "/verzoeken/", only(200, "privacy_officer")),
    "subject_requests.new": ("GET", "/verzoeken/nieuw", only(200, "privacy_officer")),
    "subject_requests.detail": ("GET", "/verzoeken/{subject_request}", only(200, "privacy_officer")),
    # The bare POST has no restriction chosen: the page comes back with the message.
    "subject_requests.decide": ("POST", "/verzoeken/{subject_request}/besluit", only(200, "privacy_officer")),
    "subject_requests.close": ("POST", "/verzoeken/{subject_request}/afhandelen", only(302, "privacy_officer")),
    "subject_requests.export": ("GET", "/verzoeken/{subject_request}/antwoord.pdf", only(200, "privacy_officer")),
    "subject_requests.restrict": ("POST", "/verzoeken/{subject_request}/beperking/{signal}",
                                  only(200, "privacy_officer")),
    "subject_requests.lift": ("POST", "/verzoeken/{subject_request}/beperking/{signal}/opheffen",
                              only(200, "privacy_officer")),
    "subject_requests.weigh_objection": ("POST", "/verzoeken/{subject_request}/bezwaar", only(200, "privacy_officer")),
    "subject_requests.extend": ("POST", "/verzoeken/{subject_request}/verlenging", only(200, "privacy_officer")),
    "subject_requests.carried_out": ("POST", "/verzoeken/{subject_request}/uitgevoerd", only(200, "privacy_officer")),
    "subject_requests.notify_recipient": ("POST", "/verzoeken/{subject_request}/ontvangers",
                                          only(200, "privacy_officer")),
    "signals.informing": ("GET", "/meldingen/{signal}/informeren", only(200, "coordinator")),
}

# Placeholders that need a signal of the target; each gets its value in placeholders().
NEEDS_SIGNAL = ("{signal}", "{action}", "{privacy_check}", "{meeting}", "{referral}", "{signal_reference}",
                "{anomaly_key}", "{grant}", "{subject_request}", "{bibob}", "{received}", "{received_exception}")


def placeholders(url, *, signal, target) -> dict:
    """The values of the placeholders in `url` (objects of `target`, created for the row)."""
    values = {"user": target.id}
    if signal is not None:
        values.update(signal=signal.id, attachment=signal.attachments[0].id, signal_reference=signal.reference)
    if "{referral}" in url:
        values["referral"] = create_referral(
            None, signal, partner=db.session.get(Partner, 1), purpose="Doel", legal_ground="wgs_riec",
            legal_ground_note=None, data_categories=["beschrijving"], channel="brief", feedback_due=None,
        ).id
    if "{received}" in url or "{received_exception}" in url:
        item = received.add_received_information(None, signal, ground="wpg_19", received_on=date.today(),
                                                 content="Informatie van de politie")
        values["received"] = item.id
        if "{received_exception}" in url:
            values["received_exception"] = received.request_exception(
                None, item, use="eigen_taak", referral=None, task="Taak", reasoning="Onderbouwing").id
    if "{meeting}" in url:
        meeting = Meeting(held_at=datetime(2030, 3, 5, 10), kind="regulier", agenda_cutoff=date(2030, 3, 1))
        meeting.items.append(AgendaItem(signal_id=signal.id, position=1))
        db.session.add(meeting)
        db.session.flush()
        values.update(meeting=meeting.id, item=meeting.items[0].id)
    if "{group}" in url:
        group = InviteeGroup(name="Vaste kern")
        db.session.add(group)
        db.session.flush()
        values["group"] = group.id
    if "{privacy_check}" in url:
        values["privacy_check"] = request_privacy_check(None, signal, "1").id
    if "{bibob}" in url:
        values["bibob"] = record_bibob(None, signal, BibobInput(body="burgemeester", decision_kind="vergunning")).id
    if "{action}" in url:
        values["action"] = create_action(None, signal, type="overig", deadline=date.today(), owner_id=target.id).id
    if "{anomaly_key}" in url:
        event = record(target, "break_glass.granted", signal, purpose="noodtoegang", role="coordinator")
        db.session.flush()
        values["anomaly_key"] = f"break_glass:{event.seq}"
    if "{grant}" in url:
        now = utcnow()
        grant = BreakGlass(user_id=target.id, role="reporter", signal_id=signal.id, signal_reference=signal.reference,
                           started_at=now, expires_at=now + timedelta(minutes=30))
        grant.reason = "Een reden van een andere gebruiker"
        db.session.add(grant)
        db.session.flush()
        values["grant"] = grant.id
    if "{saved_filter}" in url:
        saved = SavedFilter(user_id=target.id, name="Van een ander", params={"urgentie": "urgent"})
        db.session.add(saved)
        db.session.flush()
        values["saved_filter"] = saved.id
    if "{mail_concept}" in url:
        concept = MailConcept(message_key="0" * 64, received_at=utcnow(), size=1234, too_large=True)
        concept.subject = "Een e-mail van het meldpunt"
        db.session.add(concept)
        db.session.flush()
        values["mail_concept"] = concept.id
    if "{run}" in url:
        now = utcnow()
        run = RetentionRun(started_at=now, finished_at=now, dry_run=False, origin="cli", summary=None)
        db.session.add(run)
        db.session.flush()
        values["run"] = run.id
    if "{subject_request}" in url:
        request = subject_requests.create_request(target, type="inzage", received_on=date.today(),
                                                  name="Jan Jansen", birth_date=date(1980, 1, 2))
        subject_requests.decide(None, request, restriction="geen", ground=None, note=None)
        if signal is not None:  # the signal is found for the request (its person is Jan Jansen)
            subject_requests.lookup(None, request)
        values["subject_request"] = request.id
    db.session.commit()
    return values


def test_every_endpoint_is_in_the_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = endpoints - set(TABLE)
    assert not missing, f"endpoints without a row in the permissions table: {sorted(missing)}"
    assert not set(TABLE) - endpoints, "table rows for endpoints that no longer exist"


def test_every_non_public_endpoint_declares_its_roles(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS | ANY_ROLE_ENDPOINTS:
            continue
        view = app.view_functions[rule.endpoint]
        assert getattr(view, "allowed_roles", None), f"{rule.endpoint} has no role_required()"


def test_an_endpoint_without_roles_is_refused_at_runtime(app, client, make_user, login_as):
    """Deny by default: a view that forgot role_required() answers 500, never content."""
    app.view_functions["admin.departments"].__dict__.pop("allowed_roles")
    try:
        login_as(make_user("admin"))
        assert client.get("/beheer/afdelingen").status_code == 500
    finally:
        from casustafel.models.roles import Role

        app.view_functions["admin.departments"].allowed_roles = frozenset({Role.ADMIN})


@pytest.mark.parametrize("role", ALL)
@pytest.mark.parametrize("endpoint", sorted(TABLE))
def test_role_endpoint_status(client, make_user, make_signal, endpoint, role):
    method, url, expected = TABLE[endpoint]
    target = make_user("reporter", email="doel@gemeente.test")
    needs_signal = any(p in url for p in NEEDS_SIGNAL)
    signal = make_signal(target, attachment=b"%PDF-1.4 test") if needs_signal else None
    url = url.format(**placeholders(url, signal=signal, target=target))
    if role != ANON:
        user = make_user(role)
        assert login(client, user.email).status_code == 200
    if method == "GET":
        response = client.get(url)
    else:
        page = "/" if role != ANON else "/inloggen"
        token = csrf_from(client.get(page, follow_redirects=True))
        response = client.post(url, data={"csrf_token": token})
    assert response.status_code == expected[role], (endpoint, role)
    if response.status_code == 403:  # every refusal is accountable: a denial in the access log
        denied = db.session.scalars(select(AuditEvent).where(AuditEvent.result == "denied")).all()
        assert [e.actor_id for e in denied] == [user.id], (endpoint, role)
    # docs/security.md "Input, output, headers": every response of every endpoint, for every role.
    assert response.headers["Content-Security-Policy"] == CSP, (endpoint, role)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"
    if endpoint != "static":
        assert "no-store" in response.headers["Cache-Control"], (endpoint, role)
    if response.status_code == 302 and role == ANON and endpoint not in PUBLIC_ENDPOINTS:
        assert "/inloggen" in response.headers["Location"]



def test_every_route_that_accepts_post_refuses_it_without_csrf_token(app, make_user):
    """Walks app.url_map: every route accepting POST (forms on GET pages included), as a role
    that may use it (anonymous for the public ones), answers 400 to a POST without token."""
    clients, refused = {}, {}
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        expected = TABLE[rule.endpoint][2]
        role = next((r for r in ROLES if expected[r] not in (403, 405)), ANON)
        if rule.endpoint in PUBLIC_ENDPOINTS:
            role = ANON
        if role not in clients:
            clients[role] = app.test_client()
            if role != ANON:
                assert login(clients[role], make_user(role).email).status_code == 200
        url = re.sub(r"<([^>]+)>", lambda m: "1" if m.group(1).startswith("int:") else str(uuid.uuid4()),
                     rule.rule)
        status = clients[role].post(url, data={}).status_code
        if status != 400:
            refused[rule.endpoint] = (role, status)
    assert refused == {}
