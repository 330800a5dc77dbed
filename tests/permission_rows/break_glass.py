"""Role × endpoint rows of this feature (see tests/permission_rows/__init__.py).

Every role may ask for break-glass access, so the request page answers 200 to all (a POST
with only a CSRF token re-shows the form with messages). {grant} is a running grant of
ANOTHER user (the target) on the target's signal: it answers 404 to everyone.
"""

from datetime import timedelta

from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models import BreakGlass
from tests.conftest import ROLES

ANON = "anonymous"


def everyone(status, anon=302):
    return {ANON: anon, **{r: status for r in ROLES}}


ROWS = {
    "breakglass.request_access": ("GET", "/noodtoegang/", everyone(200)),
    "breakglass.grant": ("GET", "/noodtoegang/{grant}", everyone(404)),
    "breakglass.end": ("POST", "/noodtoegang/{grant}/beeindigen", everyone(404)),
}
NEEDS_SIGNAL = {"{grant}"}


def prepare(url: str, *, signal, target) -> dict:
    if "{grant}" not in url:
        return {}
    now = utcnow()
    grant = BreakGlass(user_id=target.id, role="reporter", signal_id=signal.id,
                       signal_reference=signal.reference, started_at=now, expires_at=now + timedelta(minutes=30))
    grant.reason = "Een reden van een andere gebruiker"
    db.session.add(grant)
    db.session.commit()
    return {"grant": grant.id}
