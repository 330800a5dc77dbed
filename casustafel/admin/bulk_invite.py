"""The admin's page "Gebruikers uitnodigen met een CSV-bestand": upload, dry run, invite.

The dry run shows per row what would be created and every problem; "Uitnodigen" sends the
checked text back with a signed digest (bulk_services.seal), checks it again and creates all
rows or none. Nothing of the file is stored on disk or in the session.
"""

import base64
import binascii

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf.file import FileField
from sqlalchemy.exc import IntegrityError
from wtforms import HiddenField

from casustafel.admin import bulk_services, services
from casustafel.extensions import db
from casustafel.forms import Form
from casustafel.models.roles import ROLE_LABELS, Role
from casustafel.permissions import role_required
from casustafel.web.access import fresh_login_required
from casustafel.web.routes import Routes

routes = Routes()


class UploadForm(Form):
    file = FileField("CSV-bestand")


class ConfirmForm(Form):
    content = HiddenField()
    seal = HiddenField()


def _read_upload(storage) -> bytes | None:
    """At most one byte more than allowed, so a huge file is refused without reading it all."""
    if storage is None or not getattr(storage, "filename", None):
        return None
    return storage.stream.read(bulk_services.MAX_BYTES + 1)


def _page(form, check=None, confirm=None):
    return render_template("admin/users_bulk.html", form=form, check=check, confirm=confirm,
                           max_rows=bulk_services.MAX_ROWS, role_labels=ROLE_LABELS)


@routes.route("/gebruikers/uitnodigen", methods=["GET", "POST"])
@role_required(Role.ADMIN)
@fresh_login_required
def users_bulk():
    form = UploadForm()
    if not form.validate_on_submit():
        return _page(form)
    data = _read_upload(form.file.data)
    if data is None:
        form.file.errors.append("Kies een CSV-bestand.")
        return _page(form)
    try:
        text = bulk_services.decode(data)
    except bulk_services.BulkFileError as error:
        form.file.errors.append(str(error))
        return _page(form)
    check = bulk_services.check(text)
    confirm = None
    if check.ok:
        confirm = ConfirmForm(formdata=None, content=base64.b64encode(text.encode("utf-8")).decode("ascii"),
                              seal=bulk_services.seal(current_user, text))
    return _page(UploadForm(formdata=None), check=check, confirm=confirm)


@routes.route("/gebruikers/uitnodigen/bevestigen", methods=["POST"])
@role_required(Role.ADMIN)
@fresh_login_required
def users_bulk_confirm():
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        text = base64.b64decode(form.content.data or "", validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        text = None
    if text is None or not bulk_services.unseal(current_user, text, form.seal.data):
        flash("De controle van het bestand is verlopen of het bestand is onderweg veranderd. Kies het bestand "
              "opnieuw; er is niets aangemaakt.", "warning")
        return redirect(url_for("admin.users_bulk"))
    try:
        check, users = bulk_services.invite_all(current_user, text)
        if users:
            db.session.commit()
    except (services.UserError, IntegrityError):  # an account made at the same moment by someone else
        check, users = None, []
    if not users:
        db.session.rollback()
        flash("Er is niets aangemaakt: sinds de controle is er iets veranderd. Hieronder staat wat er nu niet "
              "klopt; pas het bestand aan en kies het opnieuw.", "warning")
        return _page(UploadForm(formdata=None), check=check or bulk_services.check(text))
    pending = sum(1 for row in check.rows if row.pending)
    made = "1 account is" if len(users) == 1 else f"{len(users)} accounts zijn"
    flash(f"{made} aangemaakt. Iedere nieuwe gebruiker krijgt een e-mail met een link om binnen 72 uur zelf een "
          "wachtwoord te kiezen." + (f" Bij {pending} van hen wacht een rol op goedkeuring van een tweede persoon "
                                     "(Goedkeuringen)." if pending else ""), "success")
    return redirect(url_for("admin.users"))
