"""Role × endpoint rows of the privacy officer's log tools (see tests/permission_rows/__init__.py).

The row for the log itself ("audit.log") stays in tests/test_permissions.py TABLE.
"""

ROLES = ("reporter", "member", "coordinator", "privacy_officer", "admin")
ANON = "anonymous"


def only(allowed_status, *roles, anon=302, other=403):
    return {ANON: anon, **{r: (allowed_status if r in roles else other) for r in ROLES}}


ROWS = {
    "audit.checkpoint": ("POST", "/logboek/controlepunt", only(302, "privacy_officer")),
    "audit.export": ("GET", "/logboek/export.csv", only(200, "privacy_officer")),
    "audit.signal_timeline": ("GET", "/logboek/melding/{signal_reference}", only(200, "privacy_officer")),
    "audit.user_timeline": ("GET", "/logboek/gebruiker/{user}", only(200, "privacy_officer")),
    "audit.subject_lookup": ("GET", "/logboek/betrokkene", only(200, "privacy_officer")),
    "audit.anomaly_list": ("GET", "/logboek/afwijkingen", only(200, "privacy_officer")),
    # A sign-off without outcome and comment shows the form again with its errors.
    "audit.anomaly": ("POST", "/logboek/afwijkingen/{anomaly_key}", only(200, "privacy_officer")),
}
NEEDS_SIGNAL = {"{signal_reference}", "{anomaly_key}"}


def prepare(url: str, *, signal, target) -> dict:
    values = {}
    if "{signal_reference}" in url:
        values["signal_reference"] = signal.reference
    if "{anomaly_key}" in url:
        from casustafel.audit_log import record
        from casustafel.extensions import db

        event = record(target, "break_glass.granted", signal, purpose="noodtoegang", role="coordinator")
        db.session.commit()
        values["anomaly_key"] = f"break_glass:{event.seq}"
    return values
