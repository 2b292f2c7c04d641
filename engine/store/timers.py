"""The SQL of timers and the scheduler: due rows, claims and leases, start schedules, overdue tasks.

Functions take the unit of work (``Tx``) of the command that owns the transaction and never commit.
Claims use ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several schedulers each take a
different batch of due timers; SQLite has no row locks, so there one scheduler at a time holds the
named lease in ``scheduler_leases``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import undefer

from . import open_task_query
from .models import CaseRow, IncidentRow, SchedulerLeaseRow, StartScheduleRow, TaskRow, TimerRow


def _free(model, now: datetime):
    """Rows nobody holds: never claimed, or the claim ran out (its scheduler stopped or hangs)."""
    return or_(model.locked_until.is_(None), model.locked_until < now)


# --- case timers ----------------------------------------------------------------------------------


def claim_due(tx, now: datetime, holder: str, until: datetime, batch: int) -> list[str]:
    """Claim up to ``batch`` due, unclaimed timer rows for ``holder`` until ``until``; returns their cases.

    Due means strictly before ``now`` (SpiffWorkflow fires a timer when its time has passed). Rows that
    another scheduler has locked or claimed are skipped, not waited for. Case ids come earliest first.
    """
    chosen = (
        select(TimerRow.id)
        .where(TimerRow.status == "waiting", TimerRow.due_at < now, _free(TimerRow, now))
        .order_by(TimerRow.due_at, TimerRow.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    ids = list(tx.session.scalars(chosen))
    if not ids:
        return []
    tx.session.execute(
        update(TimerRow).where(TimerRow.id.in_(ids)).values(locked_by=holder, locked_until=until)
        .execution_options(synchronize_session=False)
    )
    rows = tx.session.execute(
        select(TimerRow.case_id, func.min(TimerRow.due_at).label("due")).where(TimerRow.id.in_(ids))
        .group_by(TimerRow.case_id).order_by("due", TimerRow.case_id)
    )
    return [row.case_id for row in rows]


def lock_cases(tx, case_ids: list[str]) -> list[CaseRow]:
    """Read and lock the rows of these cases for this transaction, in id order, skipping any case another
    transaction holds (PostgreSQL ``FOR UPDATE SKIP LOCKED``; SQLite has one writer at a time already).
    The stored workflow comes along: a scheduler rarely has the case's workflow in its cache."""
    query = select(CaseRow).options(undefer(CaseRow.state)).where(CaseRow.id.in_(case_ids)).order_by(CaseRow.id)
    if tx.store.is_sqlite:
        return list(tx.session.scalars(query))
    # PostgreSQL plans ``id IN (…)`` on the trigram index of cases.id (its estimate is far too low): 50
    # lookups took 0.85 s instead of 1 ms on 1,000 cases. Without bitmap scans it takes the primary key.
    tx.session.execute(text("SET LOCAL enable_bitmapscan = off"))
    rows = list(tx.session.scalars(query.with_for_update(skip_locked=True)))
    tx.session.execute(text("SET LOCAL enable_bitmapscan TO DEFAULT"))
    return rows


def timers_of_cases(tx, case_ids: list[str]) -> dict[str, list[TimerRow]]:
    """Every timer row of these cases (one query), by case id, each case's rows in id order."""
    found: dict[str, list[TimerRow]] = {}
    if case_ids:
        query = select(TimerRow).where(TimerRow.case_id.in_(case_ids)).order_by(TimerRow.case_id, TimerRow.id)
        for row in tx.session.scalars(query):
            found.setdefault(row.case_id, []).append(row)
    return found


def open_task_ids(tx, case_ids: list[str]) -> dict[str, list[str]]:
    """The open tasks of these cases (one query; the rows stay in the unit of work), by case id."""
    found: dict[str, list[str]] = {}
    if case_ids:
        for row in tx.session.scalars(open_task_query(TaskRow.case_id.in_(case_ids))):
            found.setdefault(row.case_id, []).append(row.id)
    return found


def release_cases(tx, case_ids: list[str], holder: str) -> None:
    """Give back ``holder``'s claims on these cases' timers (they were busy: the next round tries again)."""
    if case_ids:
        tx.session.execute(
            update(TimerRow).where(TimerRow.case_id.in_(case_ids), TimerRow.locked_by == holder)
            .values(locked_by=None, locked_until=None).execution_options(synchronize_session=False)
        )


def release(tx, case_id: str, holder: str) -> None:
    """Give back ``holder``'s claims on a case's timers (the case was busy: the next round tries again)."""
    tx.session.execute(
        update(TimerRow).where(TimerRow.case_id == case_id, TimerRow.locked_by == holder)
        .values(locked_by=None, locked_until=None).execution_options(synchronize_session=False)
    )


def due_case_ids(tx, now: datetime, limit: int, skip: set[str] | None = None) -> list[str]:
    """Cases with a waiting timer due before ``now``, earliest first, claimed or not (for catch-up runs)."""
    query = (
        select(TimerRow.case_id, func.min(TimerRow.due_at).label("due"))
        .where(TimerRow.status == "waiting", TimerRow.due_at < now)
        .group_by(TimerRow.case_id).order_by("due", TimerRow.case_id).limit(limit + len(skip or ()))
    )
    ids = [row.case_id for row in tx.session.execute(query)]
    return [i for i in ids if i not in (skip or ())][:limit]


def pending(tx, now: datetime) -> tuple[int, datetime | None]:
    """How many waiting timers are due before ``now``, and when the earliest claim on them runs out."""
    count, lease_end = tx.session.execute(
        select(func.count(TimerRow.id), func.min(TimerRow.locked_until))
        .where(TimerRow.status == "waiting", TimerRow.due_at < now)
    ).one()
    starts = tx.session.scalar(
        select(func.count(StartScheduleRow.id)).where(StartScheduleRow.status == "waiting", StartScheduleRow.due_at < now)
    )
    return count + starts, lease_end


def case_timers(tx, case_id: str) -> list[TimerRow]:
    return list(tx.session.scalars(select(TimerRow).where(TimerRow.case_id == case_id).order_by(TimerRow.id)))


def drop_case_timers(tx, case_id: str) -> int:
    """Delete every timer row of a case that is no longer running (it cannot fire any more)."""
    return tx.session.execute(delete(TimerRow).where(TimerRow.case_id == case_id)).rowcount or 0


def failed_case_ids(tx, case_id: str | None = None) -> list[str]:
    """Cases with a timer that failed, or with an open timer incident (``case_id``: only that case)."""
    query = select(TimerRow.case_id).where(TimerRow.status == "failed")
    if case_id:
        query = query.where(TimerRow.case_id == case_id)
    ids = set(tx.session.scalars(query))
    incidents = select(IncidentRow.case_id).where(IncidentRow.kind == "timer", IncidentRow.resolved_at.is_(None))
    if case_id:
        incidents = incidents.where(IncidentRow.case_id == case_id)
    ids.update(tx.session.scalars(incidents))
    return sorted(ids)


def timers(tx, now: datetime | None = None, case_id: str | None = None, limit: int = 500) -> list[TimerRow]:
    """Waiting and failed timers, earliest first; ``now``: only those whose time has passed."""
    query = select(TimerRow)
    if now is not None:
        query = query.where(TimerRow.due_at < now)
    if case_id:
        query = query.where(TimerRow.case_id == case_id)
    return list(tx.session.scalars(query.order_by(TimerRow.due_at, TimerRow.id).limit(limit)))


def flush(tx) -> None:
    """Write what the unit of work holds so far, so the next round of the same transaction reads it.

    Case rows stay out: a catch-up writes its case row once, after the last round (``Step.save``)."""
    session = tx.session
    pending = [row for row in (*session.new, *session.dirty, *session.deleted) if not isinstance(row, CaseRow)]
    if pending:
        session.flush(pending)


# --- incidents ------------------------------------------------------------------------------------


def open_incident(tx, case_id: str, element: str, kind: str = "timer") -> IncidentRow | None:
    return tx.session.scalars(
        select(IncidentRow).where(
            IncidentRow.case_id == case_id, IncidentRow.element == element, IncidentRow.kind == kind,
            IncidentRow.resolved_at.is_(None),
        )
    ).first()


def resolve_incidents(tx, case_id: str, at: datetime, kind: str = "timer") -> list[IncidentRow]:
    """Mark a case's open incidents of ``kind`` resolved; returns them."""
    rows = list(tx.session.scalars(
        select(IncidentRow).where(IncidentRow.case_id == case_id, IncidentRow.kind == kind,
                                  IncidentRow.resolved_at.is_(None)).order_by(IncidentRow.id)
    ))
    for row in rows:
        row.resolved_at = at
    return rows


def incidents(tx, case_id: str | None = None, open_only: bool = True, limit: int = 500) -> list[IncidentRow]:
    query = select(IncidentRow)
    if case_id:
        query = query.where(IncidentRow.case_id == case_id)
    if open_only:
        query = query.where(IncidentRow.resolved_at.is_(None))
    return list(tx.session.scalars(query.order_by(IncidentRow.created_at, IncidentRow.id).limit(limit)))


# --- the SQLite scheduler lease -------------------------------------------------------------------


def take_lease(tx, name: str, holder: str, now: datetime, until: datetime) -> bool:
    """Take or extend the named lease for ``holder``; False while another holder's lease runs."""
    row = tx.session.get(SchedulerLeaseRow, name)
    if row is None:
        tx.session.add(SchedulerLeaseRow(name=name, holder=holder, until=until))
        return True
    if row.holder != holder and row.until >= now:
        return False
    row.holder, row.until = holder, until
    return True


def take_due(tx, name: str, holder: str, now: datetime, until: datetime) -> bool:
    """Take the named once-per-period job for ``holder`` until ``until`` when it is due (no row yet, or its
    ``until`` has passed) — whoever holds it, this holder too; False when it is not due or another has it.

    The row is locked while deciding (PostgreSQL ``FOR UPDATE``; SQLite has one writer at a time), so of
    two schedulers asking at once one takes it and the other sees it taken. Two that both find no row:
    the second insert fails on the primary key and that scheduler reports not taken.
    """
    query = select(SchedulerLeaseRow).where(SchedulerLeaseRow.name == name)
    if not tx.store.is_sqlite:
        query = query.with_for_update()
    row = tx.session.scalars(query).first()
    if row is None:
        try:
            with tx.session.begin_nested():
                tx.session.add(SchedulerLeaseRow(name=name, holder=holder, until=until))
        except IntegrityError:
            return False
        return True
    if row.until > now:
        return False
    row.holder, row.until = holder, until
    return True


def hand_over(tx, name: str, holder: str, until: datetime) -> None:
    """The job is done until ``until``: move the named row on (as long as ``holder`` still has it)."""
    tx.session.execute(
        update(SchedulerLeaseRow).where(SchedulerLeaseRow.name == name, SchedulerLeaseRow.holder == holder)
        .values(until=until).execution_options(synchronize_session=False)
    )


def drop_lease(tx, name: str, holder: str) -> None:
    tx.session.execute(
        delete(SchedulerLeaseRow).where(SchedulerLeaseRow.name == name, SchedulerLeaseRow.holder == holder)
    )


def lease_holder(tx, name: str) -> SchedulerLeaseRow | None:
    return tx.session.get(SchedulerLeaseRow, name)


# --- start schedules (timer start events) ---------------------------------------------------------


def schedules(tx, process_id: str | None = None) -> list[StartScheduleRow]:
    query = select(StartScheduleRow)
    if process_id:
        query = query.where(StartScheduleRow.process_id == process_id)
    return list(tx.session.scalars(query.order_by(StartScheduleRow.process_id, StartScheduleRow.element)))


def schedule(tx, schedule_id: int) -> StartScheduleRow | None:
    return tx.session.get(StartScheduleRow, schedule_id)


def add_schedule(tx, row: StartScheduleRow) -> None:
    tx.session.add(row)


def drop_schedule(tx, row: StartScheduleRow) -> None:
    tx.session.delete(row)


def lock_due_schedule(tx, now: datetime, failed: bool = False, skip: set[int] | None = None) -> StartScheduleRow | None:
    """Lock the earliest due start schedule for this transaction, skipping rows others hold; or None.

    ``failed``: the schedules that failed before (a retry) instead of the waiting ones.
    """
    query = (
        select(StartScheduleRow)
        .where(StartScheduleRow.status == ("failed" if failed else "waiting"), StartScheduleRow.due_at < now)
        .order_by(StartScheduleRow.due_at, StartScheduleRow.id).limit(1).with_for_update(skip_locked=True)
    )
    if skip:
        query = query.where(StartScheduleRow.id.not_in(skip))
    return tx.session.scalars(query).first()


# --- deadlines of user tasks ----------------------------------------------------------------------


def overdue_tasks(tx, now: datetime, field: str = "due", role: str | None = None, user: str | None = None,
                  roles: list[str] | None = None, limit: int | None = None) -> list[TaskRow]:
    """Open tasks whose due date (``field="due"``) or follow-up date (``"follow_up"``) has passed."""
    column = TaskRow.due_at if field == "due" else TaskRow.follow_up_at
    query = open_task_query(column.is_not(None), column < now, role=role, roles=roles, user=user)
    query = query.order_by(column, TaskRow.created_at, TaskRow.id)
    if limit is not None:
        query = query.limit(limit)
    return list(tx.session.scalars(query))


def case_status(tx, case_id: str) -> str | None:
    return tx.session.scalar(select(CaseRow.status).where(CaseRow.id == case_id))
