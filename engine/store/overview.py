"""The coordinator's counts at any number of cases: open tasks per stage and per assignee (and how many of
them are overdue), cases per process and status, without reading every task or case.

Triggers (migration ``0032_overview_counts``) append a delta row (+1 / -1) for every change of an open
task's stage, assignee, due time or state, and of a case's process or status, in the transaction that makes
the change: counts that cannot drift from the rows, and no counter row that concurrent steps wait on. A
count is the sum of its deltas; ``compact`` folds them into one row per key when they pile up.

Overdue at ``now``: the tasks of the due days before today (UTC) come from the counts; those due today
before ``now`` from the tasks themselves (an index range over one day).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, time
from weakref import WeakKeyDictionary

from sqlalchemy import case, delete, func, insert, select

from . import Tx
from .models import CaseCountRow, OpenTaskCountRow, TaskRow

__all__ = ["task_counts", "case_counts", "compact", "needs_compacting"]

COMPACT_AFTER = 2000         # fold when this many delta rows came since the last fold
_STAGE = (OpenTaskCountRow.process_id, OpenTaskCountRow.name, OpenTaskCountRow.title)


def task_counts(tx: Tx, now: datetime) -> tuple[list[tuple[str, str, str, int, int]], list[tuple[str | None, int, int]],
                                                int, int]:
    """Open tasks per stage ``(process, element, title, open, overdue)`` and per assignee
    ``(assignee, open, overdue)`` (None: nobody yet), the number of overdue tasks and the number of open
    tasks for the coordinator's role (escalations). Keys without open tasks are left out."""
    now = now.astimezone(UTC)
    before_today = func.sum(case((OpenTaskCountRow.due_day < now.date().isoformat(), OpenTaskCountRow.delta), else_=0))
    stage_rows = tx.session.execute(
        select(*_STAGE, func.sum(OpenTaskCountRow.delta), before_today).group_by(*_STAGE)).all()
    who_rows = tx.session.execute(
        select(OpenTaskCountRow.assignee, func.sum(OpenTaskCountRow.delta), before_today)
        .group_by(OpenTaskCountRow.assignee)).all()
    stages: dict[tuple[str, str, str], list[int]] = {}
    for process_id, name, title, count, late in stage_rows:
        stages[(process_id, name, title)] = [int(count or 0), int(late or 0)]
    workload: dict[str | None, list[int]] = {who: [int(count or 0), int(late or 0)] for who, count, late in who_rows}
    day_start = datetime.combine(now.date(), time(0), UTC)
    today_late = tx.session.execute(
        select(TaskRow.process_id, TaskRow.name, TaskRow.title, TaskRow.assignee, func.count())
        .where(TaskRow.state == "open", TaskRow.due_at >= day_start, TaskRow.due_at < now)
        .group_by(TaskRow.process_id, TaskRow.name, TaskRow.title, TaskRow.assignee)).all()
    for process_id, name, title, who, count in today_late:
        stages.setdefault((process_id, name, title), [0, 0])[1] += count
        workload.setdefault(who, [0, 0])[1] += count
    overdue = sum(late for _, late in stages.values())
    escalations = tx.session.scalar(select(func.sum(OpenTaskCountRow.delta))
                                    .where(OpenTaskCountRow.role == "coordinator")) or 0
    return ([(*key, n, late) for key, (n, late) in stages.items() if n],
            sorted(((who, n, late) for who, (n, late) in workload.items() if n), key=lambda r: (-r[1], r[0] or "")),
            overdue, int(escalations))


def case_counts(tx: Tx) -> list[tuple[str, str, int]]:
    """Cases per ``(process, status, count)``; pairs without cases are left out."""
    rows = tx.session.execute(select(CaseCountRow.process_id, CaseCountRow.status, func.sum(CaseCountRow.delta))
                              .group_by(CaseCountRow.process_id, CaseCountRow.status)).all()
    return [(p, s, int(n)) for p, s, n in rows if n]


def needs_compacting(tx: Tx) -> bool:
    """Whether ``COMPACT_AFTER`` delta rows came since the last fold in this process (two counts; a fresh
    process folds once when there are more than ``COMPACT_AFTER`` rows at all)."""
    rows = (tx.session.scalar(select(func.count()).select_from(OpenTaskCountRow)) or 0) + (
        tx.session.scalar(select(func.count()).select_from(CaseCountRow)) or 0)
    return rows > _kept.get(tx.store, 0) + COMPACT_AFTER


_kept: WeakKeyDictionary = WeakKeyDictionary()      # Store -> rows left by this process's last fold


def compact(tx: Tx) -> None:
    """Fold the deltas into one row per key (keys that add up to 0 go). Takes exactly the rows it deletes
    (``DELETE … RETURNING``): a delta that a concurrent step commits meanwhile stays as it is, and two
    folds at once each fold what they deleted."""
    kept = 0
    for model, key in ((OpenTaskCountRow, ("process_id", "name", "title", "role", "assignee", "due_day")),
                       (CaseCountRow, ("process_id", "status"))):
        columns = [getattr(model, k) for k in key]
        totals: dict[tuple, int] = defaultdict(int)
        for *values, change in tx.session.execute(delete(model).returning(*columns, model.delta)):
            totals[tuple(values)] += change
        rows = [{**dict(zip(key, values, strict=True)), "delta": n} for values, n in totals.items() if n]
        if rows:
            tx.session.execute(insert(model), rows)
        kept += len(rows)
    _kept[tx.store] = kept
