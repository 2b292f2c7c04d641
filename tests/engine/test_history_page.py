"""The facade's reads for pages: ``Engine.history_page`` (the newest events of a case a page at a time,
with the total count), ``case_view`` and ``task_and_form`` (what a page reads first, in one transaction).

Screens that show a case's history (the case page's timeline) read one page; a page holds at most
``limit`` events whatever the length of the history, and walking ``older`` visits every event once.
"""

from __future__ import annotations

import pytest

from engine import CasePage, HistoryPage, UnknownCase, UnknownTask
from engine.accounts import save_user
from engine.runtime import TaskPage
from engine.store import TaskRow
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


def test_case_page_reads_what_the_separate_calls_read_in_one_transaction(engine):
    case_id = a_long_case(engine, 3)
    save_user(engine.store, "anna", "Anna de Vries", ["casemanager"], "lang-genoeg-en-geheim-2026")
    page = engine.case_page(engine.state(case_id).number, "coby", ["coordinator"], limit=3)    # by case number
    assert isinstance(page, CasePage) and page.case_id == case_id and page.access == "coordinator"
    assert page.view == engine.case_view(case_id, limit=3)
    assert page.timers == engine.timers(case_id=case_id)
    assert page.completed == engine.completed_elements(case_id) == ["contact"]
    assert page.people == {"anna": "Anna de Vries"}
    assert page.process_name == {p["id"]: p["name"] for p in engine.processes()}["lange_lus"]
    assert page.casemanager == engine.casemanager(case_id)
    older = engine.case_page(case_id, "coby", ["coordinator"], before=page.view.history.older, limit=3)
    assert older.view.history == engine.history_page(case_id, before=page.view.history.older, limit=3)


def test_case_page_follows_need_to_know_and_reads_nothing_else_without_it(engine):
    case_id = a_long_case(engine, 1)
    team = engine.case_page(case_id, "carla", ["casemanager"])      # the open task is for her team
    assert team.access == engine.case_access(case_id, "carla", ["casemanager"]) == "team"
    refused = engine.case_page(case_id, "sam", ["specialist"])
    assert engine.case_access(case_id, "sam", ["specialist"]) is None
    assert refused == CasePage(case_id, engine.state(case_id).number, None)
    assert refused.view is None and refused.people == {} and refused.completed == []
    with pytest.raises(UnknownCase):
        engine.case_page("bestaat-niet", "coby", ["coordinator"])


def test_completed_elements_are_each_element_once_however_often_and_only_the_cases_own(engine):
    """The skip scan over (case, state, element): every completed element once, sorted; open or cancelled
    tasks and other cases' tasks do not count."""
    case_id, other = a_long_case(engine, 2), a_long_case(engine, 1)
    at = engine.clock.now()
    rows = [(case_id, "b", "completed"), (case_id, "a", "completed"), (case_id, "b", "completed"),
            (case_id, "d", "open"), (case_id, "e", "cancelled"), (other, "z", "completed")]
    with engine.store.write() as tx:
        for n, (case, name, state) in enumerate(rows):
            tx.session.add(TaskRow(id=f"extra-{n}", case_id=case, process_id="lange_lus", name=name, title=name,
                                   role=None, candidate_users="", assignee=None, form=None, state=state,
                                   created_at=at))
    assert engine.completed_elements(case_id) == ["a", "b", "contact"]
    assert engine.completed_elements(other) == ["contact", "z"]


def test_task_page_reads_task_form_work_scope_and_need_to_know_together(engine):
    case_id = a_long_case(engine, 1)
    [task] = engine.tasks(case_id=case_id)
    page = engine.task_page(task.id, "carla", ["casemanager"])
    assert isinstance(page, TaskPage)
    assert (page.task, page.form) == engine.task_and_form(task.id)
    assert page.scope == engine.teams.scope("carla", ["casemanager"])
    assert page.access == engine.case_access(case_id, "carla", ["casemanager"]) == "team"
    assert engine.task_page(task.id, "sam", ["specialist"]).access is None          # not the case's team
    assert engine.task_page(task.id, "carla", ["casemanager"], case_access=False).access is None
    with pytest.raises(UnknownTask):
        engine.task_page("bestaat-niet", "carla", ["casemanager"])
