"""The facade the web app uses: plain values back, and a completion that takes its draft along."""

from __future__ import annotations

import dataclasses

import pytest

from engine import InvalidData, TaskNotReady
from engine.queries import Colleague, Draft, InboxQuery, Overview
from tests.conftest import MODELS
from tests.snapshot import database_snapshot


@pytest.fixture
def deployed(engine):
    engine.deploy([MODELS])
    return engine


def open_task(engine):
    case_id = engine.start("aanvraag", {"naam": "Fictieve Bewoner"}, actor="anna")
    [task] = engine.tasks(case_id=case_id)
    return task


def test_completing_a_task_deletes_its_draft_in_the_same_commit(deployed):
    task = open_task(deployed)
    deployed.save_draft(task.id, {"bedrag": "12,5"}, "anna")
    saved = deployed.draft(task.id)
    assert isinstance(saved, Draft) and saved.values == {"bedrag": "12,5"} and saved.saved_by == "anna"
    deployed.complete(task.id, {"akkoord": True, "bedrag": 12}, actor="anna")
    assert deployed.draft(task.id) is None


def test_a_refused_completion_keeps_the_draft_and_writes_nothing(deployed):
    task = open_task(deployed)
    deployed.save_draft(task.id, {"bedrag": "tien"}, "anna")
    before = database_snapshot(deployed)
    with pytest.raises(InvalidData):
        deployed.complete(task.id, {"akkoord": True, "bedrag": "tien"}, actor="anna")
    assert database_snapshot(deployed) == before
    assert deployed.draft(task.id).values == {"bedrag": "tien"}


def test_a_draft_of_a_closed_task_is_refused(deployed):
    task = open_task(deployed)
    deployed.complete(task.id, {"akkoord": True, "bedrag": 12}, actor="anna")
    before = database_snapshot(deployed)
    with pytest.raises(TaskNotReady):
        deployed.save_draft(task.id, {"bedrag": "1"}, "bram")
    assert database_snapshot(deployed) == before
    assert deployed.task(task.id).completed_by == "anna"


def test_pages_get_plain_values_not_rows(deployed, clock):
    task = open_task(deployed)
    deployed.claim(task.id, "anna")
    rows, total = deployed.inbox(InboxQuery(view="mine", user="anna"), clock.now())
    assert total == 1 and [r.task_id for r in rows] == [task.id]
    assert all(dataclasses.is_dataclass(r) for r in rows)
    overview = deployed.overview()
    assert isinstance(overview, Overview) and overview.cases == [("aanvraag", "running", 1)]
    assert overview.stages == [("aanvraag", "intake", "Intake doen", 1, 0)]
    assert all(isinstance(c, Colleague) for c in deployed.colleagues())
