"""What happens to a workflow when an event is applied — the same code for live commands and replays.

A case's workflow only ever changes through ``apply_event``. The engine calls it to carry out a
command; ``replay`` calls it again, event by event, with the recorded time and the same task-id
sequence, and so rebuilds the stored state exactly. Nothing here touches the database.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from .audit import Event, canonical_json
from .definitions import ProcessVersion
from .spiff import RegieScriptEngine, TaskIdSequence, step_context

# Events that change the workflow; every other event type records a fact (decision, claim, …).
COMMANDS = ("case_started", "task_completed", "timers_due")


@dataclass
class Live:
    """A case's workflow in memory, with the id sequence that continues it."""

    workflow: BpmnWorkflow
    ids: TaskIdSequence


def new_workflow(version: ProcessVersion, script_engine: RegieScriptEngine) -> BpmnWorkflow:
    return BpmnWorkflow(version.spec, version.subprocess_specs, script_engine=script_engine)


def apply_event(live: Live | None, event: Event, at: datetime, case_id: str,
                version: ProcessVersion, script_engine: RegieScriptEngine) -> tuple[Live, list[Event]]:
    """Apply one command event; returns the live workflow and the facts it produced."""
    decisions: list[dict[str, Any]] = []
    if live is None:
        live = Live(None, TaskIdSequence(case_id))  # type: ignore[arg-type]
    before = waiting_timers(live.workflow) if live.workflow is not None else {}
    with step_context(at, live.ids, decisions):
        _HANDLERS[event.type](live, event.payload, version, script_engine)
        live.workflow.do_engine_steps()
    facts = [Event("gateway_decision", d) for d in decisions]
    after = waiting_timers(live.workflow)
    for task_id, (element, due) in before.items():
        if task_id not in after or after[task_id][1] != due:
            facts.append(Event("timer_fired", {"task_id": task_id, "element": element, "due": due.isoformat()}))
    if live.workflow.completed:
        facts.append(Event("case_completed", {"end": _end_element(live.workflow)}))
    return live, facts


def _start(live: Live, payload, version, script_engine) -> None:
    live.workflow = new_workflow(version, script_engine)
    live.workflow.task_tree.data.update(payload.get("data") or {})
    start = next(t for t in live.workflow.tasks.values() if t.task_spec.name == "Start")
    start.data.update(payload.get("data") or {})


def _complete(live: Live, payload, version, script_engine) -> None:
    task = live.workflow.get_task_from_id(uuid.UUID(payload["task_id"]))
    task.data.update(payload.get("data") or {})
    task.run()


def _timers_due(live: Live, payload, version, script_engine) -> None:
    live.workflow.refresh_timers()


_HANDLERS: dict[str, Callable] = {
    "case_started": _start,
    "task_completed": _complete,
    "timers_due": _timers_due,
}


def all_tasks(workflow: BpmnWorkflow):
    """Every task of the workflow and its subprocesses (without the depth-limited tree iterator)."""
    yield from workflow.tasks.values()
    for sub in workflow.subprocesses.values():
        yield from sub.tasks.values()


def ready_user_tasks(workflow: BpmnWorkflow) -> list:
    return [t for t in all_tasks(workflow) if t.state == TaskState.READY and t.task_spec.manual]


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


def _end_element(workflow: BpmnWorkflow) -> str | None:
    task = workflow.last_task
    while task is not None and not getattr(task.task_spec, "bpmn_id", None):
        task = task.parent
    return task.task_spec.bpmn_id if task is not None else None


def normalise(data: dict[str, Any] | None) -> dict[str, Any]:
    """The data exactly as a replay will read it back from the event log (JSON types only)."""
    return json.loads(canonical_json(data or {}))
