"""Deciding privacy checks 1, 2A and 2B, and reopening a decision the coordinator recorded.
The caller commits.

A check is decided once: the first decision wins, a later one is refused. After the decision
the privacy officer no longer reads the signal through this check. Where the setting lets the
coordinator record the checks, every such decision is told to the privacy officers, who may
reopen it: the decision no longer counts, and a new check waits for a privacy officer.
"""

from sqlalchemy import select, update

from casustafel.audit_log import record
from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models import (
    SHAREABLE_FIELDS,
    CheckStatus,
    Department,
    MeetingInvitee,
    Power,
    PrivacyCheck,
    PrivacyCheckRegister,
    Referral,
    User,
)
from casustafel.models.registers import register_labels
from casustafel.models.roles import Role
from casustafel.notifications import notify
from casustafel.permissions import coordinator_records_privacy_checks
from casustafel.processing import refuse_if_restricted

NEED_REGISTER = "Kies bij goedkeuring minstens één bron die mag worden geraadpleegd."
NEED_FIELD = "Kies bij goedkeuring minstens één gegeven dat mag worden gedeeld."
CONTENT_NOT_ALLOWED = "Inhoud kan alleen worden toegestaan voor bronnen die ook mogen worden geraadpleegd."
# Privacy check 1 per allowed register (model protocol): A, B and C, each a required text.
ASSESSMENT_PARTS = {
    "a": "Vul voor {label} de grondslag in waaronder de gegevens oorspronkelijk zijn verzameld.",
    "b": "Vul voor {label} in waarom verder gebruik verenigbaar is.",
    "c": "Vul voor {label} in waarom raadplegen noodzakelijk, proportioneel en subsidiair is.",
}


class DecisionError(ValueError):
    """A refused decision, with a Dutch message for the user."""


def invited_departments(check: PrivacyCheck) -> list[Department]:
    """The distinct departments invited to the meeting of a check 2A, by name."""
    if check.meeting_id is None:
        return []
    return list(
        db.session.scalars(
            select(Department)
            .where(
                Department.id.in_(
                    select(MeetingInvitee.department_id).where(MeetingInvitee.meeting_id == check.meeting_id)
                )
            )
            .order_by(Department.name)
        )
    )


def _codes(values, allowed: dict, what: str) -> list[str]:
    values = list(values or [])
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise DecisionError(f"Onbekende {what}: {', '.join(map(str, unknown))}.")
    return [code for code in allowed if code in values]  # canonical order, no duplicates


def _refuse_out_of_use(codes, in_use: dict) -> None:
    """A register out of use stays on the checks that allowed it but is not chosen anew."""
    if not codes:
        return
    labels = register_labels()
    for code in codes:
        if code not in in_use and code in labels:
            raise DecisionError(f"De bron ‘{labels[code]}’ is niet meer in gebruik; kies een bron uit de lijst.")


def missing_assessment(code: str, label: str, assessment: dict | None) -> tuple[str, str] | None:
    """The first of A, B and C left empty for this register, with its message; None when complete."""
    for part, message in ASSESSMENT_PARTS.items():
        if not str((assessment or {}).get(part) or "").strip():
            return part, message.format(label=label)
    return None


def decide_privacy_check(actor, check: PrivacyCheck, *, approved: bool, rationale: str,
                         allowed_registers=(), content_registers=(), register_assessments=None,
                         field_rules=None, allowed_fields=(), powers=()) -> PrivacyCheck:
    """Record the decision on an open check and tell the coordinator that there is news.

    Check 1: registers in use that may be consulted, and those of them that may yield content;
    for each, `register_assessments[code]` = {"a": legal ground of the original collection,
    "b": why further use is compatible, "c": necessity, proportionality, subsidiarity}.
    Check 2A: per invited department the fields its members may see. Check 2B: the fields
    that may go to the department or partner, and (weging 5) the municipal powers in use
    (`powers`, ids from models.power) those data serve. A refusal allows nothing.
    """
    if check.kind in ("2A", "2B"):  # sharing the signal's data is processing (art. 18 AVG)
        refuse_if_restricted(check.signal, DecisionError)
    if not (rationale or "").strip():
        raise DecisionError("Vul de onderbouwing van het besluit in.")
    in_use = register_labels(active_only=True) if check.kind == "1" else {}
    _refuse_out_of_use(list(allowed_registers or []) + list(content_registers or []), in_use)
    registers = _codes(allowed_registers, in_use, "bron")
    with_content = _codes(content_registers, in_use, "bron")
    if not set(with_content) <= set(registers):
        raise DecisionError(CONTENT_NOT_ALLOWED)
    assessments = {code: (register_assessments or {}).get(code) for code in registers} if approved else {}
    for code, assessment in assessments.items():
        missing = missing_assessment(code, in_use[code], assessment)
        if missing:
            raise DecisionError(missing[1])
    fields = _codes(allowed_fields, SHAREABLE_FIELDS, "gegevens")
    if approved and check.kind == "1" and not registers:
        raise DecisionError(NEED_REGISTER)
    if approved and check.kind == "2B" and not fields:
        raise DecisionError(NEED_FIELD)
    power_ids = _power_ids(powers) if check.kind == "2B" and approved else []
    if approved and check.kind == "2B" and not power_ids:
        raise DecisionError(NEED_POWER)
    invited = {str(d.id) for d in invited_departments(check)}
    rules = {}
    for department_id, codes in (field_rules or {}).items():
        if str(department_id) not in invited:
            raise DecisionError("Een afdeling in het besluit is niet voor dit overleg uitgenodigd.")
        rules[str(department_id)] = _codes(codes, SHAREABLE_FIELDS, "gegevens")

    # Claim the check first: of two simultaneous decisions only one finds it still open.
    claimed = db.session.execute(
        update(PrivacyCheck)
        .where(PrivacyCheck.id == check.id, PrivacyCheck.status == "open")
        .values(status="besloten")
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        db.session.refresh(check)
        raise DecisionError("Over deze privacytoets is al besloten.")

    check.status = "besloten"
    check.approved = approved
    check.decided_role = "privacy_officer" if actor.has_role(Role.PRIVACY_OFFICER) else "coordinator"
    check.decided_by_id = actor.id
    check.decided_at = utcnow()
    check.rationale = rationale.strip()
    if check.kind == "1":
        check.allowed_registers = registers if approved else []
        check.content_registers = with_content if approved else []
        for code, assessment in assessments.items():
            row = PrivacyCheckRegister(signal_id=check.signal_id, register=code)
            row.legal_basis = str(assessment["a"]).strip()
            row.compatibility = str(assessment["b"]).strip()
            row.necessity = str(assessment["c"]).strip()
            check.register_assessments.append(row)
    elif check.kind == "2A":
        check.field_rules = {d: rules.get(d, []) for d in sorted(invited)} if approved else {}
    else:
        check.allowed_fields = fields if approved else []
        check.powers = power_ids
    record(actor, "privacy_check.decided", check, purpose="privacytoets",
           reason_code="goedgekeurd" if approved else "afgewezen")
    for user in _coordinators_to_tell(actor, check):
        notify(user, "Besluit over een privacytoets",
               "Er is een besluit genomen over een privacytoets die u hebt aangevraagd.")
    if check.decided_by_coordinator:
        for user in _privacy_officers(actor):
            notify(user, REVIEW_SUBJECT, REVIEW_BODY)
    return check


NEED_POWER = "Kies minstens één bevoegdheid waarvoor de gegevens worden ingezet (weging 5)."


def _power_ids(powers) -> list[int]:
    """Ids of powers in use; anything else is refused."""
    try:
        ids = sorted({int(p) for p in powers or ()})
    except (TypeError, ValueError):
        raise DecisionError("Kies bevoegdheden uit de lijst.") from None
    active = set(db.session.scalars(select(Power.id).where(Power.id.in_(ids), Power.active.is_(True))))
    if set(ids) - active:
        raise DecisionError("Een gekozen bevoegdheid staat niet (meer) in de lijst.")
    return ids


REVIEW_SUBJECT = "Privacytoets vastgelegd door de regisseur"
REVIEW_BODY = ("De regisseur heeft een besluit over een privacytoets vastgelegd. Bekijk het bij de privacytoetsen "
               "en heropen het als het niet klopt.")
NOT_REOPENABLE = "Alleen een besluit dat de regisseur vastlegde en dat nog geldt, kan worden heropend."
ALREADY_SENT = "De verstrekking is al verstuurd; dit besluit kan niet meer worden heropend."


def _privacy_officers(actor) -> list[User]:
    return [u for u in db.session.scalars(select(User).where(User.active.is_(True)))
            if u.has_role(Role.PRIVACY_OFFICER) and u.id != actor.id]


def reopen_privacy_check(actor, check: PrivacyCheck, reason: str) -> PrivacyCheck:
    """A privacy officer sets aside a decision the coordinator recorded: it no longer counts, and
    a new check with the same scope waits for a privacy officer. Returns the new check."""
    if not actor.has_role(Role.PRIVACY_OFFICER) or not check.decided_by_coordinator:
        raise DecisionError(NOT_REOPENABLE)
    if not (reason or "").strip():
        raise DecisionError("Vul in waarom u het besluit heropent.")
    if check.referral_id is not None:
        referral = db.session.get(Referral, check.referral_id)
        if referral is not None and referral.sent_on is not None:
            raise DecisionError(ALREADY_SENT)
    claimed = db.session.execute(
        update(PrivacyCheck)
        .where(PrivacyCheck.id == check.id, PrivacyCheck.status == CheckStatus.BESLOTEN.value)
        .values(status=CheckStatus.HEROPEND.value)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        db.session.refresh(check)
        raise DecisionError(NOT_REOPENABLE)
    check.status = CheckStatus.HEROPEND.value
    again = PrivacyCheck(signal_id=check.signal_id, kind=check.kind, status=CheckStatus.OPEN.value,
                         meeting_id=check.meeting_id, action_id=check.action_id, referral_id=check.referral_id,
                         requested_by_id=actor.id, reopened_from_id=check.id)
    again.request_note = "Heropend door de privacyfunctionaris: " + reason.strip()
    db.session.add(again)
    db.session.flush()
    record(actor, "privacy_check.reopened", check, purpose="privacytoets")
    record(actor, "privacy_check.requested", again, purpose="privacytoets", reason_code="heropend")
    for user in _coordinators_to_tell(actor, check):
        notify(user, "Privacytoets heropend",
               "De privacyfunctionaris heeft een besluit over een privacytoets heropend en besluit er zelf over.")
    return again


def _coordinators_to_tell(actor, check: PrivacyCheck) -> list[User]:
    """The coordinator who asked, or every active coordinator when that one is gone."""
    requester = db.session.get(User, check.requested_by_id) if check.requested_by_id else None
    if requester is not None and requester.active and requester.has_role(Role.COORDINATOR):
        users = [requester]
    else:
        users = [u for u in db.session.scalars(select(User).where(User.active.is_(True)))
                 if u.has_role(Role.COORDINATOR)]
    return [u for u in users if u.id != actor.id]


def notify_privacy_officers(actor) -> None:
    """Tell the privacy officers that a check waits: never which signal or what it is about.
    Nobody is told when the coordinator records the checks (the setting)."""
    if coordinator_records_privacy_checks():
        return
    for user in db.session.scalars(select(User).where(User.active.is_(True))):
        if user.has_role(Role.PRIVACY_OFFICER) and user.id != actor.id:
            notify(user, "Nieuwe privacytoets", "Er staat een privacytoets voor u klaar.")
