"""The coordinator's counts at any number of cases: open tasks per stage and per assignee (and how many of
them are overdue), cases per process and status, without reading every task or case.

Triggers (migration ``0032_overview_counts``) append a delta row (+1 / -1) for every change of an open
task's stage, assignee, due time or state, and of a case's process or status, in the transaction that makes
the change: counts that cannot drift from the rows, and no counter row that concurrent steps wait on. A
count is the sum of its deltas; ``compact`` folds them into one row per key when they pile up.

Overdue at ``now``: the tasks of the due days before today (UTC) come from the counts; those due today
before ``now`` from the tasks themselves (an index range over one day).

``read`` is everything the coordinator's overview shows in ONE statement (each part a JSON array from a
scalar subquery): on PostgreSQL every statement is a round trip between two processes, and a loaded machine
makes each of them slow; a single statement is also its own consistent snapshot, so it needs no transaction
(no BEGIN / COMMIT round trips either). The statement is built and compiled once per dialect.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, time
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, bindparam, case, delete, func, insert, literal_column, select
from sqlalchemy.engine import Dialect

from . import Tx
from .models import AccessRow, CaseCountRow, CaseRow, IncidentRow, OpenTaskCountRow, ProcessRow, TaskRow, UserRow

__all__ = ["task_counts", "case_counts", "compact", "needs_compacting", "read", "OverviewRead", "folded"]

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
    return rows > folded(tx.store) + COMPACT_AFTER


_kept: WeakKeyDictionary = WeakKeyDictionary()      # Store -> rows left by this process's last fold


def folded(store) -> int:
    """The delta rows this process's last fold left (0 before any): fold again ``COMPACT_AFTER`` later."""
    return _kept.get(store, 0)


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


# --- the whole overview in one statement ------------------------------------------------------------

_TASK_COLUMNS = (TaskRow.id, TaskRow.case_id, CaseRow.subject, TaskRow.title, TaskRow.name, TaskRow.process_id,
                 TaskRow.role, TaskRow.assignee, TaskRow.due_at, TaskRow.follow_up_at, TaskRow.created_at,
                 CaseRow.number, CaseRow.casemanager)      # engine.store.inbox.InboxRow, in its order
_TASK_TIMES = (8, 9, 10)
_URGENT = (TaskRow.due_at.is_(None), TaskRow.due_at, TaskRow.created_at, TaskRow.id)


class OverviewRead(dict):
    """What ``read`` found: the keys of ``engine.store.inbox.overview`` plus ``processes`` (id -> (name,
    current version)), ``people`` (username -> name), ``break_glass`` (access rows, newest first) and
    ``pending`` (delta rows in the projection: when they pile up, ``compact``)."""


def _rows(dialect: str, query, *columns) -> Any:
    """``query``'s rows as one JSON array of arrays (``[]`` when there are none): a scalar subquery."""
    found = query.subquery()
    values = [found.c[c] for c in columns] if columns else list(found.c)
    if dialect == "sqlite":
        return select(func.json_group_array(func.json_array(*values))).scalar_subquery()
    return select(func.coalesce(func.json_agg(func.json_build_array(*values)),
                                literal_column("'[]'::json"))).scalar_subquery()


def _statement(dialect: str, limit: int):
    from .privacy import BREAK_GLASS_PAGE

    today: Any = bindparam("today", None)
    day_start: Any = bindparam("day_start", None)
    now: Any = bindparam("now", None)
    before_today = func.sum(case((OpenTaskCountRow.due_day < today, OpenTaskCountRow.delta), else_=0))
    newest = (select(IncidentRow.case_id, IncidentRow.element, IncidentRow.message, IncidentRow.created_at)
              .where(IncidentRow.resolved_at.is_(None)).order_by(IncidentRow.created_at.desc()).limit(limit)
              .subquery())
    parts = {
        "stages": select(*_STAGE, func.sum(OpenTaskCountRow.delta), before_today).group_by(*_STAGE),
        "workload": select(OpenTaskCountRow.assignee, func.sum(OpenTaskCountRow.delta), before_today)
        .group_by(OpenTaskCountRow.assignee),
        # Today's tasks due before now, from the covering (state, due_at, stage, assignee) index.
        "today_late": select(TaskRow.process_id, TaskRow.name, TaskRow.title, TaskRow.assignee, func.count())
        .where(TaskRow.state == "open", TaskRow.due_at >= day_start, TaskRow.due_at < now)
        .group_by(TaskRow.process_id, TaskRow.name, TaskRow.title, TaskRow.assignee),
        "cases": select(CaseCountRow.process_id, CaseCountRow.status, func.sum(CaseCountRow.delta))
        .group_by(CaseCountRow.process_id, CaseCountRow.status),
        # Each list walks an index in the order shown and stops after ``limit`` rows (due_at < now: never NULL).
        "overdue": select(*_TASK_COLUMNS).join(CaseRow, CaseRow.id == TaskRow.case_id)
        .where(TaskRow.state == "open", TaskRow.due_at < now)
        .order_by(TaskRow.due_at, TaskRow.created_at, TaskRow.id).limit(limit),
        "escalations": select(*_TASK_COLUMNS).join(CaseRow, CaseRow.id == TaskRow.case_id)
        .where(TaskRow.state == "open", TaskRow.role == "coordinator").order_by(*_URGENT).limit(limit),
        # The newest open incidents first, then their cases (joined the other way round, a planner may walk
        # every case looking for incidents).
        "incidents": select(newest.c.case_id, newest.c.element, newest.c.message, newest.c.created_at,
                            CaseRow.subject).join(CaseRow, CaseRow.id == newest.c.case_id),
        "processes": select(ProcessRow.id, ProcessRow.name, ProcessRow.current_version_id),
        "people": select(UserRow.username, UserRow.name),
        "break_glass": select(AccessRow.seq, AccessRow.at, AccessRow.actor, AccessRow.case_id, AccessRow.page,
                              AccessRow.reason, AccessRow.hash)
        .where(AccessRow.page == BREAK_GLASS_PAGE, AccessRow.at >= bindparam("since", None))
        .order_by(AccessRow.seq.desc()).limit(50),
    }
    scalars = {
        "escalations_total": select(func.coalesce(func.sum(OpenTaskCountRow.delta), 0))
        .where(OpenTaskCountRow.role == "coordinator").scalar_subquery(),
        "incidents_total": select(func.count()).where(IncidentRow.resolved_at.is_(None)).scalar_subquery(),
        "pending": (select(func.count()).select_from(OpenTaskCountRow).scalar_subquery()
                    + select(func.count()).select_from(CaseCountRow).scalar_subquery()),
    }
    return select(*(_rows(dialect, q).label(k) for k, q in parts.items()),
                  *(v.label(k) for k, v in scalars.items()))


_compiled: dict[tuple[str, int], tuple[str, dict[str, Any], tuple[str, ...] | None]] = {}


def _compile(dialect: Dialect, limit: int) -> tuple[str, dict[str, Any], tuple[str, ...] | None]:
    """The statement's SQL, its parameters' fixed values and (qmark style) their order: built once."""
    key = (dialect.name, limit)
    if key not in _compiled:
        compiled = _statement(dialect.name, limit).compile(dialect=dialect)
        _compiled[key] = (compiled.string, compiled.construct_params(),
                          tuple(compiled.positiontup or ()) if compiled.positional else None)
    return _compiled[key]


def _stored(moment: datetime, dialect: str) -> Any:
    """A moment as the store holds it (``models.UTCDateTime``: naive UTC; SQLite's text as SQLAlchemy writes it)."""
    naive = moment.astimezone(UTC).replace(tzinfo=None)
    return naive.strftime("%Y-%m-%d %H:%M:%S.%f") if dialect == "sqlite" else naive


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).replace(tzinfo=UTC) if value is not None else None


def read(conn: Connection, now: datetime, since: datetime, limit: int = 10) -> OverviewRead:
    """Everything the coordinator's overview shows, in one statement on ``conn`` (see the module): the counts
    from the projection, the first ``limit`` overdue tasks and escalations, the newest open incidents, the
    processes, people's names and the break-the-glass reads since ``since``."""
    from .inbox import InboxRow

    now = now.astimezone(UTC)
    sql, fixed, positions = _compile(conn.dialect, limit)
    moments = {"now": now, "day_start": datetime.combine(now.date(), time(0), UTC), "since": since.astimezone(UTC)}
    values = {**fixed, "today": now.date().isoformat(),
              **{k: _stored(v, conn.dialect.name) for k, v in moments.items()}}
    params: Any = tuple(values[p] for p in positions) if positions is not None else values
    row = conn.exec_driver_sql(sql, params).mappings().one()
    got = {k: json.loads(v) if isinstance(v, str) else v for k, v in row.items()}

    stages: dict[tuple[str, str, str], list[int]] = {}
    for process_id, name, title, count, late in got["stages"]:
        stages[(process_id, name, title)] = [int(count or 0), int(late or 0)]
    workload: dict[str | None, list[int]] = {who: [int(count or 0), int(late or 0)] for who, count, late in got["workload"]}
    for process_id, name, title, who, count in got["today_late"]:
        stages.setdefault((process_id, name, title), [0, 0])[1] += count
        workload.setdefault(who, [0, 0])[1] += count

    def tasks(rows: list) -> list[InboxRow]:
        for r in rows:
            for i in _TASK_TIMES:
                r[i] = _time(r[i])
        return [InboxRow(*r) for r in rows]

    # JSON aggregates keep no promised order: each list is put in its order here (ten rows).
    overdue = sorted(tasks(got["overdue"]), key=lambda r: (r.due_at, r.created_at, r.task_id))
    escalations = sorted(tasks(got["escalations"]), key=lambda r: (
        r.due_at is None, r.due_at or r.created_at, r.created_at, r.task_id))
    incidents = sorted(((c, e, m, datetime.fromisoformat(at).replace(tzinfo=UTC), s)
                        for c, e, m, at, s in got["incidents"]), key=lambda r: r[3], reverse=True)
    glass = sorted((AccessRow(seq=q, at=_time(at), actor=a, case_id=c, page=p, reason=r, hash=h)
                    for q, at, a, c, p, r, h in got["break_glass"]), key=lambda r: r.seq, reverse=True)
    return OverviewRead(
        cases=[(p, s, int(n)) for p, s, n in got["cases"] if n],
        stages=[(*key, n, late) for key, (n, late) in stages.items() if n],
        workload=sorted(((who, n, late) for who, (n, late) in workload.items() if n),
                        key=lambda r: (-r[1], r[0] or "")),
        overdue=overdue,
        overdue_total=sum(late for _, late in stages.values()),
        escalations=escalations,
        escalations_total=int(got["escalations_total"] or 0),
        incidents=incidents,
        incidents_total=int(got["incidents_total"] or 0),
        processes={p: (name, version) for p, name, version in got["processes"]},
        people={u: name for u, name in got["people"]},
        break_glass=glass,
        pending=int(got["pending"] or 0),
    )
