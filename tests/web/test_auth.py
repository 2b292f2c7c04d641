"""Logging in and out, sessions, CSRF, and who may open which page."""

from __future__ import annotations

import pytest

from engine.store import UserRow
from web import create_app

from .conftest import PASSWORD, flashes, text


def test_login_page_is_dutch_and_accessible(browser):
    page = browser.get("/login")
    assert page.status_code == 200
    assert '<html lang="nl">' in page.text
    assert '<label for="gebruikersnaam"' in page.text and '<label for="wachtwoord"' in page.text
    assert 'href="#inhoud"' in page.text        # skip link


@pytest.mark.parametrize("username, password, message", [
    ("cas", "fout-wachtwoord", "Gebruikersnaam of wachtwoord klopt niet. Probeer het opnieuw."),
    ("niemand", PASSWORD, "Gebruikersnaam of wachtwoord klopt niet. Probeer het opnieuw."),
    ("", "", "Vul uw gebruikersnaam en wachtwoord in."),
    ("cas", "", "Vul uw gebruikersnaam en wachtwoord in."),
])
def test_bad_login_says_what_to_do(browser, username, password, message):
    page = browser.post("/login", {"gebruikersnaam": username, "wachtwoord": password})
    assert page.status_code == 401
    assert message in text(page)
    assert browser.get("/taken").status_code == 302      # still not logged in


def test_login_goes_to_the_inbox_and_logout_ends_the_session(browser):
    assert browser.login("cas").location == "/taken"
    assert "Cas Casemanager" in text(browser.get("/taken"))
    page = browser.post("/uitloggen", follow_redirects=True)
    assert flashes(page) == ["U bent uitgelogd."]
    assert browser.get("/taken").status_code == 302


def test_a_page_needs_a_login_and_comes_back_after_it(browser):
    page = browser.get("/overzicht?x=1")
    assert page.status_code == 302 and page.location.startswith("/login?volgende=")
    browser.get(page.location)
    response = browser.post("/login", {"gebruikersnaam": "coby", "wachtwoord": PASSWORD, "volgende": "/overzicht?x=1"})
    assert response.location == "/overzicht?x=1"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example"])
def test_login_never_sends_you_to_another_site(browser, target):
    response = browser.post("/login", {"gebruikersnaam": "cas", "wachtwoord": PASSWORD, "volgende": target})
    assert response.location == "/taken"


def test_a_form_without_csrf_token_is_refused(browser):
    page = browser.post("/login", {"gebruikersnaam": "cas", "wachtwoord": PASSWORD}, csrf=False)
    assert page.status_code == 400
    assert ("Dit formulier is verlopen of niet compleet verstuurd. Ga terug, laad de pagina opnieuw en probeer "
            "het nog een keer. Er is niets opgeslagen.") in text(page)


def test_an_inactive_account_cannot_log_in_and_is_logged_out(browser, engine):
    browser.login("carla")
    with engine.store.write() as tx:
        user = tx.user("carla")
        tx.save_user(UserRow(username="carla", name=user.name, password_hash=user.password_hash,
                             roles=user.roles, active=False))
    assert browser.get("/taken").status_code == 302
    browser.get("/login")
    page = browser.post("/login", {"gebruikersnaam": "carla", "wachtwoord": PASSWORD})
    assert "Gebruikersnaam of wachtwoord klopt niet." in text(page)


def test_demo_accounts_are_listed_only_in_demo_mode(app, browser, tmp_path, clock):
    assert "Demo-accounts" not in text(browser.get("/login"))
    demo = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}", "CLOCK": clock,
                       "SECRET_KEY": "x", "DEMO": True})
    page = demo.test_client().get("/login")
    assert "Demo-accounts" in page.text and "casemanager-demo" in page.text
    demo.extensions["regie.engine"].store.dispose()


def test_roles_decide_which_pages_open(as_user):
    policy = as_user("pim")
    page = policy.get("/overzicht")
    assert page.status_code == 403
    assert "U mag deze pagina niet zien of deze handeling niet doen. Deze pagina is voor: Coördinator." in text(page)
    assert "Uw rol (Beleidsmedewerker) heeft geen takenlijst." in text(policy.get("/taken"))
    assert as_user("cas").get("/overzicht").status_code == 403
    assert as_user("coby").get("/overzicht").status_code == 200


def test_configuration_layers_defaults_environment_override(monkeypatch, tmp_path, clock):
    monkeypatch.setenv("REGIE_PAGE_SIZE", "7")
    monkeypatch.setenv("REGIE_TIMELINE_PAGE_SIZE", "30")
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}", "TIMELINE_PAGE_SIZE": 20,
                      "SECRET_KEY": "x"})
    assert app.config["PAGE_SIZE"] == 7                      # environment over defaults
    assert app.config["TIMELINE_PAGE_SIZE"] == 20            # test override over environment
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True      # defaults
    app.extensions["regie.engine"].store.dispose()


def test_secret_key_is_made_once_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("REGIE_SECRET_KEY", raising=False)
    from web.settings import _instance_secret

    first = _instance_secret(tmp_path / "instance")
    assert len(first) == 64 and _instance_secret(tmp_path / "instance") == first
