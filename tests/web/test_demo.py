"""``regie demo``: fictional cases at various stages, refused outside demo mode."""

from __future__ import annotations

from click.testing import CliRunner

from engine import Engine
from engine.cli import main
from tests.conftest import MODELS


def run(*args, env):
    return CliRunner().invoke(main, list(args), env=env)


def test_demo_cases_only_in_demo_mode_and_only_once(tmp_path):
    env = {"REGIE_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}", "REGIE_DEMO": ""}
    assert run("deploy", str(MODELS), env=env).exit_code == 0
    refused = run("demo", env=env)
    assert refused.exit_code == 1
    assert "Fout: Demo-zaken mogen alleen in demomodus. Zet REGIE_DEMO=1 (nooit in productie)." in refused.output
    env["REGIE_DEMO"] = "1"
    assert run("users", "demo", env=env).exit_code == 0
    result = run("demo", "--per-proces", "6", env=env)
    assert result.exit_code == 0, result.output
    assert "aanvraag: 6 demo-zaken" in result.output
    eng = Engine.from_url(env["REGIE_DATABASE_URL"])
    cases = eng.cases()
    assert sorted(c.subject for c in cases) == [f"Demo Bewoner {i}" for i in range(1, 7)]
    assert {c.status for c in cases} == {"running", "completed"}               # various stages
    assert eng.tasks()                                                         # a living inbox
    assert any(t.assignee for t in eng.tasks())                                # some in someone's own inbox
    assert eng.verify()                                                        # every demo case replays
    again = run("demo", env=env)
    assert "Er staan al zaken in de database: geen demo-zaken toegevoegd." in again.output
    eng.store.dispose()


def test_the_demo_has_three_teams_each_with_its_own_work(tmp_path):
    """``regie users demo`` loads three teams; ``regie demo`` has each team's own people do its work, so every
    team tab holds tasks and a casemanager of one team cannot open another team's case."""
    from engine.queries import InboxQuery

    env = {"REGIE_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}", "REGIE_DEMO": "1"}
    assert run("deploy", env=env).exit_code == 0                             # the catalogue's processes
    assert run("users", "demo", env=env).exit_code == 0
    result = run("demo", "--per-proces", "3", env=env)
    assert result.exit_code == 0, result.output
    eng = Engine.from_url(env["REGIE_DATABASE_URL"])
    assert [(t.id, len(t.members)) for t in eng.teams.list()] == [("loket", 3), ("steunpunt", 3), ("tsp", 2)]
    for user in ("casemanager", "loket", "tsp"):
        rows, _ = eng.inbox(InboxQuery(view="team", user=user, roles=("casemanager",)), eng.clock.now())
        processes_seen = {r.process_id for r in rows}
        team = {t.id: t for t in eng.teams.list() if any(m.username == user for m in t.members)}
        [(_, own)] = team.items()
        assert rows and processes_seen <= {p for p, _ in own.processes}, (user, processes_seen)
    [tsp_case] = [c for c in eng.cases() if c.process_id == "tsp"][:1]
    assert eng.case_access(tsp_case.id, "loket", ["casemanager"]) is None
    assert eng.case_access(tsp_case.id, "tsp", ["casemanager"]) is not None
    assert eng.verify()
    eng.store.dispose()


def test_policy_processes_stay_with_the_policy_role_in_the_demo():
    from engine.store.teams import WorkScope
    from engine.teams import DEMO_TEAMS

    lanes = {(p, ""): team for team, _, processes, _ in DEMO_TEAMS for p in processes}
    policy = WorkScope("policy", frozenset({"policy"}), {}, lanes)
    assert policy.works_on("startscan", "policy") and policy.works_on("tsp-inrichten", "policy")
