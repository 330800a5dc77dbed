"""The admin's page "Huisstijl en briefpapier" (issue 15): the municipality's name, contact,
signatory, logo and theme; what it stores wins over the environment, which wins over the
defaults; the logo is served re-encoded as PNG, a stylesheet only when it loads nothing from
elsewhere; and every e-mail carries the organisation in its From name and signature."""

import email
import html
import io
import os
import re
from email import policy

import pytest
from PIL import Image
from sqlalchemy import func, select

import tests.test_mail_smtp as smtp_tests
from casustafel import organisation
from casustafel.extensions import db
from casustafel.models import AuditEvent, Notification, OrganisationProfile
from casustafel.notifications import deliver_pending, notify
from tests.conftest import csrf_from

URL = "/beheer/instellingen/huisstijl"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
NAME = "Gemeente Súdwest-Fryslân"
EVERYTHING = {
    "name": NAME,
    "department": "Team Ondermijning & Veiligheid – Ûnderste Wâl",
    "postal_address": "Postbus 10.000\r\n\r\n8600 HA  Snits\r\nMarktstrjitte 15 (ingang Ysbaanpaad)",
    "website": "https://www.sudwestfryslan.nl/ûndermynjen?tema=1",
    "contact_name": "Aïcha van den Berg-Ó Súilleabháin",
    "contact_role": "Coördinator ondermijning",
    "contact_phone": "+31 (0)515 489 000",
    "contact_email": "ondermijning@súdwestfryslân.example",
    "signatory_name": "Özlem Jansen-de Vries",
    "signatory_role": "De burgemeester van Súdwest-Fryslân, namens deze: de coördinator ondermijning " + "x" * 100,
    "theme_class": "sudwest-fryslan_theme-2",
}
STORED_ADDRESS = "Postbus 10.000\n8600 HA  Snits\nMarktstrjitte 15 (ingang Ysbaanpaad)"
THEME_CSS = (".sudwest-fryslan_theme-2 {\n  --casustafel-color-primary: #00538b; /* Fryslân blauw */\n}\n"
             "body { background-image: url(\"/static/img/achtergrond.png\"); font-family: 'Noto Sans', sans-serif; }\n")

# smtp_tests' real server (STARTTLS, AUTH, a throwaway CA).
certificates = smtp_tests.certificates
smtp_server = smtp_tests.smtp_server


# Helpers -------------------------------------------------------------------------------------


def image(kind: str, size=(240, 80), **save) -> bytes:
    picture = Image.new("RGB", size, (0, 83, 139))
    for x in range(0, size[0], 7):  # not one flat colour: a real logo has edges
        picture.putpixel((x, size[1] // 2), (255, 204, 0))
    out = io.BytesIO()
    picture.save(out, format=kind, **save)
    return out.getvalue()


def admin_client(login_as, make_user):
    """Log in as a new admin; return the admin."""
    admin = make_user("admin", name="Beheerder Wâldwei")
    login_as(admin)
    return admin


def save(client, fields=None, files=None, **flags):
    """Post the page as a browser does: every text field (empty unless given), the files chosen."""
    data = {"csrf_token": csrf_from(client.get(URL))}
    data.update({name: "" for name in organisation.TEXT_FIELDS})
    data.update(fields or {})
    for name, (content, filename) in (files or {}).items():
        data[name] = (io.BytesIO(content), filename)
    data.update({name: "y" for name, on in flags.items() if on})
    return client.post(URL, data=data, content_type="multipart/form-data")


def error_next_to(body: str, field_id: str) -> str:
    found = re.search(rf'<div class="[^"]*error-message[^"]*" id="{field_id}-error">(.*?)</div>', body, re.S)
    assert found, f"no message next to {field_id}"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


def profile() -> OrganisationProfile | None:
    db.session.expire_all()
    return db.session.get(OrganisationProfile, 1)


def changes() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "organisation.changed"))


def value_of(body: str, field: str) -> str | None:
    tag = re.search(rf'<input[^>]*\bname="{field}"[^>]*>', body)
    assert tag, field
    found = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return html.unescape(found.group(1)) if found else None


# The page ------------------------------------------------------------------------------------


def test_the_admin_saves_every_field_and_sees_it_back_once_logged(app, client, make_user, login_as):
    admin = admin_client(login_as, make_user)
    home = client.get("/").get_data(as_text=True)
    assert 'href="/beheer/instellingen/huisstijl"' in home
    assert 'href="/beheer/instellingen/huisstijl"' in client.get("/beheer/instellingen").get_data(as_text=True)

    response = save(client, EVERYTHING)

    assert response.status_code == 302 and response.headers["Location"].endswith(URL)
    stored = profile()
    for name, value in EVERYTHING.items():
        expected = STORED_ADDRESS if name == "postal_address" else value
        assert getattr(stored, name) == expected, name
    assert stored.updated_at is not None and stored.logo_png is None and stored.theme_css is None
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "organisation.changed")))
    assert [(e.actor_id, e.object_type, e.object_id, e.purpose) for e in events] == [
        (admin.id, "organisation", "1", "beheer")]

    page = client.get(URL).get_data(as_text=True)
    assert "De huisstijl is opgeslagen." in page
    for name, value in EVERYTHING.items():
        if name == "postal_address":
            assert f">\r\n{STORED_ADDRESS}</textarea>" in page
        else:
            assert value_of(page, name) == value, name
    # Every page: the name in the header, the contact in the footer, the theme class on <body>.
    start = client.get("/").get_data(as_text=True)
    assert f'<span class="app-header__organisation">{NAME}</span>' in start
    assert "Aïcha van den Berg-Ó Súilleabháin, Coördinator ondermijning, +31 (0)515 489 000" in start
    assert re.search(r'<body class="voorbeeld-theme sudwest-fryslan_theme-2 casustafel ', start)


def test_saving_the_same_again_changes_nothing_and_logs_nothing(client, make_user, login_as):
    admin_client(login_as, make_user)
    save(client, {"name": NAME})
    first = profile().updated_at
    assert changes() == 1

    again = save(client, {"name": NAME})

    assert again.status_code == 302
    assert changes() == 1 and profile().updated_at == first
    assert "Er is niets gewijzigd." in client.get(URL).get_data(as_text=True)
    save(client, {"name": NAME, "department": "Team Veiligheid"})
    assert changes() == 2 and profile().updated_at > first


def test_an_empty_field_stores_nothing_so_the_environment_applies_again(app, client, make_user, login_as,
                                                                         monkeypatch):
    monkeypatch.setitem(app.config, "ORGANISATION_NAME", "Gemeente Noardeast-Fryslân")
    # No profile row yet: the environment's name, on the login page too.
    assert profile() is None
    assert '<span class="app-header__organisation">Gemeente Noardeast-Fryslân</span>' in \
        client.get("/inloggen").get_data(as_text=True)
    admin_client(login_as, make_user)
    page = client.get(URL).get_data(as_text=True)
    assert 'placeholder="Gemeente Noardeast-Fryslân"' in page and not value_of(page, "name")

    save(client, {"name": NAME})  # the profile wins over the environment
    start = client.get("/").get_data(as_text=True)
    assert f'<span class="app-header__organisation">{NAME}</span>' in start
    assert "Noardeast" not in start

    save(client, {"name": "   "})  # empty again: stored as nothing, the environment is back
    assert profile().name is None
    assert '<span class="app-header__organisation">Gemeente Noardeast-Fryslân</span>' in \
        client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("website", "http://www.sudwestfryslan.nl", "begint met https://"),
    ("website", "https:// spatie.nl", "begint met https://"),
    ("contact_email", "ondermijning@gemeente", "geldig e-mailadres"),
    ("contact_phone", "bel Özlem", "Gebruik cijfers"),
    ("postal_address", "Regel 1\nRegel 2\nRegel 3\nRegel 4\nRegel 5\nRegel 6", "hooguit 5 regels"),
    ("name", "Gemeente Súdwest-Fryslân\r\nBcc: iedereen@example.test", "één regel"),
    ("name", "G" * 121, "hooguit 120 tekens"),
    ("theme_class", "x onload=alert(1)", "kleine letters"),
    ("theme_class", "Voorbeeld-Theme", "kleine letters"),
    ("theme_class", '"><script>alert(1)</script>', "kleine letters"),
])
def test_bad_input_gets_a_message_next_to_its_field_keeps_what_was_typed_and_saves_nothing(
        client, make_user, login_as, field, value, message):
    admin_client(login_as, make_user)
    typed = {**EVERYTHING, field: value}

    response = save(client, typed, files={"logo_file": (image("PNG"), "logo.png")})

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert message in error_next_to(body, field)
    assert "Controleer het formulier" in body
    assert profile() is None and changes() == 0
    assert value_of(body, "contact_name") == EVERYTHING["contact_name"]  # the rest is kept
    if "\n" not in value:
        assert value_of(body, field) == value
    # The accepted logo is not saved either, and the page says to choose it again.
    assert "Kies het opnieuw" in error_next_to(body, "logo_file")
    assert "<body class=\"voorbeeld-theme casustafel " in body  # no class from the refused input


def test_a_non_admin_can_neither_see_nor_save_the_page(client, make_user, login_as):
    login_as(make_user("coordinator", "privacy_officer", "member", "reporter"))
    assert client.get(URL).status_code == 403
    token = csrf_from(client.get("/"))
    assert client.post(URL, data={"csrf_token": token, "name": "Gemeente Kwea"}).status_code == 403
    assert profile() is None and changes() == 0


# The logo ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["PNG", "JPEG"])
def test_a_png_or_jpeg_logo_is_served_as_a_png_without_its_metadata(client, make_user, login_as, kind):
    admin_client(login_as, make_user)
    exif = Image.Exif()
    exif[0x010E] = "Foto van Özlem Jansen-de Vries, Snits"  # ImageDescription
    exif[0x013B] = "AichaVanDenBerg"  # Artist
    upload = image(kind, size=(600, 200), exif=exif.tobytes())
    assert b"AichaVanDenBerg" in upload  # the upload really carries EXIF

    response = save(client, {"name": NAME}, files={"logo_file": (upload, f"logo.{kind.lower()}")})

    assert response.status_code == 302
    assert changes() == 1
    logo = client.get("/huisstijl/logo.png")
    assert logo.status_code == 200 and logo.mimetype == "image/png"
    assert logo.data.startswith(PNG_MAGIC)
    assert b"AichaVanDenBerg" not in logo.data and b"eXIf" not in logo.data and b"Exif" not in logo.data
    with Image.open(io.BytesIO(logo.data)) as served:
        assert served.format == "PNG" and served.size == (360, 120)  # 120 pixels high, in proportion
        assert "exif" not in served.info and not served.getexif()
    assert profile().logo_png == logo.data
    # The header shows it, with the version in its address, and the page previews it.
    start = client.get("/").get_data(as_text=True)
    version = profile().updated_at.strftime("%Y%m%d%H%M%S%f")
    assert f'<img class="app-header__logo" src="/huisstijl/logo.png?v={version}"' in start
    assert f'<img class="app-organisation-logo" src="/huisstijl/logo.png?v={version}"' in \
        client.get(URL).get_data(as_text=True)


def _big_png() -> bytes:
    noise = Image.frombytes("RGB", (700, 700), os.urandom(700 * 700 * 3))
    out = io.BytesIO()
    noise.save(out, format="PNG")
    assert len(out.getvalue()) > 1024 * 1024
    return out.getvalue()


REFUSED_LOGOS = {
    "svg": (lambda: b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>',
            "logo.svg", "geen leesbare afbeelding"),
    "gif": (lambda: image("GIF"), "logo.gif", "PNG- of JPEG-bestand"),
    "truncated": (lambda: image("PNG", size=(400, 300))[:300], "logo.png", "geen leesbare afbeelding"),
    "wide": (lambda: image("PNG", size=(3000, 10)), "logo.png", "2000 pixels"),
    "large": (_big_png, "logo.png", "groter dan 1 MB"),
    "empty": (lambda: b"", "logo.png", "leeg"),
}


@pytest.mark.parametrize("case", REFUSED_LOGOS)
def test_a_logo_that_is_not_a_sound_png_or_jpeg_is_refused_next_to_the_field(client, make_user, login_as, case):
    admin_client(login_as, make_user)
    make, filename, message = REFUSED_LOGOS[case]

    response = save(client, {"name": NAME}, files={"logo_file": (make(), filename)})

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert message in error_next_to(body, "logo_file")
    assert value_of(body, "name") == NAME  # typed text kept
    assert profile() is None and changes() == 0
    assert client.get("/huisstijl/logo.png").status_code == 404


def test_removing_the_logo_makes_its_address_404(client, make_user, login_as):
    admin_client(login_as, make_user)
    save(client, files={"logo_file": (image("PNG"), "logo.png")})
    assert client.get("/huisstijl/logo.png").status_code == 200
    assert 'name="remove_logo"' in client.get(URL).get_data(as_text=True)

    both = save(client, files={"logo_file": (image("JPEG"), "logo.jpg")}, remove_logo=True)
    assert "niet allebei" in error_next_to(both.get_data(as_text=True), "remove_logo")
    assert changes() == 1

    save(client, remove_logo=True)

    assert profile().logo_png is None and changes() == 2
    assert client.get("/huisstijl/logo.png").status_code == 404
    assert "app-header__logo" not in client.get("/").get_data(as_text=True)
    assert "Er is nog geen logo." in client.get(URL).get_data(as_text=True)


# The stylesheet ------------------------------------------------------------------------------


def test_a_theme_stylesheet_is_served_as_css_and_linked_from_every_page(client, make_user, login_as):
    admin_client(login_as, make_user)

    save(client, {"theme_class": "sudwest-fryslan_theme-2"},
         files={"theme_file": (THEME_CSS.encode(), "thema.css")})

    assert profile().theme_css == THEME_CSS and changes() == 1
    served = client.get("/huisstijl/thema.css")
    assert served.status_code == 200 and served.mimetype == "text/css"
    assert served.get_data(as_text=True) == THEME_CSS
    link = f'<link rel="stylesheet" href="/huisstijl/thema.css?v={profile().updated_at:%Y%m%d%H%M%S%f}">'
    for page in ("/", URL, "/beheer/gebruikers", "/account"):
        body = client.get(page, follow_redirects=True).get_data(as_text=True)
        assert link in body, page
        assert body.index("css/app.css") < body.index(link), page  # after app.css, so it wins
        assert '<body class="voorbeeld-theme sudwest-fryslan_theme-2 casustafel ' in body, page
    client.post("/uitloggen", data={"csrf_token": csrf_from(client.get("/"))})
    assert link in client.get("/inloggen").get_data(as_text=True)  # the login page too

    # Removing it: no link, the address answers 404.
    admin_client(login_as, make_user)
    save(client, {"theme_class": "sudwest-fryslan_theme-2"}, remove_theme_css=True)
    assert profile().theme_css is None and changes() == 2
    assert client.get("/huisstijl/thema.css").status_code == 404
    assert "/huisstijl/thema.css" not in client.get("/").get_data(as_text=True)


REFUSED_CSS = {
    "import": (b"@import url(https://x);\nbody { color: red; }", "@import"),
    "absolute url": (b'body { background:url("https://evil.example/a.png") }', "buiten casustafel"),
    "protocol-relative url": (b"body { background: url(//evil.example) }", "buiten casustafel"),
    "latin-1": ("body { font-family: 'Fryslân Sans'; }".encode("latin-1"), "geen UTF-8"),
    "html": (b"body{}</style><script>alert(1)</script>", "bevat HTML"),
    # Ways a browser still reads as another site (the review of issue 15 found these passing).
    "image-set": (b'body { background-image: image-set("https://evil.example/a.png" 1x) }', "buiten casustafel"),
    "webkit image-set": (b'body { background-image: -webkit-image-set("//evil.example/a.png" 1x) }',
                         "buiten casustafel"),
    "src()": (b'body { background-image: src("https://evil.example/a.png") }', "buiten casustafel"),
    # In the CSS: "\\/evil…" and /\\evil…, an escaped backslash that a URL parser reads as "/".
    "backslash quoted": (b'body { background: url("\\\\/evil.example/a.png") }', "buiten casustafel"),
    "backslash bare": (b"body { background: url(/\\\\evil.example/a.png) }", "buiten casustafel"),
    "tab in scheme": (b'body { background: url("ht\\9tps://evil.example/a.png") }', "buiten casustafel"),
    "inside @media": (b"@media print { body { background: url(https://evil.example/a.png) } }", "buiten casustafel"),
    "data url": (b'body { background: url("data:image/png;base64,AAAA") }', "buiten casustafel"),
}


@pytest.mark.parametrize("case", REFUSED_CSS)
def test_a_stylesheet_that_loads_from_elsewhere_or_is_not_css_is_refused(client, make_user, login_as, case):
    admin_client(login_as, make_user)
    content, message = REFUSED_CSS[case]

    response = save(client, {"name": NAME}, files={"theme_file": (content, "thema.css")})

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert message in error_next_to(body, "theme_file")
    assert value_of(body, "name") == NAME
    assert profile() is None and changes() == 0
    assert client.get("/huisstijl/thema.css").status_code == 404
    assert "/huisstijl/thema.css" not in body


# E-mail --------------------------------------------------------------------------------------


def test_every_email_carries_the_organisation_as_sender_name_and_signature_at_send_time(
        app, client, make_user, login_as, smtp_server):
    mailbox = smtp_server()
    recipient = make_user("coordinator", name="Özlem Jansen-de Vries")
    notify(recipient, "Nieuws in casustafel", "Er is nieuws voor u in casustafel.")
    db.session.commit()
    # The organisation is changed after the message was queued: the new one is sent.
    admin_client(login_as, make_user)
    save(client, {"name": NAME, "department": "Team Ondermijning", "contact_name": "Aïcha van den Berg",
                  "contact_phone": "14 0515", "contact_email": "ondermijning@sudwestfryslan.example"})

    assert deliver_pending().sent == 1

    [received] = mailbox.received
    assert received.mail_from == smtp_tests.SENDER
    message = email.message_from_bytes(received.raw, policy=policy.default)
    [sender] = message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == (f"{NAME} – casustafel", smtp_tests.SENDER)
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    news, signature = text.split("\n-- \n")
    assert news.startswith("Er is nieuws voor u in casustafel.")
    assert signature.splitlines() == [
        NAME, "Team Ondermijning", "Vragen? Aïcha van den Berg, 14 0515, ondermijning@sudwestfryslan.example"]
    # Built at send time: the stored message is what it was, without the organisation.
    db.session.expire_all()
    [stored] = db.session.scalars(select(Notification))
    assert stored.body == f"Er is nieuws voor u in casustafel.\n\n{smtp_tests.PUBLIC_URL}"


def test_a_mail_from_with_its_own_display_name_keeps_it(app, make_user, smtp_server, monkeypatch):
    mailbox = smtp_server()
    monkeypatch.setitem(app.config, "MAIL_FROM", f"Casustafel Snits <{smtp_tests.SENDER}>")
    db.session.add(OrganisationProfile(id=1, name=NAME))
    notify(make_user("coordinator"), "Nieuws in casustafel", "Er is nieuws voor u in casustafel.")
    db.session.commit()

    assert deliver_pending().sent == 1

    message = email.message_from_bytes(mailbox.received[0].raw, policy=policy.default)
    assert message["From"].addresses[0].display_name == "Casustafel Snits"
    assert message.get_body(("plain",)).get_content().replace("\r\n", "\n").split("\n-- \n")[1].strip() == NAME


# The public routes and the environment's files ------------------------------------------------


def test_the_public_routes_are_cacheable_only_when_they_serve_and_never_sniffed(app, client, tmp_path):
    css = tmp_path / "thema.css"
    css.write_text(".gemeente-theme { --basis-color-accent-1-color-default: #12704f; }", encoding="utf-8")
    for path in ("/huisstijl/logo.png", "/huisstijl/thema.css"):
        missing = client.get(path)
        assert missing.status_code == 404
        assert missing.headers["Cache-Control"] == "no-store"
    app.config["ORGANISATION_THEME_STYLESHEET"] = str(css)
    try:
        served = client.get("/huisstijl/thema.css")
    finally:
        app.config["ORGANISATION_THEME_STYLESHEET"] = None
    assert served.status_code == 200
    assert served.mimetype == "text/css"
    assert served.headers["Cache-Control"] == "public, max-age=86400"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_the_environment_files_are_checked_once_per_version_and_their_address_changes_with_them(
        app, client, tmp_path, monkeypatch):
    css = tmp_path / "thema.css"
    css.write_text(".x-theme { color: #111; }", encoding="utf-8")
    checks = []
    real_check = organisation.checked_theme_css
    monkeypatch.setattr(organisation, "checked_theme_css", lambda content: checks.append(1) or real_check(content))
    app.config.update(ORGANISATION_THEME_STYLESHEET=str(css), ORGANISATION_THEME_CLASS="x-theme")
    try:
        first = client.get("/inloggen").get_data(as_text=True)
        again = client.get("/inloggen").get_data(as_text=True)
        assert client.get("/huisstijl/thema.css").get_data(as_text=True) == ".x-theme { color: #111; }"
        assert len(checks) == 1  # three requests, one check
        link = re.search(r'href="(/huisstijl/thema\.css\?v=[^"]+)"', first).group(1)
        assert link in again
        css.write_text(".x-theme { color: #222; }", encoding="utf-8")
        os.utime(css, ns=(css.stat().st_atime_ns, css.stat().st_mtime_ns + 1_000_000_000))
        changed = client.get("/inloggen").get_data(as_text=True)
        assert link not in changed and "/huisstijl/thema.css?v=" in changed
        assert client.get("/huisstijl/thema.css").get_data(as_text=True) == ".x-theme { color: #222; }"
    finally:
        app.config.update(ORGANISATION_THEME_STYLESHEET=None, ORGANISATION_THEME_CLASS=None)


def test_a_refused_environment_stylesheet_is_not_linked_and_logged_once(app, client, tmp_path, caplog):
    css = tmp_path / "thema.css"
    css.write_text("@import url(https://evil.example/x.css);", encoding="utf-8")
    app.config["ORGANISATION_THEME_STYLESHEET"] = str(css)
    try:
        with caplog.at_level("WARNING"):
            pages = [client.get("/inloggen").get_data(as_text=True) for _ in range(3)]
        assert all("/huisstijl/thema.css" not in page for page in pages)
        assert client.get("/huisstijl/thema.css").status_code == 404
        assert sum("CASUSTAFEL_THEME_STYLESHEET" in record.getMessage() for record in caplog.records) == 1
    finally:
        app.config["ORGANISATION_THEME_STYLESHEET"] = None


def test_a_phone_photo_logo_is_stored_upright():
    """A JPEG whose EXIF says "rotate 90°" (as phones write them) comes out as the photo app shows it."""
    wide = Image.new("RGB", (200, 100), (20, 60, 110))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to view
    out = io.BytesIO()
    wide.save(out, format="JPEG", exif=exif)
    stored = Image.open(io.BytesIO(organisation.checked_logo(out.getvalue())))
    assert stored.format == "PNG"
    assert stored.height == 120 and stored.width == 60  # upright: taller than wide
