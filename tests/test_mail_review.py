"""Outside review of issue 16's mail intake: real mails from Dutch municipal mailboxes, as
Outlook and other mailers really send them (charsets missing or wrong, raw UTF-8 headers)."""

import io

import pytest

from casustafel.signals.mail_intake import parse_mail
from tests.conftest import csrf_from
from tests.helpers.mail import hidden, textarea
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


def upload(client, data: bytes, filename="melding.eml"):
    token = csrf_from(client.get("/meldingen/registreren"))
    return client.post(URL, data={"csrf_token": token, "mail": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


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
