"""Municipality-wide settings the admin can change, and the organisation's own look."""

from datetime import datetime

from sqlalchemy import LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from casustafel.extensions import db


class Setting(db.Model):
    """A municipality-wide setting the admin can change (e.g. who records privacy checks)."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class OrganisationProfile(db.Model):
    """The municipality's own name, contact details, logo and theme (one row, id 1).

    Every field is optional: what is empty here comes from the environment
    (CASUSTAFEL_ORGANISATION_*, config.py), then from casustafel's defaults
    (casustafel/organisation.py). Staff contact details that appear on every letter; no data of
    signals or subjects."""

    __tablename__ = "organisation_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(120))
    department: Mapped[str | None] = mapped_column(String(120))
    postal_address: Mapped[str | None] = mapped_column(String(300))
    website: Mapped[str | None] = mapped_column(String(200))
    contact_name: Mapped[str | None] = mapped_column(String(120))
    contact_role: Mapped[str | None] = mapped_column(String(120))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    signatory_name: Mapped[str | None] = mapped_column(String(120))
    signatory_role: Mapped[str | None] = mapped_column(String(200))
    theme_class: Mapped[str | None] = mapped_column(String(64))
    # A PNG re-encoded by the app from the uploaded PNG or JPEG (no metadata, no other format).
    logo_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The uploaded theme stylesheet, checked: no @import, no address outside the app.
    theme_css: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime | None] = mapped_column()
