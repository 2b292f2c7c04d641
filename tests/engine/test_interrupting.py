"""Interrupting event subprocesses (``isInterrupting="true"``, BPMN's default): when one starts, the other open work
of its scope ends — a person's task, a waiting boundary timer, an external task, a receive task and the other event
subprocesses — and the case's events say what it cancelled (``work_interrupted``). A non-interrupting one only adds
its task. The ``engine`` fixture runs each test live and with every step restored from the store."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import external

MODELS = Path(__file__).parent / "interrupt_models"
MAIN = ["beoordelen", "registreren", "wachten"]     # the main path's open work: a task, an external task, a receive


@pytest.fixture
def deployed(engine):
    engine.deploy([MODELS])
    return engine


def names(engine, case_id):
    return sorted(t.name for t in engine.tasks(case_id=case_id))


def timers(engine, case_id):
    return sorted(t.element for t in engine.timers(case_id=case_id))


def interrupted(engine, case_id):
    return [e.payload for e in engine.history(case_id) if e.type == "work_interrupted"]


def _closed_main_path(engine, case_id, start: str, subprocess: str) -> None:
    [event] = interrupted(engine, case_id)
    assert (event["element"], event["subprocess"]) == (start, subprocess)
    cancelled = sorted(c["element"] for c in event["cancelled"])
    # the task, its boundary timer, the external task, the receive task and the other event subprocesses' starts
    assert set(MAIN) | {"termijn"} <= set(cancelled)
    assert "herinnering_start" in cancelled and subprocess.replace("_sub", "_start") not in cancelled
    assert external.list_tasks(engine, case_id=case_id) == []
    assert timers(engine, case_id) == []


def test_a_timer_started_interrupting_event_subprocess_cancels_the_main_path(deployed, clock):
    case_id = deployed.start("onderbreken", {})
    assert names(deployed, case_id) == ["beoordelen"]
    assert timers(deployed, case_id) == ["herinnering_start", "termijn", "verlopen_start"]
    clock.advance(days=20, minutes=1)
    deployed.fire_due_timers()          # the 10-day boundary timer and the non-interrupting 20-day reminder
    assert names(deployed, case_id) == ["beoordelen", "herinnering_taak", "rappel"]   # nothing interrupted
    assert interrupted(deployed, case_id) == []
    clock.advance(days=10)
    assert deployed.fire_due_timers() == 1
    assert names(deployed, case_id) == ["verlopen_taak"]           # everything else in the scope ended
    [event] = interrupted(deployed, case_id)
    assert {"beoordelen", "registreren", "wachten", "rappel", "herinnering_taak"} <= {
        c["element"] for c in event["cancelled"]}
    assert external.list_tasks(deployed, case_id=case_id) == [] and timers(deployed, case_id) == []
    [task] = deployed.tasks(case_id=case_id)
    deployed.complete(task.id, {})
    state = deployed.state(case_id)
    assert state.status == "completed"
    assert deployed.history(case_id)[-1].payload == {"end": "verlopen_sub"}
    assert deployed.verify(case_id)


def test_a_message_started_interrupting_event_subprocess_cancels_the_main_path(deployed):
    case_id = deployed.start("onderbreken", {})
    [open_task] = deployed.tasks(case_id=case_id)
    [locked] = external.fetch_and_lock(deployed, "w1", ["zaaksysteem"], 1, 60)     # a worker holds it
    deployed.correlate_message("aanvraag_ingetrokken", "m-1", business_key=deployed.state(case_id).number)
    assert names(deployed, case_id) == ["intrekken_taak"]
    _closed_main_path(deployed, case_id, "intrekken_start", "intrekken_sub")
    with deployed.store.read() as tx:
        assert tx.task(open_task.id).state == "cancelled"          # the person's task row is closed
    from web.timeline import timeline

    moments = timeline(deployed.history(case_id), deployed.version(deployed.state(case_id).version_id), {})
    [moment] = [m for m in moments if m.kind == "work_interrupted"]
    assert moment.what == "Ander werk gestopt: 'Aanvraag ingetrokken' onderbreekt de zaak"
    assert "Aanvraag beoordelen" in moment.details[0][1]
    with pytest.raises(external.UnknownExternalTask):              # the worker's task is gone
        external.complete(deployed, locked.id, "w1", {})
    [task] = deployed.tasks(case_id=case_id)
    deployed.complete(task.id, {})
    assert deployed.state(case_id).status == "completed"
    assert deployed.verify(case_id)


def test_an_error_started_interrupting_event_subprocess_cancels_the_rest(deployed):
    case_id = deployed.start("onderbreken", {})
    [task] = deployed.tasks(case_id=case_id)
    deployed.complete(task.id, {"fraude": True})                  # the main path throws the error
    assert names(deployed, case_id) == ["fraude_taak"]
    [event] = interrupted(deployed, case_id)
    assert (event["element"], event["subprocess"]) == ("fraude_start", "fraude_sub")
    assert {"registreren", "wachten", "verlopen_start"} <= {c["element"] for c in event["cancelled"]}
    assert external.list_tasks(deployed, case_id=case_id) == [] and timers(deployed, case_id) == []
    [task] = deployed.tasks(case_id=case_id)
    deployed.complete(task.id, {})
    assert deployed.state(case_id).status == "completed"
    assert deployed.history(case_id)[-1].payload == {"end": "fraude_sub"}
    assert deployed.verify(case_id)


def test_without_an_interruption_the_case_ends_on_its_main_path(deployed):
    case_id = deployed.start("onderbreken", {})
    [task] = deployed.tasks(case_id=case_id)
    deployed.complete(task.id, {"fraude": False})
    [locked] = external.fetch_and_lock(deployed, "w1", ["zaaksysteem"], 1, 60)
    external.complete(deployed, locked.id, "w1", {})
    deployed.correlate_message("stukken_ontvangen", "s-1", business_key=deployed.state(case_id).number)
    assert deployed.state(case_id).status == "completed"
    assert deployed.history(case_id)[-1].payload == {"end": "einde"}
    assert interrupted(deployed, case_id) == []
    assert timers(deployed, case_id) == []
    assert deployed.verify(case_id)


def test_an_event_subprocess_starts_with_the_data_as_it_is_now(deployed, clock):
    """What was filled in after the case started is seen by the event subprocess and stays in the case after it
    interrupted (SpiffWorkflow gave it the data of the case's start)."""
    case_id = deployed.start("onderbreken", {"naam": "Demo"})
    [locked] = external.fetch_and_lock(deployed, "w1", ["zaaksysteem"], 1, 60)
    external.complete(deployed, locked.id, "w1", {"zaaknummer": "Z-1"})
    clock.advance(days=20, minutes=1)
    deployed.fire_due_timers()
    assert "herinnering_taak" in names(deployed, case_id)
    deployed.correlate_message("aanvraag_ingetrokken", "m-1", business_key=deployed.state(case_id).number)
    [task] = deployed.tasks(case_id=case_id)
    assert deployed.state(case_id).data == {"naam": "Demo", "zaaknummer": "Z-1"}
    deployed.complete(task.id, {"reden": "ingetrokken"})
    assert deployed.state(case_id).data == {"naam": "Demo", "zaaknummer": "Z-1", "reden": "ingetrokken"}
    assert deployed.verify(case_id)


def test_inside_an_embedded_subprocess_only_its_own_work_stops(deployed):
    """The scope of an event subprocess in a subprocess is that subprocess: a signal stops the home visit, the task
    beside the subprocess stays, and after the event subprocess the case goes on behind the subprocess."""
    case_id = deployed.start("binnen", {})
    assert names(deployed, case_id) == ["administratie", "huisbezoek"]
    deployed.broadcast_signal("onderzoek_stoppen")
    assert names(deployed, case_id) == ["administratie", "stop_taak"]
    [event] = interrupted(deployed, case_id)
    assert [c["element"] for c in event["cancelled"]] == ["huisbezoek"]
    for name in ("stop_taak", "administratie"):
        deployed.complete(next(t.id for t in deployed.tasks(case_id=case_id) if t.name == name), {})
    assert names(deployed, case_id) == ["afsluiten"]
    deployed.complete(deployed.tasks(case_id=case_id)[0].id, {})
    assert deployed.state(case_id).status == "completed"
    assert deployed.verify(case_id)
