"""The coordinator's side of the meldpunt: registering signals from other channels, the list
of incoming signals and the signal itself (content only for the coordinator).
"""

import uuid

from flask import abort, render_template, request
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from casustafel.audit import record, record_denial
from casustafel.extensions import db
from casustafel.models import Signal
from casustafel.permissions import Role, can_view_signal_content, role_required
from casustafel.signals import bp
from casustafel.signals.forms import RegisterSignalForm
from casustafel.signals.views import submit_form

PAGE_SIZE = 25


@bp.route("/meldingen/registreren", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def register():
    form = RegisterSignalForm()
    channel = form.channel.data if request.method == "POST" and form.channel.data else "telefoon"
    return submit_form(form, channel, "signals/register.html")


@bp.route("/meldingen")
@role_required(Role.COORDINATOR)
def inbox():
    page = max(request.args.get("pagina", 1, type=int), 1)
    total = db.session.scalar(select(func.count()).select_from(Signal))
    signals = db.session.scalars(
        select(Signal)
        .options(selectinload(Signal.phenomenon))
        .order_by(Signal.received_at.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    record(current_user, "signal.listed", object_type="signal", purpose="casustafel")
    db.session.commit()
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return render_template("signals/inbox.html", signals=signals, page=page, pages=pages, total=total)


def get_signal_or_404(signal_id: uuid.UUID) -> Signal:
    """Raise 404 (and log the denial) unless the user may see the signal's content."""
    signal = db.session.get(Signal, signal_id)
    if signal is None or not can_view_signal_content(current_user, signal):
        record_denial(current_user, "signal", signal_id)
        abort(404)
    return signal


@bp.route("/meldingen/<uuid:signal_id>")
@role_required(Role.COORDINATOR)
def detail(signal_id):
    signal = get_signal_or_404(signal_id)
    record(current_user, "signal.viewed", signal, subjects=[str(s.id) for s in signal.subjects],
           purpose="casustafel")
    db.session.commit()
    return render_template("signals/detail.html", signal=signal)
