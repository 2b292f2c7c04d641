"""Firing due timers: each case in its own transaction, failures recorded as incidents.

The ``timers`` table holds one row per waiting timer with its due time (kept in step with the
workflow by every command). ``fire_due`` finds cases with due rows, and for each one takes the case
lock, lets SpiffWorkflow fire what is due at ``now`` and commits. A case whose timer raises is left
as it was; the failure becomes an incident on the case and an ``incident`` event in its log.
"""

from __future__ import annotations

import logging
from datetime import datetime

from .audit import Event
from .errors import ConflictError, IncidentError
from .store import IncidentRow

log = logging.getLogger(__name__)


def fire_due(engine, now: datetime, limit: int = 1000) -> int:
    """Fire every timer due before ``now``; returns the number of timers that fired."""
    with engine.store.read() as tx:
        case_ids = tx.due_case_ids(now, limit)
    fired = 0
    for case_id in case_ids:
        try:
            fired += fire_case(engine, case_id, now)
        except ConflictError:
            log.info("case %s is busy; its timers fire on the next round", case_id)
    return fired


def fire_case(engine, case_id: str, now: datetime) -> int:
    """Fire the due timers of one case in one transaction; returns how many fired."""
    try:
        with engine.store.write() as tx:
            case = tx.case(case_id, lock=True)
            due = [t for t in tx.case_timers(case_id) if t.status == "waiting" and t.due_at < now]
            if case is None or not due:
                return 0
            version = engine.version(case.version_id)
            live = engine._load(case, version)
            live, facts = engine._apply(live, Event("timers_due", {}), now, case.id, version)
            fired = sum(1 for f in facts if f.type == "timer_fired")
            if not fired:
                engine._remember(case.id, case.revision, live)
                return 0
            engine._persist(tx, case, live, version, [Event("timers_due", {}), *facts], now, "timer")
    except IncidentError as err:
        engine._forget(case_id)
        record_incident(engine, case_id, err, now)
        return 0
    except BaseException:
        engine._forget(case_id)
        raise
    engine._remember(case.id, case.revision, live)
    return fired


def record_incident(engine, case_id: str, err: IncidentError, now: datetime) -> None:
    """Mark the case's due timers failed and record the incident, in a transaction of its own."""
    with engine.store.write() as tx:
        case = tx.case(case_id, lock=True)
        for timer in tx.case_timers(case_id):
            if timer.status == "waiting" and timer.due_at < now:
                timer.status, timer.attempts = "failed", timer.attempts + 1
        tx.add_incident(IncidentRow(case_id=case_id, element=err.element_id, kind="timer", message=err.reason,
                                    created_at=now))
        tx.append_events(case, [Event("incident", {"element": err.element_id, "reason": err.reason})], now, "timer")
        case.updated_at = now
        tx.save_case(case)
    engine._bump(case_id, case.revision)
