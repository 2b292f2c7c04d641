"""``regie timers …``, ``regie incidents`` and ``regie scheduler``, as functioneel beheer uses them.

The cases are set up through the engine with a clock in 2020, so for the command line (the real
clock) their timers and deadlines are long past.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine import Engine, ManualClock, SequentialIds
from engine.cli import main

TIMER_MODELS = Path(__file__).resolve().parent / "timer_models"


@pytest.fixture
def setup(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("REGIE_DATABASE_URL", url)
    eng = Engine.from_url(url, clock=ManualClock("2020-01-06T09:00:00+00:00"), ids=SequentialIds())
    eng.deploy([TIMER_MODELS])
    cases = {
        "bellen": eng.start("timer_terugbellen", {}),
        "storing": eng.start("timer_storing", {"deler": 0}),
        "enkel": eng.start("timer_enkel", {}),
    }
    eng.store.dispose()
    return cases


@pytest.fixture
def regie():
    runner = CliRunner()

    def run(*args, code=0):
        result = runner.invoke(main, [str(a) for a in args], catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result

    return run


def test_list_shows_waiting_timers_and_what_is_late(setup, regie):
    out = regie("timers", "list").output
    assert f"{setup['enkel']}\twacht\t2020-01-07 10:00\twacht" in out      # Dutch time (UTC+1)
    assert "te_laat" in out and "herinnering" in out
    data = json.loads(regie("timers", "list", "--case", setup["storing"], "--json").output)
    assert [(t["element"], t["due"], t["status"]) for t in data["timers"]] == [
        ("wacht", "2020-01-07T09:00:00+00:00", "waiting")]
    assert set(data["timers"][0]) == {"case_id", "task_id", "element", "due", "status", "attempts", "claimed_by"}
    late = json.loads(regie("timers", "list", "--overdue", "--json").output)
    assert len(late["timers"]) == 4
    assert [(t["name"], t["due"]) for t in late["tasks"]] == [("terugbellen", "2020-01-07T09:00:00+00:00")]
    assert "Ouder terugbellen" in regie("timers", "list", "--overdue").output


def test_run_due_fires_everything_and_points_to_the_incidents(setup, regie):
    out = regie("timers", "run-due").output
    assert "3 timer(s) afgegaan." in out                       # enkel, herinnering, te_laat; "wacht" failed
    assert "1 storing(en) staan open. Bekijk ze met 'regie incidents'." in out
    assert "0 timer(s) afgegaan." in regie("timers", "run-due").output
    incidents = regie("incidents").output
    assert setup["storing"] in incidents and "u deelt door nul" in incidents
    assert "regie timers retry" in incidents
    [incident] = json.loads(regie("incidents", "--json").output)
    assert incident["case_id"] == setup["storing"] and incident["resolved_at"] is None
    assert "mislukt" in regie("timers", "list", "--case", setup["storing"]).output


def test_retry_says_what_still_fails(setup, regie):
    regie("timers", "run-due")
    out = regie("timers", "retry", setup["storing"], code=1).output
    assert f"{setup['storing']}: lukt nog niet:" in out and "u deelt door nul" in out
    assert len(json.loads(regie("incidents", "--json").output)) == 1        # still one, not two
    assert "Geen mislukte timers." in regie("timers", "retry", setup["enkel"]).output.replace(
        f"Zaak {setup['enkel']} heeft geen mislukte timers.", "Geen mislukte timers.")


def test_bad_input_gets_a_dutch_message(setup, regie):
    assert "De zaak 'bestaat-niet' bestaat niet" in regie("timers", "retry", "bestaat-niet", code=1).output
    out = regie("timers", "run-due", "--now", "gisteren", code=2).output
    assert "'gisteren' is geen tijdstip" in out
    assert "Geen storingen." in regie("incidents", "--all").output


def test_scheduler_once_works_off_what_is_due(setup, regie):
    assert "3 timer(s) afgegaan." in regie("scheduler", "--once", "--name", "test").output
    assert "0 timer(s) afgegaan." in regie("scheduler", "--once").output


def test_scheduler_writes_the_daily_anchor_with_the_key_the_audit_command_uses(setup, regie, tmp_path, monkeypatch):
    from engine.audit import anchors

    key, path = tmp_path / "anker.pem", tmp_path / "anchors.jsonl"
    anchors.generate_key(key)
    monkeypatch.setenv("REGIE_ANCHOR_KEY", str(key))
    monkeypatch.setenv("REGIE_ANCHOR_FILE", str(path))
    regie("scheduler", "--once")
    regie("scheduler", "--once")                      # the same day: not again
    [anchor] = anchors.read(path)
    assert set(anchor.heads) == set(setup.values())
    assert "geen tijd van de dag" in regie("scheduler", "--once", "--anchor-time", "25 uur", code=1).output
    monkeypatch.setenv("REGIE_ANCHOR_KEY", str(tmp_path / "weg.pem"))
    assert "bestaat niet" in regie("scheduler", "--once", code=1).output
    assert len(anchors.read(path)) == 1
