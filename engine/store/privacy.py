"""SQL of need-to-know: whether a user belongs to a case's team (AVG: only those who work on a case read it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import literal, or_, select

from . import Tx
from .models import AccessRow, CaseRow, TaskRow
from .teams import lanes as team_lanes
from .teams import work_scope

BREAK_GLASS_PAGE = "doorbraak"


def case_link(tx: Tx, case_id: str, user: str, roles: list[str], since: datetime) -> str | None:
    """Why ``user`` (holding ``roles``) may read the case, or None — its case team only:
    ``coordinator`` — they coordinate a team that works the case's process (a process no team works: anyone
    with the coordinator role); ``team`` — an open task of the case is their team's work (``WorkScope``) or
    names them as a candidate; ``eigen`` — they are the case's casemanager, started it, or have or had one
    of its tasks; ``doorbraak`` — they broke the glass, with a reason, after ``since``. Each check is one
    indexed lookup, cheapest first."""
    case = tx.session.execute(select(CaseRow.process_id, CaseRow.created_by, CaseRow.casemanager)
                              .where(CaseRow.id == case_id)).first()
    if case is None:
        return None
    lanes = team_lanes(tx, case.process_id)
    if lanes:
        scope = work_scope(tx, user, roles)
        if scope.coordinates(case.process_id):
            return "coordinator"
        for process_id, role in tx.session.execute(
                select(TaskRow.process_id, TaskRow.role).where(TaskRow.case_id == case_id, TaskRow.state == "open")):
            if scope.works_on(process_id, role):
                return "team"
        team_roles: list[str] = []
    else:
        if "coordinator" in roles:
            return "coordinator"
        team_roles = roles
    open_for_team = select(TaskRow.id).where(
        TaskRow.case_id == case_id, TaskRow.state == "open",
        or_(TaskRow.role.in_(team_roles or [""]),
            (literal(",") + TaskRow.candidate_users + ",").contains(f",{user},", autoescape=True)),
    )
    if tx.session.scalars(open_for_team.limit(1)).first() is not None:
        return "team"
    worked = select(TaskRow.id).where(TaskRow.case_id == case_id,
                                      or_(TaskRow.assignee == user, TaskRow.completed_by == user))
    if (user != "system" and user in (case.created_by, case.casemanager)) or tx.session.scalars(worked.limit(1)).first() is not None:
        return "eigen"
    glass = select(AccessRow.id).where(AccessRow.case_id == case_id, AccessRow.actor == user,
                                       AccessRow.page == BREAK_GLASS_PAGE, AccessRow.at >= since)
    if tx.session.scalars(glass.limit(1)).first() is not None:
        return BREAK_GLASS_PAGE
    return None


def break_glass_rows(tx: Tx, since: datetime, limit: int = 50) -> list[AccessRow]:
    """The break-the-glass reads since ``since``, newest first (for the coordinator and the privacy officer)."""
    query = (select(AccessRow).where(AccessRow.page == BREAK_GLASS_PAGE, AccessRow.at >= since)
             .order_by(AccessRow.seq.desc()).limit(limit))
    return list(tx.session.scalars(query))
