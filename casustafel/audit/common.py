"""What the privacy officer's log pages share: their purpose and the policy gate."""

from flask import abort, request
from flask_login import current_user

from casustafel.audit_log import record_denial

PURPOSE = "toezicht"


def guard(policy) -> None:
    """403 (and a denial in the log) unless `policy(current_user)` allows the page."""
    if not policy(current_user):
        record_denial(current_user, "endpoint", request.endpoint)
        abort(403)
