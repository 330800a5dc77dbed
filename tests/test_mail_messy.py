"""Messy e-mails from real mailboxes, taken over by the coordinator (issue 16): what a browser
sends back, what a mail without readable text says, and a meldpunt e-mail whose stored file is
gone. Every such mail is read correctly or explained in Dutch; never a 500, never a silent loss."""

from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest

from casustafel.demo import DEMO_PNG
from casustafel.extensions import db
from casustafel.models import MailConcept
from casustafel.signals import mailbox
from casustafel.signals.mail_intake import html_to_text, parse_mail
from tests.helpers.mail import hidden, plain_mail, textarea, upload
from tests.helpers.msg_file import make_msg
from tests.helpers.signals import all_signals, assert_nothing_saved, field_error, page, phenomenon_id

URL = "/meldingen/registreren/e-mail"
NO_TEXT = "geen tekst die casustafel kan lezen"
RTF_ONLY = rb"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\fswiss\fcharset0 Arial;}}\viewkind4\uc1\pard\f0\fs20 " \
    rb"Zo\'eb \'c7elik zag de bestelbus weer bij de loods.\par}"
RTF_TRIPS = rb"{\rtf1\ansi\deff0 {\fonttbl {\f0 Arial;}}\f0 Zo\'eb zag de bestelbus weer bij de loods.\par }"


@pytest.fixture
def coordinator(client, make_user, login_as, store):
    user = make_user("coordinator", name="Carla Coördinator")
    login_as(user)
    return user


def as_browser_sends(text: str) -> str:
    """A browser submits a textarea's line breaks as CR LF (HTML, form submission)."""
    return text.replace("\n", "\r\n")


def confirm(client, shown: str, **fields):
    data = {"csrf_token": hidden(shown, "csrf_token"), "mail_token": hidden(shown, "mail_token"),
            "channel": "email", "phenomenon_id": str(phenomenon_id()),
            "description": as_browser_sends(textarea(shown, "description")),
            "subjects-0-kind": "persoon", "subjects-0-role": "vermoedelijk_betrokkene"}
    data.update(fields)
    return client.post(URL, data=data, content_type="multipart/form-data")


def test_a_long_mail_of_many_lines_cut_to_the_limit_registers_as_the_browser_sends_it(client, coordinator):
    """The text is cut to 10,000 characters; the browser sends each line break as two. The
    coordinator confirms what was offered, without having to shorten it once more."""
    body = "\n".join(f"Regel {n}: Zoë Çelik-Ñúñez zag de bestelbus weer bij de loods." for n in range(4000))
    shown = page(upload(client, plain_mail(body=body)))
    assert "langer dan 10.000 tekens" in shown

    response = confirm(client, shown)
    assert response.status_code == 302, field_error(page(response), "description")
    description = all_signals()[0].description
    assert "\r" not in description and description == textarea(shown, "description").strip()


def test_a_meldpunt_mail_whose_file_was_just_destroyed_is_explained_not_a_500(app, client, coordinator, store):
    """Retention removes a due e-mail's file from the store first and marks the concept handled
    at its commit; a coordinator who opens the e-mail in between (or after the store lost the
    file) is told it is no longer there."""
    concept = mailbox.add_concept(plain_mail(), store)
    db.session.commit()
    store.delete(concept.file_id)  # retention's first step, its commit still to come
    url = f"/meldingen/e-mail/{concept.id}/registreren"
    token = hidden(page(client.get("/meldingen/e-mail")), "csrf_token")

    for send in (lambda: client.get(url), lambda: client.post(url, data={"csrf_token": token})):
        response = send()
        assert response.status_code == 302 and response.headers["Location"].endswith("/meldingen/e-mail")
        listed = page(client.get("/meldingen/e-mail"))
        assert "niet meer beschikbaar" in listed
    assert_nothing_saved(store)
    db.session.expire_all()
    assert db.session.get(MailConcept, concept.id).handled_at is None  # retention's commit decides


def image_only_mail() -> bytes:
    message = EmailMessage()
    message["From"] = "Zoë Çelik-Ñúñez <zoe@voorbeeld.test>"
    message["Subject"] = "Foto"
    message["Date"] = "Mon, 30 Nov 2026 15:05:00 +0100"
    message.set_content(DEMO_PNG, maintype="image", subtype="png", disposition="inline")
    return bytes(message)


@pytest.mark.parametrize(("data", "name"), [
    (make_msg(subject="Bestelbus", body=None, rtf_body=RTF_ONLY, sender_name="Zoë Çelik-Ñúñez",
              sender_address="zoe@voorbeeld.test"), "melding.msg"),
    (image_only_mail(), "foto.eml"),
    # RTF the RTF reader of extract-msg trips over (a font without a family: KeyError), as
    # it does on real Outlook messages (TeamMsgExtractor/msg-extractor#271, #480).
    (make_msg(subject="Bestelbus", body=None, rtf_body=RTF_TRIPS, sender_address="zoe@voorbeeld.test"),
     "outlook-rtf.msg"),
])
def test_a_mail_without_text_that_can_be_read_says_so_above_the_form(client, coordinator, data, name):
    """An Outlook message kept only as RTF, or a mail of one photo: the description has no body
    text, and the page says why instead of leaving the coordinator to notice it is missing."""
    shown = page(upload(client, data, name))
    assert 'name="mail_token"' in shown
    assert "zag de bestelbus" not in textarea(shown, "description")
    assert NO_TEXT in shown

    text_mail = page(upload(client, plain_mail()))
    assert NO_TEXT not in text_mail


def raw_8bit_mail(encoding: str) -> bytes:
    """Headers in 8-bit without encoded words, as older mailers and scripts send them."""
    return ("From: Zoë Çelik-Ñúñez <zoe@voorbeeld.test>\r\nMessage-ID: <8bit-" + encoding + "@voorbeeld.test>\r\n"
            "Date: Mon, 30 Nov 2026 15:05:00 +0100\r\nSubject: Één pand aan de Brink, huur € 950\r\n"
            "Content-Type: text/plain; charset=" + encoding + "\r\n\r\nDe ramen zijn afgeplakt.\r\n").encode(encoding)


@pytest.mark.parametrize("encoding", ["windows-1252", "utf-8"])
def test_a_subject_in_raw_8_bit_keeps_its_letters_in_the_form_and_the_mailbox_list(
        app, client, coordinator, encoding):
    shown = page(upload(client, raw_8bit_mail(encoding)))
    assert "Onderwerp: Één pand aan de Brink, huur € 950" in textarea(shown, "description")

    mailbox.add_concept(raw_8bit_mail(encoding), app.extensions["casustafel_store"])
    db.session.commit()
    assert "Één pand aan de Brink, huur € 950" in page(client.get("/meldingen/e-mail"))


def signed_mail() -> bytes:
    """An S/MIME-signed mail (RFC 8551: multipart/signed, the text and then smime.p7s), as many
    government senders' mail clients sign every mail."""
    signed = MIMEMultipart("signed", protocol="application/pkcs7-signature", micalg="sha-256")
    signed.attach(MIMEText("Zoë Çelik-Ñúñez meldt: de loods aan de Kade staat weer vol.", "plain", "utf-8"))
    signature = MIMEApplication(b"0\x82\x05\x00" + bytes(300), "pkcs7-signature", name="smime.p7s")
    signature.add_header("Content-Disposition", "attachment", filename="smime.p7s")
    signed.attach(signature)
    signed["From"] = "Piet Politie <piet@politie.test>"
    signed["Subject"] = "Getekend: loods aan de Kade"
    signed["Date"] = "Mon, 30 Nov 2026 15:05:00 +0100"
    return signed.as_bytes()


def test_a_signed_mail_is_taken_over_without_its_signature_as_an_attachment(client, coordinator):
    """The signature is no document of the signal (and its type is refused as an upload); the mail
    itself, signature included, is kept as the signal's attachment."""
    parsed = parse_mail(signed_mail(), "getekend.eml")
    assert parsed.body_text == "Zoë Çelik-Ñúñez meldt: de loods aan de Kade staat weer vol."
    assert parsed.attachments == []

    shown = page(upload(client, signed_mail()))
    assert "de loods aan de Kade staat weer vol" in textarea(shown, "description")
    assert confirm(client, shown).status_code == 302
    assert [a.filename for a in all_signals()[0].attachments] == ["melding.eml"]


def test_a_mail_whose_text_part_is_empty_takes_the_text_of_its_html_part():
    message = EmailMessage()
    message["From"] = "zoe@voorbeeld.test"
    message["Subject"] = "Bestelbus"
    message.set_content("\n")
    message.add_alternative("<p>Zoë Çelik-Ñúñez zag de bestelbus weer bij de loods.</p>", subtype="html")

    parsed = parse_mail(bytes(message), "melding.eml")

    assert parsed.body_text == "Zoë Çelik-Ñúñez zag de bestelbus weer bij de loods."
    assert parsed.body_from_html


def test_every_text_part_of_a_mixed_mail_is_kept_in_order_not_only_the_first():
    """A mail client that puts text, a photo and more text one after the other (multipart/mixed):
    the second text is part of the message, not the other form of the first."""
    mixed = MIMEMultipart("mixed")
    mixed["From"] = "zoe@voorbeeld.test"
    mixed["Subject"] = "Twee delen"
    mixed.attach(MIMEText("Eerste deel: de bestelbus staat er weer.", "plain", "utf-8"))
    photo = MIMEApplication(DEMO_PNG, "png", name="foto.png")
    photo.replace_header("Content-Type", 'image/png; name="foto.png"')
    photo.add_header("Content-Disposition", "inline", filename="foto.png")
    mixed.attach(photo)
    mixed.attach(MIMEText("Tweede deel: het adres is Dorpsstraat 12, bij Zoë Çelik-Ñúñez.", "plain", "utf-8"))

    parsed = parse_mail(mixed.as_bytes(), "melding.eml")

    assert parsed.body_text == ("Eerste deel: de bestelbus staat er weer.\n\n"
                                "Tweede deel: het adres is Dorpsstraat 12, bij Zoë Çelik-Ñúñez.")
    assert [a.filename for a in parsed.attachments] == ["foto.png"]


def test_a_mail_over_the_limit_is_named_without_its_folders_or_direction_marks(app, client, coordinator, monkeypatch):
    """A client can send a path with the name; a name can hide its true extension behind a
    right-to-left mark. The message names the file as it would be stored."""
    monkeypatch.setitem(app.config, "MAIL_INTAKE_MAX_BYTES", 1024 * 1024)
    data = plain_mail(attachments=(("scan.pdf", bytes(1024 * 1024)),))
    response = upload(client, data, "../../home/zoë.çelik/Bureaublad/melding-\u202elmx.eml")
    message = field_error(page(response), "mail")
    assert "‘melding-lmx.eml’ is groter dan 1 MB" in message
    assert "Bureaublad" not in message and "\u202e" not in message


def test_deeply_nested_html_is_read_as_text():
    """Anyone can mail the meldpunt: 30,000 nested blocks (under 1 MB) once took minutes to turn
    into text, every time a coordinator opened the e-mail, past any worker's timeout."""
    depth = 30_000
    html = ("<div><p>" * depth + "Zoë Çelik-Ñúñez zag de bestelbus.<br>Dorpsstraat 12" + "</p></div>" * depth
            + "<div><template>" * depth + "verborgen" + "</template></div>" * depth)
    text = html_to_text(html)
    assert text == "Zoë Çelik-Ñúñez zag de bestelbus.\nDorpsstraat 12"


def test_html_becomes_text_with_its_paragraphs_lines_and_without_what_is_not_shown():
    html = ("<html><head><title>Titel</title><style>p {color: red}</style></head><body>"
            "<!-- opmerking --><p>Eerste alinea,<br>tweede regel.</p><script>alert(1)</script>"
            "<ul><li>Zoë</li><li>Çelik</li></ul><table><tr><td>Dorpsstraat</td><td>12</td></tr></table>"
            "<div>Laatste <b>regel</b> &amp; meer<![CDATA[ en cdata]]></div></body></html>")
    assert html_to_text(html) == ("Eerste alinea,\ntweede regel.\n\nZoë\nÇelik\n\nDorpsstraat12\n\n"
                                  "Laatste regel & meer en cdata")


def mail_of_many_parts(count: int) -> bytes:
    parts = "".join("--grens\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nZoë\r\n" for _ in range(count))
    return ("From: zoe@voorbeeld.test\r\nSubject: Veel delen\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=grens\r\n\r\n" + parts + "--grens--\r\n").encode()


def test_a_mail_of_tens_of_thousands_of_parts_is_refused_at_once_with_a_message(client, coordinator):
    """Under the size limit a mail can hold 200,000 empty parts, which the standard library takes
    minutes to parse: refused before parsing. A mail with a few hundred parts is still read."""
    response = upload(client, mail_of_many_parts(50_000), "veel-delen.eml")
    assert "‘veel-delen.eml’ heeft te veel delen" in field_error(page(response), "mail")

    assert parse_mail(mail_of_many_parts(500), "melding.eml").body_text.count("Zoë") == 500


def mail_with_a_subject_of_encoded_words(count: int) -> bytes:
    subject = "\r\n ".join(["=?utf-8?q?Zo=C3=AB_=C3=87elik-=C3=91=C3=BA=C3=B1ez?="] * count)
    return (f"From: =?utf-8?q?Zo=C3=AB?= <zoe@voorbeeld.test>\r\nSubject: {subject}\r\n"
            "Message-ID: <lang-onderwerp@voorbeeld.test>\r\nDate: Mon, 30 Nov 2026 15:05:00 +0100\r\n"
            "\r\nDe bestelbus staat er weer.\r\n").encode()


def test_a_subject_of_a_megabyte_of_encoded_words_is_read_from_its_start(app, client, coordinator):
    """Decoding a header takes time with the square of its length: a 1 MB subject held
    `flask mail fetch` (every run) and each coordinator who opened the e-mail for minutes."""
    raw = mail_with_a_subject_of_encoded_words(25_000)
    concept = mailbox.add_concept(raw, app.extensions["casustafel_store"])
    db.session.commit()
    assert concept.subject.startswith("Zoë Çelik-ÑúñezZoë Çelik-Ñúñez") and concept.sender == "Zoë <zoe@voorbeeld.test>"

    response = client.get(f"/meldingen/e-mail/{concept.id}/registreren")
    description = textarea(page(response), "description")
    assert description.startswith("Afzender: Zoë <zoe@voorbeeld.test>\nOnderwerp: Zoë Çelik-Ñúñez")
    assert "De bestelbus staat er weer." in description


def test_a_sender_of_nested_comments_becomes_a_concept_and_is_explained_when_opened(app, client, coordinator):
    """RFC 5322 allows comments in comments; the email package parses them recursively and runs out
    of stack. Such a mail failed every fetch and stayed in the mailbox for good."""
    raw = ("From: " + "(" * 3000 + "zoe@voorbeeld.test" + ")" * 3000 + "\r\nSubject: Zoë Çelik-Ñúñez\r\n"
           "Message-ID: <haakjes@voorbeeld.test>\r\n\r\nDe bestelbus staat er weer.\r\n").encode()
    concept = mailbox.add_concept(raw, app.extensions["casustafel_store"])
    db.session.commit()
    assert concept.subject == "Zoë Çelik-Ñúñez" and concept.sender.startswith("(((")

    shown = page(client.get(f"/meldingen/e-mail/{concept.id}/registreren"))
    assert textarea(shown, "description") == "Onderwerp: Zoë Çelik-Ñúñez\n\nDe bestelbus staat er weer."


def test_a_content_type_of_thousands_of_parameters_is_refused_at_once_with_a_message(client, coordinator):
    """Every look at a part's type parses its Content-Type again: 600 kB of parameters took a
    minute for each coordinator who opened the e-mail. No real mail has such a header."""
    parameters = "; ".join(f'x{n}="=?utf-8?q?Zo=C3=AB?="' for n in range(20_000))
    raw = (f"From: zoe@voorbeeld.test\r\nSubject: Zoë Çelik-Ñúñez\r\nContent-Type: text/plain; charset=utf-8; "
           f"{parameters}\r\n\r\nDe bestelbus staat er weer.\r\n").encode()
    response = upload(client, raw, "parameters.eml")
    assert "‘parameters.eml’ heeft een kopregel die te lang is" in field_error(page(response), "mail")


def test_an_html_mail_of_many_megabytes_is_read_from_its_start_and_says_so(client, coordinator):
    """19 MB of HTML took a minute and gigabytes of memory to turn into text, at every opening.
    Only its start is read (far more than the description holds), and the page says so."""
    message = EmailMessage()
    message["From"] = "zoe@voorbeeld.test"
    message["Subject"] = "Nieuwsbrief"
    message.set_content("<p>Zoë Çelik-Ñúñez zag de bestelbus.</p>" + "<p>x</p>" * 300_000, subtype="html")
    parsed = parse_mail(bytes(message), "groot.eml")
    assert parsed.body_text.startswith("Zoë Çelik-Ñúñez zag de bestelbus.") and parsed.body_cut

    shown = page(upload(client, bytes(message), "groot.eml"))
    assert "te groot om helemaal als tekst over te nemen" in shown
    assert not parse_mail(plain_mail(), "melding.eml").body_cut


def test_an_invitation_and_outlook_packaging_stay_in_the_mail_and_do_not_refuse_it(client, coordinator, store):
    """A forwarded meeting invitation (text/calendar, as Outlook sends it: an alternative of the
    body without a name) and Outlook's winmail.dat are no allowed upload type: the whole mail was
    refused. They are no document of the signal; they stay inside the mail, which is kept."""
    message = EmailMessage()
    message["From"] = "Zoë Çelik-Ñúñez <z.celik@politie.test>"
    message["Subject"] = "FW: Uitnodiging casusoverleg Dorpsstraat 12"
    message["Date"] = "Mon, 30 Nov 2026 15:05:00 +0100"
    message.set_content("Zie de uitnodiging; de bestelbus stond er weer.")
    message.add_alternative("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", subtype="calendar")
    message.add_attachment(b"\x78\x9f\x3e\x22" + bytes(60), maintype="application", subtype="ms-tnef",
                           filename="winmail.dat")
    message.add_attachment(DEMO_PNG, maintype="image", subtype="png", filename="bestelbus.png")

    parsed = parse_mail(bytes(message), "uitnodiging.eml")
    assert [a.filename for a in parsed.attachments] == ["bestelbus.png"]
    assert len(parsed.left_in_mail) == 2 and "winmail.dat" in parsed.left_in_mail

    shown = page(upload(client, bytes(message), "uitnodiging.eml"))
    assert "blijft in de bewaarde e-mail zelf" in shown and "winmail.dat" in shown
    assert confirm(client, shown).status_code == 302
    (signal,) = all_signals()
    assert [a.filename for a in signal.attachments] == ["uitnodiging.eml", "bestelbus.png"]
