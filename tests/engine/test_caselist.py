"""The case list query on both stores: mine, team, all, status, search, paging."""

from __future__ import annotations

from engine.store.caselist import CaseQuery
from tests.conftest import MODELS


def test_case_list_views_status_search_and_paging(engine):
    engine.deploy([MODELS])
    a = engine.start("aanvraag", {"naam": "Demo 100%_Een"}, actor="anna")
    b = engine.start("aanvraag", {"naam": "Demo Twee"}, actor="bert")
    engine.complete(engine.tasks(case_id=b)[0].id, {"akkoord": True, "bedrag": 10}, actor="anna")

    def ids(**kwargs):
        rows, total = engine.case_list(CaseQuery(**{"status": None, **kwargs}))
        assert total == len(rows)
        return {r.id for r in rows}

    assert ids(view="mine", user="anna") == {a, b}            # started one, completed a task in the other
    assert ids(view="mine", user="bert") == {b}
    assert ids(view="team", roles=("specialist",)) == {b}     # the plan task is the specialist's
    assert ids(view="all", status="running") == {a, b}
    assert ids(view="all", search="100%_") == {a}             # wildcards are searched for literally
    assert ids(view="all", search=a[:8]) == {a}
    rows, total = engine.case_list(CaseQuery(view="all", status=None), limit=1, offset=0)
    assert len(rows) == 1 and total == 2 and rows[0].open_tasks == 1
