"""Deploying models: content-addressed immutable versions; a bad model is refused with where and why."""

from __future__ import annotations

import shutil

import pytest

from engine import ModelError
from tests.conftest import MODELS
from tests.snapshot import database_snapshot


def nothing_stored(engine) -> bool:
    """No row in any table: a refused deploy wrote nothing anywhere."""
    return not any(database_snapshot(engine).values())


def test_deploy_is_content_addressed_and_idempotent(engine):
    [first] = engine.deploy([MODELS])
    [again] = engine.deploy([MODELS])
    assert first.version_id == again.version_id and first.new and not again.new
    assert len(first.version_id) == 64
    assert len(database_snapshot(engine)["process_versions"]) == 1


def test_changed_model_is_a_new_version_and_old_cases_keep_theirs(engine, tmp_path):
    shutil.copytree(MODELS, tmp_path / "m")
    [v1] = engine.deploy([tmp_path / "m"])
    old_case = engine.start("aanvraag", {"naam": "Bewoner Oud"})
    path = tmp_path / "m" / "aanvraag.bpmn"
    path.write_text(path.read_text().replace('name="Intake doen"', 'name="Intakegesprek voeren"'))
    [v2] = engine.deploy([tmp_path / "m"])
    assert v2.version_id != v1.version_id
    new_case = engine.start("aanvraag", {"naam": "Bewoner Nieuw"})
    assert engine.state(old_case).version_id == v1.version_id
    assert engine.state(new_case).version_id == v2.version_id
    assert engine.tasks(case_id=old_case)[0].title == "Intake doen"
    assert engine.tasks(case_id=new_case)[0].title == "Intakegesprek voeren"


def test_malformed_bpmn_is_refused(engine, tmp_path):
    (tmp_path / "kapot.bpmn").write_text("<bpmn:definitions><bpmn:process id='x'>")
    with pytest.raises(ModelError) as err:
        engine.deploy([tmp_path])
    assert "kapot.bpmn" in str(err.value) and "Dit is geen geldige XML" in str(err.value)
    assert nothing_stored(engine)


def test_missing_form_is_reported_with_element(engine, tmp_path):
    shutil.copy(MODELS / "aanvraag.bpmn", tmp_path)
    shutil.copy(MODELS / "aanmelding.yaml", tmp_path)
    problems = engine.validate([tmp_path])
    assert [(p.file, p.element_id) for p in problems] == [("aanvraag.bpmn", "intake")]
    assert "Het formulier 'intake' bestaat niet" in problems[0].message
    with pytest.raises(ModelError):
        engine.deploy([tmp_path])
    assert nothing_stored(engine)


def test_unsafe_condition_is_refused_at_deploy(engine, tmp_path):
    shutil.copytree(MODELS, tmp_path / "m")
    path = tmp_path / "m" / "aanvraag.bpmn"
    path.write_text(path.read_text().replace("akkoord == True and bedrag &lt; 1000", "__import__('os').system('touch /tmp/x')"))
    problems = engine.validate([tmp_path / "m"])
    assert [(p.file, p.element_id) for p in problems] == [("aanvraag.bpmn", "gw")]
    assert nothing_stored(engine)


def test_bad_form_definition(engine, tmp_path):
    shutil.copytree(MODELS, tmp_path / "m")
    (tmp_path / "m" / "intake.yaml").write_text("title: Intake\nfields:\n  - name: x\n    type: kleur\n")
    problems = engine.validate([tmp_path / "m"])
    assert problems and all(p.file == "intake.yaml" for p in problems)


def test_missing_path(engine, tmp_path):
    with pytest.raises(ModelError, match="Dit bestand of deze map bestaat niet"):
        engine.deploy([tmp_path / "nergens"])


def test_condition_reading_a_field_nobody_fills_is_reported(engine, tmp_path):
    shutil.copytree(MODELS, tmp_path / "m")
    path = tmp_path / "m" / "aanvraag.bpmn"
    path.write_text(path.read_text().replace("akkoord == True and bedrag &lt; 1000", "akkoord == True and inkomen &lt; 1000"))
    [problem] = engine.validate([tmp_path / "m"])
    assert (problem.file, problem.element_id) == ("aanvraag.bpmn", "gw")
    assert "leest 'inkomen', maar geen formulier, script of beslistabel vult dat veld" in problem.message
    assert nothing_stored(engine)
