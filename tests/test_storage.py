"""Attachments: streaming file encryption, the encrypted store, the type allowlist, uploads.

docs/security.md, "Field encryption" (Attachments) and "Input, output, headers" (Uploads).
"""

import errno
import hashlib
import io
import os
import time
import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, request
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from casustafel import create_app, storage
from casustafel.crypto import (
    CIPHERTEXT_SEGMENT_SIZE,
    SEGMENT_SIZE,
    STREAM_HEADER_SIZE,
    DecryptionError,
    Keyring,
    KeyringError,
    StreamDecryptor,
    StreamEncryptor,
    decrypt_stream,
    encrypt_stream,
    new_file_key,
    unwrap_file_key,
    wrap_file_key,
    wrapped_key_kid,
)
from casustafel.permissions import check_endpoint_declared, require_login
from casustafel.spool import EncryptedSpool, EncryptingRequest
from casustafel.storage import AttachmentStore, detect_type
from config import TestConfig

FILE_ID = uuid.UUID("3b9e6a52-8c1d-4f0e-b7a2-5d6c7e8f9a01")
OTHER_ID = uuid.UUID("00000000-0000-4000-8000-0000000000aa")
SIZES = [0, 1, SEGMENT_SIZE - 1, SEGMENT_SIZE, SEGMENT_SIZE + 1, 3 * SEGMENT_SIZE + 5]
MARKER = b"CANARY-ATTACH-91"


def payload(size):
    return (MARKER * (size // len(MARKER) + 1))[:size]


def encrypt(data, key, file_id=FILE_ID, chunk=None):
    enc = StreamEncryptor(key, file_id)
    chunk = chunk or max(len(data), 1)
    parts = [enc.write(data[i : i + chunk]) for i in range(0, len(data), chunk)]
    return b"".join([*parts, enc.finish()])


def decrypt(ct, key, file_id=FILE_ID, chunk=None):
    chunk = chunk or max(len(ct), 1)
    return b"".join(decrypt_stream(key, file_id, (ct[i : i + chunk] for i in range(0, len(ct), chunk))))


def split(ct):
    """Header and the list of ciphertext segments (the last one may be short)."""
    body = ct[STREAM_HEADER_SIZE:]
    segments = [body[i : i + CIPHERTEXT_SEGMENT_SIZE] for i in range(0, len(body), CIPHERTEXT_SEGMENT_SIZE)]
    if len(ct) > STREAM_HEADER_SIZE and len(body) % CIPHERTEXT_SEGMENT_SIZE == 0 and segments[-1] == b"":
        segments.pop()
    return ct[:STREAM_HEADER_SIZE], segments


def lp(*parts):
    out = b""
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        out += len(data).to_bytes(4, "big") + data
    return out


@pytest.fixture
def key():
    return new_file_key()


@pytest.fixture
def keyring():
    return Keyring.generate()


# --- streaming encryption -------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("chunk", [None, 1000, SEGMENT_SIZE, 7 * SEGMENT_SIZE // 3])
def test_stream_round_trip(key, size, chunk):
    data = payload(size)
    ct = encrypt(data, key, chunk=chunk)
    segments = size // SEGMENT_SIZE + 1  # always a last segment, possibly empty
    assert len(ct) == STREAM_HEADER_SIZE + size + 16 * segments
    assert decrypt(ct, key) == data
    assert decrypt(ct, key, chunk=4099) == data
    assert MARKER not in ct or size == 0


@pytest.mark.parametrize("size", SIZES)
def test_stream_format_matches_independent_construction(key, size):
    """Header = prefix(7) ‖ 0x01 ‖ 8 zero bytes; nonce = prefix ‖ index ‖ last; pinned AD and key."""
    data = payload(size)
    ct = encrypt(data, key)
    header, segments = split(ct)
    assert header[7:] == b"\x01" + bytes(8)
    seg_key = HKDF(hashes.SHA256(), 32, None, b"casustafel/v1 file segments").derive(key)
    aead = AESGCM(seg_key)
    ad = lp("casustafel/v1", "file", str(FILE_ID))
    plain = b""
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        nonce = header[:7] + index.to_bytes(4, "big") + bytes([last])
        plain += aead.decrypt(nonce, segment, ad)
    assert plain == data


def test_stream_nonce_prefix_is_random(key):
    first, second = encrypt(b"same", key), encrypt(b"same", key)
    assert first[:7] != second[:7]
    assert first != second


def test_decrypt_stream_yields_one_chunk_per_segment_from_a_file(key):
    data = payload(3 * SEGMENT_SIZE + 5)
    chunks = list(decrypt_stream(key, FILE_ID, io.BytesIO(encrypt(data, key))))
    assert [len(c) for c in chunks] == [SEGMENT_SIZE] * 3 + [5]


def test_encrypt_stream_returns_plaintext_size(key):
    data = payload(2 * SEGMENT_SIZE + 123)
    dst = io.BytesIO()
    assert encrypt_stream(key, FILE_ID, io.BytesIO(data), dst) == len(data)
    assert decrypt(dst.getvalue(), key) == data


def expect_content_error(ct, key, file_id=FILE_ID):
    with pytest.raises(DecryptionError) as info:
        decrypt(ct, key, file_id)
    assert (info.value.table, info.value.column, info.value.row_id) == ("attachment", "content", file_id)


@pytest.mark.parametrize("size", [2 * SEGMENT_SIZE, 3 * SEGMENT_SIZE + 5])
def test_truncation_at_a_segment_boundary_is_detected(key, size):
    header, segments = split(encrypt(payload(size), key))
    for keep in range(len(segments)):
        expect_content_error(header + b"".join(segments[:keep]), key)


@pytest.mark.parametrize("cut", [0, 1, STREAM_HEADER_SIZE - 1, STREAM_HEADER_SIZE + 15, -1, -17])
def test_truncation_anywhere_is_detected(key, cut):
    ct = encrypt(payload(SEGMENT_SIZE + 40), key)
    expect_content_error(ct[:cut], key)


def test_dropping_reordering_or_duplicating_segments_is_detected(key):
    header, (s0, s1, s2, last) = split(encrypt(payload(3 * SEGMENT_SIZE + 5), key))
    for segments in (
        [s0, s2, last],  # dropped
        [s1, s0, s2, last],  # swapped
        [s0, s1, s1, s2, last],  # duplicated
        [s0, s1, s2, s2, last],
        [s0, s1, s2],  # last one missing
        [s0, s1, last, s2],
    ):
        expect_content_error(header + b"".join(segments), key)


def test_trailing_data_is_detected(key):
    ct = encrypt(payload(SEGMENT_SIZE + 5), key)
    _, segments = split(ct)
    for extra in (b"\x00", segments[-1], ct[STREAM_HEADER_SIZE:]):
        expect_content_error(ct + extra, key)


def test_segments_from_another_stream_of_the_same_file_do_not_splice(key):
    data = payload(2 * SEGMENT_SIZE + 5)
    header_a, segments_a = split(encrypt(data, key))
    _, segments_b = split(encrypt(data, key))
    expect_content_error(header_a + segments_a[0] + segments_b[1] + segments_a[2], key)


@pytest.mark.parametrize("position", [0, 6, 7, 8, 15, STREAM_HEADER_SIZE, SEGMENT_SIZE // 2, -1, -20])
def test_flipping_a_bit_is_detected(key, position):
    ct = bytearray(encrypt(payload(SEGMENT_SIZE + 40), key))
    ct[position] ^= 0x01
    expect_content_error(bytes(ct), key)


def test_wrong_file_id_or_key_fails(key):
    ct = encrypt(payload(1000), key)
    expect_content_error(ct, key, OTHER_ID)
    expect_content_error(ct, new_file_key())
    expect_content_error(encrypt(b"", key), key, OTHER_ID)


def test_decryptor_refuses_input_after_failure_or_finish(key):
    dec = StreamDecryptor(key, FILE_ID)
    with pytest.raises(DecryptionError):
        dec.update(b"\x00" * STREAM_HEADER_SIZE)
    with pytest.raises(DecryptionError):
        dec.update(b"more")
    dec = StreamDecryptor(key, FILE_ID)
    assert dec.update(encrypt(b"abc", key)) == b""
    assert dec.finish() == b"abc"
    with pytest.raises(DecryptionError):
        dec.update(b"x")


def test_encryptor_refuses_writes_after_finish(key):
    enc = StreamEncryptor(key, FILE_ID)
    enc.finish()
    with pytest.raises(ValueError):
        enc.write(b"x")


@pytest.mark.parametrize("bad", [b"short", b"x" * 33, "x" * 32, None])
def test_file_key_must_be_32_bytes(bad):
    with pytest.raises((ValueError, TypeError)):
        StreamEncryptor(bad, FILE_ID)


def test_encrypting_20_mb_holds_at_most_two_segments(key):
    """A generator source: the encryptor and decryptor never buffer the whole stream."""
    total = 20 * 1024 * 1024
    block = payload(1000)

    def source():
        sent = 0
        while sent < total:
            piece = block[: min(1000, total - sent)]
            sent += len(piece)
            yield piece

    enc = StreamEncryptor(key, FILE_ID)
    dec = StreamDecryptor(key, FILE_ID)
    plain_hash, out_hash = hashlib.sha256(), hashlib.sha256()
    max_enc = max_dec = 0
    for piece in source():
        plain_hash.update(piece)
        out = enc.write(piece)
        max_enc = max(max_enc, enc.buffered, len(enc._buffer))
        if out:
            for plain in dec.feed(out):
                out_hash.update(plain)
            max_dec = max(max_dec, len(dec._buffer))
    out_hash.update(dec.update(enc.finish()))
    out_hash.update(dec.finish())
    assert enc.plaintext_size == total
    assert max_enc < 2 * SEGMENT_SIZE
    assert max_dec < 2 * CIPHERTEXT_SEGMENT_SIZE
    assert out_hash.digest() == plain_hash.digest()


# --- file key wrapping ----------------------------------------------------------------------


def test_wrap_round_trip_and_format(keyring, key):
    wrapped = wrap_file_key(keyring, key, FILE_ID)
    assert len(wrapped) == 1 + 4 + 12 + 32 + 16
    assert wrapped[0] == 1
    assert wrapped_key_kid(wrapped) == 1
    assert unwrap_file_key(keyring, wrapped, FILE_ID) == key
    assert key not in wrapped


def test_wrap_matches_independent_construction(keyring, key):
    wrapped = wrap_file_key(keyring, key, FILE_ID)
    root = keyring.key("file", 1)
    info = lp("casustafel/v1", "file", "wrap")
    wrap_key = HKDF(hashes.SHA256(), 32, None, info).derive(root)
    ad = lp("casustafel/v1", "file-key", str(FILE_ID), "1", "1")
    assert AESGCM(wrap_key).decrypt(wrapped[5:17], wrapped[17:], ad) == key


def test_wrapped_key_is_bound_to_the_file_id(keyring, key):
    wrapped = wrap_file_key(keyring, key, FILE_ID)
    with pytest.raises(DecryptionError) as info:
        unwrap_file_key(keyring, wrapped, OTHER_ID)
    assert (info.value.table, info.value.column, info.value.row_id) == ("attachment", "file_key", OTHER_ID)


@pytest.mark.parametrize("position", [0, 6, 20, -1])
def test_wrapped_key_bit_flip_fails(keyring, key, position):
    wrapped = bytearray(wrap_file_key(keyring, key, FILE_ID))
    wrapped[position] ^= 0x01
    with pytest.raises(DecryptionError):
        unwrap_file_key(keyring, bytes(wrapped), FILE_ID)


@pytest.mark.parametrize("bad", [b"", b"\x01" * 10, None, "text"])
def test_malformed_wrapped_key_fails(keyring, bad):
    with pytest.raises(DecryptionError):
        unwrap_file_key(keyring, bad, FILE_ID)


def test_unknown_file_kid_names_purpose_and_kid(keyring, key):
    wrapped = bytearray(wrap_file_key(keyring, key, FILE_ID))
    wrapped[1:5] = (7).to_bytes(4, "big")
    with pytest.raises(KeyringError, match=r"doel 'file', sleutel-id 7"):
        unwrap_file_key(keyring, bytes(wrapped), FILE_ID)


def test_wrap_uses_the_primary_file_key_and_old_keys_still_unwrap(keyring, key):
    old = wrap_file_key(keyring, key, FILE_ID)
    keyring.set_primary("file", keyring.add_key("file"))
    new = wrap_file_key(keyring, key, FILE_ID)
    assert (wrapped_key_kid(old), wrapped_key_kid(new)) == (1, 2)
    assert unwrap_file_key(keyring, old, FILE_ID) == unwrap_file_key(keyring, new, FILE_ID) == key


# --- the store ------------------------------------------------------------------------------


def files_under(root):
    return sorted(p for p in Path(root).rglob("*") if p.is_file())


def files_containing(root, needle):
    return [p for p in files_under(root) if needle in p.read_bytes()]


@pytest.mark.parametrize("size", [0, 1, 3 * SEGMENT_SIZE + 5])
def test_store_round_trip(tmp_path, keyring, size):
    store = AttachmentStore(tmp_path / "att")
    data = payload(size)
    stored = store.save(FILE_ID, io.BytesIO(data), keyring)
    path = store.path(FILE_ID)
    assert path == tmp_path / "att" / FILE_ID.hex[:2] / FILE_ID.hex
    assert files_under(tmp_path) == [path]
    assert stored.size == size
    assert stored.digest == hashlib.sha256(path.read_bytes()).hexdigest()
    assert stored.digest != hashlib.sha256(data).hexdigest()
    assert store.verify(FILE_ID, stored.digest)
    assert files_containing(tmp_path, MARKER) == []
    assert path.stat().st_mode & 0o077 == 0
    assert b"".join(store.open(str(FILE_ID), stored.wrapped_key, keyring)) == data


def test_store_open_streams_segments(tmp_path, keyring):
    store = AttachmentStore(tmp_path)
    stored = store.save(FILE_ID, io.BytesIO(payload(2 * SEGMENT_SIZE + 1)), keyring)
    chunks = store.open(FILE_ID, stored.wrapped_key, keyring)
    assert len(next(chunks)) == SEGMENT_SIZE
    chunks.close()


def test_store_open_with_a_different_file_key_fails(tmp_path, keyring):
    store = AttachmentStore(tmp_path)
    stored = store.save(FILE_ID, io.BytesIO(payload(5000)), keyring)
    other = Keyring.generate()
    with pytest.raises(DecryptionError) as info:
        store.open(FILE_ID, stored.wrapped_key, other)
    assert info.value.column == "file_key"


def test_store_tampered_file_fails_and_verify_notices(tmp_path, keyring):
    store = AttachmentStore(tmp_path)
    stored = store.save(FILE_ID, io.BytesIO(payload(3 * SEGMENT_SIZE)), keyring)
    path = store.path(FILE_ID)
    path.write_bytes(path.read_bytes()[: -(CIPHERTEXT_SEGMENT_SIZE - SEGMENT_SIZE)])  # drop the empty last segment
    assert not store.verify(FILE_ID, stored.digest)
    with pytest.raises(DecryptionError):
        b"".join(store.open(FILE_ID, stored.wrapped_key, keyring))


def test_store_file_moved_to_another_id_fails(tmp_path, keyring):
    store = AttachmentStore(tmp_path)
    stored = store.save(FILE_ID, io.BytesIO(b"data"), keyring)
    store.path(OTHER_ID).parent.mkdir(parents=True)
    os.replace(store.path(FILE_ID), store.path(OTHER_ID))
    with pytest.raises(DecryptionError):
        store.open(OTHER_ID, stored.wrapped_key, keyring)


def test_store_delete_is_idempotent_and_open_after_delete_fails(tmp_path, keyring):
    store = AttachmentStore(tmp_path)
    stored = store.save(FILE_ID, io.BytesIO(b"data"), keyring)
    store.delete(FILE_ID)
    store.delete(FILE_ID)
    assert files_under(tmp_path) == []
    with pytest.raises(FileNotFoundError):
        store.open(FILE_ID, stored.wrapped_key, keyring)
    assert not store.verify(FILE_ID, stored.digest)


def test_store_refuses_to_overwrite(tmp_path, keyring):
    store = AttachmentStore(tmp_path)
    store.save(FILE_ID, io.BytesIO(b"first"), keyring)
    with pytest.raises(FileExistsError):
        store.save(FILE_ID, io.BytesIO(b"second"), keyring)


@pytest.mark.parametrize("bad", ["../../etc/passwd", "abc", "", None])
def test_store_refuses_ids_that_are_not_uuids(tmp_path, bad):
    with pytest.raises(ValueError):
        AttachmentStore(tmp_path).path(bad)


class FullDiskStore(AttachmentStore):
    """A store whose temp file raises ENOSPC on the n-th write (counting from 1)."""

    def __init__(self, root, fail_at):
        super().__init__(root)
        self.fail_at = fail_at
        self.writes = 0

    def _open_temp(self, path):
        handle = super()._open_temp(path)
        store = self

        class Writer:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                handle.close()

            def write(self, data):
                store.writes += 1
                if store.writes == store.fail_at:
                    handle.write(data[: len(data) // 2])  # a partial write, then the disk is full
                    handle.flush()
                    raise OSError(errno.ENOSPC, "No space left on device")
                return handle.write(data)

            def flush(self):
                handle.flush()

            def fileno(self):
                return handle.fileno()

        return Writer()


def count_writes(tmp_path, keyring, data):
    store = FullDiskStore(tmp_path / "count", fail_at=0)
    store.save(FILE_ID, io.BytesIO(data), keyring)
    return store.writes


@pytest.mark.parametrize("which", ["first", "middle", "last"])
def test_disk_full_leaves_no_file_behind(tmp_path, keyring, which):
    data = payload(5 * SEGMENT_SIZE + 5)
    writes = count_writes(tmp_path, keyring, data)
    assert writes >= 3
    fail_at = {"first": 1, "middle": writes // 2 + 1, "last": writes}[which]
    store = FullDiskStore(tmp_path / "att", fail_at=fail_at)
    with pytest.raises(OSError) as info:
        store.save(FILE_ID, io.BytesIO(data), keyring)
    assert info.value.errno == errno.ENOSPC
    assert files_under(tmp_path / "att") == []


def test_a_failing_source_leaves_no_file_behind(tmp_path, keyring):
    class Broken(io.RawIOBase):
        calls = 0

        def read(self, n=-1):
            self.calls += 1
            if self.calls == 3:
                raise ConnectionResetError("client went away")
            return payload(n)

    store = AttachmentStore(tmp_path)
    with pytest.raises(ConnectionResetError):
        store.save(FILE_ID, Broken(), keyring)
    assert files_under(tmp_path) == []


def make_old(path, seconds=7200):
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_sweep_temp_removes_only_stale_temp_files(tmp_path, keyring):
    store = AttachmentStore(tmp_path)
    store.save(FILE_ID, io.BytesIO(b"keep"), keyring)
    make_old(store.path(FILE_ID))
    folder = store.path(FILE_ID).parent
    stale, fresh = folder / ".tmp-stale", folder / ".tmp-fresh"
    stale.write_bytes(b"x")
    fresh.write_bytes(b"x")
    make_old(stale)
    assert store.sweep_temp() == 1
    assert files_under(tmp_path) == sorted([store.path(FILE_ID), fresh])
    assert store.sweep_temp(older_than_seconds=0) == 1
    assert files_under(tmp_path) == [store.path(FILE_ID)]
    assert AttachmentStore(tmp_path / "missing").sweep_temp() == 0


def test_sweep_uploads_removes_only_stale_spools(tmp_path):
    stale, fresh, other = tmp_path / ".upload-a", tmp_path / ".upload-b", tmp_path / "other"
    for path in (stale, fresh, other):
        path.write_bytes(b"x")
    make_old(stale)
    make_old(other)
    assert storage.sweep_uploads(tmp_path) == 1
    assert files_under(tmp_path) == sorted([fresh, other])


# --- type allowlist -------------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
ZIP = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(24)
HTML = b"<!DOCTYPE html><html><script>alert(1)</script></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
EML = b"Return-Path: <a@b.nl>\r\nFrom: A <a@b.nl>\r\nSubject: melding\r\n\r\nTekst"


@pytest.mark.parametrize(
    ("filename", "head", "expected"),
    [
        ("rapport.pdf", PDF, "application/pdf"),
        ("RAPPORT.PDF", PDF, "application/pdf"),
        ("foto.png", PNG, "image/png"),
        ("foto.jpg", JPEG, "image/jpeg"),
        ("foto.JPEG", JPEG, "image/jpeg"),
        ("brief.docx", ZIP, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("lijst.xlsx", ZIP, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("notitie.txt", "Gesprek met de wijkagent, café Één.\n".encode(), "text/plain"),
        ("notitie.txt", b"\xef\xbb\xbfMet BOM", "text/plain"),
        ("notitie.txt", "a" * 1023 + "é", "text/plain"),  # a character cut off by the sniff
        ("mail.eml", EML, "message/rfc822"),
        ("mail.msg", OLE, "application/vnd.ms-outlook"),
        # refused
        ("rapport.pdf", HTML, None),  # HTML renamed to .pdf
        ("rapport.pdf", b"  %PDF-1.4", None),
        ("pagina.html", HTML, None),
        ("pagina.htm", HTML, None),
        ("beeld.svg", SVG, None),
        ("beeld.txt", SVG, None),
        ("beeld.png", SVG, None),
        ("data.txt", b'<?xml version="1.0"?><svg/>', None),
        ("notitie.txt", b"  \n<SCRIPT>alert(1)</SCRIPT>", None),
        ("notitie.txt", b"\xef\xbb\xbf<html><body>x", None),
        ("notitie.txt", b"<p>hallo</p>", None),
        ("notitie.txt", b"<!-- x -->", None),
        ("notitie.txt", b"tekst\x00met nul", None),
        ("notitie.txt", b"\xff\xfeU\x00T\x00F\x001\x006\x00", None),
        ("notitie.txt", b"latin-1 caf\xe9 tekst", None),
        ("mail.eml", HTML, None),
        ("mail.eml", b"geen kopregel hier", None),
        ("programma.exe", b"MZ\x90\x00", None),
        ("programma.pdf", b"MZ\x90\x00", None),
        ("programma.txt", b"MZ is ook tekst", None),
        ("script.txt", b"#!/bin/sh\nrm -rf /", None),
        ("elf.png", b"\x7fELF\x02\x01", None),
        ("leeg.pdf", b"", None),
        ("geen-extensie", PDF, None),
        ("pdf", PDF, None),
        ("rapport.pdf.exe", PDF, None),
        ("foto.gif", b"GIF89a", None),
        ("archief.zip", ZIP, None),
        ("map/../rapport.pdf", PDF, "application/pdf"),
        ("C:\\Users\\x\\foto.png", PNG, "image/png"),
    ],
)
def test_detect_type(filename, head, expected):
    head = head.encode() if isinstance(head, str) else head
    assert detect_type(filename, head) == expected


def test_allowed_types_has_no_markup_or_svg():
    assert not {".html", ".htm", ".svg", ".xhtml", ".xml", ".js", ".exe"} & set(storage.ALLOWED_TYPES)
    assert not any("html" in mime or "svg" in mime for mime in storage.ALLOWED_TYPES.values())


# --- encrypted spooling of uploads ----------------------------------------------------------


def spool_with(tmp_path, data, chunk=8192):
    spool = EncryptedSpool(tmp_path)
    for i in range(0, len(data), chunk):
        assert spool.write(data[i : i + chunk]) == len(data[i : i + chunk])
    return spool


def test_spool_writes_only_ciphertext_and_reads_back(tmp_path):
    data = payload(200 * 1024)
    spool = spool_with(tmp_path, data)
    assert spool.tell() == len(data)
    (path,) = files_under(tmp_path)
    assert path.name.startswith(".upload-")
    assert spool.seek(0) == 0
    assert len(path.read_bytes()) > len(data)
    assert files_containing(tmp_path, MARKER) == []
    assert spool.read(10) == data[:10]
    assert spool.tell() == 10
    assert spool.read(SEGMENT_SIZE + 7) == data[10 : SEGMENT_SIZE + 17]
    assert spool.read() == data[SEGMENT_SIZE + 17 :]
    assert spool.read() == b""
    spool.seek(0)
    assert spool.read() == data
    spool.close()
    assert files_under(tmp_path) == []
    spool.close()  # idempotent


def test_spool_seeks_lines_and_io_protocol(tmp_path):
    data = b"regel een\nregel twee\n" + payload(3 * SEGMENT_SIZE) + b"\nslot"
    spool = spool_with(tmp_path, data, chunk=1000)
    assert spool.writable() and spool.readable() and spool.seekable()
    assert spool.seek(0, io.SEEK_END) == len(data)  # size check while writing keeps it writable
    assert spool.writable()
    spool.seek(0)
    assert not spool.writable()
    assert spool.readline() == b"regel een\n"
    assert spool.readline() == b"regel twee\n"
    assert spool.seek(5, io.SEEK_CUR) == 26
    assert spool.read(4) == data[26:30]
    assert spool.seek(2 * SEGMENT_SIZE) == 2 * SEGMENT_SIZE
    assert spool.read(3) == data[2 * SEGMENT_SIZE : 2 * SEGMENT_SIZE + 3]
    assert spool.seek(3) == 3
    assert spool.read(6) == data[3:9]
    assert spool.seek(0, io.SEEK_END) == len(data)
    assert spool.read() == b""
    assert spool.seek(-4, io.SEEK_END) == len(data) - 4
    assert spool.read() == b"slot"
    spool.seek(0)
    buffer = bytearray(12)
    assert spool.readinto(buffer) == 12 and bytes(buffer) == data[:12]
    with pytest.raises(io.UnsupportedOperation):
        spool.write(b"late")
    with pytest.raises(io.UnsupportedOperation):
        spool.fileno()
    assert not hasattr(spool, "name")
    with pytest.raises(ValueError):
        spool.seek(-1)
    spool.close()
    with pytest.raises(ValueError):
        spool.read()


def test_spool_with_werkzeug_filestorage_save(tmp_path):
    data = payload(100_000)
    spool = spool_with(tmp_path, data)
    spool.seek(0)
    upload = FileStorage(spool, filename="x.txt", name="bestand")
    out = io.BytesIO()
    upload.save(out)
    assert out.getvalue() == data
    upload.close()
    assert files_under(tmp_path) == []


def test_empty_spool(tmp_path):
    spool = EncryptedSpool(tmp_path)
    spool.seek(0)
    assert spool.read() == b""
    spool.close()
    assert files_under(tmp_path) == []


def test_spool_removes_its_file_when_the_disk_is_full(tmp_path, monkeypatch):
    spool = EncryptedSpool(tmp_path)

    def full(data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(spool._file, "write", full)
    with pytest.raises(OSError):
        spool.write(payload(2 * SEGMENT_SIZE))
    assert spool.closed
    assert files_under(tmp_path) == []


# --- uploads through the app ----------------------------------------------------------------


@pytest.fixture
def upload_app(tmp_path):
    """A separate app with a test-only upload route; the login gates are off for it alone."""
    app = create_app(TestConfig)
    app.config.update(
        ATTACHMENT_DIR=str(tmp_path / "attachments"),
        UPLOAD_TMP_DIR=str(tmp_path / "uploads-tmp"),
        WTF_CSRF_ENABLED=False,
    )
    storage.init_app(app)
    app.before_request_funcs[None] = [
        f for f in app.before_request_funcs[None] if f not in (require_login, check_endpoint_declared)
    ]
    app.test_state = {}

    @app.post("/test-upload")
    def test_upload():
        upload = request.files["bestand"]
        state = app.test_state
        state["stream"] = upload.stream
        state["spools"] = [(p, p.stat().st_size) for p in files_under(tmp_path) if p.name.startswith(".upload-")]
        state["during"] = files_containing(tmp_path, MARKER)
        state["mime"] = storage.detect_upload(upload)
        store = app.extensions["casustafel_store"]
        file_id = uuid.uuid4()
        stored = store.save(file_id, upload.stream, app.extensions["casustafel_keyring"])
        state["after_save"] = files_containing(tmp_path, MARKER)
        state.update(file_id=file_id, stored=stored)
        return {"size": stored.size}

    return app


@pytest.mark.parametrize("size", [200 * 1024, 2 * 1024 * 1024 + 3])
def test_upload_plaintext_never_touches_disk(upload_app, tmp_path, size):
    data = payload(size)
    # Encoded in memory, so the test client itself writes no plaintext temp file.
    upload = FileStorage(io.BytesIO(data), filename="notitie.txt", content_type="text/plain")
    boundary, body = encode_multipart({"bestand": upload, "titel": "x"})
    response = upload_app.test_client().post(
        "/test-upload", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json == {"size": size}
    state = upload_app.test_state
    assert isinstance(state["stream"], EncryptedSpool)
    ((spool_path, spool_size),) = state["spools"]  # one ciphertext spool on disk, now gone
    assert spool_size > size
    assert not spool_path.exists()
    assert state["during"] == []
    assert state["after_save"] == []
    assert state["mime"] == "text/plain"
    assert state["stream"].closed  # request.close() ended the spool
    assert files_containing(tmp_path, MARKER) == []
    assert [p for p in files_under(tmp_path) if p.name.startswith(".")] == []  # no spool, no temp
    store = upload_app.extensions["casustafel_store"]
    keyring = upload_app.extensions["casustafel_keyring"]
    assert files_under(tmp_path / "attachments") == [store.path(state["file_id"])]
    plain = b"".join(store.open(state["file_id"], state["stored"].wrapped_key, keyring))
    assert plain == data


def test_init_app_defaults_creates_dirs_and_sweeps(tmp_path):
    app = Flask(__name__, instance_path=str(tmp_path))
    uploads, attachments = tmp_path / "uploads-tmp", tmp_path / "attachments"
    (attachments / "ab").mkdir(parents=True)
    uploads.mkdir()
    stale_upload, stale_temp = uploads / ".upload-old", attachments / "ab" / ".tmp-old"
    for path in (stale_upload, stale_temp):
        path.write_bytes(b"x")
        make_old(path)
    storage.init_app(app)
    assert app.request_class is EncryptingRequest
    assert app.config["UPLOAD_TMP_DIR"] == str(uploads)
    assert app.config["ATTACHMENT_DIR"] == str(attachments)
    assert not stale_upload.exists() and not stale_temp.exists()
    store = app.extensions["casustafel_store"]
    assert isinstance(store, AttachmentStore) and store.root == attachments


def test_init_app_keeps_configured_dirs(tmp_path):
    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    app.config.update(UPLOAD_TMP_DIR=str(tmp_path / "u"), ATTACHMENT_DIR=str(tmp_path / "a"))
    storage.init_app(app)
    assert (tmp_path / "u").is_dir() and (tmp_path / "a").is_dir()
    assert not (tmp_path / "instance" / "attachments").exists()
    assert app.extensions["casustafel_store"].root == tmp_path / "a"
