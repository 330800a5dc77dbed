"""Standing groups of invitees, kept by the coordinator: a name and members, each with the
department they are invited for. A meeting's page invites a whole group in one step."""

from flask import abort, flash, redirect, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from casustafel.audit_log import record_denial
from casustafel.extensions import db
from casustafel.meetings import prepare_services, services
from casustafel.meetings.common import active_departments, parse_uuid
from casustafel.meetings.prepare_forms import GroupForm, GroupMemberForm
from casustafel.models import InviteeGroup, User
from casustafel.models.roles import Role
from casustafel.models.user import active_with_role
from casustafel.permissions import can_manage_meetings, role_required
from casustafel.web import render_logged
from casustafel.web.access import load_or_404
from casustafel.web.routes import Routes

routes = Routes()

TAKEN = "Er is zojuist een groep met deze naam aangemaakt. Kies een andere naam."


def get_group_or_404(group_id: int) -> InviteeGroup:
    return load_or_404(InviteeGroup, group_id, lambda user, _: can_manage_meetings(user))


def _commit_name(form: GroupForm) -> bool:
    """Commit a new or renamed group; a name taken at the same moment is a form error."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        form.name.errors = [*form.name.errors, TAKEN]
        return False
    return True


def render_groups(form=None, status=200):
    form = form or GroupForm(prefix="group")
    return render_logged("meetings/groups.html", groups=prepare_services.groups(), form=form), status


def render_group(group: InviteeGroup, *, name_form=None, member_form=None, status=200):
    name_form = name_form or GroupForm(prefix="name", data={"name": group.name})
    member_form = member_form or GroupMemberForm(prefix="member")
    in_group = {m.user_id for m in group.members}
    member_form.fill([u for u in active_with_role(Role.MEMBER) if u.id not in in_group], active_departments())
    members = sorted(group.members, key=lambda m: m.user.display_name)
    return render_logged("meetings/group.html", group=group, members=members, name_form=name_form,
                         member_form=member_form), status


@routes.route("/groepen")
@role_required(Role.COORDINATOR)
def groups():
    return render_groups()


@routes.route("/groepen", methods=["POST"])
@role_required(Role.COORDINATOR)
def group_new():
    form = GroupForm(prefix="group")
    if form.validate_on_submit():
        try:
            group = prepare_services.create_group(current_user, form.name.data)
        except services.MeetingError as error:
            db.session.rollback()
            form.name.errors = [*form.name.errors, str(error)]
        except IntegrityError:  # the same name, created at the same moment
            db.session.rollback()
            form.name.errors = [*form.name.errors, TAKEN]
        else:
            if _commit_name(form):
                flash(f"De groep ‘{group.name}’ is aangemaakt. Voeg nu de leden toe.", "success")
                return redirect(url_for("meetings.group", group_id=group.id))
    return render_groups(form)


@routes.route("/groepen/<int:group_id>")
@role_required(Role.COORDINATOR)
def group(group_id):
    return render_group(get_group_or_404(group_id))


@routes.route("/groepen/<int:group_id>/naam", methods=["POST"])
@role_required(Role.COORDINATOR)
def group_rename(group_id):
    group = get_group_or_404(group_id)
    form = GroupForm(prefix="name")
    if form.validate_on_submit():
        try:
            prepare_services.rename_group(current_user, group, form.name.data)
        except services.MeetingError as error:
            db.session.rollback()
            form.name.errors = [*form.name.errors, str(error)]
        else:
            if _commit_name(form):
                flash("De naam van de groep is gewijzigd.", "success")
                return redirect(url_for("meetings.group", group_id=group.id))
            group = get_group_or_404(group_id)
    return render_group(group, name_form=form)


@routes.route("/groepen/<int:group_id>/verwijderen", methods=["POST"])
@role_required(Role.COORDINATOR)
def group_delete(group_id):
    group = get_group_or_404(group_id)
    name = group.name
    prepare_services.delete_group(current_user, group)
    db.session.commit()
    flash(f"De groep ‘{name}’ is verwijderd. Wie met de groep is uitgenodigd, blijft uitgenodigd.", "success")
    return redirect(url_for("meetings.groups"))


@routes.route("/groepen/<int:group_id>/leden", methods=["POST"])
@role_required(Role.COORDINATOR)
def group_add_member(group_id):
    group = get_group_or_404(group_id)
    form = GroupMemberForm(prefix="member")
    in_group = {m.user_id for m in group.members}
    form.fill([u for u in active_with_role(Role.MEMBER) if u.id not in in_group], active_departments())
    if form.validate_on_submit():
        user = db.session.get(User, parse_uuid(form.user_id.data))
        department_id = int(form.department_id.data) if form.department_id.data else None
        try:
            prepare_services.add_group_member(current_user, group, user, department_id)
        except services.MeetingError as error:
            db.session.rollback()
            form.user_id.errors = [*form.user_id.errors, str(error)]
        else:
            db.session.commit()
            flash(f"{user.display_name} is lid van de groep.", "success")
            return redirect(url_for("meetings.group", group_id=group.id, _anchor="leden"))
    return render_group(group, member_form=form)


@routes.route("/groepen/<int:group_id>/leden/<uuid:user_id>/verwijderen", methods=["POST"])
@role_required(Role.COORDINATOR)
def group_remove_member(group_id, user_id):
    group = get_group_or_404(group_id)
    member = next((m for m in group.members if m.user_id == user_id), None)
    if member is None:
        record_denial(current_user, "invitee_group_member", user_id)
        abort(404)
    name = member.user.display_name
    prepare_services.remove_group_member(current_user, group, member)
    db.session.commit()
    flash(f"{name} is uit de groep gehaald.", "success")
    return redirect(url_for("meetings.group", group_id=group.id, _anchor="leden"))
