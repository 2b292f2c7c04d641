"""Engine.start_many: several cases in one transaction, all or none (the Belastingdienst list import)."""

from __future__ import annotations

import pytest

from engine.errors import InvalidData
from tests.conftest import MODELS


def test_every_case_is_started_with_its_own_number_and_walks_on(engine):
    engine.deploy([MODELS])
    started = engine.start_many("aanvraag", [{"naam": f"Demo Ouder {i}"} for i in range(3)], actor="coco")
    assert [number for _, number in started] == ["AA-2026-000001", "AA-2026-000002", "AA-2026-000003"]
    for case_id, _ in started:
        [intake] = engine.tasks(case_id=case_id)
        engine.complete(intake.id, {"akkoord": False, "bedrag": 0, "reden": "geen hulp nodig"}, actor="cas")
        assert engine.state(case_id).status == "completed"
    assert engine.verify()


def test_one_start_that_fails_leaves_no_case_and_no_number_behind(engine):
    engine.deploy([MODELS])
    with pytest.raises(InvalidData):
        engine.start_many("aanvraag", [{"naam": "Demo Ouder A"}, {"naam": "Demo Ouder B"}, {"naam": 12}],
                          actor="coco")
    assert engine.cases(process_id="aanvraag") == []
    assert engine.start("aanvraag", {"naam": "Demo Ouder C"}, actor="coco")
    assert [c.number for c in engine.cases(process_id="aanvraag")] == ["AA-2026-000001"]
