"""Need-to-know (AVG): a case's personal data is read by those who work on it — its team, whoever has or had
one of its tasks, who started it, coordinators — and by nobody else, except by breaking the glass with a reason
that the coordinator sees in the overview and the auditor in the access log."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.web.conftest import flashes, text


@pytest.fixture
def case_id(engine):
    return engine.start("aanvraag", {"naam": "Demo Ouder 1"}, actor="cas")


def _complete_intake(engine, case_id):
    [intake] = engine.tasks(case_id=case_id)
    engine.claim(intake.id, "cas")
    engine.complete(intake.id, {"akkoord": True, "bedrag": 250}, actor="cas")


PAGES = ["/zaken/{id}", "/zaken/{id}/diagram.bpmn", "/zaken/{id}/tijdlijn?voor=2"]


@pytest.mark.parametrize("page", PAGES)
def test_a_specialist_without_a_task_on_the_case_is_refused_and_sees_nothing_of_the_resident(as_user, case_id, page):
    response = as_user("sam").get(page.format(id=case_id))
    assert response.status_code == 403
    assert "Demo Ouder" not in response.text
    assert "Geen toegang tot zaak AA-2026-000001" in text(response)             # the number, never the name
    assert "Waarom moet u deze zaak inzien?" in text(response)


def test_the_team_of_an_open_task_reads_the_case(as_user, case_id):
    assert as_user("carla").get(f"/zaken/{case_id}").status_code == 200     # intake waits in the casemanager lane


def test_once_the_work_moves_on_the_team_changes_and_who_worked_on_it_keeps_access(engine, as_user, case_id):
    _complete_intake(engine, case_id)                                       # now at 'plan', the specialist lane
    assert as_user("sam").get(f"/zaken/{case_id}").status_code == 200      # his team has the open task
    assert as_user("cas").get(f"/zaken/{case_id}").status_code == 200      # he did the intake
    assert as_user("carla").get(f"/zaken/{case_id}").status_code == 403    # her team is done with it
    assert as_user("coby").get(f"/zaken/{case_id}").status_code == 200     # coordinators oversee every case


def test_the_case_number_works_the_same_way(as_user, case_id):
    assert as_user("sam").get("/zaken/AA-2026-000001").status_code == 403
    assert as_user("carla").get("/zaken/AA-2026-000001").status_code == 200


def test_breaking_the_glass_needs_a_reason_is_logged_and_shown_to_the_coordinator(engine, as_user, clock, case_id):
    sam = as_user("sam")
    sam.get(f"/zaken/{case_id}")
    refused = sam.post(f"/zaken/{case_id}/doorbraak", {"reden": "even kijken"[:5]})
    assert refused.status_code == 400
    assert "minstens 10 tekens" in text(refused)
    assert sam.get(f"/zaken/{case_id}").status_code == 403                 # a refused reason opens nothing

    reason = "Bewoner belt over de afspraak, casemanager is ziek"
    opened = sam.post(f"/zaken/{case_id}/doorbraak", {"reden": reason})
    assert opened.status_code == 302
    page = sam.get(f"/zaken/{case_id}")
    assert page.status_code == 200 and "Demo Ouder 1" in text(page)
    assert any("8 uur" in f for f in flashes(page))
    [entry] = [e for e in engine.access_log(case_id=case_id) if e.page == "doorbraak"]
    assert (entry.actor, entry.reason) == ("sam", reason)

    overview = text(as_user("coby").get("/overzicht"))
    assert f"Sam Specialist · zaak {case_id[:8]} · {reason}" in overview

    clock.advance(timedelta(hours=9))                                       # the access does not last
    assert sam.get(f"/zaken/{case_id}").status_code == 403


def test_engine_case_access_on_both_stores(db_url, clock):
    from engine import Engine, SequentialIds
    from tests.conftest import MODELS

    eng = Engine.from_url(db_url, clock=clock, ids=SequentialIds())
    eng.deploy([MODELS])
    case_id = eng.start("aanvraag", {"naam": "Demo Ouder"}, actor="cas")
    assert eng.case_access(case_id, "sam", ["specialist"]) is None
    assert eng.case_access(case_id, "carla", ["casemanager"]) == "team"
    assert eng.case_access(case_id, "cas", ["policy"]) == "eigen"               # started it
    assert eng.case_access(case_id, "coby", ["coordinator"]) == "coordinator"
    eng.break_glass(case_id, "sam", "Bewoner belt, casemanager is ziek")
    assert eng.case_access(case_id, "sam", ["specialist"]) == "doorbraak"
    assert eng.case_access(case_id, "samuel", ["specialist"]) is None           # not someone with a similar name
    eng.store.dispose()


CANDIDATE_MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="https://regie.dev/tests">
<bpmn:process id="gericht" isExecutable="true">
<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t1"/>
<bpmn:userTask id="t1" name="Advies geven" camunda:candidateGroups="specialist" camunda:candidateUsers="carla,pieter"/>
<bpmn:sequenceFlow id="f2" sourceRef="t1" targetRef="e"/><bpmn:endEvent id="e"/>
</bpmn:process></bpmn:definitions>
"""


@pytest.mark.parametrize("with_teams", [False, True])
def test_a_candidate_user_of_an_open_task_reads_the_case_and_a_similar_name_does_not(db_url, clock, tmp_path,
                                                                                    with_teams):
    from engine import Engine, SequentialIds
    from engine.store import UserRow

    eng = Engine.from_url(db_url, clock=clock, ids=SequentialIds())
    with eng.store.write() as tx:
        for username, roles in (("carla", "casemanager"), ("sam", "specialist"), ("cas", "casemanager")):
            tx.save_user(UserRow(username=username, name=username.title(), password_hash="", roles=roles, active=True))
    folder = tmp_path / "gericht"
    folder.mkdir()
    (folder / "gericht.bpmn").write_text(CANDIDATE_MODEL, encoding="utf-8")
    eng.deploy([folder])
    if with_teams:            # a team works the process; carla is not in it, but the task names her
        eng.teams.add("advies", "Adviesteam", "admin")
        eng.teams.assign_process("advies", "gericht", "admin")
        eng.teams.set_member("advies", "sam", "specialist", "admin")
    case_id = eng.start("gericht", {}, actor="system")
    assert eng.case_access(case_id, "carla", ["casemanager"]) == "team"          # named on the open task
    assert eng.case_access(case_id, "pieter", ["casemanager"]) == "team"
    assert eng.case_access(case_id, "carl", ["casemanager"]) is None             # part of a name: no
    assert eng.case_access(case_id, "arla", ["casemanager"]) is None
    assert eng.case_access(case_id, "sam", ["specialist"]) == "team"             # the task's team (role)
    assert eng.case_access(case_id, "cas", ["casemanager"]) is None
    eng.store.dispose()


def test_the_case_page_links_only_the_open_tasks_the_reader_may_open(engine, as_user, case_id):
    """Who did the intake still reads the case, but the next task is the specialists': its title is shown
    without a link (the link led to 'Geen toegang: deze taak hoort bij een ander team')."""
    _complete_intake(engine, case_id)
    [plan] = engine.tasks(case_id=case_id)
    seen_by_cas = as_user("cas").get(f"/zaken/{case_id}")
    assert seen_by_cas.status_code == 200 and plan.title in text(seen_by_cas)
    assert f"/taken/{plan.id}" not in seen_by_cas.text
    assert as_user("sam").get(f"/taken/{plan.id}").status_code == 200
    assert f'href="/taken/{plan.id}"' in as_user("sam").get(f"/zaken/{case_id}").text
