"""A case's event log as people read it: who did what, when (lookup table: event type -> sentence)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from engine import HistoryEntry
from engine.definitions import ProcessVersion

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


def timeline(history: list[HistoryEntry], version: ProcessVersion, people: dict[str, str]) -> list[Moment]:
    """The case's moments, newest first, each with who, when, what and the details that matter."""
    names = _Names(version, people)
    moments = []
    for entry in history:
        if entry.type in HIDDEN:
            continue
        describe = DESCRIBE.get(entry.type)
        what, details = describe(entry.payload, names) if describe else (entry.type, [])
        moments.append(Moment(entry.at, names.person(entry.actor), what, entry.type, details))
    return moments[::-1]


def data_by_domain(data: dict[str, Any], version: ProcessVersion) -> list[tuple[str, list[tuple[str, str]]]]:
    """The case data grouped per leefgebied (the ``section`` of the form field that asked for it)."""
    fields = {f.name: f for form in version.forms.values() for f in form.fields}
    groups: dict[str, list[tuple[str, str]]] = {}
    for name, value in data.items():
        spec = fields.get(name)
        group = (spec.section or "Algemeen") if spec else "Overige gegevens"
        groups.setdefault(group, []).extend(_Names(version, {}).data({name: value}))
    order = sorted(groups, key=lambda g: (g == "Overige gegevens", g != "Algemeen"))
    return [(g, groups[g]) for g in order]
