"""Adding a zaaknummer link on the coordinator's workspace. The links are shown in the
workspace's "Besluiten in het zaaksysteem" section (signals.panel.case_links_panel). A form with
errors comes back on a page of its own with what was typed; nothing is saved."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from casustafel.extensions import db
from casustafel.forms import show_error
from casustafel.models import Signal
from casustafel.models.roles import Role
from casustafel.permissions import can_view_bibob, role_required
from casustafel.signals.case_link_forms import CaseLinkForm
from casustafel.signals.case_link_services import CaseLinkError, add_case_link
from casustafel.web.access import load_or_404
from casustafel.web.routes import Routes

routes = Routes()


@routes.route("/meldingen/<uuid:signal_id>/zaaksysteem", methods=["POST"])
@role_required(Role.COORDINATOR)
def add_case_system_link(signal_id):
    signal = load_or_404(Signal, signal_id, can_view_bibob)  # a Bibob-besluit among them: art. 28
    form = CaseLinkForm()
    if form.validate_on_submit():
        try:
            add_case_link(current_user, signal, form.to_input())
            db.session.commit()
        except CaseLinkError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash("Het zaaknummer is gekoppeld.", "success")
            return redirect(url_for("signals.detail", signal_id=signal.id, _anchor="zaaksysteem"))
    return render_template("signals/case_link_retry.html", signal=signal, form=form)
