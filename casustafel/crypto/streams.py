"""Attachments: per-file keys and streaming segment encryption (see the comment below)."""

import os
import secrets
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from casustafel.crypto.keyring import (
    BLOB_VERSION,
    DOMAIN,
    HEADER_SIZE,
    KEY_SIZE,
    NONCE_SIZE,
    TAG_SIZE,
    DecryptionError,
    length_prefixed,
    split_blob,
)

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
CIPHERTEXT_SEGMENT_SIZE = SEGMENT_SIZE + TAG_SIZE
_NONCE_PREFIX_SIZE = 7
_STREAM_HEADER_TAIL = bytes([STREAM_VERSION]) + bytes(STREAM_HEADER_SIZE - _NONCE_PREFIX_SIZE - 1)
_MAX_SEGMENTS = 2**32
_SEGMENT_KEY_INFO = b"casustafel/v1 file segments"
_WRAPPED_KEY_SIZE = HEADER_SIZE + FILE_KEY_SIZE + TAG_SIZE


def _check_file_key(file_key):
    if not isinstance(file_key, bytes) or len(file_key) != FILE_KEY_SIZE:
        raise ValueError(f"file key must be {FILE_KEY_SIZE} bytes")


def _file_key_associated_data(file_id, version, kid):
    return length_prefixed(DOMAIN, "file-key", str(file_id), str(version), str(kid))


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
    nonce = os.urandom(NONCE_SIZE)
    aead = AESGCM(keyring.derive("file", kid, "wrap"))
    sealed = aead.encrypt(nonce, file_key, _file_key_associated_data(file_id, BLOB_VERSION, kid))
    return bytes([BLOB_VERSION]) + kid.to_bytes(4, "big") + nonce + sealed


def unwrap_file_key(keyring, wrapped: bytes, file_id) -> bytes:
    """Return the file key; DecryptionError on corruption, KeyringError if its key is absent."""
    try:
        kid, nonce, sealed = split_blob(wrapped)
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
    return split_blob(wrapped)[0]


class StreamEncryptor:
    """Encrypt one attachment in SEGMENT_SIZE segments; holds less than one segment.

    `write()` returns the header (first call) and every complete segment; `finish()`
    returns the last segment. Concatenate all outputs in order.
    """

    def __init__(self, file_key: bytes, file_id):
        self._aead = _segment_aead(file_key)
        self._ad = length_prefixed(DOMAIN, "file", str(file_id))
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
        self._ad = length_prefixed(DOMAIN, "file", str(file_id))
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
        if self._prefix is None or len(self._buffer) < TAG_SIZE:
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
