"""The pages and texts of the e-mail intake and the meldpunt's e-mails (issue 16), read as the
coordinator with a screen reader reads them: what the registration page says will happen, the
list of e-mails at 320 px, and the import's messages."""

import html
import re
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import update

from casustafel.dates import add_months, utcnow
from casustafel.extensions import db
from casustafel.models import MailConcept
from casustafel.signals import mailbox
from tests.helpers.importing import run_import
from tests.helpers.mail import ADDRESS, hidden, plain_mail, textarea, upload
from tests.helpers.signals import page, phenomenon_id

CSS = Path(__file__).resolve().parents[1] / "static" / "css" / "app.css"
COLLEAGUE = "Zoë Çelik-Ñúñez"


@pytest.fixture
def coordinator(client, make_user, login_as, store):
    user = make_user("coordinator", name="Carla Coördinator", email="regisseur@gemeente.test")
    login_as(user)
    return user


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def data_list_value(shown: str, key: str) -> str:
    match = re.search(rf'item-key">{key}</dt><dd[^>]*>(.*?)</dd>', shown, re.DOTALL)
    assert match, key
    return text_of(match.group(1))


# --- who becomes the melder: said before anything is saved ---------------------------------------


def test_the_page_names_the_colleague_who_becomes_melder_only_when_ticked(client, coordinator, make_user):
    make_user("reporter", name=COLLEAGUE, email=ADDRESS.lower())
    shown = page(upload(client, plain_mail()))
    assert data_list_value(shown, "Melder") == (
        f"{COLLEAGUE}, als u hieronder ‘De afzender als melder vastleggen’ aanvinkt; anders extern")


def test_the_page_says_a_stranger_stays_an_external_melder(client, coordinator):
    shown = page(upload(client, plain_mail(sender="Onbekende Buurtbewoner <buurt@voorbeeld.test>")))
    assert data_list_value(shown, "Melder") == "Extern: de afzender heeft geen account in casustafel"


# --- the phone number is the melder's, not the coordinator's --------------------------------------


@pytest.mark.parametrize("how", ["from_mail", "by_hand"])
def test_the_coordinator_is_asked_for_the_melders_phone_not_their_own(client, coordinator, how):
    shown = page(upload(client, plain_mail()) if how == "from_mail" else client.get("/meldingen/registreren"))
    headings = [text_of(h) for h in re.findall(r"<h2[^>]*>(.*?)</h2>", shown, re.DOTALL)]
    assert "Over de melder" in headings and "Over u" not in headings
    field = re.search(r'<input[^>]*id="reporter_phone"[^>]*>', shown).group(0)
    assert 'autocomplete="tel"' not in field  # the browser would fill in the coordinator's own number
    assert 'aria-describedby="reporter_phone-hint"' in field
    assert "Zodat de regisseur u kan bellen" not in shown


def test_the_meldpunt_form_still_asks_the_reporter_for_their_own_phone(client, make_user, login_as):
    login_as(make_user("reporter", name=COLLEAGUE))
    shown = page(client.get("/meldpunt"))
    assert re.search(r'<input[^>]*autocomplete="tel"[^>]*id="reporter_phone"', shown)
    assert ">Over u</h2>" in shown


# --- the list of e-mails ------------------------------------------------------------------------


def test_the_destruction_note_is_on_its_own_line_not_run_on_after_the_date(app, client, coordinator):
    concept = mailbox.add_concept(plain_mail(), app.extensions["casustafel_store"])
    db.session.execute(update(MailConcept).where(MailConcept.id == concept.id)
                       .values(received_at=add_months(utcnow(), -12) + timedelta(days=10)))
    db.session.commit()

    shown = page(client.get("/meldingen/e-mail"))
    cell = re.search(r'<td class="utrecht-table__cell">(\d\d-\d\d-\d{4} \d\d:\d\d)(\s*)<span class="([^"]*)">Wordt na',
                     shown)
    assert cell, "the date cell with its note"
    assert cell.group(2), "a screen reader reads the date and the note as one word"
    assert "app-hint" in cell.group(3).split()
    # A class the stylesheet does not define does nothing: the note would run on after the date.
    assert re.search(r"\.app-hint \{[^}]*display: block", CSS.read_text(encoding="utf-8"))


# --- the import ---------------------------------------------------------------------------------


def test_the_import_names_missing_columns_in_plural(app, coordinator, tmp_path):
    source = tmp_path / "register.csv"
    source.write_text("Nummer;Datum melding\n1;01-02-2024\n", encoding="utf-8")
    result = run_import(app, source)
    assert result.exit_code == 1
    assert "De kolommen " in result.output and " staan niet in de kopregel (rij 1)." in result.output
    assert "Kolom '" not in result.output


def test_the_import_names_one_missing_column_in_singular(app, coordinator, tmp_path):
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('[kolommen]\ndatum_melding = "Ontvangen op"\nomschrijving = "Omschrijving"\n'
                       '[standaard]\nstatus = "ingediend"\n', encoding="utf-8")
    source = tmp_path / "register.csv"
    source.write_text("Datum melding;Omschrijving\n01-02-2024;Afgeplakte ramen\n", encoding="utf-8")
    result = run_import(app, source, mapping=mapping)
    assert "De kolom 'Ontvangen op' staat niet in de kopregel (rij 1)." in result.output


# --- from the start page to an e-mail, and back after deleting one --------------------------------


def test_the_start_page_links_to_the_waiting_e_mails(app, client, coordinator):
    for subject in ("Drugsafval in het bos", "Ramen afgeplakt — Dorpsstraat 12"):
        mailbox.add_concept(plain_mail(subject=subject), app.extensions["casustafel_store"])
    db.session.commit()
    shown = page(client.get("/"))
    assert ('<a class="utrecht-link utrecht-link--html-a" href="/meldingen/e-mail">2 e-mails van het meldpunt '
            "wachten</a> op beoordeling") in shown
    assert "Drugsafval" not in shown  # a number, never what the e-mails say


def test_the_start_page_says_one_e_mail_in_singular(app, client, coordinator):
    mailbox.add_concept(plain_mail(), app.extensions["casustafel_store"])
    db.session.commit()
    assert ">1 e-mail van het meldpunt wacht</a> op beoordeling" in page(client.get("/"))


def test_deleting_names_the_mailbox_folder_the_list_names(app, client, coordinator):
    app.config["MAIL_FETCH_PROCESSED_FOLDER"] = "Afgehandeld meldpunt"
    concept = mailbox.add_concept(plain_mail(), app.extensions["casustafel_store"])
    db.session.commit()
    listed = page(client.get("/meldingen/e-mail"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', listed).group(1)
    shown = page(client.post(f"/meldingen/e-mail/{concept.id}/verwijderen", data={"csrf_token": token},
                             follow_redirects=True))
    assert "In de mailbox staat hij nog in de map ‘Afgehandeld meldpunt’." in shown
    assert "‘Afgehandeld meldpunt’" in listed


def test_a_refused_e_mail_is_explained_once_not_twice(app, client, coordinator):
    exe = b"MZ\x90\x00" + bytes(200)
    concept = mailbox.add_concept(plain_mail(attachments=(("setup.exe", exe),)), app.extensions["casustafel_store"])
    db.session.commit()
    shown = text_of(page(client.get(f"/meldingen/e-mail/{concept.id}/registreren", follow_redirects=True)))
    assert shown.count("kan niet worden overgenomen") == 1
    assert "overgenomen: De e-mail" not in shown
    assert "De e-mail kan niet worden overgenomen: een bijlage wordt geweigerd." in shown
    assert "‘setup.exe’" in shown
    assert "Registreer de melding zo nodig met het gewone formulier, of verwijder de e-mail." in shown


def test_the_list_says_its_order(app, client, coordinator):
    mailbox.add_concept(plain_mail(), app.extensions["casustafel_store"])
    db.session.commit()
    caption = re.search(r"<caption[^>]*>(.*?)</caption>", page(client.get("/meldingen/e-mail")), re.DOTALL)
    assert text_of(caption.group(1)) == "1 e-mail wacht op beoordeling, nieuwste eerst"


def test_the_form_from_a_mailbox_e_mail_leads_back_to_the_list(app, client, coordinator):
    concept = mailbox.add_concept(plain_mail(), app.extensions["casustafel_store"])
    db.session.commit()
    shown = page(client.get(f"/meldingen/e-mail/{concept.id}/registreren"))
    assert ('<a class="utrecht-link utrecht-link--html-a" href="/meldingen/e-mail">Terug naar E-mails van het '
            "meldpunt</a> (er wordt niets opgeslagen)") in shown
    assert "Terug naar E-mails" not in page(upload(client, plain_mail()))  # a chosen file: no list to go back to


def test_the_import_names_one_found_column_in_singular(app, coordinator, tmp_path):
    source = tmp_path / "register.csv"
    source.write_text("Datum melding\n01-02-2024\n", encoding="utf-8")
    result = run_import(app, source)
    assert "Gevonden kolom: 'Datum melding'." in result.output
    assert "Gevonden kolommen" not in result.output


# --- after registering: what the coordinator reads ----------------------------------------------


def register_concept(app, client, raw: bytes, **fields) -> str:
    concept = mailbox.add_concept(raw, app.extensions["casustafel_store"])
    db.session.commit()
    url = f"/meldingen/e-mail/{concept.id}/registreren"
    shown = page(client.get(url))
    data = {"csrf_token": hidden(shown, "csrf_token"), "submission_key": hidden(shown, "submission_key"),
            "channel": "email", "phenomenon_id": str(phenomenon_id()), "description": textarea(shown, "description"),
            "subjects-0-kind": "persoon", "subjects-0-role": "vermoedelijk_betrokkene", **fields}
    response = client.post(url, data=data, content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code == 200
    return text_of(page(response))


def test_after_registering_a_colleagues_e_mail_the_coordinator_reads_what_happens(app, client, coordinator,
                                                                                  make_user):
    make_user("reporter", name=COLLEAGUE, email=ADDRESS)
    shown = register_concept(app, client, plain_mail(), sender_is_reporter="y")
    assert "De melding is geregistreerd onder kenmerk SIG-" in shown
    assert "U bent de regisseur van deze melding" in shown
    assert f"{COLLEAGUE} is als melder vastgelegd en ziet de melding bij ‘Mijn meldingen’." in shown
    assert "Dank u wel" not in shown and "Heeft de regisseur een vraag" not in shown
    assert "Naar E-mails van het meldpunt" in shown  # on to the next e-mail


def test_after_registering_a_strangers_e_mail_no_melder_is_named(app, client, coordinator):
    shown = register_concept(app, client, plain_mail(sender="Onbekende Buurtbewoner <buurt@voorbeeld.test>"))
    assert "De melding heeft geen melder met een account in casustafel." in shown
    assert "U bent de regisseur van deze melding" in shown


def test_a_reporter_still_reads_the_reporters_confirmation(client, make_user, login_as):
    login_as(make_user("reporter", name=COLLEAGUE))
    form = page(client.get("/meldpunt"))
    response = client.post("/meldpunt", data={
        "csrf_token": hidden(form, "csrf_token"), "submission_key": hidden(form, "submission_key"),
        "phenomenon_id": str(phenomenon_id()), "description": "Afgeplakte ramen achter de bakkerij, ’s nachts licht.",
        "subjects-0-kind": "persoon", "subjects-0-role": "vermoedelijk_betrokkene"}, follow_redirects=True)
    shown = text_of(page(response))
    assert "Dank u wel. De melding is ontvangen onder kenmerk SIG-" in shown
    assert "U bent de regisseur" not in shown and "Naar E-mails van het meldpunt" not in shown


def test_an_e_mail_past_its_term_is_named_in_its_note(app, client, coordinator):
    concept = mailbox.add_concept(plain_mail(), app.extensions["casustafel_store"])
    db.session.execute(update(MailConcept).where(MailConcept.id == concept.id)
                       .values(received_at=add_months(utcnow(), -12) - timedelta(days=2)))
    db.session.commit()
    assert ("De bewaartermijn is verlopen: de e-mail wordt bij de volgende vernietigingsronde vernietigd als "
            "niemand hem registreert.") in html.unescape(page(client.get("/meldingen/e-mail")))


def test_a_mail_of_only_html_is_explained_without_jargon(client, coordinator):
    message = EmailMessage()
    message["From"] = "Onbekende Buurtbewoner <buurt@voorbeeld.test>"
    message["Subject"] = "Alleen opgemaakte tekst"
    message["Date"] = "Mon, 30 Nov 2026 15:05:00 +0100"
    message.set_content("<p>Zoë zag de bestelbus weer bij de loods.</p>", subtype="html")
    shown = html.unescape(page(upload(client, bytes(message))))
    assert "HTML-deel" not in shown
    assert ("De e-mail had alleen opgemaakte tekst (HTML); casustafel heeft daar gewone tekst van gemaakt. "
            "Controleer de omschrijving.") in shown
