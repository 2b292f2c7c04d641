"""One writer per case: two people completing the same task at once — one wins, the other is told."""

from __future__ import annotations

import threading
from pathlib import Path

from engine import ConflictError, Engine, ManualClock, SequentialIds
from tests.conftest import MODELS

TIMER_MODELS = Path(__file__).resolve().parent / "timer_models"


def test_two_threads_complete_the_same_task(db_url):
    setup = Engine.from_url(db_url, clock=ManualClock(), ids=SequentialIds("setup"))
    setup.deploy([MODELS])
    case_id = setup.start("aanvraag", {"naam": "Fictieve Bewoner"})
    task_id = setup.tasks(case_id=case_id)[0].id
    # Two engines, as two web workers would be: neither sees the other's memory.
    engines = [Engine.from_url(db_url, clock=ManualClock(), ids=SequentialIds(f"w{i}")) for i in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[object] = [None, None]

    def work(i: int) -> None:
        barrier.wait()
        try:
            outcomes[i] = engines[i].complete(task_id, {"akkoord": True, "bedrag": i}, actor=f"user{i}")
        except ConflictError as err:
            outcomes[i] = err

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    errors = [o for o in outcomes if isinstance(o, ConflictError)]
    wins = [o for o in outcomes if o is not None and not isinstance(o, ConflictError)]
    assert len(wins) == 1 and len(errors) == 1, outcomes
    assert "staat niet meer open" in str(errors[0]) or "net door iemand anders gewijzigd" in str(errors[0])
    history = setup.history(case_id)
    assert [e.type for e in history].count("task_completed") == 1
    assert setup.verify(case_id)
    for eng in [setup, *engines]:
        eng.store.dispose()


def test_a_cached_workflow_of_an_older_revision_is_not_used(db_url):
    """Engine A keeps the case in memory; engine B (another worker) fires a timer on it; A then completes
    the task. A must see B's step: with the revision check on the cache gone, A would write a state
    without the fired reminder, and replaying the events would no longer rebuild what is stored."""
    clock = ManualClock("2026-01-05T09:00:00+00:00")
    a = Engine.from_url(db_url, clock=clock, ids=SequentialIds("a"))
    b = Engine.from_url(db_url, clock=clock, ids=SequentialIds("b"))
    a.deploy([TIMER_MODELS / "timer_terugbellen.bpmn"])
    case_id = a.start("timer_terugbellen", {})
    [task] = a.tasks(case_id=case_id)
    clock.advance(hours=9)                                   # the 8-hour reminder is due
    assert b.fire_due_timers() == 1
    a.complete(task.id, {}, actor="anna")
    assert [e.type for e in a.history(case_id)] == ["case_started", "timers_due", "timer_fired", "task_completed",
                                                    "case_completed"]
    assert a.state(case_id).status == "completed"
    assert a.verify(case_id), a.verify(case_id).problems
    a.store.dispose()
    b.store.dispose()


def test_a_case_row_written_since_it_was_read_is_refused_and_nothing_is_stored(db_url):
    """The revision check of the case UPDATE itself (``WHERE id = … AND revision = …``): the row locks keep a
    second writer out today, so simulate one that got in between the read and the write. Without the
    check the step would overwrite the other writer's case row."""
    import pytest
    from sqlalchemy import update

    from engine.errors import CaseChanged
    from engine.store import CaseRow

    eng = Engine.from_url(db_url, clock=ManualClock("2026-01-05T09:00:00+00:00"), ids=SequentialIds())
    eng.deploy([MODELS])
    case_id = eng.start("aanvraag", {"naam": "Fictieve Bewoner"}, actor="anna")
    table = CaseRow.__table__
    with eng.store.read() as tx:
        before = tx.case(case_id)
    with pytest.raises(CaseChanged):
        with eng.store.write() as tx:
            case = tx.case(case_id)
            tx.session.connection().execute(
                update(table).where(table.c.id == case_id).values(revision=table.c.revision + 1))   # the other writer
            case.subject = "Overschreven"
            tx.save_case(case)
    with eng.store.read() as tx:
        after = tx.case(case_id)
    assert (after.subject, after.revision) == (before.subject, before.revision)
    eng.store.dispose()
