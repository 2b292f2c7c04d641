"""The case page names the case's casemanager; the coordinator hands a whole case over (and only they may)."""

from __future__ import annotations

import pytest

from .conftest import flashes, text


@pytest.fixture
def case(engine):
    case_id = engine.start("aanvraag", {"naam": "Demo Ouder"}, actor="coby")
    return case_id


def test_the_case_page_names_the_casemanager_and_the_coordinator_hands_over(engine, case, as_user):
    coby = as_user("coby")
    assert "Nog niet bekend" in text(coby.get(f"/zaken/{case}"))
    response = coby.post(f"/zaken/{case}/overdragen", {"collega": "carla", "reden": "Cas met verlof"})
    assert response.status_code == 302
    page = coby.get(f"/zaken/{case}")
    assert "De zaak is overgedragen aan Carla Casemanager" in " ".join(flashes(page))
    assert "Casemanager Carla Casemanager" in text(page)
    assert engine.casemanager(case) == "carla"
    assert {t.assignee for t in engine.tasks(case_id=case) if t.role == "casemanager"} <= {"carla"}


def test_a_meitinker_in_heerenveen(app, engine, case, as_user):
    app.config["CASEMANAGER_LABEL"] = "Meitinker"
    engine.hand_over(case, "carla", actor="coby")
    assert "Meitinker Carla Casemanager" in text(as_user("coby").get(f"/zaken/{case}"))


def test_handing_over_to_someone_who_cannot_hold_it_is_refused(engine, case, as_user):
    coby = as_user("coby")
    coby.post(f"/zaken/{case}/overdragen", {"collega": "sam"})
    assert engine.casemanager(case) is None
    assert "geen casemanager zijn" in " ".join(flashes(coby.get(f"/zaken/{case}")))


@pytest.mark.parametrize("user", ["cas", "sam", "pim"])
def test_only_the_coordinator_hands_a_case_over(engine, case, as_user, user):
    assert as_user(user).post(f"/zaken/{case}/overdragen", {"collega": "carla"}).status_code == 403
    assert engine.casemanager(case) is None


def test_the_inbox_names_the_casemanager_on_every_task_of_the_case_also_the_specialists(engine, case, as_user):
    """004 §3: the specialist sees whom the household's contact runs through, next to their own task."""
    intake = engine.tasks(case_id=case)[0]
    engine.complete(intake.id, {"akkoord": True, "bedrag": 10}, actor="carla")     # the first contact holds it
    sam = as_user("sam")
    page = sam.get("/taken?weergave=team").text
    assert "Plan maken" in page and '<td data-kop="Casemanager">Carla Casemanager</td>' in page
    engine.hand_over(case, "cas", actor="coby")
    assert '<td data-kop="Casemanager">Cas Casemanager</td>' in sam.get("/taken?weergave=team").text
