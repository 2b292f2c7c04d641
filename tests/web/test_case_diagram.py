"""'Waar staat de zaak?': a boundary timer is not a step, its due time is said with the step; the
diagram gets the completed steps and lanes named after Dutch teams."""

from __future__ import annotations

import json
import re
from html import unescape

from tests.conftest import ROOT

from .conftest import text


def test_a_boundary_timer_is_not_the_current_step_and_its_due_time_is_said(as_user, engine):
    engine.deploy([ROOT / "tests" / "engine" / "timer_models" / "timer_terugbellen.bpmn"])
    case_id = engine.start("timer_terugbellen", {}, actor="cas")
    assert set(engine.state(case_id).active) >= {"terugbellen", "te_laat"}       # the engine waits on both
    page = as_user("cas").get(f"/zaken/{case_id}")
    body = text(page)
    # the clock says 5 January 2026, 10:00 local time; the first timer on the step is due 8 hours later
    assert "Nu bij: Ouder terugbellen : uiterlijk 5 januari 2026, 18:00" in body      # (tags read as spaces)
    assert "24 uur voorbij" not in body and "Na 8 uur" not in body
    active = json.loads(unescape(re.search(r"data-active='([^']*)'", page.text).group(1)))
    assert active == ["terugbellen"]


def test_the_diagram_knows_the_completed_steps(as_user, engine):
    case_id = engine.start("aanvraag", {"naam": "Demo Ouder 1"}, actor="cas")
    engine.complete(engine.tasks(case_id=case_id)[0].id, {"akkoord": True, "bedrag": 5}, actor="cas")
    page = as_user("cas").get(f"/zaken/{case_id}")
    assert json.loads(unescape(re.search(r"data-done='([^']*)'", page.text).group(1))) == ["intake"]
    assert 'aria-label="Diagram bekijken"' in page.text and ">Inzoomen</button>" in page.text


def test_lanes_are_named_after_teams(as_user, engine):
    case_id = engine.start("aanvraag", {"naam": "Demo Ouder 1"}, actor="cas")
    xml = as_user("cas").get(f"/zaken/{case_id}/diagram.bpmn").text
    assert 'name="Casemanager"' in xml and 'name="Specialist"' in xml and 'name="casemanager"' not in xml


def test_a_subprocess_with_an_active_step_is_its_phase():
    from types import SimpleNamespace

    from web.diagram import current_steps

    class Spec:
        def __init__(self, name):
            self.bpmn_name, self.inputs = name, ()

    inner = SimpleNamespace(task_specs={"teken": Spec("Plan laten ondertekenen")})
    version = SimpleNamespace(spec=SimpleNamespace(task_specs={"fase": Spec("Plan van aanpak maken")}),
                              subprocess_specs={"fase": inner})
    steps = current_steps(version, ["fase", "teken"], [])
    assert [(s.title, s.phase) for s in steps] == [("Plan laten ondertekenen", "Plan van aanpak maken")]
