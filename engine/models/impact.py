"""Replay a case's recorded inputs against another version; the impact of moving cases; migration.

``replay_against`` is the one engine function behind three things: the impact check before a deploy
("N cases can move to the new version, M cannot, because …"), the migration of running cases, and
the auditor's ``regie replay --model``. It takes what the case's history recorded from people and
the clock — the start data, every completed task with its form data, every moment timers were due —
and applies it, in order and at the recorded times, to the other version. The first input that does
not fit is the *divergence*: a task that no longer exists, a task that is not open at that point, a
form that now asks for something that was never filled in, a step that fails.

A *mapping* ``{old element id: new element id}`` says where renamed or replaced tasks went.

Migration moves a case by exactly this replay: the case's workflow becomes the replay's result and a
``case_migrated`` event (from, to, mapping, task counter) joins its hash chain. ``rebuild`` repeats
that replay from the event, which is how ``verify`` checks a migrated case.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from ..audit import Event
from ..cases import COMMANDS, Live, active_elements, all_tasks, apply_event
from ..errors import InvalidData, RegieError
from ..spiff import TaskIdSequence

MIGRATED = "case_migrated"


@dataclass(frozen=True)
class Divergence:
    """The first recorded input that does not fit the other version."""

    seq: int          # the event in the case's history
    event: str        # its type: case_started, task_completed, timers_due
    element: str      # the element it names ('' for timers)
    reason: str       # Dutch, for the policy officer or auditor
    kind: str         # missing_element, not_ready, form, failed

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "event": self.event, "element": self.element, "reason": self.reason,
                "kind": self.kind}


@dataclass
class ReplayOutcome:
    """What replaying a case's inputs on ``version_id`` gave: a workflow, or the first divergence."""

    case_id: str
    version_id: str
    divergence: Divergence | None = None
    live: Live | None = field(default=None, repr=False)
    active: list[str] = field(default_factory=list)      # where the case would stand
    steps: int = 0                                      # inputs replayed
    number: str = ""                                    # the case's human number (HO-2026-000123)
    before: list[str] = field(default_factory=list)     # where the case stands now, on its own version

    @property
    def ok(self) -> bool:
        return self.divergence is None

    def to_dict(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "number": self.number, "version_id": self.version_id, "ok": self.ok, "steps": self.steps,
                "active": self.active, "divergence": self.divergence.to_dict() if self.divergence else None}


def replay_against(engine, case_id: str, version_id: str, mapping: dict[str, str] | None = None,
                   up_to: int | None = None) -> ReplayOutcome:
    """Replay the recorded inputs of case ``case_id`` (up to event ``up_to``) on version ``version_id``.

    Touches nothing stored. The outcome names the first divergence, or holds the rebuilt workflow.
    """
    with engine.store.read() as tx:
        case = tx.case(engine.resolve_case(case_id))
        events = tx.events(case.id, up_to)
    return replay_events(engine, case.id, events, engine.version(version_id), mapping, case.task_counter)


def replay_events(engine, case_id: str, events, target, mapping: dict[str, str] | None = None,
                  counter: int = 0) -> ReplayOutcome:
    """``replay_against`` on event rows already read; new task ids continue after ``counter``."""
    outcome = ReplayOutcome(case_id, target.id)
    commands = _commands_with_mappings(events, mapping or {})
    elements = _elements(target)
    live = Live(None, TaskIdSequence(case_id, counter))
    task_map: dict[str, str] = {}
    for row, payload, rename in commands:
        try:
            divergence = _step(live, case_id, row, payload, rename, target, elements, task_map, engine)
        except (RegieError, SpiffWorkflowException, KeyError, ValueError) as err:
            divergence = Divergence(row.seq, row.type, getattr(err, "element_id", "") or "", _failed(err), "failed")
        if divergence is not None:
            outcome.divergence = divergence
            outcome.active = active_elements(live.workflow) if live.workflow is not None else []
            return outcome
        outcome.steps += 1
    outcome.live = live if live.workflow is not None else None
    outcome.active = active_elements(live.workflow) if live.workflow is not None else []
    return outcome


def rebuild(engine, case_id: str, events, migration: dict[str, Any]) -> Live:
    """The workflow a ``case_migrated`` event made: the replay of ``events`` (all before it) on its target."""
    outcome = replay_events(engine, case_id, events, engine.version(migration["to_version"]),
                            migration.get("mapping") or {}, migration.get("counter", 0))
    if outcome.divergence is not None or outcome.live is None:
        reason = outcome.divergence.reason if outcome.divergence else "geen stand"
        raise RegieError(f"de migratie naar versie {migration['to_version'][:12]} is niet opnieuw af te spelen: "
                         f"{reason}")
    return outcome.live


def _step(live, case_id, row, payload, rename, target, elements, task_map, engine) -> Divergence | None:
    if row.type == "case_started":
        payload = {**payload, "version_id": target.id}
        form = target.start_form()
        if form is not None:
            try:
                form.validate(payload.get("data") or {})
            except InvalidData as err:
                return Divergence(row.seq, row.type, "", _form_reason("het startformulier", err), "form")
    elif row.type == "task_completed":
        element = rename(payload.get("element", ""))
        if element not in elements:
            return Divergence(row.seq, row.type, payload.get("element", ""), (
                f"De taak '{payload.get('title') or element}' ({element}) bestaat niet in deze versie. Geef aan "
                "naar welke taak zij gaat (koppeling), of laat de zaak op haar versie."), "missing_element")
        task = _ready_task(live.workflow, element, payload.get("task_id", ""), task_map)
        if task is None:
            where = ", ".join(active_elements(live.workflow)) or "nergens"
            return Divergence(row.seq, row.type, element, (
                f"De taak '{payload.get('title') or element}' staat in deze versie op dat moment niet open "
                f"(de zaak staat dan bij: {where})."), "not_ready")
        info = target.user_tasks.get(element)
        form = target.forms.get(info.form) if info and info.form else None
        if form is not None:
            try:
                form.validate(payload.get("data") or {})
            except InvalidData as err:
                return Divergence(row.seq, row.type, element,
                                  _form_reason(f"het formulier van '{info.title}'", err), "form")
        payload = {**payload, "task_id": str(task.id), "element": element}
    apply_event(live, Event(row.type, payload), row.at, case_id, target, engine.script_engine)   # changes ``live``
    return None


def _ready_task(workflow, element: str, recorded_id: str, task_map: dict[str, str]):
    """The ready user task for ``element``: the one this recorded task was matched to before, else the
    first ready one not matched yet (parallel instances keep their order)."""
    ready = [t for t in all_tasks(workflow) if t.state == TaskState.READY and t.task_spec.manual
             and t.task_spec.bpmn_id == element]
    if recorded_id in task_map:
        found = next((t for t in ready if str(t.id) == task_map[recorded_id]), None)
        if found is not None:
            return found
    taken = set(task_map.values())
    found = next((t for t in ready if str(t.id) not in taken), None)
    if found is not None and recorded_id:
        task_map[recorded_id] = str(found.id)
    return found


def _commands_with_mappings(events, mapping: dict[str, str]):
    """Each command event with its payload and the renaming of elements that applies to it: the mappings
    of every migration recorded after it, then ``mapping``."""
    rows = [(r, json.loads(r.payload)) for r in events if r.type in COMMANDS or r.type == MIGRATED]
    later: list[dict[str, str]] = [mapping]
    result = []
    for row, payload in reversed(rows):
        if row.type == MIGRATED:
            later = [payload.get("mapping") or {}, *later]
            continue
        result.append((row, payload, _renamer(list(later))))
    return list(reversed(result))


def _renamer(mappings: list[dict[str, str]]):
    def rename(element: str) -> str:
        for m in mappings:
            element = m.get(element, element)
        return element

    return rename


def _elements(version) -> set[str]:
    return {ts.bpmn_id for spec in (version.spec, *version.subprocess_specs.values())
            for ts in spec.task_specs.values() if getattr(ts, "bpmn_id", None)}


def _form_reason(what: str, err: InvalidData) -> str:
    fields = ", ".join(f"'{p.field}'" for p in err.problems[:3])
    return (f"De gegevens van toen passen niet in {what} van deze versie ({fields}: "
            f"{err.problems[0].message if err.problems else ''}).")


def _failed(err: Exception) -> str:
    text = str(err).strip()
    return f"Deze stap lukt niet in deze versie: {text[:300]}"


def summarise(outcomes: list[ReplayOutcome]) -> tuple[int, int, list[tuple[str, int]]]:
    """(cases that can move, cases that cannot, [(reason kind in Dutch, how many)]), most common first."""
    blocked = [o.divergence for o in outcomes if o.divergence is not None]
    reasons = Counter(_KIND_WORDS.get(d.kind, d.kind) + _where(d) for d in blocked)
    return len(outcomes) - len(blocked), len(blocked), reasons.most_common()


def _where(d: Divergence) -> str:
    return f" ({d.element})" if d.element else ""


_KIND_WORDS = {
    "missing_element": "een taak bestaat niet meer",
    "not_ready": "een taak staat op dat moment niet open",
    "form": "een formulier vraagt iets dat toen niet is ingevuld",
    "failed": "een stap lukt niet",
}
