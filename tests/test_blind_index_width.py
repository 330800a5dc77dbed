"""The blind-index width (docs/security.md "Blind-index leakage"): chosen from the expected number
of values by CipherSweet's rule, validated at start-up, stored for the installation and per row,
and changed by `flask blind-index rewidth` without any lookup missing a row before, during or after.
"""

import re

import pytest
from sqlalchemy import select

from casustafel import create_app, crypto, linking, rotation
from casustafel.extensions import db
from casustafel.keys import ConfigurationError, configure_blind_index_width
from casustafel.models import AuditEvent, BlindIndexWidth, Location, Subject
from casustafel.signals.linked import find_linked
from config import TestConfig
from tests.conftest import csrf_from
from tests.helpers.rotation import ADDRESSES, PEOPLE, QUERIES, search_results

REF_RE = re.compile(r'href="/meldingen/[0-9a-f-]+">(SIG-\d{4}-\d{4})</a>')


def widths_of_rows() -> set:
    return {bits for model in (Subject, Location) for bits in db.session.scalars(select(model.bidx_bits))}


def installation() -> BlindIndexWidth:
    return db.session.get(BlindIndexWidth, 1)


# --- the rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("values", "low", "high"), [
    (10_000, 8, 12), (100_000, 9, 15), (1_000_000, 10, 18), (2**16, 8, 15), (512, 8, 8),
])
def test_the_width_is_the_widest_with_at_least_two_coincidences_per_value(values, low, high):
    assert crypto.safe_range(values) == (low, high)
    assert crypto.choose_bits(values) == high
    assert 2 <= crypto.coincidences(values, high) < 4  # one bit more would drop below 2
    assert crypto.coincidences(values, high + 1) < 2
    assert crypto.coincidences(values, low) <= values ** 0.5  # CipherSweet's lower bound: C ≤ √R


def test_cipher_sweets_planner_example_lies_within_its_range():
    """CipherSweet's documented planner answer for 2^16 rows and no other index: min 8, max 15."""
    assert crypto.safe_range(2**16) == (8, 15)


@pytest.mark.parametrize("values", [0, 511, -5, "10000", True])
def test_too_few_or_no_expected_values_is_refused(values):
    with pytest.raises(crypto.BlindIndexPlanError, match="minstens 512"):
        crypto.safe_range(values)


@pytest.mark.parametrize("bits", [7, 9, 13, 19])
def test_a_width_outside_the_safe_range_is_refused_naming_the_range(bits):
    values = 1_000_000 if bits in (9, 19) else 10_000
    with pytest.raises(crypto.BlindIndexPlanError, match=r"veilige bereik \d+–\d+ bits"):
        crypto.check_bits(bits, values)


# --- the setting ------------------------------------------------------------------------------


def test_the_default_setting_chooses_12_bits_as_before():
    config = {"BLIND_INDEX_EXPECTED_VALUES": TestConfig.BLIND_INDEX_EXPECTED_VALUES,
              "BLIND_INDEX_BITS": TestConfig.BLIND_INDEX_BITS}
    assert configure_blind_index_width(config) == 12
    assert config == {"BLIND_INDEX_EXPECTED_VALUES": 10_000, "BLIND_INDEX_BITS": 12}


@pytest.mark.parametrize(("values", "bits", "expected"), [
    ("1000000", None, 18), ("100000", None, 15), (" 100000 ", "12", 12), ("1000000", "10", 10),
])
def test_the_setting_gives_the_chosen_or_the_explicit_width(values, bits, expected):
    config = {"BLIND_INDEX_EXPECTED_VALUES": values, "BLIND_INDEX_BITS": bits}
    assert configure_blind_index_width(config) == expected == config["BLIND_INDEX_BITS"]


@pytest.mark.parametrize(("values", "bits", "message"), [
    ("tienduizend", None, "CASUSTAFEL_BLIND_INDEX_EXPECTED_VALUES moet een geheel getal zijn"),
    ("10000", "twaalf", "CASUSTAFEL_BLIND_INDEX_BITS moet een geheel getal zijn"),
    ("10000", "16", r"16 bits valt buiten het veilige bereik 8–12 bits bij 10000"),
    ("1000000", "9", r"9 bits valt buiten het veilige bereik 10–18 bits"),
    ("100", None, "minstens 512"),
])
def test_a_bad_setting_refuses_start_with_a_clear_message(tmp_path, values, bits, message):
    class Wrong(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'wrong.db'}"
        SQLALCHEMY_ENGINE_OPTIONS = {}
        BLIND_INDEX_EXPECTED_VALUES = values
        BLIND_INDEX_BITS = bits

    with pytest.raises(ConfigurationError, match=message):
        create_app(Wrong)


# --- stored width -----------------------------------------------------------------------------


def test_new_indexes_are_made_at_the_installations_width_and_carry_it(app, make_signal):
    first = make_signal(None)
    assert installation().bits == 12 and widths_of_rows() == {12}
    assert first.subjects[0].person_bidx < 2**12

    installation().bits = 16
    db.session.commit()
    second = make_signal(None, person=("Piet Puk", "1975-05-05"))
    assert second.subjects[0].bidx_bits == second.locations[0].bidx_bits == 16
    assert second.subjects[0].person_bidx == linking.blind_index("person", "Piet Puk", "1975-05-05", bits=16)
    assert first.subjects[0].bidx_bits == 12  # untouched: made at 12 bits, and says so


def test_a_row_without_any_index_carries_no_width(app, make_signal):
    signal = make_signal(None, person=None, address=None)
    subject = Subject(kind="persoon", role="onbekend", position=0)
    signal.subjects.append(subject)
    linking.index_subject(subject)
    db.session.commit()
    assert subject.person_bidx is None and subject.organisation_bidx is None and subject.bidx_bits is None


def test_a_lookup_compares_each_index_only_with_rows_of_its_own_width(app, make_signal):
    """A 12-bit row whose index happens to equal the 16-bit index of the value sought is not a
    candidate: widths are never mixed, so a coincidence across widths costs nothing."""
    jan = make_signal(None, person=("Jan Jansen", "1980-01-02"), address=None)
    piet = make_signal(None, person=("Piet Puk", "1975-05-05"), address=None)
    wide = linking.blind_index("person", "Jan Jansen", "1980-01-02", bits=16)
    piet.subjects[0].person_bidx = wide  # a 12-bit row holding the 16-bit number
    installation().bits, installation().previous_bits = 16, 12
    db.session.commit()
    terms = linking.key_terms("person", linking.person_key("Jan Jansen", "1980-01-02"))
    assert terms == {16: [wide], 12: [jan.subjects[0].person_bidx]}
    candidates = db.session.scalars(select(Subject).where(linking.matches(Subject, "person_bidx", terms))).all()
    assert [c.id for c in candidates] == [jan.subjects[0].id]


# --- changing the width -----------------------------------------------------------------------


def test_rewidth_keeps_search_and_linked_signals_identical_before_during_and_after(app, signals, make_signal):
    before = search_results(QUERIES)
    assert before[("person", "Jan Jansen", "1980-01-02")] and before[signals[0].reference]
    ring = app.extensions["casustafel_keyring"]

    class KilledError(Exception):
        pass

    def stop_after_first_batch(line):
        raise KilledError

    with pytest.raises(KilledError):
        rotation.rewidth(ring, 16, batch_size=4, progress=stop_after_first_batch)
    db.session.rollback()
    assert (installation().bits, installation().previous_bits) == (16, 12)
    assert widths_of_rows() == {12, 16}  # half done: both widths in use
    assert search_results(QUERIES) == before

    # A signal registered now is indexed at the new width and links to the old ones.
    newcomer = make_signal(None, person=PEOPLE[0], address=ADDRESSES[0])
    assert newcomer.subjects[0].bidx_bits == 16
    person_link = next(link for link in find_linked(newcomer)[newcomer.subjects[0].id] if link.kind == "person")
    assert {s.reference for s in person_link.signals} == {s.reference for s in signals[0::3]}
    during = search_results(QUERIES)
    assert newcomer.reference in during
    assert str(newcomer.subjects[0].id) in during[("person", "Jan Jansen", "1980-01-02")]

    change = rotation.rewidth(ring, 16, batch_size=4)
    assert change.complete and change.previous == 16  # the rerun continued the change
    assert (installation().bits, installation().previous_bits) == (16, None)
    assert widths_of_rows() == {16}
    assert all(s.person_bidx < 2**16 for s in db.session.scalars(select(Subject)))
    assert search_results(QUERIES) == during
    assert rotation.rewidth(ring, 16, batch_size=4).result.changed == 0  # idempotent


def test_inbox_search_finds_the_same_signals_after_a_change_of_width(app, client, make_user, login_as, signals):
    login_as(make_user("coordinator"))

    def found(**fields):
        token = csrf_from(client.get("/meldingen"))
        response = client.post("/meldingen/zoeken", data={"csrf_token": token, **fields})
        assert response.status_code == 200
        return set(REF_RE.findall(response.get_data(as_text=True)))

    queries = [{"naam": "Jan Jansen"}, {"naam": "müller", "geboortedatum": "1970-01-01"},
               {"postcode": "1234ab", "huisnummer": "1"}, {"naam": "Niemand"}]
    before = [found(**q) for q in queries]
    assert before[0] == {s.reference for s in signals[0::3]} and before[3] == set()
    ring = app.extensions["casustafel_keyring"]
    with pytest.raises(RuntimeError):
        rotation.rewidth(ring, 8, batch_size=3, progress=lambda line: (_ for _ in ()).throw(RuntimeError))
    db.session.rollback()
    assert widths_of_rows() == {8, 12}
    assert [found(**q) for q in queries] == before  # during
    assert rotation.rewidth(ring, 8, batch_size=3).complete
    assert widths_of_rows() == {8}
    assert [found(**q) for q in queries] == before  # after


def test_a_different_width_is_refused_while_a_change_is_unfinished_and_undoing_works(app, signals):
    ring = app.extensions["casustafel_keyring"]
    before = search_results(QUERIES)
    with pytest.raises(RuntimeError):
        rotation.rewidth(ring, 16, batch_size=2, progress=lambda line: (_ for _ in ()).throw(RuntimeError))
    db.session.rollback()
    with pytest.raises(rotation.RotationError, match="omzetting van 12 naar 16 bits"):
        rotation.rewidth(ring, 14)
    change = rotation.rewidth(ring, 12, batch_size=2)  # back to where it came from
    assert change.complete and widths_of_rows() == {12}
    assert (installation().bits, installation().previous_bits) == (12, None)
    assert search_results(QUERIES) == before


def test_key_rotation_keeps_the_width_and_finishes_an_unfinished_change(app, signals):
    ring = app.extensions["casustafel_keyring"]
    with pytest.raises(RuntimeError):
        rotation.rewidth(ring, 16, batch_size=2, progress=lambda line: (_ for _ in ()).throw(RuntimeError))
    db.session.rollback()
    result = rotation.rotate(ring, "bidx", batch_size=5)
    assert result.complete and widths_of_rows() == {16}
    assert installation().previous_bits is None
    assert rotation.rows_on_old_keys(ring, "bidx") == 0


@pytest.mark.parametrize("bits", [7, 64, "16"])
def test_rewidth_refuses_a_width_blind_index_cannot_make(app, bits):
    with pytest.raises(rotation.RotationError, match="8 tot en met 63 bits"):
        rotation.rewidth(app.extensions["casustafel_keyring"], bits)


# --- the command ------------------------------------------------------------------------------


def test_the_command_recomputes_at_the_configured_width_and_logs_one_event_with_counts(app, signals, monkeypatch):
    monkeypatch.setitem(app.config, "BLIND_INDEX_BITS", 14)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["blind-index", "rewidth", "--batch-size", "4"])
    assert result.exit_code == 0, result.output
    assert "bidx subject:" in result.output and "bidx location:" in result.output  # progress per batch
    assert "van 12 naar 14 bits" in result.output
    assert widths_of_rows() == {14}
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "keys.index_width_changed")).all()
    assert len(events) == 1
    event = events[0]
    rows = 2 * len(signals)
    assert (event.object_type, event.object_id) == ("blind_index_width", "12->14")
    # Per signal: the subject's person, name and width, the location's address and width.
    assert event.reason_code == f"gelezen {rows} gewijzigd {5 * len(signals)} overgeslagen 0 onleesbaar 0"
    assert event.subject_pseudonyms is None

    status = runner.invoke(args=["blind-index", "status"])
    assert status.exit_code == 0
    assert "Database: 14 bits" in status.output and f"14 bits: {rows} rijen" in status.output
    again = runner.invoke(args=["blind-index", "rewidth"])
    assert again.exit_code == 0 and "0 indexen herberekend" in again.output


def test_the_plan_command_shows_the_safe_range(app):
    result = app.test_cli_runner().invoke(args=["blind-index", "plan", "--expected-values", "1000000"])
    assert result.exit_code == 0
    assert "veilig 10–18 bits; gekozen 18 bits" in result.output
    refused = app.test_cli_runner().invoke(args=["blind-index", "plan", "--expected-values", "100"])
    assert refused.exit_code != 0 and "minstens 512" in refused.output
