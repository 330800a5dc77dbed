"""Keyring, AES-256-GCM field encryption, blind indexes and the audit MAC.

Every hazmat import of the project lives here; this module knows nothing of Flask.
See docs/security.md, "Field encryption". Key bytes never appear in a message or repr.
"""

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import secrets
import unicodedata
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PURPOSES = ("enc", "bidx", "file", "audit")
DOMAIN = "casustafel/v1"
BLOB_VERSION = 1
KEY_SIZE = 32
MAX_KID = 2**32 - 1
_NONCE_SIZE = 12
_HEADER_SIZE = 1 + 4 + _NONCE_SIZE
_TAG_SIZE = 16
_CHECK_MESSAGE = b"casustafel key check v1"


class KeyringError(Exception):
    """A keyring problem; the message names purpose and key id, never key bytes."""


class DecryptionError(Exception):
    """A stored field that cannot be decrypted; never carries plaintext or key."""

    def __init__(self, table, column, row_id):
        self.table, self.column, self.row_id = table, column, row_id
        super().__init__(
            f"Kan veld {table}.{column} van record {row_id} niet ontsleutelen"
        )


def _length_prefixed(*parts):
    """Encode each part as 4-byte big-endian length ‖ bytes: no two tuples collide."""
    out = bytearray()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else bytes(part)
        out += len(data).to_bytes(4, "big") + data
    return bytes(out)


def _valid_kid(kid):
    return isinstance(kid, int) and not isinstance(kid, bool) and 1 <= kid <= MAX_KID


class Keyring:
    """Hold independent, versioned root keys per purpose, one of them primary."""

    def __init__(self, data):
        """Validate and copy `{purpose: {"primary": kid, "keys": {kid: 32 bytes}}}`."""
        self._purposes = {}
        self._derived = {}
        for purpose in PURPOSES:
            entry = data.get(purpose) if isinstance(data, dict) else None
            if not isinstance(entry, dict) or not isinstance(entry.get("keys"), dict):
                raise KeyringError(f"Sleutels ontbreken: doel {purpose!r}")
            keys = {}
            for kid, key in entry["keys"].items():
                if not _valid_kid(kid):
                    raise KeyringError(
                        f"Ongeldig sleutel-id: doel {purpose!r}, sleutel-id {kid!r}"
                    )
                if not isinstance(key, bytes) or len(key) != KEY_SIZE:
                    raise KeyringError(
                        f"Sleutel is geen {KEY_SIZE} bytes: "
                        f"doel {purpose!r}, sleutel-id {kid}"
                    )
                keys[kid] = key
            primary = entry.get("primary")
            if not _valid_kid(primary) or primary not in keys:
                raise KeyringError(
                    "Primaire sleutel ontbreekt: "
                    f"doel {purpose!r}, sleutel-id {primary!r}"
                )
            self._purposes[purpose] = {"primary": primary, "keys": keys}
        unknown = set(data) - set(PURPOSES)
        if unknown:
            raise KeyringError(f"Onbekend doel in sleutelbestand: {sorted(unknown)!r}")

    def __repr__(self):
        kids = {p: self.kids(p) for p in PURPOSES}
        return f"<Keyring kids={kids}>"

    @classmethod
    def generate(cls):
        """Create fresh random keys, key id 1 for each purpose."""
        return cls(
            {
                p: {"primary": 1, "keys": {1: secrets.token_bytes(KEY_SIZE)}}
                for p in PURPOSES
            }
        )

    @classmethod
    def from_json(cls, text):
        """Parse the key file format; any flaw is a KeyringError without key bytes."""
        try:
            doc = json.loads(text)
        except (ValueError, TypeError):
            raise KeyringError("Sleutelbestand is geen geldige JSON") from None
        if not isinstance(doc, dict) or doc.get("version") != 1:
            raise KeyringError("Sleutelbestand heeft een onbekende versie (verwacht 1)")
        purposes = doc.get("purposes")
        if not isinstance(purposes, dict):
            raise KeyringError("Sleutelbestand mist 'purposes'")
        data = {}
        for purpose, entry in purposes.items():
            if not isinstance(entry, dict) or not isinstance(entry.get("keys"), dict):
                raise KeyringError(f"Sleutels ontbreken: doel {purpose!r}")
            keys = {}
            for kid_text, encoded in entry["keys"].items():
                if not (
                    isinstance(kid_text, str)
                    and kid_text.isascii()
                    and kid_text.isdigit()
                ):
                    raise KeyringError(
                        f"Ongeldig sleutel-id: doel {purpose!r}, "
                        f"sleutel-id {kid_text!r}"
                    )
                try:
                    keys[int(kid_text)] = base64.b64decode(encoded, validate=True)
                except (binascii.Error, TypeError, ValueError):
                    raise KeyringError(
                        "Sleutel is geen geldige base64: "
                        f"doel {purpose!r}, sleutel-id {kid_text}"
                    ) from None
            data[purpose] = {"primary": entry.get("primary"), "keys": keys}
        return cls(data)

    def to_json(self):
        """Serialise to the key file format (base64 keys, string key ids)."""
        purposes = {
            p: {
                "primary": entry["primary"],
                "keys": {
                    str(k): base64.b64encode(v).decode("ascii")
                    for k, v in entry["keys"].items()
                },
            }
            for p, entry in self._purposes.items()
        }
        return json.dumps(
            {"version": 1, "purposes": purposes}, indent=2, sort_keys=True
        )

    @classmethod
    def load(cls, path):
        """Read a key file; KeyringError when it is missing, unreadable or invalid."""
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except FileNotFoundError:
            raise KeyringError(f"Sleutelbestand niet gevonden: {path}") from None
        except (OSError, UnicodeDecodeError):
            raise KeyringError(f"Sleutelbestand niet leesbaar: {path}") from None
        try:
            return cls.from_json(text)
        except KeyringError as exc:
            raise KeyringError(f"{exc} ({path})") from None

    def _entry(self, purpose):
        try:
            return self._purposes[purpose]
        except (KeyError, TypeError):
            raise KeyringError(f"Onbekend doel: {purpose!r}") from None

    def add_key(self, purpose):
        """Add a random key with the next key id; it does not become primary."""
        keys = self._entry(purpose)["keys"]
        kid = max(keys) + 1
        if kid > MAX_KID:
            raise KeyringError(f"Geen sleutel-id meer vrij: doel {purpose!r}")
        keys[kid] = secrets.token_bytes(KEY_SIZE)
        return kid

    def set_primary(self, purpose, kid):
        """Make an existing key the one new data is written with."""
        self.key(purpose, kid)
        self._entry(purpose)["primary"] = kid

    def primary_kid(self, purpose):
        return self._entry(purpose)["primary"]

    def kids(self, purpose):
        return sorted(self._entry(purpose)["keys"])

    def key(self, purpose, kid):
        """Return a root key; raise KeyringError naming purpose and key id if absent."""
        try:
            return self._entry(purpose)["keys"][kid]
        except (KeyError, TypeError):
            raise KeyringError(
                f"Sleutel ontbreekt: doel {purpose!r}, sleutel-id {kid}"
            ) from None

    def derive(self, purpose, kid, *context):
        """Derive a 32-byte subkey, cached.

        HKDF-SHA256, no salt, info = lp("casustafel/v1", purpose, *context).
        """
        root = self.key(purpose, kid)
        cache_key = (purpose, kid, context)
        if cache_key not in self._derived:
            hkdf = HKDF(
                algorithm=hashes.SHA256(),
                length=KEY_SIZE,
                salt=None,
                info=_length_prefixed(DOMAIN, purpose, *context),
            )
            self._derived[cache_key] = hkdf.derive(root)
        return self._derived[cache_key]

    def check_value(self, purpose, kid):
        """Return HMAC-SHA256(root key, check message).

        Stored in the database, so start-up can detect a wrong key.
        """
        return hmac.new(self.key(purpose, kid), _CHECK_MESSAGE, hashlib.sha256).digest()


def _associated_data(table, column, row_id, version, kid):
    return _length_prefixed(DOMAIN, table, column, str(row_id), str(version), str(kid))


def _split_blob(blob):
    """Return (kid, nonce, sealed); ValueError or TypeError for a malformed blob."""
    if not isinstance(blob, (bytes, bytearray, memoryview)):
        raise TypeError("blob is not bytes")
    blob = bytes(blob)
    if len(blob) < _HEADER_SIZE + _TAG_SIZE or blob[0] != BLOB_VERSION:
        raise ValueError("unknown blob version or truncated blob")
    return int.from_bytes(blob[1:5], "big"), blob[5:_HEADER_SIZE], blob[_HEADER_SIZE:]


def blob_kid(blob):
    """Return the key id a blob was encrypted with (for rotation).

    Raise ValueError for a truncated or unknown-version blob, TypeError for non-bytes.
    """
    return _split_blob(blob)[0]


def encrypt_field(keyring, table, column, row_id, plaintext):
    """Encrypt with the primary enc key.

    The associated data binds the blob to table, column, row, version and key id.
    """
    if not isinstance(plaintext, str):
        raise TypeError("plaintext must be str")
    kid = keyring.primary_kid("enc")
    nonce = os.urandom(_NONCE_SIZE)
    aead = AESGCM(keyring.derive("enc", kid, table, column))
    sealed = aead.encrypt(
        nonce,
        plaintext.encode("utf-8"),
        _associated_data(table, column, row_id, BLOB_VERSION, kid),
    )
    return bytes([BLOB_VERSION]) + kid.to_bytes(4, "big") + nonce + sealed


def decrypt_field(keyring, table, column, row_id, blob):
    """Decrypt a field.

    DecryptionError on any corruption; KeyringError if the blob's key is absent.
    """
    try:
        kid, nonce, sealed = _split_blob(blob)
    except (TypeError, ValueError):
        raise DecryptionError(table, column, row_id) from None
    # KeyringError here: a missing key is misconfiguration, not a corrupt record.
    key = keyring.derive("enc", kid, table, column)
    try:
        plain = AESGCM(key).decrypt(
            nonce, sealed, _associated_data(table, column, row_id, BLOB_VERSION, kid)
        )
        return plain.decode("utf-8")
    except (InvalidTag, UnicodeDecodeError):
        raise DecryptionError(table, column, row_id) from None


def normalize_text(value):
    """Fold a name for search: no accents, case or punctuation; "Müller" == "MULLER"."""
    # NFKD again after casefold: folding can yield characters that decompose further.
    folded = unicodedata.normalize(
        "NFKD", unicodedata.normalize("NFKD", value).casefold()
    )
    kept = []
    for char in folded:
        category = unicodedata.category(char)
        if category[0] == "M":
            continue
        kept.append(char if category[0] in "LN" else " ")
    return " ".join("".join(kept).split())


def normalize_postcode(value):
    """Upper-case and drop all whitespace: "1234 ab" -> "1234AB"."""
    return "".join(value.upper().split())


def normalize_kvk(value):
    """Keep ASCII digits only, leading zeros too: "01 23 45 67" -> "01234567"."""
    return re.sub(r"[^0-9]", "", value)


def normalize_housenumber(number, addition=""):
    """Join house number and addition: "12", "a " and "12-a" both give "12A".

    No leading zeros; the addition is upper-cased without whitespace or "-". A digit
    addition keeps one "-" ("12", "3" -> "12-3"), so it cannot collide with 123.
    """
    digits, rest = re.fullmatch(r"\s*([0-9]*)(.*)", str(number), re.DOTALL).groups()
    number_part = digits.lstrip("0") or digits[:1]
    rest = re.sub(r"[\s-]", "", f"{rest}{addition or ''}".upper())
    separator = "-" if number_part and re.match(r"[0-9]", rest) else ""
    return f"{number_part}{separator}{rest}"


def blind_index(keyring, name, *parts, bits=32, kid=None):
    """Return the first `bits` bits of HMAC-SHA256(bidx subkey, lp(*parts)).

    Callers pass normalised parts. bits is 8..63, so the result fits a signed
    64-bit column.
    """
    if not isinstance(bits, int) or isinstance(bits, bool) or not 8 <= bits <= 63:
        raise ValueError("bits must be between 8 and 63")
    kid = keyring.primary_kid("bidx") if kid is None else kid
    key = keyring.derive("bidx", kid, "blind-index", name)
    digest = hmac.new(key, _length_prefixed(*parts), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") >> (64 - bits)


def audit_mac(keyring, kid, prev_mac, payload):
    """Chain an audit entry: HMAC-SHA256(audit subkey, lp(prev_mac, payload))."""
    key = keyring.derive("audit", kid, "chain")
    return hmac.new(key, _length_prefixed(prev_mac, payload), hashlib.sha256).digest()


def constant_time_equal(a, b):
    return hmac.compare_digest(a, b)


# --- Attachments: per-file keys and streaming segment encryption ---------------------------
#
# Each attachment gets a random 32-byte file key, wrapped (AES-256-GCM) by the `file` key:
#   wrapped = version (1) ‖ kid (4, big-endian) ‖ nonce (12) ‖ ct+tag (48)        = 65 bytes
#   AD      = lp("casustafel/v1", "file-key", str(file_id), str(version), str(kid))
#
# The content is encrypted like Google Tink's AES-GCM-HKDF streaming AEAD:
#   stream  = header (16) ‖ segment 0 ‖ segment 1 ‖ … ‖ last segment
#   header  = nonce prefix (7 random bytes) ‖ STREAM_VERSION (1 byte, 0x01) ‖ 8 zero bytes
#             (reserved; a reader refuses any other value)
#   seg_key = HKDF-SHA256(file key, no salt, info "casustafel/v1 file segments")
#   segment = AES-256-GCM(seg_key, nonce = prefix ‖ index (4, big-endian) ‖ last flag (1),
#                         plaintext, AD = lp("casustafel/v1", "file", str(file_id)))
# Every segment holds SEGMENT_SIZE plaintext bytes except the last, which holds 0 to
# SEGMENT_SIZE bytes and is the only one sealed with last flag 1. So dropping, reordering or
# duplicating segments (index in the nonce), cutting the stream at a segment boundary (no
# segment with the last flag), appending data (the last segment is no longer last), moving a
# stream to another attachment (file id in the AD) and flipping a bit all fail the tag.
# A decrypting reader yields segments before the end is verified: a consumer must treat an
# exception part-way as failure of the whole file (abort the download, discard the output).

SEGMENT_SIZE = 64 * 1024
FILE_KEY_SIZE = 32
STREAM_VERSION = 1
STREAM_HEADER_SIZE = 16
CIPHERTEXT_SEGMENT_SIZE = SEGMENT_SIZE + _TAG_SIZE
_NONCE_PREFIX_SIZE = 7
_STREAM_HEADER_TAIL = bytes([STREAM_VERSION]) + bytes(STREAM_HEADER_SIZE - _NONCE_PREFIX_SIZE - 1)
_MAX_SEGMENTS = 2**32
_SEGMENT_KEY_INFO = b"casustafel/v1 file segments"
_WRAPPED_KEY_SIZE = _HEADER_SIZE + FILE_KEY_SIZE + _TAG_SIZE


def _check_file_key(file_key):
    if not isinstance(file_key, bytes) or len(file_key) != FILE_KEY_SIZE:
        raise ValueError(f"file key must be {FILE_KEY_SIZE} bytes")


def _file_key_associated_data(file_id, version, kid):
    return _length_prefixed(DOMAIN, "file-key", str(file_id), str(version), str(kid))


def _segment_aead(file_key):
    _check_file_key(file_key)
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_SIZE, salt=None, info=_SEGMENT_KEY_INFO)
    return AESGCM(hkdf.derive(file_key))


def _segment_nonce(prefix, index, last):
    if index >= _MAX_SEGMENTS:
        raise ValueError("too many segments")
    return prefix + index.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


def new_file_key() -> bytes:
    """Return a fresh random 32-byte key for one attachment."""
    return secrets.token_bytes(FILE_KEY_SIZE)


def wrap_file_key(keyring, file_key: bytes, file_id) -> bytes:
    """Encrypt a file key under the primary `file` key, bound to the attachment id."""
    _check_file_key(file_key)
    kid = keyring.primary_kid("file")
    nonce = os.urandom(_NONCE_SIZE)
    aead = AESGCM(keyring.derive("file", kid, "wrap"))
    sealed = aead.encrypt(nonce, file_key, _file_key_associated_data(file_id, BLOB_VERSION, kid))
    return bytes([BLOB_VERSION]) + kid.to_bytes(4, "big") + nonce + sealed


def unwrap_file_key(keyring, wrapped: bytes, file_id) -> bytes:
    """Return the file key; DecryptionError on corruption, KeyringError if its key is absent."""
    try:
        kid, nonce, sealed = _split_blob(wrapped)
    except (TypeError, ValueError):
        raise DecryptionError("attachment", "file_key", file_id) from None
    if len(wrapped) != _WRAPPED_KEY_SIZE:
        raise DecryptionError("attachment", "file_key", file_id)
    key = keyring.derive("file", kid, "wrap")  # KeyringError: misconfiguration, not corruption
    try:
        return AESGCM(key).decrypt(
            nonce, sealed, _file_key_associated_data(file_id, BLOB_VERSION, kid)
        )
    except InvalidTag:
        raise DecryptionError("attachment", "file_key", file_id) from None


def wrapped_key_kid(wrapped) -> int:
    """Return the `file` key id a wrapped file key uses (for rotation).

    Raise ValueError for a truncated or unknown-version blob, TypeError for non-bytes.
    """
    return _split_blob(wrapped)[0]


class StreamEncryptor:
    """Encrypt one attachment in SEGMENT_SIZE segments; holds less than one segment.

    `write()` returns the header (first call) and every complete segment; `finish()`
    returns the last segment. Concatenate all outputs in order.
    """

    def __init__(self, file_key: bytes, file_id):
        self._aead = _segment_aead(file_key)
        self._ad = _length_prefixed(DOMAIN, "file", str(file_id))
        self._prefix = os.urandom(_NONCE_PREFIX_SIZE)
        self._buffer = bytearray()
        self._index = 0
        self._header_sent = False
        self._finished = False
        self.plaintext_size = 0

    @property
    def buffered(self) -> int:
        """Plaintext bytes held, waiting for a complete segment."""
        return len(self._buffer)

    def _seal(self, segment, last):
        nonce = _segment_nonce(self._prefix, self._index, last)
        self._index += 1
        return self._aead.encrypt(nonce, segment, self._ad)

    def _header(self):
        if self._header_sent:
            return []
        self._header_sent = True
        return [self._prefix + _STREAM_HEADER_TAIL]

    def write(self, data: bytes) -> bytes:
        if self._finished:
            raise ValueError("stream already finished")
        view = memoryview(data).cast("B")
        self.plaintext_size += len(view)
        out = self._header()
        if self._buffer:
            take = SEGMENT_SIZE - len(self._buffer)
            self._buffer += view[:take]
            view = view[take:]
            if len(self._buffer) < SEGMENT_SIZE:
                return b"".join(out)
            out.append(self._seal(bytes(self._buffer), last=False))
            self._buffer.clear()
        while len(view) >= SEGMENT_SIZE:
            out.append(self._seal(view[:SEGMENT_SIZE], last=False))
            view = view[SEGMENT_SIZE:]
        self._buffer += view
        return b"".join(out)

    def finish(self) -> bytes:
        if self._finished:
            raise ValueError("stream already finished")
        self._finished = True
        out = self._header()
        out.append(self._seal(bytes(self._buffer), last=True))
        self._buffer.clear()
        return b"".join(out)


class StreamDecryptor:
    """Decrypt a stream made by StreamEncryptor, fed in chunks of any size.

    `feed()` yields the plaintext of each verified segment except the last, which only
    `finish()` returns (a segment is known to be the last only at the end of the input).
    Any flaw raises DecryptionError("attachment", "content", file_id); after that the
    decryptor refuses further input.
    """

    def __init__(self, file_key: bytes, file_id):
        self._aead = _segment_aead(file_key)
        self._file_id = file_id
        self._ad = _length_prefixed(DOMAIN, "file", str(file_id))
        self._prefix = None
        self._buffer = bytearray()
        self._index = 0
        self._done = False

    def _fail(self):
        self._done = True
        self._buffer.clear()
        return DecryptionError("attachment", "content", self._file_id)

    def _open(self, segment, last):
        try:
            nonce = _segment_nonce(self._prefix, self._index, last)
            plain = self._aead.decrypt(nonce, segment, self._ad)
        except (InvalidTag, ValueError):
            raise self._fail() from None
        self._index += 1
        return plain

    def _read_header(self):
        if self._prefix is None and len(self._buffer) >= STREAM_HEADER_SIZE:
            header = bytes(self._buffer[:STREAM_HEADER_SIZE])
            if header[_NONCE_PREFIX_SIZE:] != _STREAM_HEADER_TAIL:
                raise self._fail()
            self._prefix = header[:_NONCE_PREFIX_SIZE]
            del self._buffer[:STREAM_HEADER_SIZE]

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._done:
            raise self._fail()
        self._buffer += data
        self._read_header()
        if self._prefix is None:
            return
        start = 0
        try:
            # More than one full segment left: the first one cannot be the last.
            while len(self._buffer) - start > CIPHERTEXT_SEGMENT_SIZE:
                segment = bytes(self._buffer[start : start + CIPHERTEXT_SEGMENT_SIZE])
                start += CIPHERTEXT_SEGMENT_SIZE
                yield self._open(segment, last=False)
        finally:
            del self._buffer[:start]

    def update(self, data: bytes) -> bytes:
        return b"".join(self.feed(data))

    def finish(self) -> bytes:
        if self._done:
            raise self._fail()
        self._read_header()
        if self._prefix is None or len(self._buffer) < _TAG_SIZE:
            raise self._fail()
        plain = self._open(bytes(self._buffer), last=True)
        self._done = True
        self._buffer.clear()
        return plain


def _chunks_of(source):
    if hasattr(source, "read"):
        while chunk := source.read(CIPHERTEXT_SEGMENT_SIZE):
            yield chunk
    else:
        yield from source


def decrypt_stream(file_key: bytes, file_id, chunks: Iterable[bytes] | BinaryIO) -> Iterator[bytes]:
    """Yield the plaintext of each segment; DecryptionError on any tamper or truncation.

    Earlier segments are yielded before the end is verified; see the section comment.
    """
    decryptor = StreamDecryptor(file_key, file_id)
    for chunk in _chunks_of(chunks):
        for plain in decryptor.feed(chunk):
            if plain:
                yield plain
    last = decryptor.finish()
    if last:
        yield last


def encrypt_stream(file_key: bytes, file_id, src: BinaryIO, dst: BinaryIO) -> int:
    """Encrypt all of `src` into `dst`; return the plaintext size."""
    encryptor = StreamEncryptor(file_key, file_id)
    while chunk := src.read(SEGMENT_SIZE):
        out = encryptor.write(chunk)
        if out:
            dst.write(out)
    dst.write(encryptor.finish())
    return encryptor.plaintext_size


# --- a keyed permutation of small numbers ----------------------------------------------------
# Signal references: the n-th signal of a year gets permute(key, n) instead of n, so a reference
# tells nothing about the order in which signals came in. A balanced Feistel network with
# HMAC-SHA256 rounds over the smallest even bit width that holds the domain, walked until it
# lands inside the domain (cycle walking): a bijection on range(size) for any size.

FEISTEL_ROUNDS = 6


def permute(key: bytes, value: int, size: int) -> int:
    """Map `value` in range(size) to a unique, unpredictable-without-the-key value in range(size)."""
    if not 0 <= value < size:
        raise ValueError("value outside the domain")
    half = max((size - 1).bit_length() + 1, 2) // 2
    mask = (1 << half) - 1
    while True:
        left, right = value >> half, value & mask
        for round_ in range(FEISTEL_ROUNDS):
            digest = hmac.new(key, f"{round_}:{right}".encode(), hashlib.sha256).digest()
            left, right = right, left ^ (int.from_bytes(digest[:8], "big") & mask)
        value = (left << half) | right
        if value < size:
            return value


def new_permutation_key() -> bytes:
    return secrets.token_bytes(32)
