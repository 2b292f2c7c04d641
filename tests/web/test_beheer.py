"""Account administration (``/beheer``) for functioneel beheer, and ``regie users``."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from engine.store import UserRow
from engine.store.accounts import account_events

from .conftest import PASSWORD, field_error, flashes, text


@pytest.fixture
def admin(app, engine, password_hash, as_user):
    with engine.store.write() as tx:
        tx.save_user(UserRow(username="ada", name="Ada Beheer", password_hash=password_hash, roles="admin",
                             active=True))
    return as_user("ada")


def _events(engine, username):
    with engine.store.read() as tx:
        return [(e.actor, e.action) for e in account_events(tx, username)]


def test_the_admin_lands_on_the_account_list(app, admin):
    page = admin.get("/", follow_redirects=True)
    assert "Accounts" in text(page) and "Cas Casemanager" in text(page) and "Beheer" in text(page)


def test_add_an_account_with_a_good_password(admin, engine, browser):
    admin.get("/beheer/nieuw")
    page = admin.post("/beheer/nieuw", {"gebruikersnaam": "anna", "naam": "Anna Nieuw", "rollen": "casemanager",
                                        "wachtwoord": "12345678"})
    assert page.status_code == 422 and "Kies een wachtwoord van minstens 12 tekens." in text(page)
    page = admin.post("/beheer/nieuw", {"gebruikersnaam": "anna", "naam": "Anna Nieuw", "rollen": "casemanager",
                                        "wachtwoord": "paars fietsje op de dijk"})
    assert page.location == "/beheer/anna"
    assert _events(engine, "anna") == [("ada", "added")]
    assert browser.login("anna", "paars fietsje op de dijk").location == "/taken"


def test_deactivate_logs_the_user_out_and_is_logged(admin, engine, as_user):
    carla = as_user("carla")
    admin.get("/beheer/carla")
    page = admin.post("/beheer/carla/actief", {"actief": "nee"}, follow_redirects=True)
    assert "Het account staat uit. De medewerker is uitgelogd." in flashes(page)
    assert carla.get("/taken").status_code == 302
    assert _events(engine, "carla") == [("ada", "deactivated")]
    admin.post("/beheer/carla/actief", {"actief": "ja"})
    assert engine.store and _events(engine, "carla")[0] == ("ada", "activated")


def test_reset_password_and_set_roles(admin, engine, as_user, browser):
    cas = as_user("cas")
    admin.get("/beheer/cas")
    admin.post("/beheer/cas/wachtwoord", {"wachtwoord": "groene tram naar het strand"})
    assert cas.get("/taken").status_code == 302           # logged out
    browser.get("/login")
    assert browser.post("/login", {"gebruikersnaam": "cas", "wachtwoord": PASSWORD}).status_code == 401
    admin.post("/beheer/cas/rollen", {"rollen": ["casemanager", "coordinator"]})
    assert engine.store and _events(engine, "cas") == [("ada", "roles_set"), ("ada", "password_reset")]
    with engine.store.read() as tx:
        assert tx.user("cas").roles == "casemanager,coordinator"


def test_an_admin_cannot_lock_themselves_out(admin, engine):
    admin.get("/beheer/ada")
    page = admin.post("/beheer/ada/actief", {"actief": "nee"}, follow_redirects=True)
    assert "U kunt uw eigen account niet uitzetten. Vraag een andere beheerder." in flashes(page)
    page = admin.post("/beheer/ada/rollen", {"rollen": "casemanager"}, follow_redirects=True)
    assert "U kunt uw eigen rol Functioneel beheer niet weghalen. Vraag een andere beheerder." in flashes(page)
    assert _events(engine, "ada") == []


def test_the_cli_lists_disables_and_logs(app, engine, monkeypatch):
    from engine.cli import main

    monkeypatch.setenv("REGIE_DATABASE_URL", app.config["DATABASE_URL"])
    runner = CliRunner()
    result = runner.invoke(main, ["users", "list"])
    assert result.exit_code == 0 and "carla" in result.output and "Casemanager" in result.output
    result = runner.invoke(main, ["users", "disable", "carla", "--as", "ops"])
    assert result.exit_code == 0 and "Account carla staat uit." in result.output
    result = runner.invoke(main, ["users", "roles", "carla", "specialist", "--as", "ops"])
    assert result.exit_code == 0
    result = runner.invoke(main, ["users", "reset-password", "carla", "--password", "kort", "--as", "ops"])
    assert result.exit_code == 1 and "minstens 12 tekens" in result.output
    assert _events(engine, "carla") == [("ops", "roles_set"), ("ops", "deactivated")]
    assert "ops roles_set carla" in runner.invoke(main, ["users", "log"]).output


def test_api_keys_made_shown_once_used_and_revoked(admin, app, engine):
    page = admin.get("/beheer/api-sleutels")
    assert page.status_code == 200 and "Nog geen systemen met een sleutel." in text(page)
    page = admin.post("/beheer/api-sleutels", {"naam": "x", "scopes": "geen-scope"})
    assert page.status_code == 422 and "Geef een naam van 2 tot 100 tekens" in text(page)
    assert engine.api_clients.list() == []
    page = admin.post("/beheer/api-sleutels", {"naam": "zaaksysteem", "scopes": ["processes:read", "messages:deliver"]})
    assert page.status_code == 201 and page.headers["Cache-Control"] == "no-store"
    key = re.search(r'id="sleutel" value="(regie_[^"]+)"', page.text).group(1)
    [client] = engine.api_clients.list()
    assert (client.name, client.scopes, client.created_by) == ("zaaksysteem", ("processes:read", "messages:deliver"), "ada")
    assert app.test_client().get("/api/v1/processes", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    page = admin.get("/beheer/api-sleutels")
    assert key not in page.text                                   # shown once: never again
    assert "GET /api/v1/processes" in text(page) and "zaaksysteem" in text(page)
    page = admin.post(f"/beheer/api-sleutels/{client.id}/intrekken", follow_redirects=True)
    assert "De sleutel van zaaksysteem is ingetrokken." in " ".join(flashes(page))
    assert "ingetrokken op" in text(page)
    assert app.test_client().get("/api/v1/processes", headers={"Authorization": f"Bearer {key}"}).status_code == 401


def test_api_key_form_shows_each_error_at_its_own_field(admin, engine):
    page = admin.post("/beheer/api-sleutels", {"naam": "x", "scopes": "geen-scope"})
    assert page.status_code == 422
    name = re.search(r'<p class="fout" id="naam-fout">(.*?)</p>', page.text, re.S)
    scopes = re.search(r'<p class="fout" id="scopes-fout">(.*?)</p>', page.text, re.S)
    assert name and "Geef een naam van 2 tot 100 tekens" in name.group(1) and "Kies een of meer" not in name.group(1)
    assert scopes and "Kies een of meer van" in scopes.group(1) and "Geef een naam" not in scopes.group(1)
    assert 'aria-invalid="true"' in page.text
    summary = re.search(r'id="foutoverzicht".*?</div>', page.text, re.S).group(0)
    assert summary.count("<li>") == 2                                # one list item per error, not glued with '; '


def test_only_the_admin_sees_api_keys(as_user):
    assert as_user("coby").get("/beheer/api-sleutels").status_code == 403


def _secret(page) -> str:
    return re.search(r'id="geheim" value="(whsec_[^"]+)"', page.text).group(1)


def test_webhooks_made_with_the_secret_shown_once_and_stopped_after_confirming(admin, engine):
    from engine.outbox import sign, verify_signature

    page = admin.get("/beheer")
    assert 'href="/beheer/webhooks"' in page.text
    page = admin.get("/beheer/webhooks")
    assert page.status_code == 200 and "Nog geen webhooks." in text(page)
    page = admin.post("/beheer/webhooks", {"naam": "zaaksysteem", "adres": "https://zaak.example.nl/regie",
                                           "soorten": "case_started, task_completed", "proces": "aanvraag"})
    assert page.status_code == 201 and page.headers["Cache-Control"] == "no-store"
    secret = _secret(page)
    assert "Regie-Signature" in text(page) and "hmac.compare_digest" in text(page)
    [hook] = engine.webhooks.list()
    assert (hook.name, hook.url, hook.event_types, hook.process_id, hook.personal, hook.created_by) == (
        "zaaksysteem", "https://zaak.example.nl/regie", ("case_started", "task_completed"), "aanvraag", False, "ada")
    body = b'{"webhook": "zaaksysteem"}'
    assert verify_signature(secret, sign(secret, 1000, body), body, 1000)     # the secret shown is the one used
    assert 'value=""' in page.text.split('id="naam"')[1][:80]                 # the form is empty again

    engine.start("aanvraag", {"naam": "Demo Ouder"}, actor="cas")
    page = admin.get("/beheer/webhooks")
    assert secret not in page.text and 'id="geheim"' not in page.text      # shown once: never again
    row = text(page).split("zaaksysteem", 1)[1]
    assert "case_started, task_completed" in row and "nee" in row and "actief sinds" in row
    assert re.search(r"<td>1</td>", page.text)                                # the started case's event waits

    page = admin.post(f"/beheer/webhooks/{hook.id}/intrekken")               # first: are you sure?
    assert page.status_code == 200 and "Webhook zaaksysteem stoppen?" in text(page)
    assert "1 gebeurtenis(sen)" in text(page) and engine.webhooks.list()[0].revoked_at is None
    page = admin.post(f"/beheer/webhooks/{hook.id}/intrekken", {"bevestigd": "ja"}, follow_redirects=True)
    assert "Webhook zaaksysteem is gestopt." in " ".join(flashes(page))
    assert "gestopt op" in text(page) and engine.webhooks.list()[0].revoked_at is not None
    assert admin.post("/beheer/webhooks/000000000000/intrekken", {"bevestigd": "ja"}).status_code == 404


def test_a_refused_webhook_keeps_what_was_typed_with_the_reason(admin, engine):
    typed = {"naam": "zaaksysteem", "adres": "http://zaak.example.nl/regie", "soorten": "case_started",
             "proces": "aanvraag"}
    page = admin.post("/beheer/webhooks", typed)
    assert page.status_code == 422 and "Gebruik een https-adres" in field_error(page, "adres")   # https only
    assert 'value="http://zaak.example.nl/regie"' in page.text and 'value="case_started"' in page.text
    assert 'value="zaaksysteem"' in page.text and '<option value="aanvraag" selected>' in page.text
    page = admin.post("/beheer/webhooks", {**typed, "adres": "https://zaak.example.nl/", "soorten": "Case-Started"})
    assert page.status_code == 422 and "kleine letters en _" in text(page) and 'value="Case-Started"' in page.text
    assert engine.webhooks.list() == []


def test_personal_data_only_to_a_system_whose_key_may_read_it(admin, engine):
    """As the API: payloads (personal data) go along only for a client with scope cases:read-personal."""
    engine.api_clients.create("kcc", ["cases:read"], actor="ada")
    engine.api_clients.create("zaaksysteem", ["cases:read", "cases:read-personal"], actor="ada")
    typed = {"naam": "zaken", "adres": "https://zaak.example.nl/", "persoonlijk": "ja"}
    page = admin.post("/beheer/webhooks", typed)
    assert page.status_code == 422 and "Kies het systeem dat de persoonsgegevens krijgt" in text(page)
    page = admin.post("/beheer/webhooks", {**typed, "systeem": "kcc"})
    assert page.status_code == 422 and "De sleutel van kcc mag geen persoonsgegevens lezen" in text(page)
    assert 'name="persoonlijk" value="ja" checked' in page.text
    engine.api_clients.revoke(engine.api_clients.list()[1].id, actor="ada")      # a stopped key counts as none
    assert admin.post("/beheer/webhooks", {**typed, "systeem": "zaaksysteem"}).status_code == 422
    engine.api_clients.create("zaaksysteem2", ["cases:read-personal"], actor="ada")
    assert admin.post("/beheer/webhooks", {**typed, "systeem": "zaaksysteem2"}).status_code == 201
    assert [h.personal for h in engine.webhooks.list()] == [True]


@pytest.mark.parametrize("user", ["cas", "sam", "coby", "pim"])
def test_only_the_admin_manages_webhooks(as_user, engine, user):
    browser = as_user(user)
    assert browser.get("/beheer/webhooks").status_code == 403
    assert browser.post("/beheer/webhooks", {"naam": "zaken", "adres": "https://zaak.example.nl/"}).status_code == 403
    assert engine.webhooks.list() == []


def test_webhook_forms_need_the_csrf_token(admin, engine):
    data = {"naam": "zaaksysteem", "adres": "https://zaak.example.nl/"}
    assert admin.post("/beheer/webhooks", data, csrf=False).status_code == 400
    assert engine.webhooks.list() == []
    hook, _ = engine.webhooks.create("zaaksysteem", "https://zaak.example.nl/", "ada")
    assert admin.post(f"/beheer/webhooks/{hook.id}/intrekken", {"bevestigd": "ja"}, csrf=False).status_code == 400
    assert engine.webhooks.list()[0].revoked_at is None
