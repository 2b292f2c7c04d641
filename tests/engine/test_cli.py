"""The ``regie`` command line, as an integrator or operator uses it: messages, exit codes, --json."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from engine.cli import main
from tests.conftest import MODELS


@pytest.fixture
def regie(tmp_path, monkeypatch):
    monkeypatch.setenv("REGIE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    runner = CliRunner()

    def run(*args, code=0):
        result = runner.invoke(main, [str(a) for a in args], catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result

    return run


def test_init_deploy_start_complete_history_verify(regie):
    assert "Database klaar" in regie("init-db").output
    assert "aanvraag: versie" in regie("deploy", MODELS).output
    case_id = regie("start", "aanvraag", "--data", '{"naam": "Fictieve Bewoner"}', "--as", "anna").output.strip()
    tasks = json.loads(regie("tasks", "--case", case_id, "--json").output)
    assert [(t["name"], t["title"], t["role"], t["case_id"]) for t in tasks] == [
        ("intake", "Intake doen", "casemanager", case_id)]
    assert set(tasks[0]) >= {"id", "name", "title", "role", "assignee", "case_id", "due"}
    out = regie("complete", tasks[0]["id"], "--data", '{"akkoord": true, "bedrag": 10}', "--as", "anna").output
    assert "Afgerond: Intake doen" in out and "Volgende taak:" in out
    history = json.loads(regie("history", case_id, "--json", "--as", "anna").output)
    assert [e["type"] for e in history] == ["case_started", "task_completed", "gateway_decision"]
    assert "alles klopt" in regie("verify", case_id).output
    assert json.loads(regie("state", case_id, "--json", "--as", "anna").output)["active"] == ["plan"]


def test_validate_reports_one_line_per_problem(regie, tmp_path):
    (tmp_path / "kapot.bpmn").write_text("<nope")
    result = regie("validate", tmp_path / "kapot.bpmn", code=1)
    assert result.output.startswith("kapot.bpmn: -: Dit is geen geldige XML")
    assert "Geen problemen gevonden." in regie("validate", MODELS).output


@pytest.mark.parametrize("args, message", [
    (("start", "bestaat-niet"), "Fout: Het proces 'bestaat-niet' bestaat niet."),
    (("history", "geen-zaak"), "Fout: De zaak 'geen-zaak' bestaat niet. Controleer het zaaknummer."),
    (("complete", "geen-taak"), "Fout: De taak 'geen-taak' bestaat niet (meer)."),
    (("verify", "geen-zaak"), "Fout: De zaak 'geen-zaak' bestaat niet."),
])
def test_user_errors_are_messages_not_tracebacks(regie, args, message):
    regie("deploy", MODELS)
    result = regie(*args, code=1)
    assert message in result.output
    assert "Traceback" not in result.output


def test_bad_json_data(regie):
    regie("deploy", MODELS)
    result = regie("start", "aanvraag", "--data", "{naam:", code=2)
    assert "geen geldige JSON" in result.output


def test_timers_run_due(regie):
    regie("deploy", MODELS)
    assert "0 timer(s) afgegaan." in regie("timers", "run-due", "--now", "2030-01-01T00:00:00+00:00").output


def test_start_names_every_missing_field_on_its_own_line(regie):
    from tests.conftest import ROOT

    regie("deploy", ROOT / "processes", ROOT / "forms")
    result = regie("start", "hersteloperatie", "--data", "{}", code=1)
    assert "Fout: De gegevens in formulier 'hersteloperatie-start' kloppen niet." in result.output
    assert "  naam_ouder: Vul dit veld in." in result.output
    assert "  bron: Vul dit veld in." in result.output


def test_click_speaks_dutch(regie):
    help_text = regie("--help").output
    assert help_text.startswith("Gebruik: ") and "Opties:" in help_text and "Opdrachten:" in help_text
    assert "Toon deze hulp en stop." in help_text
    missing = regie("claim", "taak-1", code=2).output
    assert "Fout: Optie ontbreekt '--as'." in missing and "claim --help' voor hulp." in missing
    assert "Fout: De opdracht 'bestaatniet' bestaat niet." in regie("bestaatniet", code=2).output
    assert "Usage" not in help_text + missing and "[OPTIONS]" not in missing and "claim [OPTIES] TASK_ID" in missing


def test_aborted_is_dutch(regie, monkeypatch):
    from click.testing import CliRunner

    from engine.cli import main

    result = CliRunner().invoke(main, ["users", "add", "x", "--name", "X", "--roles", "casemanager"], input="")
    assert "Afgebroken." in result.output and "Aborted" not in result.output


def test_users_list(regie):
    regie("init-db")
    assert "Nog geen gebruikers" in regie("users", "list").output
    regie("users", "add", "anna", "--name", "Anna Demo", "--roles", "casemanager,coordinator",
          "--password", "een-lang-wachtwoord-123")
    assert "anna\tAnna Demo\tCasemanager, Coördinator\tactief" in regie("users", "list").output
    assert json.loads(regie("users", "list", "--json").output) == [
        {"username": "anna", "name": "Anna Demo", "roles": ["casemanager", "coordinator"], "active": True}]


def test_verify_and_timers_have_json(regie):
    regie("deploy", MODELS)
    case_id = regie("start", "aanvraag", "--data", '{"naam": "Demo"}').output.strip()
    assert json.loads(regie("verify", case_id, "--json").output) == {
        "ok": True, "cases": 1, "problems": [], "findings": [], "anchors": []}
    out = json.loads(regie("timers", "run-due", "--now", "2030-01-01T00:00:00+00:00", "--json").output)
    assert out == {"fired": 0, "open_incidents": 0}


def test_times_are_dutch_local_time(regie):
    regie("deploy", MODELS)
    case_id = regie("start", "aanvraag", "--data", '{"naam": "Demo"}', "--as", "anna").output.strip()
    history = json.loads(regie("history", case_id, "--json", "--as", "anna").output)
    from datetime import datetime
    from zoneinfo import ZoneInfo

    at = datetime.fromisoformat(history[0]["at"]).astimezone(ZoneInfo("Europe/Amsterdam"))
    assert at.strftime("%Y-%m-%d %H:%M:%S") in regie("history", case_id, "--as", "anna").output
