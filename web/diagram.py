"""What the case page's diagram and "Waar staat de zaak?" show: the steps a person works on now (not
a boundary timer waiting on a step), when such a timer is due, and lanes named after Dutch teams."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from engine.accounts import ROLES
from engine.definitions import ProcessVersion

_LANE = re.compile(r'(<(?:[A-Za-z0-9_]+:)?lane\b[^>]*?\bname=")([^"]*)(")')


@dataclass(frozen=True)
class Step:
    element: str
    title: str
    due: datetime | None = None       # the earliest boundary timer waiting on this step
    phase: str = ""                   # the subprocess this step runs in, when that is active too
    phase_due: datetime | None = None


def _spec(version: ProcessVersion, element_id: str):
    for spec in (version.spec, *version.subprocess_specs.values()):
        found = spec.task_specs.get(element_id)
        if found is not None:
            return found
    return None


def boundary_host(version: ProcessVersion, element_id: str) -> str | None:
    """The step a boundary event is attached to, or None when ``element_id`` is not a boundary event."""
    spec = _spec(version, element_id)
    if spec is None or "BoundaryEvent" not in type(spec).__name__ or type(spec).__name__.endswith("Split"):
        return None
    for parent in getattr(spec, "inputs", ()):
        if parent.name.endswith(".BoundaryEventSplit"):
            return parent.name.rsplit(".", 1)[0]
    return ""


def current_steps(version: ProcessVersion, active: list[str], timers: list) -> list[Step]:
    """The active elements a person reads as 'now at', each with the due time of a timer on it.

    A boundary timer is not a step: it waits on one ("Ouder terugbellen, 24 uur voorbij" read as if
    the deadline had passed). Its due time is shown with the step it is attached to."""
    due: dict[str, datetime] = {}
    for timer in timers:
        host = boundary_host(version, timer.element)
        if host and (host not in due or timer.due < due[host]):
            due[host] = timer.due
    shown = [e for e in active if boundary_host(version, e) is None]
    # A subprocess with a step of its own active is a phase, not a step: it is said with that step.
    phase_of = {inner: outer for outer in shown if outer in version.subprocess_specs
                for inner in shown if inner != outer and inner in version.subprocess_specs[outer].task_specs}
    steps = []
    for element in shown:
        if element in phase_of.values():
            continue
        outer = phase_of.get(element)
        steps.append(Step(element, _name(version, element), due.get(element),
                          _name(version, outer) if outer else "", due.get(outer) if outer else None))
    return steps


def _name(version: ProcessVersion, element: str) -> str:
    spec = _spec(version, element)
    return (getattr(spec, "bpmn_name", None) or element) if spec is not None else element


def dutch_lanes(xml: str) -> str:
    """Lane names are role ids (``casemanager``); people read team names (``Casemanager``, ``Coördinator``)."""
    return _LANE.sub(lambda m: m.group(1) + ROLES.get(m.group(2).strip(), m.group(2)) + m.group(3), xml)
