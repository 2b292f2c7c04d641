"""Starting cases, completing tasks, and every kind of bad input: a clear message and nothing written."""

from __future__ import annotations

import pytest

from engine import InvalidData, TaskNotReady, UnknownCase, UnknownProcess, UnknownTask
from tests.conftest import MODELS
from tests.snapshot import database_snapshot


@pytest.fixture
def deployed(engine):
    engine.deploy([MODELS])
    return engine


def start(engine, name="Fictieve Bewoner"):
    return engine.start("aanvraag", {"naam": name}, actor="anna")


def test_start_creates_case_with_first_task(deployed):
    case_id = start(deployed)
    state = deployed.state(case_id)
    assert state.status == "running"
    assert state.subject == "Fictieve Bewoner"
    assert state.active == ["intake"]
    [task] = deployed.tasks(case_id=case_id)
    assert (task.name, task.title, task.role, task.form) == ("intake", "Intake doen", "casemanager", "intake")
    assert task.due.isoformat() == "2026-01-07T09:00:00+00:00"  # camunda:dueDate="P2D"
    assert [e.type for e in deployed.history(case_id)] == ["case_started"]


def test_happy_path_records_decision_and_completes(deployed):
    case_id = start(deployed)
    [intake] = deployed.tasks(case_id=case_id)
    deployed.complete(intake.id, {"akkoord": True, "bedrag": 500}, actor="anna")
    [plan] = deployed.tasks(case_id=case_id)
    assert (plan.name, plan.role) == ("plan", "specialist")
    deployed.complete(plan.id, actor="sam")
    state = deployed.state(case_id)
    assert state.status == "completed"
    assert state.data == {"naam": "Fictieve Bewoner", "akkoord": True, "bedrag": 500}
    history = deployed.history(case_id)
    assert [e.type for e in history] == [
        "case_started", "task_completed", "gateway_decision", "task_completed", "case_completed",
    ]
    decision = history[2].payload
    assert decision["element"] == "gw"
    assert decision["values"] == {"akkoord": True, "bedrag": 500}
    assert decision["result"] is True
    assert history[1].actor == "anna" and history[3].actor == "sam"
    assert history[-1].payload == {"end": "end_klaar"}
    assert deployed.verify(case_id)


def test_default_flow_when_condition_is_false(deployed):
    case_id = start(deployed)
    [intake] = deployed.tasks(case_id=case_id)
    deployed.complete(intake.id, {"akkoord": False, "bedrag": 0, "reden": "Wil nu geen hulp."})
    assert deployed.state(case_id).status == "completed"
    assert deployed.history(case_id)[-1].payload == {"end": "end_afgewezen"}


def test_tasks_by_role_and_user(deployed):
    first, second = start(deployed, "Bewoner Een"), start(deployed, "Bewoner Twee")
    assert {t.case_id for t in deployed.tasks(role="casemanager")} == {first, second}
    assert deployed.tasks(role="specialist") == []
    task = deployed.tasks(case_id=first)[0]
    deployed.claim(task.id, "anna")
    assert [t.id for t in deployed.tasks(user="anna")] == [task.id]
    deployed.assign(task.id, "bram", actor="coby", reason="Anna is met verlof")
    assert deployed.tasks(user="anna") == []
    assert deployed.task(task.id).assignee == "bram"
    assigned = deployed.history(first)[-1]
    assert (assigned.type, assigned.actor, assigned.payload["reason"]) == ("task_assigned", "coby", "Anna is met verlof")
    deployed.complete(task.id, {"akkoord": True, "bedrag": 1}, actor="bram")
    assert deployed.verify(first)


def test_unknown_process(deployed):
    before = database_snapshot(deployed)
    with pytest.raises(UnknownProcess, match="Het proces 'bestaat-niet' bestaat niet"):
        deployed.start("bestaat-niet", {})
    assert database_snapshot(deployed) == before


def test_unknown_case_and_task(deployed):
    with pytest.raises(UnknownCase, match="De zaak 'onbekend' bestaat niet. Controleer het zaaknummer."):
        deployed.state("onbekend")
    with pytest.raises(UnknownCase):
        deployed.history("onbekend")
    with pytest.raises(UnknownCase):
        deployed.tasks(case_id="onbekend")
    before = database_snapshot(deployed)
    with pytest.raises(UnknownTask, match="De taak 'geen-taak' bestaat niet"):
        deployed.complete("geen-taak", {})
    assert database_snapshot(deployed) == before


def test_task_already_done(deployed):
    case_id = start(deployed)
    [intake] = deployed.tasks(case_id=case_id)
    deployed.complete(intake.id, {"akkoord": True, "bedrag": 10}, actor="anna")
    before = database_snapshot(deployed)
    with pytest.raises(TaskNotReady, match="De taak 'Intake doen' staat niet meer open: afgerond door anna"):
        deployed.complete(intake.id, {"akkoord": True, "bedrag": 10}, actor="bram")
    assert database_snapshot(deployed) == before


@pytest.mark.parametrize("data, field, message", [
    ({"bedrag": 10}, "akkoord", "Vul dit veld in."),
    ({"akkoord": "ja", "bedrag": 10}, "akkoord", "Kies ja of nee."),
    ({"akkoord": True, "bedrag": "tien"}, "bedrag", "Vul een getal in, bijvoorbeeld 12 of 12,50."),
    ({"akkoord": True, "bedrag": -5}, "bedrag", "Vul een waarde in van minimaal 0."),
    ({"akkoord": False, "bedrag": 0}, "reden", "Vul dit veld in."),
    ({"akkoord": True, "bedrag": 1, "reden": "x"}, "reden", "Dit veld hoort niet bij uw antwoorden. Laat het leeg."),
    ({"akkoord": True, "bedrag": 1, "bsn": "123"}, "bsn", "Dit veld hoort niet bij dit formulier."),
])
def test_wrong_form_data_is_refused_and_nothing_written(deployed, data, field, message):
    case_id = start(deployed)
    [intake] = deployed.tasks(case_id=case_id)
    before = database_snapshot(deployed)
    with pytest.raises(InvalidData) as err:
        deployed.complete(intake.id, data)
    assert err.value.by_field()[field] == message
    assert database_snapshot(deployed) == before
    assert deployed.tasks(case_id=case_id)[0].id == intake.id


def test_start_form_is_validated(deployed):
    before = database_snapshot(deployed)
    with pytest.raises(InvalidData) as err:
        deployed.start("aanvraag", {})
    assert err.value.by_field() == {"naam": "Vul dit veld in."}
    assert database_snapshot(deployed) == before


def test_task_without_form_completes_without_data(deployed):
    case_id = start(deployed)
    deployed.complete(deployed.tasks(case_id=case_id)[0].id, {"akkoord": True, "bedrag": 1})
    plan = deployed.tasks(case_id=case_id)[0]
    assert plan.form is None
    deployed.complete(plan.id)
    assert deployed.state(case_id).status == "completed"
