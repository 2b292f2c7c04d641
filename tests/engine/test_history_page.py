"""The facade's reads for pages: ``Engine.history_page`` (the newest events of a case a page at a time,
with the total count), ``case_view`` and ``task_and_form`` (what a page reads first, in one transaction).

Screens that show a case's history (the case page's timeline) read one page; a page holds at most
``limit`` events whatever the length of the history, and walking ``older`` visits every event once.
"""

from __future__ import annotations

import pytest

from engine import HistoryPage, UnknownCase, UnknownTask
from tests.engine.test_long_cases import LONG


def a_long_case(engine, rounds: int) -> str:
    engine.deploy([LONG])
    case_id = engine.start("lange_lus", {"limit": rounds + 5})
    for n in range(rounds):
        [task] = engine.tasks(case_id=case_id)
        engine.complete(task.id, {"verslag": f"ronde {n + 1}"}, actor="anna")
    return case_id


def test_pages_walk_the_whole_history_newest_first_and_never_exceed_the_limit(engine):
    case_id = a_long_case(engine, 12)
    everything = engine.history(case_id)
    page = engine.history_page(case_id, limit=7)
    assert isinstance(page, HistoryPage)
    assert page.total == len(everything) > 7
    seen = []
    while True:
        assert 0 < len(page.entries) <= 7
        assert [e.seq for e in page.entries] == sorted(e.seq for e in page.entries)
        seen = page.entries + seen
        if page.older is None:
            break
        assert page.older == page.entries[0].seq
        page = engine.history_page(case_id, before=page.older, limit=7)
    assert seen == everything


def test_the_newest_page_holds_the_latest_events(engine):
    case_id = a_long_case(engine, 3)
    everything = engine.history(case_id)
    page = engine.history_page(case_id, limit=2)
    assert page.entries == everything[-2:]
    assert page.older == everything[-2].seq
    whole = engine.history_page(case_id, limit=1000)
    assert whole.entries == everything and whole.older is None


def test_an_unknown_case_is_refused(engine):
    with pytest.raises(UnknownCase):
        engine.history_page("bestaat-niet")


def test_case_view_reads_state_tasks_and_a_history_page_as_the_separate_calls_do(engine):
    case_id = a_long_case(engine, 4)
    view = engine.case_view(case_id, limit=3)
    assert view.state == engine.state(case_id)
    assert view.tasks == engine.tasks(case_id=case_id)
    assert view.history == engine.history_page(case_id, limit=3)
    older = engine.case_view(view.state.number, before=view.history.older, limit=3)   # by case number too
    assert older.history == engine.history_page(case_id, before=view.history.older, limit=3)


def test_case_view_of_an_unknown_case_is_refused(engine):
    with pytest.raises(UnknownCase):
        engine.case_view("bestaat-niet")


def test_task_and_form_read_together_match_the_separate_calls(engine):
    case_id = a_long_case(engine, 1)
    [task] = engine.tasks(case_id=case_id)
    found, form = engine.task_and_form(task.id)
    assert found == engine.task(task.id) == task and form == engine.form(task.id)
    assert form is not None and form.fields[0].name == "verslag"
    with pytest.raises(UnknownTask):
        engine.task_and_form("bestaat-niet")
