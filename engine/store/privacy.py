"""SQL of need-to-know: whether a user belongs to a case's team (AVG: only those who work on a case read it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, or_, select

from . import Tx
from .models import AccessRow, CaseRow, TaskRow
from .prepared import Prepared
from .teams import WorkScope, work_scope

BREAK_GLASS_PAGE = "doorbraak"


_CASE_PEOPLE = Prepared(select(CaseRow.process_id, CaseRow.created_by, CaseRow.casemanager).where(CaseRow.id == bindparam("b_case")))
_OPEN_TASKS = Prepared(select(TaskRow.process_id, TaskRow.role, TaskRow.candidate_users).where(
    TaskRow.case_id == bindparam("b_case"), TaskRow.state == "open"))
_WORKED = Prepared(select(TaskRow.id).where(TaskRow.case_id == bindparam("b_case"), or_(
    TaskRow.assignee == bindparam("b_user"), TaskRow.completed_by == bindparam("b_user"))).limit(1))
_GLASS = Prepared(select(AccessRow.id).where(AccessRow.case_id == bindparam("b_case"), AccessRow.actor == bindparam("b_user"),
                                    AccessRow.page == BREAK_GLASS_PAGE, AccessRow.at >= bindparam("b_since")).limit(1))


def case_link(tx: Tx, case_id: str, user: str, roles: list[str], since: datetime, case=None,
              scope: WorkScope | None = None, tasks: list | None = None) -> str | None:
    """Why ``user`` (holding ``roles``) may read the case, or None — its case team only:
    ``coordinator`` — they coordinate a team that works the case's process (a process no team works: anyone
    with the coordinator role); ``team`` — an open task of the case is their team's work (``WorkScope``) or
    names them as a candidate; ``eigen`` — they are the case's casemanager, started it, or have or had one
    of its tasks; ``doorbraak`` — they broke the glass, with a reason, after ``since``.

    ``case``: the case's row when the caller read it already (its ``process_id``, ``created_by`` and
    ``casemanager``); ``scope``: the user's ``work_scope`` and ``tasks``: the case's open task rows (with
    ``process_id``, ``role``, ``candidate_users``) when the caller read them already. At most five small
    queries on indexes, compiled once: the case, the scope, its open tasks, the tasks the user worked, the
    break-the-glass log; cheapest first."""
    raw = tx.raw
    if case is None:
        case = _CASE_PEOPLE.first(raw, {"b_case": case_id})
        if case is None:
            return None
    if scope is None:
        scope = work_scope(tx, user, roles)
    if tasks is None:
        tasks = _OPEN_TASKS.rows(raw, {"b_case": case_id})
    if any(p == case.process_id for p, _ in scope.lanes):      # a team works this process
        if scope.coordinates(case.process_id):
            return "coordinator"
        if any(scope.works_on(t.process_id, t.role) for t in tasks):
            return "team"
        team_roles: list[str] = []
    else:
        if "coordinator" in roles:
            return "coordinator"
        team_roles = roles
    # An open task of a team role (none: a task without a role, as stored ''), or one that names the user.
    wanted = team_roles or [""]
    if any(t.role in wanted or (t.candidate_users is not None and f",{user}," in f",{t.candidate_users},")
           for t in tasks):
        return "team"
    if ((user != "system" and user in (case.created_by, case.casemanager))
            or _WORKED.first(raw, {"b_case": case_id, "b_user": user}) is not None):
        return "eigen"
    if _GLASS.first(raw, {"b_case": case_id, "b_user": user, "b_since": since}) is not None:
        return BREAK_GLASS_PAGE
    return None


def break_glass_rows(tx: Tx, since: datetime, limit: int = 50) -> list[AccessRow]:
    """The break-the-glass reads since ``since``, newest first (for the coordinator and the privacy officer)."""
    query = (select(AccessRow).where(AccessRow.page == BREAK_GLASS_PAGE, AccessRow.at >= since)
             .order_by(AccessRow.seq.desc()).limit(limit))
    return list(tx.session.scalars(query))
