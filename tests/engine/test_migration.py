"""Replaying a case's inputs on another version (the first divergence), impact and migration: each move
an event in the case's history, migrated cases still verify and run on."""

from __future__ import annotations

import shutil

import pytest

from engine.errors import RegieError
from tests.conftest import MODELS

BPMN = (MODELS / "aanvraag.bpmn").read_text(encoding="utf-8")
INTAKE_FORM = (MODELS / "intake.yaml").read_text(encoding="utf-8")


@pytest.fixture
def eng(engine):
    engine.deploy([MODELS], actor="pim")
    return engine


def deploy_variant(engine, tmp_path, name: str, bpmn: str = BPMN, intake: str = INTAKE_FORM):
    folder = tmp_path / name
    shutil.copytree(MODELS, folder)
    (folder / "aanvraag.bpmn").write_text(bpmn, encoding="utf-8")
    (folder / "intake.yaml").write_text(intake, encoding="utf-8")
    return engine.deploy([folder], actor="pim")[0].version_id


def renamed_intake(bpmn: str = BPMN) -> str:
    return bpmn.replace('id="intake"', 'id="gesprek"').replace('"intake"', '"gesprek"') \
        .replace('targetRef="intake"', 'targetRef="gesprek"').replace('sourceRef="intake"', 'sourceRef="gesprek"') \
        .replace('<bpmn:flowNodeRef>intake<', '<bpmn:flowNodeRef>gesprek<').replace('camunda:formKey="gesprek"', 'camunda:formKey="intake"')


def at_plan(engine, name="Demo Ouder 1") -> str:
    case_id = engine.start("aanvraag", {"naam": name}, actor="cas")
    task = engine.tasks(case_id=case_id)[0]
    engine.complete(task.id, {"akkoord": True, "bedrag": 10}, actor="cas")
    return case_id


def test_replay_on_a_version_with_a_renamed_task_diverges_at_that_task_and_a_mapping_fixes_it(eng, tmp_path):
    case_id = at_plan(eng)
    v2 = deploy_variant(eng, tmp_path, "v2", renamed_intake())
    outcome = eng.replay_against(case_id, v2)
    assert not outcome.ok
    d = outcome.divergence
    assert (d.seq, d.event, d.element, d.kind) == (2, "task_completed", "intake", "missing_element")
    assert d.reason.startswith("De taak 'Intake doen' (intake) bestaat niet in deze versie.")
    mapped = eng.replay_against(case_id, v2, mapping={"intake": "gesprek"})
    assert mapped.ok and mapped.active == ["plan"] and mapped.steps == 2


def test_a_form_that_now_asks_more_is_a_divergence(eng, tmp_path):
    case_id = at_plan(eng)
    stricter = INTAKE_FORM + "  - name: inkomen\n    label: Inkomen\n    type: number\n    required: true\n"
    v2 = deploy_variant(eng, tmp_path, "v2", intake=stricter)
    d = eng.replay_against(case_id, v2).divergence
    assert (d.element, d.kind) == ("intake", "form") and "'inkomen'" in d.reason


def test_impact_and_dry_run_say_which_cases_can_move_and_move_nothing(eng, tmp_path):
    waiting = eng.start("aanvraag", {"naam": "Demo Ouder 1"}, actor="cas")     # still at intake
    done_intake = at_plan(eng, "Demo Ouder 2")
    v1 = eng.state(waiting).version_id
    deploy_variant(eng, tmp_path, "v2", renamed_intake())
    report = eng.migrate("aanvraag", "2", dry_run=True)
    assert report.summary() == ("1 zaak kan over naar versie 2, 1 niet, omdat een taak bestaat niet meer "
                                "(intake): 1.")
    assert [o.case_id for o in report.movable] == [waiting]
    assert [o.case_id for o in report.blocked] == [done_intake]
    assert report.moved == [] and eng.state(waiting).version_id == v1
    assert [e.type for e in eng.history(waiting)][-1] != "case_migrated"


def test_migration_moves_one_case_which_still_verifies_and_runs_on(eng, tmp_path):
    case_id = at_plan(eng)
    other = at_plan(eng, "Demo Ouder 2")
    old_task = eng.tasks(case_id=case_id)[0]
    v2 = deploy_variant(eng, tmp_path, "v2", renamed_intake(BPMN.replace('name="Plan maken"', 'name="Plan opstellen"')))
    report = eng.migrate("aanvraag", "2", [case_id], mapping={"intake": "gesprek"}, dry_run=False, actor="pim")
    assert report.moved == [case_id] and report.summary().endswith("Verplaatst: 1.")
    state = eng.state(case_id)
    assert state.version_id == v2 and state.active == ["plan"]
    assert eng.state(other).version_id != v2                      # not named: stays on its version
    last = eng.history(case_id)[-1]
    assert (last.type, last.actor, last.payload["mapping"], last.payload["to_version"]) == (
        "case_migrated", "pim", {"intake": "gesprek"}, v2)
    tasks = eng.tasks(case_id=case_id)
    assert [t.title for t in tasks] == ["Plan opstellen"] and tasks[0].id != old_task.id
    assert eng.task(old_task.id).state == "cancelled"
    assert eng.verify(case_id), str(eng.verify(case_id))
    eng.complete(tasks[0].id, {}, actor="sam")
    assert eng.state(case_id).status == "completed"
    assert eng.verify(case_id), str(eng.verify(case_id))
    assert eng.verify(), str(eng.verify())


def test_a_case_already_on_the_target_is_skipped_and_unknown_versions_are_refused(eng):
    case_id = at_plan(eng)
    report = eng.migrate("aanvraag", "1", dry_run=False)
    assert report.skipped == [case_id] and report.moved == []
    with pytest.raises(RegieError, match="Versie '7' van het proces 'aanvraag' bestaat niet"):
        eng.migrate("aanvraag", "7")


def test_no_case_moves_to_a_version_that_waits_for_approval(eng, tmp_path):
    from engine.definitions import read_sources
    from engine.models import library

    case_id = at_plan(eng)
    folder = tmp_path / "v2"
    shutil.copytree(MODELS, folder)
    (folder / "aanvraag.bpmn").write_text(BPMN.replace('name="Plan maken"', 'name="Plan opstellen"'), encoding="utf-8")
    library.deploy(eng, read_sources([folder]), "pim", "Nieuwe naam", four_eyes=True)
    assert eng.migrate("aanvraag", "2", dry_run=True).movable            # the impact can be seen before approval
    with pytest.raises(RegieError, match="wacht nog op goedkeuring"):
        eng.migrate("aanvraag", "2", [case_id], dry_run=False)
    library.approve(eng, library.resolve(eng, "aanvraag", "2").id, "bea")
    assert eng.migrate("aanvraag", "2", [case_id], dry_run=False).moved == [case_id]
