"""Referrals: creating, sending (the package), following up, reminding.

Services take the actor explicitly and never commit. A package holds only the data categories
that the coordinator chose and an approved privacy check 2B allowed: never the reporter,
never received information except a record an approved exception names for this referral
(received_services.py).
"""

import hashlib
import io
from datetime import date

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from casustafel.audit_log import record
from casustafel.dates import day_start_utc, utcnow
from casustafel.extensions import db
from casustafel.models import (
    OTHER_GROUND,
    SHAREABLE_FIELDS,
    LegalGround,
    Partner,
    PrivacyCheck,
    Referral,
    User,
)
from casustafel.models.referral import AWAITING_ANSWER
from casustafel.models.roles import Role
from casustafel.notifications import notify
from casustafel.privacy.decisions import notify_privacy_officers
from casustafel.privacy.services import request_privacy_check
from casustafel.processing import refuse_if_restricted
from casustafel.settings import reporter_summary_required
from casustafel.signals.weighing import decided_handover
from casustafel.signals.workflow import HANDED_OVER, may_hand_over, transition

INTERNAL_HANDOVER = ("Besloten is dat een afdeling de regie neemt: kies als ontvanger een afdeling van de gemeente "
                     "(een interne partner).")
EXTERNAL_HANDOVER = ("Besloten is een overdracht aan een partner buiten de gemeente: kies geen interne afdeling, "
                     "of leg eerst een ander besluit vast.")
NO_LEGAL_GROUND = "Deze grondslag staat niet (meer) in de lijst. Kies een grondslag uit de lijst."
NEED_GROUND_NOTE = "Licht de grondslag toe als u ‘Anders’ kiest."
NO_HANDOVER_DECIDED = ("Een overdracht volgt op een besluit: weging 3, weging 4 of de casustafel. Leg dat "
                       "besluit eerst vast; zonder besluit deelt een verstrekking alleen informatie.")

PURPOSE = "verstrekking"
REFERENCE_ATTEMPTS = 20

# The statuses a referral may move to by hand once it is sent: forward only.
NEXT_STATUSES = {
    "concept": (),
    "verstuurd": ("verstuurd", "ontvangen", "in_behandeling", "afgerond"),
    "ontvangen": ("ontvangen", "in_behandeling", "afgerond"),
    "in_behandeling": ("in_behandeling", "afgerond"),
    "afgerond": (),
}

REMINDER_SUBJECT = "Terugkoppeling van een partner verlopen"
REMINDER_BODY = "Voor een verstrekking in casustafel is de gevraagde terugkoppeling van de partner verlopen."


class ReferralError(ValueError):
    """A refused referral change, with a Dutch message for the user."""


def active_partners() -> list[Partner]:
    return list(db.session.scalars(
        select(Partner).where(Partner.active.is_(True)).order_by(Partner.position, Partner.name)
    ))


def active_legal_grounds() -> list[LegalGround]:
    return list(db.session.scalars(
        select(LegalGround).where(LegalGround.active.is_(True)).order_by(LegalGround.position, LegalGround.id)
    ))


def referrals_of(signal) -> list[Referral]:
    return list(db.session.scalars(
        select(Referral).where(Referral.signal_id == signal.id).order_by(Referral.created_at)
    ))


def _reference_taken(reference: str | None) -> bool:
    return bool(reference) and db.session.scalar(select(Referral.id).where(Referral.reference == reference)) is not None


def create_referral(actor, signal, *, partner: Partner, purpose: str, legal_ground: str,
                    legal_ground_note: str | None, data_categories, channel: str,
                    feedback_due: date | None, hands_over: bool = False) -> Referral:
    """Record a concept referral and ask privacy check 2B for it. A handover moves the signal
    to ‘doorgezet’ when it is sent. The referral keeps the text of its legal ground as the
    list reads now; only a ground in use may be chosen. Refused while the signal's processing
    is restricted (art. 18 AVG)."""
    refuse_if_restricted(signal, ReferralError)
    if signal.status == "afgesloten":
        raise ReferralError("Deze melding is afgesloten. Heropen de melding eerst om iets te verstrekken.")
    if not partner.active:
        raise ReferralError("Deze partner is niet meer in gebruik.")
    ground = db.session.scalar(select(LegalGround).where(LegalGround.code == legal_ground,
                                                         LegalGround.active.is_(True)))
    if ground is None:
        raise ReferralError(NO_LEGAL_GROUND)
    if ground.code == OTHER_GROUND and not (legal_ground_note or "").strip():
        raise ReferralError(NEED_GROUND_NOTE)
    categories = [code for code in SHAREABLE_FIELDS if code in set(data_categories)]
    if not categories:
        raise ReferralError("Kies minstens één soort gegevens.")
    decided = decided_handover(signal) if hands_over else None
    if hands_over and decided is None:
        raise ReferralError(NO_HANDOVER_DECIDED)
    if hands_over and (decided == "intern") != partner.internal:
        raise ReferralError(INTERNAL_HANDOVER if decided == "intern" else EXTERNAL_HANDOVER)
    for _ in range(REFERENCE_ATTEMPTS):
        referral = Referral(signal_id=signal.id, partner_id=partner.id, status="concept", legal_ground=ground.code,
                            legal_ground_text=ground.full_label, data_categories=categories, channel=channel,
                            feedback_due=feedback_due, hands_over=bool(hands_over),
                            created_by_id=getattr(actor, "id", None))
        referral.purpose = purpose
        referral.legal_ground_note = legal_ground_note or None
        try:
            with db.session.begin_nested():  # the insert gives the next VS-YYYY-NNNN (models/referral.py)
                db.session.add(referral)
        except IntegrityError:
            if _reference_taken(referral.reference):
                continue  # another coordinator took this number at the same moment: take the next one
            raise
        break
    else:
        raise ReferralError("Er kon geen kenmerk worden toegekend. Probeer het opnieuw.")
    record(actor, "referral.created", referral, purpose=PURPOSE)
    request_privacy_check(actor, signal, "2B", referral=referral)
    if actor is not None:  # notify_privacy_officers leaves out the actor, so it needs one
        notify_privacy_officers(actor)
    return referral


def privacy_check(referral: Referral) -> PrivacyCheck | None:
    """The most recent privacy check 2B asked for this referral."""
    return db.session.scalar(
        select(PrivacyCheck)
        .where(PrivacyCheck.referral_id == referral.id, PrivacyCheck.kind == "2B")
        .order_by(PrivacyCheck.requested_at.desc())
        .limit(1)
    )


def approved_categories(referral: Referral) -> list[str]:
    """Chosen ∩ allowed by a decided, approved check 2B; empty when there is none."""
    check = privacy_check(referral)
    if check is None or check.status != "besloten" or not check.approved:
        return []
    allowed = set(check.allowed_fields or []) & set(SHAREABLE_FIELDS)
    return [code for code in SHAREABLE_FIELDS if code in allowed and code in set(referral.data_categories or [])]


def privacy_status(referral: Referral) -> str:
    check = privacy_check(referral)
    if check is None:
        return "Privacytoets 2B is nog niet aangevraagd"
    if check.status == "open":
        return "Wacht op privacytoets 2B"
    if not check.approved:
        return "Privacytoets 2B: afgewezen; er mag niets worden verstrekt"
    if not approved_categories(referral):
        return "Privacytoets 2B: geen van de gekozen gegevens is toegestaan"
    return "Privacytoets 2B: goedgekeurd"


def summary_missing(referral: Referral, categories=None) -> bool:
    """True when the package would hold the description, the setting says members and packages
    get only the coordinator's anonymised summary, and there is none yet."""
    categories = approved_categories(referral) if categories is None else categories
    return ("beschrijving" in categories and reporter_summary_required()
            and not referral.signal.summary)


SUMMARY_MISSING = ("Deze verstrekking bevat de beschrijving van de melding, maar er is nog geen geanonimiseerde "
                   "samenvatting. De woorden van de melder gaan nooit mee. Schrijf eerst de samenvatting bij de "
                   "melding (Geanonimiseerde samenvatting) en verstuur dan opnieuw.")


def send_referral(actor, referral: Referral, *, store, keyring, render, today: date) -> None:
    """Generate the package, store it encrypted with its SHA-256 and mark the referral sent.

    `render(referral, categories)` returns the PDF bytes; the referral records exactly those
    categories as sent, which is what the register states. Refused unless the referral is a
    concept with an approved check 2B that allows at least one chosen category.
    """
    if referral.status != "concept":
        raise ReferralError("Deze verstrekking is al verstuurd.")
    refuse_if_restricted(referral.signal, ReferralError)  # no package leaves while restricted
    categories = approved_categories(referral)
    if not categories:
        raise ReferralError("Verstrekken kan pas na een goedgekeurde privacytoets 2B die minstens één van "
                            "de gekozen gegevens toestaat.")
    if referral.hands_over and not may_hand_over(referral.signal):
        raise ReferralError(f"Deze verstrekking draagt de zaak over, maar in de status "
                            f"‘{referral.signal.status_label}’ kan de melding niet worden doorgezet. "
                            "Wacht bijvoorbeeld eerst op het antwoord van de melder.")
    if summary_missing(referral, categories):
        raise ReferralError(SUMMARY_MISSING)
    content = render(referral, categories)
    # Claim the referral before touching its file: the versioned UPDATE waits for (or fails
    # with StaleDataError against) anyone sending it at the same moment, so their package stays.
    referral.status = "verstuurd"
    referral.sent_on = today
    referral.sent_categories = list(categories)  # the register's record of what left
    db.session.flush()
    store.delete(referral.id)  # a concept has no package; a file left by a failed attempt is stale
    stored = store.save(referral.id, io.BytesIO(content), keyring)
    referral.package_wrapped_key = stored.wrapped_key
    referral.package_digest = stored.digest
    referral.package_sha256 = hashlib.sha256(content).hexdigest()
    referral.package_size = stored.size
    record(actor, "referral.sent", referral, purpose=PURPOSE, subjects=subject_ids(referral, categories))
    if referral.hands_over:
        transition(actor, referral.signal, HANDED_OVER, reason_code="verstrekking", handover=referral)


def subject_ids(referral: Referral, categories) -> list[str] | None:
    """Pseudonyms of the subjects whose data a package with these categories holds."""
    if not set(categories) & {"betrokkenen", "geboortedata", "kvk", "adressen"}:
        return None
    return [str(s.id) for s in referral.signal.subjects] or None


def update_progress(actor, referral: Referral, *, status: str, recipient_reference: str | None,
                    answer: str | None, today: date) -> None:
    """Record the partner's reference, the status and the answer; afgerond needs the answer."""
    if status not in NEXT_STATUSES.get(referral.status, ()):
        raise ReferralError("Deze stap is voor deze verstrekking niet mogelijk.")
    if status == "afgerond" and not (answer or referral.answer):
        raise ReferralError("Vul het antwoord van de ontvanger in om de verstrekking af te ronden.")
    if recipient_reference:
        referral.recipient_reference = recipient_reference
    if answer:
        referral.answer = answer
        referral.answered_on = referral.answered_on or today
    referral.status = status
    record(actor, "referral.updated", referral, purpose=PURPOSE, reason_code=status)


def read_package(referral: Referral, *, store, keyring) -> bytes:
    """The package's bytes, after checking the stored file and the recorded SHA-256."""
    if not referral.package_digest or not store.verify(referral.id, referral.package_digest):
        raise ReferralError("Het pakket is niet intact.")
    content = b"".join(store.open(referral.id, referral.package_wrapped_key, keyring))
    if hashlib.sha256(content).hexdigest() != referral.package_sha256:
        raise ReferralError("Het pakket is niet intact.")
    return content


# --- the register --------------------------------------------------------------------------


def register_query(*, partner_id=None, sent_from=None, sent_until=None, status=None):
    """The register of disclosures: sent referrals only, since a concept disclosed nothing."""
    stmt = select(Referral).where(Referral.sent_on.is_not(None))
    if partner_id:
        stmt = stmt.where(Referral.partner_id == partner_id)
    if sent_from:
        stmt = stmt.where(Referral.sent_on >= sent_from)
    if sent_until:
        stmt = stmt.where(Referral.sent_on <= sent_until)
    if status:
        stmt = stmt.where(Referral.status == status)
    return stmt


def concepts_query(*, partner_id=None):
    """Referrals not sent yet, newest first: work in progress, not part of the register."""
    stmt = select(Referral).where(Referral.sent_on.is_(None))
    if partner_id:
        stmt = stmt.where(Referral.partner_id == partner_id)
    return stmt.order_by(Referral.created_at.desc())


def count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.subquery()))


# --- reminders -----------------------------------------------------------------------------


def overdue_referrals(today: date) -> list[Referral]:
    """Sent referrals whose feedback is overdue and unanswered, not yet reminded today."""
    return list(db.session.scalars(
        select(Referral).where(
            Referral.status.in_(AWAITING_ANSWER),
            Referral.answered_on.is_(None),
            Referral.feedback_due < today,
            or_(Referral.last_reminded_at.is_(None), Referral.last_reminded_at < day_start_utc(today)),
        ).order_by(Referral.feedback_due)
    ))


def remind(actor, today: date) -> tuple[int, int]:
    """Queue one content-free message per active coordinator; return (referrals, messages)."""
    referrals = overdue_referrals(today)
    if not referrals:
        return 0, 0
    coordinators = [u for u in db.session.scalars(select(User).where(User.active.is_(True)))
                    if u.has_role(Role.COORDINATOR)]
    for user in coordinators:
        notify(user, REMINDER_SUBJECT, REMINDER_BODY)
    for referral in referrals:
        record(actor, "referral.reminded", referral, purpose=PURPOSE)
    # Bookkeeping, not a change: leave the version alone so an open form does not turn stale.
    table = Referral.__table__
    db.session.execute(update(table).where(table.c.id.in_([r.id for r in referrals]))
                       .values(last_reminded_at=utcnow()))
    return len(referrals), len(coordinators)
