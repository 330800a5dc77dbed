"""Attachments: encrypted file store, upload type allowlist, uploads that never touch disk in plaintext.

docs/security.md, "Field encryption" (Attachments) and "Input, output, headers" (Uploads):
- every file gets a random key, wrapped by the `file` key; the content is encrypted in
  64 KiB segments (see `crypto`, "Attachments"), stored under a UUID name outside `static/`;
- uploads are spooled through `EncryptedSpool`, encrypted under a throw-away key, so
  Werkzeug never writes the plaintext to a temp file;
- `detect_type` admits only a small allowlist, by extension and content; never HTML, SVG
  or executables.
"""

import contextlib
import errno
import hashlib
import hmac
import io
import os
import re
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import Request, current_app

from casustafel import crypto

TEMP_PREFIX = ".tmp-"
UPLOAD_PREFIX = ".upload-"
STALE_AFTER_SECONDS = 3600
_DIR_MODE = 0o700
_FILE_MODE = 0o600


def _as_uuid(file_id) -> uuid.UUID:
    """Accept a UUID or its text; anything else (a path, say) is a ValueError."""
    if isinstance(file_id, uuid.UUID):
        return file_id
    return uuid.UUID(str(file_id))


def _sweep(paths, older_than_seconds) -> int:
    cutoff = time.time() - older_than_seconds
    removed = 0
    for path in paths:
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed


def sweep_uploads(folder, older_than_seconds: float = STALE_AFTER_SECONDS) -> int:
    """Remove upload spools (`.upload-*`) left by a crashed worker; return the count.

    They hold ciphertext under a key that died with the worker, so this is tidiness.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    return _sweep(folder.glob(f"{UPLOAD_PREFIX}*"), older_than_seconds)


# --- the attachment store ----------------------------------------------------------------


@dataclass(frozen=True)
class StoredFile:
    size: int  # plaintext bytes
    wrapped_key: bytes  # store in the attachment row
    digest: str  # hex SHA-256 of the ciphertext file


class AttachmentStore:
    """Encrypted files under `root / id.hex[:2] / id.hex`; the database holds the wrapped key."""

    def __init__(self, root):
        self.root = Path(root)

    def path(self, file_id) -> Path:
        hex_id = _as_uuid(file_id).hex
        return self.root / hex_id[:2] / hex_id

    def _open_temp(self, path: Path) -> BinaryIO:
        """Create the temp file exclusively, mode 0600 (a seam for the disk-full tests)."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _FILE_MODE)
        return os.fdopen(fd, "wb")

    def save(self, file_id, source: BinaryIO, keyring) -> StoredFile:
        """Encrypt `source` into the store; all or nothing.

        Written to `.tmp-<uuid>` in the target folder and renamed into place; on any error
        (disk full too) the temp file is removed and the error re-raised.
        """
        file_id = _as_uuid(file_id)
        final = self.path(file_id)
        if final.exists():
            raise FileExistsError(errno.EEXIST, "Bijlage bestaat al", str(final.name))
        file_key = crypto.new_file_key()
        wrapped = crypto.wrap_file_key(keyring, file_key, file_id)
        final.parent.mkdir(mode=_DIR_MODE, parents=True, exist_ok=True)
        temp = final.parent / f"{TEMP_PREFIX}{uuid.uuid4().hex}"
        digest = hashlib.sha256()
        encryptor = crypto.StreamEncryptor(file_key, file_id)
        try:
            with self._open_temp(temp) as handle:
                while chunk := source.read(crypto.SEGMENT_SIZE):
                    out = encryptor.write(chunk)
                    if out:
                        digest.update(out)
                        handle.write(out)
                out = encryptor.finish()
                digest.update(out)
                handle.write(out)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, final)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
            raise
        self._fsync_dir(final.parent)
        return StoredFile(size=encryptor.plaintext_size, wrapped_key=wrapped, digest=digest.hexdigest())

    @staticmethod
    def _fsync_dir(folder: Path) -> None:
        with contextlib.suppress(OSError):
            fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def open(self, file_id, wrapped_key: bytes, keyring) -> Iterator[bytes]:
        """Return an iterator of plaintext chunks (one per 64 KiB segment).

        The key is unwrapped and the file looked up now: DecryptionError (wrong key,
        wrapped key of another file), KeyringError (key id absent) or FileNotFoundError
        come from this call. Tampering with the content raises DecryptionError while
        iterating, possibly after earlier chunks: abort the response, never keep them.
        """
        file_id = _as_uuid(file_id)
        file_key = crypto.unwrap_file_key(keyring, wrapped_key, file_id)
        path = self.path(file_id)
        if not path.is_file():
            raise FileNotFoundError(errno.ENOENT, "Bijlage niet gevonden", path.name)
        return self._plaintext(path, file_key, file_id)

    @staticmethod
    def _plaintext(path, file_key, file_id) -> Iterator[bytes]:
        with open(path, "rb") as handle:
            yield from crypto.decrypt_stream(file_key, file_id, handle)

    def verify(self, file_id, digest: str) -> bool:
        """Compare the ciphertext file with the digest recorded at save time."""
        hasher = hashlib.sha256()
        try:
            with open(self.path(file_id), "rb") as handle:
                while chunk := handle.read(crypto.CIPHERTEXT_SEGMENT_SIZE):
                    hasher.update(chunk)
        except FileNotFoundError:
            return False
        return hmac.compare_digest(hasher.hexdigest(), digest)

    def delete(self, file_id) -> None:
        """Remove the stored file; nothing happens when it is already gone."""
        self.path(file_id).unlink(missing_ok=True)

    def sweep_temp(self, older_than_seconds: float = STALE_AFTER_SECONDS) -> int:
        """Remove `.tmp-*` files older than the limit (left by a crash); return the count."""
        if not self.root.is_dir():
            return 0
        return _sweep(self.root.glob(f"*/{TEMP_PREFIX}*"), older_than_seconds)


# --- type allowlist ------------------------------------------------------------------------

SNIFF_SIZE = 1024

ALLOWED_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".txt": "text/plain",
    ".eml": "message/rfc822",
    ".msg": "application/vnd.ms-outlook",
}

_MAGIC = {
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".msg": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
}

# Executables and scripts: refused whatever the extension (PE, ELF, shebang, Mach-O).
_EXECUTABLE_MAGIC = (
    b"MZ",
    b"\x7fELF",
    b"#!",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
)

# Text that a browser could sniff as HTML/XML/SVG: refused at the start of any text upload.
_MARKUP_ALWAYS = (b"<!doctype", b"<html", b"<script", b"<svg", b"<?xml")
# WHATWG MIME sniffing's other HTML patterns, when followed by a tag-terminating byte.
_MARKUP_TAGS = (
    b"<head", b"<iframe", b"<h1", b"<div", b"<font", b"<table", b"<a", b"<style",
    b"<title", b"<b", b"<body", b"<br", b"<p", b"<!--",
)  # fmt: skip
_TAG_END = (b"", b" ", b">", b"/", b"\t", b"\n", b"\r", b"\x0c")
_WHITESPACE = b" \t\n\r\x0c"
_UTF8_BOM = b"\xef\xbb\xbf"
_MAIL_START = re.compile(rb"(?:From |[\x21-\x39\x3b-\x7e]+:)")


def base_name(filename: str | None, fallback: str = "bijlage") -> str:
    """The last part of an uploaded file's name, without folders, control characters or
    leading dots: what is stored and what a download offers (`../../x.pdf` → `x.pdf`)."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip().lstrip(".").strip()
    return name[:200] or fallback


def _extension(filename: str) -> str:
    return os.path.splitext(base_name(filename, ""))[1].lower()


def _looks_like_markup(head: bytes) -> bool:
    text = head[:SNIFF_SIZE].removeprefix(_UTF8_BOM).lstrip(_WHITESPACE).lower()
    if text.startswith(_MARKUP_ALWAYS):
        return True
    return any(text.startswith(tag) and text[len(tag) : len(tag) + 1] in _TAG_END for tag in _MARKUP_TAGS)


def _is_utf8_prefix(head: bytes) -> bool:
    """Valid UTF-8, allowing a character cut off at the end of the sniffed head."""
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        return exc.reason == "unexpected end of data" and exc.end == len(head)


def detect_type(filename: str, head: bytes) -> str | None:
    """Return the canonical MIME type when extension and content agree, else None.

    `head` is the start of the file (SNIFF_SIZE bytes is enough).
    """
    ext = _extension(filename)
    if ext not in ALLOWED_TYPES or not head or head.startswith(_EXECUTABLE_MAGIC):
        return None
    if ext in _MAGIC:
        return ALLOWED_TYPES[ext] if head.startswith(_MAGIC[ext]) else None
    if b"\x00" in head or _looks_like_markup(head):
        return None
    if ext == ".txt":
        return ALLOWED_TYPES[ext] if _is_utf8_prefix(head) else None
    if ext == ".eml":
        text = head.removeprefix(_UTF8_BOM).lstrip(b"\r\n")
        return ALLOWED_TYPES[ext] if _MAIL_START.match(text) else None
    return None


def detect_upload(upload) -> str | None:
    """detect_type for a Werkzeug FileStorage; leaves its stream at the start."""
    head = upload.stream.read(SNIFF_SIZE)
    upload.stream.seek(0)
    return detect_type(upload.filename or "", head)


# --- uploads: encrypted spooling -----------------------------------------------------------


class EncryptedSpool(io.BufferedIOBase):
    """Write-then-read temp file for one upload; only ciphertext reaches the disk.

    Writes are encrypted (StreamEncryptor) under a throw-away random key into
    `.upload-*` in `upload_tmp_dir`. `seek()` ends writing and switches to reading, which
    decrypts on the fly; any seek works while reading (backwards restarts from the start).
    `close()` removes the file; the key exists only in this object. No `fileno()` or
    `name`: nothing can reach the ciphertext around the object.
    """

    def __init__(self, upload_tmp_dir):
        super().__init__()
        self._path = None
        self._file = tempfile.NamedTemporaryFile(dir=upload_tmp_dir, prefix=UPLOAD_PREFIX, delete=False)  # noqa: SIM115
        self._path = self._file.name
        self._key = crypto.new_file_key()
        self._id = uuid.uuid4()
        self._encryptor = crypto.StreamEncryptor(self._key, self._id)
        self._writing = True
        self._size = 0
        self._pos = 0
        self._decryptor = None
        self._plain = bytearray()
        self._eof = False

    # io protocol
    def readable(self) -> bool:
        self._check_open()
        return True

    def writable(self) -> bool:
        self._check_open()
        return self._writing

    def seekable(self) -> bool:
        self._check_open()
        return True

    def _check_open(self):
        if self.closed:
            raise ValueError("I/O operation on closed file.")

    def write(self, data) -> int:
        self._check_open()
        if not self._writing:
            raise io.UnsupportedOperation("spool is read-only after seek()")
        size = memoryview(data).nbytes
        try:
            out = self._encryptor.write(data)
            if out:
                self._file.write(out)
        except BaseException:
            self.close()
            raise
        self._size += size
        return size

    def _finish_writing(self):
        if not self._writing:
            return
        try:
            self._file.write(self._encryptor.finish())
            self._file.flush()
        except BaseException:
            self.close()
            raise
        self._writing = False
        self._encryptor = None
        self._rewind()

    def _rewind(self):
        self._file.seek(0)
        self._decryptor = crypto.StreamDecryptor(self._key, self._id)
        self._plain.clear()
        self._pos = 0
        self._eof = False

    def tell(self) -> int:
        self._check_open()
        return self._size if self._writing else self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._check_open()
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.tell(), io.SEEK_END: self._size}.get(whence)
        if base is None:
            raise ValueError(f"invalid whence ({whence})")
        target = base + offset
        if target < 0:
            raise ValueError(f"negative seek position {target}")
        if self._writing and target == self._size:
            return target  # tell()-like seeks while writing keep the spool writable
        self._finish_writing()
        if target < self._pos:
            self._rewind()
        if target >= self._size:
            self._plain.clear()
            self._eof = True
            self._pos = target
            return target
        while self._pos < target:
            if not self.read(min(target - self._pos, crypto.SEGMENT_SIZE)):
                break
        return self._pos

    def _fill(self) -> None:
        chunk = self._file.read(crypto.CIPHERTEXT_SEGMENT_SIZE)
        if chunk:
            self._plain += self._decryptor.update(chunk)
        else:
            self._plain += self._decryptor.finish()
            self._eof = True

    def read(self, size: int | None = -1) -> bytes:
        self._check_open()
        if self._writing:
            return b""  # the position is at the end while writing
        if size is None or size < 0:
            while not self._eof:
                self._fill()
            size = len(self._plain)
        else:
            while len(self._plain) < size and not self._eof:
                self._fill()
        data = bytes(self._plain[:size])
        del self._plain[:size]
        self._pos += len(data)
        return data

    def read1(self, size: int = -1) -> bytes:
        return self.read(size)

    def peek(self, size: int = 0) -> bytes:
        self._check_open()
        if self._writing:
            return b""
        if not self._plain and not self._eof:
            self._fill()
        return bytes(self._plain)

    def close(self) -> None:
        if self.closed:
            return
        try:
            file = getattr(self, "_file", None)
            if file is not None:
                file.close()
        finally:
            if getattr(self, "_path", None):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self._path)
            self._key = None
            self._encryptor = self._decryptor = None
            if hasattr(self, "_plain"):
                self._plain.clear()
            super().close()


class EncryptingRequest(Request):
    """Flask request whose file uploads are spooled encrypted (never plaintext on disk)."""

    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):
        folder = current_app.config["UPLOAD_TMP_DIR"]
        os.makedirs(folder, mode=_DIR_MODE, exist_ok=True)
        return EncryptedSpool(folder)


def init_app(app) -> None:
    """Use EncryptingRequest, create the folders, sweep stale temp files, register the store.

    UPLOAD_TMP_DIR and ATTACHMENT_DIR default to folders in the instance path; values
    already in app.config are kept.
    """
    app.request_class = EncryptingRequest
    app.config.setdefault("UPLOAD_TMP_DIR", os.path.join(app.instance_path, "uploads-tmp"))
    app.config.setdefault("ATTACHMENT_DIR", os.path.join(app.instance_path, "attachments"))
    for key in ("UPLOAD_TMP_DIR", "ATTACHMENT_DIR"):
        os.makedirs(app.config[key], mode=_DIR_MODE, exist_ok=True)
    store = AttachmentStore(app.config["ATTACHMENT_DIR"])
    sweep_uploads(app.config["UPLOAD_TMP_DIR"])
    store.sweep_temp()
    app.extensions["casustafel_store"] = store
