"""The auditor's timeline: every event with who and when, field-by-field changes with form labels,
gateway decisions in words with the deciding values and the raw condition, timers, assignments with
their reasons, incidents and migrations. Personal values are masked unless shown with a reason."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.audit.masking import is_personal, masked
from engine.audit.model_index import ModelIndex
from engine.labels import Labels, readable

SYSTEM = {"timer": "Regie (automatisch)", "system": "Regie (automatisch)"}


@dataclass
class Change:
    label: str
    name: str
    before: str | None          # None: the field had no value before
    after: str
    changed: bool


@dataclass
class Entry:
    seq: int
    at: datetime
    actor: str
    who: str
    kind: str
    what: str
    changes: list[Change] = field(default_factory=list)
    details: list[tuple[str, str]] = field(default_factory=list)
    condition: str | None = None       # the raw condition as the model has it
    outcome: bool | None = None
    hash: str = ""


class Reader:
    """Labels, names and masking for one case's version."""

    def __init__(self, version, model: ModelIndex, people: dict[str, str], show_personal: bool):
        self.version, self.model, self.show = version, model, show_personal
        self.labels = Labels.of(version.forms.values())
        self.people = {**SYSTEM, **people}

    def person(self, username: str | None) -> str:
        name = self.people.get(username or "", "")
        return f"{name} ({username})" if name and username not in SYSTEM else (name or username or "niemand")

    def value(self, name: str, value: Any) -> str:
        if not self.show and is_personal(name, self.labels.fields.get(name)):
            return masked(value)
        return self.labels.value(name, value)

    def task(self, payload: dict[str, Any]) -> str:
        info = self.version.user_tasks.get(payload.get("element", ""))
        return payload.get("title") or (info.title if info else self.model.name(payload.get("element")))


def entries(events, reader: Reader, before: dict[str, Any]) -> list[Entry]:
    """Entries for ``events`` (oldest first); ``before`` holds the values entered before the first one
    and is updated as the entries are made."""
    out = []
    for ev in events:
        describe = DESCRIBE.get(ev.type, _other)
        entry = Entry(ev.seq, ev.at, ev.actor, reader.person(ev.actor), ev.type, "", hash=ev.hash)
        describe(entry, ev.payload, reader, before)
        out.append(entry)
    return out


def entered_before(payload_texts: list[str]) -> dict[str, Any]:
    """The values entered on the start form and task forms, folded in order."""
    values: dict[str, Any] = {}
    for text in payload_texts:
        values.update(json.loads(text).get("data") or {})
    return values


def _changes(data: dict[str, Any], reader: Reader, before: dict[str, Any]) -> list[Change]:
    rows = []
    for name, value in data.items():
        had = name in before
        rows.append(Change(reader.labels.label(name), name, reader.value(name, before[name]) if had else None,
                           reader.value(name, value), not had or before[name] != value))
        before[name] = value
    return rows


def _started(e: Entry, p, r: Reader, before) -> None:
    e.what = "Zaak gestart" + _trigger(p.get("trigger") or {})
    e.changes = _changes(p.get("data") or {}, r, before)


def _trigger(trigger: dict) -> str:
    if trigger.get("message"):
        return f" door bericht '{trigger['message']}' (id {trigger.get('message_id')})"
    if trigger.get("signal"):
        return f" door signaal '{trigger['signal']}'"
    return ""


def _message(e: Entry, p, r: Reader, before) -> None:
    e.what = f"Bericht '{p.get('name', '')}' ontvangen bij {', '.join(r.model.name(x) for x in p.get('elements') or [])}"
    e.details = [("Bericht-id", str(p.get("message_id", "")))]
    e.changes = _changes(p.get("variables") or {}, r, before)


def _signal(e: Entry, p, r: Reader, before) -> None:
    e.what = f"Signaal '{p.get('name', '')}' ontvangen bij {', '.join(r.model.name(x) for x in p.get('elements') or [])}"
    e.details = [("Signaal-id", str(p.get("signal_id") or "–"))]


def _completed(e: Entry, p, r: Reader, before) -> None:
    e.what = f"Taak '{r.task(p)}' afgerond"
    e.changes = _changes(p.get("data") or {}, r, before)


def _decision(e: Entry, p, r: Reader, before) -> None:
    gateway = p.get("element")
    expression = p.get("expression", "")
    flow = r.model.flow_for(gateway, expression)
    result = bool(p.get("result"))
    if flow is None:
        route = f"voorwaarde {'waar' if result else 'niet waar'}"
    elif flow.name:
        route = flow.name if result else f"niet '{flow.name}'"
    else:
        route = f"→ {r.model.name(flow.target)}" if result else f"niet naar '{r.model.name(flow.target)}'"
    because = ", ".join(f"{r.labels.label(k).rstrip('?:')}: {r.value(k, v)}" for k, v in (p.get("values") or {}).items())
    e.what = f"{r.model.name(gateway)} {route}" + (f" — {because}" if because else "")
    e.condition, e.outcome = expression, result
    e.details = [("Voorwaarde in woorden", f"{r.labels.condition(expression)}: {'waar' if result else 'niet waar'}")]
    if flow:
        e.details.append(("Pijl", f"{flow.id} naar '{r.model.name(flow.target)}'"))


def _timer(e: Entry, p, r: Reader, before) -> None:
    e.what = f"Termijn verstreken bij '{r.model.name(p.get('element'))}'"
    if p.get("due"):
        e.details = [("Gepland op", readable(p["due"]))]


def _interrupted(e: Entry, p, r: Reader, before) -> None:
    e.what = f"'{r.model.name(p.get('element'))}' onderbrak de zaak: het andere open werk is gestopt"
    e.details = [("Gestopt", ", ".join(dict.fromkeys(r.model.name(c.get("element")) for c in p.get("cancelled") or []))
                  or "–")]


def _timers_due(e: Entry, p, r: Reader, before) -> None:
    e.what = "Regie keek welke termijnen verstreken zijn"
    if p.get("processed_at"):
        e.details = [("Verwerkt op", readable(p["processed_at"]))]


def _claimed(e: Entry, p, r: Reader, before) -> None:
    e.what = f"Taak '{r.task(p)}' opgepakt door {r.person(p.get('assignee'))}"


def _assigned(e: Entry, p, r: Reader, before) -> None:
    e.what = f"Taak '{r.task(p)}' gegeven aan {r.person(p.get('assignee'))}"
    e.details = [("Reden", p.get("reason") or "–")]


def _unclaimed(e: Entry, p, r: Reader, before) -> None:
    e.what = f"Taak '{r.task(p)}' teruggegeven aan het team"


def _case_completed(e: Entry, p, r: Reader, before) -> None:
    e.what = f"Zaak afgesloten bij '{r.model.name(p.get('end'))}'"


def _incident(e: Entry, p, r: Reader, before) -> None:
    e.what = f"Probleem bij '{r.model.name(p.get('element'))}'"
    e.details = [("Melding", p.get("reason", ""))]


def _resolved(e: Entry, p, r: Reader, before) -> None:
    e.what = f"Probleem bij '{r.model.name(p.get('element'))}' opgelost"


def _migrated(e: Entry, p, r: Reader, before) -> None:
    e.what = f"Zaak overgezet naar versie {str(p.get('to_version', ''))[:12]}"
    e.details = [("Van versie", str(p.get("from_version", ""))[:12]),
                 ("Koppeling", ", ".join(f"{a} → {b}" for a, b in (p.get("mapping") or {}).items()) or "–"),
                 ("Staat daarna bij", ", ".join(r.model.name(a) for a in p.get("active") or []) or "–")]


def _worker(p) -> str:
    return f"systeem {p.get('worker', '?')}"


def _external_locked(e: Entry, p, r: Reader, before) -> None:
    e.what = f"Stap '{r.model.name(p.get('element'))}' opgehaald door {_worker(p)}"
    e.details = [("Onderwerp (topic)", str(p.get("topic", ""))), ("Vast tot", readable(p["until"]) if p.get("until")
                                                                   else "–")]


def _external_failed(e: Entry, p, r: Reader, before) -> None:
    e.what = f"Stap '{r.model.name(p.get('element'))}' mislukt bij {_worker(p)}"
    e.details = [("Melding", str(p.get("message") or "–")), ("Pogingen over", str(p.get("retries", 0)))]
    if p.get("retry_at"):
        e.details.append(("Opnieuw vanaf", readable(p["retry_at"])))


def _external_error(e: Entry, p, r: Reader, before) -> None:
    e.what = f"{_worker(p).capitalize()} meldt bij '{r.model.name(p.get('element'))}': {p.get('code', '')}"
    e.details = [("Melding", str(p.get("message") or "–"))]
    e.changes = _changes(p.get("data") or {}, r, before)


def _external_retried(e: Entry, p, r: Reader, before) -> None:
    e.what = f"Stap '{r.model.name(p.get('element'))}' wordt opnieuw geprobeerd"
    e.details = [("Pogingen", str(p.get("retries", 1)))]


def _handed_over(e: Entry, p, r: Reader, before) -> None:
    e.what = f"Zaak overgedragen van {r.person(p.get('from'))} aan {r.person(p.get('to'))}"
    e.details = [("Reden", p.get("reason") or "–"), ("Taken mee", str(len(p.get("tasks") or [])))]


def _rectified(e: Entry, p, r: Reader, before) -> None:
    e.what = "Gegevens van de bewoner verbeterd"
    e.changes = _changes(p.get("correction") or {}, r, before)
    reason = p.get("reason") or "–"
    e.details = [("Reden", reason if r.show else masked(reason))]


def _other(e: Entry, p, r: Reader, before) -> None:
    e.what = e.kind
    e.details = [(k, r.value(k, v)) for k, v in p.items()]


DESCRIBE: dict[str, Callable[[Entry, dict, Reader, dict], None]] = {
    "case_started": _started,
    "task_completed": _completed,
    "gateway_decision": _decision,
    "timer_fired": _timer,
    "work_interrupted": _interrupted,
    "timers_due": _timers_due,
    "task_claimed": _claimed,
    "task_assigned": _assigned,
    "task_unclaimed": _unclaimed,
    "case_completed": _case_completed,
    "incident": _incident,
    "incident_resolved": _resolved,
    "case_migrated": _migrated,
    "message_received": _message,
    "signal_received": _signal,
    "external_task_locked": _external_locked,
    "external_task_failed": _external_failed,
    "external_task_error": _external_error,
    "external_task_retried": _external_retried,
    "case_handed_over": _handed_over,
    "data_rectified": _rectified,
}
