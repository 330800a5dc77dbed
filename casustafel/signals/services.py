"""Creating signals. Services take the actor explicitly and never commit: the view does.

They take plain data (`SignalInput`), so the meldpunt form, the coordinator's registration,
the demo and the test fixtures all create signals through the same code.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import load_only

from casustafel import crypto, dates, linking
from casustafel.audit_log import record
from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models import (
    FEEDBACK_MESSAGES,
    REPORTER_STATUS,
    STANDARD_FEEDBACK,
    STANDARD_STATUS,
    Attachment,
    Feedback,
    FeedbackLevel,
    Indicator,
    InformationRequest,
    Location,
    ReferenceCounter,
    ReporterStatus,
    Signal,
    SignalEvent,
    Subject,
    User,
)
from casustafel.models.roles import Role
from casustafel.models.user import active_with_role
from casustafel.notifications import app_link, notify
from casustafel.processing import refuse_if_restricted
from casustafel.settings import feedback_level
from casustafel.signals.workflow import QUESTION, transition
from casustafel.storage import base_name

# References: SIG-YYYY-NNNN. The n-th signal of a year gets a number drawn by a keyed
# permutation of n, so the number says nothing about when or in which order a signal came in:
# set beside the log's logins it cannot point to a reporter, and it cannot be guessed.
FOUR_DIGITS, FIVE_DIGITS = 9999, 90000


def reference_number(counter: int, key: bytes | None) -> int:
    """The number of the `counter`-th reference of a year (1-based)."""
    if key is None:  # a year that began before references were permuted goes on counting
        return counter
    if counter <= FOUR_DIGITS:
        return 1 + crypto.permute(key, counter - 1, FOUR_DIGITS)
    if counter <= FOUR_DIGITS + FIVE_DIGITS:
        return 10000 + crypto.permute(key, counter - FOUR_DIGITS - 1, FIVE_DIGITS)
    raise RuntimeError("Alle kenmerken van dit jaar zijn uitgegeven.")


def next_reference(year: int | None = None) -> str:
    """Allocate a reference, unique under concurrent submissions (row lock on the counter).

    Call it before anything else in the transaction writes, so locks are always taken in
    the same order (counter, then the audit head).
    """
    year = year or dates.today().year
    table = ReferenceCounter.__table__
    bump = update(table).where(table.c.year == year).values(last_number=table.c.last_number + 1)
    if db.session.execute(bump).rowcount == 0:
        try:
            with db.session.begin_nested():
                db.session.execute(insert(table).values(year=year, last_number=1,
                                                        permutation_key=crypto.new_permutation_key()))
        except IntegrityError:  # another submission created this year's row first
            db.session.execute(bump)
    counter, key = db.session.execute(
        select(table.c.last_number, table.c.permutation_key).where(table.c.year == year)).one()
    return f"SIG-{year}-{reference_number(counter, key):04d}"


@dataclass
class AddressInput:
    street: str | None = None
    house_number: str | None = None
    house_number_addition: str | None = None
    postcode: str | None = None
    city: str | None = None


@dataclass
class SubjectInput(AddressInput):
    kind: str = "persoon"
    role: str = "vermoedelijk_betrokkene"
    name: str | None = None
    birth_date: date | None = None
    kvk_number: str | None = None


@dataclass
class LocationInput(AddressInput):
    bag_id: str | None = None


@dataclass
class SignalInput:
    """A validated signal as plain data: what the meldpunt form (or anything else) gives."""

    description: str
    phenomenon_id: int | None = None
    indicator_ids: list[int] = field(default_factory=list)
    indicator_explanation: str | None = None
    observed_from: date | None = None
    observed_until: date | None = None
    urgent: bool = False
    reporter_phone: str | None = None
    subjects: list[SubjectInput] = field(default_factory=list)
    locations: list[LocationInput] = field(default_factory=list)


def _fill_address(target, data: AddressInput) -> None:
    target.street = data.street
    target.house_number = str(data.house_number) if data.house_number else None
    target.house_number_addition = data.house_number_addition
    target.postcode = data.postcode
    target.city = data.city


# --- the form's one-time submission key ------------------------------------------------------
# The meldpunt and registration forms carry a random hidden `submission_key`; the signal keeps a
# keyed hash of it (never the key), so the same form posted twice (a double click) finds the
# signal the first POST made instead of making a second. Own context, so it is no import key.
SUBMISSION_CONTEXT = "submission"
SUBMISSION_KEY_MAX = 64  # a longer value is no key this server gave out: it is ignored


def submission_hashes(token: str) -> list[str]:
    """The token's keyed hash under every index key in the keyring (the primary first)."""
    ring = current_app.extensions["casustafel_keyring"]
    primary = ring.primary_kid("bidx")
    kids = [primary, *(k for k in ring.kids("bidx") if k != primary)]
    part = token.encode("utf-8", "surrogatepass")
    return [crypto.row_key(ring, part, kid=kid, context=SUBMISSION_CONTEXT) for kid in kids]


def submitted_signal(token: str | None) -> Signal | None:
    """The signal a form with this submission key already made, whoever made it, or None."""
    if not token:
        return None
    return db.session.scalars(select(Signal).where(Signal.submission_key.in_(submission_hashes(token)))).first()


def build_signal(actor: User, data: SignalInput, channel: str = "meldpunt", store=None, files=(),
                 saved=None, *, received_at: datetime | None = None, purpose: str = "melding",
                 notify_coordinators: bool = True, reporter: User | None = None,
                 submission_key: str | None = None) -> Signal:
    """Create a signal with its subjects, locations and attachments from validated data.

    The id of every file written to the store is appended to `saved`, so the caller can
    remove the files when the transaction fails. A signal taken over from the former register
    (signals/importing.py) keeps its original `received_at` (its reference counts in that year),
    is logged with its own `purpose` and tells no coordinator: they did the import. A signal
    from an e-mail names the account that sent it as `reporter` (signals/mail_register.py).
    `submission_key` is the form's one-time key: the signal keeps its keyed hash.
    """
    year = dates.to_local(received_at).year if received_at else None
    signal = Signal(reference=next_reference(year), channel=channel, status="ingediend")
    if submission_key:
        signal.submission_key = submission_hashes(submission_key)[0]
    if received_at is not None:
        signal.received_at = received_at
    signal.urgent = bool(data.urgent)
    signal.phenomenon_id = data.phenomenon_id
    signal.description = data.description
    signal.indicator_explanation = data.indicator_explanation
    signal.observed_from = data.observed_from
    signal.observed_until = data.observed_until
    signal.reporter_phone = data.reporter_phone
    if channel == "meldpunt" or channel == "eigen_waarneming":
        signal.reporter_id = actor.id
        signal.reporter_department_id = actor.department_id
    elif reporter is not None:
        signal.reporter_id = reporter.id
        signal.reporter_department_id = reporter.department_id
    signal.registered_by_id = actor.id
    # A coordinator who registers a signal (phone, MMA, police, RIEC, own observation) holds it
    # until they hand it on; a signal from the meldpunt waits in the inbox without an owner.
    # No signal.owner_changed here: the owner is part of what signal.created records, and a
    # visible event at that moment would tell the log's reader who registered the signal.
    if channel != "meldpunt" and actor.has_role(Role.COORDINATOR):
        signal.owner_id = actor.id
    if data.indicator_ids:
        signal.indicators = list(db.session.scalars(select(Indicator).where(Indicator.id.in_(data.indicator_ids))))
    for position, entry in enumerate(data.subjects):
        subject = Subject(position=position, kind=entry.kind, role=entry.role)
        signal.subjects.append(subject)
        subject.name = entry.name
        subject.birth_date = entry.birth_date.isoformat() if entry.birth_date else None
        subject.kvk_number = entry.kvk_number if entry.kind == "organisatie" else None
        _fill_address(subject, entry)
        linking.index_subject(subject)
    for position, entry in enumerate(data.locations):
        location = Location(position=position)
        signal.locations.append(location)
        _fill_address(location, entry)
        location.bag_id = entry.bag_id
        linking.index_location(location)
    db.session.add(signal)
    created = SignalEvent(signal=signal, actor_id=actor.id, from_status=None, to_status="ingediend")
    if received_at is not None:
        created.occurred_at = received_at
    db.session.add(created)
    if channel == "meldpunt" or reporter is not None:
        # "Ontvangen" at every feedback level: on the meldpunt the reporter sent it themselves; a
        # colleague whose e-mail the coordinator registered finds it under Mijn meldingen.
        db.session.add(Feedback(signal=signal, code="ontvangen", sent_by_id=None))
    db.session.flush()
    record(
        actor,
        "signal.created",
        signal,
        subjects=[str(s.id) for s in signal.subjects],
        purpose=purpose,
    )
    if reporter is not None:
        _tell_reporter(signal)  # only that there is news, never what
    for upload in files:
        add_attachment(actor, signal, upload, store, saved)
    if not notify_coordinators:
        return signal
    link = app_link("signals.detail", signal_id=signal.id)  # the id only, never the reference
    for coordinator in active_with_role(Role.COORDINATOR):
        notify(
            coordinator,
            "Nieuwe melding in casustafel",
            "Er is een nieuwe melding binnengekomen in casustafel. Log in om deze te bekijken.",
            link=link,
        )
    return signal


def add_attachment(actor: User, signal: Signal, upload, store, saved=None) -> Attachment:
    """Store an already type-checked upload encrypted and link it to the signal."""
    attachment = Attachment(content_type=upload.content_type, uploaded_by_id=actor.id)
    attachment.filename = base_name(upload.filename)
    upload.stream.seek(0)
    stored = store.save(attachment.id, upload.stream, current_app.extensions["casustafel_keyring"])
    if saved is not None:
        saved.append(attachment.id)
    attachment.size = stored.size
    attachment.wrapped_key = stored.wrapped_key
    attachment.digest = stored.digest
    signal.attachments.append(attachment)
    db.session.flush()
    record(actor, "attachment.uploaded", attachment, purpose="melding")
    return attachment


ANSWER_SUBJECT = "Antwoord van een melder"
ANSWER_BODY = "Een melder heeft een vraag over een melding beantwoord in casustafel. Log in om het antwoord te lezen."


def answer_question(actor, signal: Signal, question: InformationRequest, answer: str) -> None:
    """Store the reporter's answer and put the signal back in the status it had before."""
    question.answer = answer
    question.answered_at = utcnow()
    if signal.status == QUESTION and signal.status_before_question:
        transition(actor, signal, signal.status_before_question, reason_code="aanvulling_ontvangen")
    record(actor, "signal.question_answered", question, purpose="melding")
    # The signal's coordinator hears that there is an answer (not what); nobody's signal yet: every
    # coordinator. The answer also stands on their start page (main/services.py).
    owner = signal.owner
    if owner is None or not owner.active or not owner.has_role(Role.COORDINATOR):
        owner = None
    link = app_link("signals.detail", signal_id=signal.id)
    for coordinator in [owner] if owner is not None else active_with_role(Role.COORDINATOR):
        notify(coordinator, ANSWER_SUBJECT, ANSWER_BODY, link=link)


# --- talking to the reporter and legal hold --------------------------------------------------


def _tell_reporter(signal: Signal) -> None:
    notify(signal.reporter, "Nieuws over uw melding",
           "Er is nieuws over een melding die u heeft gedaan. Log in bij casustafel en kijk bij Mijn meldingen.")


# --- feedback level (setting feedback_level, per municipality) ---------------------------------

# Messages the coordinator may send per level; the question message goes only with a question,
# at every level (the reporter must be able to answer).
FEEDBACK_CHOICES = {
    FeedbackLevel.GEEN: (),
    FeedbackLevel.STANDAARD: ("in_behandeling", "afgehandeld"),
    FeedbackLevel.STATUSSEN: ("ontvangen", "in_behandeling", "afgesloten", "doorgezet"),
}
QUESTION_MESSAGE = "aanvullende_vraag"
RECEIVED = "ontvangen"


class FeedbackNotAllowedError(ValueError):
    """The municipality's feedback level does not allow this message."""


def feedback_choices(level: str | None = None) -> dict[str, str]:
    """The standard messages the coordinator may send under the level, with their text."""
    level = level or feedback_level()
    return {code: FEEDBACK_MESSAGES[code] for code in FEEDBACK_CHOICES.get(level, ())}


def reporter_status(signal: Signal, level: str | None = None) -> ReporterStatus:
    """Where the signal stands, in the reporter's words as far as the level allows: never an
    internal status. An open question reads "Vraag aan u" (not under "geen": the question
    itself is shown at every level, apart from the status)."""
    level = level or feedback_level()
    if level == FeedbackLevel.GEEN:
        return ReporterStatus.ONTVANGEN
    if open_question(signal) is not None:
        return ReporterStatus.VRAAG
    status = REPORTER_STATUS.get(signal.status, ReporterStatus.IN_BEHANDELING)
    if level == FeedbackLevel.STANDAARD:
        return STANDARD_STATUS.get(status, status)
    return status


def open_question(signal: Signal) -> InformationRequest | None:
    return next((q for q in signal.questions if q.answered_at is None), None)


def waiting_questions(user) -> list[Signal]:
    """The user's own signals with a question waiting for their answer (the start page's flag),
    newest first: reference and id only."""
    waiting = select(InformationRequest.signal_id).where(InformationRequest.answered_at.is_(None))
    return list(db.session.scalars(
        select(Signal).options(load_only(Signal.reference, Signal.received_at))
        .where(Signal.reporter_id == user.id, Signal.id.in_(waiting))
        .order_by(Signal.received_at.desc())
    ))


NO_ADDRESS = "geen adres"


def reported_place(signal: Signal) -> str:
    """The city of the first address the reporter gave (an address or premises first, then a
    subject's address), or "geen adres". Subjects and locations come only from the meldpunt
    form: nothing the municipality adds later, and never a name."""
    for address in (*signal.locations, *signal.subjects):
        if address.city:
            return address.city
    return NO_ADDRESS


@dataclass(frozen=True)
class ReporterQuestion:
    asked_at: datetime
    question: str
    answered_at: datetime | None
    answer: str | None


@dataclass(frozen=True)
class ReporterView:
    """What the reporter sees of their own signal: what they entered themselves (phenomenon,
    place, date received), a status in their words under the feedback level, the messages
    (sent date, text; newest last) and, on the detail page, every question with their answer."""

    status: ReporterStatus
    messages: list[tuple[datetime, str]]
    phenomenon: str
    place: str
    received_at: datetime
    question_open: bool
    questions: list[ReporterQuestion] = field(default_factory=list)

    @property
    def last_message(self) -> tuple[datetime, str] | None:
        return self.messages[-1] if self.messages else None


def _messages(signal: Signal, level: str) -> list[tuple[datetime, str]]:
    if level == FeedbackLevel.STATUSSEN:
        return [(f.sent_at, f.message) for f in signal.feedback]
    if level == FeedbackLevel.STANDAARD:
        return [(f.sent_at, FEEDBACK_MESSAGES[STANDARD_FEEDBACK[f.code]]) for f in signal.feedback
                if f.code in STANDARD_FEEDBACK]
    return [(f.sent_at, FEEDBACK_MESSAGES[RECEIVED]) for f in signal.feedback if f.code == RECEIVED]


def reporter_view(signal: Signal, level: str | None = None, *, with_questions: bool = False) -> ReporterView:
    """Statuses: the status in the reporter's words and every message, as sent. Standard: only
    the fixed texts (ontvangen, in behandeling, afgehandeld, a question), never whether the
    signal was closed or handed over. None: only that it was received. The questions and the
    reporter's answers stay at every level (the reporter must be able to answer, and to see
    what they answered)."""
    level = level or feedback_level()
    questions = [ReporterQuestion(q.asked_at, q.question, q.answered_at, q.answer)
                 for q in signal.questions] if with_questions else []
    return ReporterView(
        status=reporter_status(signal, level),
        messages=_messages(signal, level),
        phenomenon=signal.phenomenon.name if signal.phenomenon else "—",
        place=reported_place(signal),
        received_at=signal.received_at,
        question_open=open_question(signal) is not None,
        questions=questions,
    )


def send_feedback(actor, signal: Signal, code: str) -> Feedback:
    """Send a standard message (never content) and tell the reporter there is news.

    Refused (FeedbackNotAllowedError) when the feedback level does not allow the message; the
    question message is always allowed."""
    if code != QUESTION_MESSAGE and code not in feedback_choices():
        raise FeedbackNotAllowedError(code)
    feedback = Feedback(signal=signal, code=code, sent_by_id=actor.id)
    db.session.add(feedback)
    _tell_reporter(signal)
    db.session.flush()
    record(actor, "feedback.sent", feedback, reason_code=code, purpose="casustafel")
    return feedback


def ask_question(actor, signal: Signal, text: str) -> InformationRequest:
    """Put the signal on hold for the reporter's answer (TransitionError when it cannot be)."""
    transition(actor, signal, QUESTION, reason_code="aanvullende_vraag")
    question = InformationRequest(signal=signal, asked_by_id=actor.id)
    question.question = text
    db.session.add(question)
    send_feedback(actor, signal, "aanvullende_vraag")
    record(actor, "signal.question_asked", question, purpose="casustafel")
    return question


class SummaryError(ValueError):
    """A refused summary, with a Dutch message for the user."""


def record_summary(actor, signal: Signal, text: str) -> None:
    """Store the coordinator's anonymised summary: what members and packages get instead of the
    reporter's own words (setting reporter_summary_required). Logged without its text."""
    refuse_if_restricted(signal, SummaryError)
    signal.summary = text
    signal.summary_recorded_at = utcnow()
    record(actor, "signal.summary_recorded", signal, purpose="casustafel")


def set_legal_hold(actor, signal: Signal, reason_code: str) -> None:
    signal.legal_hold, signal.legal_hold_reason, signal.legal_hold_since = True, reason_code, utcnow()
    record(actor, "signal.legal_hold_set", signal, reason_code=reason_code, purpose="casustafel")


def release_legal_hold(actor, signal: Signal) -> None:
    reason_code = signal.legal_hold_reason
    signal.legal_hold, signal.legal_hold_reason, signal.legal_hold_since = False, None, None
    record(actor, "signal.legal_hold_released", signal, reason_code=reason_code, purpose="casustafel")
