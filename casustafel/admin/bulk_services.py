"""Inviting many local accounts at once from a CSV file (e-mail, naam, afdeling, rol(len)).

Two steps. `check` reads the file and says per row what would happen, or what is wrong with it
(row number, column, a Dutch message); it changes nothing. `invite_all` creates the accounts of
a file that `check` found free of errors, all or nothing, each exactly as a single account made
on the admin pages (services.invite_user): no password anyone knows, an activation link by
e-mail, content roles as requests for a second person. The caller commits.

Between the two steps the file's text travels in the admin's own confirm form, with a signed
digest (`seal` / `unseal`) binding it to that admin and the last hour: nothing is written to
disk or kept in the session, and what is invited is exactly what was checked.
"""

import csv
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from casustafel.admin import services
from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.models import Department, User
from casustafel.models.roles import ROLE_LABELS, Role

MAX_ROWS = 1000
MAX_BYTES = 512 * 1024  # far more than 1000 rows need; the text travels back in the confirm form
SEAL_MAX_AGE = 3600  # seconds between the check and "Uitnodigen"
EMAIL_MAX, NAME_MAX, DEPARTMENT_MAX, ROLES_MAX = 254, 120, 120, 200
EMAIL_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")  # as on the single form (NewUserForm)

# Column → the header names accepted for it (compared without case, spaces, hyphens, brackets).
COLUMNS = {
    "email": ("email", "emailadres", "mail", "mailadres"),
    "name": ("naam", "name", "volledigenaam"),
    "department": ("afdeling", "department"),
    "roles": ("rol", "rollen", "role", "roles"),
}
COLUMN_LABELS = {"email": "e-mail", "name": "naam", "department": "afdeling", "roles": "rol(len)"}
REQUIRED = ("email", "name", "roles")  # afdeling may be left out, as on the single form

# Short Dutch names besides the codes and the labels of ROLE_LABELS.
ROLE_ALIASES = {
    "melder": Role.REPORTER, "medewerker": Role.REPORTER,
    "deelnemer": Role.MEMBER,
    "regisseur": Role.COORDINATOR, "voorzitter": Role.COORDINATOR, "coördinator": Role.COORDINATOR,
    "privacy officer": Role.PRIVACY_OFFICER,
    "beheerder": Role.ADMIN, "functioneel beheerder": Role.ADMIN,
}
ROLE_HINT = "melder, deelnemer, regisseur, privacyfunctionaris of beheerder"


class BulkFileError(ValueError):
    """The file as a whole cannot be read (not a CSV, wrong encoding, no header, too large)."""


@dataclass
class RowProblem:
    row: int  # the line in the file, the header being line 1, as a spreadsheet numbers it
    column: str | None  # a key of COLUMN_LABELS, or None for the row as a whole
    message: str

    @property
    def column_label(self) -> str:
        return COLUMN_LABELS.get(self.column, "")


@dataclass
class PlannedRow:
    row: int
    email: str
    name: str
    department: Department | None = None
    granted: list[Role] = field(default_factory=list)  # at once (melder, beheerder)
    pending: list[Role] = field(default_factory=list)  # a second person approves first
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        """What "Uitnodigen" would do, in Dutch."""
        parts = ["nieuw account"]
        if self.granted:
            parts.append(f"rol {_role_names(self.granted)}")
        if self.pending:
            parts.append(f"rol {_role_names(self.pending)} wacht op goedkeuring (vier ogen)")
        return ", ".join(parts)


@dataclass
class Check:
    rows: list[PlannedRow] = field(default_factory=list)
    file_problems: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[RowProblem]:
        return [p for r in self.rows for p in r.problems]

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.file_problems and not self.problems


def _role_names(roles) -> str:
    return " en ".join(ROLE_LABELS[r].lower() for r in roles)


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _header_key(text: str) -> str:
    return re.sub(r"[\s\-_()./]", "", text).casefold()


def role_lookup() -> dict[str, Role]:
    table = {_fold(role.value): role for role in Role}
    table |= {_fold(label): role for role, label in ROLE_LABELS.items()}
    table |= {_fold(name): role for name, role in ROLE_ALIASES.items()}
    return table


# --- reading the file ------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """The file's text: UTF-8 with or without BOM, line ends made "\\n"; or BulkFileError."""
    if len(data) > MAX_BYTES:
        raise BulkFileError(f"Het bestand is groter dan {MAX_BYTES // 1024} kB. Een bestand met {MAX_ROWS} "
                            "gebruikers is veel kleiner: controleer of u het goede bestand kiest.")
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise BulkFileError("Dit is een Excel-werkmap, geen CSV-bestand. Kies in Excel ‘Opslaan als’ en dan "
                            "‘CSV UTF-8 (door komma's gescheiden)’.")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise BulkFileError("Dit bestand is opgeslagen als UTF-16 (‘Unicode-tekst’). Sla het op als "
                            "‘CSV UTF-8 (door komma's gescheiden)’.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise BulkFileError(f"Het bestand is niet als UTF-8 opgeslagen (regel {line} bevat een teken dat "
                            "geen UTF-8 is). Sla het in Excel op als ‘CSV UTF-8 (door komma's gescheiden)’ "
                            "en kies het opnieuw.") from None
    if "\x00" in text:
        raise BulkFileError("Dit is geen tekstbestand. Kies een CSV-bestand met de kolommen e-mail, naam, "
                            "afdeling en rol(len).")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise BulkFileError("Het bestand is leeg.")
    return text


def _delimiter(header_line: str) -> str:
    return ";" if header_line.count(";") >= header_line.count(",") and ";" in header_line else ","


def _columns(header: list[str]) -> dict[str, int]:
    by_name = {alias: key for key, aliases in COLUMNS.items() for alias in aliases}
    found: dict[str, int] = {}
    unknown = []
    for index, cell in enumerate(header):
        key = by_name.get(_header_key(cell))
        if key is None:
            if cell.strip():
                unknown.append(cell.strip()[:40])
            continue
        if key in found:
            raise BulkFileError(f"De kolom ‘{COLUMN_LABELS[key]}’ staat twee keer in de kopregel.")
        found[key] = index
    if "@" in "".join(header) and not found:
        raise BulkFileError("De eerste regel moet de kolomnamen bevatten (e-mail; naam; afdeling; rollen), "
                            "maar er staat een e-mailadres. Voeg een kopregel toe.")
    if unknown:
        raise BulkFileError(f"Onbekende kolom ‘{unknown[0]}’ in de kopregel. Gebruik de kolommen e-mail, naam, "
                            "afdeling en rol(len).")
    missing = [COLUMN_LABELS[key] for key in REQUIRED if key not in found]
    if missing:
        raise BulkFileError("De kopregel mist de kolom " + " en ".join(f"‘{m}’" for m in missing)
                            + ". De eerste regel noemt de kolommen e-mail, naam, afdeling en rol(len).")
    return found


def _cells(text: str):
    """(line number, cells) per non-empty row after the header, and the column positions."""
    header_line = text.split("\n", 1)[0]
    reader = csv.reader(text.split("\n"), delimiter=_delimiter(header_line), strict=True)
    try:
        header = next(reader)
        columns = _columns(header)
        rows = []
        for cells in reader:
            if any(c.strip() for c in cells):
                rows.append((reader.line_num, cells))
    except csv.Error:
        raise BulkFileError(f"Regel {reader.line_num} is geen geldige CSV-regel (controleer de "
                            "aanhalingstekens).") from None
    return columns, len(header), rows


# --- checking the rows -----------------------------------------------------------------------


def check(text: str) -> Check:
    """Per row: what would be created, or what is wrong. Changes nothing."""
    result = Check()
    try:
        columns, width, rows = _cells(text)
    except BulkFileError as error:
        result.file_problems.append(str(error))
        return result
    if not rows:
        result.file_problems.append("Het bestand heeft een kopregel maar geen gebruikers.")
        return result
    if len(rows) > MAX_ROWS:
        result.file_problems.append(f"Het bestand heeft {len(rows)} gebruikers; u kunt er hooguit {MAX_ROWS} "
                                    "tegelijk uitnodigen. Splits het bestand.")
        return result
    departments = {_fold(d.name): d for d in db.session.scalars(select(Department))}
    roles = role_lookup()
    existing = {e.casefold() for e in db.session.scalars(select(User.email))}
    seen: dict[str, int] = {}
    for line, cells in rows:
        result.rows.append(_check_row(line, cells, columns, width, departments, roles, existing, seen))
    return result


def _cell(cells, columns, key) -> str:
    index = columns.get(key)
    return cells[index].strip() if index is not None and index < len(cells) else ""


def _check_row(line, cells, columns, width, departments, roles, existing, seen) -> PlannedRow:
    email, name = _cell(cells, columns, "email"), _cell(cells, columns, "name")
    department_text, roles_text = _cell(cells, columns, "department"), _cell(cells, columns, "roles")
    row = PlannedRow(row=line, email=email.casefold(), name=name)

    def problem(column, message):
        row.problems.append(RowProblem(line, column, message))

    if len(cells) > width and any(c.strip() for c in cells[width:]):
        problem(None, "Deze regel heeft meer kolommen dan de kopregel. Staat er een scheidingsteken in een naam? "
                      "Zet de naam dan tussen aanhalingstekens.")
    for key, value in (("email", email), ("name", name), ("department", department_text), ("roles", roles_text)):
        if any(unicodedata.category(ch) == "Cc" for ch in value):
            problem(key, "Bevat een regeleinde of ander onzichtbaar teken dat niet is toegestaan.")

    if not email:
        problem("email", "Vul het e-mailadres in.")
    elif len(email) > EMAIL_MAX:
        problem("email", f"Het e-mailadres is langer dan {EMAIL_MAX} tekens.")
    elif not EMAIL_SHAPE.match(email):
        problem("email", f"‘{email[:80]}’ is geen geldig e-mailadres (bijvoorbeeld naam@gemeente.nl).")
    elif email.casefold() in existing:
        problem("email", "Er bestaat al een account met dit e-mailadres.")
    elif email.casefold() in seen:
        problem("email", f"Dit e-mailadres staat ook op regel {seen[email.casefold()]}.")
    else:
        seen[email.casefold()] = line

    if not name:
        problem("name", "Vul de naam in.")
    elif len(name) > NAME_MAX:
        problem("name", f"De naam is {len(name)} tekens lang; gebruik hooguit {NAME_MAX} tekens.")

    if len(department_text) > DEPARTMENT_MAX:
        problem("department", f"Gebruik hooguit {DEPARTMENT_MAX} tekens.")
    elif department_text:
        department = departments.get(_fold(department_text))
        if department is None:
            problem("department", f"Onbekende afdeling ‘{department_text}’. Voeg de afdeling eerst toe onder "
                                  "Afdelingen, of gebruik de naam zoals die daar staat.")
        elif not department.active:
            problem("department", f"De afdeling ‘{department.name}’ is niet meer in gebruik.")
        else:
            row.department = department

    _check_roles(row, roles_text, roles, problem)
    return row


def _check_roles(row: PlannedRow, text: str, lookup, problem) -> None:
    if len(text) > ROLES_MAX:
        problem("roles", f"Gebruik hooguit {ROLES_MAX} tekens.")
        return
    names = [n.strip() for n in re.split(r"[|,]", text) if n.strip()]
    if not names:
        problem("roles", f"Vul minstens één rol in: {ROLE_HINT}.")
        return
    wanted = set()
    for name in names:
        role = lookup.get(_fold(name))
        if role is None:
            problem("roles", f"Onbekende rol ‘{name[:40]}’. Gebruik {ROLE_HINT} (meerdere rollen gescheiden "
                             "door | ).")
        else:
            wanted.add(role)
    try:
        services.check_role_combination(None, None, wanted)
    except services.UserError as error:
        problem("roles", str(error))
        return
    ordered = [r for r in ROLE_LABELS if r in wanted]
    row.granted = [r for r in ordered if r not in services.CONTENT_ROLES]
    row.pending = [r for r in ordered if r in services.CONTENT_ROLES]


# --- inviting --------------------------------------------------------------------------------


def invite_all(actor, text: str) -> tuple[Check, list[User]]:
    """Check again (the accounts may have changed since the dry run) and, only when no row has
    a problem, invite every row. Return the check and the users made (none when it has problems)."""
    result = check(text)
    if not result.ok:
        return result, []
    # One hash of a random password nobody knows serves the whole file: argon2 per row would
    # take minutes for a thousand rows. Each account chooses its own password by its own link.
    unusable = services.unusable_password()
    users = []
    # Each account is flushed once by create_user; the lookups in between need no flush of their
    # own (the rows were checked against each other above), which halves the time for a big file.
    with db.session.no_autoflush:
        for row in result.rows:
            user, _ = services.invite_user(actor, row.email, row.name, [*row.granted, *row.pending],
                                           department_id=row.department.id if row.department else None,
                                           password_hash=unusable)
            users.append(user)
    record(actor, "user.bulk_invited", object_type="user_account", reason_code=str(len(users)), purpose="beheer")
    return result, users


# --- carrying the text from the dry run to the confirmation ------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="casustafel.admin.bulk-invite")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def seal(actor, text: str) -> str:
    """A signed, timed token over this admin and the text's digest (not the text itself)."""
    return _serializer().dumps({"u": str(actor.id), "h": _digest(text)})


def unseal(actor, text: str, token: str) -> bool:
    """The text is the one this admin checked, within the last hour."""
    try:
        sealed = _serializer().loads(token or "", max_age=SEAL_MAX_AGE)
    except BadSignature:  # SignatureExpired is a BadSignature
        return False
    return isinstance(sealed, dict) and sealed.get("u") == str(actor.id) and sealed.get("h") == _digest(text)
