"""Links from a signal to decisions in the municipality's case system (zaaksysteem): 13b,
handhaving, Bibob. casustafel keeps the kind, the zaaknummer (encrypted), the date and who
added it. Services take the actor and never commit; each read and addition is logged."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from casustafel import dates
from casustafel.audit_log import record
from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.forms import FieldError
from casustafel.models import CaseLinkKind, CaseSystemLink
from casustafel.processing import refuse_if_restricted

PURPOSE = "casustafel"
MAX_ZAAKNUMMER = 64

NEED_KIND = "Kies de soort besluit."
NEED_ZAAKNUMMER = "Vul het zaaknummer in."
NEED_DATE = "Vul de datum van het besluit in."
IN_FUTURE = "Deze datum ligt in de toekomst. Vul een datum van vandaag of eerder in."
DESTROYED = "De inhoud van deze melding is vernietigd; er kan geen zaaknummer meer bij."


class CaseLinkError(FieldError):
    """A refused link: `field` names the form field the message belongs next to."""


@dataclass
class CaseLinkInput:
    kind: str
    zaaknummer: str
    decided_on: date | None


def add_case_link(actor, signal, data: CaseLinkInput) -> CaseSystemLink:
    if signal.destroyed_at is not None:
        raise CaseLinkError(DESTROYED)
    refuse_if_restricted(signal, CaseLinkError)
    if data.kind not in CaseLinkKind.labels():
        raise CaseLinkError(NEED_KIND, "kind")
    zaaknummer = (data.zaaknummer or "").strip()
    if not zaaknummer:
        raise CaseLinkError(NEED_ZAAKNUMMER, "zaaknummer")
    if len(zaaknummer) > MAX_ZAAKNUMMER:
        raise CaseLinkError(f"Een zaaknummer is hooguit {MAX_ZAAKNUMMER} tekens.", "zaaknummer")
    if data.decided_on is None:
        raise CaseLinkError(NEED_DATE, "decided_on")
    if data.decided_on > dates.today():
        raise CaseLinkError(IN_FUTURE, "decided_on")
    link = CaseSystemLink(signal_id=signal.id, kind=data.kind, decided_on=data.decided_on,
                          added_by_id=getattr(actor, "id", None), added_at=utcnow())
    link.zaaknummer = zaaknummer
    db.session.add(link)
    db.session.flush()
    record(actor, "case_system_link.added", link, purpose=PURPOSE)
    return link


def case_links_of(signal) -> list[CaseSystemLink]:
    return list(db.session.scalars(
        select(CaseSystemLink).where(CaseSystemLink.signal_id == signal.id)
        .order_by(CaseSystemLink.decided_on, CaseSystemLink.added_at)
    ))


def record_links_viewed(actor, links) -> None:
    for link in links:
        record(actor, "case_system_link.viewed", link, purpose=PURPOSE)
