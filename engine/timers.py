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

Timer start events (a process started by its timer): ``engine.schedules``.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from .audit import Event, canonical_json
from .cases import waiting_timers
from .errors import ConflictError, IncidentError, RegieError, StoreUnavailable, UnknownCase
from .store import IncidentRow
from .store import timers as sql

log = logging.getLogger(__name__)

TICK = timedelta(microseconds=1)   # SpiffWorkflow fires a timer once its due time has *passed*
MAX_ROUNDS = 500                   # per case per transaction; a case further behind goes on next time
PER_TRANSACTION = 50               # cases fired in one transaction (``fire_cases``)


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


def fire_due(engine, now: datetime, limit: int = 1000, per_transaction: int = PER_TRANSACTION) -> int:
    """Fire everything due before ``now``, a batch of cases per transaction (``fire_cases``), until nothing
    due is left; returns timers fired.

    For catch-up runs (``regie timers run-due``) and tests. Claims of running schedulers are ignored:
    the case lock still makes every timer fire once. A case that is busy is left for the next run.
    """
    from .schedules import start_due

    fired = start_due(engine, now)
    skip: set[str] = set()
    while True:
        with engine.store.read() as tx:
            case_ids = sql.due_case_ids(tx, now, limit, skip)
        if not case_ids:
            return fired
        for chunk in chunks(case_ids, per_transaction):
            counts, busy = fire_cases(engine, chunk, now)
            for case_id in busy:
                log.info("case %s is busy; its timers fire on the next run", case_id)
            skip.update(busy)
            skip.update(case_id for case_id, count in counts.items() if count == 0)
            fired += sum(counts.values())


def chunks(items: list[str], size: int) -> list[list[str]]:
    size = max(1, size)
    return [items[i:i + size] for i in range(0, len(items), size)]


def fire_cases(engine, case_ids: list[str], now: datetime, one=None) -> tuple[dict[str, int], list[str]]:
    """Fire the due timers of several cases in one transaction; returns (timers fired per case, busy cases).

    The batch locks its cases in one query (on PostgreSQL ``FOR UPDATE SKIP LOCKED``: a case another
    transaction holds is *busy*, returned for the next round), reads their timer and open task rows in
    one query each, restores each workflow once, fires all of its due timers and writes everything with
    one commit. A failure inside a model is an incident on that case, written in the same commit. Any
    other error rolls the whole batch back — nothing of it is written — and the cases are then fired
    one by one (``one``, default ``fire_case``), so one failing case is recorded as an incident and the
    others still fire.
    """
    fired: dict[str, int] = {}
    if not case_ids:
        return fired, []
    try:
        with engine.commands.batch("timer") as batch:
            cases = sql.lock_cases(batch.tx, case_ids)
            locked = {c.id for c in cases}
            busy = [c for c in case_ids if c not in locked]
            timer_rows = sql.timers_of_cases(batch.tx, list(locked))
            open_tasks = sql.open_task_ids(batch.tx, list(locked))
            for case in cases:
                step = batch.step()
                step.use_case(case, case.state)
                fired[case.id] = _fire_locked(step, now, False, timer_rows.get(case.id, []),
                                              open_tasks.get(case.id, []), defer=True)
        return fired, busy
    except StoreUnavailable:
        raise
    except _Redo as redo:
        log.info("case %s failed after a catch-up round; the batch goes again case by case", redo)
    except RegieError as err:
        log.info("batch of %d case(s) rolled back (%s); firing them one by one", len(case_ids), err)
    except Exception:
        log.exception("batch of %d case(s) rolled back; firing them one by one", len(case_ids))
    fired, busy = {}, []
    for case_id in case_ids:
        try:
            fired[case_id] = one(case_id, now) if one else fire_case(engine, case_id, now)
        except ConflictError:
            busy.append(case_id)
    return fired, busy


class _Redo(Exception):
    """A round failed after earlier rounds of the same case left the case row for the end (``defer``):
    the batch is rolled back and its cases fire one by one, each round written in full."""


def _fire_locked(step, now: datetime, retry: bool, rows=None, open_tasks=None, defer: bool = False) -> int:
    """Fire the due timers of the case ``step`` has locked (``rows``/``open_tasks``: read by a batch).

    ``defer``: a catch-up of several rounds writes the case row and workflow state once, after the last
    round, instead of after each (``Step.persist(case_row=False)``)."""
    case = step.case
    if case.status != "running":
        # A closed or cancelled case cannot fire anything: its rows go.
        sql.drop_case_timers(step.tx, case.id)
        step.rows_changed()
        return 0
    if rows is not None:
        step.known_rows(open_tasks or [], rows)
    outcome = _Outcome()
    _rounds(step, now, retry, outcome, rows, defer)
    if outcome.failure is not None:
        _record_incident(step, outcome.failure, outcome.failed_rows, now)
    elif outcome.had_failed or retry:
        _resolve_if_clear(step, outcome.last_at or now)
    return outcome.fired


def fire_case(engine, case_id: str, now: datetime, retry: bool = False) -> int:
    """Fire the due timers of one case in one transaction; returns how many fired.

    ``retry``: also fire timers that failed before, and resolve the case's timer incidents when
    nothing is failing any more. A failure in the model is recorded as an incident, not raised; a
    database conflict is raised (``ConflictError``) with nothing written.
    """
    try:
        with engine.commands.step("timer") as step:
            if step.lock_case(case_id) is None:
                return 0
            return _fire_locked(step, now, retry)
    except ConflictError:
        raise
    except RegieError as err:
        # Raised while writing the step (a due-date or assignee expression of a new task, say):
        # everything was rolled back; the failure is recorded on its own.
        record_failure(engine, case_id, err, now)
        return 0


@dataclass
class _Outcome:
    fired: int = 0
    last_at: datetime | None = None
    failure: IncidentError | None = None
    failed_rows: list = None  # type: ignore[assignment]
    had_failed: bool = False


def _rounds(step, now: datetime, retry: bool, outcome: _Outcome, rows=None, defer: bool = False) -> None:
    case, tx = step.case, step.tx
    rows = sql.case_timers(tx, case.id) if rows is None else rows
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
            if step.unsaved:      # the rounds before it stay: written in full, case by case
                raise _Redo(case.id) from err
            outcome.failed_rows = [r for r in sql.case_timers(tx, case.id) if r.due_at < at]
            if err.element_id == "-" and outcome.failed_rows:   # no element named: say which timer it was
                err = IncidentError(case.id, outcome.failed_rows[0].element, err.reason)
            outcome.failure = err
            return
        fired = sum(1 for f in events if f.type == "timer_fired")
        if not fired:
            if step.unsaved:
                raise _Redo(case.id)
            _resync(step, outcome, at)
            return
        # What is due next comes from the workflow itself (a timer that failed before stays for a retry).
        due = [d for task_id, (_, d) in waiting_timers(step.live.workflow).items()
               if d < now and task_id not in failed]
        step.persist(events, at, case_row=not (defer and due and number + 1 < MAX_ROUNDS))
        outcome.fired += fired
        outcome.last_at = at
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
        from .schedules import retry_starts

        results.extend(retry_starts(engine, now))
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


# Timer start events moved to ``engine.schedules``; their old names still import from here.
_MOVED = ("ScheduleView", "list_schedules", "NOT_SUPPORTED", "start_timers", "sync_schedules", "first_occurrence",
          "next_occurrence", "start_due")


def __getattr__(name: str):
    if name in _MOVED:
        from . import schedules

        return getattr(schedules, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
