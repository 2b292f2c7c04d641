"""Quartz cron schedules (Camunda 7 ``timeCycle``): the parser, its time zone, and the three places a cycle runs —
timer start events, non-interrupting boundary timers and intermediate catch events. Time moves only on the
ManualClock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine import cron
from engine.region import TIMEZONE
from engine.scheduler import Scheduler

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="https://regie.dev/tests">
"""


def model(tmp_path: Path, body: str, process_id: str = "p") -> Path:
    path = tmp_path / f"{process_id}.bpmn"
    path.write_text(f'{HEAD}<bpmn:process id="{process_id}" isExecutable="true">{body}</bpmn:process>'
                    "</bpmn:definitions>", encoding="utf-8")
    return path


def timer(schedule: str) -> str:
    return f"<bpmn:timerEventDefinition><bpmn:timeCycle>{schedule}</bpmn:timeCycle></bpmn:timerEventDefinition>"


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TIMEZONE)


def occurrences(schedule: str, after: str, count: int = 4) -> list[str]:
    moment, found = local(after).astimezone(UTC), []
    for _ in range(count):
        moment = cron.parse(schedule).next_after(moment)
        if moment is None:
            break
        found.append(moment.astimezone(TIMEZONE).isoformat())
    return found


# --- the parser -------------------------------------------------------------------------------------


@pytest.mark.parametrize("schedule, after, expected", [
    ("0 0 9 * * ?", "2026-01-05T09:00", ["2026-01-06T09:00:00+01:00", "2026-01-07T09:00:00+01:00"]),
    ("0 0/15 * ? * MON-FRI", "2026-01-09T23:40", ["2026-01-09T23:45:00+01:00", "2026-01-12T00:00:00+01:00"]),
    ("0 0 9 ? * 2-6", "2026-01-09T10:00", ["2026-01-12T09:00:00+01:00", "2026-01-13T09:00:00+01:00"]),  # 2 = MON
    ("30 5 8 ? * SUN", "2026-01-05T00:00", ["2026-01-11T08:05:30+01:00", "2026-01-18T08:05:30+01:00"]),
    ("0 0 12 L * ?", "2026-01-31T12:00", ["2026-02-28T12:00:00+01:00", "2026-03-31T12:00:00+02:00"]),
    ("0 0 12 L-2 * ?", "2026-01-01T00:00", ["2026-01-29T12:00:00+01:00", "2026-02-26T12:00:00+01:00"]),
    ("0 0 12 15W * ?", "2026-02-01T00:00", ["2026-02-16T12:00:00+01:00", "2026-03-16T12:00:00+01:00"]),  # Sun, Sun
    ("0 0 12 1W * ?", "2026-08-01T00:00", ["2026-08-03T12:00:00+02:00", "2026-09-01T12:00:00+02:00"]),  # Sat: Mon 3rd
    ("0 0 12 LW * ?", "2026-05-01T00:00", ["2026-05-29T12:00:00+02:00", "2026-06-30T12:00:00+02:00"]),
    ("0 0 12 ? * 6L", "2026-01-01T00:00", ["2026-01-30T12:00:00+01:00", "2026-02-27T12:00:00+01:00"]),
    ("0 0 12 ? * FRI#3", "2026-01-01T00:00", ["2026-01-16T12:00:00+01:00", "2026-02-20T12:00:00+01:00"]),
    ("0 0 12 ? * L", "2026-01-01T00:00", ["2026-01-03T12:00:00+01:00", "2026-01-10T12:00:00+01:00"]),  # Saturday
    ("0 0 22-2/2 * * ?", "2026-01-05T12:00", ["2026-01-05T22:00:00+01:00", "2026-01-06T00:00:00+01:00",
                                              "2026-01-06T02:00:00+01:00", "2026-01-06T22:00:00+01:00"]),
    ("0 0 9 ? * FRI-MON", "2026-01-06T00:00", ["2026-01-09T09:00:00+01:00", "2026-01-10T09:00:00+01:00",
                                               "2026-01-11T09:00:00+01:00", "2026-01-12T09:00:00+01:00"]),
    ("0 0 9 29 FEB ?", "2026-01-01T00:00", ["2028-02-29T09:00:00+01:00", "2032-02-29T09:00:00+01:00"]),
    ("0 0 9 1 1 ? 2027,2029", "2026-06-01T00:00", ["2027-01-01T09:00:00+01:00", "2029-01-01T09:00:00+01:00"]),
    ("0 0 9 1 1 ? 2020", "2026-06-01T00:00", []),
])
def test_quartz_fields(schedule, after, expected):
    assert occurrences(schedule, after, len(expected) or 1) == expected


def test_the_night_the_clocks_go_forward_a_missing_time_fires_an_hour_later():
    # 29 March 2026: 02:00 CET becomes 03:00 CEST; 02:30 does not exist that night.
    assert occurrences("0 30 2 * * ?", "2026-03-28T03:00", 3) == [
        "2026-03-29T03:30:00+02:00", "2026-03-30T02:30:00+02:00", "2026-03-31T02:30:00+02:00"]
    assert occurrences("0 0/30 * * * ?", "2026-03-29T01:15", 4) == [
        "2026-03-29T01:30:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-29T03:30:00+02:00",
        "2026-03-29T04:00:00+02:00"]


def test_the_night_the_clocks_go_back_a_double_time_fires_once():
    # 25 October 2026: 03:00 CEST becomes 02:00 CET; 02:30 happens twice and fires the first time.
    assert occurrences("0 30 2 * * ?", "2026-10-24T12:00", 2) == ["2026-10-25T02:30:00+02:00",
                                                                  "2026-10-26T02:30:00+01:00"]
    after_first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)           # 02:30 CEST, the first time
    assert cron.parse("0 30 2 * * ?").next_after(after_first) == datetime(2026, 10, 26, 1, 30, tzinfo=UTC)
    hourly = [datetime.fromisoformat(t) for t in occurrences("0 0 * * * ?", "2026-10-25T01:30", 4)]
    assert all(b > a for a, b in zip(hourly, hourly[1:], strict=False))   # never back in time


@pytest.mark.parametrize("schedule, words", [
    ("0 0 9 * *", "6 of 7 velden"),
    ("0 0 25 * * ?", "'25' kan niet in het veld uren: gebruik 0 tot en met 23"),
    ("0 0 9 ? * FOO", "'foo' kan niet in het veld dag van de week: gebruik 1 tot en met 7 of SUN-SAT"),
    ("0 0 9 1 * MON", "hebben allebei een waarde"),
    ("0 0 9 ? * ?", "allebei '?'"),
    ("0 0 9 ? * 6#6", "'6' kan niet in het veld dag van de week: gebruik 1 tot en met 5"),
    ("0 0 9 ? JAN-XYZ *", "'xyz' kan niet in het veld maand"),
    ("0 0/0 9 * * ?", "'0' kan niet in het veld minuten"),
])
def test_a_wrong_schedule_says_which_field_and_what_to_write(schedule, words):
    with pytest.raises(cron.CronError) as refused:
        cron.parse(schedule)
    assert words in str(refused.value) and "Schrijf bijvoorbeeld 0 0 9 ? * MON-FRI" in str(refused.value)


def test_what_looks_like_a_cron_schedule():
    assert cron.looks_like_cron("0 0 9 * * ?") and cron.looks_like_cron("0 9 * * *")
    assert not cron.looks_like_cron("R/P1D") and not cron.looks_like_cron("x * 2 - y")
    assert not cron.looks_like_cron("${schema}")


# --- validation -------------------------------------------------------------------------------------

CATCH = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="w"/>'
         '<bpmn:intermediateCatchEvent id="w">{timer}</bpmn:intermediateCatchEvent>'
         '<bpmn:sequenceFlow id="f2" sourceRef="w" targetRef="t"/>'
         '<bpmn:userTask id="t" camunda:candidateGroups="casemanager"/>'
         '<bpmn:sequenceFlow id="f3" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>')


def test_a_valid_cron_passes_validation_and_a_wrong_one_names_the_element(sqlite_engine, tmp_path):
    assert sqlite_engine.validate([model(tmp_path, CATCH.format(timer=timer("0 0 9 ? * MON-FRI")))]) == []
    [problem] = sqlite_engine.validate([model(tmp_path, CATCH.format(timer=timer("0 0 9 ? * MAN-VRI")))])
    assert problem.element_id == "w"
    assert problem.message.startswith("'0 0 9 ? * MAN-VRI': dit cron-schema (Quartz, Camunda 7) klopt niet: "
                                      "'man' kan niet in het veld dag van de week")


def test_a_cron_outside_a_cycle_is_refused(sqlite_engine, tmp_path):
    duration = "<bpmn:timerEventDefinition><bpmn:timeDuration>0 0 9 * * ?</bpmn:timeDuration></bpmn:timerEventDefinition>"
    [problem] = sqlite_engine.validate([model(tmp_path, CATCH.format(timer=duration))])
    assert problem.element_id == "w" and "een cron-schema hoort in een herhaling (timeCycle)" in problem.message


# --- running ----------------------------------------------------------------------------------------


def test_an_intermediate_cron_timer_waits_for_the_next_time(engine, clock, tmp_path):
    engine.deploy([model(tmp_path, CATCH.format(timer=timer("0 0 9 ? * MON-FRI")))])
    clock.set("2026-01-09T10:00:00+01:00")                              # a Friday, after nine
    case_id = engine.start("p", {})
    [row] = engine.timers(case_id=case_id)
    assert row.due == local("2026-01-12T09:00")                          # Monday nine o'clock, Dutch time
    assert engine.fire_due_timers(row.due - timedelta(seconds=1)) == 0
    assert engine.fire_due_timers(row.due + timedelta(minutes=1)) == 1
    assert [t.name for t in engine.tasks(case_id=case_id)] == ["t"]
    assert engine.timers(case_id=case_id) == []                          # an intermediate event goes on once
    assert engine.verify(case_id)


def test_an_intermediate_iso_cycle_also_goes_on_once(engine, clock, tmp_path):
    engine.deploy([model(tmp_path, CATCH.format(timer=timer("R3/PT1H")))])
    case_id = engine.start("p", {})
    [row] = engine.timers(case_id=case_id)
    assert row.due == clock.now() + timedelta(hours=1)
    assert engine.fire_due_timers(clock.now() + timedelta(hours=5)) == 1
    assert [t.name for t in engine.tasks(case_id=case_id)] == ["t"] and engine.timers(case_id=case_id) == []
    assert engine.verify(case_id)


BOUNDARY = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="werk"/>'
            '<bpmn:userTask id="werk" camunda:candidateGroups="casemanager"/>'
            '<bpmn:boundaryEvent id="herinnering" attachedToRef="werk" cancelActivity="false">{timer}</bpmn:boundaryEvent>'
            '<bpmn:sequenceFlow id="f2" sourceRef="herinnering" targetRef="bel"/>'
            '<bpmn:userTask id="bel" camunda:candidateGroups="casemanager"/>'
            '<bpmn:sequenceFlow id="f3" sourceRef="bel" targetRef="e1"/><bpmn:endEvent id="e1"/>'
            '<bpmn:sequenceFlow id="f4" sourceRef="werk" targetRef="e2"/><bpmn:endEvent id="e2"/>')


def test_a_boundary_cron_fires_each_occurrence_once_also_in_a_catch_up(engine, clock, tmp_path):
    engine.deploy([model(tmp_path, BOUNDARY.format(timer=timer("0 0 9 ? * MON,THU")))])
    clock.set("2026-03-23T10:00:00+01:00")                              # Monday after nine; DST starts on the 29th
    case_id = engine.start("p", {})
    assert [t.due for t in engine.timers(case_id=case_id)] == [local("2026-03-26T09:00")]
    assert engine.fire_due_timers(local("2026-04-03T12:00")) == 3       # Thu 26, Mon 30 (summer time), Thu 2
    assert engine.fire_due_timers(local("2026-04-03T12:00")) == 0       # nothing fires twice
    fired_at = [e.at for e in engine.history(case_id) if e.type == "timer_fired"]
    assert [t.astimezone(TIMEZONE).isoformat(timespec="minutes") for t in fired_at] == [
        "2026-03-26T09:00+01:00", "2026-03-30T09:00+02:00", "2026-04-02T09:00+02:00"]
    assert sorted(t.name for t in engine.tasks(case_id=case_id)) == ["bel", "bel", "bel", "werk"]
    assert [t.due for t in engine.timers(case_id=case_id)] == [local("2026-04-06T09:00")]
    [werk] = [t for t in engine.tasks(case_id=case_id) if t.name == "werk"]
    engine.complete(werk.id, {})
    assert engine.timers(case_id=case_id) == []                          # the cycle ends with its task
    assert engine.verify(case_id)


START = ('<bpmn:startEvent id="elke_werkdag">{timer}</bpmn:startEvent>'
         '<bpmn:sequenceFlow id="f1" sourceRef="elke_werkdag" targetRef="t"/>'
         '<bpmn:userTask id="t" camunda:candidateGroups="coordinator"/>'
         '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>')


def test_a_cron_start_event_starts_one_case_per_occurrence(engine, clock, tmp_path):
    clock.set("2026-01-09T10:00:00+01:00")                              # Friday
    engine.deploy([model(tmp_path, START.format(timer=timer("0 0 9 ? * MON-FRI")), "werkdag")])
    [schedule] = engine.start_schedules()
    assert (schedule.next, schedule.cycles_left, schedule.status) == (local("2026-01-12T09:00"), -1, "waiting")
    clock.set("2026-01-14T12:00:00+01:00")                              # Mon, Tue, Wed came
    assert Scheduler(engine, name="a").poll() == 3
    assert Scheduler(engine, name="b").poll() == 0
    started = sorted(c.created_at for c in engine.cases(process_id="werkdag"))
    assert [s.astimezone(TIMEZONE).strftime("%a %H:%M") for s in started] == ["Mon 09:00", "Tue 09:00", "Wed 09:00"]
    assert engine.start_schedules()[0].next == local("2026-01-15T09:00")
    assert engine.verify()


def test_a_cron_start_event_whose_years_are_over_is_marked_failed(engine, clock, tmp_path):
    engine.deploy([model(tmp_path, START.format(timer=timer("0 0 9 1 1 ? 2020")), "oud")])
    [schedule] = engine.start_schedules()
    assert schedule.status == "failed" and "geen tijdstip meer" in schedule.error


# --- found in the corpus ----------------------------------------------------------------------------


def test_a_script_task_without_a_script_does_nothing_and_goes_on(engine, tmp_path):
    # bpmn-js draws a script task as <scriptTask scriptFormat=""><script/></scriptTask>; it stalled the case
    # with "De expressie 'None' kan niet worden uitgevoerd".
    body = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="leeg"/>'
            '<bpmn:scriptTask id="leeg" scriptFormat=""><bpmn:script/></bpmn:scriptTask>'
            '<bpmn:sequenceFlow id="f2" sourceRef="leeg" targetRef="t"/>'
            '<bpmn:userTask id="t" camunda:candidateGroups="casemanager"/>'
            '<bpmn:sequenceFlow id="f3" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>')
    path = model(tmp_path, body)
    assert engine.validate([path]) == []
    engine.deploy([path])
    case_id = engine.start("p", {})
    assert [t.name for t in engine.tasks(case_id=case_id)] == ["t"]
    assert engine.verify(case_id)


def test_a_conditional_event_without_a_condition_is_refused_in_dutch(sqlite_engine, tmp_path):
    # bpmn-js's fixtures draw one; validation showed SpiffWorkflow's English text as the reason.
    body = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="wacht"/>'
            '<bpmn:intermediateCatchEvent id="wacht"><bpmn:conditionalEventDefinition/></bpmn:intermediateCatchEvent>'
            '<bpmn:sequenceFlow id="f2" sourceRef="wacht" targetRef="e"/><bpmn:endEvent id="e"/>')
    [problem] = sqlite_engine.validate([model(tmp_path, body)])
    assert problem.element_id == "wacht"
    assert problem.message == "Deze voorwaardelijke gebeurtenis heeft geen voorwaarde. Vul de voorwaarde (condition) in."


def test_a_timer_without_a_value_is_refused_not_a_crash(sqlite_engine, tmp_path):
    # MIWG B.1.0 draws a timer start event with an empty <timeDate/>: validate raised AttributeError.
    body = ('<bpmn:startEvent id="s"><bpmn:timerEventDefinition><bpmn:timeDate/></bpmn:timerEventDefinition>'
            '</bpmn:startEvent><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="e"/><bpmn:endEvent id="e"/>')
    [problem] = sqlite_engine.validate([model(tmp_path, body)])
    assert problem.element_id == "s" and problem.message.startswith("Deze timer heeft geen waarde.")


LINK = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="gooi"/>'
        '<bpmn:intermediateThrowEvent id="gooi"><bpmn:linkEventDefinition name="{throw}"/></bpmn:intermediateThrowEvent>'
        '<bpmn:intermediateCatchEvent id="vang"><bpmn:linkEventDefinition name="{catch}"/></bpmn:intermediateCatchEvent>'
        '<bpmn:sequenceFlow id="f2" sourceRef="vang" targetRef="t"/>'
        '<bpmn:userTask id="t" camunda:candidateGroups="casemanager"/>'
        '<bpmn:sequenceFlow id="f3" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>')


def test_a_link_event_jumps_to_the_catching_link_of_its_name(engine, tmp_path):
    # bpmn-js-properties-panel's LinkEvent fixture: validation passed, and the case stalled at the throw.
    path = model(tmp_path, LINK.format(throw="verder", catch="verder"))
    assert engine.validate([path]) == []
    engine.deploy([path])
    case_id = engine.start("p", {})
    assert [t.name for t in engine.tasks(case_id=case_id)] == ["t"]
    assert engine.verify(case_id)


def test_a_link_event_without_its_catch_is_refused(sqlite_engine, tmp_path):
    [problem] = sqlite_engine.validate([model(tmp_path, LINK.format(throw="verder", catch="elders"))])
    assert problem.element_id == "gooi" and "geen vangende link-gebeurtenis in hetzelfde (sub)proces" in problem.message


def test_arrows_without_conditions_leaving_a_task_run_side_by_side(engine, tmp_path):
    # bpmn-js fixtures (and Camunda models) draw a parallel split as two plain arrows out of a task: refused
    # before ("meer dan één uitgaande pijl"), while Camunda runs both.
    body = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="intake"/>'
            '<bpmn:userTask id="intake" camunda:candidateGroups="casemanager"/>'
            '<bpmn:sequenceFlow id="f2" sourceRef="intake" targetRef="a"/>'
            '<bpmn:sequenceFlow id="f3" sourceRef="intake" targetRef="b"/>'
            '<bpmn:userTask id="a" camunda:candidateGroups="casemanager"/>'
            '<bpmn:userTask id="b" camunda:candidateGroups="casemanager"/>'
            '<bpmn:sequenceFlow id="f4" sourceRef="a" targetRef="ea"/><bpmn:endEvent id="ea"/>'
            '<bpmn:sequenceFlow id="f5" sourceRef="b" targetRef="eb"/><bpmn:endEvent id="eb"/>')
    path = model(tmp_path, body)
    assert engine.validate([path]) == []
    engine.deploy([path])
    case_id = engine.start("p", {})
    [intake] = engine.tasks(case_id=case_id)
    engine.complete(intake.id, {})
    assert sorted(t.name for t in engine.tasks(case_id=case_id)) == ["a", "b"]
    for task in engine.tasks(case_id=case_id):
        engine.complete(task.id, {})
    assert engine.state(case_id).status == "completed"
    assert engine.verify(case_id)


def test_arrows_with_conditions_leaving_a_task_are_still_refused(sqlite_engine, tmp_path):
    body = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="intake"/>'
            '<bpmn:userTask id="intake" camunda:candidateGroups="casemanager"/>'
            '<bpmn:sequenceFlow id="f2" sourceRef="intake" targetRef="e1"><bpmn:conditionExpression>${x}'
            '</bpmn:conditionExpression></bpmn:sequenceFlow>'
            '<bpmn:sequenceFlow id="f3" sourceRef="intake" targetRef="e2"/><bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>')
    [problem] = sqlite_engine.validate([model(tmp_path, body)])
    assert problem.element_id == "intake" and "meer dan één uitgaande pijl" in problem.message


EVENT_SUB = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="werk"/>'
             '<bpmn:userTask id="werk" camunda:candidateGroups="casemanager"/>'
             '<bpmn:sequenceFlow id="f2" sourceRef="werk" targetRef="e"/><bpmn:endEvent id="e"/>'
             '<bpmn:subProcess id="sub" triggeredByEvent="true">'
             '<bpmn:startEvent id="elke_maandag" isInterrupting="false">{timer}</bpmn:startEvent>'
             '<bpmn:sequenceFlow id="f3" sourceRef="elke_maandag" targetRef="bel"/>'
             '<bpmn:userTask id="bel" camunda:candidateGroups="casemanager"/>'
             '<bpmn:sequenceFlow id="f4" sourceRef="bel" targetRef="se"/><bpmn:endEvent id="se"/></bpmn:subProcess>')


def test_an_event_subprocess_with_a_cron_start_fires_every_time(engine, clock, tmp_path):
    engine.deploy([model(tmp_path, EVENT_SUB.format(timer=timer("0 0 9 ? * MON")))])
    clock.set("2026-01-06T10:00:00+01:00")                              # a Tuesday
    case_id = engine.start("p", {})
    assert [t.due for t in engine.timers(case_id=case_id)] == [local("2026-01-12T09:00")]
    assert engine.fire_due_timers(local("2026-01-20T12:00")) == 2       # Mondays 12 and 19 January
    assert sorted(t.name for t in engine.tasks(case_id=case_id)) == ["bel", "bel", "werk"]
    assert [t.due for t in engine.timers(case_id=case_id)] == [local("2026-01-26T09:00")]
    assert engine.verify(case_id)
