"""Teams (issue #14): members with a role per team, processes (or lanes) worked by a team; the team tab,
case access and assignment follow them. A process no team works keeps the rule from before teams."""

from __future__ import annotations

import pytest

from engine import Engine, SequentialIds
from engine.errors import PermissionDenied, RegieError, UnknownProcess, UnknownUser
from engine.queries import InboxQuery
from engine.store import UserRow
from engine.teams import UnknownTeam
from tests.conftest import MODELS

USERS = [("cas", "casemanager"), ("carla", "casemanager"), ("lot", "casemanager"), ("sam", "specialist"),
         ("coby", "coordinator,casemanager"), ("cor", "coordinator"), ("pim", "policy")]


@pytest.fixture
def eng(db_url, clock):
    eng = Engine.from_url(db_url, clock=clock, ids=SequentialIds())
    eng.deploy([MODELS])
    with eng.store.write() as tx:
        for username, roles in USERS:
            tx.save_user(UserRow(username=username, name=username.title(), password_hash="", roles=roles, active=True))
    yield eng
    eng.store.dispose()


@pytest.fixture
def teams(eng):
    """Two teams: the steunpunt works the aanvraag process, the loket nothing yet."""
    t = eng.teams
    t.add("steunpunt", "Steunpunt hersteloperatie", "admin")
    t.add("loket", "Loket", "admin")
    t.assign_process("steunpunt", "aanvraag", "admin")
    for user, role in (("carla", "casemanager"), ("sam", "specialist"), ("coby", "coordinator")):
        t.set_member("steunpunt", user, role, "admin")
    t.set_member("loket", "lot", "casemanager", "admin")
    t.set_member("loket", "cor", "coordinator", "admin")
    return t


def _inbox(eng, user, roles, view="team"):
    rows, total = eng.inbox(InboxQuery(view=view, user=user, roles=tuple(roles)), eng.clock.now())
    return [r.task_id for r in rows]


def test_teams_are_listed_with_members_and_processes_and_every_change_is_logged(eng, teams):
    [loket, steunpunt] = teams.list()
    assert (steunpunt.id, steunpunt.name, steunpunt.processes) == ("steunpunt", "Steunpunt hersteloperatie",
                                                                   (("aanvraag", ""),))
    assert [(m.username, m.role) for m in steunpunt.members] == [("carla", "casemanager"), ("coby", "coordinator"),
                                                                  ("sam", "specialist")]
    assert loket.processes == ()
    from engine.store.accounts import account_events

    with eng.store.read() as tx:
        actions = [e.action for e in account_events(tx, None, limit=50)]
    assert actions.count("team_added") == 2 and actions.count("team_member_set") == 5
    assert "team_process_set" in actions


@pytest.mark.parametrize("call, message", [
    (lambda t: t.add("Loket!", "Loket", "admin"), "team-id"),
    (lambda t: t.add("loket2", " ", "admin"), "naam"),
    (lambda t: t.set_member("loket", "sam", "casemanager", "admin"), "heeft de rol casemanager niet"),
    (lambda t: t.set_member("loket", "sam", "boss", "admin"), "Onbekende rol"),
    (lambda t: t.assign_process("loket", "aanvraag", "admin", lane="baas"), "Onbekende baan"),
    (lambda t: t.remove_member("loket", "sam", "admin"), "zit niet in team"),
])
def test_bad_input_is_refused_with_a_message_and_writes_nothing(eng, teams, call, message):
    before = [t.to_dict() for t in teams.list()]
    with pytest.raises(RegieError, match=message):
        call(teams)
    assert [t.to_dict() for t in teams.list()] == before


def test_unknown_team_user_and_process_are_named(eng, teams):
    with pytest.raises(UnknownTeam):
        teams.set_member("tsp", "cas", "casemanager", "admin")
    with pytest.raises(UnknownUser):
        teams.set_member("loket", "nobody", "casemanager", "admin")
    with pytest.raises(UnknownProcess):
        teams.assign_process("loket", "bestaat-niet", "admin")


def test_the_team_tab_shows_the_work_of_the_users_teams_only(eng, teams):
    case_id = eng.start("aanvraag", {"naam": "Demo Ouder"}, actor="carla")
    [intake] = eng.tasks(case_id=case_id)
    assert _inbox(eng, "carla", ["casemanager"]) == [intake.id]          # her team works aanvraag
    assert _inbox(eng, "lot", ["casemanager"]) == []                     # same role, other team
    assert _inbox(eng, "cas", ["casemanager"]) == []                     # in no team: not his work any more
    assert _inbox(eng, "coby", ["coordinator", "casemanager"], "all") == [intake.id]
    assert _inbox(eng, "cor", ["coordinator"], "all") == []              # coordinates the loket only


def test_a_lane_can_be_worked_by_another_team(eng, teams):
    teams.set_member("loket", "sam", "specialist", "admin")
    teams.remove_member("steunpunt", "sam", "admin")
    teams.assign_process("loket", "aanvraag", "admin", lane="specialist")
    case_id = eng.start("aanvraag", {"naam": "Demo Ouder"}, actor="carla")
    [intake] = eng.tasks(case_id=case_id)
    eng.claim(intake.id, "carla")
    eng.complete(intake.id, {"akkoord": True, "bedrag": 250}, actor="carla")
    [plan] = eng.tasks(case_id=case_id)
    assert _inbox(eng, "sam", ["specialist"]) == [plan.id]
    assert _inbox(eng, "cor", ["coordinator"], "all") == [plan.id]       # the loket's lane of aanvraag
    assert eng.case_access(case_id, "cor", ["coordinator"]) == "coordinator"
    assert eng.case_access(case_id, "lot", ["casemanager"]) is None      # loket, but not the specialist lane


def test_without_teams_the_role_is_the_team_as_before(eng):
    case_id = eng.start("aanvraag", {"naam": "Demo Ouder"}, actor="carla")
    [intake] = eng.tasks(case_id=case_id)
    assert _inbox(eng, "cas", ["casemanager"]) == [intake.id]
    assert eng.case_access(case_id, "cas", ["casemanager"]) == "team"
    assert eng.case_access(case_id, "cor", ["coordinator"]) == "coordinator"


def test_case_access_follows_the_case_team(eng, teams):
    case_id = eng.start("aanvraag", {"naam": "Demo Ouder"}, actor="pim")
    assert eng.case_access(case_id, "carla", ["casemanager"]) == "team"       # her team's open intake
    assert eng.case_access(case_id, "cas", ["casemanager"]) is None           # same role, not in the team
    assert eng.case_access(case_id, "lot", ["casemanager"]) is None
    assert eng.case_access(case_id, "coby", ["coordinator", "casemanager"]) == "coordinator"
    assert eng.case_access(case_id, "cor", ["coordinator"]) is None           # coordinator of another team
    assert eng.case_access(case_id, "pim", ["policy"]) == "eigen"             # started it
    [intake] = eng.tasks(case_id=case_id)
    eng.claim(intake.id, "carla")
    eng.complete(intake.id, {"akkoord": True, "bedrag": 250}, actor="carla")
    assert eng.case_access(case_id, "carla", ["casemanager"]) == "eigen"      # the case's casemanager now
    assert eng.case_access(case_id, "sam", ["specialist"]) == "team"


def test_assignment_goes_only_to_members_of_the_team(eng, teams):
    case_id = eng.start("aanvraag", {"naam": "Demo Ouder"}, actor="carla")
    [intake] = eng.tasks(case_id=case_id)
    with pytest.raises(PermissionDenied, match="Steunpunt hersteloperatie"):
        eng.claim(intake.id, "cas")                                            # casemanager, not in the team
    with pytest.raises(PermissionDenied, match="zit niet in het team"):
        eng.assign(intake.id, "lot", "coby", "drukte")                          # the coordinator cannot either
    with pytest.raises(PermissionDenied):
        eng.assign(intake.id, "sam", "coby", "drukte")                          # in the team, another role
    assert eng.assign(intake.id, "carla", "coby", "drukte").assignee == "carla"
    assert eng.tasks(case_id=case_id)[0].assignee == "carla"


def test_a_case_is_handed_over_only_to_a_casemanager_of_the_team_that_works_it(eng, teams):
    from engine.casemanagers import NotACasemanager

    case_id = eng.start("aanvraag", {"naam": "Demo Ouder"}, actor="carla")
    with pytest.raises(NotACasemanager, match="Steunpunt hersteloperatie"):
        eng.hand_over(case_id, "lot", "coby", "Lot neemt het over")
    eng.hand_over(case_id, "carla", "coby", "Carla neemt het over")
    assert eng.case_access(case_id, "carla", ["casemanager"]) in ("team", "eigen")


def test_a_team_coordinators_overview_counts_their_teams_work_only(eng, teams, clock):
    """The coordinator's overview keeps to what their "all tasks" shows: the processes (lanes) their teams
    work and what no team works; counts, lists and cases alike, folded or not."""
    ids = [eng.start("aanvraag", {"naam": f"Demo Ouder {i}"}, actor="carla") for i in range(3)]
    eng.complete(eng.tasks(case_id=ids[0])[0].id, {"akkoord": True, "bedrag": 5}, actor="carla")
    eng.claim(eng.tasks(case_id=ids[1])[0].id, "carla")
    clock.advance(days=30)
    everything = eng.overview()
    assert sorted(s[1:] for s in everything.stages) == [("intake", "Intake doen", 2, 2), ("plan", "Plan maken", 1, 0)]
    coby = eng.overview(user="coby", roles=("coordinator",))           # the steunpunt works aanvraag
    assert (coby.stages, coby.workload, coby.cases, coby.overdue_total, len(coby.overdue)) == (
        everything.stages, everything.workload, everything.cases, 2, 2)
    cor = eng.overview(user="cor", roles=("coordinator",))             # the loket works nothing of it
    assert (cor.stages, cor.workload, cor.cases, cor.overdue, cor.overdue_total) == ([], [], [], [], 0)
    assert "aanvraag" not in cor.processes
    teams.assign_process("loket", "aanvraag", "admin", lane="specialist")
    from engine.store.overview import compact

    for fold in (False, True):
        if fold:
            with eng.store.write() as tx:
                compact(tx)
        cor = eng.overview(user="cor", roles=("coordinator",))         # now the specialist lane of aanvraag
        assert [s[1:] for s in cor.stages] == [("plan", "Plan maken", 1, 0)]
        assert cor.workload == [(None, 1, 0)] and (cor.overdue, cor.overdue_total) == ([], 0)   # the intakes are late
        assert cor.cases == [("aanvraag", "running", 3)]
        assert "aanvraag" in cor.processes
