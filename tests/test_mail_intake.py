"""Register a signal from an e-mail (issue 16): the coordinator chooses an .eml or .msg, sees the
registration form filled from it, and only on confirming is anything stored: the signal (channel
`email`, received at the mail's date), the mail's attachments and the mail itself, encrypted."""

import html
import io
import re
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from casustafel.demo import DEMO_PDF, DEMO_PNG
from casustafel.extensions import db
from casustafel.models import Attachment, Department, Notification
from casustafel.signals import mail_register
from casustafel.signals.mail_intake import MailError, parse_mail
from tests.conftest import csrf_from, login
from tests.helpers.mail import ADDRESS, MARKER, SENDER, SENT, SUBJECT, hidden, plain_mail, textarea, upload
from tests.helpers.msg_file import make_msg
from tests.helpers.signals import (
    all_signals,
    assert_nothing_saved,
    events,
    field_error,
    page,
    phenomenon_id,
    stored_files,
)

URL = "/meldingen/registreren/e-mail"


def nested_mail() -> bytes:
    """multipart/mixed › multipart/alternative › multipart/related (HTML + inline PNG), a PDF,
    and a forwarded mail (message/rfc822) that carries its own attachment."""
    inner = EmailMessage()
    inner["From"] = "Piet Politie <piet@politie.test>"
    inner["Subject"] = "=?utf-8?q?Doorgestuurd=3A_pand_aan_de_Kade_=C3=A9?="
    inner.set_content("Binnenste bericht: de eigenaar heet Bakkerij De Korenschoof.")
    inner.add_attachment(DEMO_PDF, maintype="application", subtype="pdf", filename="proces-verbaal.pdf")
    outer = EmailMessage()
    outer["From"] = f"{SENDER} <{ADDRESS}>"
    outer["Subject"] = SUBJECT
    outer["Date"] = "Mon, 30 Nov 2026 15:05:00 +0100"
    outer.set_content(f"Zie de doorgestuurde mail. {MARKER}.")
    outer.add_alternative(f"<p>Zie de doorgestuurde mail. {MARKER}.</p>", subtype="html")
    html_part = outer.get_payload()[1]
    html_part.add_related(DEMO_PNG, maintype="image", subtype="png", cid="<logo>", filename="logo.png")
    outer.add_attachment(DEMO_PDF, maintype="application", subtype="pdf", filename="bijlage ë.pdf")
    outer.add_attachment(inner)
    return bytes(outer)


# --- parsing ---------------------------------------------------------------------------------


def test_a_plain_mail_is_read_with_its_encoded_headers_decoded():
    raw = plain_mail()
    assert b"=?utf-8?" in raw  # the sender and subject really are encoded words

    parsed = parse_mail(raw, "melding.eml")

    assert (parsed.sender_name, parsed.sender_address) == (SENDER, ADDRESS)
    assert parsed.subject == SUBJECT
    assert parsed.sent_at == SENT and parsed.sent_at.tzinfo is not None
    assert MARKER in parsed.body_text and not parsed.body_from_html
    assert [(a.filename, a.content_type, a.data) for a in parsed.attachments] == [
        ("plattegrond.pdf", "application/pdf", DEMO_PDF), ("foto-voorgevel.png", "image/png", DEMO_PNG)]
    assert (parsed.raw, parsed.raw_filename) == (raw, "melding.eml")


def test_a_mail_in_latin_1_and_an_unknown_charset_is_decoded():
    raw = (b"From: =?iso-8859-1?q?Ren=E9e_M=FCller?= <renee@voorbeeld.test>\r\n"
           b"Subject: =?iso-8859-1?q?Caf=E9_De_Gracht?=\r\nDate: Tue, 1 Dec 2026 08:00:00 +0000\r\n"
           b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
           b"Content-Transfer-Encoding: quoted-printable\r\n\r\nDe eigenaar van caf=E9 De Gracht betaalt contant.\r\n")
    parsed = parse_mail(raw, "latin.eml")
    assert parsed.sender_name == "Renée Müller" and parsed.subject == "Café De Gracht"
    assert "caf\u00e9 De Gracht betaalt contant" in parsed.body_text

    unknown = raw.replace(b"charset=iso-8859-1", b"charset=x-onbekend")
    assert "De Gracht betaalt contant" in parse_mail(unknown, "onbekend.eml").body_text


def test_an_html_only_mail_becomes_plain_text_without_its_scripts():
    message = EmailMessage()
    message["From"] = f"{SENDER} <{ADDRESS}>"
    message["Subject"] = "Alleen HTML"
    message.set_content(f"<html><head><style>p {{color: red}}</style></head><body><p>{MARKER}</p>"
                        "<p>Tweede <b>alinea</b><br>regel</p><script>alert('x')</script></body></html>",
                        subtype="html")

    parsed = parse_mail(bytes(message), "html.eml")

    assert parsed.body_from_html
    assert parsed.body_text == f"{MARKER}\n\nTweede alinea\nregel"
    assert "<" not in parsed.body_text and "alert" not in parsed.body_text and "color" not in parsed.body_text


def test_attachments_in_nested_parts_and_forwarded_mails_are_found():
    parsed = parse_mail(nested_mail(), "genest.eml")

    assert [a.filename for a in parsed.attachments] == ["logo.png", "bijlage ë.pdf", "proces-verbaal.pdf"]
    assert not parsed.body_from_html  # the text/plain alternative is preferred
    assert parsed.body_text.startswith(f"Zie de doorgestuurde mail. {MARKER}.")
    assert "--- Doorgestuurd bericht ---\nVan: Piet Politie <piet@politie.test>\n" in parsed.body_text
    assert "Onderwerp: Doorgestuurd: pand aan de Kade é" in parsed.body_text
    assert "Bakkerij De Korenschoof" in parsed.body_text


def test_an_outlook_msg_is_read():
    raw = make_msg(subject=SUBJECT, body=f"Beste,\r\n{MARKER}.", sender_name=SENDER, sender_address=ADDRESS,
                   sent_at=SENT, attachments=[("plattegrond.pdf", DEMO_PDF), ("foto.png", DEMO_PNG)])
    assert raw.startswith(b"\xd0\xcf\x11\xe0")

    parsed = parse_mail(raw, "bericht.msg")

    assert (parsed.subject, parsed.sender_name, parsed.sender_address, parsed.sent_at) == (
        SUBJECT, SENDER, ADDRESS, SENT)
    assert MARKER in parsed.body_text
    assert [(a.filename, a.data) for a in parsed.attachments] == [("plattegrond.pdf", DEMO_PDF),
                                                                  ("foto.png", DEMO_PNG)]


def test_an_outlook_msg_with_only_html_is_read_as_text():
    raw = make_msg(subject="HTML", body="", html_body=f"<p>{MARKER}</p><script>x()</script>".encode())
    parsed = parse_mail(raw, "html.msg")
    assert parsed.body_from_html and parsed.body_text == MARKER


def nested_multiparts(depth: int) -> bytes:
    body = b"Content-Type: text/plain\r\n\r\nhallo\r\n"
    for level in range(depth):
        body = (f'Content-Type: multipart/mixed; boundary="grens{level}"\r\n\r\n--grens{level}\r\n'.encode()
                + body + f"\r\n--grens{level}--\r\n".encode())
    return b"From: a@voorbeeld.test\r\nSubject: diep\r\nMIME-Version: 1.0\r\n" + body


def test_a_mail_nested_too_deep_or_with_too_many_attachments_is_refused():
    assert parse_mail(nested_multiparts(5), "ondiep.eml").body_text == "hallo"
    for depth in (12, 2000):
        with pytest.raises(MailError) as refused:
            parse_mail(nested_multiparts(depth), "diep.eml")
        assert "te veel delen" in refused.value.message_nl or "opbouw" in refused.value.message_nl
    many = plain_mail(attachments=[(f"stuk-{n}.pdf", DEMO_PDF) for n in range(51)])
    with pytest.raises(MailError, match="meer dan 50 bijlagen"):
        parse_mail(many, "veel.eml")


@pytest.mark.parametrize(("data", "name", "expected"), [
    (b"", "leeg.eml", "is leeg"),
    (b"\x00\x01\x02 binaire rommel \xff\xfe", "rommel.eml", "geen leesbare e-mail"),
    (b"Dit is gewoon een zin zonder kopregels.\n", "tekst.eml", "kopregels"),
    (DEMO_PDF, "verslag.pdf", "geen e-mail"),
    (b"From: x@y.test\r\nSubject: hallo\r\n\r\ntekst", "bericht.msg", "geen Outlook-bericht"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000), "kapot.msg", "geen leesbaar Outlook-bericht"),
])
def test_what_is_not_a_readable_mail_is_refused_in_dutch(data, name, expected):
    with pytest.raises(MailError) as refused:
        parse_mail(data, name)
    assert expected in refused.value.message_nl and name in refused.value.message_nl


# --- the pages -------------------------------------------------------------------------------


@pytest.fixture
def coordinator(client, make_user, login_as, store):
    user = make_user("coordinator", name="Carla Coördinator")
    login_as(user)
    return user


def confirm(client, shown: str, files=(), **fields):
    """Submit the filled form as the browser would: what the page shows, plus `fields`."""
    data = {"csrf_token": hidden(shown, "csrf_token"), "mail_token": hidden(shown, "mail_token"),
            "channel": "email", "phenomenon_id": str(phenomenon_id()), "description": textarea(shown, "description"),
            "subjects-0-kind": "persoon", "subjects-0-role": "vermoedelijk_betrokkene"}
    data.update(fields)
    if files:
        data["attachments"] = list(files)
    return client.post(URL, data=data, content_type="multipart/form-data")


def staged(app) -> list[Path]:
    return sorted(Path(app.config["UPLOAD_TMP_DIR"]).glob(".mail-*"))


def plaintext_of(app, attachment: Attachment, store) -> bytes:
    return b"".join(store.open(attachment.id, attachment.wrapped_key, app.extensions["casustafel_keyring"]))


def test_the_registration_page_offers_to_take_over_a_mail(client, coordinator):
    text = page(client.get("/meldingen/registreren"))
    assert "Melding uit e-mail overnemen" in text and "Formulier invullen uit e-mail" in text
    assert f'action="{URL}"' in text and 'name="mail"' in text
    assert 'value="email"' in text and "E-mail meldpunt" in text  # the new channel, also on the plain form


def test_a_mail_fills_the_form_and_nothing_is_saved_yet(app, client, coordinator, store):
    response = upload(client, plain_mail())

    assert response.status_code == 200
    text = page(response)
    description = textarea(text, "description")
    assert description.startswith(f"Afzender: {SENDER} <{ADDRESS}>\nOnderwerp: {SUBJECT}\n\nGoedemiddag,")
    assert MARKER in description
    assert re.search(r'<option selected value="email">E-mail meldpunt</option>', text)
    for shown in ("melding.eml (de e-mail zelf)", "plattegrond.pdf", "foto-voorgevel.png", "30-11-2026 15:05",
                  "geen gebruiker van casustafel"):
        assert shown in html.unescape(text), shown
    assert_nothing_saved(store)
    # The mail waits encrypted: one staged file, no plaintext in it, its key not on the disk.
    (stage,) = staged(app)
    content = stage.read_bytes()
    assert MARKER.encode() not in content and DEMO_PNG[:64] not in content
    key = hidden(text, "mail_token").split(".")[1]
    assert key.encode() not in content and stage.name.endswith(hidden(text, "mail_token").split(".")[0])


def test_confirming_registers_the_signal_with_the_mail_and_its_attachments_encrypted(
        app, client, coordinator, store):
    raw = plain_mail()
    shown = page(upload(client, raw))

    response = confirm(client, shown)

    assert response.status_code == 302, field_error(page(response), "description")
    (signal,) = all_signals()
    assert signal.channel == "email" and signal.channel_label == "E-mail meldpunt"
    assert signal.received_at == SENT.replace(tzinfo=None)
    assert signal.reference.startswith("SIG-2026-")
    assert signal.reporter_id is None and signal.registered_by_id == coordinator.id
    assert signal.owner_id == coordinator.id
    assert signal.description.startswith(f"Afzender: {SENDER} <{ADDRESS}>")
    assert [a.filename for a in signal.attachments] == ["melding.eml", "plattegrond.pdf", "foto-voorgevel.png"]
    assert [a.content_type for a in signal.attachments] == ["message/rfc822", "application/pdf", "image/png"]
    for attachment, original in zip(signal.attachments, (raw, DEMO_PDF, DEMO_PNG), strict=True):
        assert plaintext_of(app, attachment, store) == original
        ciphertext = store.path(attachment.id).read_bytes()
        assert original[:40] not in ciphertext and MARKER.encode() not in ciphertext
    assert len(stored_files(store)) == 3
    assert staged(app) == []  # the staged mail is gone once registered
    (created,) = events("signal.created")
    assert created.actor_id == coordinator.id and created.purpose == "melding"
    assert len(events("attachment.uploaded")) == 3
    # The coordinator's own confirmation page, like any registration.
    assert signal.reference in page(client.get(response.headers["Location"]))


def test_a_sender_with_an_account_becomes_the_reporter_whatever_the_case_of_the_address(
        client, make_user, coordinator, store):
    department = Department(name="Vergunningen")
    db.session.add(department)
    db.session.commit()
    sender = make_user("reporter", email="zoe.celik@voorbeeld.test", name=SENDER, department_id=department.id)

    shown = page(upload(client, plain_mail(sender=f"{SENDER} <ZOE.Celik@Voorbeeld.TEST>")))
    assert f"Het adres van de afzender is dat van {SENDER} (Vergunningen)" in html.unescape(shown)
    assert 'name="sender_is_reporter"' in shown and "checked" not in shown.split('name="sender_is_reporter"')[1][:40]
    assert not textarea(shown, "description").startswith("Afzender:")
    response = confirm(client, shown, sender_is_reporter="y")  # the coordinator knows it is Zoë's

    assert response.status_code == 302
    (signal,) = all_signals()
    assert (signal.reporter_id, signal.reporter_department_id) == (sender.id, department.id)
    assert "Afzender:" not in signal.description
    # The colleague hears that the e-mail became a signal ("ontvangen"), by a notice without content.
    assert [f.code for f in signal.feedback] == ["ontvangen"]
    (notice,) = db.session.scalars(select(Notification).where(Notification.recipient_id == sender.id)).all()
    assert notice.subject == "Nieuws over uw melding" and MARKER not in notice.body
    assert signal.reference not in notice.body and SUBJECT not in notice.body


def test_a_forged_sender_does_not_pin_the_signal_on_a_colleague_unless_the_coordinator_says_so(
        client, make_user, coordinator, store):
    """Anyone can write a colleague's address in From. Made the reporter by the address alone,
    the colleague would be named as the source and see the stranger's text in Mijn meldingen."""
    colleague = make_user("reporter", email=ADDRESS.upper(), name="Zoë Çelik-Ñúñez")
    shown = page(upload(client, plain_mail(sender=f"Iemand Anders <{ADDRESS}>")))
    assert 'name="sender_is_reporter"' in shown

    assert confirm(client, shown).status_code == 302  # not ticked
    (signal,) = all_signals()
    assert signal.reporter_id is None and signal.feedback == []
    assert db.session.scalars(select(Notification).where(Notification.recipient_id == colleague.id)).all() == []
    reporter_client = client.application.test_client()
    login(reporter_client, colleague.email)
    assert signal.reference not in page(reporter_client.get("/mijn-meldingen"))


def test_a_sender_without_an_account_is_offered_no_reporter_box(client, coordinator, store):
    shown = page(upload(client, plain_mail()))
    assert 'name="sender_is_reporter"' not in shown
    assert confirm(client, shown, sender_is_reporter="y").status_code == 302  # a forged field changes nothing
    assert all_signals()[0].reporter_id is None


def test_an_inactive_account_does_not_become_the_reporter(client, make_user, coordinator, store):
    make_user("reporter", email=ADDRESS.lower(), active=False)
    response = confirm(client, page(upload(client, plain_mail())), sender_is_reporter="y")
    assert response.status_code == 302
    assert all_signals()[0].reporter_id is None
    assert all_signals()[0].feedback == []  # nobody to tell


def test_an_outlook_msg_is_registered_with_the_msg_file_kept(app, client, coordinator, store):
    raw = make_msg(subject=SUBJECT, body=f"Beste,\r\n{MARKER}.", sender_name=SENDER, sender_address=ADDRESS,
                   sent_at=SENT, attachments=[("plattegrond.pdf", DEMO_PDF)])
    shown = page(upload(client, raw, "Bericht van Zoë.msg"))
    assert MARKER in textarea(shown, "description")

    assert confirm(client, shown).status_code == 302
    (signal,) = all_signals()
    assert signal.received_at == SENT.replace(tzinfo=None) and signal.channel == "email"
    mail_file, pdf_file = signal.attachments
    assert (mail_file.filename, mail_file.content_type) == ("Bericht van Zoë.msg", "application/vnd.ms-outlook")
    assert plaintext_of(app, mail_file, store) == raw and plaintext_of(app, pdf_file, store) == DEMO_PDF


def test_a_nested_mail_brings_every_attachment(app, client, coordinator, store):
    shown = page(upload(client, nested_mail(), "genest.eml"))
    assert confirm(client, shown).status_code == 302
    (signal,) = all_signals()
    assert [a.filename for a in signal.attachments] == [
        "genest.eml", "logo.png", "bijlage ë.pdf", "proces-verbaal.pdf"]
    assert "Bakkerij De Korenschoof" in signal.description


def test_an_html_only_mail_is_taken_over_as_text_with_a_notice(client, coordinator, store):
    message = EmailMessage()
    message["From"] = f"{SENDER} <{ADDRESS}>"
    message["Subject"] = "Alleen HTML"
    message["Date"] = "Mon, 30 Nov 2026 15:05:00 +0100"
    message.set_content(f"<p>{MARKER}</p><script>document.location='https://kwaad.test'</script>", subtype="html")

    shown = page(upload(client, bytes(message)))

    assert ("De e-mail had alleen opgemaakte tekst (HTML); casustafel heeft daar gewone tekst van gemaakt. "
            "Controleer de omschrijving." in html.unescape(shown))
    assert "HTML-deel" not in shown
    description = textarea(shown, "description")
    assert description.endswith(MARKER) and "script" not in description and "kwaad" not in shown
    assert confirm(client, shown).status_code == 302
    assert all_signals()[0].description.endswith(MARKER)


def test_a_mail_without_a_usable_date_gets_the_registration_time(client, coordinator, store):
    raw = plain_mail().replace(b"Date: Mon, 30 Nov 2026 15:05:00 +0100", b"Date: Fri, 1 Jan 2100 10:00:00 +0000")
    shown = page(upload(client, raw))
    assert "geen bruikbare datum" in shown
    before = datetime.now(UTC).replace(tzinfo=None)
    assert confirm(client, shown).status_code == 302
    assert all_signals()[0].received_at >= before.replace(microsecond=0)


def test_a_long_mail_is_cut_to_the_description_limit_with_a_notice(client, coordinator, store):
    shown = page(upload(client, plain_mail(body="Lange melding. " * 1000 + MARKER)))
    assert len(textarea(shown, "description")) <= 10000
    assert "langer dan 10.000 tekens" in shown
    assert confirm(client, shown).status_code == 302
    assert all_signals()[0].attachments[0].size == len(plain_mail(body="Lange melding. " * 1000 + MARKER))


EXE = b"MZ\x90\x00" + bytes(200)


@pytest.mark.parametrize(("data", "name", "expected"), [
    (plain_mail(attachments=(("plattegrond.pdf", DEMO_PDF), ("setup.exe", EXE))), "melding.eml",
     "‘setup.exe’ kan niet worden toegevoegd"),
    (plain_mail(attachments=(("factuur.pdf", EXE),)), "melding.eml", "‘factuur.pdf’ kan niet worden toegevoegd"),
    (plain_mail(attachments=(("leeg.pdf", b""),)), "melding.eml", "‘leeg.pdf’ is leeg"),
    (b"\x00\x01 geen mail \xff", "melding.eml", "geen leesbare e-mail"),
    (DEMO_PDF, "verslag.pdf", "geen e-mail"),
    (b"From: a@b.test\r\n\r\nhallo", "bericht.msg", "geen Outlook-bericht"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(3000), "bericht.msg", "geen leesbaar Outlook-bericht"),
    (b"", "melding.eml", "is leeg"),
])
def test_a_bad_mail_gets_a_dutch_message_and_nothing_is_saved(app, client, coordinator, store, data, name, expected):
    response = upload(client, data, name)

    assert response.status_code == 200
    message = field_error(page(response), "mail")
    assert message and expected in message, message
    assert 'name="mail_token"' not in page(response)
    assert_nothing_saved(store)
    assert staged(app) == []


def test_no_file_chosen_gets_a_message(client, coordinator, store):
    token = csrf_from(client.get("/meldingen/registreren"))
    response = client.post(URL, data={"csrf_token": token}, content_type="multipart/form-data")
    assert response.status_code == 200
    assert "Kies een e-mail" in field_error(page(response), "mail")


@pytest.fixture(scope="module")
def huge_mail() -> bytes:
    """A mail of 25 MB (a large attachment): built once."""
    return plain_mail(attachments=(("scan.pdf", DEMO_PDF + bytes(25 * 1024 * 1024)),))


def test_a_mail_over_the_limit_is_refused_before_it_is_read(app, client, coordinator, store, huge_mail):
    assert len(huge_mail) > 25 * 1024 * 1024
    response = upload(client, huge_mail, "groot.eml")

    assert response.status_code == 200
    assert "‘groot.eml’ is groter dan 20 MB" in field_error(page(response), "mail")
    assert_nothing_saved(store)
    assert staged(app) == []


def test_a_refused_confirm_keeps_the_staged_mail(app, client, coordinator, store):
    shown = page(upload(client, plain_mail()))
    value = hidden(shown, "mail_token")

    refused = confirm(client, shown, phenomenon_id="")

    assert refused.status_code == 200
    text = page(refused)
    assert field_error(text, "phenomenon_id")
    assert hidden(text, "mail_token") == value
    assert "plattegrond.pdf" in text and "melding.eml (de e-mail zelf)" in text
    assert MARKER in textarea(text, "description")
    assert_nothing_saved(store)
    assert len(staged(app)) == 1
    assert events("signal.submit_refused")

    # A row button keeps it too, and the form still posts to the mail route.
    more = confirm(client, text, rij="betrokkene:toevoegen")
    assert hidden(page(more), "mail_token") == value and f'formaction="{URL}#betrokkene-3"' in page(more)

    assert confirm(client, text).status_code == 302
    assert len(all_signals()) == 1 and staged(app) == []


def test_an_unknown_tampered_expired_or_foreign_mail_token_gets_a_message(
        app, client, coordinator, store, make_user, monkeypatch):
    shown = page(upload(client, plain_mail()))
    value = hidden(shown, "mail_token")
    token, key = value.split(".")
    flipped = key[:-2] + ("A" if key[-2] != "A" else "B") + key[-1]
    for bad in (f"{token}.{flipped}", f"{'0' * 32}.{key}", "../../etc/passwd", "", f"{token}.{key}x"):
        response = confirm(client, shown, mail_token=bad)
        assert response.status_code == 200, bad
        assert "niet meer beschikbaar" in field_error(page(response), "mail"), bad
    assert_nothing_saved(store)

    # Another coordinator cannot use it.
    other = app.test_client()
    login(other, make_user("coordinator").email)
    other_token = csrf_from(other.get("/meldingen/registreren"))
    response = confirm(other, shown.replace(hidden(shown, "csrf_token"), other_token))
    assert "niet meer beschikbaar" in field_error(page(response), "mail")

    # Expired after two hours: refused, and the file is removed.
    later = time.time() + mail_register.MAIL_STAGE_SECONDS + 60
    monkeypatch.setattr(mail_register.time, "time", lambda: later)
    response = confirm(client, shown)
    assert "niet meer beschikbaar" in field_error(page(response), "mail")
    assert_nothing_saved(store)
    assert staged(app) == []


@pytest.mark.parametrize("role", ["reporter", "member", "privacy_officer", "admin"])
def test_only_the_coordinator_takes_over_a_mail(app, client, make_user, login_as, store, role):
    login_as(make_user(role))
    token = csrf_from(client.get("/"))
    response = client.post(URL, data={"csrf_token": token, "mail": (io.BytesIO(plain_mail()), "melding.eml")},
                           content_type="multipart/form-data")
    assert response.status_code == 403
    assert_nothing_saved(store)
    assert staged(app) == []


def test_the_inbox_filters_on_the_email_channel(client, coordinator, store):
    assert confirm(client, page(upload(client, plain_mail()))).status_code == 302
    (signal,) = all_signals()
    assert signal.reference in page(client.get("/meldingen?kanaal=email"))
    assert signal.reference not in page(client.get("/meldingen?kanaal=telefoon"))
