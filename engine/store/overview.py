"""The coordinator's counts at any number of cases: open tasks per stage and per assignee (and how many of
them are overdue), cases per process and status, without reading every task or case.

Triggers (migration ``0032_overview_counts``) append a delta row (+1 / -1) for every change of an open
task's stage, assignee, due time or state, and of a case's process or status, in the transaction that makes
the change: counts that cannot drift from the rows, and no counter row that concurrent steps wait on. A
count is its folded total (``overview_*_totals``, one row per key) plus the deltas since the fold.
``compact`` folds: it deletes the deltas there are (``DELETE … RETURNING``: exactly those, a step that
commits meanwhile keeps its delta for the next fold) and adds them to their keys' totals (an upsert), under
a lock that a second fold skips instead of waiting on; it runs when ``COMPACT_AFTER`` deltas have come.

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
from collections.abc import Sequence
from datetime import UTC, datetime, time
from typing import Any, cast

from sqlalchemy import (
    Connection,
    and_,
    bindparam,
    case,
    delete,
    false,
    func,
    literal_column,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect

from . import Tx
from .models import (
    AccessRow,
    AssigneeTotalRow,
    CaseCountRow,
    CaseRow,
    CaseTotalRow,
    IncidentRow,
    LaneTotalRow,
    OpenTaskCountRow,
    ProcessRow,
    RoleTotalRow,
    StageTotalRow,
    TaskRow,
    TeamMemberRow,
    TeamProcessRow,
    UserRow,
)

__all__ = ["compact", "needs_compacting", "read", "OverviewRead", "COMPACT_AFTER"]

COMPACT_AFTER = 500          # fold when this many delta rows wait (the overview reads them on every view)
_FOLD_LOCK = 7262812         # the advisory lock of a fold on PostgreSQL (any constant)
_FOLDS = (      # deltas -> the totals they add to, by those totals' key
    (OpenTaskCountRow, StageTotalRow, ("process_id", "name", "title", "role", "due_day")),
    (OpenTaskCountRow, AssigneeTotalRow, ("assignee", "due_day")),
    (OpenTaskCountRow, RoleTotalRow, ("process_id", "role")),
    (OpenTaskCountRow, LaneTotalRow, ("process_id", "role", "assignee", "due_day")),
    (CaseCountRow, CaseTotalRow, ("process_id", "status")),
)


def needs_compacting(tx: Tx) -> bool:
    """Whether more than ``COMPACT_AFTER`` delta rows wait to be folded."""
    return (tx.session.scalar(select(func.count()).select_from(OpenTaskCountRow)) or 0) + (
        tx.session.scalar(select(func.count()).select_from(CaseCountRow)) or 0) > COMPACT_AFTER


def compact(tx: Tx) -> bool:
    """Fold the deltas into the totals (see the module); keys whose total comes to 0 go. False when another
    fold holds the lock (PostgreSQL; SQLite has one writer at a time): that one folds what is there."""
    if not tx.store.is_sqlite and not tx.session.scalar(select(func.pg_try_advisory_xact_lock(_FOLD_LOCK))):
        return False
    if not tx.store.is_sqlite:
        conn = tx.session.connection()
        for sql in _fold_sql(conn.dialect):
            conn.exec_driver_sql(sql)
        return True
    for deltas in (OpenTaskCountRow, CaseCountRow):
        taken = tx.session.execute(delete(deltas).returning(*deltas.__table__.c)).mappings().all()
        for source, totals, key in _FOLDS:
            if source is not deltas:
                continue
            sums: dict[tuple, int] = defaultdict(int)
            for row in taken:
                sums[tuple("" if row[k] is None else row[k] for k in key)] += row["delta"]
            rows = [{**dict(zip(key, values, strict=True)), "n": n} for values, n in sorted(sums.items()) if n]
            if rows:
                upsert = sqlite_insert(totals)
                tx.session.execute(upsert.on_conflict_do_update(index_elements=list(key),
                                                                set_={"n": totals.n + upsert.excluded.n}), rows)
                tx.session.execute(delete(totals).where(totals.n == 0))
    return True


_fold: dict[str, tuple[str, str]] = {}


def _fold_sql(dialect: Dialect) -> tuple[str, str]:
    """PostgreSQL's fold as two statements (data-modifying CTEs): the deltas deleted, summed per key of each
    totals table and upserted there, without the rows coming to Python and back; then the keys whose total
    came to 0 deleted (a statement sees the tables as they were when it began). Built once."""
    if dialect.name not in _fold:
        taken: dict[Any, Any] = {deltas: delete(deltas).returning(*deltas.__table__.c).cte(f"taken_{deltas.__tablename__}")
                                 for deltas in (OpenTaskCountRow, CaseCountRow)}
        upserts = []
        for i, (deltas, totals, key) in enumerate(_FOLDS):
            totals = cast(Any, totals)
            rows = taken[deltas]
            values = [func.coalesce(rows.c[k], "") if k in ("role", "assignee", "due_day") else rows.c[k] for k in key]
            summed = select(*values, func.sum(rows.c.delta)).group_by(*values).having(func.sum(rows.c.delta) != 0)
            upsert = pg_insert(totals).from_select([*key, "n"], summed)
            upserts.append(upsert.on_conflict_do_update(index_elements=list(key),
                                                        set_={"n": totals.n + upsert.excluded.n}).cte(f"fold_{i}"))
        statement: Any = select(literal_column("1")).add_cte(*taken.values(), *upserts)
        zeros: Any = select(literal_column("1")).add_cte(*(
            delete(totals).where(cast(Any, totals).n == 0).cte(f"zero_{i}") for i, (_, totals, _) in enumerate(_FOLDS)))
        fold, drop = (str(s.compile(dialect=dialect, compile_kwargs={"literal_binds": True})) for s in (statement, zeros))
        _fold[dialect.name] = (fold, drop)
    return _fold[dialect.name]


# --- the whole overview in one statement ------------------------------------------------------------

_TASK_COLUMNS = (TaskRow.id, TaskRow.case_id, CaseRow.subject, TaskRow.title, TaskRow.name, TaskRow.process_id,
                 TaskRow.role, TaskRow.assignee, TaskRow.due_at, TaskRow.follow_up_at, TaskRow.created_at,
                 CaseRow.number, CaseRow.casemanager)      # engine.store.inbox.InboxRow, in its order
_TASK_TIMES = (8, 9, 10)
_URGENT = (TaskRow.due_at.is_(None), TaskRow.due_at, TaskRow.created_at, TaskRow.id)


class OverviewRead(dict):
    """What ``read`` found: the keys of ``engine.store.inbox.overview`` plus ``processes`` (id -> (name,
    current version)), ``people`` (username -> name), ``break_glass`` (access rows, newest first) and
    ``pending`` (delta rows in the projection: when they pile up, ``compact``) and ``walks`` (the scope the
    counts keep to, None: everything)."""


def _rows(dialect: str, query, *columns) -> Any:
    """``query``'s rows as one JSON array of arrays (``[]`` when there are none): a scalar subquery."""
    found = query.subquery()
    values = [found.c[c] for c in columns] if columns else list(found.c)
    if dialect == "sqlite":
        return select(func.json_group_array(func.json_array(*values))).scalar_subquery()
    return select(func.coalesce(func.json_agg(func.json_build_array(*values)),
                                literal_column("'[]'::json"))).scalar_subquery()


def _counts(totals):
    """Open tasks per key of ``totals``: the folded totals ('' back to NULL) and the deltas since, a row
    each, for the caller to add up."""
    D = OpenTaskCountRow
    columns = [c.name for c in totals.__table__.c if c.name != "n"]
    return union_all(
        select(*(func.nullif(getattr(totals, c), "").label(c) if c in ("assignee", "due_day", "role")
                 else getattr(totals, c) for c in columns), totals.n.label("n")),
        select(*(getattr(D, c) for c in columns), D.delta.label("n"))).subquery()


Shape = tuple[bool, ...] | None     # a scope's walks: per (process, lane) whether it names a lane; None: all


def _in_scope(shape: Shape, process, role) -> Any:
    """The condition for rows of the scope's walks (parameters ``walk_process_i``, ``walk_lane_i``)."""
    if shape is None:
        return true()
    return or_(*(and_(process == bindparam(f"walk_process_{i}", None),
                      *([role == bindparam(f"walk_lane_{i}", None)] if lane else []))
                 for i, lane in enumerate(shape)), false())


def _task_list(shape: Shape, limit: int, *where, order: tuple) -> Any:
    """The first ``limit`` open tasks in ``order`` with their case: one ordered index walk per walk of the
    scope (``limit`` rows each, merged), as the inbox does, so a small team's tasks are not searched for
    among everyone's."""
    walks: list = [None] if shape is None else list(enumerate(shape))

    def walk_of(walk) -> list:
        if walk is None:
            return []
        i, lane = walk
        return [TaskRow.process_id == bindparam(f"walk_process_{i}", None),
                *([TaskRow.role == bindparam(f"walk_lane_{i}", None)] if lane else [])]

    firsts = [select(TaskRow.id).where(TaskRow.state == "open", *where, *walk_of(walk)).order_by(*order).limit(limit)
              for walk in walks]
    picked = (select(TaskRow.id).where(false()) if not firsts else firsts[0] if len(firsts) == 1
              else union_all(*(select(first.subquery()) for first in firsts)))
    return (select(*_TASK_COLUMNS).join(CaseRow, CaseRow.id == TaskRow.case_id)
            .where(TaskRow.id.in_(picked.scalar_subquery())).order_by(*order).limit(limit))


def _statement(dialect: str, limit: int, shape: Shape = None):
    from .privacy import BREAK_GLASS_PAGE

    today: Any = bindparam("today", None)
    day_start: Any = bindparam("day_start", None)
    now: Any = bindparam("now", None)
    stages = _counts(StageTotalRow)
    stage = (stages.c.process_id, stages.c.name, stages.c.title)
    # Without a scope the workload per assignee comes from its own small table; a team's from its lanes.
    people = _counts(AssigneeTotalRow if shape is None else LaneTotalRow)
    roles = _counts(RoleTotalRow)
    processes: list | None = (None if shape is None else
                              [bindparam(f"walk_process_{i}", None) for i in range(len(shape))])
    cases = union_all(select(CaseTotalRow.process_id, CaseTotalRow.status, CaseTotalRow.n),
                      select(CaseCountRow.process_id, CaseCountRow.status, CaseCountRow.delta)).subquery()
    incident = (select(IncidentRow.case_id, IncidentRow.element, IncidentRow.message, IncidentRow.created_at)
                .where(IncidentRow.resolved_at.is_(None)))
    if processes is not None:       # each open incident's case looked up (a join may walk every case instead)
        of_case = select(CaseRow.process_id).where(CaseRow.id == IncidentRow.case_id).scalar_subquery()
        incident = incident.where(of_case.in_(processes) if processes else false())
    newest = incident.order_by(IncidentRow.created_at.desc()).limit(limit).subquery()
    parts = {
        "stages": select(*stage, func.sum(stages.c.n), func.sum(case((stages.c.due_day < today, stages.c.n), else_=0)))
        .where(_in_scope(shape, stages.c.process_id, stages.c.role)).group_by(*stage),
        "workload": select(people.c.assignee, func.sum(people.c.n),
                           func.sum(case((people.c.due_day < today, people.c.n), else_=0)))
        .where(_in_scope(shape, people.c.process_id, people.c.role) if shape is not None else true())
        .group_by(people.c.assignee),
        # Today's tasks due before now, from the covering (state, due_at, stage, assignee) index.
        "today_late": select(TaskRow.process_id, TaskRow.name, TaskRow.title, TaskRow.assignee, func.count())
        .where(TaskRow.state == "open", TaskRow.due_at >= day_start, TaskRow.due_at < now,
               _in_scope(shape, TaskRow.process_id, TaskRow.role))
        .group_by(TaskRow.process_id, TaskRow.name, TaskRow.title, TaskRow.assignee),
        "cases": select(cases.c.process_id, cases.c.status, func.sum(cases.c.n))
        .where(true() if processes is None else cases.c.process_id.in_(processes) if processes else false())
        .group_by(cases.c.process_id, cases.c.status),
        # Each list walks an index in the order shown and stops after ``limit`` rows (due_at < now: never NULL).
        "overdue": _task_list(shape, limit, TaskRow.due_at < now, order=(TaskRow.due_at, TaskRow.created_at, TaskRow.id)),
        "escalations": _task_list(shape, limit, TaskRow.role == "coordinator", order=_URGENT),
        # The newest open incidents first, then their cases (joined the other way round, a planner may walk
        # every case looking for incidents).
        "incidents": select(newest.c.case_id, newest.c.element, newest.c.message, newest.c.created_at,
                            CaseRow.subject, CaseRow.number).join(CaseRow, CaseRow.id == newest.c.case_id),
        "processes": select(ProcessRow.id, ProcessRow.name, ProcessRow.current_version_id),
        "people": select(UserRow.username, UserRow.name),
        # Teams (what a team coordinator's scope is made of): every team's processes, the user's memberships.
        "lanes": select(TeamProcessRow.process_id, TeamProcessRow.lane, TeamProcessRow.team_id),
        "memberships": select(TeamMemberRow.team_id, TeamMemberRow.role)
        .where(TeamMemberRow.username == bindparam("username", None)),
        "break_glass": select(AccessRow.seq, AccessRow.at, AccessRow.actor, AccessRow.case_id, AccessRow.page,
                              AccessRow.reason, AccessRow.hash)
        .where(AccessRow.page == BREAK_GLASS_PAGE, AccessRow.at >= bindparam("since", None))
        .order_by(AccessRow.seq.desc()).limit(50),
    }
    incidents_total = select(func.count()).select_from(incident.subquery())
    scalars = {
        "escalations_total": select(func.coalesce(func.sum(roles.c.n), 0))
        .where(roles.c.role == "coordinator", _in_scope(shape, roles.c.process_id, roles.c.role)).scalar_subquery(),
        "incidents_total": incidents_total.scalar_subquery(),
        "pending": (select(func.count()).select_from(OpenTaskCountRow).scalar_subquery()
                    + select(func.count()).select_from(CaseCountRow).scalar_subquery()),
    }
    return select(*(_rows(dialect, q).label(k) for k, q in parts.items()),
                  *(v.label(k) for k, v in scalars.items()))


_compiled: dict[tuple[str, int, Shape], tuple[str, dict[str, Any], tuple[str, ...] | None]] = {}


def _compile(dialect: Dialect, limit: int, shape: Shape = None) -> tuple[str, dict[str, Any], tuple[str, ...] | None]:
    """The statement's SQL, its parameters' fixed values and (qmark style) their order: built once per
    dialect and shape of scope."""
    key = (dialect.name, limit, shape)
    if key not in _compiled:
        compiled = _statement(dialect.name, limit, shape).compile(dialect=dialect)
        _compiled[key] = (compiled.string, compiled.construct_params(),
                          tuple(compiled.positiontup or ()) if compiled.positional else None)
    return _compiled[key]


def _walks(username: str, roles, lanes: Sequence, memberships: Sequence, processes) -> list[tuple[str, str | None]] | None:
    """The (process, lane) pairs a team coordinator's overview keeps to (``WorkScope.all_walks``: what their
    "all tasks" shows), or None when that is everything (no teams, or a coordinator of every team's work)."""
    from .teams import WorkScope

    if not lanes:
        return None
    scope = WorkScope(username, frozenset(roles), {team: role for team, role in memberships},
                      {(p, lane): team for p, lane, team in lanes})
    ids = sorted(processes)
    walks = scope.all_walks(ids)
    return None if set(walks) == {(p, None) for p in ids} else walks


def _stored(moment: datetime, dialect: str) -> Any:
    """A moment as the store holds it (``models.UTCDateTime``: naive UTC; SQLite's text as SQLAlchemy writes it)."""
    naive = moment.astimezone(UTC).replace(tzinfo=None)
    return naive.strftime("%Y-%m-%d %H:%M:%S.%f") if dialect == "sqlite" else naive


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).replace(tzinfo=UTC) if value is not None else None


def read(conn: Connection, now: datetime, since: datetime, limit: int = 10, user: str | None = None,
         roles=("coordinator",)) -> OverviewRead:
    """Everything the coordinator's overview shows, in one statement on ``conn`` (see the module): the counts
    from the projection, the first ``limit`` overdue tasks and escalations, the newest open incidents, the
    processes, people's names and the break-the-glass reads since ``since``. For ``user``, a team coordinator,
    the counts, lists, cases and incidents keep to what their "all tasks" shows (``walks``: the processes and
    lanes their teams work, and what no team works): a second statement, only when that is not everything."""
    if user is not None and conn.dialect.name == "sqlite":
        # In-process, a statement costs no round trip: the scope first, then the one statement it needs.
        lanes = conn.execute(select(TeamProcessRow.process_id, TeamProcessRow.lane, TeamProcessRow.team_id)).all()
        memberships = conn.execute(select(TeamMemberRow.team_id, TeamMemberRow.role)
                                   .where(TeamMemberRow.username == user)).all() if lanes else []
        ids = list(conn.execute(select(ProcessRow.id)).scalars()) if lanes else []
        walks = _walks(user, roles, lanes, memberships, ids)
        found = _read(conn, now, since, limit, walks, None)
    else:
        found = _read(conn, now, since, limit, None, user)
        lanes, memberships = found["lanes"], found["memberships"]
        walks = _walks(user, roles, lanes, memberships, found["processes"]) if user is not None else None
        if walks is not None:       # a team coordinator's second statement
            found = _read(conn, now, since, limit, walks, None)
    del found["lanes"], found["memberships"]
    found["walks"] = walks
    return found


def _read(conn: Connection, now: datetime, since: datetime, limit: int, walks: list[tuple[str, str | None]] | None,
          user: str | None) -> OverviewRead:
    from .inbox import InboxRow

    now = now.astimezone(UTC)
    shape = None if walks is None else tuple(lane is not None for _, lane in walks)
    sql, fixed, positions = _compile(conn.dialect, limit, shape)
    moments = {"now": now, "day_start": datetime.combine(now.date(), time(0), UTC), "since": since.astimezone(UTC)}
    values = {**fixed, "today": now.date().isoformat(),
              **{k: _stored(v, conn.dialect.name) for k, v in moments.items()}}
    values["username"] = user
    for i, (process, lane) in enumerate(walks or ()):
        values[f"walk_process_{i}"], values[f"walk_lane_{i}"] = process, lane
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
    incidents = sorted(((c, e, m, datetime.fromisoformat(at).replace(tzinfo=UTC), s, number)
                        for c, e, m, at, s, number in got["incidents"]), key=lambda r: r[3], reverse=True)
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
        lanes=got["lanes"],
        memberships=got["memberships"],
    )
