"""The admin's page "Huisstijl en briefpapier": the municipality's name, contact, logo and theme.

One POST saves everything or nothing. An empty text field stores None: the environment's value
(CASUSTAFEL_ORGANISATION_*) or casustafel's default applies again (casustafel/organisation.py).
A logo is stored as the PNG `checked_logo` re-encoded, a stylesheet only as `checked_theme_css`
accepted it. `updated_at` is the version in the addresses of the logo and the stylesheet, so a
browser fetches them again after a change.
"""

import re

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf.file import FileField
from sqlalchemy.exc import IntegrityError
from wtforms import BooleanField, EmailField, StringField, TextAreaField
from wtforms.validators import Length, Optional, Regexp, ValidationError

from casustafel import organisation
from casustafel.audit_log import record
from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.forms import Form, strip_text
from casustafel.models import OrganisationProfile
from casustafel.models.roles import Role
from casustafel.permissions import role_required
from casustafel.web.access import fresh_login_required
from casustafel.web.routes import Routes

routes = Routes()

MAX_ADDRESS_LINES = 5
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _length(maximum: int) -> Length:
    return Length(max=maximum, message=f"Gebruik hooguit {maximum} tekens.")


def one_line(form, field):
    """A name or number on one line: it goes into an e-mail header and a letterhead."""
    if field.data and CONTROL.search(field.data):
        raise ValidationError("Gebruik één regel, zonder tabs of regeleinden.")


def at_most_five_lines(form, field):
    lines = [line for line in (field.data or "").splitlines() if line.strip()]
    if len(lines) > MAX_ADDRESS_LINES:
        raise ValidationError(f"Gebruik hooguit {MAX_ADDRESS_LINES} regels.")
    if any(CONTROL.search(line.replace("\t", " ")) for line in lines):
        raise ValidationError("Het adres bevat een teken dat niet is toegestaan.")


def _text(label: str, maximum: int, *more) -> StringField:
    return StringField(label, filters=[strip_text], validators=[Optional(), _length(maximum), one_line, *more])


class OrganisationForm(Form):
    name = _text("Naam van de organisatie", 120)
    department = _text("Afdeling of team", 120)
    postal_address = TextAreaField("Postadres", filters=[strip_text],
                                   validators=[Optional(), _length(300), at_most_five_lines],
                                   render_kw={"rows": MAX_ADDRESS_LINES})
    website = _text("Website", 200, Regexp(r"^https://[^\s/?#.][^\s]*$", message=(
        "Vul een adres in dat begint met https://, bijvoorbeeld https://www.sudwestfryslan.nl.")))
    contact_name = _text("Naam", 120)
    contact_role = _text("Functie", 120)
    contact_phone = _text("Telefoonnummer", 40, Regexp(r"^\+?[0-9][0-9 ()-]*$", message=(
        "Gebruik cijfers, spaties, haakjes, streepjes en eventueel een + vooraan, bijvoorbeeld 14 0515.")))
    contact_email = EmailField("E-mailadres", filters=[strip_text], validators=[
        Optional(), _length(254), one_line,
        # A plain shape check, as for accounts: internal domains (gemeente.local) are valid.
        Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="Vul een geldig e-mailadres in, bijvoorbeeld "
                                                      "ondermijning@gemeente.nl."),
    ])
    signatory_name = _text("Naam", 120)
    signatory_role = _text("Functie", 200)
    theme_class = _text("Naam van het thema (CSS-class)", 64, Regexp(organisation.THEME_CLASS, message=(
        "Gebruik kleine letters, cijfers, - en _, en begin met een letter; bijvoorbeeld voorbeeld-theme.")))
    # Not "logo" and "theme_css": the form is filled from the profile, whose columns have those names.
    logo_file = FileField("Nieuw logo")
    remove_logo = BooleanField("Logo verwijderen")
    theme_file = FileField("Nieuw stijlbestand (CSS)")
    remove_theme_css = BooleanField("Stijlbestand verwijderen")

    def text_values(self) -> dict[str, str | None]:
        """Every text field as it is stored: None when empty, an address with one line per line."""
        values = {name: getattr(self, name).data or None for name in organisation.TEXT_FIELDS}
        if values["postal_address"]:
            values["postal_address"] = "\n".join(
                line.strip() for line in values["postal_address"].splitlines() if line.strip())
        return values


def _upload(field, check, maximum: int):
    """The checked content of an uploaded file, None when none was chosen; a refusal goes next
    to the field. At most one byte more than allowed is read, so a huge file is not read whole."""
    storage = field.data
    if storage is None or not getattr(storage, "filename", None):
        return None
    try:
        return check(storage.stream.read(maximum + 1))
    except organisation.RefusedFileError as error:
        field.errors = [*field.errors, str(error)]
        return None


def _show_environment(form: OrganisationForm) -> dict[str, str]:
    """What applies when a field stays empty: the environment's value, as a placeholder."""
    config = current_app.config
    shown = {}
    for name in organisation.TEXT_FIELDS:
        value = config.get(f"ORGANISATION_{name.upper()}")
        if value:
            shown[name] = value
            getattr(form, name).render_kw = {**(getattr(form, name).render_kw or {}), "placeholder": value}
    return shown


def _page(form, profile):
    environment = _show_environment(form)
    return render_template("admin/organisation.html", form=form, profile=profile, environment=environment,
                           current=organisation.current(), max_lines=MAX_ADDRESS_LINES)


@routes.route("/instellingen/huisstijl", methods=["GET", "POST"])
@role_required(Role.ADMIN)
@fresh_login_required
def organisation_profile():
    profile = db.session.get(OrganisationProfile, 1)
    form = OrganisationForm(obj=profile)
    if not form.is_submitted():
        return _page(form, profile)
    valid = form.validate()
    # The files are checked even when a text field is wrong, so every problem shows at once.
    logo = _upload(form.logo_file, organisation.checked_logo, organisation.MAX_LOGO_BYTES)
    css = _upload(form.theme_file, organisation.checked_theme_css, organisation.MAX_THEME_CSS_BYTES)
    for upload, remove, what in ((form.logo_file, form.remove_logo, "een nieuw logo"),
                                 (form.theme_file, form.remove_theme_css, "een nieuw stijlbestand")):
        if remove.data and getattr(upload.data, "filename", None):
            remove.errors = [*remove.errors, f"Kies {what} of verwijder het huidige, niet allebei."]
    if not valid or form.logo_file.errors or form.theme_file.errors or form.remove_logo.errors \
            or form.remove_theme_css.errors:
        for upload, content in ((form.logo_file, logo), (form.theme_file, css)):
            if content is not None:  # accepted, but a browser never sends a chosen file twice
                upload.errors = [*upload.errors, "Dit bestand is goed, maar nog niet opgeslagen omdat het "
                                                 "formulier fouten heeft. Kies het opnieuw."]
        return _page(form, profile)

    new = profile or OrganisationProfile(id=1)
    changed = False
    for name, value in form.text_values().items():
        if getattr(new, name) != value:
            setattr(new, name, value)
            changed = True
    for column, content, remove in (("logo_png", logo, form.remove_logo.data),
                                    ("theme_css", css, form.remove_theme_css.data)):
        wanted = content if content is not None else (None if remove else getattr(new, column))
        if getattr(new, column) != wanted:
            setattr(new, column, wanted)
            changed = True
    if changed:
        new.updated_at = utcnow()
        if profile is None:
            db.session.add(new)
        record(current_user, "organisation.changed", object_type="organisation", object_id="1", purpose="beheer")
        try:
            db.session.commit()
        except IntegrityError:  # another admin saved the very first profile at the same moment
            db.session.rollback()
            flash("Er is tegelijk een andere wijziging opgeslagen; er is niets van deze wijziging bewaard. "
                  "Controleer de gegevens en sla opnieuw op.", "warning")
            return redirect(url_for("admin.organisation_profile"))
        organisation.forget()
        flash("De huisstijl is opgeslagen.", "success")
    else:
        db.session.rollback()
        flash("Er is niets gewijzigd.", "success")
    return redirect(url_for("admin.organisation_profile"))
