"""Preparing a meeting from its page: invite a standing group or the previous meeting's
invitees in one step, move agenda items up or down, take an item off a concept agenda."""

from flask import flash, redirect, request, url_for
from flask_login import current_user

from casustafel import dates
from casustafel.extensions import db
from casustafel.meetings import preparation, prepare_services, services
from casustafel.meetings.common import get_item_or_404, get_meeting_or_404, render_detail
from casustafel.meetings.prepare_forms import InviteGroupForm
from casustafel.models import InviteeGroup, MeetingStatus
from casustafel.models.roles import Role
from casustafel.permissions import role_required
from casustafel.signals.workflow import TransitionError
from casustafel.web import render_logged
from casustafel.web.routes import Routes
from casustafel.wording import counted

routes = Routes()


def late_2a_note(meeting, open_before: set) -> str:
    """A sentence for the flash when inviting asked check 2A again for items (a department the
    decided 2A did not cover), else ''."""
    asked = len(preparation.open_2a_ids(meeting) - open_before)
    if not asked:
        return ""
    return (f" Privacytoets 2A is opnieuw aangevraagd voor {counted(asked, 'agendapunt', 'agendapunten')}: "
            "een nieuwe afdeling ziet pas gegevens na dat besluit.")


def invited_message(result: prepare_services.Invited) -> str:
    parts = [counted(len(result.invited), "deelnemer uitgenodigd", "deelnemers uitgenodigd")]
    if result.already:
        parts.append(counted(len(result.already), "was al uitgenodigd", "waren al uitgenodigd"))
    if result.inactive:
        parts.append(counted(len(result.inactive), "is geen actieve deelnemer meer en is overgeslagen",
                             "zijn geen actieve deelnemers meer en zijn overgeslagen"))
    return "; ".join(parts) + "."


def _back_to_invitees(meeting):
    return redirect(url_for("meetings.detail", meeting_id=meeting.id, _anchor="deelnemers"))


@routes.route("/<uuid:meeting_id>/deelnemers/groep", methods=["POST"])
@role_required(Role.COORDINATOR)
def invite_group(meeting_id):
    meeting = get_meeting_or_404(meeting_id)
    form = InviteGroupForm(prefix="group")
    form.fill(prepare_services.groups())
    if form.validate_on_submit():
        group = db.session.get(InviteeGroup, int(form.group_id.data))
        before = preparation.open_2a_ids(meeting)
        try:
            result = prepare_services.invite_group(current_user, meeting, group)
        except services.MeetingError as error:
            db.session.rollback()
            form.group_id.errors = [*form.group_id.errors, str(error)]
        else:
            note = late_2a_note(meeting, before)
            db.session.commit()
            flash(f"Groep ‘{group.name}’: {invited_message(result)}{note}", "success")
            return _back_to_invitees(meeting)
    return render_detail(meeting, group_form=form)


@routes.route("/<uuid:meeting_id>/deelnemers/vorig-overleg", methods=["POST"])
@role_required(Role.COORDINATOR)
def copy_invitees(meeting_id):
    meeting = get_meeting_or_404(meeting_id)
    before = preparation.open_2a_ids(meeting)
    try:
        previous, result = prepare_services.copy_previous_invitees(current_user, meeting)
    except services.MeetingError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        note = late_2a_note(meeting, before)
        when = dates.short_date(previous.held_at)
        db.session.commit()
        flash(f"Deelnemers van het overleg van {when} overgenomen: {invited_message(result)}{note}",
              "success")
    return _back_to_invitees(meeting)


@routes.route("/<uuid:meeting_id>/agendapunten/<uuid:item_id>/verplaatsen", methods=["POST"])
@role_required(Role.COORDINATOR)
def move_item(meeting_id, item_id):
    meeting = get_meeting_or_404(meeting_id)
    item = get_item_or_404(meeting, item_id)
    reference = item.signal.reference
    try:
        position = prepare_services.move_item(current_user, item, request.form.get("richting", ""))
    except services.MeetingError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(f"Melding {reference} staat nu op plaats {position}.", "success")
    return redirect(url_for("meetings.detail", meeting_id=meeting.id, _anchor="agenda"))


@routes.route("/<uuid:meeting_id>/agendapunten/<uuid:item_id>/van-de-agenda", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def remove_item(meeting_id, item_id):
    """GET says what taking the item off will do; POST does it."""
    meeting = get_meeting_or_404(meeting_id)
    item = get_item_or_404(meeting, item_id)
    if meeting.status != MeetingStatus.CONCEPT:
        flash("De agenda is gepubliceerd; een punt kan er niet meer af. Leg ‘volgende keer opnieuw bespreken’ "
              "vast als het niet wordt besproken.", "error")
        return redirect(url_for("meetings.detail", meeting_id=meeting.id, _anchor="agenda"))
    effect = prepare_services.removal_effect(item)
    if request.method == "POST":
        reference = item.signal.reference
        try:
            services.remove_item(current_user, item)
        except (services.MeetingError, TransitionError) as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(f"Melding {reference} is van de agenda gehaald en heeft weer de status "
                  f"‘{effect.back_to.lower()}’."
                  + (" De aangevraagde privacytoets 2A is vervallen." if effect.withdraws_2a else ""), "success")
        return redirect(url_for("meetings.detail", meeting_id=meeting.id, _anchor="agenda"))
    return render_logged("meetings/remove_item.html", meeting=meeting, item=item, effect=effect)
