"""SQL of need-to-know: whether a user belongs to a case's team (AVG: only those who work on a case read it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import literal, or_, select

from . import Tx
from .models import AccessRow, CaseRow, TaskRow

BREAK_GLASS_PAGE = "doorbraak"


def case_link(tx: Tx, case_id: str, user: str, roles: list[str], since: datetime) -> str | None:
    """Why ``user`` (holding ``roles``) may read the case, or None: ``team`` — an open task of the case is in
    one of their roles or names them as a candidate; ``eigen`` — they started the case, or have or had one of
    its tasks; ``doorbraak`` — they broke the glass, with a reason, after ``since``. Each check is one
    indexed lookup, cheapest first."""
    open_for_team = select(TaskRow.id).where(
        TaskRow.case_id == case_id, TaskRow.state == "open",
        or_(TaskRow.role.in_(roles or [""]),
            (literal(",") + TaskRow.candidate_users + ",").contains(f",{user},", autoescape=True)),
    )
    if tx.session.scalars(open_for_team.limit(1)).first() is not None:
        return "team"
    started = select(CaseRow.id).where(CaseRow.id == case_id, CaseRow.created_by == user)
    worked = select(TaskRow.id).where(TaskRow.case_id == case_id,
                                      or_(TaskRow.assignee == user, TaskRow.completed_by == user))
    if (tx.session.scalars(started).first() is not None
            or tx.session.scalars(worked.limit(1)).first() is not None):
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
