"""Key rotation: re-encrypt fields, re-index blind indexes and re-wrap file keys under the
primary key of their purpose, in resumable batches, while the application keeps running.

docs/security.md "Rotation": add a key, make it primary, run `flask keys rotate`, then
`flask keys verify-rotation`. A change of blind-index width (`flask blind-index rewidth`,
`rewidth` below) recomputes the indexes with the same code. Every step is safe to interrupt
at any point:

- each batch commits on its own; a killed run leaves every row either on its old or on its
  new key, and both are in the keyring, so every row stays readable;
- a rerun scans again and changes only rows not yet on the primary key (idempotent);
- each row is written with `UPDATE … WHERE id = :id AND <column> = <value read>`, so a row the
  application changed meanwhile (always written under the primary key) is never overwritten
  with an older value; the rerun picks it up if it still needs work;
- while blind indexes are being recomputed, lookups use the index under every `bidx` key and
  at every width in use, each compared with rows of its own width (linking.key_terms), so
  search results and linked signals stay the same throughout.

Audit events carry the key id they were sealed with; new events use the primary `audit`
key and old events keep verifying with their own key, so there is nothing to re-MAC: the old
audit key must simply stay in the keyring as long as those events (or backups) exist.

Which data uses which purpose is discovered, not listed: every `Encrypted` attribute of every
mapped class (enc), every `*_bidx` column (bidx, computed by linking.INDEXED_TABLES) and every
`wrapped_key` / `*_wrapped_key` column (file; the file id is the row id). File contents are
never touched: only the wrapped per-file key changes.
"""

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace

from sqlalchemy import func, or_, select, update

from casustafel import crypto, linking
from casustafel.crypto.planning import MAX_BITS, MIN_BITS
from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models import AuditEvent, BlindIndexWidth
from casustafel.models.base import Encrypted
from casustafel.models.blind_index import WIDTH_ROW

ROTATABLE = ("enc", "bidx", "file")  # audit: nothing to rewrite (see the module docstring)
DEFAULT_BATCH_SIZE = 500
UNREADABLE = None  # status key for values that match no key in the keyring


class RotationError(Exception):
    """A rotation that cannot run; the message names purpose, table and column, never values."""


@dataclass
class RotationResult:
    purpose: str
    primary: int
    scanned: int = 0  # rows read
    changed: int = 0  # values rewritten under the primary key
    skipped: int = 0  # rows changed by the application meanwhile (the next run looks again)
    unreadable: list[str] = field(default_factory=list)  # "table.column id" of values that fail

    @property
    def complete(self) -> bool:
        return not self.skipped and not self.unreadable


Progress = Callable[[str], None]


# --- discovery ------------------------------------------------------------------------------


def _mapped_classes() -> list[type]:
    classes = [m.class_ for m in db.Model.registry.mappers if getattr(m.class_, "__tablename__", None)]
    return sorted(classes, key=lambda cls: cls.__tablename__)


def encrypted_fields() -> list[tuple[type, list[tuple[str, str]]]]:
    """(model, [(attribute, column)]) for every mapped class with Encrypted attributes."""
    found = []
    for cls in _mapped_classes():
        fields = {}
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if isinstance(value, Encrypted):
                    fields[name] = value.column
        if fields:
            found.append((cls, sorted(fields.items())))
    return found


def indexed_models() -> list[type]:
    """Mapped classes with blind-index columns; each must be known to linking.INDEXED_TABLES."""
    found = []
    for cls in _mapped_classes():
        columns = [c.name for c in cls.__table__.columns if c.name.endswith("_bidx")]
        if not columns:
            continue
        compute = linking.INDEXED_TABLES.get(cls.__tablename__)
        if compute is None:
            raise RotationError(f"Blinde index zonder berekening: tabel {cls.__tablename__}")
        found.append(cls)
    return found


def wrapped_key_columns() -> list[tuple[type, str]]:
    """(model, column) of every wrapped file key; the file id is the row's id."""
    return [
        (cls, column.name)
        for cls in _mapped_classes()
        for column in cls.__table__.columns
        if column.name == "wrapped_key" or column.name.endswith("_wrapped_key")
    ]


# --- helpers --------------------------------------------------------------------------------


def _batches(table, columns, batch_size: int, where=None) -> Iterator[list]:
    """Keyset batches ordered by id; each batch is a fresh query (commits in between are fine)."""
    last = None
    while True:
        query = select(table.c.id, *columns).order_by(table.c.id).limit(batch_size)
        if where is not None:
            query = query.where(where)
        if last is not None:
            query = query.where(table.c.id > last)
        rows = db.session.execute(query).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _same(column, value):
    return column.is_(None) if value is None else column == value


def _blob_kid(blob) -> int | None:
    try:
        return crypto.blob_kid(blob)
    except (TypeError, ValueError):
        return UNREADABLE


def _update(table, row_id, old: dict, new: dict) -> bool:
    """Write `new` only if the row still holds `old`; True when the row was written."""
    result = db.session.execute(
        update(table)
        .where(table.c.id == row_id, *(_same(table.c[name], value) for name, value in old.items()))
        .values(**new)
    )
    return result.rowcount == 1


def _check_batch_size(batch_size: int) -> None:
    if not isinstance(batch_size, int) or batch_size < 1:
        raise RotationError("De batchgrootte moet minstens 1 zijn")


# --- enc ------------------------------------------------------------------------------------


def _rotate_enc(keyring, result: RotationResult, batch_size: int, progress: Progress) -> None:
    primary = result.primary
    for cls, fields in encrypted_fields():
        table = cls.__table__
        columns = [table.c[column] for _, column in fields]
        for rows in _batches(table, columns, batch_size):
            for row in rows:
                row_id, blobs = row[0], row[1:]
                old, new = {}, {}
                for (attr, column), blob in zip(fields, blobs, strict=True):
                    if blob is None or _blob_kid(blob) == primary:
                        continue
                    try:
                        plain = crypto.decrypt_field(keyring, table.name, attr, row_id, blob)
                    except crypto.DecryptionError:
                        result.unreadable.append(f"{table.name}.{column} {row_id}")
                        continue
                    old[column] = blob
                    new[column] = crypto.encrypt_field(keyring, table.name, attr, row_id, plain)
                result.scanned += 1
                if new:
                    if _update(table, row_id, old, new):
                        result.changed += len(new)
                    else:
                        result.skipped += 1
            db.session.commit()
            progress(f"enc {table.name}: {result.changed} velden herversleuteld, {result.scanned} rijen gelezen")


def _enc_status(keyring) -> Counter:
    counts: Counter = Counter()
    for cls, fields in encrypted_fields():
        table = cls.__table__
        for _, column in fields:
            col = table.c[column]
            for (blob,) in db.session.execute(select(col).where(col.isnot(None))).yield_per(1000):
                counts[_blob_kid(blob)] += 1
    return counts


# --- bidx -----------------------------------------------------------------------------------


def _decrypted(keyring, cls, fields, row) -> SimpleNamespace:
    values = dict(row._mapping)
    for attr, column in fields:
        blob = values.get(column)
        values[attr] = (
            None if blob is None else crypto.decrypt_field(keyring, cls.__tablename__, attr, values["id"], blob)
        )
    return SimpleNamespace(**values)


def _bidx_rows(keyring, batch_size: int) -> Iterator[tuple[type, list, list]]:
    """(model, bidx column names, [(row, decrypted namespace or None)]) per batch."""
    fields_of = dict(encrypted_fields())
    for cls in indexed_models():
        table = cls.__table__
        fields = fields_of.get(cls, [])
        bidx_columns = [c.name for c in table.columns if c.name.endswith("_bidx")] + [linking.WIDTH_COLUMN]
        for rows in _batches(table, [c for c in table.columns if c.name != "id"], batch_size):
            batch = []
            for row in rows:
                try:
                    entity = _decrypted(keyring, cls, fields, row)
                except crypto.DecryptionError:
                    entity = None
                batch.append((row, entity))
            yield cls, bidx_columns, batch


def _reindex(keyring, bits: int, result: RotationResult, batch_size: int, progress: Progress) -> None:
    """Bring every row's blind indexes to the primary `bidx` key at width `bits`: key rotation
    (at the installation's width) and a change of width share this."""
    for cls, bidx_columns, batch in _bidx_rows(keyring, batch_size):
        table = cls.__table__
        compute = linking.INDEXED_TABLES[table.name]
        source_columns = [column for _, column in dict(encrypted_fields()).get(cls, [])]
        for row, entity in batch:
            result.scanned += 1
            if entity is None:
                result.unreadable.append(f"{table.name} {row.id}")
                continue
            stored = {c: getattr(row, c) for c in bidx_columns}
            wanted = compute(entity, bits=bits)
            if wanted == stored:
                continue
            # The indexes are derived from the encrypted fields: both must be as read.
            old = {**{c: getattr(row, c) for c in source_columns}, **stored}
            new = {c: v for c, v in wanted.items() if stored[c] != v}
            if _update(table, row.id, old, new):
                result.changed += len(new)
            else:
                result.skipped += 1
        db.session.commit()
        progress(f"bidx {table.name}: {result.changed} indexen herberekend, {result.scanned} rijen gelezen")
    _finish_width_change(bits, result)


def _rotate_bidx(keyring, result: RotationResult, batch_size: int, progress: Progress) -> None:
    _reindex(keyring, linking.current_width(), result, batch_size, progress)


def _bidx_status(keyring) -> Counter:
    """Rows per bidx key: the first key (primary first) under which every index matches."""
    primary = keyring.primary_kid("bidx")
    kids = [primary, *(k for k in keyring.kids("bidx") if k != primary)]
    counts: Counter = Counter()
    for cls, bidx_columns, batch in _bidx_rows(keyring, 1000):
        compute = linking.INDEXED_TABLES[cls.__tablename__]
        for row, entity in batch:
            stored = {c: getattr(row, c) for c in bidx_columns}
            if entity is None:
                counts[UNREADABLE] += 1
                continue
            bits = stored[linking.WIDTH_COLUMN] or linking.current_width()
            if all(v is None for v in stored.values()) and all(v is None for v in compute(entity).values()):
                continue  # nothing to index
            counts[next((k for k in kids if compute(entity, kid=k, bits=bits) == stored), UNREADABLE)] += 1
    return counts


# --- blind-index width ------------------------------------------------------------------------


@dataclass
class WidthChange:
    previous: int  # the installation's width before the run
    bits: int  # the width every index is recomputed to
    result: RotationResult

    @property
    def complete(self) -> bool:
        return self.result.complete and not rows_at_other_widths(self.bits)


def rows_at_other_widths(bits: int) -> int:
    """Indexed rows whose indexes were made at another width than `bits` (or at no known width)."""
    remaining = 0
    for cls in indexed_models():
        table = cls.__table__
        width = table.c[linking.WIDTH_COLUMN]
        has_index = [table.c[c.name].isnot(None) for c in table.columns if c.name.endswith("_bidx")]
        remaining += db.session.scalar(
            select(func.count()).select_from(table)
            .where(or_(*has_index), or_(width.is_(None), width != bits))
        )
    return remaining


def width_status() -> Counter:
    """Indexed rows per width (None: a row with an index but no recorded width)."""
    counts: Counter = Counter()
    for cls in indexed_models():
        table = cls.__table__
        width = table.c[linking.WIDTH_COLUMN]
        has_index = [table.c[c.name].isnot(None) for c in table.columns if c.name.endswith("_bidx")]
        for bits, count in db.session.execute(
            select(width, func.count()).where(or_(*has_index)).group_by(width)
        ):
            counts[bits] += count
    return counts


def _finish_width_change(bits: int, result: RotationResult) -> None:
    """Forget the previous width once every indexed row is at `bits`: lookups need one width again."""
    state = db.session.get(BlindIndexWidth, WIDTH_ROW)
    if state is None or state.previous_bits is None or state.bits != bits:
        return
    if result.complete and not rows_at_other_widths(bits):
        state.previous_bits = None
        state.changed_at = utcnow()
        db.session.commit()


def rewidth(keyring, bits: int, batch_size: int = DEFAULT_BATCH_SIZE, progress: Progress | None = None
            ) -> WidthChange:
    """Recompute every blind index at width `bits` (primary `bidx` key); commits per batch.

    First the installation's width becomes `bits` with the old one kept as `previous_bits`:
    from then on new indexes are made at `bits` and lookups look at both widths. When every
    row is at `bits` the previous width is forgotten. Interrupted, a rerun with the same
    `bits` continues (idempotent); a different width is refused until this one is finished
    (or `bits` is the width it came from, which undoes it the same way).
    """
    _check_batch_size(batch_size)
    if not isinstance(bits, int) or isinstance(bits, bool) or not MIN_BITS <= bits <= MAX_BITS:
        raise RotationError(f"Een blinde index heeft {MIN_BITS} tot en met {MAX_BITS} bits, niet {bits!r}")
    state = db.session.get(BlindIndexWidth, WIDTH_ROW)
    if state is None:
        raise RotationError("De breedte van de blinde indexen staat niet in de database: voer `flask db upgrade` uit")
    previous = state.bits
    if state.previous_bits is not None and bits not in (state.bits, state.previous_bits):
        raise RotationError(
            f"Er loopt nog een omzetting van {state.previous_bits} naar {state.bits} bits. Maak die eerst af "
            f"(`flask blind-index rewidth` met {state.bits} bits) of draai haar terug ({state.previous_bits} bits)."
        )
    if bits != state.bits:
        # Rows are at state.bits or (while a change runs) at `bits` itself: keep looking at both.
        state.previous_bits, state.bits = state.bits, bits
        state.changed_at = utcnow()
        db.session.commit()  # from here new indexes are made at `bits`; lookups use both widths
    result = RotationResult("bidx", keyring.primary_kid("bidx"))
    _reindex(keyring, bits, result, batch_size, progress or (lambda line: None))
    db.session.commit()
    return WidthChange(previous, bits, result)


# --- file -----------------------------------------------------------------------------------


def _rotate_file(keyring, result: RotationResult, batch_size: int, progress: Progress) -> None:
    primary = result.primary
    for cls, column in wrapped_key_columns():
        table = cls.__table__
        col = table.c[column]
        for rows in _batches(table, [col], batch_size, where=col.isnot(None)):
            for row_id, wrapped in rows:
                result.scanned += 1
                if _blob_kid(wrapped) == primary:
                    continue
                try:
                    file_key = crypto.unwrap_file_key(keyring, wrapped, row_id)
                except crypto.DecryptionError:
                    result.unreadable.append(f"{table.name}.{column} {row_id}")
                    continue
                rewrapped = crypto.wrap_file_key(keyring, file_key, row_id)
                if _update(table, row_id, {column: wrapped}, {column: rewrapped}):
                    result.changed += 1
                else:
                    result.skipped += 1
            db.session.commit()
            progress(f"file {table.name}: {result.changed} bestandssleutels opnieuw verpakt, "
                     f"{result.scanned} rijen gelezen")


def _file_status(keyring) -> Counter:
    counts: Counter = Counter()
    for cls, column in wrapped_key_columns():
        col = cls.__table__.c[column]
        for (wrapped,) in db.session.execute(select(col).where(col.isnot(None))).yield_per(1000):
            counts[_blob_kid(wrapped)] += 1
    return counts


# --- audit ----------------------------------------------------------------------------------


def _audit_status(keyring) -> Counter:
    rows = db.session.execute(select(AuditEvent.key_id, func.count()).group_by(AuditEvent.key_id)).all()
    return Counter({kid: count for kid, count in rows})


# --- the commands' logic ----------------------------------------------------------------------


_ROTATE = {"enc": _rotate_enc, "bidx": _rotate_bidx, "file": _rotate_file}
_STATUS = {"enc": _enc_status, "bidx": _bidx_status, "file": _file_status, "audit": _audit_status}


def rotate(keyring, purpose: str, batch_size: int = DEFAULT_BATCH_SIZE, progress: Progress | None = None
           ) -> RotationResult:
    """Bring every value of `purpose` onto its primary key; commits per batch, safe to rerun."""
    if purpose not in _ROTATE:
        raise RotationError(
            f"Doel {purpose!r} kan niet worden geroteerd"
            + (": logboekregels houden hun eigen sleutel, er is niets opnieuw te berekenen"
               if purpose == "audit" else "")
        )
    _check_batch_size(batch_size)
    result = RotationResult(purpose, keyring.primary_kid(purpose))
    _ROTATE[purpose](keyring, result, batch_size, progress or (lambda line: None))
    db.session.commit()
    return result


def status(keyring, purposes=crypto.PURPOSES) -> dict[str, Counter]:
    """Per purpose: values (enc, file), rows (bidx) or events (audit) per key id.

    Key UNREADABLE (None) counts values that match no key in the keyring.
    """
    return {purpose: _STATUS[purpose](keyring) for purpose in purposes}


def rows_on_old_keys(keyring, purpose: str) -> int:
    """How many values of `purpose` do not use the primary key (for audit: use no key at all)."""
    if purpose not in _STATUS:
        raise RotationError(f"Onbekend doel: {purpose!r}")
    counts = _STATUS[purpose](keyring)
    if purpose == "audit":
        return sum(n for kid, n in counts.items() if kid not in keyring.kids("audit"))
    return sum(n for kid, n in counts.items() if kid != keyring.primary_kid(purpose))
