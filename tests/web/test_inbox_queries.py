"""The inbox and overview queries (engine/store/inbox.py) on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import and_, case, func, insert, select, update

from engine import Engine, SequentialIds
from engine.store import CaseRow, TaskRow
from engine.store import overview as overview_counts
from engine.store.inbox import InboxQuery, inbox_page, overview
from engine.store.models import AssigneeTotalRow, OpenTaskCountRow, StageTotalRow
from engine.store.overview import compact, needs_compacting
from tests.conftest import MODELS


@pytest.fixture
def eng(db_url, clock):
    eng = Engine.from_url(db_url, clock=clock, ids=SequentialIds())
    eng.deploy([MODELS])
    yield eng
    eng.store.dispose()


def page(eng, limit=25, offset=0, **query):
    now = eng.clock.now()
    with eng.store.read() as tx:
        return inbox_page(tx, InboxQuery(**query), now, now + timedelta(hours=8), limit, offset)


def test_views_order_paging_and_count(eng, clock):
    ids = []
    for i in range(5):
        ids.append(eng.start("aanvraag", {"naam": f"Demo Ouder {i}"}, actor="cas"))
        clock.advance(hours=1)
    eng.claim(eng.tasks(case_id=ids[3])[0].id, "cas")
    rows, total = page(eng, view="all")
    assert total == 5 and [r.subject for r in rows] == [f"Demo Ouder {i}" for i in range(5)]   # earliest due first
    rows, total = page(eng, view="mine", user="cas")
    assert total == 1 and rows[0].case_id == ids[3] and rows[0].assignee == "cas"
    rows, total = page(eng, view="team", roles=("specialist",))
    assert total == 0
    rows, total = page(eng, limit=2, offset=2, view="team", roles=("casemanager",))
    assert total == 5 and [r.subject for r in rows] == ["Demo Ouder 2", "Demo Ouder 3"]


def test_a_team_of_several_roles_is_merged_in_order_and_pages(eng, clock):
    ids = []
    for i in range(6):
        ids.append(eng.start("aanvraag", {"naam": f"Demo Ouder {i}"}, actor="cas"))
        clock.advance(hours=1)
    for case_id in ids[1::2]:                                   # cases 1, 3, 5 move on to the specialist
        eng.complete(eng.tasks(case_id=case_id)[0].id, {"akkoord": True, "bedrag": 5}, actor="cas")
        clock.advance(minutes=1)
    roles = ("casemanager", "specialist")
    rows, total = page(eng, limit=4, view="team", roles=roles)
    assert total == 6 and [r.subject for r in rows] == ["Demo Ouder 0", "Demo Ouder 2", "Demo Ouder 4", "Demo Ouder 1"]
    rows, total = page(eng, limit=4, offset=4, view="team", roles=roles)
    assert total == 6 and [r.subject for r in rows] == ["Demo Ouder 3", "Demo Ouder 5"]
    assert [r.subject for r in page(eng, view="team", roles=roles, search="ouder 3")[0]] == ["Demo Ouder 3"]


def test_search_is_case_insensitive_and_escapes_wildcards(eng):
    first = eng.start("aanvraag", {"naam": "Demo Ouder_1"}, actor="cas")
    eng.start("aanvraag", {"naam": "Demo Ouder 2"}, actor="cas")
    assert [r.subject for r in page(eng, view="all", search="ouder_")[0]] == ["Demo Ouder_1"]
    assert len(page(eng, view="all", search="OUDER")[0]) == 2
    assert [r.case_id for r in page(eng, view="all", search=first[:6])[0]] == [first]


def test_overview(eng, clock):
    ids = [eng.start("aanvraag", {"naam": f"Demo Ouder {i}"}, actor="cas") for i in range(3)]
    eng.complete(eng.tasks(case_id=ids[0])[0].id, {"akkoord": True, "bedrag": 5}, actor="cas")
    eng.claim(eng.tasks(case_id=ids[1])[0].id, "cas")
    clock.advance(days=3)
    with eng.store.read() as tx:
        data = overview(tx, clock.now())
    assert data["cases"] == [("aanvraag", "running", 3)]
    assert sorted(data["stages"]) == [("aanvraag", "intake", "Intake doen", 2, 2), ("aanvraag", "plan", "Plan maken", 1, 0)]
    assert sorted(data["workload"], key=str) == sorted([(None, 2, 1), ("cas", 1, 1)], key=str)
    assert data["overdue_total"] == 2 and len(data["overdue"]) == 2


def direct_counts(tx, now):
    """The overview's counts straight from every task and case row: what the projection must equal."""
    late = case((and_(TaskRow.due_at.is_not(None), TaskRow.due_at < now), 1), else_=0)
    stages = tx.session.execute(select(TaskRow.process_id, TaskRow.name, TaskRow.title, func.count(), func.sum(late))
                                .where(TaskRow.state == "open").group_by(TaskRow.process_id, TaskRow.name, TaskRow.title))
    workload = tx.session.execute(select(TaskRow.assignee, func.count(), func.sum(late))
                                  .where(TaskRow.state == "open").group_by(TaskRow.assignee))
    cases = tx.session.execute(select(CaseRow.process_id, CaseRow.status, func.count())
                               .group_by(CaseRow.process_id, CaseRow.status))
    overdue = tx.session.scalar(select(func.count()).where(TaskRow.state == "open", TaskRow.due_at < now))
    escalations = tx.session.scalar(select(func.count()).where(TaskRow.state == "open", TaskRow.role == "coordinator"))
    return (sorted((p, n, t, c, int(x)) for p, n, t, c, x in stages), sorted(((w, c, int(x)) for w, c, x in workload), key=str),
            sorted(cases), overdue, escalations)


def projected(tx, now):
    data = overview(tx, now)
    return (sorted(data["stages"]), sorted(data["workload"], key=str), sorted(data["cases"]), data["overdue_total"],
            data["escalations_total"])


def test_overview_counts_follow_every_change_of_tasks_and_cases_and_survive_folding(eng, clock):
    """The counts come from trigger-kept deltas (engine/store/overview.py): after starts, claims, assigning,
    giving back, completing, a case that ends, due dates moved (today before and after now, none) and rows
    written in bulk past the ORM, they equal a count over every row; folding the deltas changes nothing."""
    ids = [eng.start("aanvraag", {"naam": f"Demo Ouder {i}"}, actor="cas") for i in range(6)]
    eng.complete(eng.tasks(case_id=ids[0])[0].id, {"akkoord": False, "bedrag": 1, "reden": "Geen zin"}, actor="cas")
    eng.complete(eng.tasks(case_id=ids[1])[0].id, {"akkoord": True, "bedrag": 5}, actor="cas")
    eng.claim(eng.tasks(case_id=ids[2])[0].id, "cas")
    eng.assign(eng.tasks(case_id=ids[3])[0].id, "carla", actor="coby")
    eng.claim(eng.tasks(case_id=ids[4])[0].id, "cas")
    eng.unclaim(eng.tasks(case_id=ids[4])[0].id, actor="cas")
    clock.advance(days=3, hours=5)
    now = clock.now()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    with eng.store.write() as tx:        # today before now (overdue), today after now (not yet), no due date
        for case_id, due in ((ids[2], midnight + timedelta(minutes=1)), (ids[3], now + timedelta(minutes=5)),
                             (ids[5], None)):
            tx.session.execute(update(TaskRow).where(TaskRow.case_id == case_id, TaskRow.state == "open").values(due_at=due))
    with eng.store.read() as tx:
        source = tx.session.execute(select(TaskRow.__table__).where(TaskRow.case_id == ids[2])).mappings().first()
    with eng.store.write() as tx:        # a task row written in bulk, as bench/generate_data.py does
        tx.session.execute(insert(TaskRow.__table__), [{**source, "id": "bulk-1", "assignee": "sam"}])
        tx.session.execute(update(TaskRow).where(TaskRow.case_id == ids[5], TaskRow.state == "open")
                           .values(role="coordinator"))           # an escalation
    with eng.store.read() as tx:
        expected = direct_counts(tx, now)
        assert projected(tx, now) == expected
        assert expected[4] == 1 and expected[3] == 3 and ("cas", 1, 1) in expected[1] and ("sam", 1, 1) in expected[1]   # due today, passed
        assert ("carla", 1, 0) in expected[1] and ("aanvraag", "completed", 1) in expected[2]        # due later today
        assert ("aanvraag", "completed", 1) in expected[2]
    with eng.store.write() as tx:
        compact(tx)
    with eng.store.read() as tx:
        assert projected(tx, now) == expected
        assert tx.session.scalar(select(func.count()).select_from(OpenTaskCountRow)) == 0
        open_tasks = tx.session.execute(select(TaskRow.process_id, TaskRow.name, TaskRow.title, TaskRow.role,
                                               TaskRow.assignee, TaskRow.due_at).where(TaskRow.state == "open")).all()
        assert tx.session.scalar(select(func.count()).select_from(StageTotalRow)) == len(      # one row per key
            {(p, n, t, r, str(d)[:10]) for p, n, t, r, _, d in open_tasks})
        assert tx.session.scalar(select(func.count()).select_from(AssigneeTotalRow)) == len(
            {(w, str(d)[:10]) for *_, w, d in open_tasks})
        assert not needs_compacting(tx)
    eng.complete(eng.tasks(case_id=ids[3])[0].id, {"akkoord": True, "bedrag": 5}, actor="carla")
    with eng.store.read() as tx:         # deltas after a fold add up with the folded rows
        assert projected(tx, now) == direct_counts(tx, now)
    with eng.store.write() as tx:        # carla's only task is done: her total comes to 0 and goes
        compact(tx)
    with eng.store.read() as tx:
        assert projected(tx, now) == direct_counts(tx, now)
        open_tasks = tx.session.execute(select(TaskRow.assignee, TaskRow.due_at).where(TaskRow.state == "open")).all()
        assert tx.session.scalar(select(func.count()).select_from(AssigneeTotalRow)) == len(
            {(w, str(d)[:10]) for w, d in open_tasks})


def test_the_overview_folds_its_deltas_when_they_pile_up(eng, monkeypatch):
    monkeypatch.setattr(overview_counts, "COMPACT_AFTER", 3)
    for i in range(4):
        eng.claim(eng.tasks(case_id=eng.start("aanvraag", {"naam": f"Demo Ouder {i}"}, actor="cas"))[0].id, "cas")
    with eng.store.read() as tx:
        before = tx.session.scalar(select(func.count()).select_from(OpenTaskCountRow))
        assert needs_compacting(tx)
    data = eng.overview()
    assert data.stages == [("aanvraag", "intake", "Intake doen", 4, 0)] and data.workload == [("cas", 4, 0)]
    with eng.store.read() as tx:
        assert tx.session.scalar(select(func.count()).select_from(OpenTaskCountRow)) < before
    assert eng.overview() == data


def test_a_fold_that_finds_another_fold_running_leaves_the_deltas_to_it_and_steps_go_on(eng, db_url, clock):
    """PostgreSQL: a second fold does not wait for the first one's rows (the advisory lock), a step during a
    fold keeps its delta for the next fold, and the counts are exact throughout."""
    if eng.store.is_sqlite:
        pytest.skip("SQLite has one writer at a time: two folds cannot overlap")
    ids = [eng.start("aanvraag", {"naam": f"Demo Ouder {i}"}, actor="cas") for i in range(3)]
    other = Engine.from_url(db_url, clock=clock, ids=SequentialIds("other"))
    outcome: list = []

    def second_fold_and_a_step():
        with other.store.write() as tx:
            outcome.append(compact(tx))
        other.claim(other.tasks(case_id=ids[0])[0].id, "cas")
        outcome.append("claimed")

    try:
        with eng.store.write() as tx:
            assert compact(tx)          # holds its lock and the rows it took until it commits
            worker = threading.Thread(target=second_fold_and_a_step)
            worker.start()
            worker.join(timeout=30)
            assert outcome == [False, "claimed"]
        with eng.store.read() as tx:
            assert tx.session.scalar(select(func.count()).select_from(OpenTaskCountRow)) == 2   # the claim's -1 / +1
            assert projected(tx, clock.now()) == direct_counts(tx, clock.now())
        with eng.store.write() as tx:
            assert compact(tx)
        with eng.store.read() as tx:
            assert projected(tx, clock.now()) == direct_counts(tx, clock.now())
            assert ("cas", 1, 0) in projected(tx, clock.now())[1]
    finally:
        worker.join(timeout=30)
        other.store.dispose()
