"""E-mail notifications that say only that there is news, never what.

Messages go to the outbox table in the same transaction; `flask mail send` delivers them by
SMTP when MAIL_SERVER is set, or prints them in development.
"""

import smtplib
from email.message import EmailMessage

from flask import current_app, url_for
from sqlalchemy import select

from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models import Notification


def notify(recipient, subject: str, body: str) -> Notification:
    link = current_app.config.get("PUBLIC_URL")
    if not link and current_app.config.get("ENV_NAME") != "production":
        try:  # development only: production requires PUBLIC_URL, never trusting the Host header
            link = url_for("main.home", _external=True)
        except RuntimeError:  # outside a request (CLI)
            link = ""
    message = Notification(recipient_id=recipient.id, subject=subject, body=f"{body}\n\n{link}".strip())
    db.session.add(message)
    return message


def deliver_pending(limit: int = 100) -> int:
    """Send queued notifications; return how many were sent. The caller commits."""
    pending = db.session.scalars(
        select(Notification).where(Notification.sent_at.is_(None)).order_by(Notification.created_at).limit(limit)
    ).all()
    server = current_app.config.get("MAIL_SERVER")
    sent = 0
    for message in pending:
        if server:
            email = EmailMessage()
            email["From"] = current_app.config["MAIL_FROM"]
            email["To"] = message.recipient.email
            email["Subject"] = message.subject
            email.set_content(message.body)
            with smtplib.SMTP(server, current_app.config.get("MAIL_PORT", 25), timeout=30) as smtp:
                if current_app.config.get("MAIL_STARTTLS", True):
                    smtp.starttls()
                if current_app.config.get("MAIL_USERNAME"):
                    smtp.login(current_app.config["MAIL_USERNAME"], current_app.config["MAIL_PASSWORD"])
                smtp.send_message(email)
        else:
            current_app.logger.info("notification for %s: %s", message.recipient_id, message.subject)
        message.sent_at = utcnow()
        sent += 1
    return sent
