"""External tasks over the API: a worker fetches-and-locks by topic, completes, fails, throws a BPMN error;
other workers and other scopes are refused with the problem's Dutch message."""

from __future__ import annotations

from pathlib import Path

import pytest

MODELS = Path(__file__).parents[1] / "engine" / "external_models"


@pytest.fixture
def worker(app, engine):
    engine.deploy([MODELS])
    _, key = engine.api_clients.create("brp-koppeling", ["external-tasks"], actor="admin")
    client = app.test_client()

    def call(method, path, **kwargs):
        return client.open(path, method=method, headers={"Authorization": f"Bearer {key}"}, **kwargs)

    return call


def _fetch(call, worker_id="w1"):
    response = call("POST", "/api/v1/external-tasks/fetch-and-lock",
                    json={"worker_id": worker_id, "topics": ["brp-adres"], "max_tasks": 5, "lock_duration": 60})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_worker_fetches_completes_and_the_case_moves_on(worker, engine):
    case_id = engine.start("adrescheck", {"naam": "Demo Ouder"}, actor="cas")
    [task] = _fetch(worker)
    assert (task["case_id"], task["topic"], task["variables"]) == (case_id, "brp-adres", {"naam": "Demo Ouder"})
    assert [e.page for e in engine.access_log(case_id=case_id)] == ["api"]      # the data it saw: logged
    assert _fetch(worker, "w2") == []
    refused = worker("POST", f"/api/v1/external-tasks/{task['id']}/complete", json={"worker_id": "w2"})
    assert refused.status_code == 409 and "niet vastgehouden door werker 'w2'" in refused.get_json()["detail"]
    done = worker("POST", f"/api/v1/external-tasks/{task['id']}/complete",
                  json={"worker_id": "w1", "variables": {"adres_gevonden": True}})
    assert done.status_code == 200 and done.get_json() == {"task_id": task["id"], "case_id": case_id}
    assert engine.state(case_id).status == "completed"


def test_failure_retries_and_incident_over_the_api(worker, engine, clock):
    case_id = engine.start("adrescheck", {"naam": "Demo"}, actor="cas")
    [task] = _fetch(worker)
    bad = worker("POST", f"/api/v1/external-tasks/{task['id']}/failure", json={"worker_id": "w1", "retries": -1})
    assert bad.status_code == 422 and {e["field"] for e in bad.get_json()["errors"]} == {"error_message", "retries"}
    failed = worker("POST", f"/api/v1/external-tasks/{task['id']}/failure",
                    json={"worker_id": "w1", "error_message": "BRP weg", "retries": 0})
    assert failed.status_code == 200 and failed.get_json()["status"] == "incident"
    assert [i.kind for i in engine.incidents(case_id)] == ["external"]
    [listed] = worker("GET", "/api/v1/external-tasks?topic=brp-adres").get_json()
    assert listed["status"] == "incident" and listed["error"] == "BRP weg" and "variables" not in listed
    resumed = worker("POST", f"/api/v1/external-tasks/{task['id']}/retries", json={"retries": 1})
    assert resumed.get_json()["status"] == "open" and engine.incidents(case_id) == []


def test_a_bpmn_error_without_a_catching_event_is_refused(worker, engine):
    engine.start("adrescheck", {"naam": "Demo"}, actor="cas")
    [task] = _fetch(worker)
    refused = worker("POST", f"/api/v1/external-tasks/{task['id']}/bpmn-error",
                     json={"worker_id": "w1", "error_code": "ANDERS"})
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["field"] == "error_code"
    caught = worker("POST", f"/api/v1/external-tasks/{task['id']}/bpmn-error",
                    json={"worker_id": "w1", "error_code": "ADRES_ONBEKEND", "error_message": "Onbekend"})
    assert caught.status_code == 200
    assert engine.state(caught.get_json()["case_id"]).active == ["nazoeken"]


def test_only_keys_with_the_external_tasks_scope(app, engine):
    _, key = engine.api_clients.create("lezer", ["cases:read"], actor="admin")
    response = app.test_client().post("/api/v1/external-tasks/fetch-and-lock", json={"worker_id": "w", "topics": ["x"]},
                                      headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 403 and "scope 'external-tasks'" in response.get_json()["detail"]


def test_the_case_timeline_tells_what_the_worker_did_in_dutch(worker, engine):
    from web.timeline import timeline

    case_id = engine.start("adrescheck", {"naam": "Demo"}, actor="cas")
    [task] = _fetch(worker)
    worker("POST", f"/api/v1/external-tasks/{task['id']}/failure",
           json={"worker_id": "w1", "error_message": "BRP weg", "retries": 2, "retry_timeout": 0})
    [task] = _fetch(worker)
    worker("POST", f"/api/v1/external-tasks/{task['id']}/bpmn-error", json={"worker_id": "w1", "error_code": "ADRES_ONBEKEND"})
    version = engine.version(engine.state(case_id).version_id)
    said = [m.what for m in timeline(engine.history(case_id), version, {})]
    assert said[:4] == ["Systeem w1 meldt bij 'Adres controleren in de BRP': ADRES_ONBEKEND",
                        "Stap 'Adres controleren in de BRP' opgehaald door systeem w1",
                        "Stap 'Adres controleren in de BRP' mislukt bij systeem w1",
                        "Stap 'Adres controleren in de BRP' opgehaald door systeem w1"]


def test_a_worker_that_runs_out_of_retries_shows_on_the_coordinators_overview(worker, engine, as_user):
    from .conftest import text

    engine.start("adrescheck", {"naam": "Demo Ouder 7"}, actor="cas")
    [task] = _fetch(worker)
    worker("POST", f"/api/v1/external-tasks/{task['id']}/failure",
           json={"worker_id": "w1", "error_message": "BRP geeft geen antwoord", "retries": 0})
    body = text(as_user("coby").get("/overzicht"))
    assert "1 zaak met een probleem" in body
    assert "Een ander systeem (brp-adres) kon deze stap niet doen: BRP geeft geen antwoord. Regie probeert" in body


def test_regies_own_connector_is_named_as_regie_on_the_timeline_not_by_its_worker_id(engine):
    """The mail connector's steps read 'Regie (automatisch)' for caseworkers; the auditor's raw view keeps
    the worker id (before: 'mislukt bij systeem connectors:vm:13827:750acbb8', by 'regie-connector')."""
    import socket

    from engine import external
    from web.timeline import timeline

    engine.deploy([MODELS])
    with socket.socket() as probe:       # a loopback port nobody listens on: the mail server refuses
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    case_id = engine.start("brief", {"naam": "Demo", "email": "ouder@example.test", "nummer": "18"}, actor="cas")
    assert external.run_connectors(engine, "connectors:vm:1:abc", external.SmtpSettings("127.0.0.1", port,
                                                                                        "regie@gemeente.test", 2)) == 0
    version = engine.version(engine.state(case_id).version_id)
    moments = timeline(engine.history(case_id), version, {})
    assert [(m.what, m.who) for m in moments[:2]] == [
        ("Stap 'Bevestiging mailen' mislukt bij Regie (automatisch)", "Regie (automatisch)"),
        ("Stap 'Bevestiging mailen' opgehaald door Regie (automatisch)", "Regie (automatisch)")]
    # The caseworker reads the cause in words; the auditor's raw view keeps host, port and OS error.
    assert dict(moments[0].details)["Melding"].startswith("De e-mail kon niet worden verstuurd: de mailserver")
    assert "127.0.0.1" not in dict(moments[0].details)["Melding"]
    raw = timeline(engine.history(case_id), version, {}, raw=True)
    assert raw[0].what.endswith("mislukt bij systeem connectors:vm:1:abc")
    assert f"127.0.0.1:{port}" in dict(raw[0].details)["Melding"]
