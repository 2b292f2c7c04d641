"""The inbox and overview queries (engine/store/inbox.py) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine import Engine, SequentialIds
from engine.store.inbox import InboxQuery, inbox_page, overview
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
