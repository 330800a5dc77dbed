"""Municipality-wide settings the admin can change."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from casustafel.extensions import db


class Setting(db.Model):
    """A municipality-wide setting the admin can change (e.g. who records privacy checks)."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
