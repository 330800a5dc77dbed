"""Field encryption, keyring, blind indexes and audit MAC (docs/security.md).

Known answers are recomputed with `hmac`, `hashlib` and a hand-written HKDF, so a change
in the construction fails here even when the module still agrees with itself.
"""

import ast
import base64
import hashlib
import hmac
import json
import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import assume, example, given
from hypothesis import strategies as st

from casustafel.crypto import (
    PURPOSES,
    DecryptionError,
    Keyring,
    KeyringError,
    audit_mac,
    blind_index,
    blob_kid,
    constant_time_equal,
    decrypt_field,
    encrypt_field,
    normalize_housenumber,
    normalize_kvk,
    normalize_postcode,
    normalize_text,
)

ROW = uuid.UUID("6f1c2a3e-0b5d-4e7f-9a1b-2c3d4e5f6a7b")
OTHER_ROW = uuid.UUID("00000000-0000-4000-8000-000000000001")


def fixed_key(purpose, kid):
    return hashlib.sha256(f"casustafel test key {purpose} {kid}".encode()).digest()


def fixed_keyring_data():
    data = {p: {"primary": 1, "keys": {1: fixed_key(p, 1)}} for p in PURPOSES}
    # Extra enc keys, so a bit flip in the key id can land on a key that exists.
    data["enc"]["keys"].update({2: fixed_key("enc", 2), 3: fixed_key("enc", 3)})
    return data


@pytest.fixture
def keyring():
    return Keyring(fixed_keyring_data())


# Independent reference constructions --------------------------------------------------


def lp(*parts):
    out = b""
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        out += len(data).to_bytes(4, "big") + data
    return out


def hkdf_sha256(ikm, info, length=32, salt=b""):
    """RFC 5869; an empty salt is HashLen zero bytes, the same as `salt=None`."""
    prk = hmac.new(salt or bytes(32), ikm, hashlib.sha256).digest()
    okm, block, counter = b"", b"", 1
    while len(okm) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        okm += block
        counter += 1
    return okm[:length]


def test_reference_hkdf_matches_rfc_5869_test_case_3():
    okm = hkdf_sha256(b"\x0b" * 22, b"", length=42)
    assert okm.hex() == (
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
    )


# Known answers ------------------------------------------------------------------------


def test_derive_is_hkdf_sha256_over_length_prefixed_context(keyring):
    expected = hkdf_sha256(
        fixed_key("enc", 1), lp("casustafel/v1", "enc", "signals", "person_name")
    )
    assert keyring.derive("enc", 1, "signals", "person_name") == expected
    assert expected.hex() == DERIVED_ENC_HEX


def test_derive_separates_context_tuples_that_concatenate_alike(keyring):
    assert keyring.derive("enc", 1, "ab", "c") != keyring.derive("enc", 1, "a", "bc")


def test_derived_keys_differ_per_purpose_column_and_key_id(keyring):
    keys = {
        keyring.derive("enc", 1, "signals", "person_name"),
        keyring.derive("enc", 1, "signals", "company_name"),
        keyring.derive("enc", 1, "meetings", "person_name"),
        keyring.derive("enc", 2, "signals", "person_name"),
        keyring.derive("bidx", 1, "signals", "person_name"),
    }
    assert len(keys) == 5


def test_blind_index_is_truncated_hmac_of_length_prefixed_parts(keyring):
    key = hkdf_sha256(
        fixed_key("bidx", 1), lp("casustafel/v1", "bidx", "blind-index", "pc_hnr")
    )
    digest = hmac.new(key, lp("1234AB", "12"), hashlib.sha256).digest()
    expected = int.from_bytes(digest[:4], "big")
    assert blind_index(keyring, "pc_hnr", "1234AB", "12") == expected
    assert expected == BLIND_INDEX_32
    assert blind_index(keyring, "pc_hnr", "1234AB", "12", bits=12) == expected >> 20


def test_audit_mac_is_hmac_over_previous_mac_and_payload(keyring):
    key = hkdf_sha256(fixed_key("audit", 1), lp("casustafel/v1", "audit", "chain"))
    prev, payload = b"\x00" * 32, b'{"event": "signal.viewed"}'
    expected = hmac.new(key, lp(prev, payload), hashlib.sha256).digest()
    assert audit_mac(keyring, 1, prev, payload) == expected


def test_check_value_is_hmac_of_the_root_key(keyring):
    expected = hmac.new(
        fixed_key("enc", 2), b"casustafel key check v1", hashlib.sha256
    ).digest()
    assert keyring.check_value("enc", 2) == expected


def test_decrypts_a_blob_built_by_hand_from_the_documented_layout(keyring):
    kid, nonce = 2, bytes(range(12))
    key = hkdf_sha256(
        fixed_key("enc", 2), lp("casustafel/v1", "enc", "signals", "person_name")
    )
    aad = lp("casustafel/v1", "signals", "person_name", str(ROW), "1", "2")
    sealed = AESGCM(key).encrypt(nonce, b"Jan de Vries", aad)
    blob = b"\x01" + kid.to_bytes(4, "big") + nonce + sealed
    assert decrypt_field(keyring, "signals", "person_name", ROW, blob) == "Jan de Vries"


# Field encryption ---------------------------------------------------------------------


@given(st.text())
def test_encrypted_field_round_trips_any_text(plaintext):
    ring = Keyring(fixed_keyring_data())
    blob = encrypt_field(ring, "signals", "person_name", ROW, plaintext)
    assert decrypt_field(ring, "signals", "person_name", ROW, blob) == plaintext


def test_blob_layout_is_version_key_id_nonce_ciphertext_and_tag(keyring):
    keyring.set_primary("enc", 3)
    blob = encrypt_field(keyring, "signals", "person_name", ROW, "abc")
    assert blob[0] == 0x01
    assert blob[1:5] == (3).to_bytes(4, "big")
    assert len(blob) == 1 + 4 + 12 + len("abc") + 16
    assert blob_kid(blob) == 3


def test_ciphertext_does_not_contain_the_plaintext(keyring):
    blob = encrypt_field(keyring, "signals", "person_name", ROW, "CANARY-7f3a")
    assert b"CANARY" not in blob


def test_nonces_are_unique_over_1000_encryptions(keyring):
    blobs = [
        encrypt_field(keyring, "signals", "person_name", ROW, "x") for _ in range(1000)
    ]
    assert len({blob[5:17] for blob in blobs}) == 1000


@pytest.mark.parametrize(
    ("table", "column", "row_id"),
    [
        ("signals", "person_name", OTHER_ROW),
        ("signals", "company_name", ROW),
        ("meetings", "person_name", ROW),
    ],
    ids=["other-row", "other-column", "other-table"],
)
def test_moving_ciphertext_to_another_row_column_or_table_fails_to_decrypt(
    keyring, table, column, row_id
):
    blob = encrypt_field(keyring, "signals", "person_name", ROW, "Jan de Vries")
    with pytest.raises(DecryptionError) as info:
        decrypt_field(keyring, table, column, row_id, blob)
    assert (info.value.table, info.value.column, info.value.row_id) == (
        table,
        column,
        row_id,
    )


def test_row_id_as_string_or_uuid_is_the_same_row(keyring):
    blob = encrypt_field(keyring, "signals", "person_name", ROW, "x")
    assert decrypt_field(keyring, "signals", "person_name", str(ROW), blob) == "x"


def test_flipping_any_single_bit_fails_to_decrypt(keyring):
    blob = encrypt_field(keyring, "signals", "person_name", ROW, "ab")
    for position in range(len(blob)):
        for bit in range(8):
            tampered = bytearray(blob)
            tampered[position] ^= 1 << bit
            tampered = bytes(tampered)
            expected = DecryptionError
            if 1 <= position <= 4 and blob_kid(tampered) not in keyring.kids("enc"):
                expected = KeyringError  # the header now names a key we do not have
            with pytest.raises(expected):
                decrypt_field(keyring, "signals", "person_name", ROW, tampered)


@pytest.mark.parametrize(
    "blob",
    [b"", b"\x01", b"\x01" + bytes(31), b"\x02" + bytes(40), "not bytes", None],
    ids=["empty", "version-only", "too-short", "unknown-version", "str", "none"],
)
def test_malformed_blob_raises_decryption_error(keyring, blob):
    with pytest.raises(DecryptionError):
        decrypt_field(keyring, "signals", "person_name", ROW, blob)


def test_invalid_utf8_plaintext_raises_decryption_error(keyring):
    key = keyring.derive("enc", 1, "signals", "person_name")
    aad = lp("casustafel/v1", "signals", "person_name", str(ROW), "1", "1")
    nonce = bytes(12)
    blob = (
        b"\x01"
        + (1).to_bytes(4, "big")
        + nonce
        + AESGCM(key).encrypt(nonce, b"\xff", aad)
    )
    with pytest.raises(DecryptionError):
        decrypt_field(keyring, "signals", "person_name", ROW, blob)


def test_decryption_error_names_the_record_but_not_the_value(keyring):
    blob = encrypt_field(keyring, "signals", "person_name", ROW, "Geheime Naam")
    with pytest.raises(DecryptionError) as info:
        decrypt_field(keyring, "signals", "person_name", OTHER_ROW, blob)
    message = str(info.value)
    assert (
        message
        == f"Kan veld signals.person_name van record {OTHER_ROW} niet ontsleutelen"
    )
    assert "Geheime" not in message


def test_unknown_key_id_raises_keyring_error_naming_purpose_and_kid_not_key(keyring):
    blob = bytearray(encrypt_field(keyring, "signals", "person_name", ROW, "x"))
    blob[1:5] = (7).to_bytes(4, "big")
    with pytest.raises(KeyringError) as info:
        decrypt_field(keyring, "signals", "person_name", ROW, bytes(blob))
    message = str(info.value)
    assert "'enc'" in message
    assert "7" in message
    for kid in keyring.kids("enc"):
        key = keyring.key("enc", kid)
        assert base64.b64encode(key).decode() not in message
        assert key.hex() not in message


# Keyring ------------------------------------------------------------------------------


def test_missing_key_message_names_purpose_and_key_id(keyring):
    with pytest.raises(
        KeyringError, match=r"Sleutel ontbreekt: doel 'enc', sleutel-id 7"
    ):
        keyring.key("enc", 7)


def invalid(mutate):
    data = fixed_keyring_data()
    mutate(data)
    return data


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (invalid(lambda d: d.pop("audit")), "'audit'"),
        (invalid(lambda d: d["file"].update(primary=9)), "9"),
        (invalid(lambda d: d["bidx"]["keys"].update({1: bytes(31)})), "'bidx'"),
        (invalid(lambda d: d["bidx"]["keys"].update({2: bytes(33)})), "sleutel-id 2"),
        (invalid(lambda d: d["enc"]["keys"].update({0: bytes(32)})), "sleutel-id 0"),
        (invalid(lambda d: d["enc"]["keys"].update({2**32: bytes(32)})), str(2**32)),
        (invalid(lambda d: d["enc"]["keys"].update({"4": bytes(32)})), "'4'"),
        (invalid(lambda d: d["enc"]["keys"].update({4: "x" * 32})), "sleutel-id 4"),
        (invalid(lambda d: d.update(mail=d["enc"])), "'mail'"),
    ],
    ids=[
        "missing-purpose",
        "primary-absent",
        "short-key",
        "long-key",
        "kid-zero",
        "kid-too-large",
        "kid-not-int",
        "key-not-bytes",
        "unknown-purpose",
    ],
)
def test_keyring_rejects_invalid_data_and_names_the_culprit(data, named):
    with pytest.raises(KeyringError) as info:
        Keyring(data)
    assert named in str(info.value)
    assert fixed_key("enc", 1).hex() not in str(info.value)


def test_keyring_json_round_trips(keyring):
    text = keyring.to_json()
    doc = json.loads(text)
    assert doc["version"] == 1
    assert (
        doc["purposes"]["enc"]["keys"]["2"]
        == base64.b64encode(fixed_key("enc", 2)).decode()
    )
    again = Keyring.from_json(text)
    for purpose in PURPOSES:
        assert again.primary_kid(purpose) == keyring.primary_kid(purpose)
        assert again.kids(purpose) == keyring.kids(purpose)
        for kid in keyring.kids(purpose):
            assert again.key(purpose, kid) == keyring.key(purpose, kid)


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"version": 2, "purposes": {}}',
        '{"version": 1}',
        '{"version": 1, "purposes": {"enc": {"primary": 1, "keys": {"1": "%%%"}}}}',
        '{"version": 1, "purposes": {"enc": {"primary": 1, "keys": {"x": "AAAA"}}}}',
    ],
    ids=[
        "not-json",
        "not-object",
        "wrong-version",
        "no-purposes",
        "bad-base64",
        "bad-kid",
    ],
)
def test_invalid_key_file_text_raises_keyring_error(text):
    with pytest.raises(KeyringError):
        Keyring.from_json(text)


def test_load_reads_a_key_file(tmp_path, keyring):
    path = tmp_path / "keys.json"
    path.write_text(keyring.to_json())
    assert Keyring.load(path).key("audit", 1) == fixed_key("audit", 1)


def test_load_names_a_missing_key_file(tmp_path):
    path = tmp_path / "absent.json"
    with pytest.raises(KeyringError, match="Sleutelbestand niet gevonden"):
        Keyring.load(path)


def test_load_rejects_an_invalid_key_file(tmp_path):
    path = tmp_path / "keys.json"
    path.write_text('{"version": 1, "purposes": {}}')
    with pytest.raises(KeyringError, match=r"keys\.json"):
        Keyring.load(path)


def test_generate_creates_distinct_random_keys_with_key_id_1():
    first, second = Keyring.generate(), Keyring.generate()
    keys = {first.key(p, 1) for p in PURPOSES} | {second.key(p, 1) for p in PURPOSES}
    assert len(keys) == 2 * len(PURPOSES)
    assert all(first.primary_kid(p) == 1 and first.kids(p) == [1] for p in PURPOSES)


def test_repr_shows_key_ids_but_no_key_material(keyring):
    text = repr(keyring)
    assert "enc" in text
    assert fixed_key("enc", 1).hex() not in text
    assert base64.b64encode(fixed_key("enc", 1)).decode() not in text


def test_set_primary_refuses_an_unknown_key_id(keyring):
    with pytest.raises(KeyringError, match="sleutel-id 9"):
        keyring.set_primary("enc", 9)
    assert keyring.primary_kid("enc") == 1


def test_rotation_keeps_old_blobs_readable_and_writes_with_the_new_key():
    ring = Keyring.generate()
    old = encrypt_field(ring, "signals", "person_name", ROW, "oud")
    kid = ring.add_key("enc")
    assert kid == 2
    assert ring.primary_kid("enc") == 1  # a new key is decrypt-only until promoted
    assert blob_kid(encrypt_field(ring, "signals", "person_name", ROW, "x")) == 1
    ring.set_primary("enc", kid)
    new = encrypt_field(ring, "signals", "person_name", ROW, "nieuw")
    assert blob_kid(old) == 1
    assert blob_kid(new) == 2
    assert decrypt_field(ring, "signals", "person_name", ROW, old) == "oud"
    assert decrypt_field(ring, "signals", "person_name", ROW, new) == "nieuw"
    assert Keyring.from_json(ring.to_json()).primary_kid("enc") == 2


def test_check_value_differs_per_key(keyring):
    assert keyring.check_value("enc", 1) != keyring.check_value("enc", 2)
    assert keyring.check_value("enc", 1) != keyring.check_value("bidx", 1)


def test_constant_time_equal_compares_bytes():
    assert constant_time_equal(b"abc", b"abc")
    assert not constant_time_equal(b"abc", b"abd")


# Normalisers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "normalise",
    [normalize_text, normalize_postcode, normalize_kvk, normalize_housenumber],
)
@given(value=st.text())
@example(value="-00")  # a dash before the number: "00" once, "0" the second time
def test_every_normaliser_is_idempotent(normalise, value):
    once = normalise(value)
    assert normalise(once) == once


@given(st.text(), st.text())
@example("", "00")  # no number, an addition of digits: read as the number it is ("0"), not "00"
@example(" ", "012 a")
@example("", "-00")
def test_house_number_with_addition_is_idempotent(number, addition):
    once = normalize_housenumber(number, addition)
    assert normalize_housenumber(once) == once


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Müller", "muller"),
        ("MULLER", "muller"),
        ("  MULLER ", "muller"),
        ("Jan-Peter  de Vries", "jan peter de vries"),
        ("Straße", "strasse"),
        ("O'Brien-Čapek", "o brien capek"),
        ("ﬁnn", "finn"),
    ],
)
def test_normalize_text_folds_case_accents_and_punctuation(value, expected):
    assert normalize_text(value) == expected


@given(st.sampled_from(["1234 ab", "1234AB", " 1234ab ", "1234 AB", "1234\tAb"]))
def test_postcode_variants_normalise_equal(value):
    assert normalize_postcode(value) == "1234AB"


def test_normalize_kvk_keeps_digits_and_leading_zeros():
    assert normalize_kvk("12 34 56 78") == "12345678"
    assert normalize_kvk("KvK: 0123-4567") == "01234567"
    assert normalize_kvk("١٢٣") == ""  # only ASCII digits count


@pytest.mark.parametrize(
    ("number", "addition", "expected"),
    [
        ("12", "a ", "12A"),
        ("12-a", "", "12A"),
        ("12", "-a", "12A"),
        (12, "bis", "12BIS"),
        ("012", None, "12"),
        ("12", "3", "12-3"),
        ("123", "", "123"),
        ("0" * 5000 + "7", "", "7"),
    ],
)
def test_normalize_housenumber_joins_number_and_addition(number, addition, expected):
    assert normalize_housenumber(number, addition) == expected


# Blind indexes ------------------------------------------------------------------------


@given(st.sampled_from(["Müller", "MULLER", "  muller ", "Muller"]))
def test_blind_index_is_equal_for_equal_normalised_input(name):
    ring = Keyring(fixed_keyring_data())
    assert blind_index(ring, "name_full", normalize_text(name)) == blind_index(
        ring, "name_full", "muller"
    )


@given(st.text(), st.text())
def test_blind_index_differs_for_different_input(first, second):
    assume(first != second)
    ring = Keyring(fixed_keyring_data())
    assert blind_index(ring, "name_full", first) != blind_index(
        ring, "name_full", second
    )


def test_blind_index_has_no_collisions_among_2000_values_at_32_bits(keyring):
    indexes = {blind_index(keyring, "kvk", f"{n:08d}") for n in range(2000)}
    assert len(indexes) == 2000


def test_blind_index_depends_on_name_parts_split_and_key_id(keyring):
    keyring.add_key("bidx")
    values = {
        blind_index(keyring, "kvk", "12345678"),
        blind_index(keyring, "company", "12345678"),
        blind_index(keyring, "kvk", "1234", "5678"),
        blind_index(keyring, "kvk", "12345678", kid=2),
    }
    assert len(values) == 4
    assert blind_index(keyring, "kvk", "x", kid=1) == blind_index(keyring, "kvk", "x")


@given(st.integers(min_value=8, max_value=63), st.text())
def test_blind_index_fits_in_bits_and_a_signed_64_bit_column(bits, value):
    ring = Keyring(fixed_keyring_data())
    index = blind_index(ring, "name_full", value, bits=bits)
    assert 0 <= index < 2**bits <= 2**63
    assert index == blind_index(ring, "name_full", value, bits=63) >> (63 - bits)


@pytest.mark.parametrize("bits", [-1, 0, 7, 64, 256, 32.0, True])
def test_blind_index_rejects_bits_outside_8_to_63(keyring, bits):
    with pytest.raises(ValueError, match="between 8 and 63"):
        blind_index(keyring, "kvk", "12345678", bits=bits)


def test_blind_index_with_unknown_key_id_raises_keyring_error(keyring):
    with pytest.raises(KeyringError, match=r"doel 'bidx', sleutel-id 5"):
        blind_index(keyring, "kvk", "12345678", kid=5)


def test_crypto_module_imports_no_flask():
    import casustafel.crypto as package

    files = sorted(Path(package.__file__).parent.glob("*.py"))
    assert len(files) >= 4  # the package and its keyring, streams and permutation
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        } | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not any(name.split(".")[0] in {"flask", "werkzeug"} for name in imported), path.name


# Pinned outputs of the reference construction, so the reference cannot drift unnoticed.
DERIVED_ENC_HEX = "52fea1c23d1eb32fcaa975c124e57fcc8218f9843854541a420616d41b672a13"
BLIND_INDEX_32 = 1857511504
