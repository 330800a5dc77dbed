"""A signal from an e-mail of the meldpunt mailbox (issue 16): the coordinator opens a concept that
`flask mail fetch` made, sees the registration form filled from the mail, and registers. Then the
e-mail is the signal's encrypted attachment and only the concept's marker is left: the same mail
fetched again is still known, nothing of its content stays with the concept."""

from datetime import datetime

import pytest
from sqlalchemy import select, update

from casustafel.dates import utcnow
from casustafel.demo import DEMO_PDF
from casustafel.extensions import db
from casustafel.models import MailConcept
from casustafel.signals import mail_register, mailbox
from tests.helpers.mail import MARKER, SENDER, SUBJECT, hidden, plain_mail, textarea
from tests.helpers.signals import (
    all_signals,
    assert_nothing_saved,
    events,
    field_error,
    page,
    phenomenon_id,
    stored_files,
)

EXE = b"MZ\x90\x00" + bytes(200)


@pytest.fixture
def coordinator(client, make_user, login_as, store):
    user = make_user("coordinator", name="Carla Coördinator")
    login_as(user)
    return user


def add(app, raw: bytes) -> MailConcept:
    concept = mailbox.add_concept(raw, app.extensions["casustafel_store"])
    db.session.commit()
    return concept


def url(concept) -> str:
    return f"/meldingen/e-mail/{concept.id}/registreren"


def confirm(client, concept, shown: str, **fields):
    data = {"csrf_token": hidden(shown, "csrf_token"), "channel": "email", "phenomenon_id": str(phenomenon_id()),
            "description": textarea(shown, "description"),
            "subjects-0-kind": "persoon", "subjects-0-role": "vermoedelijk_betrokkene"}
    data.update(fields)
    return client.post(url(concept), data=data, content_type="multipart/form-data")


def test_the_list_offers_to_register_and_the_form_is_filled_from_the_mail_without_saving(
        app, client, coordinator, store):
    concept = add(app, plain_mail())
    listed = page(client.get("/meldingen/e-mail"))
    assert f'href="{url(concept)}"' in listed and SENDER in listed.replace("&#39;", "'")

    shown = page(client.get(url(concept)))
    assert MARKER in textarea(shown, "description")
    assert f'action="{url(concept)}"' in shown  # the form posts back to this concept, no staging
    assert "plattegrond.pdf" in shown and "foto-voorgevel.png" in shown
    assert [e.object_id for e in events("mail_concept.opened")] == [str(concept.id)]
    assert all_signals() == []
    assert db.session.get(MailConcept, concept.id).handled_at is None


def test_registering_keeps_the_mail_on_the_signal_and_leaves_only_the_marker(app, client, coordinator, store):
    raw = plain_mail()
    concept = add(app, raw)
    concept_file = store.path(concept.file_id)
    assert concept_file.is_file()

    response = confirm(client, concept, page(client.get(url(concept))))

    assert response.status_code == 302
    (signal,) = all_signals()
    assert signal.channel == "email"
    assert signal.received_at == datetime(2026, 11, 30, 14, 5)  # the Date header, in UTC
    assert MARKER in signal.description
    assert sorted(a.filename for a in signal.attachments)[-2:] == ["foto-voorgevel.png", "plattegrond.pdf"]
    assert len(signal.attachments) == 3  # the mail itself and its two attachments
    mail_attachment = next(a for a in signal.attachments if a.filename.endswith(".eml"))
    keyring = app.extensions["casustafel_keyring"]
    assert b"".join(store.open(mail_attachment.id, mail_attachment.wrapped_key, keyring)) == raw

    db.session.expire_all()
    marker = db.session.get(MailConcept, concept.id)
    assert marker.handled_at is not None and marker.signal_id == signal.id
    assert (marker.subject, marker.sender, marker.file_id, marker.wrapped_key) == (None, None, None, None)
    assert (marker.subject_enc, marker.sender_enc) == (None, None)
    assert not concept_file.exists()  # the concept's own copy is gone; the signal has its own
    assert [e.object_id for e in events("mail_concept.registered")] == [str(concept.id)]
    assert mailbox.waiting_count() == 0
    assert "Er wachten geen e-mails van het meldpunt" in page(client.get("/meldingen/e-mail"))

    # The same e-mail fetched again (a rerun after a crash before the move) is still known.
    assert mailbox.add_concept(raw, store) is None
    # Opening or discarding the handled concept again explains, and creates nothing.
    again = client.get(url(concept))
    assert again.status_code == 302 and again.headers["Location"].endswith("/meldingen/e-mail")
    assert "al afgehandeld" in page(client.get("/meldingen/e-mail"))
    discard = client.post(f"/meldingen/e-mail/{concept.id}/verwijderen", data={"csrf_token": hidden(
        page(client.get("/meldingen/registreren")), "csrf_token")})
    assert discard.status_code == 302 and events("mail_concept.discarded") == []
    assert len(all_signals()) == 1


def handled_by_a_colleague(concept) -> None:
    """What a colleague's registration of the same e-mail, committed a moment ago, leaves in the
    row: this request loaded the concept before and still sees it waiting."""
    db.session.execute(update(MailConcept).where(MailConcept.id == concept.id).values(handled_at=utcnow()))


def test_two_coordinators_at_once_make_one_signal_of_one_mail(app, client, coordinator, store, monkeypatch):
    concept = add(app, plain_mail())
    shown = page(client.get(url(concept)))
    files_before = stored_files(store)
    original = mail_register.register_from_mail

    def colleague_first(*args, **kwargs):
        handled_by_a_colleague(concept)
        return original(*args, **kwargs)

    monkeypatch.setattr(mail_register, "register_from_mail", colleague_first)
    response = confirm(client, concept, shown)

    assert response.status_code == 302 and response.headers["Location"].endswith("/meldingen/e-mail")
    assert "al afgehandeld" in page(client.get("/meldingen/e-mail"))
    assert all_signals() == []  # nothing of the second registration is kept
    assert stored_files(store) == files_before  # nor its copies of the attachments
    assert events("mail_concept.registered") == []


def test_a_colleague_who_handled_the_mail_first_wins_over_a_discard(app, coordinator, store):
    concept = add(app, plain_mail())
    handled_by_a_colleague(concept)
    with pytest.raises(mailbox.AlreadyHandledError):
        mailbox.discard(coordinator, concept)
    db.session.rollback()


def test_a_refused_submit_keeps_what_was_typed_and_the_concept_waits(app, client, coordinator, store):
    concept = add(app, plain_mail())
    shown = page(client.get(url(concept)))
    typed = textarea(shown, "description") + "\nAangevuld door de regisseur: Ünal's zaak."

    response = confirm(client, concept, shown, description=typed, phenomenon_id="")

    assert response.status_code == 200
    again = page(response)
    assert textarea(again, "description").replace("\r\n", "\n") == typed
    assert field_error(again, "phenomenon_id")
    assert f'action="{url(concept)}"' in again and "plattegrond.pdf" in again
    assert_nothing_saved()
    assert db.session.get(MailConcept, concept.id).handled_at is None
    assert store.path(concept.file_id).is_file()


def test_a_mail_with_a_forbidden_attachment_is_explained_and_not_registered(app, client, coordinator, store):
    concept = add(app, plain_mail(attachments=(("plattegrond.pdf", DEMO_PDF), ("setup.exe", EXE))))
    response = client.get(url(concept))
    assert response.status_code == 302
    listed = page(client.get("/meldingen/e-mail"))
    assert "kan niet worden overgenomen" in listed and "setup.exe" in listed
    assert all_signals() == []
    assert db.session.get(MailConcept, concept.id).handled_at is None  # still there, to discard or handle by hand


def test_discarding_leaves_the_marker_and_deletes_the_mail(app, client, coordinator, store):
    raw = plain_mail(body=f"Iets anders, {SUBJECT}")
    concept = add(app, raw)
    files_before = stored_files(store)
    token = hidden(page(client.get("/meldingen/e-mail")), "csrf_token")

    response = client.post(f"/meldingen/e-mail/{concept.id}/verwijderen", data={"csrf_token": token})

    assert response.status_code == 302
    db.session.expire_all()
    marker = db.session.scalar(select(MailConcept))
    assert marker.handled_at is not None and marker.signal_id is None and marker.file_id is None
    assert len(stored_files(store)) == len(files_before) - 1
    assert [e.object_id for e in events("mail_concept.discarded")] == [str(concept.id)]
    assert mailbox.add_concept(raw, store) is None
    assert client.get(url(concept)).status_code == 302
    assert all_signals() == []


def test_the_inbox_says_how_many_mails_wait_without_counting_the_table(app, client, coordinator, store, monkeypatch):
    for n in range(3):
        add(app, plain_mail(body=f"E-mail nummer {n} over de Ĳsselkade"))
    assert "3 e-mails wachten op beoordeling" in page(client.get("/meldingen"))
    monkeypatch.setattr(mailbox, "WAITING_BOUND", 2)
    assert "meer dan 2 e-mails wachten op beoordeling" in page(client.get("/meldingen"))
    concept = db.session.scalars(select(MailConcept)).first()
    token = hidden(page(client.get("/meldingen/e-mail")), "csrf_token")
    client.post(f"/meldingen/e-mail/{concept.id}/verwijderen", data={"csrf_token": token})
    assert "2 e-mails wachten op beoordeling" in page(client.get("/meldingen"))  # a handled one no longer counts
