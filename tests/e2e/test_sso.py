"""Single sign-on in Chromium against a real OpenID Connect provider (npm ``oidc-provider``) on loopback:
authorization code + PKCE, groups mapped to roles, local accounts still work, no role means no entry."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

from .conftest import PASSWORD, shot, start_server

PROVIDER = Path(__file__).parent / "oidc_provider.mjs"
ACCOUNTS = {
    "anna": {"name": "Anna Organisatie", "groups": ["GG-Regie-Casemanagers", "Iedereen"]},
    "otto": {"name": "Otto Zonderrol", "groups": ["Iedereen"]},
    "cas": {"name": "Cas via SSO", "groups": ["GG-Regie-Casemanagers"]},
}
ROLE_MAP = {"GG-Regie-Casemanagers": "casemanager", "GG-Regie-Coordinatoren": ["coordinator", "casemanager"]}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def sso_server(tmp_path, password_hash):
    if shutil.which("node") is None or not (ROOT / "node_modules" / "oidc-provider").exists():
        pytest.skip("Geen node of geen node_modules/oidc-provider: draai 'make install'.")
    port = _free_port()
    live = start_server(tmp_path, password_hash, OIDC_ISSUER=f"http://127.0.0.1:{port}", OIDC_CLIENT_ID="regie",
                        OIDC_CLIENT_SECRET="regie-geheim-voor-de-test", OIDC_ROLE_MAP=ROLE_MAP,
                        OIDC_PROVIDER_NAME="Gemeente Voorbeeld", SESSION_COOKIE_SECURE=False)
    env = {**os.environ, "OIDC_PORT": str(port), "OIDC_CLIENT_ID": "regie",
           "OIDC_CLIENT_SECRET": "regie-geheim-voor-de-test", "OIDC_REDIRECT_URI": live.url + "/login/sso/terug",
           "OIDC_ACCOUNTS": json.dumps(ACCOUNTS), "NODE_PATH": str(ROOT / "node_modules")}
    provider = subprocess.Popen(["node", str(PROVIDER)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
    try:
        said = []
        while not said or ("ready" not in said[-1] and said[-1] and len(said) < 50):
            said.append(provider.stdout.readline())      # warnings (e.g. about the Node version) come first
        assert "ready" in said[-1], "".join(said)
        yield live
    finally:
        provider.terminate()
        provider.wait(timeout=10)
        provider.stdout.close()
        live.stop()


def _sign_in(page, url: str, login: str) -> None:
    page.goto(url + "/login")
    page.get_by_role("link", name="Inloggen via Gemeente Voorbeeld").click()
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("wat-dan-ook")
    page.locator("button[type=submit]").click()
    page.locator("button[type=submit]", has_text="Continue").click()      # the provider's consent page


@pytest.mark.browser
def test_single_sign_on_maps_groups_to_roles(chromium, sso_server):
    context = chromium.new_context(locale="nl-NL")
    page = context.new_page()
    page.set_default_timeout(15_000)
    _sign_in(page, sso_server.url, "anna")
    page.wait_for_url("**/taken")
    assert "Anna Organisatie" in page.inner_text("header") and "Casemanager" in page.inner_text("header")
    shot(page, "sso-ingelogd")
    with sso_server.engine.store.read() as tx:
        user = tx.user("anna")
        assert (user.source, user.roles, user.password_hash) == ("oidc", "casemanager", "")
    page.get_by_role("button", name="Uitloggen").click()
    page.wait_for_url("**/login")
    assert page.goto(sso_server.url + "/taken").url.endswith("/login?volgende=/taken")
    context.close()


@pytest.mark.browser
def test_no_mapped_group_means_no_entry_and_local_accounts_are_not_taken_over(chromium, sso_server):
    context = chromium.new_context(locale="nl-NL")
    page = context.new_page()
    page.set_default_timeout(15_000)
    _sign_in(page, sso_server.url, "otto")
    page.wait_for_url("**/login/sso/terug**")
    assert "U heeft geen rol in Regie. Vraag functioneel beheer om u toegang te geven." in page.inner_text("main")
    context.close()

    context = chromium.new_context(locale="nl-NL")
    page = context.new_page()
    page.set_default_timeout(15_000)
    _sign_in(page, sso_server.url, "cas")          # the provider's "cas" is not Regie's local "cas"
    page.wait_for_url("**/login/sso/terug**")
    assert "Er is al een account met deze naam dat met een wachtwoord inlogt." in page.inner_text("main")
    page.goto(sso_server.url + "/login")            # the local account logs in as before
    page.get_by_label("Gebruikersnaam").fill("cas")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen", exact=True).click()
    page.wait_for_url("**/taken")
    context.close()
