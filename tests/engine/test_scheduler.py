"""The scheduler in one process: claims, leases, crash take-over, failures, catch-up, timer start events.

Two ``Engine`` objects on one database stand for two scheduler processes (each has its own memory);
the real multi-process run with SIGKILL is in ``test_scheduler_processes.py``.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from sqlalchemy import func, select

from engine import Engine, SequentialIds
from engine.commands import Step
from engine.scheduler import Scheduler
from engine.store import timers as sql
from engine.store.models import EventRow, TimerRow

TIMER_MODELS = Path(__file__).resolve().parent / "timer_models"


@pytest.fixture
def pair(db_url, clock):
    """Two engines on one database, as two scheduler processes would have them."""
    engines = [Engine.from_url(db_url, clock=clock, ids=SequentialIds(name)) for name in ("a", "b")]
    engines[0].deploy([TIMER_MODELS / "timer_enkel.bpmn", TIMER_MODELS / "timer_storing.bpmn"])
    yield engines
    for eng in engines:
        eng.store.dispose()


def start_cases(engine, count: int, process: str = "timer_enkel", data=None) -> list[str]:
    return [engine.start(process, dict(data or {})) for _ in range(count)]


def fired_per_case(engine) -> Counter:
    with engine.store.read() as tx:
        return Counter(tx.session.scalars(select(EventRow.case_id).where(EventRow.type == "timer_fired")))


def timer_count(engine) -> int:
    with engine.store.read() as tx:
        return tx.session.scalar(select(func.count(TimerRow.id)))


def test_two_schedulers_fire_every_timer_exactly_once(pair, clock):
    a, b = pair
    cases = start_cases(a, 30)
    clock.advance(days=1, minutes=1)
    first, second = Scheduler(a, name="a", batch=7), Scheduler(b, name="b", batch=7)
    totals = {"a": 0, "b": 0}
    while True:
        totals["a"] += first.poll()
        totals["b"] += second.poll()
        if not first.claimed and not second.claimed:
            break
    assert sum(totals.values()) == 30
    assert fired_per_case(a) == Counter({case_id: 1 for case_id in cases})
    assert timer_count(a) == 0
    if a.store.is_sqlite:
        assert totals["b"] == 0          # one lease holder on SQLite
    else:
        assert totals["a"] and totals["b"]   # SKIP LOCKED shares the work on PostgreSQL
    assert a.verify()


def test_a_crashed_schedulers_claims_lapse_and_another_takes_over(pair, clock):
    a, b = pair
    cases = start_cases(a, 5)
    clock.advance(days=1, minutes=1)
    crashed = Scheduler(a, name="crashed", lease_seconds=60)
    now = clock.now()
    if a.store.is_sqlite:
        assert crashed._hold_lease(now)          # took the lease, then died
    else:
        with a.store.write() as tx:              # claimed a batch, then died before firing it
            assert len(sql.claim_due(tx, now, "crashed", now + crashed.lease, 100)) == 5
    survivor = Scheduler(b, name="survivor", lease_seconds=60)
    assert survivor.poll() == 0 and survivor.claimed == 0
    clock.advance(seconds=61)
    assert survivor.poll() == 5
    assert fired_per_case(b) == Counter({case_id: 1 for case_id in cases})


def test_stopping_a_scheduler_hands_over_at_once(pair, clock):
    a, b = pair
    start_cases(a, 2)
    clock.advance(days=1, minutes=1)
    first, second = Scheduler(a, name="a"), Scheduler(b, name="b")
    if a.store.is_sqlite:
        assert first._hold_lease(clock.now())
        assert second.poll() == 0
        first.release()
    assert second.poll() == 2


def test_busy_case_is_given_back_for_the_next_round(pair, clock, monkeypatch):
    from engine.errors import CaseChanged

    a, _ = pair
    [case_id] = start_cases(a, 1)
    clock.advance(days=1, minutes=1)
    scheduler = Scheduler(a, name="a")
    persist = Step.persist

    def changed(step, *args, **kw):     # someone else wrote the case: the batch and the retry on its own
        raise CaseChanged(step.case.id)

    monkeypatch.setattr(Step, "persist", changed)
    assert scheduler.poll() == 0
    assert [t.claimed_by for t in a.timers()] == [None]
    assert a.incidents() == []
    monkeypatch.setattr(Step, "persist", persist)
    assert scheduler.poll() == 1


def test_a_case_another_transaction_holds_is_skipped_and_given_back(pair, clock, monkeypatch):
    a, b = pair
    held, free = start_cases(a, 2)
    clock.advance(days=1, minutes=1)
    scheduler = Scheduler(b, name="b")
    if a.store.is_sqlite:      # no row locks on SQLite (one writer at a time): hold it as the lock would
        lock_cases = sql.lock_cases
        monkeypatch.setattr(sql, "lock_cases", lambda tx, ids: [c for c in lock_cases(tx, ids) if c.id != held])
        assert scheduler.poll() == 1
    else:                      # a request that completes a task on the case holds its row lock meanwhile
        with a.store.write() as tx:
            assert tx.case(held, lock=True) is not None
            assert scheduler.poll() == 1                        # SKIP LOCKED: no waiting for the holder
    assert fired_per_case(a) == Counter({free: 1})
    assert [(t.case_id, t.claimed_by) for t in a.timers()] == [(held, None)]   # given back at once
    monkeypatch.undo()
    assert scheduler.poll() == 1
    assert fired_per_case(a) == Counter({free: 1, held: 1})


def test_a_batch_fires_its_cases_in_one_transaction(pair, clock):
    from sqlalchemy import event

    a, _ = pair
    cases = start_cases(a, 12)
    clock.advance(days=1, minutes=1)
    commits = []

    def count(conn):
        if conn.get_execution_options().get("regie_write"):
            commits.append(conn)

    event.listen(a.store.engine, "commit", count)
    try:
        assert Scheduler(a, name="a", batch=12, per_transaction=5).poll() == 12
    finally:
        event.remove(a.store.engine, "commit", count)
    # the lease (SQLite), start schedules, the claim, then 5 + 5 + 2 cases: three transactions, not twelve
    assert len(commits) == (1 if a.store.is_sqlite else 0) + 2 + 3
    assert fired_per_case(a) == Counter({case_id: 1 for case_id in cases})
    assert a.verify()


def test_a_batch_with_one_failing_case_fires_the_others_and_keeps_the_failure(pair, clock, monkeypatch):
    a, _ = pair
    good = start_cases(a, 3)
    broken = start_cases(a, 1, "timer_storing", {"deler": 0})[0]   # 100 // 0: the model itself fails
    bad = start_cases(a, 1)[0]
    clock.advance(days=1, minutes=1)
    before = a.state(bad)
    persist = Step.persist

    def failing(step, events, at, **options):   # a bug while writing one case: the whole batch rolls back
        persist(step, events, at, **options)     # its events and row went to the database already ...
        if step.case.id == bad:
            raise RuntimeError("schijf vol")

    monkeypatch.setattr(Step, "persist", failing)
    scheduler = Scheduler(a, name="a", batch=10)
    assert scheduler.poll() == 3
    assert fired_per_case(a) == Counter({case_id: 1 for case_id in good})
    incidents = {i.case_id: i for i in a.incidents()}
    assert set(incidents) == {broken, bad}
    assert "onverwachte fout" in incidents[bad].message and "schijf vol" in incidents[bad].message
    after = a.state(bad)                # ... and nothing of it stayed
    assert (after.status, after.active, after.data) == (before.status, before.active, before.data)
    assert [e.type for e in a.history(bad)] == ["case_started", "incident"]
    assert [e.type for e in a.history(broken)] == ["case_started", "incident"]
    assert {t.case_id: t.status for t in a.timers()} == {bad: "failed", broken: "failed"}
    monkeypatch.undo()
    [result] = a.retry(bad)
    assert (result.fired, result.error) == (1, None)
    assert a.verify()


def test_an_unexpected_error_becomes_a_visible_retryable_incident(pair, clock, monkeypatch):
    a, _ = pair
    [case_id] = start_cases(a, 1)
    clock.advance(days=1, minutes=1)
    monkeypatch.setattr(a.commands, "apply", lambda *args, **kw: {}["bug"])
    scheduler = Scheduler(a, name="a")
    assert scheduler.poll() == 0
    [incident] = a.incidents()
    assert incident.case_id == case_id and "onverwachte fout" in incident.message and "KeyError" in incident.message
    assert [t.status for t in a.timers()] == ["failed"]
    assert scheduler.poll() == 0 and scheduler.claimed == 0       # failed timers wait for a retry
    monkeypatch.undo()
    [result] = a.retry()
    assert (result.fired, result.error) == (1, None)
    assert a.incidents() == [] and a.state(case_id).status == "completed"
    assert a.verify(case_id)


def test_a_backlog_is_worked_off_in_one_run(pair, clock):
    a, _ = pair
    start_cases(a, 25)
    clock.advance(days=1, minutes=1)
    assert Scheduler(a, name="a", batch=10).run_pending() == 25
    assert timer_count(a) == 0


def test_run_until_idle_stops_when_nothing_is_due(pair, clock):
    a, _ = pair
    start_cases(a, 3)
    scheduler = Scheduler(a, name="a", batch=2)
    assert scheduler.run_until_idle() == 0                         # not due yet: returns at once
    clock.advance(days=1, minutes=1)
    assert scheduler.run_until_idle() == 3


def test_background_scheduler_catches_up_when_it_starts(pair, clock):
    a, _ = pair
    start_cases(a, 3)
    clock.advance(days=1, minutes=1)
    scheduler = Scheduler(a, name="a", interval=3600)
    ran = threading.Event()
    background = scheduler.start_background()
    background.add_listener(lambda _event: ran.set(), EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    try:
        if timer_count(a):        # the first round had not finished when the listener came: wait for the job thread
            ran.wait(timeout=10)
    finally:
        scheduler.shutdown()
    assert timer_count(a) == 0
    assert sum(fired_per_case(a).values()) == 3


def test_a_catch_up_in_a_batch_writes_the_case_row_once_with_every_round_in_the_history(pair, clock):
    a, _ = pair
    a.deploy([TIMER_MODELS / "timer_vijf.bpmn"])
    [case_id] = start_cases(a, 1, "timer_vijf")
    before = a.state(case_id).revision
    clock.advance(days=2)                                        # all five came due while nobody fired
    assert Scheduler(a, name="a").poll() == 5
    rounds = [e for e in a.history(case_id) if e.type == "timers_due"]
    assert len(rounds) == 5 and len({e.at for e in rounds}) == 5  # each round at its own time ...
    after = a.state(case_id)
    assert after.revision == before + 1                           # ... and the case row written once
    assert after.status == "completed"
    assert a.verify(case_id)


def test_a_round_that_fails_after_others_keeps_them_and_records_the_incident(pair, clock, monkeypatch):
    from engine.commands import CommandRunner
    from engine.errors import IncidentError

    a, _ = pair
    a.deploy([TIMER_MODELS / "timer_vijf.bpmn"])
    [case_id] = start_cases(a, 1, "timer_vijf")
    [other] = start_cases(a, 1)
    clock.advance(days=2)
    apply, calls = CommandRunner.apply, []

    def third_round_fails(runner, live, event, at, cid, version):
        if cid == case_id and event.type == "timers_due":
            calls.append(at)
            if len(calls) % 3 == 0:                              # the third round, in the batch and on its own,
                apply(runner, live, event, at, cid, version)     # fails half-way through the workflow
                raise IncidentError(cid, "wacht3", "het register antwoordt niet")
        return apply(runner, live, event, at, cid, version)

    monkeypatch.setattr(CommandRunner, "apply", third_round_fails)
    assert Scheduler(a, name="a").poll() == 3                    # two rounds of the case, and the other case
    assert [e.type for e in a.history(case_id)][1:] == ["timers_due", "timer_fired"] * 2 + ["incident"]
    assert [i.case_id for i in a.incidents()] == [case_id]
    assert a.state(other).status == "completed"
    assert a.verify()


# --- timer start events ---------------------------------------------------------------------------

LIST_MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs_timer_lijst" targetNamespace="https://regie.dev/tests">
  <bpmn:process id="timer_lijst" name="Nieuwe lijst Belastingdienst (test)" isExecutable="true">
    <bpmn:startEvent id="elke_twee_maanden" name="Elke twee maanden">
      <bpmn:timerEventDefinition><bpmn:timeCycle>{cycle}</bpmn:timeCycle></bpmn:timerEventDefinition>
    </bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="elke_twee_maanden" targetRef="importeren"/>
    <bpmn:userTask id="importeren" name="Nieuwe lijst importeren" camunda:candidateGroups="coordinator"/>
    <bpmn:sequenceFlow id="f2" sourceRef="importeren" targetRef="klaar"/>
    <bpmn:endEvent id="klaar"/>
  </bpmn:process>
</bpmn:definitions>
"""


def list_model(tmp_path, cycle="R3/P2M") -> Path:
    path = tmp_path / "timer_lijst.bpmn"
    path.write_text(LIST_MODEL.format(cycle=cycle), encoding="utf-8")
    return path


def test_a_timer_start_event_starts_one_case_per_occurrence(db_url, clock, tmp_path):
    a, b = (Engine.from_url(db_url, clock=clock, ids=SequentialIds(n)) for n in ("a", "b"))
    a.deploy([list_model(tmp_path)])
    deployed_at = clock.now()
    [schedule] = a.start_schedules()
    assert (schedule.process_id, schedule.element, schedule.status) == ("timer_lijst", "elke_twee_maanden", "waiting")
    assert schedule.next == datetime(2026, 3, 5, 9, tzinfo=UTC) and schedule.cycles_left == 3
    clock.set(deployed_at + timedelta(days=200))                 # three occurrences came while nobody ran
    assert Scheduler(a, name="a").poll() + Scheduler(b, name="b").poll() == 3
    assert Scheduler(b, name="b").poll() == 0
    cases = sorted(a.cases(process_id="timer_lijst"), key=lambda c: c.created_at)
    assert [c.created_at.date().isoformat() for c in cases] == ["2026-03-05", "2026-05-05", "2026-07-05"]
    assert [[t.name for t in a.tasks(case_id=c.id)] for c in cases] == [["importeren"]] * 3
    assert a.start_schedules()[0].status == "done"
    assert a.verify()
    for eng in (a, b):
        eng.store.dispose()


def test_a_new_version_with_the_same_timer_keeps_its_rhythm(engine, clock, tmp_path):
    engine.deploy([list_model(tmp_path, "R/P2M")])
    [first] = engine.start_schedules()
    clock.advance(days=10)
    model = list_model(tmp_path, "R/P2M")
    model.write_text(model.read_text().replace("Nieuwe lijst importeren", "Lijst importeren"))
    engine.deploy([model])
    [again] = engine.start_schedules()
    assert (again.next, again.cycles_left) == (first.next, -1)
    engine.deploy([list_model(tmp_path, "R/P1M")])                  # a changed timer starts over
    [changed] = engine.start_schedules()
    assert changed.next == clock.now() + timedelta(days=31)


def test_a_cycle_that_began_before_the_deploy_starts_at_its_next_occurrence(engine, clock, tmp_path):
    engine.deploy([list_model(tmp_path, "R/2025-01-01T08:00:00Z/P2M")])
    [schedule] = engine.start_schedules()
    assert schedule.next == datetime(2026, 3, 1, 8, tzinfo=UTC)        # not the six that were before
    clock.set("2026-05-02T00:00:00+00:00")
    assert engine.fire_due_timers() == 2                                       # 1 March and 1 May
    assert engine.start_schedules()[0].next == datetime(2026, 7, 1, 8, tzinfo=UTC)


# --- the daily audit anchor -----------------------------------------------------------------------


@pytest.fixture
def anchor_key(tmp_path):
    from engine.audit import anchors

    path = tmp_path / "anker.pem"
    anchors.generate_key(path)
    return path


def anchoring(engine, name: str, key, path, **options) -> Scheduler:
    return Scheduler(engine, name=name, anchor_key=str(key), anchor_file=str(path), **options)


def test_two_schedulers_write_the_daily_anchor_once_a_day(pair, clock, anchor_key, tmp_path):
    from engine.audit import anchors

    a, b = pair
    [case_id] = start_cases(a, 1)
    shared = tmp_path / "anchors.jsonl"          # on storage both hosts reach
    first, second = anchoring(a, "a", anchor_key, shared), anchoring(b, "b", anchor_key, shared)

    def round_of_both():
        first.poll()
        second.poll()
        return anchors.read(shared)

    assert len(round_of_both()) == 1              # none written before: at once, by one of the two
    clock.advance(hours=3)
    assert len(round_of_both()) == 1              # the same day: not again
    clock.set("2026-01-06T00:59:00+00:00")        # 01:59 in Amsterdam
    assert len(round_of_both()) == 1
    clock.set("2026-01-06T01:00:00+00:00")        # 02:00 in Amsterdam: the next day's anchor
    written = round_of_both()
    assert [w.at for w in written] == ["2026-01-05T09:00:00+00:00", "2026-01-06T01:00:00+00:00"]
    assert len(round_of_both()) == 2
    public = anchors.load_private(anchor_key).public_key()
    assert anchors.check_file(written, public) == []
    assert written[-1].heads[case_id][0] == 1     # the case's chain head: its first event
    assert a.check_anchors(str(shared), public) == []


def test_a_scheduler_that_died_while_anchoring_leaves_it_to_another(pair, clock, anchor_key, tmp_path):
    from engine.audit import anchors

    a, b = pair
    shared = tmp_path / "anchors.jsonl"
    now = clock.now()
    with a.store.write() as tx:                   # took the day's anchor, then died before writing it
        assert sql.take_due(tx, "anchor", "gestorven", now, now + timedelta(seconds=60))
    survivor = anchoring(b, "b", anchor_key, shared, lease_seconds=60)
    assert not survivor.anchor_if_due(clock.now())
    assert anchors.read(shared) == []
    clock.advance(seconds=61)                     # its lease lapsed
    assert survivor.anchor_if_due(clock.now())
    assert len(anchors.read(shared)) == 1


def test_a_failing_anchor_is_tried_again_when_its_lease_lapses(pair, clock, anchor_key, tmp_path):
    from engine.audit import anchors

    a, _ = pair
    blocked = tmp_path / "geen-map"
    blocked.write_text("een bestand, geen map")   # the anchor file cannot be made below it
    scheduler = anchoring(a, "a", anchor_key, blocked / "anchors.jsonl", lease_seconds=60)
    assert not scheduler.anchor_if_due(clock.now())
    blocked.unlink()
    clock.advance(seconds=30)
    assert not scheduler.anchor_if_due(clock.now())   # not at every round: when the lease lapses
    clock.advance(seconds=31)
    assert scheduler.anchor_if_due(clock.now())
    assert len(anchors.read(blocked / "anchors.jsonl")) == 1


def test_anchor_settings_that_cannot_work_are_refused_at_start(pair, tmp_path, anchor_key):
    from engine.audit.anchors import AnchorError
    from engine.errors import SchedulerSettingError

    a, _ = pair
    with pytest.raises(AnchorError, match="bestaat niet"):
        Scheduler(a, anchor_key=str(tmp_path / "weg.pem"), anchor_file=str(tmp_path / "a.jsonl"))
    with pytest.raises(SchedulerSettingError, match="geen tijd van de dag"):
        Scheduler(a, anchor_key=str(anchor_key), anchor_file=str(tmp_path / "a.jsonl"), anchor_time="twee uur")
    assert not Scheduler(a).anchor_if_due(a.clock.now())     # no key: no anchor
