"""Timer start events: a process whose start event is a timer is started by the scheduler.

A case does not exist before its start event, so a process with a timer start event is started by
the scheduler: one ``start_schedules`` row per timer start event of a process's *current* version
holds when it next starts a case. ``sync_schedules`` keeps the rows in line with what is deployed
(a new version with the same timer keeps its rhythm; a changed timer starts over from the deploy
time; a removed one is dropped). ``start_due`` starts one case per occurrence that has come —
each in one transaction with the schedule row locked, so an occurrence starts exactly one case,
also with several schedulers and after a catch-up.

Inside the case the start event must count as having happened: the parser keeps the timer of a
process-level start event aside as ``timer_definition`` and gives the event no definition of its
own (``RegieStartEventParser`` in engine/spiff.py, as SpiffArena does). A version parsed without
that (none should be) would make the new case wait for its timer once more, so its schedule is
kept but marked failed with the reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimerEventDefinition,
)

from . import cron
from .audit import GENESIS, Event
from .cron import looks_like_cron
from .errors import ConflictError, RegieError
from .store import CaseRow
from .store import timers as sql
from .store.models import StartScheduleRow
from .timers import TICK, RetryResult, _plain

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScheduleView:
    """When a timer start event next starts a case of a process."""

    process_id: str
    element: str
    expression: str
    next: datetime | None
    cycles_left: int
    status: str
    error: str | None

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)



def list_schedules(engine) -> list[ScheduleView]:
    with engine.store.read() as tx:
        rows = sql.schedules(tx)
    return [ScheduleView(r.process_id, r.element, r.expression, r.due_at, r.cycles_left, r.status, r.last_error)
            for r in rows]


NOT_SUPPORTED = (
    "Regie kan dit proces nog niet zelf starten op het tijdstip van de startgebeurtenis (de parser bewaart "
    "de timer nog niet apart). Start de zaak met de hand, of gebruik een gewone startgebeurtenis."
)


def start_timers(version) -> dict[str, tuple[TimerEventDefinition, bool]]:
    """A version's process-level timer start events: element id -> (timer, can the engine start it)."""
    found = {}
    for spec in getattr(version.spec.start, "outputs", ()) if version.spec.start else ():
        timer = getattr(spec, "timer_definition", None)
        if isinstance(timer, TimerEventDefinition):
            found[spec.bpmn_id] = (timer, True)
        elif isinstance(getattr(spec, "event_definition", None), TimerEventDefinition):
            found[spec.bpmn_id] = (spec.event_definition, False)
    return found


def sync_schedules(engine) -> None:
    """Bring ``start_schedules`` in line with the current version of every deployed process.

    Cheap when nothing changed (one read); the scheduler calls it on every round.
    """
    with engine.store.read() as tx:
        current = {p.id: p.current_version_id for p in tx.processes()}
        known = {(r.process_id, r.element): r.version_id for r in sql.schedules(tx)}
    wanted = {}
    for process_id, version_id in current.items():
        try:
            version = engine.version(version_id)
        except RegieError as err:   # a stored version that no longer loads: its other timers still run
            log.warning("process %s version %s does not load: %s", process_id, version_id, err)
            continue
        for element, timer in start_timers(version).items():
            wanted[(process_id, element)] = (version_id, *timer)
    if {k: v[0] for k, v in wanted.items()} == known:
        return
    with engine.store.write() as tx:
        existing = {(r.process_id, r.element): r for r in sql.schedules(tx)}
        for (process_id, element), (version_id, timer, supported) in wanted.items():
            deployed_at = tx.version(version_id).deployed_at
            _sync_schedule(engine, tx, existing.get((process_id, element)), process_id, version_id, element,
                           timer, supported, deployed_at)
        for key, row in existing.items():
            if key not in wanted:
                sql.drop_schedule(tx, row)


def _sync_schedule(engine, tx, row, process_id, version_id, element, timer, supported, deployed_at) -> None:
    if row is not None and row.version_id == version_id:
        return
    if row is not None and row.expression == timer.expression:
        row.version_id = version_id          # same timer in a new version: keep the rhythm
        if supported and row.last_error == NOT_SUPPORTED:
            row.status, row.last_error = "waiting", None
        return
    try:
        due, cycles = first_occurrence(engine, timer, deployed_at)
        status, error = ("waiting", None) if supported else ("failed", NOT_SUPPORTED)
    except (RegieError, ValueError, TypeError, KeyError) as err:
        due, cycles, status, error = None, 0, "failed", f"De timer '{timer.expression}' klopt niet: {err}"
    if row is None:
        row = StartScheduleRow(process_id=process_id, element=element, attempts=0)
        sql.add_schedule(tx, row)
    row.version_id, row.expression, row.due_at, row.cycles_left = version_id, timer.expression, due, cycles
    row.status, row.last_error, row.attempts = status, error, 0


def first_occurrence(engine, timer: TimerEventDefinition, anchor: datetime) -> tuple[datetime, int]:
    """When a timer start event first fires, counted from ``anchor`` (the deploy), and how many starts follow.

    A Quartz cron schedule (``0 0 9 ? * MON-FRI``) fires at its first time after the deploy, without end (-1).

    A cycle with a start date in the past begins at its first occurrence after the deploy: the starts
    it would have made before the process existed are not made up for.
    """
    value = _timer_value(engine, timer.expression)
    if isinstance(timer, CycleTimerEventDefinition) and looks_like_cron(value):
        first = cron.parse(value).next_after(anchor)
        if first is None:
            raise ValueError("dit cron-schema heeft na het uitrollen geen tijdstip meer (het jaar is voorbij)")
        return first, -1
    if isinstance(timer, CycleTimerEventDefinition):
        cycles, first, duration = _parse_cycle(value)
        if first is None:
            return anchor + _period(duration, anchor), cycles
        for _ in range(100_000):    # a very short period far in the past: give up stepping, start after one
            if first >= anchor or cycles == 0:
                return first, cycles
            first, cycles = first + _period(duration, first), cycles - 1 if cycles > 0 else cycles
        return anchor + _period(duration, anchor), cycles
    if isinstance(timer, DurationTimerEventDefinition):
        return anchor + _period(TimerEventDefinition.parse_iso_duration(value), anchor), 1
    return TimerEventDefinition.get_datetime(value), 1


def _timer_value(engine, expression: str) -> str:
    """The ISO-8601 text of a timer: written as such (``P3M``), or what its expression yields."""
    from .spiff import ISO_TIMER

    text = expression.strip()
    if ISO_TIMER.match(text) or looks_like_cron(text):
        return text
    return str(engine.evaluator.evaluate(text, {})).strip()


def _parse_cycle(value: str) -> tuple[int, datetime | None, dict]:
    """``R5/P3M``, ``R/P2M``, ``R/2026-03-01T09:00:00Z/P2M`` -> (starts, first start or None, duration)."""
    parts = value.upper().lstrip("R").split("/")
    cycles = int(parts[0]) if parts[0] else -1
    if len(parts) == 2:
        return cycles, None, TimerEventDefinition.parse_iso_duration(parts[1])
    if len(parts) == 3 and not parts[1].startswith("P"):
        return cycles, TimerEventDefinition.get_datetime(value.split("/")[1]), TimerEventDefinition.parse_iso_duration(parts[2])
    raise ValueError("gebruik de vorm R5/P3M of R/2026-03-01T09:00:00Z/P2M")


def _period(duration: dict, start: datetime) -> timedelta:
    """A duration counted on the calendar from ``start`` (P1M from 31 January ends on the last of February)."""
    return TimerEventDefinition.get_timedelta_from_start(dict(duration), start)


def next_occurrence(engine, row: StartScheduleRow) -> tuple[datetime | None, int]:
    """The schedule after the occurrence ``row.due_at`` has started its case: (next time or None, starts left)."""
    value = _timer_value(engine, row.expression)
    cycles = row.cycles_left - 1 if row.cycles_left > 0 else row.cycles_left
    due = row.due_at
    if due is not None and looks_like_cron(value):
        following = cron.parse(value).next_after(due)
        return following, (-1 if following else 0)
    if cycles == 0 or not value.upper().startswith("R") or due is None:
        return None, 0
    _, _, duration = _parse_cycle(value)
    return due + _period(duration, due), cycles


def start_due(engine, now: datetime, failed: bool = False, limit: int = 1000) -> int:
    """Start one case for every start-schedule occurrence due before ``now``; returns how many started.

    ``failed``: retry the schedules whose start failed before instead.
    """
    sync_schedules(engine)
    started, skip = 0, set[int]()
    while started + len(skip) < limit:
        try:
            outcome = _start_one(engine, now, failed, skip)
        except ConflictError:
            break
        if outcome is None:
            break
        row_id, started_case, error = outcome
        if started_case is not None:
            started += 1
        if error is not None:
            _mark_start_failed(engine, row_id, error)
            skip.add(row_id)
        elif failed:
            skip.add(row_id)
    return started


def _start_one(engine, now: datetime, failed: bool, skip: set[int]):
    """Lock the earliest due schedule, start its case, move the schedule on: one transaction.

    Returns None when nothing is due, else (schedule id, the new case id or None, error or None).
    """
    row_id = None
    try:
        with engine.commands.step("timer") as step:
            row = sql.lock_due_schedule(step.tx, now, failed, skip)
            if row is None or row.due_at is None:  # the query selects due rows only
                return None
            row_id, at = row.id, min(now, row.due_at + TICK)
            version = engine.version(row.version_id)
            case_id = engine.ids.new_id()
            step.create(CaseRow(
                id=case_id, process_id=row.process_id, version_id=version.id, status="running", subject="",
                data="{}", state="{}", task_counter=0, last_seq=0, last_hash=GENESIS, created_at=at,
                updated_at=at, created_by="timer",
            ), version)
            command = Event("case_started", {"process_id": row.process_id, "version_id": version.id, "data": {},
                                             "start_event": row.element})
            step.persist(step.apply(command, at), at)
            row.due_at, row.cycles_left = next_occurrence(engine, row)
            row.status, row.attempts, row.last_error = ("waiting" if row.due_at else "done"), 0, None
    except ConflictError:
        raise
    except RegieError as err:   # nothing of the start was written; the schedule row says why
        if row_id is None:
            raise
        return row_id, None, str(err)
    return row_id, case_id, None


def _mark_start_failed(engine, row_id: int, error: str) -> None:
    with engine.store.write() as tx:
        row = sql.schedule(tx, row_id)
        if row is not None:
            row.status, row.attempts, row.last_error = "failed", row.attempts + 1, error
    log.warning("timer start (schedule %s) failed: %s", row_id, error)


def retry_starts(engine, now: datetime) -> list[RetryResult]:
    with engine.store.read() as tx:
        failed = [r for r in sql.schedules(tx) if r.status == "failed" and r.due_at is not None and r.due_at < now]
    results = []
    for row in failed:
        started = start_due(engine, now, failed=True, limit=1)
        with engine.store.read() as tx:
            after = next((r for r in sql.schedules(tx, row.process_id) if r.element == row.element), None)
        error = after.last_error if after is not None and after.status == "failed" else None
        results.append(RetryResult(f"{row.process_id}:{row.element}", started, error))
    return results
