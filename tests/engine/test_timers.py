"""Timers driven by the engine's clock: every BPMN timer form, catch-up, deadlines, exactly once, replay.

Every scenario runs on SQLite and PostgreSQL, straight and through save/restore (the ``engine``
fixture), moves time only with the ManualClock, and ends with ``verify()``: replaying the events
rebuilds the stored state exactly.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine.deadlines import resolve_date
from engine.expressions import Evaluator

TIMER_MODELS = Path(__file__).resolve().parent / "timer_models"
TICK = timedelta(microseconds=1)


@pytest.fixture
def deployed(engine):
    engine.deploy([TIMER_MODELS])
    return engine


def fired(engine, case_id) -> list[str]:
    return [e.payload["element"] for e in engine.history(case_id) if e.type == "timer_fired"]


def timer_rows(engine, case_id) -> list[tuple[str, datetime, str]]:
    return [(t.element, t.due, t.status) for t in engine.timers(case_id=case_id)]


def names(engine, case_id) -> list[str]:
    return sorted(t.name for t in engine.tasks(case_id=case_id))


# --- nazorg: 24 months of check-ins --------------------------------------------------------------------------------


def test_nazorg_fires_each_check_in_once_over_24_months_and_closes(deployed, clock):
    case_id = deployed.start("timer_nazorg", {}, actor="anna")
    start = clock.now()
    for month in range(3, 25, 3):
        [(element, due, status)] = timer_rows(deployed, case_id)
        assert (element, status) == ("wacht", "waiting")
        clock.set(due + timedelta(hours=1))
        assert deployed.fire_due_timers() == 1
        assert deployed.fire_due_timers() == 0                 # nothing fires twice
        [checkin] = deployed.tasks(case_id=case_id)
        assert checkin.name == "checkin" and checkin.role == "casemanager"
        assert checkin.created_at == due + TICK                # the check-in exists from the due time on
        assert checkin.due == checkin.created_at + timedelta(days=5)          # camunda:dueDate="P5D"
        assert checkin.follow_up == checkin.created_at + timedelta(days=2)    # camunda:followUpDate="P2D"
        deployed.complete(checkin.id, {"verslag": f"Maand {month}: het gaat goed."}, actor="anna")
    state = deployed.state(case_id)
    assert state.status == "completed" and state.data["checkins"] == 8
    assert fired(deployed, case_id) == ["wacht"] * 8
    timer_ids = [e.payload["task_id"] for e in deployed.history(case_id) if e.type == "timer_fired"]
    assert len(set(timer_ids)) == 8                            # eight timers, each fired once
    assert timer_rows(deployed, case_id) == []
    assert clock.now() - start > timedelta(days=720)
    assert deployed.verify(case_id)


def test_timer_due_but_not_passed_does_not_fire(deployed, clock):
    case_id = deployed.start("timer_enkel", {})
    [(_, due, _)] = timer_rows(deployed, case_id)
    assert deployed.fire_due_timers(due) == 0                  # SpiffWorkflow fires once the time has passed
    assert deployed.fire_due_timers(due + TICK) == 1
    assert deployed.state(case_id).status == "completed"
    assert deployed.verify(case_id)


# --- catch-up: a scheduler that was down ----------------------------------------------------------


def test_catch_up_fires_each_missed_timer_once_at_its_own_time(deployed, clock):
    case_id = deployed.start("timer_termijnen", {"afspraak": "2026-02-01T09:00:00+00:00"})
    assert deployed.fire_due_timers(datetime(2026, 3, 2, tzinfo=UTC)) == 3
    history = deployed.history(case_id)
    times = {e.payload["element"]: e.at for e in history if e.type == "timer_fired"}
    assert times == {
        "op_datum": datetime(2026, 2, 1, 9, tzinfo=UTC) + TICK,          # timeDate from case data
        "dag_later": datetime(2026, 2, 2, 9, tzinfo=UTC) + 2 * TICK,     # quoted "P1D" after that
        "vaste_datum": datetime(2026, 3, 1, 9, tzinfo=UTC) + TICK,       # plain ISO date
    }
    assert [e.payload for e in history if e.type == "timers_due"][0] == {"processed_at": "2026-03-02T00:00:00+00:00"}
    assert deployed.state(case_id).status == "completed"
    assert deployed.verify(case_id)


def test_catch_up_gives_the_history_of_a_scheduler_that_never_stopped(deployed, clock):
    steady = deployed.start("timer_cyclus", {})
    late = deployed.start("timer_cyclus", {})
    end = datetime(2028, 2, 1, tzinfo=UTC)
    while clock.now() < end:                      # one case watched every week ...
        clock.advance(days=7)
        deployed.fire_due_timers()
    deployed.fire_due_timers(end)                 # ... the other only once, after 25 months

    def story(case_id):
        return [(e.type, e.at, e.payload.get("element")) for e in deployed.history(case_id)[1:]]

    assert story(late) == story(steady)
    assert fired(deployed, late) == ["contactmoment"] * 7 + ["einde"]
    assert names(deployed, late) == ["afsluiten"] + ["checkin"] * 7
    assert deployed.verify()


# --- every kind of timer event --------------------------------------------------------------------


def test_cycle_on_non_interrupting_boundary_and_interrupting_end(deployed, clock):
    case_id = deployed.start("timer_cyclus", {})
    assert {e for e, _, _ in timer_rows(deployed, case_id)} == {"contactmoment", "einde"}
    for expected in range(1, 8):
        [cycle] = [due for element, due, _ in timer_rows(deployed, case_id) if element == "contactmoment"]
        assert deployed.fire_due_timers(cycle + timedelta(minutes=1)) == 1
        assert names(deployed, case_id) == ["checkin"] * expected + ["nazorg"]     # the task stays open
    assert [e for e, _, _ in timer_rows(deployed, case_id)] == ["einde"]           # R7: no eighth one
    [(_, end, _)] = timer_rows(deployed, case_id)
    assert end == datetime(2028, 1, 5, 9, tzinfo=UTC)                      # P24M on the calendar
    assert deployed.fire_due_timers(end + timedelta(minutes=1)) == 1
    assert names(deployed, case_id) == ["afsluiten"] + ["checkin"] * 7              # "nazorg" was interrupted
    assert timer_rows(deployed, case_id) == []
    assert deployed.verify(case_id)


def test_call_back_within_24_hours_or_escalate(deployed, clock):
    case_id = deployed.start("timer_terugbellen", {})
    [call] = deployed.tasks(case_id=case_id)
    assert call.due == clock.now() + timedelta(hours=24)           # camunda:dueDate="PT24H"
    assert call.follow_up == clock.now() + timedelta(hours=4)      # regie:followUpDate="PT4H"
    clock.advance(hours=5)
    assert [t.id for t in deployed.overdue(follow_up=True)] == [call.id]
    assert deployed.overdue() == []
    clock.advance(hours=4)
    assert deployed.fire_due_timers() == 1                           # the quoted "PT8H" reminder
    assert fired(deployed, case_id) == ["herinnering"]
    assert [t.id for t in deployed.tasks(case_id=case_id)] == [call.id]
    clock.advance(hours=15, minutes=30)                              # 24.5 h: late, scheduler not yet round
    assert [t.id for t in deployed.overdue()] == [call.id]
    assert [t.id for t in deployed.overdue(role="coordinator")] == []
    assert deployed.fire_due_timers() == 1
    [escalation] = deployed.tasks(case_id=case_id)
    assert (escalation.name, escalation.role) == ("escaleren", "coordinator")
    assert escalation.due == datetime(2026, 1, 6, 13, tzinfo=UTC) + TICK
    assert deployed.overdue() == []                                   # the call task was withdrawn
    assert deployed.task(call.id).state == "cancelled"
    assert deployed.verify(case_id)


def test_calling_back_in_time_removes_the_timers(deployed, clock):
    case_id = deployed.start("timer_terugbellen", {})
    [call] = deployed.tasks(case_id=case_id)
    clock.advance(hours=2)
    deployed.complete(call.id, actor="anna")
    assert timer_rows(deployed, case_id) == []
    assert deployed.state(case_id).status == "completed"
    clock.advance(days=2)
    assert deployed.fire_due_timers() == 0
    assert deployed.verify(case_id)


def test_a_cancelled_boundary_timer_is_not_recorded_as_fired(deployed, clock):
    case_id = deployed.start("timer_terugbellen", {})
    [call] = deployed.tasks(case_id=case_id)
    deployed.complete(call.id, actor="anna")
    assert fired(deployed, case_id) == []


def test_timers_inside_and_on_a_subprocess(deployed, clock):
    case_id = deployed.start("timer_subproces", {})
    assert {e for e, _, _ in timer_rows(deployed, case_id)} == {"bedenktijd", "traject_verlopen"}
    clock.advance(days=7, minutes=1)
    assert deployed.fire_due_timers() == 1
    assert names(deployed, case_id) == ["bespreken"]
    clock.advance(days=24)
    assert deployed.fire_due_timers() == 1                            # the month on the subprocess is over
    assert names(deployed, case_id) == []
    assert deployed.state(case_id).status == "completed"
    assert deployed.history(case_id)[-1].payload == {"end": "verlopen"}
    assert timer_rows(deployed, case_id) == []
    assert deployed.verify(case_id)


def test_timer_start_of_an_event_subprocess_inside_the_case(deployed, clock):
    case_id = deployed.start("timer_eventsub", {})
    assert [e for e, _, _ in timer_rows(deployed, case_id)] == ["na_week"]
    assert deployed.start_schedules() == []                  # not a process-level start: no new cases
    clock.advance(days=7, minutes=1)
    assert deployed.fire_due_timers() == 1
    assert names(deployed, case_id) == ["bel", "werk"]         # non-interrupting: the work goes on
    assert deployed.verify(case_id)


def test_boundary_timer_on_a_multi_instance_task(deployed, clock):
    case_id = deployed.start("timer_meerdere", {"kinderen": ["Sam", "Noor", "Lev"]})
    first, *_ = deployed.tasks(case_id=case_id)
    assert names(deployed, case_id) == ["per_kind"] * 3
    deployed.complete(first.id, actor="sam")
    assert [e for e, _, _ in timer_rows(deployed, case_id)] == ["twee_weken"]      # one timer for the whole task
    clock.advance(days=14, minutes=1)
    assert deployed.fire_due_timers() == 1
    assert names(deployed, case_id) == ["navragen"]                                # the other two withdrawn
    assert deployed.verify(case_id)


# --- failures: an incident, the case intact, retry continues --------------------------------------


def break_scripts(monkeypatch, engine, reason="het register antwoordt niet"):
    from engine.errors import ExpressionFailed

    def failing(task, script, external_context=None):
        raise ExpressionFailed(script, reason, task.task_spec.bpmn_id)

    monkeypatch.setattr(engine.script_engine, "execute", failing)


def test_failing_timer_leaves_an_incident_and_the_case_intact_then_retry_continues(deployed, clock, monkeypatch):
    case_id = deployed.start("timer_storing", {"deler": 4})
    before = deployed.state(case_id)
    clock.advance(days=1, minutes=1)
    break_scripts(monkeypatch, deployed)
    assert deployed.fire_due_timers() == 0
    after = deployed.state(case_id)
    assert (after.status, after.active, after.data) == (before.status, before.active, before.data)
    assert timer_rows(deployed, case_id)[0][2] == "failed"
    [incident] = deployed.incidents()
    assert (incident.case_id, incident.element, incident.kind) == (case_id, "berekenen", "timer")
    assert "het register antwoordt niet" in incident.message
    assert [e.type for e in deployed.history(case_id)] == ["case_started", "incident"]
    assert deployed.fire_due_timers() == 0                        # the scheduler does not hammer on it
    assert len(deployed.history(case_id)) == 2
    assert deployed.verify(case_id)

    [again] = deployed.retry(case_id)                             # still broken: one open incident, updated
    assert again.fired == 0 and "het register antwoordt niet" in again.error
    assert len(deployed.incidents(case_id)) == 1

    monkeypatch.undo()                                            # the fix
    clock.advance(hours=2)
    [result] = deployed.retry(case_id)
    assert (result.target, result.fired, result.error) == (case_id, 1, None)
    assert deployed.incidents() == []
    assert [i.resolved_at for i in deployed.incidents(open_only=False)] == [clock.now()]
    assert names(deployed, case_id) == ["controleren"]
    assert deployed.state(case_id).data["termijn"] == 25
    types = [e.type for e in deployed.history(case_id)]
    assert types[-3:] == ["timers_due", "timer_fired", "incident_resolved"]
    assert deployed.retry(case_id) == []
    assert deployed.verify(case_id)


def test_one_failing_case_does_not_stop_the_others(deployed, clock, monkeypatch):
    bad = deployed.start("timer_storing", {"deler": 0})           # 100 // 0 fails in the model itself
    good = deployed.start("timer_enkel", {})
    clock.advance(days=1, minutes=1)
    assert deployed.fire_due_timers() == 1
    assert deployed.state(good).status == "completed"
    assert [i.case_id for i in deployed.incidents()] == [bad]
    assert deployed.state(bad).active == ["wacht"]
    assert deployed.verify()


def test_a_case_that_is_no_longer_running_loses_its_timers(deployed, clock):
    from sqlalchemy import update

    from engine.store.models import CaseRow

    case_id = deployed.start("timer_enkel", {})
    with deployed.store.write() as tx:                            # as a cancel command would leave it
        tx.session.execute(update(CaseRow).where(CaseRow.id == case_id).values(status="cancelled"))
    deployed.commands.forget(case_id)
    clock.advance(days=2)
    assert deployed.fire_due_timers() == 0
    assert timer_rows(deployed, case_id) == []
    assert [e.type for e in deployed.history(case_id)] == ["case_started"]


def test_a_timer_row_out_of_step_with_its_case_is_corrected_not_fired(deployed, clock):
    from engine.store.models import TimerRow

    case_id = deployed.start("timer_enkel", {})
    with deployed.store.write() as tx:                            # a row no workflow timer stands behind
        tx.add_timer(TimerRow(case_id=case_id, task_id="00000000-0000-0000-0000-000000000000", element="spook",
                              due_at=clock.now(), status="waiting", attempts=0))
    clock.advance(hours=1)
    assert deployed.fire_due_timers() == 0
    assert [element for element, _, _ in timer_rows(deployed, case_id)] == ["wacht"]
    assert deployed.incidents() == [] and len(deployed.history(case_id)) == 1
    clock.advance(days=1)
    assert deployed.fire_due_timers() == 1
    assert deployed.verify(case_id)


# --- deadlines ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    ("P2D", "2026-01-07T09:00:00+00:00"),
    ("PT24H", "2026-01-06T09:00:00+00:00"),
    ("2026-03-31", "2026-03-31T15:00:00+00:00"),                  # end of the working day, Dutch summer time
    ("2026-01-31", "2026-01-31T16:00:00+00:00"),                  # ... and winter time
    ("2026-02-01T12:00:00", "2026-02-01T11:00:00+00:00"),         # no zone: Dutch time
    ("2026-02-01T12:00:00Z", "2026-02-01T12:00:00+00:00"),
    ("termijn", "2026-01-19T09:00:00+00:00"),                     # an expression giving a duration
    ("${uiterlijk}", "2026-04-30T15:00:00+00:00"),                # JUEL giving a date
    ("datum", "2026-02-01T16:00:00+00:00"),                       # an expression giving a date
])
def test_due_dates(clock, value, expected):
    from datetime import date

    names_ = {"termijn": "P14D", "uiterlijk": "2026-04-30", "datum": date(2026, 2, 1)}
    assert resolve_date(value, clock.now(), names_, Evaluator(clock.now)).isoformat() == expected


def test_a_bad_due_date_says_what_is_wrong(clock):
    from engine.errors import ExpressionFailed

    with pytest.raises(ExpressionFailed, match="is geen datum of duur"):
        resolve_date("termijn", clock.now(), {"termijn": "volgende week"}, Evaluator(clock.now))
    assert resolve_date("", clock.now(), {}, Evaluator(clock.now)) is None


def test_a_step_that_leaves_the_timers_as_they_were_does_not_read_the_timer_rows(deployed, clock, request,
                                                                                 monkeypatch):
    """The shortcut of the timer sync: with the case's workflow in memory, a step that changes no timer
    does not query the timer table (with nothing in memory it must, to know what the rows hold). The step's
    statements run partly on the DBAPI cursor (engine.store.prepared), so the reads are counted where the
    store makes them: the two ``Tx`` methods that read a case's timer rows."""
    from engine.store import Tx

    case_id = deployed.start("timer_cyclus", {})
    [cycle] = [due for element, due, _ in timer_rows(deployed, case_id) if element == "contactmoment"]
    assert deployed.fire_due_timers(cycle + timedelta(minutes=1)) == 1     # the cycle moves on: rows rewritten
    [checkin] = [t for t in deployed.tasks(case_id=case_id) if t.name == "checkin"]
    timer_reads: list[str] = []

    def counted(method):
        def read(self, *args, **kwargs):
            timer_reads.append(method.__name__)
            return method(self, *args, **kwargs)
        return read

    monkeypatch.setattr(Tx, "timer_dues", counted(Tx.timer_dues))
    monkeypatch.setattr(Tx, "case_timers", counted(Tx.case_timers))
    deployed.complete(checkin.id, actor="anna")                            # no timer changes
    monkeypatch.undo()
    warm = request.node.callspec.params["engine"] == "live"
    assert len(timer_reads) == (0 if warm else 1), timer_reads
    assert {e for e, _, _ in timer_rows(deployed, case_id)} == {"contactmoment", "einde"}
    assert deployed.verify(case_id)
