"""The privacy officer's pages: open privacy checks and the decision on one of them.

The signal's content is shown only while the check is open for the user deciding it; once
decided, the page shows the decision and nothing of the signal. By setting, a small
municipality lets the coordinator decide instead; the privacy officers then see every such
decision and may reopen it (four eyes).
"""

import uuid

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.models import SHAREABLE_FIELDS, Action, Meeting, PrivacyCheck, Referral, SourceQuery
from casustafel.models.action import BIBOB_ACTION_HIDDEN
from casustafel.models.activity import activity_for_check
from casustafel.models.registers import register_labels
from casustafel.models.roles import Role
from casustafel.permissions import (
    can_decide_privacy_check,
    can_decide_privacy_checks,
    can_open_privacy_check,
    can_read_action_content,
    can_reopen_privacy_check,
    can_review_privacy_check,
    role_required,
)
from casustafel.privacy import activities
from casustafel.privacy.decisions import DecisionError, decide_privacy_check, invited_departments, reopen_privacy_check
from casustafel.privacy.forms import ReopenForm, decision_form
from casustafel.web import render_logged
from casustafel.web.access import load_or_404, require
from casustafel.web.routes import register_routes

bp = Blueprint("privacy", __name__, url_prefix="/privacy")
register_routes(bp, activities)

RECENT = 20


def get_check_or_404(check_id: uuid.UUID) -> PrivacyCheck:
    """The check, or 404 with a denial in the log unless the user may open it."""
    return load_or_404(PrivacyCheck, check_id, can_open_privacy_check)


@bp.route("/")
@role_required(Role.PRIVACY_OFFICER, Role.COORDINATOR)
def checks():
    require(can_decide_privacy_checks)
    open_checks = [c for c in db.session.scalars(
        select(PrivacyCheck).options(selectinload(PrivacyCheck.signal))
        .where(PrivacyCheck.status == "open").order_by(PrivacyCheck.requested_at)
    ) if can_decide_privacy_check(current_user, c)]
    decided = db.session.scalars(
        select(PrivacyCheck).options(selectinload(PrivacyCheck.signal))
        .where(PrivacyCheck.status == "besloten", PrivacyCheck.decided_by_id == current_user.id)
        .order_by(PrivacyCheck.decided_at.desc()).limit(RECENT)
    ).all()
    by_coordinator = []
    if current_user.has_role(Role.PRIVACY_OFFICER):
        by_coordinator = db.session.scalars(
            select(PrivacyCheck).options(selectinload(PrivacyCheck.signal))
            .where(PrivacyCheck.status == "besloten", PrivacyCheck.decided_role == "coordinator")
            .order_by(PrivacyCheck.decided_at.desc()).limit(RECENT)
        ).all()
    record(current_user, "privacy_check.listed", object_type="privacy_check", purpose="privacytoets")
    return render_logged("privacy/checks.html", open_checks=open_checks, decided=decided,
                         by_coordinator=by_coordinator)


@bp.route("/toetsen/<uuid:check_id>", methods=["GET", "POST"])
@role_required(Role.PRIVACY_OFFICER, Role.COORDINATOR)
def check(check_id):
    check = get_check_or_404(check_id)
    if not can_decide_privacy_check(current_user, check):
        return _decided(check)
    departments = invited_departments(check) if check.kind == "2A" else []
    referral = db.session.get(Referral, check.referral_id) if check.referral_id else None
    form = decision_form(check, departments, requested=referral.data_categories if referral else ())
    if form.validate_on_submit():
        try:
            decide_privacy_check(current_user, check, **form.decision())
        except DecisionError as error:
            db.session.rollback()
            flash(str(error), "error")
            return redirect(url_for("privacy.check", check_id=check.id))
        db.session.commit()
        flash("Het besluit is vastgelegd. De inhoud van de melding is voor u niet meer zichtbaar.", "success")
        return redirect(url_for("privacy.check", check_id=check.id))
    signal = check.signal
    action = db.session.get(Action, check.action_id) if check.action_id else None
    record(current_user, "signal.viewed", signal, subjects=[str(s.id) for s in signal.subjects],
           purpose="privacytoets", processing_activity=activity_for_check(check.kind))
    return render_logged(
        "privacy/check.html", check=check, signal=signal, form=form, departments=departments,
        meeting=db.session.get(Meeting, check.meeting_id) if check.meeting_id else None,
        action=action,
        # An old Bibob-toets: its description stays with the coordinator (art. 28 Wet Bibob).
        action_hidden=BIBOB_ACTION_HIDDEN if action and not can_read_action_content(current_user, action) else None,
        queries=db.session.scalars(
            select(SourceQuery).where(SourceQuery.signal_id == signal.id).order_by(SourceQuery.queried_at)
        ).all(),
    )


def _decided(check: PrivacyCheck, reopen_form: ReopenForm | None = None, code: int = 200):
    """The decision alone: nothing of the signal's content."""
    if request.method == "POST" and reopen_form is None:
        flash("Over deze privacytoets is al besloten.", "error")
        return redirect(url_for("privacy.check", check_id=check.id))
    if reopen_form is None and can_reopen_privacy_check(current_user, check):
        reopen_form = ReopenForm(formdata=None)
    record(current_user, "privacy_check.viewed", check, purpose="privacytoets")
    return render_logged(
        "privacy/decided.html", check=check, registers=register_labels(), fields=SHAREABLE_FIELDS,
        department_names={d.id: d.name for d in invited_departments(check)}, reopen_form=reopen_form,
    ), code


@bp.route("/toetsen/<uuid:check_id>/heropenen", methods=["POST"])
@role_required(Role.PRIVACY_OFFICER)
def reopen(check_id):
    """Set aside a decision the coordinator recorded; the privacy officer decides it anew."""
    check = load_or_404(PrivacyCheck, check_id, can_review_privacy_check)
    form = ReopenForm()
    if not form.validate_on_submit():
        return _decided(check, form, 400)
    try:
        again = reopen_privacy_check(current_user, check, form.reason.data)
    except DecisionError as error:
        db.session.rollback()
        form.reason.errors.append(str(error))
        return _decided(check, form, 409)
    db.session.commit()
    flash("Het besluit is heropend. U besluit nu zelf over deze privacytoets.", "success")
    return redirect(url_for("privacy.check", check_id=again.id))
