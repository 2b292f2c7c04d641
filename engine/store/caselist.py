"""The caseworker's case list: my cases, my team's, all (coordinators); running or closed; search.

Read-only queries over the case rows and the task projection. A page is one query for the case ids
(newest change first) and one capped count, like the inbox.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy import text as sql_text

from . import Tx
from .models import CaseRow, TaskRow

__all__ = ["CaseQuery", "CaseListRow", "case_page", "completed_elements", "COUNT_CAP"]

COUNT_CAP = 1000
_ID_PREFIX = re.compile(r"^[0-9a-f-]{4,36}$")


@dataclass(frozen=True)
class CaseQuery:
    """Which cases to list. ``view``: ``mine`` (I started it, am its casemanager, hold or held one of its tasks), ``team``
    (one of its tasks is or was for one of ``roles``) or ``all``. ``status``: running, completed or None."""

    view: str = "mine"
    user: str = ""
    roles: tuple[str, ...] = ()
    status: str | None = "running"
    process_id: str | None = None
    search: str | None = None
    scoped: bool = False        # set by case_page when teams decide the team view (engine.teams)


@dataclass(frozen=True)
class CaseListRow:
    id: str
    number: str
    process_id: str
    subject: str
    status: str
    created_at: datetime
    updated_at: datetime
    open_tasks: int


def _number_column():
    """The human case number (HO-2026-000123) where the schema has one, else the id."""
    return getattr(CaseRow, "number", CaseRow.id)


def case_page(tx: Tx, query: CaseQuery, limit: int = 25, offset: int = 0) -> tuple[list[CaseListRow], int]:
    """One page of cases, most recently changed first, and the number of matches (up to COUNT_CAP + 1)."""
    scoped = _team_scope(tx, query)
    if scoped is not None and not scoped:
        return [], 0
    where = _conditions(replace(query, scoped=scoped is not None))
    if scoped:
        where.append(scoped[0])
    open_count = (select(func.count()).where(TaskRow.case_id == CaseRow.id, TaskRow.state == "open")
                  .correlate(CaseRow).scalar_subquery())
    rows = tx.session.execute(
        select(CaseRow.id, _number_column(), CaseRow.process_id, CaseRow.subject, CaseRow.status,
               CaseRow.created_at, CaseRow.updated_at, open_count)
        .where(*where).order_by(CaseRow.updated_at.desc(), CaseRow.id).limit(limit).offset(offset)
    ).all()
    found = [CaseListRow(*r) for r in rows]
    if offset == 0 and len(found) < limit:
        return found, len(found)
    counted = select(CaseRow.id).where(*where).limit(COUNT_CAP + 1).subquery()
    return found, int(tx.session.scalar(select(func.count()).select_from(counted)) or 0)


def _team_scope(tx: Tx, query: CaseQuery) -> list | None:
    """With teams (``engine.teams``), need-to-know for the lists: ``team`` — cases with an open task that is the
    work of one of the user's teams (in their role there); ``all`` — cases of the processes the user
    coordinates. None without teams or for ``mine``; [] when nothing can match."""
    from .teams import process_ids, work_scope

    if query.view not in ("team", "all"):
        return None
    scope = work_scope(tx, query.user, query.roles)
    if not scope.configured:
        return None
    processes = process_ids(tx)
    if query.view == "all":
        coordinated = sorted({p for p, _ in scope.all_walks(processes)})
        return [CaseRow.process_id.in_(coordinated)] if coordinated else []
    walks = scope.team_walks(processes)
    if not walks:
        return []
    return [exists().where(TaskRow.case_id == CaseRow.id, TaskRow.state == "open",
                           or_(*(and_(TaskRow.process_id == p, TaskRow.role == r) for p, r in walks)))]


def _conditions(query: CaseQuery) -> list:
    where = []
    if query.view == "mine":
        mine = exists().where(TaskRow.case_id == CaseRow.id,
                              or_(TaskRow.assignee == query.user, TaskRow.completed_by == query.user))
        where.append(or_(CaseRow.created_by == query.user, CaseRow.casemanager == query.user, mine))
    elif query.view == "team" and not query.scoped:
        where.append(exists().where(TaskRow.case_id == CaseRow.id, TaskRow.role.in_(query.roles or ("-",))))
    if query.status:
        where.append(CaseRow.status == query.status)
    if query.process_id:
        where.append(CaseRow.process_id == query.process_id)
    text = (query.search or "").strip()
    if text:
        matches = [CaseRow.subject.icontains(text, autoescape=True)]
        number = _number_column()
        if number is not CaseRow.id:
            matches.append(func.upper(number).startswith(text.upper(), autoescape=True))
        if _ID_PREFIX.match(text.lower()):
            matches.append(CaseRow.id.startswith(text.lower(), autoescape=True))
        where.append(or_(*matches))
    return where


def completed_elements(tx: Tx, case_id: str) -> list[str]:
    """The user task elements a case has completed (each once, sorted), for marking the path in its diagram.
    A skip scan over ``ix_tasks_case_state_name``: one index seek per distinct element, however many
    thousand rounds the case has done (a plain DISTINCT reads every completed task of the case)."""
    return [name for (name,) in tx.session.execute(_COMPLETED, {"case_id": case_id})]


_COMPLETED = sql_text("""
WITH RECURSIVE done(name) AS (
    SELECT min(name) FROM tasks WHERE case_id = :case_id AND state = 'completed'
    UNION ALL
    SELECT (SELECT min(t.name) FROM tasks t WHERE t.case_id = :case_id AND t.state = 'completed' AND t.name > done.name)
    FROM done WHERE done.name IS NOT NULL
)
SELECT name FROM done WHERE name IS NOT NULL
""")
