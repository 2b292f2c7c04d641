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
