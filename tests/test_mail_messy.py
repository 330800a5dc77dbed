"""Messy e-mails from real mailboxes, taken over by the coordinator (issue 16): what a browser
sends back, what a mail without readable text says, and a meldpunt e-mail whose stored file is
gone. Every such mail is read correctly or explained in Dutch; never a 500, never a silent loss."""

import pytest

from casustafel.extensions import db
from casustafel.models import MailConcept
from casustafel.signals import mailbox
from tests.helpers.mail import hidden, plain_mail, textarea, upload
from tests.helpers.signals import all_signals, assert_nothing_saved, field_error, page, phenomenon_id

URL = "/meldingen/registreren/e-mail"


@pytest.fixture
def coordinator(client, make_user, login_as, store):
    user = make_user("coordinator", name="Carla Coördinator")
    login_as(user)
    return user


def as_browser_sends(text: str) -> str:
    """A browser submits a textarea's line breaks as CR LF (HTML, form submission)."""
    return text.replace("\n", "\r\n")


def confirm(client, shown: str, **fields):
    data = {"csrf_token": hidden(shown, "csrf_token"), "mail_token": hidden(shown, "mail_token"),
            "channel": "email", "phenomenon_id": str(phenomenon_id()),
            "description": as_browser_sends(textarea(shown, "description")),
            "subjects-0-kind": "persoon", "subjects-0-role": "vermoedelijk_betrokkene"}
    data.update(fields)
    return client.post(URL, data=data, content_type="multipart/form-data")


def test_a_long_mail_of_many_lines_cut_to_the_limit_registers_as_the_browser_sends_it(client, coordinator):
    """The text is cut to 10,000 characters; the browser sends each line break as two. The
    coordinator confirms what was offered, without having to shorten it once more."""
    body = "\n".join(f"Regel {n}: Zoë Çelik-Ñúñez zag de bestelbus weer bij de loods." for n in range(4000))
    shown = page(upload(client, plain_mail(body=body)))
    assert "langer dan 10.000 tekens" in shown

    response = confirm(client, shown)
    assert response.status_code == 302, field_error(page(response), "description")
    description = all_signals()[0].description
    assert "\r" not in description and description == textarea(shown, "description").strip()


def test_a_meldpunt_mail_whose_file_was_just_destroyed_is_explained_not_a_500(app, client, coordinator, store):
    """Retention removes a due e-mail's file from the store first and marks the concept handled
    at its commit; a coordinator who opens the e-mail in between (or after the store lost the
    file) is told it is no longer there."""
    concept = mailbox.add_concept(plain_mail(), store)
    db.session.commit()
    store.delete(concept.file_id)  # retention's first step, its commit still to come
    url = f"/meldingen/e-mail/{concept.id}/registreren"
    token = hidden(page(client.get("/meldingen/e-mail")), "csrf_token")

    for send in (lambda: client.get(url), lambda: client.post(url, data={"csrf_token": token})):
        response = send()
        assert response.status_code == 302 and response.headers["Location"].endswith("/meldingen/e-mail")
        listed = page(client.get("/meldingen/e-mail"))
        assert "niet meer beschikbaar" in listed
    assert_nothing_saved(store)
    db.session.expire_all()
    assert db.session.get(MailConcept, concept.id).handled_at is None  # retention's commit decides
