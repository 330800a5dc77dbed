"""Browser journeys of the meldpunt's e-mail: the coordinator registers a signal from an .eml
(a refused one first: the message next to the file field, nothing saved), and sees the e-mails
that `flask mail fetch` made into concepts.

axe-core (WCAG 2.1 A/AA, serious and critical) runs on the refused upload, the form filled from
the mail, the confirmation and the list of e-mails.
"""

import re
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import func, select

from casustafel.demo import DEMO_PDF
from casustafel.extensions import db
from casustafel.models import MailConcept, Signal
from casustafel.signals import mailbox
from tests.conftest import PASSWORD

SENDER = "Zoë Çelik-van 't Hoff"
ADDRESS = "zoe@bewoners.test"
SUBJECT = "Verdachte drukte bij nagelsalon — Stationsstraat 12"
SENT = datetime(2026, 11, 27, 8, 15, tzinfo=timezone(timedelta(hours=1)))  # a Friday in winter time
SENT_UTC = datetime(2026, 11, 27, 7, 15)  # as the columns store it: naive UTC
SENT_SHOWN = "27-11-2026 08:15"  # Dutch time again
BODY_LINE = ("Sinds een week staan er ’s avonds busjes met draaiende motor voor nagelsalon ‘Nails & Beauty’. "
             "Klanten zie ik niet; wel mannen die tassen naar binnen dragen. Één van hen noemde de eigenaar ‘Müller’.")
PLAN = "plattegrond Stationsstraat ë.pdf"
EXE = b"MZ\x90\x00" + bytes(200)  # a Windows program, whatever its name says
INTAKE_LABEL = "E-mail (.eml of Outlook .msg)"


def _mail(attachments=((PLAN, DEMO_PDF),), subject=SUBJECT) -> bytes:
    message = EmailMessage()
    message["From"] = f"{SENDER} <{ADDRESS}>"
    message["To"] = "meldpunt@gemeente.test"
    message["Subject"] = subject
    message["Date"] = format_datetime(SENT)
    message["Message-ID"] = make_msgid(domain="bewoners.test")
    message.set_content(f"Goedemorgen,\n\n{BODY_LINE}\n\nMet vriendelijke groet,\nZoë\n")
    for name, data in attachments:
        subtype = "pdf" if name.endswith(".pdf") else "octet-stream"
        message.add_attachment(data, maintype="application", subtype=subtype, filename=name)
    return bytes(message)


def _login(browser, email, password=PASSWORD):
    browser.log_in(email, password)
    expect(browser.page.get_by_role("heading", level=1)).to_contain_text("Welkom", use_inner_text=True)


def _signal_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Signal))


def _staged_mails(app) -> list[Path]:
    return list(Path(app.config["UPLOAD_TMP_DIR"]).glob(".mail-*"))


def test_the_coordinator_registers_a_signal_from_an_eml_after_a_refused_one(browser, make_user, app, tmp_path):
    coordinator = make_user("coordinator", name="Ruud Regisseur")
    raw = _mail()
    assert b"=?utf-8?" in raw.split(b"\n\n", 1)[0]  # the sender and subject really are RFC 2047 words
    eml = tmp_path / "melding-nagelsalon.eml"
    eml.write_bytes(raw)
    refused = tmp_path / "met-programma.eml"
    refused.write_bytes(_mail(attachments=((PLAN, DEMO_PDF), ("setup.exe", EXE))))
    page = browser.page

    _login(browser, coordinator.email)
    browser.goto("/meldingen/registreren")
    expect(page.get_by_role("heading", level=1)).to_have_text("Melding registreren", use_inner_text=True)
    intake = page.get_by_role("region", name="Melding uit e-mail overnemen")

    # A mail with a program attached: refused as a whole, the reason next to the file field.
    intake.get_by_label(INTAKE_LABEL).set_input_files(str(refused))
    intake.get_by_role("button", name="Formulier invullen uit e-mail").click()
    error = page.locator("#mail-error")
    expect(error).to_contain_text("‘setup.exe’ kan niet worden toegevoegd", use_inner_text=True)
    expect(error).to_contain_text("De e-mail kan niet worden overgenomen", use_inner_text=True)
    field = page.get_by_label(INTAKE_LABEL)
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_attribute("aria-describedby", re.compile(r"(^|\s)mail-error(\s|$)"))
    expect(field).to_have_accessible_description(re.compile("‘setup.exe’ kan niet worden toegevoegd"))
    expect(page.locator('input[name="mail_token"]')).to_have_count(0)
    expect(page.get_by_role("region", name="Melding uit e-mail", exact=True)).to_have_count(0)
    browser.assert_accessible("registreren, e-mail geweigerd")
    assert _signal_count() == 0
    assert _staged_mails(app) == []

    # The good mail: the form comes back filled from it, nothing saved yet.
    page.get_by_label(INTAKE_LABEL).set_input_files(str(eml))
    page.get_by_role("button", name="Formulier invullen uit e-mail").click()
    panel = page.get_by_role("region", name="Melding uit e-mail", exact=True)
    expect(panel).to_be_visible()
    for shown in (f"{SENDER} <{ADDRESS}>", SUBJECT, SENT_SHOWN, "melding-nagelsalon.eml (de e-mail zelf)", PLAN):
        expect(panel).to_contain_text(shown, use_inner_text=True)
    expect(panel).to_contain_text("De afzender is geen gebruiker van casustafel", use_inner_text=True)
    description = page.get_by_label("Wat heeft u gezien of gehoord?")
    expect(description).to_have_value(re.compile(re.escape(BODY_LINE)))
    expect(description).to_have_value(re.compile(re.escape(f"Onderwerp: {SUBJECT}")))
    channel = page.get_by_label("Binnengekomen via")
    expect(channel).to_have_value("email")
    expect(channel.locator("option:checked")).to_have_text("E-mail meldpunt")
    expect(page.locator("#mail-error")).to_have_count(0)
    browser.assert_accessible("registreren, ingevuld uit e-mail")
    assert _signal_count() == 0  # shown, not stored
    assert len(_staged_mails(app)) == 1  # waiting encrypted for the confirmation

    # Only the phenomenon is still empty; without it the page says so and keeps the mail.
    page.get_by_role("button", name="Melding registreren").click()
    expect(page.locator("#phenomenon_id-error")).to_contain_text("Kies het fenomeen", use_inner_text=True)
    expect(page.get_by_role("region", name="Melding uit e-mail", exact=True)).to_contain_text(PLAN, use_inner_text=True)
    expect(page.get_by_label("Wat heeft u gezien of gehoord?")).to_have_value(re.compile(re.escape(BODY_LINE)))
    assert _signal_count() == 0

    page.get_by_label("Fenomeen").select_option(label="Overig")
    page.get_by_role("button", name="Melding registreren").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Melding ontvangen", use_inner_text=True)
    expect(page.get_by_text("De melding is geregistreerd.")).to_be_visible()
    reference = page.locator(".app-reference").inner_text()
    assert re.fullmatch(r"SIG-\d{4}-\d{4}", reference)
    browser.assert_accessible("bevestiging melding uit e-mail")

    db.session.expire_all()
    signal = db.session.scalars(select(Signal)).one()  # exactly one: the refused mail made nothing
    assert signal.reference == reference
    assert signal.channel == "email"
    assert signal.received_at == SENT_UTC
    assert [a.filename for a in signal.attachments] == ["melding-nagelsalon.eml", PLAN]
    assert [a.size for a in signal.attachments] == [len(raw), len(DEMO_PDF)]
    assert BODY_LINE in signal.description
    assert signal.reporter_id is None  # the sender has no account
    assert _staged_mails(app) == []  # the staged mail is gone once registered

    page.get_by_role("link", name="Melding openen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Melding {reference}", use_inner_text=True)
    expect(page.get_by_role("link", name="melding-nagelsalon.eml")).to_be_visible()
    expect(page.get_by_role("link", name=PLAN)).to_be_visible()


class _OneMailMailbox:
    """Just enough of an imaplib connection for `mailbox.fetch`: one e-mail in the folder."""

    capabilities = ("IMAP4REV1", "MOVE")

    def __init__(self, raw: bytes):
        self.raw = raw
        self.moved = []

    def list(self, directory, pattern):
        return "OK", [b'(\\HasNoChildren) "/" "Verwerkt"']

    def select(self, folder):
        return "OK", [b"1"]

    def capability(self):
        return "OK", [b"IMAP4rev1 MOVE"]

    def uid(self, command, *args):
        if command == "SEARCH":
            return "OK", [b"7"]
        if command == "FETCH" and args[1] == "(RFC822.SIZE)":
            return "OK", [b"1 (UID 7 RFC822.SIZE %d)" % len(self.raw)]
        if command == "FETCH" and args[1] == "(BODY.PEEK[])":
            return "OK", [(b"1 (UID 7 BODY[] {%d}" % len(self.raw), self.raw), b")"]
        if command == "MOVE":
            self.moved.append(args)
            return "OK", [b""]
        raise AssertionError(f"unexpected IMAP command {command} {args}")

    def logout(self):
        return "BYE", [b""]


def test_the_coordinator_sees_the_fetched_mails_as_concepts(browser, make_user, app):
    coordinator = make_user("coordinator", name="Ruud Regisseur")
    connection = _OneMailMailbox(_mail())
    settings = {"MAIL_FETCH_HOST": "imap.gemeente.test", "MAIL_FETCH_USER": "meldpunt",
                "MAIL_FETCH_PASSWORD_FILE": "/niet/gebruikt", "MAIL_FETCH_PROCESSED_FOLDER": "Verwerkt"}
    result = mailbox.fetch(settings, app.extensions["casustafel_store"], connect=lambda _settings: connection)
    assert (result.new, result.moved, result.failed) == (1, 1, 0), result
    assert connection.moved == [(b"7", '"Verwerkt"')]
    concept = db.session.scalars(select(MailConcept)).one()
    assert concept.received_at == SENT_UTC and not concept.too_large
    page = browser.page

    _login(browser, coordinator.email)
    browser.goto("/meldingen/e-mail")
    expect(page.get_by_role("heading", level=1)).to_have_text("E-mails van het meldpunt", use_inner_text=True)
    table = page.get_by_role("table")
    expect(table.locator("caption")).to_have_text("1 e-mail wacht op beoordeling, nieuwste eerst", use_inner_text=True)
    row = table.locator("tbody tr")
    expect(row).to_have_count(1)
    for shown in (SENT_SHOWN, f"{SENDER} <{ADDRESS}>", SUBJECT):
        expect(row).to_contain_text(shown, use_inner_text=True)
    browser.assert_accessible("mail-concepts")

    row.locator("summary", has_text="Verwijderen").click()  # the confirmation, opened
    expect(row.get_by_role("button", name="E-mail definitief verwijderen")).to_be_visible()
    browser.assert_accessible("mail-concepts, verwijderen open")
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(MailConcept)) == 1  # opening it deletes nothing
