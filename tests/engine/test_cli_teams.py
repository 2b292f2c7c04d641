"""``regie teams`` (issue #14): teams, members and processes from the command line, and from a YAML file."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from engine.cli import main
from tests.conftest import MODELS

PASSWORD = "een-lang-wachtwoord-123"


@pytest.fixture
def regie(tmp_path, monkeypatch):
    monkeypatch.setenv("REGIE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    runner = CliRunner()

    def run(*args, code=0):
        result = runner.invoke(main, [str(a) for a in args], catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result

    run("deploy", MODELS)
    for user, roles in (("carla", "casemanager"), ("sam", "specialist"), ("coby", "coordinator,casemanager")):
        run("users", "add", user, "--name", user.title(), "--roles", roles, "--password", PASSWORD)
    return run


def test_teams_add_members_process_list_and_remove(regie):
    assert "Nog geen teams" in regie("teams", "list").output
    regie("teams", "add", "loket", "Loket", "--as", "ad")
    assert "carla zit nu in team loket als casemanager." in regie(
        "teams", "member-add", "loket", "carla", "casemanager", "--as", "ad").output
    regie("teams", "member-add", "loket", "coby", "coordinator", "--as", "ad")
    assert "Team loket doet nu baan specialist van proces aanvraag." in regie(
        "teams", "process", "loket", "aanvraag", "--lane", "specialist", "--as", "ad").output
    assert "loket\tLoket\t2 leden\tprocessen: aanvraag (baan specialist)" in regie("teams", "list").output
    assert "carla\tCarla\tcasemanager" in regie("teams", "members", "loket").output
    [team] = json.loads(regie("teams", "list", "--json").output)
    assert team["processes"] == [{"process": "aanvraag", "lane": "specialist"}]
    regie("teams", "member-remove", "loket", "carla", "--as", "ad")
    regie("teams", "process-remove", "aanvraag", "--lane", "specialist", "--as", "ad")
    assert json.loads(regie("teams", "members", "loket", "--json").output) == [
        {"username": "coby", "name": "Coby", "role": "coordinator"}]
    assert "team_member_removed" in regie("users", "log", "carla").output     # who changed it, in the account log


@pytest.mark.parametrize("args, message", [
    (("teams", "member-add", "tsp", "carla", "casemanager"), "Team 'tsp' bestaat niet"),
    (("teams", "member-add", "loket", "sam", "casemanager"), "heeft de rol casemanager niet"),
    (("teams", "process", "loket", "bestaat-niet"), "bestaat-niet"),
    (("teams", "add", "Loket Twee", "Loket"), "team-id"),
])
def test_mistakes_are_one_dutch_line_and_exit_1(regie, args, message):
    regie("teams", "add", "loket", "Loket", "--as", "ad")
    result = regie(*args, "--as", "ad", code=1)
    assert result.output.startswith("Fout: ") and message in result.output


def test_teams_load_from_yaml_checks_everything_before_saving(regie, tmp_path):
    good = tmp_path / "teams.yaml"
    good.write_text("teams:\n  - id: steunpunt\n    name: Steunpunt hersteloperatie\n    processes: [aanvraag]\n"
                    "    members: {carla: casemanager, sam: specialist, coby: coordinator}\n", encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text("teams:\n  - id: loket\n    name: Loket\n    processes: [aanvraag]\n"
                   "    members: {niemand: casemanager}\n", encoding="utf-8")
    assert "niemand" in regie("teams", "load", bad, "--as", "ad", code=1).output
    assert "Nog geen teams" in regie("teams", "list").output                  # nothing half-loaded
    assert "Team steunpunt geladen." in regie("teams", "load", good, "--as", "ad").output
    assert "steunpunt\tSteunpunt hersteloperatie\t3 leden\tprocessen: aanvraag" in regie("teams", "list").output


def test_a_role_the_account_lacks_in_the_yaml_saves_nothing(regie, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("teams:\n  - id: loket\n    name: Loket\n    processes: [aanvraag]\n"
                   "    members: {carla: casemanager, sam: coordinator}\n", encoding="utf-8")
    assert "sam kan niet de rol coordinator hebben" in regie("teams", "load", bad, "--as", "ad", code=1).output
    assert "Nog geen teams" in regie("teams", "list").output


def test_cli_commands_that_show_a_case_apply_need_to_know(regie, tmp_path):
    """`regie state`, `history`, `replay` and `audit bundle` (an export) show a case only to its case team; anyone
    else is refused (exit 1, nothing logged) unless they break the glass with a reason, which is logged."""
    from engine import Engine

    regie("teams", "add", "steunpunt", "Steunpunt", "--as", "ad")
    regie("teams", "process", "steunpunt", "aanvraag", "--as", "ad")
    regie("teams", "member-add", "steunpunt", "carla", "casemanager", "--as", "ad")
    case_id = regie("start", "aanvraag", "--data", '{"naam": "Fictieve Bewoner"}', "--as", "system").output.strip()
    url = __import__("os").environ["REGIE_DATABASE_URL"]
    commands = [("state", case_id), ("history", case_id), ("replay", case_id),
                ("audit", "bundle", case_id, "--out", tmp_path / "b.zip")]
    for command in commands:
        refused = regie(*command, "--as", "sam", code=1)                      # a specialist of no case team
        assert refused.output.startswith("Fout: Geen toegang tot zaak AA-") and "--reden" in refused.output
        assert "Fictieve Bewoner" not in refused.output
        assert regie(*command, code=1).output.startswith("Fout: Geen toegang")  # an operator's os: account
        assert regie(*command, "--as", "system", code=1)                         # "system" is nobody's team
    eng = Engine.from_url(url)
    assert eng.access_log(case_id=case_id) == []                                  # refused: nothing read, nothing logged
    assert "Fictieve Bewoner" in regie("state", case_id, "--json", "--as", "carla").output   # her team's open task
    assert "minstens 10 tekens" in regie("state", case_id, "--as", "sam", "--reden", "kijken", code=1).output
    reason = "Bewoner belt, casemanager is ziek"
    assert "Fictieve Bewoner" in regie("state", case_id, "--json", "--as", "sam", "--reason", reason).output
    assert not (tmp_path / "b.zip").exists()
    regie("audit", "bundle", case_id, "--out", tmp_path / "b.zip", "--as", "sam")   # within the 8 hours
    log = [(e.page, e.actor, e.reason) for e in eng.access_log(case_id=case_id)]
    assert ("doorbraak", "sam", reason) in log and ("export", "sam", None) in log
    assert ("cli-state", "carla", None) in log
    eng.store.dispose()


def test_auditors_read_every_case_on_the_audit_commands_as_on_the_web(regie, tmp_path):
    regie("users", "add", "aud", "--name", "Aud", "--roles", "auditor", "--password", PASSWORD)
    case_id = regie("start", "aanvraag", "--data", '{"naam": "Fictieve Bewoner"}').output.strip()
    assert "na event 1" in regie("replay", case_id, "--as", "aud").output
    regie("audit", "bundle", case_id, "--out", tmp_path / "b.zip", "--as", "aud")
    regie("state", case_id, "--as", "aud", code=1)                                 # not a case page reader
