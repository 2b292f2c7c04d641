"""One fixed casemanager per household: who holds a case, and where its casemanager tasks go.

004 §3: "Gemeenten zetten veelal een vast contactpersoon/casemanager per huishouden in"; 002: "De
meitinker voert gedurende het hele traject de regie". The rule, in three parts:

1. A case gets its casemanager from whoever completes its first casemanager task (the first contact),
   unless the coordinator appointed someone before (``hand_over``).
2. Every casemanager task the case creates afterwards is assigned to that person at once, instead of
   landing unassigned in the team queue. Tasks of other roles (specialist, coordinator) are untouched.
3. The coordinator can hand a whole case over: the case's casemanager changes and its open casemanager
   tasks move with it, in one step, with the reason in the case history.

Every change is in the case's log (``casemanager`` in the completing ``task_completed`` event, and
``case_handed_over``), so the history says who held the case when; the ``cases.casemanager`` column is the
projection the case page reads.
"""

from __future__ import annotations

from .audit import Event
from .errors import RegieError, UnknownUser

ROLE = "casemanager"


class NotACasemanager(RegieError):
    """The person a case is handed to cannot hold it."""

    def __init__(self, user: str, team: str | None = None):
        if team:
            super().__init__(f"{user} zit niet als casemanager of coördinator in {team}, het team dat deze zaak "
                             "doet. Geef de zaak aan iemand uit dat team.")
        else:
            super().__init__(f"{user} kan geen casemanager zijn: geef de zaak aan een medewerker met de rol "
                             "casemanager of coördinator.")
        self.user = user


def assignee_for(case, role: str | None, default: str | None) -> str | None:
    """Who a new task of ``role`` on ``case`` goes to: the case's casemanager for casemanager tasks."""
    if role == ROLE and getattr(case, "casemanager", None):
        return case.casemanager
    return default


def take_on(case, task_role: str | None, actor: str) -> str | None:
    """When ``actor`` completes the case's first casemanager task, they become its casemanager.
    Changes ``case`` in place; returns the new casemanager (None when nothing changed). The engine
    records it in the ``task_completed`` event (``casemanager``), so the history says who took the case."""
    if task_role != ROLE or getattr(case, "casemanager", None) or not actor or actor == "system":
        return None
    case.casemanager = actor
    return actor


def hand_over(tx, case, user: str, reason: str) -> tuple[list[str], list[Event]]:
    """Make ``user`` the casemanager of ``case`` and move its open casemanager tasks to them.
    Returns the ids of the moved tasks and the event to record. The caller holds the case lock and commits."""
    account = tx.user(user)
    if account is None and tx.users():
        raise UnknownUser(user)
    if account is not None and (not account.active or not ({ROLE, "coordinator"} & set(_roles(account)))):
        raise NotACasemanager(user)
    if account is not None:         # a process a team works: its casemanager comes from that team (engine.teams)
        from .store.teams import team_name, work_scope

        scope = work_scope(tx, user, _roles(account))
        team = scope.team_of(case.process_id, ROLE)
        if team is not None and not scope.works_on(case.process_id, ROLE):
            raise NotACasemanager(user, team_name(tx, team))
    moved = []
    for task in tx.open_tasks(case_id=case.id, role=ROLE):
        if task.assignee != user:
            task.assignee = user
            moved.append(task.id)
    payload = {"from": case.casemanager, "to": user, "tasks": moved}
    if reason:
        payload["reason"] = reason
    case.casemanager = user
    return moved, [Event("case_handed_over", payload)]


def _roles(account) -> list[str]:
    roles = getattr(account, "roles", "") or ""
    return roles.split(",") if isinstance(roles, str) else list(roles)
