"""The municipality's own name, letterhead and look, for every page, e-mail and PDF.

Three sources, first one that has a value wins: the admin page (the one OrganisationProfile
row), the environment (CASUSTAFEL_ORGANISATION_*, CASUSTAFEL_THEME_CLASS, CASUSTAFEL_LOGO,
CASUSTAFEL_THEME_STYLESHEET: config.py), casustafel's defaults (the EUPL voorbeeld theme, no
logo). A logo is accepted as PNG or JPEG and stored re-encoded as PNG by Pillow, so no metadata
and no other format (an SVG with a script, a polyglot) is ever served. A theme stylesheet is
parsed and refused when it imports another file or names an address outside the app: with CSP
'self' it could not load one anyway, and a theme that silently half-works helps nobody.
"""

import base64
import hashlib
import io
import os
import re
from dataclasses import dataclass, fields
from pathlib import Path

import tinycss2
from flask import current_app, g, has_app_context
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from casustafel.extensions import db
from casustafel.models import OrganisationProfile

DEFAULT_THEME_CLASS = "voorbeeld-theme"
THEME_CLASS = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
TEXT_FIELDS = ("name", "department", "postal_address", "website", "contact_name", "contact_role",
               "contact_phone", "contact_email", "signatory_name", "signatory_role", "theme_class")
MAX_LOGO_BYTES = 1024 * 1024
MAX_LOGO_PIXELS = 2000  # per side
LOGO_HEIGHT = 120  # pixels stored: enough for a letterhead at 300 dpi, small for every page
MAX_THEME_CSS_BYTES = 256 * 1024
POSTCODE_LINE = re.compile(r"^\d{4}\s?[A-Za-z]{2}\s+(\S.*)$")
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)
URL_IGNORED = re.compile(r"[\x00-\x20]")  # what a URL parser drops: spaces, tabs, line breaks


class RefusedFileError(ValueError):
    """An uploaded logo or stylesheet that casustafel will not serve; the message is Dutch."""


@dataclass(frozen=True)
class Organisation:
    name: str | None = None
    department: str | None = None
    postal_address: str | None = None
    website: str | None = None
    contact_name: str | None = None
    contact_role: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    signatory_name: str | None = None
    signatory_role: str | None = None
    theme_class: str = DEFAULT_THEME_CLASS
    has_logo: bool = False
    has_theme_css: bool = False
    version: str = "0"  # changes when the logo or the stylesheet changes (cache busting)

    @property
    def display_name(self) -> str:
        return self.name or "casustafel"

    @property
    def address_lines(self) -> list[str]:
        return [line.strip() for line in (self.postal_address or "").splitlines() if line.strip()]

    @property
    def place(self) -> str | None:
        """The place of the postal address ("1000 AB Voorbeeldstad" → "Voorbeeldstad"), for the
        date line of a letter; None when the last line does not start with a postcode."""
        found = POSTCODE_LINE.match(self.address_lines[-1]) if self.address_lines else None
        return found.group(1) if found else None

    @property
    def contact_line(self) -> str:
        """'Naam, functie, telefoon, e-mail' of the contact person, whatever of it is known."""
        parts = [self.contact_name, self.contact_role, self.contact_phone, self.contact_email]
        return ", ".join(part for part in parts if part)

    @property
    def sender_lines(self) -> list[str]:
        """The sender block of a letter or an e-mail: organisation, department, address, website."""
        return [line for line in (self.display_name, self.department, *self.address_lines, self.website) if line]

    def logo_data_uri(self) -> str | None:
        """The logo for a PDF (WeasyPrint fetches nothing but data: URLs)."""
        png = logo_png()
        return f"data:image/png;base64,{base64.b64encode(png).decode()}" if png else None


def _profile_row() -> dict:
    columns = [getattr(OrganisationProfile, name) for name in TEXT_FIELDS]
    try:
        row = db.session.execute(
            select(*columns, OrganisationProfile.logo_png.is_not(None), OrganisationProfile.theme_css.is_not(None),
                   OrganisationProfile.updated_at).where(OrganisationProfile.id == 1)
        ).first()
    except SQLAlchemyError:
        # The error page of a database fault still renders, with the environment's look.
        return {}
    if row is None:
        return {}
    values = dict(zip(TEXT_FIELDS, row[: len(TEXT_FIELDS)], strict=True))
    values["has_logo"], values["has_theme_css"], updated_at = row[len(TEXT_FIELDS):]
    values["version"] = updated_at.strftime("%Y%m%d%H%M%S%f") if updated_at else ""
    return values


def _environment() -> dict:
    config = current_app.config
    values = {name: config.get(f"ORGANISATION_{name.upper()}") for name in TEXT_FIELDS}
    logo, logo_digest = _environment_file("ORGANISATION_LOGO", "CASUSTAFEL_LOGO", checked_logo)
    css, css_digest = _environment_file("ORGANISATION_THEME_STYLESHEET", "CASUSTAFEL_THEME_STYLESHEET",
                                        checked_theme_css)
    values["has_logo"], values["has_theme_css"] = logo is not None, css is not None
    values["version"] = "-".join(digest for digest in (logo_digest, css_digest) if digest)
    return values


# config key: (path, mtime, size, checked content or None, digest): an environment file is read
# and checked once per version of the file, not on every request or PDF.
_FILES: dict[str, tuple] = {}


def _environment_file(config_key: str, variable: str, check) -> tuple:
    """(content as `check` accepts it, or None; a short digest of it) for the file the
    environment names; a file it refuses or cannot read is left out with one line in the
    application log, never a 500."""
    path = current_app.config.get(config_key)
    if not path:
        return None, ""
    try:
        stat = os.stat(path)
    except OSError as error:
        content = error
        stat = None
    key = (path, stat.st_mtime_ns, stat.st_size) if stat else (path, None, None)
    cached = _FILES.get(config_key)
    if cached is not None and cached[:3] == key:
        return cached[3], cached[4]
    if stat is not None:
        try:
            content = check(Path(path).read_bytes())
        except (OSError, RefusedFileError) as error:
            content = error
    if isinstance(content, Exception):
        current_app.logger.warning("%s %s is not used: %s", variable, path, content)
        content = None
    raw = content.encode() if isinstance(content, str) else content
    digest = hashlib.sha256(raw).hexdigest()[:12] if raw else ""
    _FILES[config_key] = (*key, content, digest)
    return content, digest


def current() -> Organisation:
    """The organisation as pages, e-mails and PDFs show it, read once per request."""
    if has_app_context() and "organisation" in g:
        return g.organisation
    stored, environment = _profile_row(), _environment()
    values = {}
    for field in fields(Organisation):
        value = stored.get(field.name) or environment.get(field.name)
        if value:
            values[field.name] = value
    # Changes with an upload and with the environment's files, so browsers fetch the new ones.
    values["version"] = "-".join(part for part in (stored.get("version"), environment["version"]) if part) or "0"
    if values.get("theme_class") and not THEME_CLASS.match(values["theme_class"]):
        values.pop("theme_class")  # a bad class from the environment: the default theme instead
    organisation = Organisation(**values)
    if has_app_context():
        g.organisation = organisation
    return organisation


def template_helpers() -> dict:
    """`organisation` on every page, e-mail template and PDF."""
    return {"organisation": current()}


def forget() -> None:
    """After a change: the next `current()` reads the database again."""
    g.pop("organisation", None)


def logo_png() -> bytes | None:
    return _stored_or_file(OrganisationProfile.logo_png, "ORGANISATION_LOGO", "CASUSTAFEL_LOGO", checked_logo)


def theme_css() -> str | None:
    return _stored_or_file(OrganisationProfile.theme_css, "ORGANISATION_THEME_STYLESHEET",
                           "CASUSTAFEL_THEME_STYLESHEET", checked_theme_css)


def _stored_or_file(column, config_key: str, variable: str, check):
    """What the admin uploaded, else the environment's file as `check` accepted it."""
    stored = db.session.scalar(select(column).where(OrganisationProfile.id == 1))
    if stored:
        return stored
    return _environment_file(config_key, variable, check)[0]


def checked_logo(content: bytes) -> bytes:
    """A PNG or JPEG logo, re-encoded as a PNG of LOGO_HEIGHT pixels high at most."""
    if not content:
        raise RefusedFileError("Het bestand is leeg.")
    if len(content) > MAX_LOGO_BYTES:
        raise RefusedFileError("Het logo is groter dan 1 MB.")
    try:
        with Image.open(io.BytesIO(content)) as probe:
            kind = probe.format
            probe.verify()
        if kind not in ("PNG", "JPEG", "MPO"):  # MPO: the JPEG of many cameras and phones
            raise RefusedFileError("Het logo moet een PNG- of JPEG-bestand zijn.")
        with Image.open(io.BytesIO(content)) as image:
            if max(image.size) > MAX_LOGO_PIXELS:
                raise RefusedFileError(f"Het logo is groter dan {MAX_LOGO_PIXELS} pixels breed of hoog.")
            image.load()
            # Upright as the photo app shows it, before the metadata that says so is dropped.
            picture = ImageOps.exif_transpose(image).convert("RGBA")
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as error:
        raise RefusedFileError("Dit is geen leesbare afbeelding (PNG of JPEG).") from error
    if picture.height > LOGO_HEIGHT:
        width = max(1, round(picture.width * LOGO_HEIGHT / picture.height))
        picture = picture.resize((width, LOGO_HEIGHT), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)
    return out.getvalue()


def external(address: str) -> bool:
    """An address outside the app as a browser reads it: with a scheme (https:, data:) or
    protocol-relative, also when written with backslashes or broken by a tab or line break."""
    return bool(EXTERNAL.match(URL_IGNORED.sub("", address).replace("\\", "/")))


def checked_theme_css(content: bytes) -> str:
    """A theme stylesheet: UTF-8 CSS without @import and without addresses outside the app."""
    if len(content) > MAX_THEME_CSS_BYTES:
        raise RefusedFileError("Het stijlbestand is groter dan 256 kB.")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RefusedFileError("Het stijlbestand is geen UTF-8-tekst.") from error
    if not text.strip():
        raise RefusedFileError("Het stijlbestand is leeg.")
    if "</" in text:
        raise RefusedFileError("Het stijlbestand bevat HTML.")
    problems = []

    def walk(tokens):
        for token in tokens:
            if token.type == "error":
                problems.append(f"een fout in de CSS op regel {token.source_line}")
            elif token.type == "at-rule" and token.lower_at_keyword == "import":
                problems.append(f"@import op regel {token.source_line}")
            elif token.type == "url" and external(token.value):
                problems.append(f"een adres buiten casustafel op regel {token.source_line}")
            elif token.type == "function" and any(
                    part.type == "string" and external(part.value) for part in token.arguments):
                # url("…"), image-set("…" 1x), src("…"), whatever a browser may learn to fetch.
                problems.append(f"een adres buiten casustafel op regel {token.source_line}")
            for attribute in ("prelude", "content", "arguments"):
                inner = getattr(token, attribute, None)
                if isinstance(inner, list):
                    walk(inner)

    walk(tinycss2.parse_stylesheet(text, skip_comments=True))
    if problems:
        raise RefusedFileError("Het stijlbestand is geweigerd: " + "; ".join(dict.fromkeys(problems)) + ".")
    return text
