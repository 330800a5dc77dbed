"""Issue 14, must show: a colleague logs in with the municipality's account through the
provider's own login page (a real OpenID Connect provider running locally, oidc-provider-mock)
and lands on the meldpunt with only the reporter role; logging out ends the session here and at
the provider (RP-initiated logout). axe-core runs on our pages."""

from playwright.sync_api import expect
from sqlalchemy import select

from casustafel.extensions import db
from casustafel.models import User
from casustafel.models.roles import Role
from tests.test_oidc import provider, sso  # noqa: F401 - the provider in a thread and the app's settings

SUB = "4d1e-ĳsbrand"


def test_a_colleague_logs_in_at_the_provider_and_lands_on_the_meldpunt(browser, sso):  # noqa: F811
    sso.set_user(SUB, email="ijsbrand.van.t.hoff@gemeente.test", name="Ĳsbrand van ’t Hoff", amr=["pwd"])
    page = browser.page
    page.route("https://cdn.jsdelivr.net/**", lambda route: route.abort())  # the mock's stylesheet: closed network

    browser.goto("/meldpunt")  # not logged in: to the login page, which offers the municipal account
    expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen")
    browser.assert_accessible("inloggen met gemeenteaccount")
    page.get_by_role("button", name="Inloggen met uw gemeenteaccount").click()

    page.wait_for_url(f"{sso.url}/oauth2/authorize**")  # the provider's own page
    page.get_by_placeholder("sub").fill(SUB)
    page.get_by_role("button", name="Authorize").click()

    page.wait_for_url(f"{browser.origin}/meldpunt**")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Melding")
    expect(page.get_by_role("navigation", name="Hoofdmenu")).to_contain_text("Ĳsbrand van ’t Hoff")
    browser.assert_accessible("meldpunt na inloggen met gemeenteaccount")
    db.session.expire_all()
    user = db.session.scalar(select(User).where(User.oidc_subject == SUB))
    assert user.roles == {Role.REPORTER} and user.oidc_issuer == sso.url

    page.get_by_role("button", name="Uitloggen").click()  # here, then at the provider
    page.wait_for_url(f"{sso.url}/**")
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(f"{browser.origin}/**")
    browser.goto("/meldpunt")  # the session here has ended
    expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen")
