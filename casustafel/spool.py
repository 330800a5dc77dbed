"""Uploads that never touch the disk in plaintext: Werkzeug spools every uploaded file through
`EncryptedSpool`, encrypted under a throw-away key (docs/security.md, "Input, output,
headers", Uploads)."""

import contextlib
import io
import os
import tempfile
import time
import uuid
from pathlib import Path

from flask import Request, current_app

from casustafel import crypto

UPLOAD_PREFIX = ".upload-"
DIR_MODE = 0o700
# An e-mail read for registration waits encrypted in UPLOAD_TMP_DIR as `.mail-<token>` for this
# long (casustafel/signals/mail_register.py); the retention run sweeps what nobody came back for.
STAGE_PREFIX = ".mail-"
MAIL_STAGE_SECONDS = 2 * 3600


def sweep_staged(folder: Path, older_than_seconds: float = MAIL_STAGE_SECONDS, *, remove: bool = True) -> int:
    """Remove staged mails older than the limit; return the count (`remove=False`: count only,
    for the retention run's dry run)."""
    cutoff = time.time() - older_than_seconds
    removed = 0
    for path in folder.glob(f"{STAGE_PREFIX}*"):
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mtime < cutoff:
                if remove:
                    path.unlink()
                removed += 1
    return removed


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
        os.makedirs(folder, mode=DIR_MODE, exist_ok=True)
        return EncryptedSpool(folder)
