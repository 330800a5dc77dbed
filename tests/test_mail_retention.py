"""Retention of the meldpunt mailbox's e-mails (category "e-mail"): a concept nobody registers or
discards loses its e-mail, subject and sender after its term (setting retention_mail_months);
the marker stays, so the same e-mail fetched again is still known. The run also sweeps e-mails
staged for registration past their two hours, and the coordinator's inbox says in time when an
e-mail will go."""

import html
import os
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from casustafel.dates import add_months, long_date, utcnow
from casustafel.extensions import db
from casustafel.models import DestructionRecord, MailConcept
from casustafel.retention import destruction, services
from casustafel.settings import set_setting
from casustafel.signals import mailbox
from casustafel.spool import MAIL_STAGE_SECONDS
from tests.helpers.mail import plain_mail
from tests.helpers.signals import page

NOW = datetime(2031, 6, 1, 12, 0)
SENDER = "Zoë Çelik-Ñúñez <zoe.celik-nunez@voorbeeld.test>"
SUBJECTS = (
    "Ondermijning? Ærø-straße 7 — ‘nagelstudio’ 💅 zonder klanten",
    "Verdacht: 's nachts laden en lossen bij loods Ōsaka-weg 3" + " — lang onderwerp" * 30,
    "Nieuwe eigenaar betaalt contant; Ĳsselmonde ✓",
)


def run(now=NOW, dry_run=False, **kwargs):
    return destruction.run_retention(None, now, dry_run=dry_run, origin="cli", **kwargs)


def concept(store, received_at, number=0, sender=SENDER):
    """A waiting concept of a unicode e-mail (each number its own e-mail), received at `received_at`."""
    raw = plain_mail(sender=sender, subject=SUBJECTS[number % len(SUBJECTS)],
                     body=f"Goedemiddag,\n\nKenmerk-Qxw{number} afgeplakte ramen.\n\nZoë")
    made = mailbox.add_concept(raw, store)
    assert made is not None
    made.received_at = received_at
    db.session.commit()
    return made, raw


def fresh(concept_id) -> MailConcept:
    db.session.expire_all()
    return db.session.get(MailConcept, concept_id)


def records() -> list[DestructionRecord]:
    return list(db.session.scalars(select(DestructionRecord).where(DestructionRecord.category == "e-mail")))


def due_count(now=NOW) -> int:
    return next(due.count for due in services.overview(now)["due"] if due.code == "e-mail")


# --- destroying -------------------------------------------------------------------------------


def test_an_e_mail_nobody_handled_is_destroyed_after_its_term_and_its_marker_stays(app, store):
    due, raw = concept(store, add_months(NOW, -12) - timedelta(hours=1))
    assert (due.subject, due.sender) == (SUBJECTS[0], SENDER)
    stored = store.path(due.file_id)
    assert stored.is_file()
    key, concept_id = due.message_key, due.id

    result = run()

    marker = fresh(concept_id)
    assert not stored.exists()  # the e-mail itself is gone from the store
    assert (marker.subject, marker.sender, marker.subject_enc, marker.sender_enc) == (None, None, None, None)
    assert (marker.file_id, marker.wrapped_key, marker.digest) == (None, None, None)
    assert marker.handled_at == NOW and marker.signal_id is None
    assert marker.message_key == key and marker.received_at == add_months(NOW, -12) - timedelta(hours=1)
    assert result.summary["categories"]["e-mail"]["count"] == 1
    assert result.summary["categories"]["e-mail"]["references"] == [f"E-mail {marker.received_at:%d-%m-%Y}"]

    (record,) = records()
    assert record.object_type == "mail_concept" and record.object_ref == str(concept_id)
    assert record.run_id == result.run.id and record.term == "12 maanden na ontvangst"
    assert record.selectielijst == services.SELECTIELIJST["e-mail"].text
    assert record.due_since == marker.received_at.date()
    written = " ".join(str(value) for value in (record.object_ref, record.term, record.details, record.selectielijst))
    assert "Zoë" not in written and "zoe.celik" not in written and "Ærø" not in written and key not in written

    # The same e-mail fetched again (it stays in the mailbox's processed folder) makes nothing new.
    assert mailbox.add_concept(raw, store) is None
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(MailConcept)) == 1
    assert mailbox.waiting_count() == 0
    # A second run finds nothing more.
    assert run().summary["categories"]["e-mail"]["count"] == 0
    assert len(records()) == 1


def test_an_e_mail_just_inside_its_term_and_a_handled_marker_are_kept(app, store):
    young, _ = concept(store, add_months(NOW, -12) + timedelta(hours=1), 1)
    handled, raw = concept(store, add_months(NOW, -40), 2)
    handled_file = handled.file_id
    file_id = mailbox.discard(None, handled)
    db.session.commit()
    store.delete(file_id)
    handled_at = fresh(handled.id).handled_at
    assert not store.path(handled_file).exists()

    assert due_count() == 0
    result = run()

    kept = fresh(young.id)
    assert kept.handled_at is None and kept.subject == SUBJECTS[1] and kept.sender == SENDER
    assert store.path(kept.file_id).is_file()
    marker = fresh(handled.id)
    assert marker.handled_at == handled_at != NOW  # the marker is not touched again
    assert result.summary["categories"]["e-mail"]["count"] == 0 and records() == []
    assert mailbox.add_concept(raw, store) is None


def test_a_too_large_e_mail_loses_subject_and_sender(app, store):
    made, _ = concept(store, datetime(2029, 2, 3, 9, 30), 2)
    file_id = made.file_id
    store.delete(file_id)  # a concept too large to fetch has no file in casustafel
    made.file_id = made.wrapped_key = made.digest = None
    made.too_large = True
    db.session.commit()

    run()

    marker = fresh(made.id)
    assert marker.handled_at == NOW and (marker.subject, marker.sender) == (None, None)
    assert [r.object_ref for r in records()] == [str(made.id)]


def test_the_term_setting_decides_what_is_due(app, store):
    seven_months, _ = concept(store, add_months(NOW, -7), 0)
    thirteen_months, _ = concept(store, add_months(NOW, -13), 1)
    assert due_count() == 1

    set_setting("retention_mail_months", "24")
    db.session.commit()
    assert due_count() == 0
    assert run(dry_run=True).summary["categories"]["e-mail"]["count"] == 0

    set_setting("retention_mail_months", "6")
    db.session.commit()
    assert due_count() == 2
    result = run()
    assert result.summary["categories"]["e-mail"]["count"] == 2
    assert {r.term for r in records()} == {"6 maanden na ontvangst"}
    assert fresh(seven_months.id).handled_at == NOW and fresh(thirteen_months.id).handled_at == NOW


def test_a_dry_run_counts_and_destroys_nothing_and_batches_resume(app, store):
    made = [concept(store, add_months(NOW, -14) + timedelta(days=number), number)[0] for number in range(3)]
    dry = run(dry_run=True)
    assert dry.summary["categories"]["e-mail"]["count"] == 3
    assert all(fresh(c.id).subject is not None and store.path(c.file_id).is_file() for c in made)
    assert records() == []

    result = run(batch_size=2)
    assert result.summary["categories"]["e-mail"]["count"] == 3
    assert all(fresh(c.id).handled_at == NOW for c in made)
    assert len(records()) == 3


def test_the_overview_counts_them_with_their_selectielijst(app, store, client, make_user, login_as):
    concept(store, datetime(2029, 2, 3, 9, 30), 0)
    concept(store, datetime(2030, 1, 15, 23, 30), 1)  # 16 January in the Netherlands
    concept(store, add_months(NOW, -3), 2)

    (due,) = [d for d in services.overview(NOW)["due"] if d.code == "e-mail"]
    assert due.count == 2 and due.term == "12 maanden na ontvangst"
    assert due.references == ["E-mail 03-02-2029", "E-mail 16-01-2030"]
    assert due.label == "E-mails in de meldpunt-inbox die niet zijn geregistreerd"
    assert due.selectielijst == "‘Afgebroken’ (1 jaar); geen melding van gemaakt"

    login_as(make_user("privacy_officer"))
    shown = html.unescape(client.get("/bewaren/").get_data(as_text=True))
    row = shown.split("E-mails in de meldpunt-inbox die niet zijn geregistreerd")[1].split("</tr>")[0]
    assert "‘Afgebroken’ (1 jaar)" in row and "maanden na ontvangst" in row
    assert "Zoë" not in shown and "Ærø" not in shown


# --- staged registrations -----------------------------------------------------------------------


def test_the_run_sweeps_staged_e_mails_past_their_life(app, store):
    folder = Path(app.config["UPLOAD_TMP_DIR"])
    folder.mkdir(parents=True)
    old, young, other = folder / (".mail-" + "a" * 32), folder / (".mail-" + "b" * 32), folder / ".upload-zoë"
    for path in (old, young, other):
        path.write_bytes(b"ciphertext \xc3\xab")
    past = time.time() - MAIL_STAGE_SECONDS - 60
    os.utime(old, (past, past))
    os.utime(other, (past, past))
    os.utime(young, (time.time() - MAIL_STAGE_SECONDS + 300,) * 2)

    dry = run(dry_run=True)
    assert dry.summary["staged_mail_removed"] == 1
    assert old.exists() and young.exists()

    result = run()
    assert result.summary["staged_mail_removed"] == 1
    assert not old.exists()
    assert young.exists() and other.exists()  # a fresh staging, and what is not a staged e-mail


def test_the_run_page_names_the_staged_e_mails_it_removed(app, store, client, make_user, login_as):
    folder = Path(app.config["UPLOAD_TMP_DIR"])
    folder.mkdir(parents=True)
    old = folder / (".mail-" + "c" * 32)
    old.write_bytes(b"ciphertext")
    past = time.time() - MAIL_STAGE_SECONDS - 1
    os.utime(old, (past, past))
    result = run()
    login_as(make_user("privacy_officer"))
    shown = page(client.get(f"/bewaren/runs/{result.run.id}"))
    assert "langer dan 2 uur klaarstonden om te registreren: 1 verwijderd" in shown


def test_no_upload_folder_is_no_problem(app, store):
    assert not Path(app.config["UPLOAD_TMP_DIR"]).exists()
    assert run().summary["staged_mail_removed"] == 0
    assert not Path(app.config["UPLOAD_TMP_DIR"]).exists()  # the run does not make it


# --- the coordinator's inbox --------------------------------------------------------------------


def rows_of(client) -> list[str]:
    body = html.unescape(page(client.get("/meldingen/e-mail")))
    return body.split("<tbody")[1].split("</tbody>")[0].split("</tr>")[:-1]


def test_the_inbox_says_when_an_e_mail_will_be_destroyed_within_30_days(app, store, client, make_user, login_as):
    now = utcnow()
    soon, _ = concept(store, add_months(now, -12) + timedelta(days=10), 0)
    later, _ = concept(store, add_months(now, -12) + timedelta(days=40), 1)
    overdue, _ = concept(store, add_months(now, -12) - timedelta(days=2), 2)
    login_as(make_user("coordinator", name="Carla Coördinator"))

    rows = rows_of(client)
    by_subject = {subject: next(row for row in rows if subject[:40] in row) for subject in SUBJECTS}
    expected = long_date(add_months(soon.received_at, 12))
    assert f"Wordt na {expected} vernietigd als niemand hem registreert." in by_subject[SUBJECTS[0]]
    assert "vernietigd" not in by_subject[SUBJECTS[1]]
    assert "De bewaartermijn is verlopen" in by_subject[SUBJECTS[2]]
    assert "Wordt na" not in by_subject[SUBJECTS[2]]

    # A longer term moves the date out of the 30 days: no note at all.
    set_setting("retention_mail_months", "24")
    db.session.commit()
    assert all("vernietigd als niemand" not in row for row in rows_of(client))

    # A shorter term brings the later one in.
    set_setting("retention_mail_months", "11")
    db.session.commit()
    moments = mailbox.destruction_moments([fresh(c.id) for c in (soon, later, overdue)], utcnow())
    assert set(moments) == {soon.id, later.id, overdue.id}
    assert moments[later.id] == add_months(fresh(later.id).received_at, 11)


def test_a_handled_e_mail_gets_no_note(app, store):
    made, _ = concept(store, add_months(utcnow(), -12) + timedelta(days=3), 0)
    mailbox.discard(None, made)
    db.session.commit()
    assert mailbox.destruction_moments([fresh(made.id)]) == {}
