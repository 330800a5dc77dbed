"""The Bibob page of a signal (/meldingen/<id>/bibob): the coordinator records a Bibob
investigation and the advice, and changes a record when the advice comes in. Each record shown
is logged as viewed; a form with errors comes back with what was typed and saves nothing."""

from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user

from casustafel.bibob.forms import BibobForm
from casustafel.bibob.services import (
    BibobError,
    bibob_records_of,
    record_bibob,
    record_viewed,
    update_bibob,
)
from casustafel.extensions import db
from casustafel.forms import show_error
from casustafel.models import BibobRecord, Signal
from casustafel.models.roles import Role
from casustafel.permissions import can_view_bibob, role_required
from casustafel.web import locking, render_logged
from casustafel.web.access import load_or_404

bp = Blueprint("bibob", __name__, url_prefix="/meldingen")

CONFLICT = locking.conflict_message("dit Bibob-dossier")
DESTROYED = "De inhoud van deze melding is vernietigd; er kan geen Bibob-onderzoek meer bij worden vastgelegd."


def _signal(signal_id) -> Signal:
    return load_or_404(Signal, signal_id, can_view_bibob)


def _record(signal, bibob_id) -> BibobRecord:
    return load_or_404(BibobRecord, bibob_id, lambda user, row: row.signal_id == signal.id
                       and can_view_bibob(user, signal))


def _page(signal, form, code: int = 200):
    records = bibob_records_of(signal)
    record_viewed(current_user, records)
    return render_logged("bibob/page.html", signal=signal, records=records, form=form), code


@bp.route("/<uuid:signal_id>/bibob")
@role_required(Role.COORDINATOR)
def page(signal_id):
    signal = _signal(signal_id)
    return _page(signal, BibobForm(formdata=None))


@bp.route("/<uuid:signal_id>/bibob", methods=["POST"])
@role_required(Role.COORDINATOR)
def create(signal_id):
    signal = _signal(signal_id)
    form = BibobForm()
    if signal.destroyed_at is not None:
        form.form_errors.append(DESTROYED)
        return _page(signal, form)
    if form.validate_on_submit():
        try:
            record_bibob(current_user, signal, form.to_input())
        except BibobError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash("Het Bibob-onderzoek is vastgelegd.", "success")
            return redirect(url_for("bibob.page", signal_id=signal.id))
    return _page(signal, form)


def _edit_page(signal, row, form, conflict: str | None = None, code: int = 200):
    record_viewed(current_user, [row])
    return render_logged("bibob/edit.html", signal=signal, row=row, form=form, conflict=conflict), code


@bp.route("/<uuid:signal_id>/bibob/<uuid:bibob_id>")
@role_required(Role.COORDINATOR)
def edit(signal_id, bibob_id):
    signal = _signal(signal_id)
    row = _record(signal, bibob_id)
    return _edit_page(signal, row, BibobForm(row, formdata=None))


@bp.route("/<uuid:signal_id>/bibob/<uuid:bibob_id>", methods=["POST"])
@role_required(Role.COORDINATOR)
def update(signal_id, bibob_id):
    signal = _signal(signal_id)
    row = _record(signal, bibob_id)
    form = BibobForm(row)
    if form.is_stale(row):
        return _edit_page(signal, row, form, conflict=CONFLICT, code=409)
    if form.validate_on_submit():
        try:
            update_bibob(current_user, row, form.to_input())
        except BibobError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            if locking.commit_or_conflict():
                flash("Het Bibob-onderzoek is bijgewerkt.", "success")
                return redirect(url_for("bibob.page", signal_id=signal.id))
            row = _record(signal, bibob_id)
            return _edit_page(signal, row, form, conflict=CONFLICT, code=409)
    return _edit_page(signal, row, form)
