"""Handing over: every open signal of one coordinator (a leaver, who may already be
deactivated) goes to another in one transaction, each move logged on its signal."""

from flask import flash, redirect, request, url_for
from flask_login import current_user

from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.forms import show_error
from casustafel.models.roles import Role
from casustafel.permissions import role_required
from casustafel.signals import assignment_services as assignment
from casustafel.signals.workspace_forms import TransferForm
from casustafel.web import render_logged
from casustafel.web.routes import Routes

routes = Routes()


def _page(form: TransferForm, code: int = 200):
    former = assignment.former_owners()
    unowned = db.session.scalar(assignment.open_without_owner())
    # The page names coordinators and counts, nothing of any signal; its view is logged as
    # every list of the coordinator's is.
    record(current_user, "signal.owners_listed", object_type="signal", purpose="casustafel")
    return render_logged("signals/transfer.html", form=form, former=former, unowned=unowned), code


@routes.route("/meldingen/overdragen", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def transfer():
    form = TransferForm(assignment.former_owners(), assignment.coordinators())
    if request.method != "POST" or not form.validate_on_submit():
        return _page(form)
    try:
        moved = assignment.hand_over(current_user, form.from_owner.data, form.to_owner.data)
    except assignment.AssignmentError as error:
        db.session.rollback()
        show_error(form, error)
        return _page(form)
    to = assignment.active_coordinator(form.to_owner.data)
    db.session.commit()
    if moved:
        flash(f"{moved} open {'melding is' if moved == 1 else 'meldingen zijn'} overgedragen aan "
              f"{to.display_name}.", "success")
    else:
        flash("Er waren geen open meldingen om over te dragen; er is niets gewijzigd.", "success")
    return redirect(url_for("signals.transfer"))
