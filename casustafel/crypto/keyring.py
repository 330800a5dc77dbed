"""Keyring, AES-256-GCM field encryption, blind indexes and the audit MAC.

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

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PURPOSES = ("enc", "bidx", "file", "audit")
DOMAIN = "casustafel/v1"
BLOB_VERSION = 1
KEY_SIZE = 32
MAX_KID = 2**32 - 1
NONCE_SIZE = 12
HEADER_SIZE = 1 + 4 + NONCE_SIZE
TAG_SIZE = 16
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


def length_prefixed(*parts):
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
                info=length_prefixed(DOMAIN, purpose, *context),
            )
            self._derived[cache_key] = hkdf.derive(root)
        return self._derived[cache_key]

    def check_value(self, purpose, kid):
        """Return HMAC-SHA256(root key, check message).

        Stored in the database, so start-up can detect a wrong key.
        """
        return hmac.new(self.key(purpose, kid), _CHECK_MESSAGE, hashlib.sha256).digest()


def _associated_data(table, column, row_id, version, kid):
    return length_prefixed(DOMAIN, table, column, str(row_id), str(version), str(kid))


def split_blob(blob):
    """Return (kid, nonce, sealed); ValueError or TypeError for a malformed blob."""
    if not isinstance(blob, (bytes, bytearray, memoryview)):
        raise TypeError("blob is not bytes")
    blob = bytes(blob)
    if len(blob) < HEADER_SIZE + TAG_SIZE or blob[0] != BLOB_VERSION:
        raise ValueError("unknown blob version or truncated blob")
    return int.from_bytes(blob[1:5], "big"), blob[5:HEADER_SIZE], blob[HEADER_SIZE:]


def blob_kid(blob):
    """Return the key id a blob was encrypted with (for rotation).

    Raise ValueError for a truncated or unknown-version blob, TypeError for non-bytes.
    """
    return split_blob(blob)[0]


def encrypt_field(keyring, table, column, row_id, plaintext):
    """Encrypt with the primary enc key.

    The associated data binds the blob to table, column, row, version and key id.
    """
    if not isinstance(plaintext, str):
        raise TypeError("plaintext must be str")
    kid = keyring.primary_kid("enc")
    nonce = os.urandom(NONCE_SIZE)
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
        kid, nonce, sealed = split_blob(blob)
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
    digits, rest = re.fullmatch(r"[\s-]*([0-9]*)(.*)", str(number), re.DOTALL).groups()
    if not digits and addition:  # no number: what was typed is read as one house number
        return normalize_housenumber(f"{number}{addition}")
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
    digest = hmac.new(key, length_prefixed(*parts), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") >> (64 - bits)


def row_key(keyring, *parts, kid=None, context="import-row"):
    """A stable, keyed name for an imported row: hex HMAC-SHA256(bidx subkey, lp(*parts)).

    64 hex characters that say nothing about the row without the key (its parts hold names).
    `context` separates the uses ("import-row", "mail-message"): each has its own subkey.
    """
    kid = keyring.primary_kid("bidx") if kid is None else kid
    key = keyring.derive("bidx", kid, context)
    return hmac.new(key, length_prefixed(*parts), hashlib.sha256).hexdigest()


def audit_mac(keyring, kid, prev_mac, payload):
    """Chain an audit entry: HMAC-SHA256(audit subkey, lp(prev_mac, payload))."""
    key = keyring.derive("audit", kid, "chain")
    return hmac.new(key, length_prefixed(prev_mac, payload), hashlib.sha256).digest()


def constant_time_equal(a, b):
    return hmac.compare_digest(a, b)
