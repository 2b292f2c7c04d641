"""``regie migrate`` (dry run, then the move) and ``regie deploy --note``, as an operator uses them."""

from __future__ import annotations

import json
import shutil

from tests.conftest import MODELS
from tests.engine.test_cli import regie  # noqa: F401  (the fixture)
from tests.engine.test_migration import renamed_intake


def test_deploy_with_note_then_dry_run_and_migrate_one_case(regie, tmp_path):  # noqa: F811
    regie("deploy", MODELS)
    case_id = regie("start", "aanvraag", "--data", '{"naam": "Fictieve Bewoner"}', "--as", "anna").output.strip()
    task = json.loads(regie("tasks", "--case", case_id, "--json").output)[0]
    regie("complete", task["id"], "--data", '{"akkoord": true, "bedrag": 10}')
    v2 = tmp_path / "v2"
    shutil.copytree(MODELS, v2)
    (v2 / "aanvraag.bpmn").write_text(renamed_intake(), encoding="utf-8")
    assert "aanvraag: versie 2" in regie("deploy", v2, "--note", "Intake heet gesprek", "--as", "pim").output
    out = regie("migrate", "aanvraag", "--to", "2", "--dry-run").output
    assert out.startswith("Proefrun: er is niets opgeslagen. 0 zaken kunnen over naar versie 2, 1 niet, omdat "
                          "een taak bestaat niet meer (intake): 1.")
    assert f"{case_id[:8]}\tkan niet over\tevent 2 (task_completed): De taak 'Intake doen'" in out
    out = regie("migrate", "aanvraag", case_id, "--to", "2", "--map", "intake=gesprek", "--as", "pim").output
    assert "1 zaak kan over naar versie 2. Verplaatst: 1." in out and f"{case_id[:8]}\tverplaatst" in out
    assert "alles klopt" in regie("verify", case_id).output
    history = json.loads(regie("history", case_id, "--json", "--as", "anna").output)
    assert history[-1]["type"] == "case_migrated"
    regie("migrate", "aanvraag", "--to", "9", code=1)
