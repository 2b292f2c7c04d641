"""A case's event log as people read it: who did what, when (lookup table: event type -> sentence)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine import HistoryEntry
from engine.definitions import ProcessVersion
from engine.forms import FormField

from .filters import waarde


@dataclass(frozen=True)
class Moment:
    at: datetime
    who: str
    what: str
    kind: str
    details: list[tuple[str, str]] = field(default_factory=list)


class _Names:
    """Titles of elements and labels of fields of the case's version, with names of people."""

    def __init__(self, version: ProcessVersion, people: dict[str, str]):
        self.version, self.people = version, people

    def task(self, payload: dict[str, Any]) -> str:
        info = self.version.user_tasks.get(payload.get("element", ""))
        return payload.get("title") or (info.title if info else payload.get("element", "?"))

    def element(self, element_id: str | None) -> str:
        if not element_id:
            return "?"
        for spec in (self.version.spec, *self.version.subprocess_specs.values()):
            task_spec = spec.task_specs.get(element_id)
            if task_spec is not None:
                return getattr(task_spec, "bpmn_name", None) or element_id
        return element_id

    def person(self, username: str | None) -> str:
        return self.people.get(username or "", username or "niemand")

    def data(self, values: dict[str, Any]) -> list[tuple[str, str]]:
        labels = {f.name: f for form in self.version.forms.values() for f in form.fields}
        rows = []
        for name, value in values.items():
            spec = labels.get(name)
            label = spec.label if spec else name
            shown = spec.choice_label(value) if spec and spec.choices and isinstance(value, str) else waarde(value)
            if spec and spec.choices and isinstance(value, list):
                shown = ", ".join(spec.choice_label(v) for v in value)
            rows.append((label, shown))
        return rows


def _started(p, n):
    return "Zaak gestart", n.data(p.get("data") or {})


def _completed(p, n):
    return f"Taak '{n.task(p)}' afgerond", n.data(p.get("data") or {})


def _decision(p, n):
    values = ", ".join(f"{k} = {waarde(v)}" for k, v in (p.get("values") or {}).items())
    return f"Keuze bij '{n.element(p.get('element'))}'", [("Op basis van", values or "–"),
                                                        ("Uitkomst", waarde(p.get("result")))]


def _timer(p, n):
    return f"Termijn verstreken bij '{n.element(p.get('element'))}'", []


def _claimed(p, n):
    return f"Taak '{n.task(p)}' opgepakt door {n.person(p.get('assignee'))}", []


def _assigned(p, n):
    return (f"Taak '{n.task(p)}' gegeven aan {n.person(p.get('assignee'))}",
            [("Reden", p["reason"])] if p.get("reason") else [])


def _unclaimed(p, n):
    return f"Taak '{n.task(p)}' teruggegeven aan het team", []


def _case_completed(p, n):
    return f"Zaak afgesloten ({n.element(p.get('end'))})", []


def _incident(p, n):
    return f"Probleem bij '{n.element(p.get('element'))}'", [("Melding", p.get("reason", ""))]


DESCRIBE: dict[str, Callable[[dict, _Names], tuple[str, list[tuple[str, str]]]]] = {
    "case_started": _started,
    "task_completed": _completed,
    "gateway_decision": _decision,
    "timer_fired": _timer,
    "task_claimed": _claimed,
    "task_assigned": _assigned,
    "task_unclaimed": _unclaimed,
    "case_completed": _case_completed,
    "incident": _incident,
}
HIDDEN = {"timers_due"}      # the command behind 'timer_fired': the fact says it better


SYSTEM = {"timer": "Regie (automatisch)", "system": "Regie (automatisch)"}
FOLDED = {"gateway_decision"}   # what the engine decided as a result of a step: shown with that step


def timeline(history: list[HistoryEntry], version: ProcessVersion, people: dict[str, str]) -> list[Moment]:
    """The case's moments, newest first, each with who, when, what and the details that matter.

    The engine's decisions right after a step (which way a gateway went) are folded into that step's
    details, so the timeline reads as what people did and what followed from it.
    """
    names = _Names(version, {**SYSTEM, **people})
    moments: list[Moment] = []
    for entry in history:
        if entry.type in HIDDEN or _cancelled_timer(entry):
            continue
        describe = DESCRIBE.get(entry.type)
        what, details = describe(entry.payload, names) if describe else (entry.type, [])
        previous = moments[-1] if moments else None
        if entry.type in FOLDED and previous is not None and previous.at == entry.at:
            rule = entry.payload.get("expression", "")
            previous.details.append((what, f"{rule} → {waarde(entry.payload.get('result'))}"))
            continue
        moments.append(Moment(entry.at, names.person(entry.actor), what, entry.type, list(details)))
    return moments[::-1]


def _cancelled_timer(entry: HistoryEntry) -> bool:
    """A timer that went away before it was due (its task was done in time): nothing happened."""
    due = entry.payload.get("due") if entry.type == "timer_fired" else None
    try:
        return bool(due) and datetime.fromisoformat(due) > entry.at
    except (TypeError, ValueError):
        return False


def data_by_domain(data: dict[str, Any], version: ProcessVersion) -> list[tuple[str, list[tuple[str, str]]]]:
    """The case data grouped per leefgebied (the ``section`` of the field that asked for it) first,
    then per form that asked for it, then what the process itself worked out."""
    fields: dict[str, tuple[FormField, str]] = {}
    for form in version.forms.values():
        for f in form.fields:
            fields.setdefault(f.name, (f, f.section or form.title))
    sections = {f.section for f, _ in fields.values() if f.section}
    names = _Names(version, {})
    groups: dict[str, list[tuple[str, str]]] = {}
    for name, value in data.items():
        found = fields.get(name)
        group = found[1] if found else OTHER
        groups.setdefault(group, []).extend(names.data({name: value}) if found else [(_humane(name), waarde(value))])
    order = sorted(groups, key=lambda g: (g == OTHER, g not in sections))
    return [(g, groups[g]) for g in order]


OTHER = "Vastgesteld door het proces"


def _humane(name: str) -> str:
    """'crisis_acties' -> 'Crisis acties' for data that no form asked for."""
    return name.replace("_", " ").strip().capitalize()
