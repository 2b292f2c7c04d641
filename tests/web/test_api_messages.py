"""Messages and signals over the REST API and the CLI: scope messages:deliver, Camunda's correlation answers
as problem details (404 none waits, 409 several / raced), idempotent by message id, every call logged."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from engine.cli import main
from tests.engine.test_messages import MODELS


@pytest.fixture
def call(app, engine):
    engine.deploy([MODELS])
    _, key = engine.api_clients.create("zaaksysteem", ["messages:deliver", "cases:read"], actor="admin")
    client = app.test_client()

    def do(method, path, **kwargs):
        return client.open(path, method=method, headers={"Authorization": f"Bearer {key}"}, **kwargs)

    return do


def test_a_message_reaches_the_waiting_case(call, engine):
    case_id = engine.start("bericht_tussen", {"dossier": "D-1"})
    number = engine.state(case_id).number
    response = call("POST", "/api/v1/messages", json={
        "name": "besluit_ontvangen", "message_id": "zs-1", "correlation": {"dossier": "D-1"},
        "variables": {"besluit": "toegekend"}})
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"message_id": "zs-1", "name": "besluit_ontvangen", "case_id": case_id,
                                   "case_number": number, "started": False, "elements": ["wacht"],
                                   "repeated": False}
    again = call("POST", "/api/v1/messages", json={"name": "besluit_ontvangen", "message_id": "zs-1"})
    assert again.status_code == 200 and again.get_json()["repeated"] is True
    assert [e.type for e in engine.history(case_id)].count("message_received") == 1
    assert engine.state(case_id).data["besluit"] == "toegekend"
    assert [c[2:] for c in engine.api_clients.calls()][:2] == [("POST", "/api/v1/messages", 200)] * 2


def test_no_waiting_case_is_404_and_several_are_409(call, engine):
    missing = call("POST", "/api/v1/messages", json={"name": "besluit_ontvangen", "message_id": "x-1"})
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert "Geen zaak wacht op dit bericht" in missing.get_json()["detail"]
    engine.start("bericht_tussen", {})
    engine.start("bericht_tussen", {})
    several = call("POST", "/api/v1/messages", json={"name": "besluit_ontvangen", "message_id": "x-1"})
    assert several.status_code == 409 and "2 zaken wachten" in several.get_json()["detail"]
    bad = call("POST", "/api/v1/messages", json={"name": "besluit_ontvangen"})
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "message_id"


def test_a_message_starts_a_case(call, engine):
    response = call("POST", "/api/v1/messages", json={"name": "melding_zorg", "message_id": "kcc-9",
                                                       "variables": {"melder": "buurvrouw"}})
    assert response.status_code == 200 and response.get_json()["started"] is True
    assert engine.state(response.get_json()["case_id"]).data == {"melder": "buurvrouw"}


def test_signals_report_the_cases_they_reached(call, engine):
    cases = [engine.start("signaal_wacht", {}) for _ in range(2)]
    response = call("POST", "/api/v1/signals", json={"name": "lijst_binnen", "signal_id": "lijst-1"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["reached"] == 3 and sorted(body["cases"]) == sorted(engine.state(c).number for c in cases)
    assert len(body["started"]) == 1
    nobody = call("POST", "/api/v1/signals", json={"name": "niemand_wacht"}).get_json()
    assert nobody["reached"] == 0


def test_the_scope_is_needed(app, engine):
    _, key = engine.api_clients.create("lezer", ["cases:read"], actor="admin")
    client = app.test_client()
    for path, body in (("/api/v1/messages", {"name": "x", "message_id": "1"}), ("/api/v1/signals", {"name": "x"})):
        refused = client.post(path, json=body, headers={"Authorization": f"Bearer {key}"})
        assert refused.status_code == 403 and "messages:deliver" in refused.get_json()["detail"]


def test_the_cli_delivers_messages_and_signals(engine, monkeypatch):
    engine.deploy([MODELS])
    monkeypatch.setenv("REGIE_DATABASE_URL", str(engine.store.engine.url))
    case_id = engine.start("bericht_ontvangst", {})
    number = engine.state(case_id).number
    runner = CliRunner()
    result = runner.invoke(main, ["message", "brief_verstuurd", "--id", "cli-1", "--zaak", number,
                                  "--data", '{"verzonden": true}'])
    assert result.exit_code == 0, result.output
    assert f"afgeleverd bij zaak {number}" in result.output
    result = runner.invoke(main, ["message", "brief_verstuurd", "--id", "cli-2", "--zaak", number])
    assert result.exit_code == 1 and "Geen zaak wacht op dit bericht" in result.output
    engine.start("signaal_wacht", {})
    result = runner.invoke(main, ["signal", "lijst_binnen", "--json"])
    assert result.exit_code == 0 and '"reached": 2' in result.output


def test_the_timeline_says_which_message_came_and_what_it_started(call, engine):
    from web.timeline import timeline

    case_id = engine.start("bericht_tussen", {})
    call("POST", "/api/v1/messages", json={"name": "besluit_ontvangen", "message_id": "t-1"})
    version = engine.version(engine.state(case_id).version_id)
    moments = timeline(engine.history(case_id), version, {})
    assert moments[-2].what == "Bericht 'besluit_ontvangen' ontvangen"
    assert ("Bij", "Besluit ontvangen") in moments[-2].details
    started = call("POST", "/api/v1/messages", json={"name": "melding_zorg", "message_id": "t-2"}).get_json()
    first = timeline(engine.history(started["case_id"]), engine.version(engine.state(started["case_id"]).version_id), {})
    assert first[-1].what == "Zaak gestart door bericht 'melding_zorg'"


def test_a_case_started_with_a_business_key_gets_messages_by_it(app, call, engine):
    _, key = engine.api_clients.create("starter", ["cases:start"], actor="admin")
    started = app.test_client().post("/api/v1/cases", json={"process_id": "bericht_tussen", "business_key": "ZS-7"},
                                     headers={"Authorization": f"Bearer {key}"})
    assert started.status_code == 201
    answer = call("POST", "/api/v1/messages", json={"name": "besluit_ontvangen", "message_id": "b-1",
                                                     "business_key": "ZS-7"})
    assert answer.status_code == 200 and answer.get_json()["case_id"] == started.get_json()["id"]


def test_cases_show_their_business_key_and_are_found_by_it(app, call, engine):
    _, key = engine.api_clients.create("starter", ["cases:start"], actor="admin")
    starter = app.test_client()
    for business_key in ("ZS-8", "ZS-9", None):
        body = {"process_id": "bericht_tussen", **({"business_key": business_key} if business_key else {})}
        assert starter.post("/api/v1/cases", json=body, headers={"Authorization": f"Bearer {key}"}).status_code == 201
    found = call("GET", "/api/v1/cases?business_key=ZS-9")
    assert found.status_code == 200
    assert [c["business_key"] for c in found.get_json()] == ["ZS-9"]
    listed = call("GET", "/api/v1/cases").get_json()
    assert sorted(c["business_key"] or "-" for c in listed) == ["-", "ZS-8", "ZS-9"]
    one = call("GET", f"/api/v1/cases/{found.get_json()[0]['number']}").get_json()
    assert one["business_key"] == "ZS-9"
    assert call("GET", "/api/v1/cases?business_key=ZS-404").get_json() == []
