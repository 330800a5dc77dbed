"""Role × endpoint rows of retention (see tests/permission_rows/__init__.py).

The privacy officer sees what is due, runs a dry run and downloads the verklaring van
vernietiging; the admin sets the terms. {run} is a finished real run.
"""

from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models import RetentionRun
from tests.conftest import ROLES

ANON = "anonymous"


def only(allowed_status, *roles, anon=302, other=403):
    return {ANON: anon, **{r: (allowed_status if r in roles else other) for r in ROLES}}


ROWS = {
    "retention.index": ("GET", "/bewaren/", only(200, "privacy_officer")),
    "retention.dry_run": ("POST", "/bewaren/proefrun", only(302, "privacy_officer")),
    "retention.run": ("GET", "/bewaren/runs/{run}", only(200, "privacy_officer")),
    "retention.statement": ("GET", "/bewaren/runs/{run}/verklaring.pdf", only(200, "privacy_officer")),
    "retention.terms": ("GET", "/beheer/bewaartermijnen", only(200, "admin")),
}


def prepare(url: str, *, signal, target) -> dict:
    if "{run}" not in url:
        return {}
    now = utcnow()
    run = RetentionRun(started_at=now, finished_at=now, dry_run=False, origin="cli", summary=None)
    db.session.add(run)
    db.session.commit()
    return {"run": run.id}
