"""Saved inbox filters per coordinator ("mijn werkvoorraad", issue 19): saving the current
filter under a name, applying it with a link, deleting it; each coordinator sees only their
own; only the inbox's known filters are ever stored, never what the search form sends."""

import html
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models import SAVED_FILTER_KEYS, AuditEvent, Phenomenon, SavedFilter
from casustafel.signals import saved_filter_services as services
from casustafel.signals.inbox import InboxFilterForm
from tests.conftest import csrf_from
from tests.helpers.referrals import client_for, events

REF_RE = re.compile(r'href="/meldingen/[0-9a-f-]+">(SIG-\d{4}-\d{4})</a>')
NAME = "Urgente hennep – ‘oud’"


def phenomenon(name: str) -> Phenomenon:
    return db.session.scalar(select(Phenomenon).where(Phenomenon.name == name))


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def listed(response) -> set[str]:
    assert response.status_code == 200
    return set(REF_RE.findall(response.get_data(as_text=True)))


def link_to(response, name: str) -> str:
    """The href of the saved-filter link called `name` on the inbox page."""
    page = response.get_data(as_text=True)  # unescaped as a whole, "&regisseur" would read as "®isseur"
    match = re.search(r'<a class="utrecht-link utrecht-link--html-a" href="([^"]+)"[^>]*>'
                      + re.escape(html.escape(name, quote=False)) + "</a>", page)
    assert match, f"no link {name!r}"
    return html.unescape(match.group(1))


def hidden_filters(page: str) -> dict[str, str]:
    """The filter fields the "Dit filter bewaren" form sends along."""
    form = re.search(r'<form method="post" action="/meldingen/filters".*?</form>', page, re.S)
    assert form, "no save form on the page"
    return dict(re.findall(r'<input type="hidden" name="(?!csrf_token)([^"]+)" value="([^"]*)">', form.group(0)))


def save(client, data: dict, from_url="/meldingen"):
    return client.post("/meldingen/filters", data={"csrf_token": csrf_from(client.get(from_url)), **data})


def own_filters(user) -> list[SavedFilter]:
    db.session.expire_all()
    return list(db.session.scalars(select(SavedFilter).where(SavedFilter.user_id == user.id)))


@pytest.fixture
def scene(app, make_user, make_signal):
    hennep, handel = phenomenon("Hennepteelt"), phenomenon("Drugshandel")
    now = utcnow()
    signals = {
        "urgent_hennep": make_signal(None, phenomenon_id=hennep.id, urgent=True, received_at=now - timedelta(days=3)),
        "calm_hennep": make_signal(None, phenomenon_id=hennep.id, urgent=False, received_at=now - timedelta(days=2)),
        "urgent_handel": make_signal(None, phenomenon_id=handel.id, urgent=True, received_at=now - timedelta(days=1)),
    }
    coordinator = make_user("coordinator", name="Regisseur Één")
    return {"client": client_for(app, coordinator), "user": coordinator, "hennep": hennep,
            "refs": {k: s.reference for k, s in signals.items()}, "signals": signals}


def test_the_current_filter_is_saved_and_its_link_applies_it_again(scene):
    client, refs, hennep = scene["client"], scene["refs"], scene["hennep"]
    filtered_url = f"/meldingen?fenomeen={hennep.id}&urgentie=urgent&sorteren=oudste"
    page = client.get(filtered_url).get_data(as_text=True)
    assert '<details class="app-save-filter">\n  <summary>Dit filter bewaren</summary>' in page  # closed until opened
    sent = hidden_filters(page)
    assert sent == {"fenomeen": str(hennep.id), "urgentie": "urgent", "sorteren": "oudste"}

    response = save(client, {**sent, "filternaam": f"  {NAME}  "}, from_url=filtered_url)
    assert response.status_code == 302
    (saved,) = own_filters(scene["user"])
    assert saved.name == NAME
    assert saved.params == {"fenomeen": str(hennep.id), "urgentie": "urgent", "sorteren": "oudste"}
    assert parse_qs(urlsplit(response.headers["Location"]).query) == {k: [v] for k, v in saved.params.items()}

    inbox = client.get("/meldingen")
    assert listed(inbox) == set(refs.values())
    assert "Het filter is bewaard" in text_of(inbox)
    link = link_to(inbox, NAME)
    assert urlsplit(link).path == "/meldingen"
    applied = client.get(link)
    assert listed(applied) == {refs["urgent_hennep"]}
    current = r'href="[^"]+" aria-current="page">' + re.escape(html.escape(NAME))
    assert re.search(current, applied.get_data(as_text=True))

    (event,) = events("saved_filter.created")
    assert (event.actor_id, event.object_type, event.object_id) == (scene["user"].id, "saved_filter", str(saved.id))
    assert event.processing_activity == "signaalanalyse" and event.result == "success"
    logged = " ".join(str(getattr(event, c.key)) for c in AuditEvent.__table__.columns)
    assert "hennep" not in logged.lower() and str(hennep.id) not in logged.split()


def test_a_saved_filter_is_deleted_with_its_button(scene):
    client, user = scene["client"], scene["user"]
    saved_id = services.save_filter(user, NAME, {"urgentie": "urgent"}).id
    db.session.commit()
    page = client.get("/meldingen")
    assert f'action="/meldingen/filters/{saved_id}/verwijderen"' in page.get_data(as_text=True)
    response = client.post(f"/meldingen/filters/{saved_id}/verwijderen", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    assert own_filters(user) == []
    after = text_of(client.get("/meldingen"))
    assert "Het bewaarde filter is verwijderd." in after and NAME not in after
    (event,) = events("saved_filter.deleted")
    assert (event.actor_id, event.object_id) == (user.id, str(saved_id))
    # Gone is gone: a second delete finds nothing.
    assert client.post(f"/meldingen/filters/{saved_id}/verwijderen",
                       data={"csrf_token": csrf_from(client.get("/meldingen"))}).status_code == 404


def test_each_coordinator_sees_and_deletes_only_their_own_filters(app, scene, make_user):
    one, other = scene["user"], make_user("coordinator", name="Regisseur Twee")
    one_client, other_client = scene["client"], client_for(app, other)
    mine = services.save_filter(one, "Alleen van één", {"urgentie": "urgent"})
    db.session.commit()

    assert "Alleen van één" not in text_of(other_client.get("/meldingen"))
    assert "Alleen van één" in text_of(one_client.get("/meldingen"))
    response = other_client.post(f"/meldingen/filters/{mine.id}/verwijderen",
                                 data={"csrf_token": csrf_from(other_client.get("/meldingen"))})
    assert response.status_code == 404
    assert [f.id for f in own_filters(one)] == [mine.id]
    denied = db.session.scalars(select(AuditEvent).where(AuditEvent.result == "denied")).all()
    assert [(e.actor_id, e.object_type, e.object_id) for e in denied] == [(other.id, "saved_filter", str(mine.id))]
    assert events("saved_filter.deleted") == []

    # The same name is free for another coordinator: unique per user, not across users.
    assert save(other_client, {"urgentie": "urgent", "filternaam": "Alleen van één"}).status_code == 302
    assert [f.name for f in own_filters(other)] == ["Alleen van één"]
    assert [f.id for f in own_filters(one)] == [mine.id]


@pytest.mark.parametrize("role", ["reporter", "member", "privacy_officer", "admin"])
def test_other_roles_can_neither_save_nor_delete_filters(app, scene, make_user, role):
    saved = services.save_filter(scene["user"], NAME, {"urgentie": "urgent"})
    db.session.commit()
    client = client_for(app, make_user(role))
    token = csrf_from(client.get("/"))
    assert client.post("/meldingen/filters", data={"csrf_token": token, "urgentie": "urgent",
                                                   "filternaam": "Van mij"}).status_code == 403
    assert client.post(f"/meldingen/filters/{saved.id}/verwijderen", data={"csrf_token": token}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(SavedFilter)) == 1
    assert [e.actor_id for e in events("saved_filter.created")] == [scene["user"].id]  # the fixture's own
    assert events("saved_filter.deleted") == []


def _refused(response, message: str, typed: str | None = None) -> str:
    """The inbox came back with the form open and `message` next to the name field."""
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<details class="app-save-filter" open>' in page
    error = re.search(r'id="filternaam-error">(.*?)</div>', page, re.S)
    assert error and message in html.unescape(error.group(1)), page
    assert 'aria-invalid="true"' in re.search(r"<input[^>]*filternaam[^>]*>", page).group(0)
    if typed is not None:
        assert f'value="{html.escape(typed)}"' in re.search(r"<input[^>]*filternaam[^>]*>", page).group(0)
    return page


def test_a_name_is_required(scene):
    page = _refused(save(scene["client"], {"urgentie": "urgent", "filternaam": "   "}), "Geef het filter een naam.")
    # The filter stays what it was: the page shows it and the form sends it again.
    assert hidden_filters(page) == {"urgentie": "urgent", "sorteren": "nieuwste"}
    assert own_filters(scene["user"]) == []
    assert events("saved_filter.created") == []


def test_a_name_longer_than_80_characters_is_refused_and_kept(scene):
    client = scene["client"]
    long_name = "Ö" * 81
    _refused(save(client, {"urgentie": "urgent", "filternaam": long_name}), "Gebruik hooguit 80 tekens.", long_name)
    assert own_filters(scene["user"]) == []
    assert save(client, {"urgentie": "urgent", "filternaam": "Ö" * 80}).status_code == 302
    assert [f.name for f in own_filters(scene["user"])] == ["Ö" * 80]


def test_a_name_already_used_by_the_same_coordinator_is_refused(scene):
    client = scene["client"]
    assert save(client, {"urgentie": "urgent", "filternaam": NAME}).status_code == 302
    again = NAME.upper()
    _refused(save(client, {"urgentie": "niet_urgent", "filternaam": again}), "U hebt al een filter met deze naam",
             again)
    assert [f.params["urgentie"] for f in own_filters(scene["user"])] == ["urgent"]


def test_a_name_with_a_nul_character_is_refused(scene):
    _refused(save(scene["client"], {"urgentie": "urgent", "filternaam": "Urgent\x00"}), "NUL")
    assert own_filters(scene["user"]) == []


def test_a_filter_without_any_choice_is_not_saved(scene):
    client = scene["client"]
    page = client.get("/meldingen").get_data(as_text=True)
    assert "Kies eerst een of meer filters" in html.unescape(page)  # the form waits for a filter
    _refused(save(client, {"sorteren": "oudste", "filternaam": "Alles"}), "Er is nog geen filter gekozen")
    assert own_filters(scene["user"]) == []


def test_at_most_twenty_filters_per_coordinator(scene):
    user, client = scene["user"], scene["client"]
    for n in range(services.MAX_PER_USER):
        services.save_filter(user, f"Filter {n}", {"ouder_dan": str(n)})
    db.session.commit()
    _refused(save(client, {"urgentie": "urgent", "filternaam": "Nog een"}), "U kunt hooguit 20 filters bewaren",
             "Nog een")
    assert len(own_filters(user)) == services.MAX_PER_USER
    # After deleting one there is room again.
    first = own_filters(user)[0]
    client.post(f"/meldingen/filters/{first.id}/verwijderen", data={"csrf_token": csrf_from(client.get("/meldingen"))})
    assert save(client, {"urgentie": "urgent", "filternaam": "Nog een"}).status_code == 302


def test_only_known_valid_filters_are_stored_never_search_fields_or_other_keys(scene):
    client, hennep = scene["client"], scene["hennep"]
    posted = {
        "filternaam": "Met rommel",
        "fenomeen": str(hennep.id),
        "status": "bestaat_niet",  # not a status: dropped
        "ouder_dan": "twaalf",  # not a number of days: dropped
        "kanaal": "telefoon",
        # The search form's fields (personal data) and anything else: never stored.
        "zoeken": "SIG-2026-0001", "naam": "Jan Jansen", "geboortedatum": "1980-01-02", "organisatie": "Bakkerij BV",
        "kvk": "12345678", "postcode": "1234 AB", "huisnummer": "1", "pagina": "3", "_external": "1",
        "_anchor": "x", "onbekend": "waarde",
    }
    assert save(client, posted).status_code == 302
    (saved,) = own_filters(scene["user"])
    assert saved.params == {"fenomeen": str(hennep.id), "kanaal": "telefoon", "sorteren": "nieuwste"}
    stored = db.session.execute(select(SavedFilter.__table__.c.params)).scalar_one()
    for value in ("Jan Jansen", "1980-01-02", "Bakkerij", "12345678", "1234 AB", "SIG-2026-0001", "waarde"):
        assert value not in str(stored)


def test_the_link_carries_only_known_filters_even_if_the_stored_json_holds_more(scene):
    user, client = scene["user"], scene["client"]
    db.session.add(SavedFilter(user_id=user.id, name="Oud formaat",
                               params={"urgentie": "urgent", "_external": True, "naam": "Jan Jansen", "status": ""}))
    db.session.commit()
    link = link_to(client.get("/meldingen"), "Oud formaat")
    assert link == "/meldingen?urgentie=urgent"
    assert listed(client.get(link)) == {scene["refs"]["urgent_hennep"], scene["refs"]["urgent_handel"]}


def test_a_filter_on_a_phenomenon_taken_out_of_use_still_works_and_says_so(scene):
    client, hennep, refs = scene["client"], scene["hennep"], scene["refs"]
    assert save(client, {"fenomeen": str(hennep.id), "filternaam": "Hennep"}).status_code == 302
    hennep.active = False
    db.session.commit()
    applied = client.get(link_to(client.get("/meldingen"), "Hennep"))
    assert listed(applied) == {refs["urgent_hennep"], refs["calm_hennep"]}
    option = re.search(rf'<option selected value="{hennep.id}">([^<]+)</option>', applied.get_data(as_text=True))
    assert option and html.unescape(option.group(1)) == "Drugs — Hennepteelt (niet meer in gebruik)"


def test_the_built_in_werkvoorraad_shows_my_open_signals(scene, make_user):
    client, user, signals = scene["client"], scene["user"], scene["signals"]
    colleague = make_user("coordinator")
    signals["urgent_hennep"].owner_id = user.id
    signals["calm_hennep"].owner_id = user.id
    signals["calm_hennep"].status = "afgesloten"
    signals["urgent_handel"].owner_id = colleague.id
    db.session.commit()
    link = link_to(client.get("/meldingen"), "Mijn werkvoorraad")
    assert parse_qs(urlsplit(link).query) == {"status": ["open"], "regisseur": ["mij"], "sorteren": ["urgentie"]}
    page = client.get(link)
    assert listed(page) == {scene["refs"]["urgent_hennep"]}
    assert 'aria-current="page">Mijn werkvoorraad</a>' in page.get_data(as_text=True)


def test_the_saved_keys_are_exactly_the_inbox_filters(app):
    with app.test_request_context():
        names = {field.name for field in InboxFilterForm(formdata=None)}
    assert names == set(SAVED_FILTER_KEYS)


def test_the_search_results_offer_no_saving(scene):
    """A search is personal data: its page has the saved-filter links but no save form."""
    client = scene["client"]
    response = client.post("/meldingen/zoeken", data={"csrf_token": csrf_from(client.get("/meldingen")),
                                                      "naam": "Jan Jansen"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Mijn werkvoorraad" in page
    assert "Dit filter bewaren" not in page and 'action="/meldingen/filters"' not in page
