"""The coordinator's saved inbox filters: save the inbox's current filter under a name, delete
one. Applying a filter is a plain link to the inbox (GET), so these are the only two routes.
A bad name shows the inbox again with the message next to the field and the typed name kept."""

from flask import flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from casustafel.extensions import db
from casustafel.forms import show_error
from casustafel.models import SavedFilter
from casustafel.models.roles import Role
from casustafel.permissions import role_required
from casustafel.signals import saved_filter_services as services
from casustafel.signals.filter_forms import SaveFilterForm
from casustafel.signals.inbox import InboxFilterForm, list_page
from casustafel.web.access import load_or_404
from casustafel.web.routes import Routes

routes = Routes()


@routes.route("/meldingen/filters", methods=["POST"])
@role_required(Role.COORDINATOR)
def save_filter():
    # The filter comes along in hidden fields; the inbox's form keeps only the valid filters,
    # and the service only the known keys, so nothing else posted is ever stored.
    filters = InboxFilterForm(request.form)
    filters.fill_choices()
    filters.validate()
    form = SaveFilterForm()
    if form.validate_on_submit():
        try:
            saved = services.save_filter(current_user, form.name.data, filters.query_args())
            db.session.commit()
        except services.SavedFilterError as error:
            db.session.rollback()
            show_error(form, error)
        except IntegrityError:  # the same name saved twice at once (a double click)
            db.session.rollback()
            show_error(form, services.SavedFilterError(services.NAME_TAKEN))
        else:
            flash("Het filter is bewaard. U vindt het bij ‘Bewaarde filters’.", "success")
            return redirect(url_for("signals.inbox", **saved.arguments))
    return list_page(filters, save_form=form)


@routes.route("/meldingen/filters/<uuid:filter_id>/verwijderen", methods=["POST"])
@role_required(Role.COORDINATOR)
def delete_filter(filter_id):
    saved = load_or_404(SavedFilter, filter_id, services.owns)
    services.delete_filter(current_user, saved)
    db.session.commit()
    flash("Het bewaarde filter is verwijderd.", "success")
    return redirect(url_for("signals.inbox"))
