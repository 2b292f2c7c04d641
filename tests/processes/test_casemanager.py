"""One fixed casemanager per household (004 §3 "vast contactpersoon/casemanager per huishouden"; 002 "De
meitinker voert gedurende het hele traject de regie"): the case's next casemanager tasks go to that person,
the coordinator can hand the whole case over."""

from __future__ import annotations

import pytest

from engine.casemanagers import NotACasemanager
from engine.errors import UnknownUser

from .test_hersteloperatie import HULP, START_LIJST, VOORBEREIDING, kennismaking


def test_whoever_takes_the_first_contact_holds_the_case(flow):
    flow.start("hersteloperatie", START_LIJST, actor="coco")
    assert flow.task("Task_ContactOpnemen").assignee is None          # the team's queue, until someone calls
    assert flow.eng.casemanager(flow.case_id) is None
    flow.do("Task_ContactOpnemen", HULP, actor="anna")
    assert flow.eng.casemanager(flow.case_id) == "anna"
    assert flow.task("Task_KennismakingVoorbereiden").assignee == "anna"
    flow.do("Task_KennismakingVoorbereiden", VOORBEREIDING, actor="anna")
    assert flow.task("Task_Kennismakingsgesprek").assignee == "anna"
    flow.do("Task_Kennismakingsgesprek", kennismaking(dreigende_huisuitzetting=True), actor="anna")
    assert {t: flow.task(t).assignee for t in flow.open()} == {"Task_CrisisAanpakken": "anna",
                                                               "Task_Intakegesprek": "anna"}
    [event] = [e for e in flow.eng.history(flow.case_id) if e.payload.get("casemanager")]
    assert (event.type, event.payload["element"], event.actor) == ("task_completed", "Task_ContactOpnemen", "anna")
    assert flow.verified()


def test_specialist_tasks_stay_with_the_specialists(flow):
    from .test_hersteloperatie import to_uitvoering
    to_uitvoering(flow, leefgebieden=("wonen",))
    assert flow.task("Task_HulpWonen").assignee is None
    assert flow.task("Task_DriegesprekBespreken").assignee == "anna"


def test_the_coordinator_hands_a_whole_case_over(flow):
    flow.start("hersteloperatie", START_LIJST)
    flow.do("Task_ContactOpnemen", HULP, actor="anna")
    flow.do("Task_KennismakingVoorbereiden", VOORBEREIDING, actor="anna")
    flow.do("Task_Kennismakingsgesprek", kennismaking(ernstige_zorg_jeugd=True), actor="anna")
    moved = flow.eng.hand_over(flow.state.number, "bram", actor="coco", reason="Anna met verlof")
    assert len(moved) == 2
    assert {flow.task(t).assignee for t in flow.open()} == {"bram"}
    assert flow.eng.casemanager(flow.case_id) == "bram"
    flow.do("Task_CrisisAanpakken", {"crisis_acties_genomen": ["wijkteam_jeugd"], "crisis_afgewend": True},
            actor="bram")
    flow.do("Task_Intakegesprek", {**_intake(), "intake_compleet": False}, actor="bram")
    assert flow.task("Task_Intakegesprek").assignee == "bram"            # the next ones follow the new holder
    [event] = [e for e in flow.eng.history(flow.case_id) if e.type == "case_handed_over"]
    assert event.payload["from"] == "anna" and event.payload["to"] == "bram"
    assert event.payload["reason"] == "Anna met verlof" and event.actor == "coco"
    assert flow.verified()


def test_a_coordinator_may_appoint_the_casemanager_before_the_first_contact(flow):
    flow.start("hersteloperatie", START_LIJST)
    flow.eng.hand_over(flow.case_id, "bram", actor="coco")
    assert flow.task("Task_ContactOpnemen").assignee == "bram"
    flow.do("Task_ContactOpnemen", HULP, actor="bram")
    assert flow.task("Task_KennismakingVoorbereiden").assignee == "bram"


def test_a_case_is_handed_only_to_someone_who_can_hold_it(engine):
    from engine.store import UserRow

    from .conftest import Flow

    with engine.store.write() as tx:
        tx.save_user(UserRow(username="sam", name="Sam", password_hash="x", roles="specialist", active=True))
        tx.save_user(UserRow(username="cas", name="Cas", password_hash="x", roles="casemanager", active=True))
    flow = Flow(engine, restore=False)
    flow.start("hersteloperatie", START_LIJST)
    with pytest.raises(NotACasemanager):
        engine.hand_over(flow.case_id, "sam", actor="coco")
    with pytest.raises(UnknownUser):
        engine.hand_over(flow.case_id, "niemand", actor="coco")
    assert engine.casemanager(flow.case_id) is None
    assert [e.type for e in engine.history(flow.case_id)].count("case_handed_over") == 0
    engine.hand_over(flow.case_id, "cas", actor="coco")
    assert engine.casemanager(flow.case_id) == "cas"


def _intake():
    from .test_hersteloperatie import intake
    return intake()
