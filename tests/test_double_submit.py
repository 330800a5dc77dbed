"""A double click on "Versturen" or "Registreren" sends the same form twice: one signal.

Each signal form carries a random hidden `submission_key`; the signal keeps a keyed hash of it
(signal.submission_key, unique). The second POST finds the signal the first one made (or, when
both arrive at once, the unique column refuses the second) and gets the same confirmation.
"""

import io
import re
from datetime import date, datetime

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from casustafel.demo import DEMO_PDF
from casustafel.extensions import db
from casustafel.models import Signal
from casustafel.retention.destruction import destroy_signals
from casustafel.signals import services
from tests.helpers.mail import hidden, plain_mail, textarea, upload
from tests.helpers.signals import (
    PDF,
    all_signals,
    events,
    logged_in,
    page,
    person,
    phenomenon_id,
    stored_files,
)

NAME = "Zoë Çelik-Ñúñez"
LONG_TEXT = ("Afgeplakte ramen, een sterke geur bij de achterdeur en 's nachts busjes met "
             "buitenlandse kentekens — gezien door Zoë Çelik-Ñúñez (café ‘De Gracht’ ✓). ") * 40
MAIL_URL = "/meldingen/registreren/e-mail"


@pytest.fixture
def reporter(client, make_user, login_as, store):
    user = make_user("reporter", name=NAME)
    login_as(user)
    return user


@pytest.fixture
def coordinator(client, make_user, login_as, store):
    user = make_user("coordinator", name="Carla Coördinator")
    login_as(user)
    return user


def form_page(client, url="/meldpunt") -> tuple[str, str]:
    """The form as first shown: its CSRF token and its submission key."""
    text = page(client.get(url))
    return hidden(text, "csrf_token"), hidden(text, "submission_key")


def fields(csrf: str, key: str | None, **extra) -> dict:
    data = {"csrf_token": csrf, "phenomenon_id": str(phenomenon_id()), "description": LONG_TEXT,
            **person(0, name=NAME, street="Kerkstraat", city="’s-Hertogenbosch")}
    if key is not None:
        data["submission_key"] = key
    data.update(extra)
    return data


def post(client, data: dict, url="/meldpunt", attachment: bytes | None = PDF, filename="verslag-ë.pdf"):
    """One POST as the browser sends it; every POST of a double click carries the file again."""
    payload = dict(data)
    if attachment is not None:
        payload["attachments"] = [(io.BytesIO(attachment), filename)]
    return client.post(url, data=payload, content_type="multipart/form-data")


def confirmation_of(signal) -> str:
    return f"/mijn-meldingen/{signal.id}/bevestiging"


def assert_one_signal_twice(client, first, second, store, *, files=1):
    """Both answers go to the confirmation of the one signal; it was made, logged and stored once."""
    (signal,) = all_signals()
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"] == confirmation_of(signal)
    assert len(events("signal.created")) == 1
    assert len(events("attachment.uploaded")) == files == len(signal.attachments)
    assert len(stored_files(store)) == files
    shown = page(client.get(second.headers["Location"]))
    assert signal.reference in shown
    assert "Dit formulier was al verstuurd" in shown  # the repeat says that nothing new was made
    return signal, shown


# --- the meldpunt ------------------------------------------------------------------------------


def test_the_meldpunt_form_posted_twice_makes_one_signal(client, reporter, store):
    csrf, key = form_page(client)
    assert len(key) >= 32

    first = post(client, fields(csrf, key))
    second = post(client, fields(csrf, key))

    signal, shown = assert_one_signal_twice(client, first, second, store)
    assert signal.registered_by_id == reporter.id and signal.reporter_id == reporter.id
    assert signal.description == LONG_TEXT.strip() and signal.subjects[0].name == NAME
    assert "Uw melding is verstuurd." in shown
    # The signal keeps a keyed hash of the key, never the key itself.
    assert signal.submission_key == services.submission_hashes(key)[0]
    assert re.fullmatch(r"[0-9a-f]{64}", signal.submission_key) and key not in signal.submission_key


def test_every_shown_form_has_its_own_key_and_a_refused_form_keeps_it(client, reporter, store):
    csrf, key = form_page(client)
    assert form_page(client)[1] != key

    refused = post(client, fields(csrf, key, description=""), attachment=None)
    assert refused.status_code == 200 and hidden(page(refused), "submission_key") == key
    more_rows = post(client, fields(csrf, key, rij="betrokkene:toevoegen"), attachment=None)
    assert more_rows.status_code == 200 and hidden(page(more_rows), "submission_key") == key
    assert all_signals() == []

    first = post(client, fields(csrf, key))
    second = post(client, fields(csrf, key))
    assert_one_signal_twice(client, first, second, store)


def test_a_second_form_of_the_same_reporter_is_a_second_signal(client, reporter, store):
    csrf, key = form_page(client)
    _, other_key = form_page(client)

    post(client, fields(csrf, key))
    post(client, fields(csrf, other_key))

    assert len(all_signals()) == 2 and len(events("signal.created")) == 2


# --- the coordinator's registration ------------------------------------------------------------


def test_the_registration_posted_twice_makes_one_signal(client, coordinator, store):
    csrf, key = form_page(client, "/meldingen/registreren")

    first = post(client, fields(csrf, key, channel="telefoon"), url="/meldingen/registreren")
    second = post(client, fields(csrf, key, channel="telefoon"), url="/meldingen/registreren")

    signal, shown = assert_one_signal_twice(client, first, second, store)
    assert (signal.channel, signal.registered_by_id, signal.owner_id) == ("telefoon", coordinator.id, coordinator.id)
    assert "De melding is geregistreerd." in shown


def confirm_mail(client, shown: str, key: str):
    data = {"csrf_token": hidden(shown, "csrf_token"), "mail_token": hidden(shown, "mail_token"),
            "submission_key": key, "channel": "email", "phenomenon_id": str(phenomenon_id()),
            "description": textarea(shown, "description"),
            "subjects-0-kind": "persoon", "subjects-0-role": "vermoedelijk_betrokkene", "subjects-0-name": NAME}
    return post(client, data, url=MAIL_URL, attachment=DEMO_PDF, filename="aanvulling Ñúñez.pdf")


def test_a_registration_from_a_mail_posted_twice_makes_one_signal(app, client, coordinator, store):
    shown = page(upload(client, plain_mail()))
    key = hidden(shown, "submission_key")

    first = confirm_mail(client, shown, key)
    # The staged mail went with the first registration: the second finds the signal, not "niet
    # meer beschikbaar".
    second = confirm_mail(client, shown, key)

    # The mail itself, its two attachments and the coordinator's file.
    signal, shown_after = assert_one_signal_twice(client, first, second, store, files=4)
    assert signal.channel == "email" and signal.registered_by_id == coordinator.id
    assert "niet meer beschikbaar" not in shown_after and "De melding is geregistreerd." in shown_after


def test_a_mail_whose_staging_is_gone_without_a_signal_still_says_so(client, coordinator, store):
    shown = page(upload(client, plain_mail()))
    _, fresh_key = form_page(client, "/meldingen/registreren")  # a key no signal has
    assert confirm_mail(client, shown, hidden(shown, "submission_key")).status_code == 302

    again = confirm_mail(client, shown, fresh_key)

    assert again.status_code == 200 and "niet meer beschikbaar" in page(again)
    assert len(all_signals()) == 1


# --- both POSTs at once ------------------------------------------------------------------------


def blind_precheck(monkeypatch):
    """The lookup before the work misses the signal (the other POST had not committed yet);
    later lookups see it, as after a real collision."""
    real, calls = services.submitted_signal, []

    def lookup(token):
        calls.append(token)
        return None if len(calls) == 1 else real(token)

    monkeypatch.setattr(services, "submitted_signal", lookup)
    return calls


def test_two_posts_at_once_the_unique_key_refuses_the_second(client, reporter, store, monkeypatch):
    csrf, key = form_page(client)
    first = post(client, fields(csrf, key))
    calls = blind_precheck(monkeypatch)

    second = post(client, fields(csrf, key), attachment=PDF + b"% tweede\n", filename="tweede.pdf")

    assert calls == [key, key]  # the pre-check missed it; the unique column did not
    signal, _ = assert_one_signal_twice(client, first, second, store)
    assert [a.filename for a in signal.attachments] == ["verslag-ë.pdf"]


def test_a_collision_at_commit_removes_the_files_already_stored(app, client, reporter, store, monkeypatch):
    csrf, key = form_page(client)
    first = post(client, fields(csrf, key))
    (earlier,) = all_signals()
    hashed, earlier.submission_key = earlier.submission_key, None  # as if the first had not committed yet
    db.session.commit()
    real_commit, stored_before = db.session.commit, []

    def commit():
        # The first POST commits just before this one: the database refuses this one at commit,
        # after its file went to the store.
        stored_before.append(len(stored_files(store)))
        db.session.rollback()
        db.session.execute(update(Signal).where(Signal.id == earlier.id).values(submission_key=hashed))
        real_commit()
        raise IntegrityError("INSERT INTO signal", {}, Exception("UNIQUE constraint failed: signal.submission_key"))

    monkeypatch.setattr(db.session, "commit", commit)
    second = post(client, fields(csrf, key), filename="tweede.pdf")
    monkeypatch.setattr(db.session, "commit", real_commit)

    assert stored_before == [2]  # the second file really was stored before the commit failed
    signal, _ = assert_one_signal_twice(client, first, second, store)
    assert [a.filename for a in signal.attachments] == ["verslag-ë.pdf"]


def test_another_accounts_key_never_leads_to_its_signal(app, client, reporter, make_user, store):
    csrf, key = form_page(client)
    post(client, fields(csrf, key))
    (mine,) = all_signals()
    other = make_user("reporter", name="Åsa Øster")
    browser = logged_in(app, other)
    other_csrf, _ = form_page(browser)

    response = post(browser, fields(other_csrf, key, description="Een eigen melding van Åsa."))

    # Decided: a signal of its own, without a key; nothing of the first signal is shown.
    assert response.status_code == 302
    theirs = [s for s in all_signals() if s.id != mine.id]
    assert len(theirs) == 1 and response.headers["Location"] == confirmation_of(theirs[0])
    assert theirs[0].registered_by_id == other.id and theirs[0].submission_key is None
    assert mine.reference not in page(browser.get(response.headers["Location"]))
    assert mine.submission_key == services.submission_hashes(key)[0]


def test_another_accounts_key_at_the_same_moment_is_refused_without_showing_it(
        app, client, reporter, make_user, store, monkeypatch):
    csrf, key = form_page(client)
    post(client, fields(csrf, key))
    (mine,) = all_signals()
    browser = logged_in(app, make_user("reporter", name="Åsa Øster"))
    other_csrf, _ = form_page(browser)
    blind_precheck(monkeypatch)

    response = post(browser, fields(other_csrf, key))

    assert response.status_code == 200
    text = page(response)
    assert "Uw melding is nog niet verstuurd" in text and mine.reference not in text and str(mine.id) not in text
    fresh = hidden(text, "submission_key")
    assert fresh and fresh != key  # the form comes back with a key of its own
    assert textarea(text, "description") == LONG_TEXT.strip()  # what was typed stays
    assert [s.id for s in all_signals()] == [mine.id] and len(stored_files(store)) == 1
    assert len(events("signal.created")) == 1 and len(events("signal.submit_refused")) == 1


# --- odd keys -----------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["Ñúñez-✓-🙂-sleutel", "a", "x" * 64, "  spaties  ", "<script>&amp;"])
def test_any_key_up_to_64_characters_is_hashed_and_deduplicates(client, reporter, store, key):
    csrf, _ = form_page(client)

    first = post(client, fields(csrf, key))
    second = post(client, fields(csrf, key))

    (signal,) = all_signals()
    assert first.headers["Location"] == second.headers["Location"] == confirmation_of(signal)
    assert signal.submission_key == services.submission_hashes(key)[0]


@pytest.mark.parametrize("key", [None, "", "x" * 65, "Ñ" * 10_000])
def test_no_key_or_one_this_server_never_gives_is_no_error_and_kept_as_none(client, reporter, store, key):
    csrf, _ = form_page(client)

    first = post(client, fields(csrf, key))
    second = post(client, fields(csrf, key))

    # Without a usable key there is nothing to recognise a repeat by: two signals, never a 500.
    assert first.status_code == second.status_code == 302
    signals = all_signals()
    assert len(signals) == 2 and all(s.submission_key is None for s in signals)


def test_the_key_hash_is_separate_from_the_import_and_mail_keys(app):
    from casustafel import crypto
    from casustafel.models.base import keyring

    with app.app_context():
        ring = keyring()
        (hashed, *_) = services.submission_hashes("abc")
        assert hashed != crypto.row_key(ring, b"abc") != crypto.row_key(ring, b"abc", context="mail-message")
        assert hashed == crypto.row_key(ring, b"abc", context="submission")


# --- retention ----------------------------------------------------------------------------------


def test_destroying_a_signal_clears_its_submission_key(client, reporter, store):
    csrf, key = form_page(client)
    post(client, fields(csrf, key))
    (signal,) = all_signals()
    assert signal.submission_key is not None

    destroy_signals([signal.id], datetime(2040, 1, 1), date(2030, 1, 1))
    db.session.commit()

    (tomb,) = all_signals()
    assert tomb.destroyed_at is not None and tomb.submission_key is None
    # The form posted again after that is just a new signal: nothing leads to the tombstone.
    again = post(client, fields(csrf, key))
    assert again.headers["Location"] != confirmation_of(tomb) and len(all_signals()) == 2
