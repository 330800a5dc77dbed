"""Role × endpoint rows of data-subject requests (see tests/permission_rows/__init__.py).

Only the privacy officer handles requests. {subject_request} is an open request about the
person of the row's signal, with a decision "geen beperking" so its answer can be exported.
"""

from datetime import date

from casustafel.extensions import db
from tests.conftest import ROLES

ANON = "anonymous"


def only(allowed_status, *roles, anon=302, other=403):
    return {ANON: anon, **{r: (allowed_status if r in roles else other) for r in ROLES}}


ROWS = {
    "subject_requests.index": ("GET", "/verzoeken/", only(200, "privacy_officer")),
    "subject_requests.new": ("GET", "/verzoeken/nieuw", only(200, "privacy_officer")),
    "subject_requests.detail": ("GET", "/verzoeken/{subject_request}", only(200, "privacy_officer")),
    # The bare POST of the table has no restriction chosen: the page comes back with the message.
    "subject_requests.decide": ("POST", "/verzoeken/{subject_request}/besluit", only(200, "privacy_officer")),
    "subject_requests.close": ("POST", "/verzoeken/{subject_request}/afhandelen", only(302, "privacy_officer")),
    "subject_requests.export": ("GET", "/verzoeken/{subject_request}/antwoord.pdf", only(200, "privacy_officer")),
}
NEEDS_SIGNAL = {"{subject_request}"}


def prepare(url: str, *, signal, target) -> dict:
    if "{subject_request}" not in url:
        return {}
    from casustafel.subject_requests import services

    request = services.create_request(target, type="inzage", received_on=date.today(), name="Jan Jansen",
                                      birth_date=date(1980, 1, 2))
    services.decide(None, request, restriction="geen", ground=None, note=None)
    db.session.commit()
    return {"subject_request": request.id}
