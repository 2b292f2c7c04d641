"""Inbox, search, paging and the coordinator's overview: read-only queries over the task projection.

Every function takes a ``Tx`` and returns plain rows. An inbox page is two indexed queries (the page
and a capped count), joined with the case row only for the resident's name: no query per task.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, union_all

from . import Tx
from .models import CaseRow, TaskRow, UserRow
from .teams import process_ids, work_scope

__all__ = ["InboxQuery", "InboxRow", "inbox_page", "overview", "colleagues", "COUNT_CAP"]

COUNT_CAP = 1000          # an inbox says "more than 1000" instead of counting 100,000 rows
_CASE_NUMBER = re.compile(r"^[0-9a-f-]{4,36}$")


@dataclass(frozen=True)
class InboxQuery:
    """Which open tasks to list. ``view``: ``mine`` (assigned to ``user``), ``team`` (the work of the user's
    teams; without teams: a role of the user) or ``all`` (a coordinator: what their teams work). ``due``: ``overdue``, ``today``, ``week`` or ``none`` (no due date)."""

    view: str = "mine"
    user: str = ""
    roles: tuple[str, ...] = ()
    process_id: str | None = None
    task_name: str | None = None
    task_title: str | None = None          # every task with this title (one title can be several elements)
    due: str | None = None
    search: str | None = None


@dataclass(frozen=True)
class InboxRow:
    task_id: str
    case_id: str
    subject: str
    title: str
    name: str
    process_id: str
    role: str | None
    assignee: str | None
    due_at: datetime | None
    follow_up_at: datetime | None
    created_at: datetime
    case_number: str | None = None          # HO-2026-000123, for the lists people read
    casemanager: str | None = None          # who holds the case (004 §3), shown on every task of it


_COLUMNS = (TaskRow.id, TaskRow.case_id, CaseRow.subject, TaskRow.title, TaskRow.name, TaskRow.process_id,
            TaskRow.role, TaskRow.assignee, TaskRow.due_at, TaskRow.follow_up_at, TaskRow.created_at,
            CaseRow.number, CaseRow.casemanager)


def inbox_page(tx: Tx, query: InboxQuery, now: datetime, day_end: datetime, limit: int = 25,
               offset: int = 0) -> tuple[list[InboxRow], int]:
    """One page of open tasks, most urgent first (by due date, then age), and the number of matches
    (counted up to ``COUNT_CAP + 1``). ``day_end`` is the end of today in the user's time zone.

    The page's task ids come first, from an index walk alone (no join, however deep the page); only
    those rows are then joined with their case for the resident's name."""
    walks = _scoped_walks(tx, query)
    if walks is not None:
        base = _conditions(replace(query, view="scoped"), now, day_end)
        parts = [[*base, TaskRow.process_id == process, *([TaskRow.role == role] if role else [])]
                 for process, role in walks if not query.process_id or process == query.process_id]
        if not parts:
            return [], 0
    elif query.view == "team" and len(query.roles) > 1:
        parts = [_conditions(replace(query, roles=(role,)), now, day_end) for role in query.roles]
    else:
        parts = [_conditions(query, now, day_end)]
    if len(parts) > 1:
        # One ordered index walk per role (or per team's process and lane; offset + limit rows each),
        # merged; an IN over several would sort every open task of those roles instead.
        merged = union_all(*(select(walk) for walk in (
            select(*_ORDERED).where(*w).order_by(*_URGENT).limit(offset + limit).subquery() for w in parts
        ))).subquery()
        ids = (select(merged.c.id).order_by(merged.c.due_at.is_(None), merged.c.due_at, merged.c.created_at,
                                            merged.c.id).limit(limit).offset(offset))
        counted = union_all(*(select(found) for found in (
            select(TaskRow.id).where(*w).limit(COUNT_CAP + 1).subquery() for w in parts
        ))).subquery()
    else:
        ids = select(TaskRow.id).where(*parts[0]).order_by(*_URGENT).limit(limit).offset(offset)
        counted = select(TaskRow.id).where(*parts[0]).limit(COUNT_CAP + 1).subquery()
    page = (select(*_COLUMNS).join(CaseRow, CaseRow.id == TaskRow.case_id)
            .where(TaskRow.id.in_(ids.scalar_subquery())).order_by(*_URGENT))
    rows = [InboxRow(*r) for r in tx.session.execute(page)]
    if offset == 0 and len(rows) < limit:
        return rows, len(rows)
    total = tx.session.scalar(select(func.count()).select_from(counted))
    return rows, int(total or 0)


def _scoped_walks(tx: Tx, query: InboxQuery) -> list[tuple[str, str | None]] | None:
    """The (process, role) index walks of the team tab and of "all tasks" when teams are set up (role None:
    the whole process); None without teams (the role is the team) and for "my tasks"."""
    if query.view not in ("team", "all"):
        return None
    scope = work_scope(tx, query.user, query.roles)
    if not scope.configured:
        return None
    processes = process_ids(tx)
    walks: list[tuple[str, str | None]]
    everything: set[tuple[str, str | None]]
    if query.view == "team":
        walks = list(scope.team_walks(processes))
        everything = {(p, r) for p in processes for r in query.roles}
    else:
        walks = list(scope.all_walks(processes))
        everything = {(p, None) for p in processes}
    # Scoping that leaves nothing out (a coordinator of every team) reads as before: one index walk per role.
    return None if set(walks) == everything and query.roles else walks


_URGENT = (TaskRow.due_at.is_(None), TaskRow.due_at, TaskRow.created_at, TaskRow.id)
_ORDERED = (TaskRow.id, TaskRow.due_at, TaskRow.created_at)


def _conditions(query: InboxQuery, now: datetime, day_end: datetime) -> list:
    where = [TaskRow.state == "open"]
    if query.view == "mine":
        where.append(TaskRow.assignee == query.user)
    elif query.view == "team":
        where.append(TaskRow.role == query.roles[0] if len(query.roles) == 1 else TaskRow.role.in_(query.roles or ("-",)))
    if query.process_id:
        where.append(TaskRow.process_id == query.process_id)
    if query.task_name:
        where.append(TaskRow.name == query.task_name)
    if query.task_title:
        where.append(TaskRow.title == query.task_title)
    due = {
        "overdue": lambda: TaskRow.due_at < now,
        "today": lambda: TaskRow.due_at < day_end,
        "week": lambda: TaskRow.due_at < day_end + timedelta(days=6),
        "none": lambda: TaskRow.due_at.is_(None),
    }.get(query.due or "")
    if due is not None:
        where.append(due())
    text = (query.search or "").strip()
    if text:
        # The matching cases first, from the small (subject, id) index, then their open tasks.
        matches = CaseRow.subject.icontains(text, autoescape=True)
        if _CASE_NUMBER.match(text.lower()):
            matches = or_(CaseRow.id.startswith(text.lower(), autoescape=True), matches)
        where.append(TaskRow.case_id.in_(select(CaseRow.id).where(matches)))
    return where


def overview(tx: Tx, now: datetime, limit: int = 10) -> dict:
    """The coordinator's picture: cases per process and status, open tasks per process and stage,
    overdue tasks, escalations (tasks for the coordinator's role, open incidents), workload per person.
    The counts come from the overview's projection (``engine.store.overview``, which reads everything the
    page shows in one statement), not from every row."""
    from .overview import read

    found = read(tx.session.connection(), now, now, limit)
    for extra in ("processes", "people", "break_glass", "pending", "walks"):
        del found[extra]
    return dict(found)


def colleagues(tx: Tx, roles: tuple[str, ...] = ("casemanager", "specialist", "coordinator")) -> list[UserRow]:
    """Active users who can take tasks: the choices when a coordinator assigns work."""
    users = tx.session.scalars(select(UserRow).where(UserRow.active.is_(True)).order_by(UserRow.name))
    return [u for u in users if set(u.roles.split(",")) & set(roles)]
