"""Buttons that work and the coordinator's assigning: no 'Oppakken' where it would be refused, a warning
before giving a task outside its team, names instead of usernames, each task once in the filter."""

from __future__ import annotations

import pytest

from .conftest import flashes, text


@pytest.fixture
def case_id(engine):
    return engine.start("aanvraag", {"naam": "Demo Ouder 1"}, actor="cas")


def test_no_claim_button_for_a_task_of_another_team(as_user, case_id):
    sam = as_user("sam")
    sam.get(f"/zaken/{case_id}")                              # outside his work: he records why he looks
    sam.post(f"/zaken/{case_id}/doorbraak", {"reden": "Bewoner belt over de intake, casemanager is ziek."})
    page = sam.get(f"/zaken/{case_id}")                      # 'Intake doen' is the casemanagers' task
    assert "Intake doen" in text(page) and "Oppakken" not in text(page)
    assert "Oppakken" in text(as_user("cas").get(f"/zaken/{case_id}"))
    assert "Oppakken" in text(as_user("cas").get("/taken?weergave=team"))


def test_the_claim_button_goes_when_the_guard_would_refuse(as_user, case_id, engine):
    """The button and the route agree: where the button shows, claiming works."""
    cas = as_user("cas")
    cas.get(f"/zaken/{case_id}")
    task = engine.tasks(case_id=case_id)[0]
    assert cas.post(f"/taken/{task.id}/oppakken").status_code == 302
    assert as_user("sam").post(f"/taken/{task.id}/oppakken").status_code == 403


def test_a_warning_before_giving_a_task_outside_its_team(as_user, case_id, engine):
    task = engine.tasks(case_id=case_id)[0]
    coby = as_user("coby")
    coby.get(f"/taken/{task.id}")
    page = coby.post("/taken/toewijzen", {"taak": task.id, "collega": "sam", "reden": "Vakantie",
                                          "volgende": f"/taken/{task.id}"}, follow_redirects=True)
    assert ("Sam Specialist hoort niet bij het team Casemanager van de taak 'Intake doen'. Weet u zeker dat u "
            "de taak aan Sam Specialist wilt geven? Kies dan Toch toewijzen.") in text(page)
    assert engine.task(task.id).assignee is None                                  # nothing assigned yet
    assert '<option value="sam" selected>' in page.text and 'value="Vakantie"' in page.text
    confirmed = coby.post("/taken/toewijzen", {"taak": task.id, "collega": "sam", "reden": "Vakantie",
                                               "bevestigd": "sam", "volgende": f"/taken/{task.id}"},
                          follow_redirects=True)
    assert flashes(confirmed) == ["1 taak toegewezen aan Sam Specialist."]
    assert engine.task(task.id).assignee == "sam"


def test_a_confirmation_for_another_colleague_does_not_count(as_user, case_id, engine):
    task = engine.tasks(case_id=case_id)[0]
    coby = as_user("coby")
    coby.get("/taken?weergave=alle")
    coby.post("/taken/toewijzen", {"taak": task.id, "collega": "sam", "reden": "x", "bevestigd": "carla"})
    assert engine.task(task.id).assignee is None


def test_inside_the_team_no_warning(as_user, case_id, engine):
    task = engine.tasks(case_id=case_id)[0]
    coby = as_user("coby")
    coby.get("/taken?weergave=alle")
    page = coby.post("/taken/toewijzen", {"taak": task.id, "collega": "carla", "reden": "x"}, follow_redirects=True)
    assert flashes(page) == ["1 taak toegewezen aan Carla Casemanager."]


def test_someone_elses_task_names_them_by_name(as_user, case_id, engine):
    task = engine.tasks(case_id=case_id)[0]
    engine.claim(task.id, "carla")
    assert "Deze taak is in behandeling bij Carla Casemanager." in text(as_user("cas").get(f"/taken/{task.id}"))


def test_the_task_filter_lists_each_title_once_and_finds_all_its_tasks(as_user, engine):
    from tests.conftest import ROOT

    engine.deploy([ROOT / "processes", ROOT / "forms"])
    page = as_user("coby").get("/taken?weergave=alle")
    options = page.text[page.text.index('<select id="taak"'):]
    options = options[:options.index("</select>")]
    assert options.count(">Contactmoment met de ouder</option>") == 1
    assert options.count(">Vraag verhelderen</option>") == 1
    engine.start("aanvraag", {"naam": "Demo Ouder 7"}, actor="cas")
    assert "Demo Ouder 7" in text(as_user("coby").get("/taken?weergave=alle&taak=Intake+doen"))
    assert "Demo Ouder 7" not in text(as_user("coby").get("/taken?weergave=alle&taak=Plan+maken"))


def test_assigning_without_a_colleague_or_reason_opens_an_error_summary_that_keeps_what_was_chosen(as_user, case_id,
                                                                                                  engine):
    """The summary (focused on load, like every form's) links to the fields: the messages are far down the
    team list, and the focus stayed at the top of the page."""
    task = engine.tasks(case_id=case_id)[0]
    coby = as_user("coby")
    coby.get("/taken?weergave=team")
    page = coby.post("/taken/toewijzen", {"taak": task.id, "collega": "", "reden": "Verdeling van het werk",
                                          "volgende": "/taken?weergave=team"}, follow_redirects=True)
    assert page.status_code == 200
    summary = page.text.split('id="foutoverzicht"', 1)[1].split("</div>", 1)[0]
    assert "Toewijzen lukte niet" in summary and 'href="#collega"' in summary
    assert "Kies een collega aan wie u de taken geeft." in summary and "reden" not in summary.lower()
    assert 'value="Verdeling van het werk"' in page.text and f'value="{task.id}" id="kies-1" checked' in page.text
