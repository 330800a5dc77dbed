"""Browser journeys of the foundation: login, second factor, start page, admin, logout."""

import re
import time

import pyotp
from playwright.sync_api import expect
from sqlalchemy import select

from casustafel.extensions import db
from casustafel.models import Notification, User
from tests.conftest import PASSWORD


def _login(browser, email, password=PASSWORD):
    browser.log_in(email, password)


def test_login_page_start_page_and_logout_are_accessible(browser, make_user):
    user = make_user("reporter", name="Mila Melder")
    browser.goto("/")
    assert "/inloggen" in browser.page.url  # deny by default
    browser.assert_accessible("inloggen")

    _login(browser, user.email, "verkeerd wachtwoord")
    expect(browser.page.get_by_text("E-mailadres of wachtwoord is onjuist.")).to_be_visible()
    assert browser.page.get_by_label("E-mailadres").input_value() == user.email  # input kept
    browser.assert_accessible("inloggen met fout")

    browser.page.get_by_label("Wachtwoord").fill(PASSWORD)
    browser.page.get_by_role("button", name="Inloggen").click()
    expect(browser.page.get_by_role("heading", level=1)).to_have_text("Welkom, Mila Melder", use_inner_text=True)
    browser.assert_accessible("start")

    browser.log_out()
    expect(browser.page.get_by_text("U bent uitgelogd.")).to_be_visible()
    browser.goto("/")
    assert "/inloggen" in browser.page.url


def test_second_factor_enrolment_and_login(app, browser, make_user):
    user = make_user("coordinator", name="Vera Voorzitter")
    app.config["REQUIRE_TOTP"] = True
    try:
        _login(browser, user.email)
        assert "/inloggen/koppelen" in browser.page.url
        expect(browser.page.locator("figure svg")).to_have_count(1)  # QR rendered locally
        browser.assert_accessible("koppelen")
        secret = browser.page.locator(".app-secret").inner_text().replace(" ", "")
        browser.page.get_by_label("Code uit uw authenticator-app").fill("000000")
        browser.page.get_by_role("button", name="Koppelen").click()
        expect(browser.page.get_by_text("Deze code klopt niet").first).to_be_visible()
        browser.assert_accessible("koppelen met fout")
        browser.page.get_by_label("Code uit uw authenticator-app").fill(pyotp.TOTP(secret).now())
        browser.page.get_by_role("button", name="Koppelen").click()
        expect(browser.page.get_by_role("heading", level=1)).to_contain_text("Welkom", use_inner_text=True)

        db.session.expire_all()
        assert db.session.get(User, user.id).totp_enabled

        browser.log_out()
        _login(browser, user.email)
        assert "/inloggen/code" in browser.page.url
        browser.assert_accessible("code invoeren")
        next_code = pyotp.TOTP(secret).at(time.time() + 30)  # the current one was just used
        browser.page.get_by_label("Code uit uw authenticator-app").fill(next_code)
        browser.page.get_by_role("button", name="Controleren").click()
        expect(browser.page.get_by_role("heading", level=1)).to_contain_text("Welkom", use_inner_text=True)
    finally:
        app.config["REQUIRE_TOTP"] = False


def test_admin_creates_a_user_and_sees_no_signal_content(browser, make_user):
    admin = make_user("admin", name="Bo Beheer")
    _login(browser, admin.email)
    browser.page.get_by_role("link", name="Gebruikers").first.click()
    browser.assert_accessible("gebruikers")
    browser.follow(browser.page.get_by_role("link", name="Nieuwe gebruiker toevoegen"))
    browser.page.get_by_role("button", name="Opslaan").click()  # empty form
    expect(browser.page.get_by_role("heading", name="Controleer het formulier")).to_be_visible()
    browser.assert_accessible("nieuwe gebruiker met fouten")
    browser.page.get_by_label("E-mailadres").fill("nieuw@gemeente.test")
    browser.page.get_by_label("Naam", exact=True).fill("Nina Nieuw")
    browser.page.get_by_label("Deelnemer casustafel").check()
    browser.page.get_by_role("button", name="Opslaan").click()
    expect(browser.page.get_by_text("krijgt een e-mail met een link")).to_be_visible()
    browser.page.wait_for_load_state("load")
    assert browser.page.locator(".app-secret").count() == 0  # the admin sees no password
    browser.assert_accessible("nieuwe gebruiker, rol wacht op goedkeuring")
    browser.log_out()

    # The new colleague chooses a password through the link in the e-mail.
    user = db.session.scalar(select(User).where(User.email == "nieuw@gemeente.test"))
    mail = db.session.scalars(select(Notification).where(Notification.recipient_id == user.id)).one()
    browser.goto(re.search(r"/activeren/\S+", mail.body).group(0))
    browser.assert_accessible("wachtwoord kiezen")
    browser.page.get_by_label("Kies een wachtwoord").fill("een lange zin als wachtwoord")
    browser.page.get_by_label("Herhaal het wachtwoord").fill("een lange zin als wachtwoord")
    browser.page.get_by_role("button", name="Wachtwoord instellen").click()
    expect(browser.page.get_by_text("Uw wachtwoord is ingesteld.")).to_be_visible()
    browser.log_in("nieuw@gemeente.test", "een lange zin als wachtwoord")
    expect(browser.page.get_by_role("heading", level=1)).to_contain_text("Welkom")


def test_error_page_is_dutch_and_accessible(browser, make_user):
    user = make_user("member")
    _login(browser, user.email)
    response = browser.goto("/bestaat-niet")
    assert response.status == 404
    expect(browser.page.get_by_role("heading", level=1)).to_have_text("Pagina niet gevonden", use_inner_text=True)
    browser.assert_accessible("404")
