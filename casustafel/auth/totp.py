"""TOTP second factor: ±1 step window, each code accepted only once."""

import hmac
import time

import pyotp
import segno

ISSUER = "casustafel"


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """Render the enrolment QR code locally as inline SVG (no external service, no script)."""
    qr = segno.make(uri, error="m")
    return qr.svg_inline(scale=5, border=4, light="#fff", title="QR-code voor uw authenticator-app")


def accept_code(secret: str, code: str, last_step: int | None, now: float | None = None) -> int | None:
    """Return the time step the code belongs to, or None. Refuse a step at or before last_step."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int((time.time() if now is None else now) // totp.interval)
    for step in (current - 1, current, current + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def format_secret(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
