"""The reporter's side: the meldpunt form, the confirmation and Mijn meldingen."""

import uuid

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import load_only, selectinload

from casustafel import dates
from casustafel.audit_log import record
from casustafel.errors import DISK_FULL
from casustafel.extensions import db
from casustafel.forms import row_number
from casustafel.models import Indicator, InformationRequest, Location, MailConcept, Phenomenon, Signal, Subject
from casustafel.models.roles import Role
from casustafel.permissions import can_view_own_signal, role_required
from casustafel.settings import feedback_level, reporter_summary_required
from casustafel.signals import (
    assessments,
    attachments,
    case_links,
    case_summary,
    inbox,
    informing,
    mail_concepts,
    mail_register,
    mailbox,
    plan,
    saved_filters,
    services,
    transfer,
    weighing_report,
    workspace,
)
from casustafel.signals.forms import (
    MAX_ROWS,
    AnswerForm,
    MailIntakeForm,
    RegisterFromMailForm,
    RegisterSignalForm,
    SignalForm,
)
from casustafel.signals.mail_intake import MailError
from casustafel.signals.uploads import check_uploads
from casustafel.web import render_logged
from casustafel.web.access import load_or_404
from casustafel.web.routes import register_routes

bp = Blueprint("signals", __name__)
register_routes(bp, assessments, attachments, case_links, case_summary, informing, inbox, mail_concepts, plan,
                saved_filters, transfer, weighing_report, workspace)

DISK_FULL_MESSAGE = ("De bijlagen konden niet worden opgeslagen, omdat er op dit moment geen opslagruimte is. "
                     "Uw melding is nog niet verstuurd. Probeer het later opnieuw, of verstuur de melding "
                     "zonder bijlagen en lever ze later na.")


def fill_choices(form) -> None:
    """Load the admin-maintained lists into the form (phenomena grouped, indicators per group)."""
    from wtforms.fields.choices import SelectChoice

    parents = db.session.scalars(
        select(Phenomenon).where(Phenomenon.parent_id.is_(None), Phenomenon.active.is_(True))
        .order_by(Phenomenon.position)
    ).all()
    choices = [SelectChoice("", "— kies een fenomeen —")]
    for parent in parents:
        children = [c for c in parent.children if c.active]
        if children:
            choices += [SelectChoice(c.id, c.name, optgroup=parent.name) for c in children]
        else:
            choices.append(SelectChoice(parent.id, parent.name))
    form.phenomenon_id.choices = choices
    indicators = db.session.scalars(
        select(Indicator).where(Indicator.active.is_(True)).order_by(Indicator.position)
    ).all()
    for group, checklist in (("kenmerken", form.indicators_features), ("lokale_verankering", form.indicators_local),
                             ("signalering", form.indicators_signal)):
        in_group = [i for i in indicators if i.group == group]
        checklist.choices = [SelectChoice(i.id, i.label) for i in in_group]
        sources = list(dict.fromkeys(i.source for i in in_group if i.source))
        checklist.description = f"Bron: {'; '.join(sources)}" if sources else ""


def handle_row_buttons(form) -> bool:
    """Add or remove a subject/location row without losing input. True when a button was used."""
    action = request.form.get("rij")
    if not action:
        return False
    lists = {"betrokkene": form.subjects, "adres": form.locations}
    kind, _, what = action.partition(":")
    target = lists.get(kind)
    if target is None:
        return False
    if what == "toevoegen" and len(target) < MAX_ROWS:
        target.append_entry()
    elif what.startswith("verwijderen-"):
        index = row_number(what.removeprefix("verwijderen-"))
        if index is not None and index < len(target) and len(target) > 1:
            _remove_row(target, index)
    return True


def _remove_row(target, index: int) -> None:
    """Drop row `index` and renumber the rows after it, from what was typed (raw input too)."""
    from werkzeug.datastructures import MultiDict

    prefix = f"{target.name}-"
    renumbered = MultiDict()
    for key, values in request.form.lists():
        number, dash, rest = key.removeprefix(prefix).partition("-")
        row = row_number(number)
        if key.startswith(prefix) and dash and row is not None:
            if row == index:
                continue
            key = f"{prefix}{row - (row > index)}-{rest}"
        renumbered.setlist(key, values)
    target.entries, target.last_index = [], -1
    target.process(renumbered)


def submit_form(form, channel: str, template: str, *, create=None, on_saved=None, page=None):
    """Shared by the meldpunt and the coordinator's registration: validate, store, confirm.

    `create(form, uploads, saved, submission_key)` builds the signal instead of `build_signal`
    (the mail intake), `on_saved()` runs after the commit, `page` adds to the page's context.

    The form's one-time `submission_key` makes a second POST of the same form (a double click)
    land on the signal the first one made: found before any work, or, when both arrive at once,
    by the unique column refusing the second signal."""
    fill_choices(form)
    page = page or {}
    if request.method == "POST" and handle_row_buttons(form):
        return render_template(template, **_form_page(form), **page)
    key = form.submitted_key() if request.method == "POST" else None
    earlier = services.submitted_signal(key)
    if earlier is not None:
        if earlier.registered_by_id == current_user.id:
            return _saved(earlier, repeated=True)
        key = None  # another account's key (never given to this one): a signal of its own, unkeyed
    if form.validate_on_submit():
        uploads, problems = check_uploads(request.files.getlist(form.attachments.name))
        if not problems:
            store = current_app.extensions["casustafel_store"]
            stored_ids = []
            try:
                if create is None:
                    signal = services.build_signal(
                        current_user, form.to_input(), channel=channel, store=store, files=uploads, saved=stored_ids,
                        submission_key=key,
                    )
                else:
                    signal = create(form, uploads, stored_ids, key)
                db.session.commit()
            except Exception as error:
                db.session.rollback()
                for attachment_id in stored_ids:
                    store.delete(attachment_id)
                if isinstance(error, IntegrityError) and key:
                    # The same form's other POST committed first: nothing of this one is kept.
                    repeated = _repeated_submit(key)
                    if repeated is not None:
                        return repeated
                    if services.submitted_signal(key) is not None:
                        return _refused_repeat(form, template, page)
                if not (isinstance(error, OSError) and error.errno in DISK_FULL):
                    raise
                # Disk full: nothing is saved; say so next to the files and keep what was typed.
                current_app.logger.critical("ALERT disk full while storing an attachment (request %s)",
                                            g.get("request_id"))
                form.attachments.errors = [*form.attachments.errors, DISK_FULL_MESSAGE]
                return render_template(template, **_form_page(form), **page), 503
            if on_saved is not None:
                on_saved()
            return _saved(signal)
        form.attachments.errors = [*form.attachments.errors, *problems]
    elif request.method == "POST":
        record(current_user, "signal.submit_refused", object_type="signal", result="failed", purpose="melding")
    return render_logged(template, **_form_page(form), **page)


REPEATED = ("Dit formulier was al verstuurd: dit is de melding die ermee is gemaakt. Voor nog een melding "
            "opent u het formulier opnieuw.")


def _saved(signal: Signal, *, repeated: bool = False):
    """The answer to a saved form, and to a repeat of it: the signal's confirmation. A repeat says
    so, so that whoever sent an old form again on purpose knows nothing new was made."""
    if repeated:
        flash(REPEATED, "info")
    else:
        flash("Uw melding is verstuurd." if signal.channel == "meldpunt" else "De melding is geregistreerd.",
              "success")
    return redirect(url_for("signals.confirmation", signal_id=signal.id))


def _repeated_submit(key: str | None):
    """The confirmation of the signal this account already made with this form key, or None."""
    earlier = services.submitted_signal(key)
    if earlier is not None and earlier.registered_by_id == current_user.id:
        return _saved(earlier, repeated=True)
    return None


def _refused_repeat(form, template: str, page: dict):
    """Another account's signal holds this key (the key was not given to this one): nothing is
    saved and nothing about that signal is shown; the form comes back with a fresh key."""
    form.form_errors.append("Uw melding is nog niet verstuurd. Verstuur het formulier nog een keer.")
    form.submission_key.data = form.submission_key.default()
    record(current_user, "signal.submit_refused", object_type="signal", result="failed", purpose="melding")
    return render_logged(template, **_form_page(form), **page)


def _form_page(form) -> dict:
    """What the meldpunt page shows besides the form: problems with files, and whether members
    get the reporter's words or only the coordinator's summary (the 'who sees it' notice)."""
    return {"form": form, "upload_problems": [], "lost_files": _file_names(),
            "summary_required": reporter_summary_required()}


def _file_names() -> list[str]:
    if request.method != "POST":
        return []
    return [f.filename for f in request.files.getlist("attachments") if f and f.filename]


@bp.route("/meldpunt", methods=["GET", "POST"])
@role_required(Role.REPORTER, Role.COORDINATOR)
def new():
    return submit_form(SignalForm(), "meldpunt", "signals/new.html")


@bp.route("/meldingen/registreren", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def register():
    form = RegisterSignalForm()
    channel = form.channel.data if request.method == "POST" and form.channel.data else "telefoon"
    return submit_form(form, channel, "signals/register.html", page={"intake": MailIntakeForm(formdata=None)})


@bp.route("/meldingen/registreren/e-mail", methods=["POST"])
@role_required(Role.COORDINATOR)
def register_from_mail():
    """Step 1: read the chosen mail and show the form filled from it (nothing saved).
    Step 2 (the form with its hidden mail_token): register the signal with the mail."""
    if "mail_token" in request.form:
        return _confirm_mail()
    intake = MailIntakeForm()
    if intake.validate_on_submit():
        try:
            parsed = mail_register.read_upload(intake.mail.data)
        except MailError as error:
            intake.mail.errors = [error.message_nl]
        else:
            form = RegisterFromMailForm(formdata=None)
            fill_choices(form)
            mail = mail_register.prefill_register_form(form, parsed)
            form.mail_token.data = mail_register.stage_mail(parsed, current_user)
            return render_template("signals/register.html", **_form_page(form), mail=mail)
    return _register_page_with(intake)


def _register_page_with(intake):
    """The empty registration page, with the intake form's message next to its file field."""
    form = RegisterSignalForm(formdata=None)
    fill_choices(form)
    return render_template("signals/register.html", **_form_page(form), intake=intake)


def _confirm_mail():
    form = RegisterFromMailForm()
    repeated = None if request.form.get("rij") else _repeated_submit(form.submitted_key())
    if repeated is not None:  # registered by the first POST, which also removed the staged mail
        return repeated
    try:
        parsed = mail_register.load_staged(form.mail_token.data, current_user)
    except MailError as error:
        intake = MailIntakeForm(formdata=None)
        intake.mail.errors = [error.message_nl]
        return _register_page_with(intake)

    def create(form, uploads, saved, submission_key):
        return mail_register.register_from_mail(current_user, form.to_input(), parsed,
                                                current_app.extensions["casustafel_store"], uploads, saved,
                                                submission_key=submission_key,
                                                sender_is_reporter=bool(form.sender_is_reporter.data))

    return submit_form(form, mail_register.CHANNEL, "signals/register.html", create=create,
                       on_saved=lambda: mail_register.discard_staged(form.mail_token.data),
                       page={"mail": mail_register.describe(parsed)})


@bp.route("/meldingen/e-mail/<uuid:concept_id>/registreren", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def register_from_concept(concept_id):
    """A signal from an e-mail of the meldpunt mailbox: the same form as for a chosen .eml, filled
    from the concept's mail (kept encrypted in the store, so nothing needs staging). Registering
    leaves only the concept's marker; the e-mail becomes the signal's attachment."""
    concept = load_or_404(MailConcept, concept_id)
    if concept.handled_at is not None:
        return mail_concepts.already_handled()
    if concept.too_large:
        flash("Deze e-mail is te groot om over te nemen. Open hem in de mailbox en registreer de melding "
              "met het gewone formulier.", "error")
        return redirect(url_for("signals.mail_concepts"))
    store = current_app.extensions["casustafel_store"]
    name = f"e-mail-{dates.to_local(concept.received_at):%Y%m%d-%H%M}.eml"
    try:
        raw = mailbox.read_raw(concept, store)
    except FileNotFoundError:  # destroyed by retention a moment ago (its commit still to come), or lost
        current_app.logger.warning("mail concept %s has no file in the store", concept.id)
        flash("Deze e-mail is niet meer beschikbaar in casustafel: hij is zojuist vernietigd omdat de "
              "bewaartermijn voorbij is, of het bestand ontbreekt. Registreer de melding zo nodig met het "
              "gewone formulier.", "error")
        return redirect(url_for("signals.mail_concepts"))
    try:
        parsed = mail_register.read_mail(raw, name)
    except MailError as error:
        # The reason is a whole sentence of its own (often "De e-mail kan niet worden overgenomen: …").
        flash(f"{error.message_nl} Registreer de melding zo nodig met het gewone formulier, of verwijder de e-mail.",
              "error")
        return redirect(url_for("signals.mail_concepts"))
    action = url_for("signals.register_from_concept", concept_id=concept.id)
    if request.method == "GET":
        form = RegisterFromMailForm(formdata=None)
        fill_choices(form)
        mail = mail_register.prefill_register_form(form, parsed)
        record(current_user, "mail_concept.opened", concept, purpose="melding")
        return render_logged("signals/register.html", **_form_page(form), mail=mail, mail_action=action)
    concept_file = []

    def create(form, uploads, saved, submission_key):
        signal = mail_register.register_from_mail(current_user, form.to_input(), parsed, store, uploads, saved,
                                                  submission_key=submission_key,
                                                  sender_is_reporter=bool(form.sender_is_reporter.data))
        db.session.flush()
        concept_file.append(mailbox.mark_registered(current_user, concept, signal))
        return signal

    def forget_concept_file():
        if concept_file and concept_file[0] is not None:
            store.delete(concept_file[0])

    try:
        return submit_form(RegisterFromMailForm(), mail_register.CHANNEL, "signals/register.html", create=create,
                           on_saved=forget_concept_file,
                           page={"mail": mail_register.describe(parsed), "mail_action": action})
    except mailbox.AlreadyHandledError:  # a colleague was a moment earlier: nothing of this one is saved
        return mail_concepts.already_handled()


def get_own_signal_or_404(signal_id: uuid.UUID) -> Signal:
    """The signal, or 404 with a denial in the log unless the current user reported it."""
    return load_or_404(Signal, signal_id, can_view_own_signal)


@bp.route("/mijn-meldingen/<uuid:signal_id>/bevestiging")
@role_required(Role.REPORTER, Role.COORDINATOR)
def confirmation(signal_id):
    signal = load_or_404(Signal, signal_id, lambda user, row: row.registered_by_id == user.id)
    record(current_user, "signal.status_viewed", signal, purpose="melding")
    return render_logged("signals/confirmation.html", signal=signal)


@bp.route("/mijn-meldingen")
@role_required(Role.REPORTER, Role.COORDINATOR)
def mine():
    # Only what the list shows: what the reporter entered (phenomenon, the cities of the
    # addresses), the status, the messages and whether a question waits; a few queries for any
    # number of signals.
    signals = db.session.scalars(
        select(Signal)
        .options(
            load_only(Signal.reference, Signal.received_at, Signal.status, Signal.phenomenon_id),
            selectinload(Signal.feedback),
            selectinload(Signal.phenomenon),
            selectinload(Signal.locations).load_only(Location.position, Location.city_enc),
            selectinload(Signal.subjects).load_only(Subject.position, Subject.city_enc),
            selectinload(Signal.questions).load_only(InformationRequest.asked_at, InformationRequest.answered_at),
        )
        .where(Signal.reporter_id == current_user.id)
        .order_by(Signal.received_at.desc())
    ).all()
    # Rendered before the log event (nothing reloads after the commit); the page leaves only
    # when the event is stored.
    level = feedback_level()
    page = render_template("signals/mine.html", signals=signals,
                           seen={s.id: services.reporter_view(s, level) for s in signals})
    record(current_user, "signal.own_listed", object_type="signal", purpose="melding")
    db.session.commit()
    return page


@bp.route("/mijn-meldingen/<uuid:signal_id>", methods=["GET", "POST"])
@role_required(Role.REPORTER, Role.COORDINATOR)
def mine_detail(signal_id):
    signal = get_own_signal_or_404(signal_id)
    question = services.open_question(signal)
    form = AnswerForm()
    if question is not None and form.validate_on_submit():
        services.answer_question(current_user, signal, question, form.answer.data)
        db.session.commit()
        flash("Uw antwoord is verstuurd. Dank u wel.", "success")
        return redirect(url_for("signals.mine_detail", signal_id=signal.id))
    record(current_user, "signal.status_viewed", signal, purpose="melding")
    return render_logged("signals/mine_detail.html", signal=signal, question=question, form=form,
                         seen=services.reporter_view(signal, with_questions=True))
