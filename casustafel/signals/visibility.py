"""What a reader may see of a signal: exactly the fields a privacy check opened (2A for a
meeting's members, 2B for an action's owner), never the reporter. Rendered by
templates/meetings/_item.html (`item_content`).

The description field ("beschrijving") shows the coordinator's anonymised summary, never the
reporter's own words, while the setting reporter_summary_required is on (the default).
"""

from dataclasses import dataclass, field

from sqlalchemy import select

from casustafel.extensions import db
from casustafel.models import SHAREABLE_FIELDS, Signal, SourceQuery
from casustafel.processing import is_restricted
from casustafel.settings import reporter_summary_required

SUBJECT_LIST_FIELDS = frozenset({"betrokkenen", "geboortedata", "kvk"})
EVERYTHING = frozenset(SHAREABLE_FIELDS)


@dataclass
class SignalView:
    """A signal as a reader may see it: the fields a check opened, nothing more."""

    signal: Signal
    fields: frozenset[str]
    sources: list[SourceQuery] = field(default_factory=list)
    summary_only: bool = field(default_factory=reporter_summary_required)
    restricted: bool = False  # art. 18 AVG: the reader sees that, and nothing of the content

    @property
    def description(self) -> str | None:
        """What a reader gets for the description: the anonymised summary when the setting
        protects the reporter (None until the coordinator wrote it), else the description."""
        if not self.shows("beschrijving"):
            return None
        return self.signal.summary if self.summary_only else self.signal.description

    def shows(self, code: str) -> bool:
        return code in self.fields

    @property
    def shows_subject_list(self) -> bool:
        return bool(self.fields & SUBJECT_LIST_FIELDS)

    @property
    def shows_subjects(self) -> bool:
        """Any data of a subject is shown (for the access log)."""
        return bool(self.fields & (SUBJECT_LIST_FIELDS | {"adressen"}))

    @property
    def addresses(self) -> list[str]:
        """Addresses of premises, plus the subjects' own when no subject list shows them."""
        lines = [loc.address_line for loc in self.signal.locations if loc.address_line]
        if not self.shows_subject_list:
            lines += [s.address_line for s in self.signal.subjects if s.address_line]
        return lines

    @property
    def subject_ids(self) -> list[str]:
        """Pseudonyms for the access log: the subjects whose data this view shows."""
        return [str(s.id) for s in self.signal.subjects] if self.shows_subjects else []


def sources_of(signal: Signal, fields: frozenset[str]) -> list[SourceQuery]:
    """The source checks of the signal, when the reader may see them."""
    if "bronnen" not in fields:
        return []
    return list(db.session.scalars(
        select(SourceQuery).where(SourceQuery.signal_id == signal.id).order_by(SourceQuery.queried_at)
    ))


def signal_view(signal: Signal, fields: frozenset[str]) -> SignalView:
    """What an action's owner may see; nothing of a signal whose processing is restricted."""
    if is_restricted(signal):
        return SignalView(signal=signal, fields=frozenset(), restricted=True)
    fields = frozenset(code for code in fields if code in SHAREABLE_FIELDS)
    return SignalView(signal=signal, fields=fields, sources=sources_of(signal, fields))
