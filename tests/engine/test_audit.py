"""The hash chain and replay: tampering is found and named; replay rebuilds the stored state."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, update

from engine.cases import normalise
from engine.spiff import dump_instance
from engine.store.models import EventRow
from tests.conftest import MODELS


@pytest.fixture
def case(engine):
    engine.deploy([MODELS])
    case_id = engine.start("aanvraag", {"naam": "Fictieve Bewoner"}, actor="anna")
    engine.complete(engine.tasks(case_id=case_id)[0].id, {"akkoord": True, "bedrag": 5}, actor="anna")
    return case_id


def test_verify_passes_on_an_untouched_case(engine, case):
    result = engine.verify(case)
    assert result and result.problems == []
    assert str(engine.verify()) == "1 zaak/zaken gecontroleerd: alles klopt."


def test_tampered_event_is_named(engine, case):
    with engine.store.write() as tx:
        tx.session.execute(update(EventRow).where(EventRow.case_id == case, EventRow.seq == 2)
                           .values(payload='{"data":{"akkoord":true,"bedrag":5000}}'))
    result = engine.verify(case)
    assert not result
    assert (f"zaak {case}, tabel case_events, kolom payload, event 2: de inhoud is gewijzigd na het opslaan "
            "(hash klopt niet)") in result.problems
    assert case in str(engine.verify())


def test_removed_last_event_is_found(engine, case):
    with engine.store.write() as tx:
        tx.session.execute(delete(EventRow).where(EventRow.case_id == case, EventRow.seq == 3))
    result = engine.verify(case)
    assert not result
    assert (f"zaak {case}, tabel cases, kolom last_hash, event 2: het laatste event is 2, maar de zaak verwijst "
            "naar event 3 (events verwijderd of toegevoegd?)") in result.problems


def test_replay_rebuilds_the_stored_state(engine, case):
    live = engine.replay(case)
    with engine.store.read() as tx:
        import json

        stored = json.loads(tx.case(case).state)
    assert normalise(dump_instance(live.workflow)) == stored


def test_replay_to_an_earlier_point(engine, case):
    live = engine.replay(case, up_to=1)
    ready = [t.task_spec.bpmn_id for t in live.workflow.tasks.values() if t.state == 16]  # READY
    assert ready == ["intake"]


def test_state_comparison_ignores_the_order_of_deleted_keys():
    from engine.spiff import canonical_state

    def state(deletions):
        return {"tasks": {"t": {"delta": {"updates": {}, "deletions": deletions}}}, "subprocesses": {}}

    assert canonical_state(state(["b", "a"])) == canonical_state(state(["a", "b"]))
