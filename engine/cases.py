"""What happens to a workflow when an event is applied — the same code for live commands and replays.

A case's workflow only ever changes through ``apply_event``. The engine calls it to carry out a
command; ``replay`` calls it again, event by event, with the recorded time and the same task-id
sequence, and so rebuilds the stored state exactly. Nothing here touches the database.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.simple import CancelEventDefinition, TerminateEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import EventSubprocess
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from . import compaction
from .audit import Event, canonical_json
from .compaction import compact
from .definitions import ProcessVersion
from .errors import FieldProblem, InvalidData, RegieError
from .spiff import RegieScriptEngine, TaskIdSequence, job_inputs, step_context

# Events that change the workflow; every other event type records a fact (decision, claim, …).
COMMANDS = ("case_started", "task_completed", "timers_due", "message_received", "signal_received", "data_rectified",
            "external_task_error")


@dataclass
class Live:
    """A case's workflow in memory, with the id sequence that continues it."""

    workflow: BpmnWorkflow
    ids: TaskIdSequence


class CaseStalled(RegieError):
    """A step would leave the case finished without reaching an end, or with nothing left to do.

    The engine refuses such a step (nothing is stored) and records an incident, so a case never
    silently stops.
    """

    def __init__(self, element_id: str, reason: str):
        super().__init__(reason)
        self.element_id = element_id


def new_workflow(version: ProcessVersion, script_engine: RegieScriptEngine) -> BpmnWorkflow:
    return BpmnWorkflow(version.spec, version.subprocess_specs, script_engine=script_engine)


def apply_event(live: Live | None, event: Event, at: datetime, case_id: str,
                version: ProcessVersion, script_engine: RegieScriptEngine,
                observe: Callable[[BpmnWorkflow], None] | None = None) -> tuple[Live, list[Event]]:
    """Apply one command event; returns the live workflow and the facts it produced.

    Raises ``CaseStalled`` when the step would leave the case without a way forward (see ``check_progress``).
    After the step the workflow is compacted (``engine.compaction``): live steps and replays drop the
    same finished tasks, so the stored state stays small and a replay rebuilds it exactly. ``observe``
    (audit replays) sees the workflow after the step and before compaction, with every task it finished.
    """
    decisions: list[dict[str, Any]] = []
    if live is None:
        live = Live(None, TaskIdSequence(case_id))
    before = waiting_timers(live.workflow) if live.workflow is not None else {}
    was_completed = live.workflow is not None and live.workflow.completed     # a correction after the end
    interruptions: list[dict[str, Any]] = []
    with step_context(at, live.ids, decisions, interruptions):
        _HANDLERS[event.type](live, event.payload, version, script_engine)
        live.workflow.do_engine_steps()
    facts = [Event("gateway_decision", d) for d in decisions]
    facts += [Event("work_interrupted", i) for i in interruptions]
    after = waiting_timers(live.workflow)
    for task_id, (element, due) in before.items():
        if _fired(live.workflow, task_id, after, due):
            facts.append(Event("timer_fired", {"task_id": task_id, "element": element, "due": due.isoformat()}))
    if not was_completed:        # a finished case was checked when it finished (and is compacted since)
        check_progress(live.workflow)
    if live.workflow.completed and not was_completed:
        facts.append(Event("case_completed", {"end": _end_element(live.workflow)}))
    if observe is not None:
        observe(live.workflow)
    compact(live.workflow)
    return live, facts


def _fired(workflow: BpmnWorkflow, task_id: str, after: dict, due: datetime) -> bool:
    """Whether a timer that was waiting before the step fired in it (not: was cancelled with its task)."""
    if task_id in after:
        return after[task_id][1] != due          # a cycle timer moved on to its next occurrence
    task = find_task(workflow, task_id)
    # Completed, or a cycle that used up its last occurrence; cancelled or dropped tasks did not fire.
    return task is not None and task.state != TaskState.CANCELLED


def _start(live: Live, payload, version, script_engine) -> None:
    live.workflow = new_workflow(version, script_engine)
    live.workflow.task_tree.data.update(payload.get("data") or {})
    start = next(t for t in live.workflow.tasks.values() if t.task_spec.name == "Start")
    start.data.update(payload.get("data") or {})


def _complete(live: Live, payload, version, script_engine) -> None:
    task = live.workflow.get_task_from_id(uuid.UUID(payload["task_id"]))
    outputs = getattr(task.task_spec, "external_outputs", None)
    if outputs and getattr(task.task_spec, "external_topic", None):
        task.data.update(job_outputs(task, payload.get("data") or {}, outputs))
    else:
        task.data.update(payload.get("data") or {})
    task.run()


def job_outputs(task, variables: dict[str, Any], outputs: list[tuple[str, str]]) -> dict[str, Any]:
    """A Zeebe job worker with output mappings: the worker's variables (and the job's input mappings) are local
    to the task, and only what the output mappings name goes into the case, as in Zeebe."""
    engine = task.workflow.script_engine
    local = {**job_inputs(task.task_spec, lambda expression: engine.evaluate(task, expression)), **variables}
    return {name: engine.evaluate(task, expression, external_context=local) for name, expression in outputs}


def _timers_due(live: Live, payload, version, script_engine) -> None:
    live.workflow.refresh_timers()


def _message(live: Live, payload, version, script_engine) -> None:
    deliver(live.workflow, MessageEventDefinition, payload["name"], payload.get("variables") or {})


def _signal(live: Live, payload, version, script_engine) -> None:
    deliver(live.workflow, SignalEventDefinition, payload["name"], None)


def _rectify(live: Live, payload, version, script_engine) -> None:
    """A correction of the resident's data (``engine.privacy.subjects``): every place the workflow keeps
    the field — its own data and each task's — gets the corrected value; nothing moves on."""
    correction = payload.get("correction") or {}
    for data in (live.workflow.data, *(t.data for t in all_tasks(live.workflow))):
        for name, value in correction.items():
            if name in data:
                data[name] = value


class ErrorNotCaught(RegieError):
    """A worker's BPMN error that no error boundary event of the task (or around it) catches."""

    def __init__(self, element_id: str, code: str):
        super().__init__(f"Geen foutgebeurtenis in het model vangt de fout '{code}' van deze stap op. Meld een "
                         "mislukking (failure) in plaats van een BPMN-fout, of pas het model aan.")
        self.element_id = element_id


def _external_error(live: Live, payload, version, script_engine) -> None:
    """A worker throws a BPMN error on its service task (``engine.external``): an error boundary event whose
    error code matches (or that names no code) catches it and the task is cancelled, as in Camunda 7."""
    from copy import deepcopy

    from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
    from SpiffWorkflow.bpmn.util.event import BpmnEvent

    task = live.workflow.get_task_from_id(uuid.UUID(payload["task_id"]))
    task.data.update(payload.get("data") or {})
    code = payload["code"]
    event = BpmnEvent(ErrorEventDefinition(code, code), payload=deepcopy(task.data), target=task.workflow)
    top = task.workflow.top_workflow
    if not any(t.task_spec.event_definition.catches(t, event) for t in top.event_manager.tasks.values()):
        raise ErrorNotCaught(task.task_spec.bpmn_id, code)
    top.catch(event)


_HANDLERS: dict[str, Callable] = {
    "case_started": _start,
    "task_completed": _complete,
    "timers_due": _timers_due,
    "message_received": _message,
    "signal_received": _signal,
    "data_rectified": _rectify,
    "external_task_error": _external_error,
}


def waiting_for(workflow: BpmnWorkflow, kind: type, name: str) -> list[tuple[str, Any]]:
    """What in the workflow waits for the message or signal ``name`` (``kind``: SpiffWorkflow's event
    definition class), as (element id, event definition): intermediate catch events, receive tasks, boundary
    events and the start events of event subprocesses (``engine.spiff`` has them wait from the start)."""
    found = [(t.task_spec.bpmn_id or t.task_spec.name, t.task_spec.event_definition)
             for t in workflow.event_manager.tasks.values()
             if t.state == TaskState.WAITING and isinstance(t.task_spec.event_definition, kind)
             and getattr(t.task_spec.event_definition, "name", None) == name]
    return found


def deliver(workflow: BpmnWorkflow, kind: type, name: str, variables: dict[str, Any] | None) -> list[str]:
    """Let everything waiting for message/signal ``name`` catch it; returns the element ids that caught it.

    A message's ``variables`` become case data where it is caught (``RegieMessageEventDefinition``).
    The engine checks that the case waits before it records the event, so a replay always finds a catcher.
    """
    waiting = waiting_for(workflow, kind, name)
    if not waiting:
        raise RegieError(f"de zaak wacht niet op '{name}'.")
    definitions: list = []
    for _, definition in waiting:   # SpiffWorkflow matches on the definition's class and name: one per class
        if not any(type(d) is type(definition) for d in definitions):
            definitions.append(definition)
    for definition in definitions:
        payload = {"variables": dict(variables or {})} if variables is not None else None
        workflow.event_manager.catch(BpmnEvent(definition, payload=payload), internal=False)
    return sorted({element for element, _ in waiting})


def find_task(workflow: BpmnWorkflow, task_id: str):
    """The task with this id, or None: a finished task may have been compacted away (or never existed)."""
    return compaction.find_task(workflow, uuid.UUID(task_id))


def all_tasks(workflow: BpmnWorkflow):
    """Every task of the workflow and its subprocesses (without the depth-limited tree iterator)."""
    yield from workflow.tasks.values()
    for sub in workflow.subprocesses.values():
        yield from sub.tasks.values()


def ready_user_tasks(workflow: BpmnWorkflow) -> list:
    return [t for t in all_tasks(workflow) if t.state == TaskState.READY and t.task_spec.manual
            and not getattr(t.task_spec, "external_topic", None)]


def ready_external_tasks(workflow: BpmnWorkflow) -> dict[str, tuple[str, str]]:
    """Ready service tasks that wait for a worker (``engine.external``): task id -> (element id, topic)."""
    return {str(t.id): (t.task_spec.bpmn_id, t.task_spec.external_topic) for t in all_tasks(workflow)
            if t.state == TaskState.READY and getattr(t.task_spec, "external_topic", None)}


def is_timer(task) -> bool:
    event = getattr(task.task_spec, "event_definition", None)
    if isinstance(event, MultipleEventDefinition):
        return any(isinstance(e, TimerEventDefinition) for e in event.event_definitions)
    return isinstance(event, TimerEventDefinition)


def waiting_timers(workflow: BpmnWorkflow) -> dict[str, tuple[str, datetime]]:
    """Waiting timer tasks: task id -> (element id, due time in UTC)."""
    found = {}
    for task in all_tasks(workflow):
        if task.state != TaskState.WAITING or not is_timer(task):
            continue
        value = task.internal_data.get("event_value")
        if isinstance(value, dict):
            if value.get("cycles") == 0:
                continue
            value = value.get("next")
        if not value:
            continue
        try:
            due = TimerEventDefinition.get_datetime(value)
        except (TypeError, ValueError):
            continue
        found[str(task.id)] = (task.task_spec.bpmn_id or task.task_spec.name, due)
    return found


def case_data(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The data a person sees for the case now: merged from the tasks that are under way."""
    if workflow.completed:
        return {k: v for k, v in workflow.data.items() if k != "data_objects"}
    data: dict[str, Any] = {}
    for task in workflow.tasks.values():
        if task.state in (TaskState.READY, TaskState.WAITING, TaskState.STARTED):
            data.update(task.data)
    if not data and workflow.last_task is not None:
        data.update(workflow.last_task.data)
    return data


def active_elements(workflow: BpmnWorkflow) -> list[str]:
    """Element ids where the case stands now (ready or waiting), for the diagram and state()."""
    seen = []
    for task in all_tasks(workflow):
        if task.state in (TaskState.READY, TaskState.WAITING, TaskState.STARTED):
            element = getattr(task.task_spec, "bpmn_id", None)
            if element and element not in seen:
                seen.append(element)
    return seen


def status(workflow: BpmnWorkflow) -> str:
    return "completed" if workflow.completed else "running"


def check_progress(workflow: BpmnWorkflow) -> None:
    """Refuse a state in which the case would silently stop.

    Completed counts only when SpiffWorkflow's ``End`` task ran after an end event, or an end event
    terminated or cancelled the process. A running case needs a task that is ready for a person or
    waiting (for a timer, a message, a join); a ready engine task (script, gateway) left over after
    the engine steps means SpiffWorkflow could not see it, which is how a deep task tree used to end.
    """
    if workflow.completed:
        if not _reached_end(workflow):
            raise CaseStalled(_element(workflow.last_task),
                              "het proces meldt zich klaar, maar heeft geen eindpunt bereikt.")
        return
    waiting = False
    for task in all_tasks(workflow):
        if task.state == TaskState.READY and not task.task_spec.manual and not isinstance(task.task_spec, CatchingEvent):
            raise CaseStalled(_element(task), "de volgende stap wordt niet uitgevoerd; het proces zou stil blijven staan.")
        waiting = waiting or task.state in (TaskState.READY, TaskState.WAITING)
    if not waiting:
        raise CaseStalled(_element(workflow.last_task),
                          "er staat geen taak meer open en er wordt nergens op gewacht, maar het proces is niet klaar.")


def _reached_end(workflow: BpmnWorkflow) -> bool:
    if not workflow.success:   # cancelled (BpmnWorkflow.cancel)
        return True
    for task in workflow.tasks.values():
        if task.state != TaskState.COMPLETED:
            continue
        spec = task.task_spec
        if isinstance(spec, EndEvent) and isinstance(spec.event_definition, (TerminateEventDefinition, CancelEventDefinition)):
            return True
        if spec.name == "End":
            # The last path to finish reached an end event — or was an event subprocess that ran to its own end
            # after the main path had ended (it holds the process open until then).
            parent = task.parent
            while parent is not None and not isinstance(parent.task_spec, (EndEvent, EventSubprocess)):
                parent = parent.parent if not getattr(parent.task_spec, "bpmn_id", None) else None
            if parent is not None and parent.state == TaskState.COMPLETED:
                return True
    return False


def _element(task) -> str:
    return _bpmn_element(task) or "-"


def _end_element(workflow: BpmnWorkflow) -> str | None:
    return _bpmn_element(workflow.last_task)


def _bpmn_element(task) -> str | None:
    """The BPMN element id of ``task``, or of its nearest ancestor that has one."""
    while task is not None and not getattr(task.task_spec, "bpmn_id", None):
        task = task.parent
    return task.task_spec.bpmn_id if task is not None else None


def normalise(data: dict[str, Any] | None) -> dict[str, Any]:
    """The data exactly as a replay will read it back from the event log (JSON types only).

    Data from outside is checked first (``engine.limits``: depth and size), so a value that a later step
    or a replay could not read back never reaches the event log.
    """
    try:
        return json.loads(canonical_json(data or {}))
    except RecursionError as err:
        from .limits import MAX_DEPTH

        raise InvalidData([FieldProblem("-", f"De gegevens zijn te diep genest (meer dan {MAX_DEPTH} lagen). "
                                             "Geef platte velden met waarden.")]) from err
