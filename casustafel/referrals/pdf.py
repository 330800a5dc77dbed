"""The referral package as PDF (WeasyPrint), holding only the approved data categories.

WeasyPrint fetches nothing: the template embeds its CSS and the URL fetcher refuses every
URL, so no text in a signal can make the server load a resource. The template gets a
`PackageView` that exposes only the allowed categories: never the reporter, and received
information only where an approved exception names this referral (never Bibob information).
While the setting reporter_summary_required is on, the description category holds the
coordinator's anonymised summary, never the reporter's own words (sending is refused until
the summary exists: referrals.services.summary_missing).
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from casustafel import dates
from casustafel.extensions import db
from casustafel.models import SHAREABLE_FIELDS, SourceQuery
from casustafel.referrals.received_services import approved_for_referral
from casustafel.settings import reporter_summary_required
from casustafel.web.pdf import render_pdf


@dataclass(frozen=True)
class SubjectLine:
    kind: str
    role: str
    name: str | None
    birth_date: str | None
    kvk_number: str | None
    address: str | None


@dataclass(frozen=True)
class ReceivedLine:
    """Received information an approved exception lets into this package, with its conditions."""

    source: str
    ground: str
    received_on: date
    content: str
    conditions: str | None


@dataclass(frozen=True)
class PackageView:
    """What a package may hold: plain values copied from the signal, per allowed category."""

    signal_reference: str
    categories: list[str]
    phenomenon: str | None = None
    indicators: tuple[str, ...] = ()
    description: str | None = None
    summary_only: bool = False
    subjects: tuple[SubjectLine, ...] = ()
    addresses: tuple[str, ...] = ()
    sources: tuple[tuple[str, bool], ...] = ()
    received: tuple[ReceivedLine, ...] = ()

    @property
    def category_labels(self) -> list[str]:
        return [SHAREABLE_FIELDS[c] for c in self.categories]


def package_view(referral, categories) -> PackageView:
    signal = referral.signal
    shown = set(categories)
    data = {"signal_reference": signal.reference, "categories": list(categories)}
    if "fenomeen" in shown:
        data["phenomenon"] = signal.phenomenon.full_name if signal.phenomenon else None
        data["indicators"] = tuple(f"{i.group_label}: {i.label}" for i in signal.indicators)
    if "beschrijving" in shown:
        data["summary_only"] = reporter_summary_required()
        data["description"] = signal.summary if data["summary_only"] else signal.description
    if shown & {"betrokkenen", "geboortedata", "kvk"}:
        data["subjects"] = tuple(
            SubjectLine(
                kind=s.kind_label, role=s.role_label,
                name=s.name if "betrokkenen" in shown else None,
                birth_date=str(s.birth_date) if "geboortedata" in shown and s.birth_date else None,
                kvk_number=s.kvk_number if "kvk" in shown else None,
                address=s.address_line if "adressen" in shown else None,
            )
            for s in signal.subjects
        )
    if "adressen" in shown:
        lines = [loc.address_line for loc in signal.locations if loc.address_line]
        if not data.get("subjects"):
            lines += [s.address_line for s in signal.subjects if s.address_line]
        data["addresses"] = tuple(lines)
    if "bronnen" in shown:
        queries = db.session.scalars(
            select(SourceQuery).where(SourceQuery.signal_id == signal.id).order_by(SourceQuery.queried_at)
        )
        data["sources"] = tuple((q.register_label, q.hit) for q in queries)
    data["received"] = tuple(
        ReceivedLine(source=item.source_label, ground=item.ground_label, received_on=item.received_on,
                     content=item.content, conditions=item.conditions)
        for item in approved_for_referral(referral)
    )
    return PackageView(**data)


def render_package(referral, categories) -> bytes:
    return render_pdf("referrals/pdf_package.html", referral=referral, view=package_view(referral, categories),
                      generated_at=dates.today())
