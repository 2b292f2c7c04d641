"""The reads of a case page (``Engine.case_page``), as plain rows from statements compiled once.

A case page reads the case, its open tasks, its timers, the process's name, the people's names and the cases
it is linked to (warm referrals), besides one page of its history (``engine.store.history``): small indexed queries whose Python cost
through SQLAlchemy (statement building, cache keys, ORM objects) was several times what the database takes
to run them. Each is a ``Prepared`` statement run on the transaction's DBAPI connection (``Tx.raw``), so it
reads the same snapshot as the need-to-know check before it.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any, cast

from sqlalchemy import Table, bindparam, or_, select

from . import Tx
from .models import CaseLinkRow, CaseRow, ProcessRow, TaskRow, TimerRow, UserRow
from .prepared import Prepared

__all__ = ["task_and_case", "case_row", "open_tasks", "timers", "process_name", "people", "links"]

_CASES, _TASKS, _TIMERS = (cast(Table, row.__table__).c for row in (CaseRow, TaskRow, TimerRow))

_CASE = Prepared(select(*(c for c in _CASES if c.key != "state")).where(_CASES.id == bindparam("b_case")))
_OPEN_TASKS = Prepared(
    select(*_TASKS).where(_TASKS.case_id == bindparam("b_case"), _TASKS.state == "open")
    .order_by(_TASKS.due_at.is_(None), _TASKS.due_at, _TASKS.created_at, _TASKS.id))
_TIMERS_OF_CASE = Prepared(
    select(_TIMERS.case_id, _TIMERS.task_id, _TIMERS.element, _TIMERS.due_at, _TIMERS.status, _TIMERS.attempts,
           _TIMERS.locked_by).where(_TIMERS.case_id == bindparam("b_case"))
    .order_by(_TIMERS.due_at, _TIMERS.id).limit(500))
_TASK_AND_CASE = Prepared(
    select(*_TASKS, _CASES.number.label("case_number"), _CASES.version_id.label("case_version_id"),
           _CASES.process_id.label("case_process_id"), _CASES.created_by.label("case_created_by"),
           _CASES.casemanager.label("case_casemanager"))
    .join(CaseRow, CaseRow.id == _TASKS.case_id).where(_TASKS.id == bindparam("b_task")))
_PROCESS_NAME = Prepared(select(ProcessRow.name).where(ProcessRow.id == bindparam("b_process")))
_PEOPLE = Prepared(select(UserRow.username, UserRow.name))
_LINKS = Prepared(
    select(CaseLinkRow.from_case_id, CaseLinkRow.to_case_id, CaseLinkRow.at, CaseRow.id, CaseRow.number,
           CaseRow.process_id, CaseRow.status)
    .join(CaseRow, or_(
        (CaseLinkRow.from_case_id == bindparam("b_case")) & (CaseRow.id == CaseLinkRow.to_case_id),
        (CaseLinkRow.to_case_id == bindparam("b_case")) & (CaseRow.id == CaseLinkRow.from_case_id)))
    .where(or_(CaseLinkRow.from_case_id == bindparam("b_case"), CaseLinkRow.to_case_id == bindparam("b_case")))
    .order_by(CaseLinkRow.at))


CaseOfTask = namedtuple("CaseOfTask", "id number version_id process_id created_by casemanager")


def task_and_case(tx: Tx, task_id: str) -> tuple[Any, CaseOfTask] | tuple[None, None]:
    """A task row (the columns of ``TaskRow`` as attributes) and what a task page needs of its case, one query."""
    row = _TASK_AND_CASE.first(tx.raw, {"b_task": task_id})
    if row is None:
        return None, None
    return row, CaseOfTask(row.case_id, row.case_number, row.case_version_id, row.case_process_id,
                           row.case_created_by, row.case_casemanager)


def case_row(tx: Tx, case_id: str) -> Any:
    """The case's columns but its workflow state, as a plain row (attributes as on ``CaseRow``), or None."""
    return _CASE.first(tx.raw, {"b_case": case_id})


def open_tasks(tx: Tx, case_id: str) -> list:
    """The case's open task rows, most urgent first (as ``Tx.open_tasks``), as plain rows."""
    return _OPEN_TASKS.rows(tx.raw, {"b_case": case_id})


def timers(tx: Tx, case_id: str) -> list:
    """The case's timer rows, earliest first (as ``store.timers.timers(case_id=...)``)."""
    return _TIMERS_OF_CASE.rows(tx.raw, {"b_case": case_id})


def process_name(tx: Tx, process_id: str) -> str | None:
    found = _PROCESS_NAME.first(tx.raw, {"b_process": process_id})
    return found.name if found is not None else None


def people(tx: Tx) -> dict[str, str]:
    """Username -> name, of every account."""
    return {r.username: r.name for r in _PEOPLE.rows(tx.raw, {})}


def links(tx: Tx, case_id: str) -> list:
    """The warm referrals of the case (``engine.referrals.links``), oldest first: (from, to, at, other case's
    id, number, process, status)."""
    return _LINKS.rows(tx.raw, {"b_case": case_id})
