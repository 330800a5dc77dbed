"""The e-mails of the meldpunt mailbox that wait as concepts (`flask mail fetch`): the
coordinator's list, with "Verwijderen" per e-mail. Registering a signal from an e-mail (the form
prefilled from the mail) opens from this list too. Viewing the list and every deletion are logged.
"""

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from casustafel.audit_log import record
from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models import MailConcept
from casustafel.models.roles import Role
from casustafel.permissions import role_required
from casustafel.signals import mailbox
from casustafel.web.access import load_or_404
from casustafel.web.paging import paginate
from casustafel.web.routes import Routes

routes = Routes()

PAGE_SIZE = 50


@routes.route("/meldingen/e-mail")
@role_required(Role.COORDINATOR)
def mail_concepts():
    pages = paginate(mailbox.concepts_query(), PAGE_SIZE)
    now = utcnow()
    with db.session.no_autoflush:
        html = render_template("signals/mail_concepts.html", pages=pages, concepts=pages.items, now=now,
                               destroyed_at=mailbox.destruction_moments(pages.items, now),
                               processed_folder=current_app.config.get("MAIL_FETCH_PROCESSED_FOLDER") or "Verwerkt")
    # Rendered first, so the page leaves only when its log event is stored.
    record(current_user, "mail_concept.listed", object_type="mail_concept", purpose="melding")
    db.session.commit()
    return html


@routes.route("/meldingen/e-mail/<uuid:concept_id>/verwijderen", methods=["POST"])
@role_required(Role.COORDINATOR)
def discard_mail_concept(concept_id):
    concept = load_or_404(MailConcept, concept_id)
    if concept.handled_at is not None:
        return already_handled()
    try:
        file_id = mailbox.discard(current_user, concept)
    except mailbox.AlreadyHandledError:
        db.session.rollback()
        return already_handled()
    db.session.commit()
    if file_id is not None:
        current_app.extensions["casustafel_store"].delete(file_id)
    folder = current_app.config.get("MAIL_FETCH_PROCESSED_FOLDER") or "Verwerkt"
    flash(f"De e-mail is verwijderd uit casustafel. In de mailbox staat hij nog in de map ‘{folder}’.", "success")
    return redirect(url_for("signals.mail_concepts"))


def already_handled():
    """The e-mail was registered or discarded already, perhaps by a colleague a moment ago."""
    flash("Deze e-mail is al afgehandeld: er is een melding uit geregistreerd, of hij is verwijderd.", "info")
    return redirect(url_for("signals.mail_concepts"))
