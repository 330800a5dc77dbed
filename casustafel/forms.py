"""The base forms and the bounded fields every form uses.

Input is bounded in one place: dates between 1900 and 2100, integers within the column they
go into, no NUL character in any text. What is out of bounds gets a Dutch message next to
its field, never a 500 further down (a year 9999 plus one day, an id beyond BIGINT).
"""

from flask import request
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import RadioField, fields
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired, Optional, ValidationError

from casustafel import dates
from casustafel.extensions import db
from casustafel.models.action import BIBOB_NOT_AN_ACTION, NEW_ACTION_TYPES, RETIRED_ACTION_TYPES

NUL_MESSAGE = ("Dit veld bevatte een onzichtbaar teken (NUL) dat niet is toegestaan. Wij hebben het "
               "weggehaald; controleer de tekst en verstuur opnieuw.")
INT32_MAX = 2**31 - 1  # INTEGER columns on PostgreSQL
INT64_MAX = 2**63 - 1  # BIGINT columns, and the largest integer SQLite stores


def strip_text(value):
    """WTForms filter: drop surrounding spaces from text, leave other values alone. A browser
    sends a textarea's line breaks as CR LF: kept as LF, so a line break counts as one character
    in the length checks (as in a text the form was filled with)."""
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


def _with_nul(field) -> bool:
    return any(isinstance(v, str) and "\x00" in v for v in (field.raw_data or ()))


def _leaf_fields(form):
    for field in form:
        if isinstance(field, fields.FormField):
            yield from _leaf_fields(field.form)
        elif isinstance(field, fields.FieldList):
            for entry in field.entries:
                if isinstance(entry, fields.FormField):
                    yield from _leaf_fields(entry.form)
                else:
                    yield entry
        else:
            yield field


def refuse_nul(form) -> bool:
    """Give every field that received a NUL character a message and drop the character from
    what is shown again. Return whether the form was free of them."""
    clean = True
    for field in _leaf_fields(form):
        if _with_nul(field):
            clean = False
            field.errors = [*field.errors, NUL_MESSAGE]
            field.raw_data = [v.replace("\x00", "") if isinstance(v, str) else v for v in field.raw_data]
            if isinstance(field.data, str):
                field.data = field.data.replace("\x00", "")
    return clean


class FieldError(ValueError):
    """A service's refusal with a Dutch message, and the form field it belongs next to (None:
    above the form)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


TEXT_MAX = 4000  # the longest free text a service takes


def checked_text(value: str | None, error: type[Exception], *, missing: str | None = None,
                 maximum: int = TEXT_MAX) -> str | None:
    """A service's free text: stripped; empty is None, or refused with `missing` when given;
    too long is refused, never cut."""
    value = (value or "").strip()
    if not value:
        if missing:
            raise error(missing)
        return None
    if len(value) > maximum:
        raise error(f"Gebruik hooguit {maximum} tekens.")
    return value


def show_error(form, error: FieldError) -> None:
    """Put a service's refusal next to its field, or above the form."""
    field = getattr(form, error.field, None) if error.field else None
    (field.errors if field is not None else form.form_errors).append(str(error))


class Form(FlaskForm):
    """Every POST form: CSRF, Dutch messages, and no NUL characters."""

    class Meta:
        locales = ("nl_NL", "nl")

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        return refuse_nul(self) and ok


class FilterForm(Form):
    """A GET form of filters: no CSRF token (nothing changes) and every field optional."""

    class Meta:
        csrf = False


class AnyValue(Optional):
    """Optional without the "(niet verplicht)" label: in a filter form every field is."""

    def __init__(self):
        super().__init__()
        self.field_flags = {}


class DateField(fields.DateField):
    """A date between 1900 and 2100; anything else is a field error, not a value."""

    def __init__(self, label=None, validators=None, range_message=None, **kwargs):
        kwargs.setdefault("invalid_value_message", "Vul een geldige datum in, bijvoorbeeld 31-01-2026.")
        self.range_message = range_message or f"Vul een datum in tussen {dates.EARLIEST:%Y} en {dates.LATEST:%Y}."
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not dates.in_range(self.data):
            self.data = None
            raise ValueError(self.range_message)


def not_in_future(form, field):
    """A date that has happened: today or earlier (in Dutch time)."""
    if field.data and field.data > dates.today():
        raise ValidationError("Deze datum ligt in de toekomst. Vul een datum van vandaag of eerder in.")


def new_action_type(form, field):
    """The type of a new action: one still offered. A Bibob-toets now goes through the Bibob
    track, so a posted "bibob" gets that explanation rather than "not a valid choice"."""
    if field.data in RETIRED_ACTION_TYPES:
        raise ValidationError(BIBOB_NOT_AN_ACTION)
    if field.data not in NEW_ACTION_TYPES:
        raise ValidationError("Kies de soort actie uit de lijst.")


def not_in_past(form, field):
    """A date still to come: today or later (in Dutch time)."""
    if field.data and field.data < dates.today():
        raise ValidationError("Deze datum ligt in het verleden. Kies vandaag of een latere datum.")


class IntegerField(fields.IntegerField):
    """An integer that fits its column (32-bit unless told otherwise)."""

    def __init__(self, label=None, validators=None, maximum: int = INT32_MAX, **kwargs):
        self.maximum = maximum
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not -self.maximum <= self.data <= self.maximum:
            self.data = None
            raise ValueError("Dit getal is te groot.")


def int_arg(name: str, default: int | None = None, *, minimum: int = 1, maximum: int = INT64_MAX) -> int | None:
    """An integer query parameter within bounds; `default` when absent, malformed or out of them."""
    value = request.args.get(name, type=int)
    return value if value is not None and minimum <= value <= maximum else default


ROW_NUMBER_DIGITS = 4  # far more rows than any form allows


def row_number(text: str) -> int | None:
    """The number of a repeated row as a field name (`subjects-0-name`) or a row button gives
    it: a few ASCII digits, else None. `'²'.isdigit()` is true but `int('²')` fails, and
    `int()` refuses more than 4300 digits: either would be a 500."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= ROW_NUMBER_DIGITS else None


class FieldList(fields.FieldList):
    """Repeated rows; a field name whose row number `row_number` does not read is no row."""

    def _extract_indices(self, prefix, formdata):
        offset = len(prefix) + 1
        for key in formdata:
            if key.startswith(prefix):
                number = row_number(key[offset:].split(self._field_separator, 1)[0])
                if number is not None:
                    yield number


def required_radio(label: str, choices: list[SelectChoice], message: str) -> RadioField:
    """A radio group with one Dutch message whether nothing or something unknown is chosen."""
    return RadioField(label, choices=choices, validate_choice=False,
                      validators=[InputRequired(message), AnyOf([c.value for c in choices], message=message)])


def already_listed(column, value: str, *where) -> bool:
    """`value` is in `column` (of the rows matching `where`), ignoring case, compared in Python:
    SQLite's lower() leaves letters such as Æ and Ç as they are, so "ærø" would pass next to
    "Ærø". For the admin's short lists."""
    wanted = value.strip().casefold()
    return any((v or "").strip().casefold() == wanted for v in db.session.scalars(select(column).where(*where)))
