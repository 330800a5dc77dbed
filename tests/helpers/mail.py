"""Generated e-mails and the reading of the registration form filled from one (issue 16):
shared by the tests of the mail intake and of the meldpunt mailbox's concepts."""

import html
import io
import re
from datetime import UTC, datetime
from email.message import EmailMessage

from casustafel.demo import DEMO_PDF, DEMO_PNG
from tests.conftest import csrf_from

SENDER = "Zoë Çelik-van 't Hoff"
ADDRESS = "Zoe.Celik@Voorbeeld.test"
SUBJECT = "Verdachte situatie — Dorpsstraat 12 ✓"
SENT = datetime(2026, 11, 30, 14, 5, tzinfo=UTC)
MARKER = "Kanarie-Vlrbqz afgeplakte ramen achter de bakkerij"


def plain_mail(sender=f"{SENDER} <{ADDRESS}>", body=f"Goedemiddag,\n\n{MARKER}.\n\nMet groet,\nZoë",
               attachments=(("plattegrond.pdf", DEMO_PDF), ("foto-voorgevel.png", DEMO_PNG)),
               subject=SUBJECT) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "meldpunt@gemeente.test"
    message["Subject"] = subject
    message["Date"] = "Mon, 30 Nov 2026 15:05:00 +0100"
    message.set_content(body)
    for name, data in attachments:
        maintype, subtype = {"pdf": ("application", "pdf"), "png": ("image", "png")}.get(
            name.rsplit(".", 1)[-1], ("application", "octet-stream"))
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return bytes(message)


def hidden(text: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', text) or re.search(
        rf'<input[^>]*value="([^"]*)"[^>]*name="{name}"', text)
    assert match, name
    return html.unescape(match.group(1))


def textarea(text: str, field_id: str) -> str:
    match = re.search(rf'<textarea[^>]*id="{field_id}"[^>]*>(.*?)</textarea>', text, re.DOTALL)
    return html.unescape(match.group(1)).lstrip("\r\n")


INTAKE_URL = "/meldingen/registreren/e-mail"


def upload(client, data: bytes, filename="melding.eml"):
    """Choose an e-mail file on the registration page, as the coordinator does."""
    token = csrf_from(client.get("/meldingen/registreren"))
    return client.post(INTAKE_URL, data={"csrf_token": token, "mail": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")
