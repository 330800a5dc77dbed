"""Break-glass pages: request access, read the signal while the grant lasts, end it early.

Every role may ask (can_request_break_glass); a grant page answers only its own user while
the grant runs (can_use_break_glass): anything else is a 404 with a denial in the log.
"""

import uuid

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from casustafel.audit_log import record_denial
from casustafel.breakglass import services
from casustafel.breakglass.forms import RequestForm
from casustafel.dates import local_time, utcnow
from casustafel.extensions import db
from casustafel.forms import Form
from casustafel.models import STATUSES, BreakGlass, Signal, SignalEvent
from casustafel.models.roles import Role
from casustafel.permissions import can_request_break_glass, can_use_break_glass, role_required
from casustafel.web.access import fresh_login_required, load_or_404, require

bp = Blueprint("breakglass", __name__, url_prefix="/noodtoegang")

# Break-glass is recorded under the user's name whatever role is active; the order only picks the
# role shown next to it (the most telling one first).
ANY_ROLE = (Role.ADMIN, Role.PRIVACY_OFFICER, Role.COORDINATOR, Role.MEMBER, Role.REPORTER)
UNKNOWN_SIGNAL = "Er is geen melding met dit kenmerk die u kunt openen. Controleer het kenmerk."


class EndForm(Form):
    pass




def _grant_or_404(grant_id: uuid.UUID) -> tuple[BreakGlass, Signal]:
    """Raise 404 (and log the denial) unless the grant is the user's own and still running."""
    grant = db.session.get(BreakGlass, grant_id)
    signal = db.session.get(Signal, grant.signal_id) if grant and grant.signal_id else None
    if (grant is None or signal is None or signal.destroyed_at is not None
            or not can_use_break_glass(current_user, grant, utcnow())):
        record_denial(current_user, "break_glass", grant_id)
        abort(404)
    return grant, signal


@bp.route("/", methods=["GET", "POST"])
@role_required(*ANY_ROLE)
@fresh_login_required(methods=("POST",))
def request_access():
    require(can_request_break_glass)
    form = RequestForm()
    if form.is_submitted() and not form.validate():
        services.record_refusal(current_user, g.active_role, None, "formulier")
        db.session.commit()
    elif form.is_submitted():
        now = utcnow()
        signal = services.find_signal(form.signal_reference.data)
        existing = services.active_grant_for(current_user, signal, now) if signal else None
        if signal is None:
            form.signal_reference.errors.append(UNKNOWN_SIGNAL)
            services.record_refusal(current_user, g.active_role, None, "onbekend_kenmerk")
            db.session.commit()
        elif existing is not None:
            form.signal_reference.errors.append(
                f"U hebt al noodtoegang tot deze melding, tot {local_time(existing.expires_at, '%H:%M')}."
            )
            services.record_refusal(current_user, g.active_role, signal, "al_actief")
            db.session.commit()
        else:
            grant = services.grant_access(current_user, g.active_role, signal, form.reason.data,
                                          form.duration.data, now)
            db.session.commit()
            flash(f"Noodtoegang tot {grant.signal_reference} geregistreerd, tot "
                  f"{local_time(grant.expires_at, '%H:%M')}. De privacyfunctionaris is op de hoogte gebracht.",
                  "warning")
            return redirect(url_for("breakglass.grant", grant_id=grant.id))
    now = utcnow()
    grants = services.grants_of(current_user)
    return render_template(
        "breakglass/request.html", form=form, grants=grants, now=now, is_active=services.is_active,
        end_form=EndForm(),
    )


@bp.route("/<uuid:grant_id>")
@role_required(*ANY_ROLE)
def grant(grant_id):
    grant, signal = _grant_or_404(grant_id)
    events = db.session.scalars(
        select(SignalEvent).where(SignalEvent.signal_id == signal.id).order_by(SignalEvent.occurred_at)
    ).all()
    page = render_template(
        "breakglass/grant.html", grant=grant, signal=signal, events=events, statuses=STATUSES,
        end_form=EndForm(),
    )
    # Logged after rendering (nothing reloads after the commit); the page leaves only once stored.
    services.record_signal_viewed(current_user, grant, signal)
    db.session.commit()
    return page


@bp.route("/<uuid:grant_id>/beeindigen", methods=["POST"])
@role_required(*ANY_ROLE)
def end(grant_id):
    grant = load_or_404(BreakGlass, grant_id, lambda user, row: row.user_id == user.id)
    if not EndForm().validate_on_submit():
        abort(400)
    if not can_use_break_glass(current_user, grant, utcnow()):
        flash("Deze noodtoegang was al afgelopen.", "info")
        return redirect(url_for("breakglass.request_access"))
    services.end_access(current_user, grant, utcnow())
    db.session.commit()
    flash(f"De noodtoegang tot {grant.signal_reference} is beëindigd.", "success")
    return redirect(url_for("breakglass.request_access"))
