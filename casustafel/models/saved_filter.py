"""A coordinator's saved inbox filters ("mijn werkvoorraad"): a name and the inbox's filter
arguments, applied again with one link."""

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models.base import new_uuid

# The inbox's GET filters, by their names in the URL: the only arguments a saved filter holds.
# Each is a code, an id or a number of days; the search (names, addresses: a POST) never is.
SAVED_FILTER_KEYS = ("status", "fenomeen", "kanaal", "urgentie", "regisseur", "ouder_dan", "sorteren")
SAVED_FILTER_NAME_MAX = 80


def filter_arguments(params) -> dict[str, str]:
    """The known filter arguments of `params` as strings; any other key or an empty value is dropped."""
    params = params if isinstance(params, dict) else {}
    return {key: str(params[key]) for key in SAVED_FILTER_KEYS if params.get(key) not in (None, "")}


class SavedFilter(db.Model):
    """One user's named inbox filter; nobody else sees it."""

    __tablename__ = "saved_filter"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_saved_filter_user_id_name"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(SAVED_FILTER_NAME_MAX))
    params: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def arguments(self) -> dict[str, str]:
        """The query-string arguments of the inbox link: only the known filters, even if the
        stored JSON held anything else."""
        return filter_arguments(self.params)
