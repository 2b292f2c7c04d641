"""Replay a case's events and rebuild every fact the store keeps about it, event by event.

The engine's own replay rebuilds the workflow. An audit needs more: the rows the commands wrote next
to it (the case row's status, data, active elements and subject; one task row per user task; the
waiting timers) and, for time travel, which elements finished and which sequence flows were taken
up to any event. ``replay`` runs the recorded commands through ``engine.cases.apply_event`` — the
same code the live commands use — and keeps those projections as it goes, noting for each column
the event that last set it, so a difference can be named by case, table, column and event.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from SpiffWorkflow.util.task import TaskState

from ..cases import (
    COMMANDS,
    Live,
    active_elements,
    all_tasks,
    apply_event,
    case_data,
    ready_user_tasks,
    status,
    waiting_timers,
)
from ..deadlines import resolve_date
from .chain import Event

TASK_COLUMNS = ("case_id", "process_id", "name", "title", "role", "candidate_users", "assignee", "form", "state",
                "due_at", "follow_up_at", "created_at", "completed_at", "completed_by")
ASSIGNING = ("task_claimed", "task_assigned", "task_unclaimed")
MIGRATED = "case_migrated"
HANDED_OVER = "case_handed_over"


@dataclass
class Recorded:
    """One stored event, decoded once (``payload`` as a dict)."""

    seq: int
    type: str
    at: datetime
    actor: str
    payload: dict[str, Any]
    hash: str = ""
    text: str = ""            # the payload exactly as stored

    @classmethod
    def of(cls, row) -> Recorded:
        return cls(row.seq, row.type, row.at, row.actor, json.loads(row.payload), row.hash, row.payload)


@dataclass
class Replayed:
    """What the events say about a case after the last replayed event."""

    case_id: str
    process_id: str = ""
    version_id: str = ""
    live: Live | None = None
    facts: list[tuple[int, Event]] = field(default_factory=list)      # (seq of the command, fact)
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)    # task id -> column -> value
    open: set[str] = field(default_factory=set)                       # ids of the tasks still open
    task_set_by: dict[str, dict[str, int]] = field(default_factory=dict)   # task id -> column -> seq
    subject: str = ""
    subject_seq: int = 0
    casemanager: str | None = None                                    # who holds the case (engine.casemanagers)
    casemanager_seq: int = 0
    last_command: int = 0
    last_seq: int = 0
    created: tuple[datetime, str] | None = None
    updated_at: datetime | None = None
    versions: set[str] = field(default_factory=set)
    finished: list[str] = field(default_factory=list)                 # element ids, in the order they finished
    taken: list[tuple[str, str]] = field(default_factory=list)        # (from element, to element)
    _seen: set = field(default_factory=set)
    _arrived: set = field(default_factory=set)

    # --- the case row as the events say it should be ---------------------------------------------

    def case_columns(self) -> dict[str, tuple[Any, int]]:
        """Column -> (value, seq of the event that set it) for the case row."""
        live = self.live
        last = self.last_command
        columns: dict[str, tuple[Any, int]] = {
            "process_id": (self.process_id, 1),
            "version_id": (self.version_id, last),
            "subject": (self.subject, self.subject_seq or 1),
            "last_seq": (self.last_seq, self.last_seq),
            "casemanager": (self.casemanager, self.casemanager_seq or 1),
        }
        if self.created:
            columns["created_at"] = (self.created[0], 1)
            columns["created_by"] = (self.created[1], 1)
        if self.updated_at:
            columns["updated_at"] = (self.updated_at, self.last_seq)
        if live is not None:
            columns.update({
                "status": (status(live.workflow), last),
                "data": (case_data(live.workflow), last),
                "active": (active_elements(live.workflow), last),
                "task_counter": (live.ids.counter, last),
            })
        return columns

    def timers(self) -> dict[str, tuple[str, datetime]]:
        return waiting_timers(self.live.workflow) if self.live else {}


def replay(engine, case_id: str, default_version: str, events: Iterable[Recorded], track_flows: bool = False,
           start: Replayed | None = None, after_event: Callable[[Replayed, Recorded], None] | None = None) -> Replayed:
    """Replay ``events`` (in order) for ``case_id``; ``track_flows`` also records finished elements and
    taken sequence flows (time travel). ``start``: continue from a restored point instead of the
    beginning; ``after_event`` is called after each event (to keep checkpoints). Raises what
    ``apply_event`` raises when a step fails."""
    out = start or Replayed(case_id, version_id=default_version)
    observe = _observer(out) if track_flows else None
    before: list[Recorded] = []
    for ev in events:
        out.last_seq = ev.seq
        out.updated_at = ev.at
        if out.created is None:
            out.created = (ev.at, ev.actor)
        if ev.type in COMMANDS:
            _command(engine, out, ev, observe)
        elif ev.type == MIGRATED:
            _migrated(engine, out, ev, before)
        elif ev.type == HANDED_OVER:
            out.casemanager, out.casemanager_seq = ev.payload.get("to"), ev.seq
            for task_id in ev.payload.get("tasks") or []:
                if task_id in out.tasks:
                    out.tasks[task_id]["assignee"] = ev.payload.get("to")
                    out.task_set_by[task_id]["assignee"] = ev.seq
        elif ev.type in ASSIGNING:
            task = out.tasks.get(ev.payload.get("task_id", ""))
            if task is not None:
                task["assignee"] = ev.payload.get("assignee")
                out.task_set_by[task["id"]]["assignee"] = ev.seq
        if after_event is not None:
            after_event(out, ev)
        before.append(ev)
    return out


def _migrated(engine, out: Replayed, ev: Recorded, before: list[Recorded]) -> None:
    """A ``case_migrated`` event: the workflow becomes the replay of everything before it on the target
    version (``engine.models.impact.rebuild``, as the engine's own replay does); tasks follow."""
    from types import SimpleNamespace

    from ..models.impact import rebuild

    if before and before[0].seq != 1:
        raise ValueError("a migration needs the whole history before it")
    rows = [SimpleNamespace(seq=e.seq, type=e.type, at=e.at, actor=e.actor, payload=e.text, hash=e.hash)
            for e in before]
    out.live = rebuild(engine, out.case_id, rows, ev.payload)
    out.version_id = ev.payload["to_version"]
    out.versions.add(out.version_id)
    out.last_command = ev.seq
    _tasks(engine, out, ev, engine.version(out.version_id))


def _command(engine, out: Replayed, ev: Recorded, observe) -> None:
    payload = ev.payload
    if ev.type == "case_started":
        out.process_id = payload.get("process_id", out.process_id)
    out.version_id = payload.get("version_id", out.version_id)
    out.versions.add(out.version_id)
    version = engine.version(out.version_id)
    if ev.type == "task_completed" and ev.payload.get("casemanager"):    # the first contact takes the case
        out.casemanager, out.casemanager_seq = ev.payload["casemanager"], ev.seq
    out.live, facts = apply_event(out.live, Event(ev.type, payload), ev.at, out.case_id, version,
                                  engine.script_engine, observe)
    out.facts.extend((ev.seq, f) for f in facts)
    out.last_command = ev.seq
    _subject(out, ev, version)
    _tasks(engine, out, ev, version)


def _subject(out: Replayed, ev: Recorded, version) -> None:
    """The resident's display name: the value of the form field marked ``subject: true``."""
    if ev.type == "data_rectified":           # a corrected name is the case's name from then on
        correction = ev.payload.get("correction") or {}
        for form in version.forms.values():
            for f in form.fields:
                if f.subject and correction.get(f.name):
                    out.subject, out.subject_seq = str(correction[f.name])[:300], ev.seq
                    return
        return
    if ev.type == "case_started":
        form = version.start_form()
    elif ev.type == "task_completed":
        info = version.user_tasks.get(ev.payload.get("element", ""))
        form = version.forms.get(info.form) if info and info.form else None
    else:
        return
    data = ev.payload.get("data") or {}
    for f in (form.fields if form else ()):
        if f.subject and data.get(f.name):
            out.subject, out.subject_seq = str(data[f.name])[:300], ev.seq
            return


def _tasks(engine, out: Replayed, ev: Recorded, version) -> None:
    """The task projection after a command: new ready user tasks get a row, gone ones are closed."""
    if out.live is None:   # called after a command event, which always has a workflow
        return
    ready = {str(t.id): t for t in ready_user_tasks(out.live.workflow)}
    for task_id in [t for t in out.open if t not in ready]:     # only the open ones: a long case has many
        row = out.tasks[task_id]
        done = ev.type == "task_completed" and ev.payload.get("task_id") == task_id
        row.update(state="completed" if done else "cancelled", completed_at=ev.at,
                   completed_by=ev.actor if done else None)
        out.task_set_by[task_id].update(state=ev.seq, completed_at=ev.seq, completed_by=ev.seq)
        out.open.discard(task_id)
    for task_id, task in ready.items():
        if task_id in out.tasks:
            continue
        out.tasks[task_id] = _new_task(engine, out, task, version, ev.at)
        out.task_set_by[task_id] = dict.fromkeys(TASK_COLUMNS, ev.seq)
        out.open.add(task_id)


def _new_task(engine, out: Replayed, task, version, at: datetime) -> dict[str, Any]:
    """The row ``Engine._sync_tasks`` writes for a user task that became ready at ``at``."""
    spec = task.task_spec
    info = version.user_tasks.get(spec.bpmn_id)
    names = {**task.data}
    return {
        "id": str(task.id), "case_id": out.case_id, "process_id": out.process_id, "name": spec.bpmn_id,
        "title": info.title if info else (spec.bpmn_name or spec.bpmn_id),
        "role": info.role if info else spec.lane,
        "candidate_users": ",".join(info.candidate_users) if info else "",
        "assignee": _holder(out, info.role if info else spec.lane, _assignee(engine, info, names)),
        "form": info.form if info else None, "state": "open",
        "due_at": resolve_date(info.due if info else None, at, names, engine.evaluator),
        "follow_up_at": resolve_date(info.follow_up if info else None, at, names, engine.evaluator),
        "created_at": at, "completed_at": None, "completed_by": None,
    }


ARRIVED = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.COMPLETED


def _holder(out: Replayed, role: str | None, default: str | None) -> str | None:
    """``engine.casemanagers.assignee_for``: the case's casemanager gets its casemanager tasks."""
    from ..casemanagers import ROLE

    return out.casemanager if role == ROLE and out.casemanager else default


def _assignee(engine, info, names) -> str | None:
    """The assignee the command runner gives a new task (``engine.commands``): the evaluated
    ``camunda:assignee``, else the only candidate user."""
    if info is None or not info.assignee:
        return info.candidate_users[0] if info and len(info.candidate_users) == 1 else None
    text = info.assignee
    if "${" in text or "#{" in text:
        from ..expressions import juel_to_expression

        text = juel_to_expression(text)
    value = engine.evaluator.evaluate(text, names)
    return str(value) if value else None


def _observer(out: Replayed):
    """Before compaction drops them: note every task that finished in the step, and every flow a token
    took (to a task that is now ready, waiting or finished, from the finished element before it)."""

    def observe(workflow) -> None:
        for task in all_tasks(workflow):
            element = getattr(task.task_spec, "bpmn_id", None)
            if not element or not task.has_state(ARRIVED):
                continue
            if task.id not in out._arrived:
                out._arrived.add(task.id)
                source = task.parent
                while source is not None and not getattr(source.task_spec, "bpmn_id", None):
                    source = source.parent
                if source is not None:
                    out.taken.append((source.task_spec.bpmn_id, element))
            if task.state == TaskState.COMPLETED and task.id not in out._seen:
                out._seen.add(task.id)
                out.finished.append(element)

    return observe
