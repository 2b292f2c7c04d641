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
