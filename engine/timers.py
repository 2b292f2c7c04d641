"""Firing due timers: each case in its own transaction, exactly once, failures kept as incidents.

The ``timers`` table holds one row per waiting timer with its due time; every command keeps it in
step with the workflow (``Step.persist`` in ``engine.commands``). Firing a case takes the case lock, lets
SpiffWorkflow fire what is due and writes the events, the new workflow state and the re-synced
timer rows in one commit — so a timer that fired has no due row left, and a second scheduler that
waited for the lock finds nothing to do. That is the exactly-once guarantee.

Catching up. A case whose timers are due fires them in *rounds*, each at the moment its earliest
timer became due (a microsecond after it, because SpiffWorkflow fires when the due time has
passed), never earlier than the case's last change and never later than ``now``. A nazorg check-in
every three months that was missed twice while the scheduler was down therefore fires twice, each
with its own event at its own time, and what follows is planned from those times — the same history
as if the scheduler had never stopped. The time it was actually processed is in the event payload.

Failures. When a firing step raises inside the model (a script, a gateway, a decision), the rounds
before it stay, the failing round is not applied, the timer row is marked ``failed`` and an incident
is recorded (table and ``incident`` event) in the same transaction. The scheduler does not pick a
failed timer again; ``retry`` does, after a fix, and resolves the incident when it succeeds.

Timer start events: see ``sync_schedules`` and ``start_due`` below.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimerEventDefinition,
)

from .audit import GENESIS, Event, canonical_json
from .cases import waiting_timers
from .errors import ConflictError, IncidentError, RegieError, UnknownCase
from .store import CaseRow, IncidentRow
from .store import timers as sql
from .store.models import StartScheduleRow

log = logging.getLogger(__name__)

TICK = timedelta(microseconds=1)   # SpiffWorkflow fires a timer once its due time has *passed*
MAX_ROUNDS = 500                   # per case per transaction; a case further behind goes on next time


@dataclass(frozen=True)
class TimerView:
    """A waiting (or failed) timer as ``regie timers list`` and the coordinator's screens show it."""

    case_id: str
    task_id: str
    element: str
    due: datetime
    status: str
    attempts: int
    claimed_by: str | None

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(frozen=True)
class IncidentView:
    id: int
    case_id: str
    element: str
    kind: str
    message: str
    created_at: datetime
    resolved_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)


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


@dataclass(frozen=True)
class RetryResult:
    """Outcome of retrying one case (or one start schedule): how many timers fired, or why not."""

    target: str
    fired: int
    error: str | None

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)


def _plain(view) -> dict[str, Any]:
    import json

    return json.loads(canonical_json(asdict(view)))


# --- firing case timers ---------------------------------------------------------------------------


def fire_due(engine, now: datetime, limit: int = 1000) -> int:
    """Fire everything due before ``now``, case by case, until nothing due is left; returns timers fired.

    For catch-up runs (``regie timers run-due``) and tests. Claims of running schedulers are ignored:
    the case lock still makes every timer fire once. A case that is busy is left for the next run.
    """
    fired = start_due(engine, now)
    skip: set[str] = set()
    while True:
        with engine.store.read() as tx:
            case_ids = sql.due_case_ids(tx, now, limit, skip)
        if not case_ids:
            return fired
        for case_id in case_ids:
            try:
                count = fire_case(engine, case_id, now)
            except ConflictError:
                log.info("case %s is busy; its timers fire on the next run", case_id)
                count = 0
            if count == 0:
                skip.add(case_id)
            fired += count


def fire_case(engine, case_id: str, now: datetime, retry: bool = False) -> int:
    """Fire the due timers of one case in one transaction; returns how many fired.

    ``retry``: also fire timers that failed before, and resolve the case's timer incidents when
    nothing is failing any more. A failure in the model is recorded as an incident, not raised; a
    database conflict is raised (``ConflictError``) with nothing written.
    """
    outcome = _Outcome()
    try:
        with engine.commands.step("timer") as step:
            case = step.lock_case(case_id)
            if case is None:
                return 0
            if case.status != "running":
                # A closed or cancelled case cannot fire anything: its rows go.
                sql.drop_case_timers(step.tx, case_id)
                step.rows_changed()
                return 0
            _rounds(step, now, retry, outcome)
            if outcome.failure is not None:
                _record_incident(step, outcome.failure, outcome.failed_rows, now)
            elif outcome.had_failed or retry:
                _resolve_if_clear(step, outcome.last_at or now)
    except ConflictError:
        raise
    except RegieError as err:
        # Raised while writing the step (a due-date or assignee expression of a new task, say):
        # everything was rolled back; the failure is recorded on its own.
        record_failure(engine, case_id, err, now)
        return 0
    return outcome.fired


@dataclass
class _Outcome:
    fired: int = 0
    last_at: datetime | None = None
    failure: IncidentError | None = None
    failed_rows: list = None  # type: ignore[assignment]
    had_failed: bool = False


def _rounds(step, now: datetime, retry: bool, outcome: _Outcome) -> None:
    case, tx = step.case, step.tx
    rows = sql.case_timers(tx, case.id)
    failed = {r.task_id for r in rows if r.status == "failed"}
    outcome.had_failed = bool(failed)
    for row in rows:
        row.locked_by, row.locked_until = None, None   # any claim ends with this transaction
    due = [r.due_at for r in rows if r.due_at < now and (retry or r.task_id not in failed)]
    for number in range(MAX_ROUNDS):
        if not due:
            return
        earliest = min(due)
        at = now if retry and number == 0 else min(now, max(earliest + TICK, case.updated_at))
        command = Event("timers_due", {} if at == now else {"processed_at": now.isoformat()})
        try:
            events = step.apply(command, at)
        except IncidentError as err:
            outcome.failed_rows = [r for r in sql.case_timers(tx, case.id) if r.due_at < at]
            if err.element_id == "-" and outcome.failed_rows:   # no element named: say which timer it was
                err = IncidentError(case.id, outcome.failed_rows[0].element, err.reason)
            outcome.failure = err
            return
        fired = sum(1 for f in events if f.type == "timer_fired")
        if not fired:
            _resync(step, outcome, at)
            return
        step.persist(events, at)
        outcome.fired += fired
        outcome.last_at = at
        # What is due next comes from the workflow itself (a timer that failed before stays for a retry).
        due = [d for task_id, (_, d) in waiting_timers(step.live.workflow).items()
               if d < now and task_id not in failed]
        if due:
            sql.flush(tx)    # the next round's task and timer sync reads the rows this one wrote


def _resync(step, outcome: _Outcome, at: datetime) -> None:
    """Due rows the workflow did not fire were out of step with it: correct them, flag what stays due."""
    step.resync_timers()
    stuck = [r for r in sql.case_timers(step.tx, step.case.id) if r.status == "waiting" and r.due_at < at]
    if stuck:
        outcome.failure = IncidentError(step.case.id, stuck[0].element, "de timer is verlopen maar gaat niet af.")
        outcome.failed_rows = stuck


def _record_incident(step, err: IncidentError, rows, now: datetime) -> None:
    """Mark the failing timers, keep one open incident per element, and log it on the case."""
    case, tx = step.case, step.tx
    for row in rows:
        row.status, row.attempts = "failed", row.attempts + 1
        row.locked_by, row.locked_until = None, None
    incident = sql.open_incident(tx, case.id, err.element_id)
    if incident is None:
        tx.add_incident(IncidentRow(case_id=case.id, element=err.element_id, kind="timer", message=err.reason,
                                    created_at=now))
    else:
        incident.message = err.reason
    step.record([Event("incident", {"element": err.element_id, "reason": err.reason})], now)
    log.warning("timer incident on case %s at %s: %s", case.id, err.element_id, err.reason)


def _resolve_if_clear(step, at: datetime) -> None:
    """Close the case's open timer incidents once none of its timers is failing any more."""
    case, tx = step.case, step.tx
    sql.flush(tx)
    if any(r.status == "failed" for r in sql.case_timers(tx, case.id)):
        return
    resolved = sql.resolve_incidents(tx, case.id, at)
    if not resolved:
        return
    events = [Event("incident_resolved", {"incident": r.id, "element": r.element}) for r in resolved]
    step.record(events, at, updated_at=max(case.updated_at, at))


def record_failure(engine, case_id: str, err: BaseException, now: datetime) -> None:
    """A firing that failed outside the model step: make it a visible, retryable incident."""
    reason = str(err) if isinstance(err, RegieError) else (
        f"onverwachte fout bij het afgaan van de timer ({err.__class__.__name__}: {err}).")
    with engine.commands.step("timer") as step:
        if step.lock_case(case_id) is None:
            return
        rows = [r for r in sql.case_timers(step.tx, case_id) if r.status == "waiting" and r.due_at < now]
        element = rows[0].element if rows else "-"
        _record_incident(step, IncidentError(case_id, element, reason), rows, now)


def retry(engine, case_id: str | None = None, now: datetime | None = None) -> list[RetryResult]:
    """Fire failed timers again (of one case, or all), after the cause was fixed.

    A success resolves the case's timer incidents; a new failure updates the open incident. Failed
    timer start schedules are retried too when no case is named.
    """
    now = now or engine.clock.now()
    with engine.store.read() as tx:
        if case_id and tx.case(case_id) is None:
            raise UnknownCase(case_id)
        case_ids = sql.failed_case_ids(tx, case_id)
    results = []
    for cid in case_ids:
        try:
            fired = fire_case(engine, cid, now, retry=True)
        except ConflictError as err:
            results.append(RetryResult(cid, 0, str(err)))
            continue
        with engine.store.read() as tx:
            still = sql.incidents(tx, cid)
        results.append(RetryResult(cid, fired, still[-1].message if still else None))
    if case_id is None:
        results.extend(_retry_starts(engine, now))
    return results


# --- reading --------------------------------------------------------------------------------------


def list_timers(engine, overdue_at: datetime | None = None, case_id: str | None = None) -> list[TimerView]:
    """Waiting and failed timers, earliest first; ``overdue_at``: only those that should have fired by then."""
    with engine.store.read() as tx:
        rows = sql.timers(tx, overdue_at, case_id)
    return [TimerView(r.case_id, r.task_id, r.element, r.due_at, r.status, r.attempts, r.locked_by) for r in rows]


def list_incidents(engine, case_id: str | None = None, open_only: bool = True) -> list[IncidentView]:
    with engine.store.read() as tx:
        if case_id and tx.case(case_id) is None:
            raise UnknownCase(case_id)
        rows = sql.incidents(tx, case_id, open_only)
    return [IncidentView(r.id, r.case_id, r.element, r.kind, r.message, r.created_at, r.resolved_at) for r in rows]


def list_schedules(engine) -> list[ScheduleView]:
    with engine.store.read() as tx:
        rows = sql.schedules(tx)
    return [ScheduleView(r.process_id, r.element, r.expression, r.due_at, r.cycles_left, r.status, r.last_error)
            for r in rows]


# --- timer start events ---------------------------------------------------------------------------
#
# A case does not exist before its start event, so a process with a timer start event is started by
# the scheduler: one ``start_schedules`` row per timer start event of a process's *current* version
# holds when it next starts a case. ``sync_schedules`` keeps the rows in line with what is deployed
# (a new version with the same timer keeps its rhythm; a changed timer starts over from the deploy
# time; a removed one is dropped). ``start_due`` starts one case per occurrence that has come —
# each in one transaction with the schedule row locked, so an occurrence starts exactly one case,
# also with several schedulers and after a catch-up.
#
# Inside the case the start event must count as having happened: the parser keeps the timer of a
# process-level start event aside as ``timer_definition`` and gives the event no definition of its
# own (``RegieStartEventParser`` in engine/spiff.py, as SpiffArena does). A version parsed without
# that (none should be) would make the new case wait for its timer once more, so its schedule is
# kept but marked failed with the reason.

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

    A cycle with a start date in the past begins at its first occurrence after the deploy: the starts
    it would have made before the process existed are not made up for.
    """
    value = _timer_value(engine, timer.expression)
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
    if ISO_TIMER.match(text):
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
    if cycles == 0 or not value.upper().startswith("R"):
        return None, 0
    _, _, duration = _parse_cycle(value)
    return row.due_at + _period(duration, row.due_at), cycles


def start_due(engine, now: datetime, failed: bool = False, limit: int = 1000) -> int:
    """Start one case for every start-schedule occurrence due before ``now``; returns how many started.

    ``failed``: retry the schedules whose start failed before instead.
    """
    sync_schedules(engine)
    started, skip = 0, set()
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
            if row is None:
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


def _retry_starts(engine, now: datetime) -> list[RetryResult]:
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
