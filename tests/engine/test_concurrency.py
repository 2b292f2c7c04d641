"""One writer per case: two people completing the same task at once — one wins, the other is told."""

from __future__ import annotations

import threading

import pytest

from engine import ConflictError, Engine, ManualClock, SequentialIds
from tests.conftest import MODELS


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


@pytest.mark.parametrize("rounds", [5])
def test_stale_cache_is_never_used(db_url, rounds):
    """An engine whose cached workflow is outdated (another worker moved the case) reloads it."""
    a = Engine.from_url(db_url, clock=ManualClock(), ids=SequentialIds("a"))
    b = Engine.from_url(db_url, clock=ManualClock(), ids=SequentialIds("b"))
    a.deploy([MODELS])
    for i in range(rounds):
        case_id = a.start("aanvraag", {"naam": f"Bewoner {i}"})
        task = a.tasks(case_id=case_id)[0]
        b.claim(task.id, "bram")
        a.complete(task.id, {"akkoord": True, "bedrag": 1})
        assert a.verify(case_id)
    a.store.dispose()
    b.store.dispose()
