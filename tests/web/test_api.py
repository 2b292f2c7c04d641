"""The REST API (/api/v1): keys and scopes, problem details with the app's Dutch messages, personal data only
for the scope that needs it (and then logged), every call logged; the CLI for keys."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from engine.apiclients import SCOPES
from engine.cli import main

ALL = list(SCOPES)


@pytest.fixture
def api(app, engine):
    """A client of the API: ``api(scopes)`` gives a function that calls it with a fresh key for those scopes."""
    counter = iter(range(1000))

    def make(scopes=ALL):
        _, key = engine.api_clients.create(f"systeem-{next(counter)}", scopes, actor="admin")
        client = app.test_client()

        def call(method, path, **kwargs):
            return client.open(path, method=method, headers={"Authorization": f"Bearer {key}"}, **kwargs)

        call.key = key
        return call

    return make


def test_without_a_valid_key_nothing_is_answered(app, engine, as_user):
    client = app.test_client()
    for headers in ({}, {"Authorization": "Bearer regie_000000000000_" + "x" * 43}, {"Authorization": "Basic eDp5"}):
        response = client.get("/api/v1/processes", headers=headers)
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert "Geef een geldige API-sleutel" in response.get_json()["detail"]
    # a caseworker's login session is no API key
    assert as_user("cas").client.get("/api/v1/processes").status_code == 401


def test_a_revoked_key_is_refused_from_then_on(api, engine):
    call = api()
    assert call("GET", "/api/v1/processes").status_code == 200
    engine.api_clients.revoke("systeem-0", actor="admin")
    assert call("GET", "/api/v1/processes").status_code == 401


def test_a_key_only_does_what_its_scopes_allow(api):
    call = api(["processes:read"])
    assert call("GET", "/api/v1/processes").get_json() == [
        {"id": "aanvraag", "name": "Aanvraag (test)", "version_id": call("GET", "/api/v1/processes").get_json()[0]["version_id"]}]
    refused = call("POST", "/api/v1/cases", json={"process_id": "aanvraag", "data": {"naam": "Demo Ouder"}})
    assert refused.status_code == 403
    assert "scope 'cases:start'" in refused.get_json()["detail"]


def test_start_a_case_and_read_it_with_and_without_personal_data(api, engine):
    starter = api(["cases:start", "cases:read"])
    started = starter("POST", "/api/v1/cases", json={"process_id": "aanvraag", "data": {"naam": "Demo Ouder"}})
    assert started.status_code == 201
    case = started.get_json()
    assert case["number"] == "AA-2026-000001" and case["active"] == ["intake"]
    assert "subject" not in case and "data" not in case                 # no personal scope: no personal data

    plain = starter("GET", "/api/v1/cases/AA-2026-000001").get_json()
    assert plain["id"] == case["id"] and "subject" not in plain
    assert engine.access_log(case_id=case["id"]) == []

    reader = api(["cases:read", "cases:read-personal"])
    personal = reader("GET", "/api/v1/cases/aa-2026-1").get_json()
    assert (personal["subject"], personal["data"]["naam"]) == ("Demo Ouder", "Demo Ouder")
    [entry] = engine.access_log(case_id=case["id"])
    assert (entry.actor, entry.page) == ("api:systeem-1", "api")

    history = reader("GET", f"/api/v1/cases/{case['id']}/history").get_json()
    assert [e["type"] for e in history] == ["case_started"] and history[0]["payload"]["number"] == "AA-2026-000001"
    assert starter("GET", f"/api/v1/cases/{case['id']}/history").status_code == 403


def test_bad_input_gets_every_problem_at_once_and_writes_nothing(api, engine):
    call = api()
    response = call("POST", "/api/v1/cases", json={"process_id": "aanvraag", "data": {}})
    assert response.status_code == 422
    body = response.get_json()
    assert body["errors"] == [{"field": "naam", "message": "Vul dit veld in."}]
    assert call("GET", "/api/v1/cases").get_json() == []

    shape = call("POST", "/api/v1/cases", json={"data": "geen object"})
    assert shape.status_code == 422
    assert {e["field"] for e in shape.get_json()["errors"]} == {"process_id", "data"}

    unknown = call("GET", "/api/v1/cases/HO-2026-999999")
    assert unknown.status_code == 404
    assert unknown.get_json()["detail"] == "De zaak 'HO-2026-999999' bestaat niet. Controleer het zaaknummer."
    assert call("POST", "/api/v1/cases", json={"process_id": "bestaat-niet"}).status_code == 404


def test_tasks_list_claim_and_complete(api, engine):
    call = api()
    case = call("POST", "/api/v1/cases", json={"process_id": "aanvraag", "data": {"naam": "Demo Ouder"}}).get_json()
    [task] = call("GET", "/api/v1/tasks?case=AA-2026-000001").get_json()
    assert (task["name"], task["case_number"], task["assignee"]) == ("intake", "AA-2026-000001", None)
    detail = call("GET", f"/api/v1/tasks/{task['id']}").get_json()
    assert detail["form_schema"]["type"] == "object" and "akkoord" in detail["form_schema"]["properties"]

    assert call("POST", f"/api/v1/tasks/{task['id']}/claim", json={"user": "cas"}).get_json()["assignee"] == "cas"
    taken = call("POST", f"/api/v1/tasks/{task['id']}/claim", json={"user": "carla"})
    assert taken.status_code == 409 and "in behandeling bij cas" in taken.get_json()["detail"]

    wrong = call("POST", f"/api/v1/tasks/{task['id']}/complete", json={"data": {"bedrag": "veel"}})
    assert wrong.status_code == 422
    assert {e["field"] for e in wrong.get_json()["errors"]} >= {"akkoord", "bedrag"}
    done = call("POST", f"/api/v1/tasks/{task['id']}/complete", json={"data": {"akkoord": True, "bedrag": 250}})
    assert done.status_code == 200 and done.get_json()["state"] == "completed"
    again = call("POST", f"/api/v1/tasks/{task['id']}/complete", json={"data": {"akkoord": True, "bedrag": 250}})
    assert again.status_code == 409
    assert [e.actor for e in engine.history(case["id"])][-1] == "api:systeem-0"


def test_every_call_is_logged_without_bodies(api, engine):
    call = api(["processes:read"])
    call("GET", "/api/v1/processes")
    call("POST", "/api/v1/cases", json={"process_id": "aanvraag", "data": {"naam": "Demo Ouder"}})
    calls = engine.api_clients.calls()
    assert [(c[2], c[3], c[4]) for c in calls] == [("POST", "/api/v1/cases", 403), ("GET", "/api/v1/processes", 200)]
    assert "Demo Ouder" not in repr(calls)


def test_the_openapi_document_and_its_docs_page(app, as_user):
    client = app.test_client()
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"] == "3.1.0"
    assert spec["components"]["securitySchemes"]["sleutel"]["scheme"] == "bearer"
    assert "application/problem+json" in spec["components"]["responses"]["DEFAULT_ERROR"]["content"]
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and "/api/v1/tasks/{task_id}/complete" in page.text


def test_unknown_api_addresses_answer_as_the_api_and_pages_stay_pages(app, as_user):
    client = app.test_client()
    missing = client.get("/api/v1/bestaat-niet")
    assert (missing.status_code, missing.mimetype) == (404, "application/problem+json")
    page = as_user("cas").get("/bestaat-niet")
    assert page.status_code == 404 and page.mimetype == "text/html"


def test_cli_makes_lists_and_revokes_keys(tmp_path, monkeypatch):
    monkeypatch.setenv("REGIE_DATABASE_URL", f"sqlite:///{tmp_path / 'regie.db'}")
    runner = CliRunner()
    made = runner.invoke(main, ["apikeys", "add", "zaaksysteem", "--scope", "cases:read", "--as", "admin"])
    assert made.exit_code == 0, made.output
    key = made.output.strip().splitlines()[-1]
    assert key.startswith("regie_")
    listed = runner.invoke(main, ["apikeys", "list"])
    assert "zaaksysteem\tactief\tcases:read" in listed.output and key not in listed.output
    bad = runner.invoke(main, ["apikeys", "add", "x", "--scope", "alles", "--as", "admin"])
    assert bad.exit_code == 1 and "Kies een of meer van" in bad.output
    assert runner.invoke(main, ["apikeys", "revoke", "zaaksysteem", "--as", "admin"]).exit_code == 0
    assert "ingetrokken" in runner.invoke(main, ["apikeys", "list"]).output
