"""Teams in the web app (issue #14): the case team reads a case and everything of it — its page, timeline,
diagram, tasks and exports — and an outsider gets 403 on each, without a word about the resident; the team
tab shows the team's work; *Oppakken* is offered to, and allowed for, the team only."""

from __future__ import annotations

import pytest

from tests.web.conftest import text


@pytest.fixture
def teams(engine):
    """The steunpunt works the test process: carla (casemanager), sam (specialist), coby (coordinator).
    Cas, also a casemanager, is in no team."""
    t = engine.teams
    t.add("steunpunt", "Steunpunt hersteloperatie", "admin")
    t.assign_process("steunpunt", "aanvraag", "admin")
    for user, role in (("carla", "casemanager"), ("sam", "specialist"), ("coby", "coordinator")):
        t.set_member("steunpunt", user, role, "admin")
    return t


@pytest.fixture
def case_id(engine, teams):
    return engine.start("aanvraag", {"naam": "Demo Ouder 1"}, actor="pim")


SURFACES = ["/zaken/{id}", "/zaken/{id}/tijdlijn", "/zaken/{id}/diagram.bpmn", "/zaken/{id}/afspraakkaart",
            "/taken/{task}"]


@pytest.mark.parametrize("surface", SURFACES)
def test_an_outsider_gets_403_on_every_surface_of_the_case_and_sees_nothing_of_the_resident(
        engine, as_user, case_id, surface):
    [intake] = engine.tasks(case_id=case_id)
    url = surface.format(id=case_id, task=intake.id)
    refused = as_user("cas").get(url)                          # a casemanager, but not of the team
    assert refused.status_code == 403
    assert "Demo Ouder" not in refused.text
    assert as_user("carla").get(url).status_code == 200         # the team's casemanager
    assert as_user("coby").get(url).status_code == 200          # the team's coordinator


def test_a_task_page_of_a_case_the_user_no_longer_works_on_is_refused(engine, as_user, case_id):
    [intake] = engine.tasks(case_id=case_id)
    engine.claim(intake.id, "carla")
    engine.complete(intake.id, {"akkoord": True, "bedrag": 250}, actor="carla")
    [plan] = engine.tasks(case_id=case_id)
    assert as_user("sam").get(f"/taken/{plan.id}").status_code == 200
    assert as_user("cas").get(f"/taken/{plan.id}").status_code == 403


def test_the_team_tab_shows_the_teams_work_and_oppakken_only_to_the_team(engine, as_user, case_id):
    [intake] = engine.tasks(case_id=case_id)
    carla = as_user("carla")
    page = carla.get("/taken?weergave=team")
    assert "Demo Ouder 1" in text(page) and "Oppakken" in text(page)
    assert "Uw team: Steunpunt hersteloperatie (casemanager)." in text(page)
    outsider = as_user("cas")
    assert "Demo Ouder 1" not in text(outsider.get("/taken?weergave=team"))
    refused = outsider.post(f"/taken/{intake.id}/oppakken")
    assert refused.status_code == 403
    assert engine.tasks(case_id=case_id)[0].assignee is None
    assert carla.post(f"/taken/{intake.id}/oppakken").status_code == 302
    assert engine.tasks(case_id=case_id)[0].assignee == "carla"


def test_the_coordinator_of_another_team_cannot_give_a_task_back(engine, as_user, case_id, teams, app):
    from engine.store import UserRow

    with engine.store.write() as tx:
        tx.save_user(UserRow(username="cor", name="Cor Coördinator", password_hash=tx.user("coby").password_hash,
                             roles="coordinator", active=True))
    teams.add("loket", "Loket", "admin")
    teams.set_member("loket", "cor", "coordinator", "admin")
    [intake] = engine.tasks(case_id=case_id)
    engine.claim(intake.id, "carla")
    assert as_user("cor").post(f"/taken/{intake.id}/teruggeven").status_code == 403
    assert as_user("coby").post(f"/taken/{intake.id}/teruggeven").status_code == 302


def test_a_done_task_of_the_users_lane_stays_closed_once_the_case_moved_on(engine, as_user, case_id):
    """Carla's team did the intake (Coby did it), the case is at the specialist now: her role fits the task, but
    she is not in the case team any more, so the task page (which shows the case) is refused."""
    [intake] = engine.tasks(case_id=case_id)
    engine.claim(intake.id, "coby")
    engine.complete(intake.id, {"akkoord": True, "bedrag": 250}, actor="coby")
    assert as_user("carla").get(f"/taken/{intake.id}").status_code == 403
    assert as_user("coby").get(f"/taken/{intake.id}").status_code == 200


def test_prints_of_the_case_and_task_pages_name_who_printed_them_and_when(engine, as_user, case_id):
    """Minimisation and watermarks (issue #14): the page carries a line shown only on paper."""
    [intake] = engine.tasks(case_id=case_id)
    carla = as_user("carla")
    for url in (f"/zaken/{case_id}", f"/taken/{intake.id}"):
        page = carla.get(url)
        assert ('<p class="watermerk">Afgedrukt door Carla Casemanager (carla) op 5 januari 2026, 10:00. '
                "Vertrouwelijk: bevat persoonsgegevens.</p>") in page.text
    assert "watermerk" not in carla.get("/taken").text                  # a list of tasks is not a print of a case


def test_the_inbox_shows_only_what_is_needed_to_choose_a_task(engine, as_user):
    """No birth dates, contact details or notes in the lists: the case number, the resident's name, the task."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    engine.deploy([root / "processes", root / "forms"])
    engine.start("hersteloperatie", {"naam_ouder": "Demo Ouder 2", "geboortedatum": "1980-02-03",
                                     "email": "ouder@example.org", "telefoon": "06 1234 5678",
                                     "bron": "lijst_belastingdienst", "lijst_datum": "2026-01-02",
                                     "notitie": "Vertrouwelijke notitie"}, actor="coby")
    page = text(as_user("carla").get("/taken?weergave=team"))
    assert "Demo Ouder 2" in page
    for detail in ("1980", "3 februari", "ouder@example.org", "1234 5678", "Vertrouwelijke notitie"):
        assert detail not in page


@pytest.fixture
def admin(engine, password_hash, as_user):
    from engine.store import UserRow

    with engine.store.write() as tx:
        tx.save_user(UserRow(username="ada", name="Ada Beheer", password_hash=password_hash, roles="admin",
                             active=True))
    return as_user("ada")


def test_the_admin_page_shows_and_edits_team_membership(engine, admin, as_user):
    from tests.web.conftest import flashes

    assert "Nog geen teams" in text(admin.get("/beheer/teams"))
    admin.post("/beheer/teams", {"team": "loket", "naam": "Loket"})
    admin.post("/beheer/teams/loket/processen", {"proces": "aanvraag", "baan": ""})
    done = admin.post("/beheer/teams/loket/leden", {"gebruiker": "cas", "rol": "casemanager"}, follow_redirects=True)
    assert "cas zit nu in team loket als casemanager." in flashes(done)
    page = text(admin.get("/beheer/teams"))
    assert "Doet: aanvraag." in page or "Doet: Aanvraag" in page
    assert "Cas Casemanager (cas) Casemanager" in page
    assert "Loket: casemanager" in text(admin.get("/beheer/cas"))
    # the team now decides: cas works aanvraag, carla (same role, no team) does not
    case_id = engine.start("aanvraag", {"naam": "Demo Ouder 3"}, actor="pim")
    assert as_user("cas").get(f"/zaken/{case_id}").status_code == 200
    assert as_user("carla").get(f"/zaken/{case_id}").status_code == 403
    refused = admin.post("/beheer/teams/loket/leden", {"gebruiker": "sam", "rol": "coordinator"},
                         follow_redirects=True)
    assert any("heeft de rol coordinator niet" in f for f in flashes(refused))
    assert [m.username for m in engine.teams.get("loket").members] == ["cas"]          # nothing written
    asked = admin.post("/beheer/teams/loket/leden/cas/weg")                           # the button asks first
    assert asked.status_code == 200 and "Cas Casemanager (cas) uit Loket halen?" in text(asked)
    assert 'name="bevestigd" value="ja"' in asked.text and "Nee, in het team laten" in text(asked)
    assert [m.username for m in engine.teams.get("loket").members] == ["cas"]          # nothing changed yet
    admin.post("/beheer/teams/loket/leden/cas/weg", {"bevestigd": "ja"})
    assert engine.teams.get("loket").members == ()
    assert as_user("cas").get(f"/zaken/{case_id}").status_code == 403
    assert "in een team gezet" in text(admin.get("/beheer/cas"))                          # who did it, when


def test_the_api_gives_a_task_only_to_a_member_of_the_team_that_works_it(app, engine, case_id):
    """API clients are systems with scopes, not people, so need-to-know there is the scope cases:read-personal
    (logged); but a task a system claims for a person follows the team rule like everywhere else."""
    _, key = engine.api_clients.create("kcc", ["tasks:read", "tasks:complete"], actor="admin")
    client = app.test_client()
    [task] = engine.tasks(case_id=case_id)
    refused = client.post(f"/api/v1/tasks/{task.id}/claim", json={"user": "cas"},
                          headers={"Authorization": f"Bearer {key}"})
    assert refused.status_code == 403 and "zit niet in het team" in refused.get_json()["detail"]
    assert engine.tasks(case_id=case_id)[0].assignee is None
    done = client.post(f"/api/v1/tasks/{task.id}/claim", json={"user": "carla"}, headers={"Authorization": f"Bearer {key}"})
    assert done.status_code == 200 and done.get_json()["assignee"] == "carla"


def test_the_case_list_shows_names_only_of_cases_of_the_users_teams(engine, as_user, case_id, teams):
    """Need-to-know for lists: 'Zaken van mijn team' and 'Alle zaken' follow the teams, so a casemanager of
    another team (or of none) does not find the resident's name there either."""
    assert "Demo Ouder 1" in text(as_user("carla").get("/zaken?weergave=team"))
    assert "Demo Ouder 1" not in text(as_user("cas").get("/zaken?weergave=team"))
    assert "Demo Ouder 1" not in text(as_user("cas").get("/zaken?weergave=team&zoek=Demo"))
    assert "Demo Ouder 1" in text(as_user("coby").get("/zaken?weergave=alle"))
    from engine.store import UserRow

    with engine.store.write() as tx:
        tx.save_user(UserRow(username="cor", name="Cor Coördinator", password_hash=tx.user("coby").password_hash,
                             roles="coordinator", active=True))
    teams.add("loket", "Loket", "admin")
    teams.set_member("loket", "cor", "coordinator", "admin")
    assert "Demo Ouder 1" not in text(as_user("cor").get("/zaken?weergave=alle"))


def test_a_refused_new_team_keeps_what_was_typed_and_says_why_next_to_the_form(admin, engine):
    admin.get("/beheer/teams")
    refused = admin.post("/beheer/teams", {"team": "Team Zuid!", "naam": "Wijkteam Zuid"})
    assert refused.status_code == 422
    assert 'id="foutoverzicht"' in refused.text and "Kies een team-id van kleine letters" in text(refused)
    assert 'value="Team Zuid!"' in refused.text and 'value="Wijkteam Zuid"' in refused.text
    assert engine.teams.list() == []                                           # nothing written
