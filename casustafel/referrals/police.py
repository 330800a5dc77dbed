"""Information received from the police: recorded by the coordinator, marked on the signal,
never part of a referral package, deleted when the signal closes."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from casustafel.extensions import db
from casustafel.models.roles import Role
from casustafel.permissions import role_required
from casustafel.referrals import services
from casustafel.referrals.forms import PoliceInformationForm
from casustafel.signals.common import get_signal_or_404
from casustafel.web.routes import Routes

routes = Routes()


@routes.route("/politie-informatie/<uuid:signal_id>", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def police_new(signal_id):
    signal = get_signal_or_404(signal_id)
    form = PoliceInformationForm()
    if form.validate_on_submit():
        try:
            services.add_police_information(current_user, signal, received_on=form.received_on.data,
                                            content=form.content.data, police_reference=form.police_reference.data)
        except services.ReferralError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash("De informatie van de politie is vastgelegd. Zij wordt nooit verder verstrekt en wordt "
                  "verwijderd als de melding wordt afgesloten.", "success")
            return redirect(url_for("signals.detail", signal_id=signal.id, _anchor="politie-informatie"))
    return render_template("referrals/police_new.html", form=form, signal=signal)
