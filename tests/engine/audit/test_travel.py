"""Time travel: the case after any event, with finished elements, taken flows and active tokens."""

from __future__ import annotations

import pytest

from engine.audit.travel import NoSuchEvent, TimeTravel
from engine.errors import UnknownCase
from tests.conftest import MODELS


@pytest.fixture
def case(engine):
    engine.deploy([MODELS])
    case_id = engine.start("aanvraag", {"naam": "Fictieve Bewoner"}, actor="anna")
    engine.complete(engine.tasks(case_id=case_id)[0].id, {"akkoord": True, "bedrag": 5}, actor="anna")
    engine.complete(engine.tasks(case_id=case_id)[0].id, {}, actor="sam")
    return case_id


def test_the_case_after_the_start(engine, case):
    at = engine.case_at(case, 1)
    assert (at.seq, at.last, at.status, at.active, at.subject) == (1, 5, "running", ["intake"], "Fictieve Bewoner")
    assert at.finished == ["start"] and at.taken_flows == ["f1"]
    assert [t["name"] for t in at.open_tasks] == ["intake"]
    assert at.data["naam"] == "Fictieve Bewoner" and at.event.type == "case_started"


def test_the_case_after_the_gateway_took_the_yes_flow(engine, case):
    at = engine.case_at(case, 2)
    assert at.active == ["plan"] and at.finished == ["start", "intake", "gw"]
    assert at.taken_flows == ["f1", "f2", "f_ja"]
    assert at.data["bedrag"] == 5


def test_the_end(engine, case):
    at = engine.case_at(case, 5)
    assert at.status == "completed" and at.active == [] and at.open_tasks == []
    assert at.finished[-1] == "end_klaar" and at.taken_flows[-1] == "f3"


def test_checkpoints_give_the_same_answer_as_a_full_replay(engine, case):
    travel = TimeTravel(engine, every=1)
    first = [travel.at(case, n) for n in range(1, 6)]          # builds a checkpoint at every event
    again = [travel.at(case, n) for n in (3, 1, 5, 2, 4)]       # restores from them
    assert sorted(again, key=lambda m: m.seq) == first
    assert [m.seq for m in travel.walk(case)] == [1, 2, 3, 4, 5]
    assert travel.walk(case) == first


@pytest.mark.parametrize("seq", [0, 6])
def test_an_event_that_does_not_exist(engine, case, seq):
    with pytest.raises(NoSuchEvent, match="Kies een event van 1 tot en met 5"):
        engine.case_at(case, seq)


def test_an_unknown_case(engine):
    with pytest.raises(UnknownCase):
        engine.case_at("nee", 1)
