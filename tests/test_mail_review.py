"""Outside review of issue 16's mail intake: real mails from Dutch municipal mailboxes, as
Outlook and other mailers really send them (charsets missing or wrong, raw UTF-8 headers)."""


from datetime import UTC, datetime

import pytest

from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models import MailConcept
from casustafel.retention import destruction
from casustafel.signals import mailbox
from casustafel.signals.mail_intake import parse_mail
from tests.helpers.mail import hidden, plain_mail, textarea, upload
from tests.helpers.signals import all_signals, page, phenomenon_id

URL = "/meldingen/registreren/e-mail"
NAME = "Zoë Çelik-Ñúñez"
TEXT = "Café ‘De Gracht’ betaalt € 500 contant; de eigenaar is Ñúñez."


def raw_mail(from_header: bytes, body: bytes, content_type: bytes = b"") -> bytes:
    return (b"From: " + from_header + b"\r\nTo: meldpunt@gemeente.test\r\nSubject: Melding pand\r\n"
            b"Date: Tue, 1 Dec 2026 08:00:00 +0100\r\nMIME-Version: 1.0\r\n" + content_type + b"\r\n" + body + b"\r\n")


@pytest.fixture
def coordinator(client, make_user, login_as, store):
    user = make_user("coordinator", name="Carla Coördinator")
    login_as(user)
    return user


def confirm(client, shown: str):
    data = {"csrf_token": hidden(shown, "csrf_token"), "mail_token": hidden(shown, "mail_token"),
            "channel": "email", "phenomenon_id": str(phenomenon_id()), "description": textarea(shown, "description"),
            "subjects-0-kind": "persoon", "subjects-0-role": "vermoedelijk_betrokkene"}
    return client.post(URL, data=data, content_type="multipart/form-data")


def test_a_sender_name_in_raw_utf8_is_read_and_the_signal_registers(client, coordinator):
    raw = raw_mail(f'"{NAME}" <z.celik@gemeente.test>'.encode(), TEXT.encode(),
                   b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n")
    assert parse_mail(raw, "m.eml").sender_name == NAME

    shown = upload(client, raw)
    assert shown.status_code == 200
    assert f"Afzender: {NAME} <z.celik@gemeente.test>" in textarea(page(shown), "description")
    done = confirm(client, page(shown))
    assert done.status_code == 302
    assert len(all_signals()) == 1


@pytest.mark.parametrize("content_type", [
    b"",  # Outlook's 8-bit text with no charset at all
    b"Content-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n",
    b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n",  # a charset that lies
    b"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n",  # with € and quotes
])
def test_a_windows_1252_body_without_a_true_charset_keeps_its_letters(content_type):
    parsed = parse_mail(raw_mail(b"Jan <jan@gemeente.test>", TEXT.encode("cp1252"), content_type), "m.eml")
    assert parsed.body_text == TEXT
    assert "\ufffd" not in parsed.body_text


def test_a_utf8_body_without_a_charset_keeps_its_letters():
    parsed = parse_mail(raw_mail(b"Jan <jan@gemeente.test>", TEXT.encode()), "m.eml")
    assert parsed.body_text == TEXT


@pytest.mark.parametrize("date_header", [
    "Thu, 01 Jan 1970 00:00:00 +0000",  # a sender's clock that was never set
    "Mon, 01 Jan 1996 09:00:00 +0100",
    "Tue, 01 Dec 2099 08:00:00 +0100",  # a clock, or a spammer, far ahead
])
def test_the_mailbox_does_not_take_a_sender_s_impossible_date_as_the_moment_of_receipt(app, store, date_header):
    """Retention counts an unhandled e-mail's term from its moment of receipt. A Date header from
    a wrong clock must not make a fresh e-mail due at once (destroyed before anyone saw it), nor
    keep one forever."""
    raw = plain_mail(sender=f"{NAME} <z.celik@gemeente.test>").replace(
        b"Mon, 30 Nov 2026 15:05:00 +0100", date_header.encode())
    before = utcnow()
    concept = mailbox.add_concept(raw, store)
    db.session.commit()
    assert before <= concept.received_at <= utcnow()  # the moment it was fetched

    destruction.run_retention(None, utcnow(), dry_run=False, origin="cli")
    db.session.expire_all()
    kept = db.session.get(MailConcept, concept.id)
    assert kept.handled_at is None and kept.file_id is not None
    assert kept.sender == f"{NAME} <z.celik@gemeente.test>"



@pytest.mark.parametrize(("date_header", "utc"), [
    ("Mon, 30 Nov 2026 15:05:00 CET", datetime(2026, 11, 30, 14, 5)),  # a zone name, not an offset
    ("Mon, 30 Nov 2026 15:05:00 MEZ", datetime(2026, 11, 30, 14, 5)),  # the same, in German
    ("Mon, 30 Nov 2026 15:05:00 CEST", datetime(2026, 11, 30, 13, 5)),
    ("Mon, 30 Nov 2026 15:05:00 +0100 (CET)", datetime(2026, 11, 30, 14, 5)),
    ("Mon, 30 Nov 2026 15:05:00 -0000", datetime(2026, 11, 30, 15, 5)),  # UTC, the zone unknown
    ("Mon, 30 Nov 2026 15:05:00 GMT", datetime(2026, 11, 30, 15, 5)),
])
def test_a_european_zone_name_in_the_date_counts_as_its_offset(app, store, date_header, utc):
    """The standard library knows only American zone names: 15:05 CET was read as 15:05 UTC, so
    the signal's received date and the retention term were an hour off (a day, near midnight)."""
    raw = plain_mail(sender=f"{NAME} <z.celik@gemeente.test>").replace(
        b"Mon, 30 Nov 2026 15:05:00 +0100", date_header.encode())
    assert parse_mail(raw, "melding.eml").sent_at == utc.replace(tzinfo=UTC)
    concept = mailbox.add_concept(raw, store)
    db.session.commit()
    assert concept.received_at == utc
