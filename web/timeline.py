"""A case's event log as people read it: who did what, when (lookup table: event type -> sentence)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine import HistoryEntry
from engine.definitions import ProcessVersion
from engine.labels import Labels, readable


@dataclass(frozen=True)
class Moment:
    at: datetime
    who: str
    what: str
    kind: str
    details: list[tuple[str, str]] = field(default_factory=list)


class _Names:
    """Titles of elements and labels of fields of the case's version, with names of people."""

    def __init__(self, version: ProcessVersion, people: dict[str, str], raw: bool = False):
        self.version, self.people, self.raw = version, people, raw
        self.labels = Labels.of(version.forms.values())

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
        """Form labels and value labels; the auditor's raw view keeps field names and codes."""
        if self.raw:
            return [(name, str(value)) for name, value in values.items()]
        return self.labels.rows(values)

    def condition(self, expression: str, result: Any) -> str:
        """'‘Wil de bewoner hulp?’ is ja: ja' (the raw view: 'akkoord == True → ja')."""
        if self.raw:
            return f"{expression} → {readable(result)}"
        return f"{self.labels.condition(expression)}: {readable(result)}"


def _started(p, n):
    trigger = p.get("trigger") or {}
    how = (f" door bericht '{trigger['message']}'" if trigger.get("message")
           else f" door signaal '{trigger['signal']}'" if trigger.get("signal") else "")
    return f"Zaak gestart{how}", n.data(p.get("data") or {})


def _completed(p, n):
    return f"Taak '{n.task(p)}' afgerond", n.data(p.get("data") or {})


def _decision(p, n):
    values = ", ".join(f"{label}: {value}" for label, value in n.data(p.get("values") or {}))
    return f"Keuze bij '{n.element(p.get('element'))}'", [
        ("Voorwaarde", n.condition(p.get("expression", ""), p.get("result"))), ("Op basis van", values or "–")]


def _timer(p, n):
    return f"Termijn verstreken bij '{n.element(p.get('element'))}'", []


def _interrupted(p, n):
    stopped = ", ".join(dict.fromkeys(n.element(c.get("element")) for c in p.get("cancelled") or [])) or "–"
    return f"Ander werk gestopt: '{n.element(p.get('element'))}' onderbreekt de zaak", [("Gestopt", stopped)]


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


def _resolved(p, n):
    return f"Probleem bij '{n.element(p.get('element'))}' opgelost", []


def _migrated(p, n):
    mapping = ", ".join(f"{old} → {new}" for old, new in (p.get("mapping") or {}).items())
    details = [("Van versie", str(p.get("from_version", ""))[:12]), ("Naar versie", str(p.get("to_version", ""))[:12])]
    return "Zaak overgezet naar een nieuwe versie van het proces", details + ([("Koppeling", mapping)] if mapping else [])


def _message(p, n):
    details = [("Bij", ", ".join(n.element(e) for e in p.get("elements") or [])), ("Bericht-id", p.get("message_id", ""))]
    return f"Bericht '{p.get('name', '')}' ontvangen", details + list(n.data(p.get("variables") or {}))


def _signal(p, n):
    return f"Signaal '{p.get('name', '')}' ontvangen", [("Bij", ", ".join(n.element(e) for e in p.get("elements") or []))]


def _system(p, n) -> str:
    """Who did an external task's step: another system by its worker id; Regie's own connectors (a topic
    ``connector:…``, a worker id like ``connectors:host:pid:…``) as Regie, except in the auditor's raw view."""
    if str(p.get("topic", "")).startswith("connector:") and not n.raw:
        return "Regie (automatisch)"
    return f"systeem {p.get('worker', '?')}"


def _external_locked(p, n):
    return f"Stap '{n.element(p.get('element'))}' opgehaald door {_system(p, n)}", []


def _external_failed(p, n):
    return (f"Stap '{n.element(p.get('element'))}' mislukt bij {_system(p, n)}",
            [("Melding", p.get("message", "") if n.raw else p.get("shown") or p.get("message", "")),
             ("Pogingen over", str(p.get("retries", 0)))])


def _external_error(p, n):
    return (f"Systeem {p.get('worker', '?')} meldt bij '{n.element(p.get('element'))}': {p.get('code', '')}",
            [("Melding", p.get("message") or "–"), *n.data(p.get("data") or {})])


def _external_retried(p, n):
    return f"Stap '{n.element(p.get('element'))}' wordt opnieuw geprobeerd", [("Pogingen", str(p.get("retries", 1)))]


def _handed_over(p, n):
    details = [("Reden", p["reason"])] if p.get("reason") else []
    return f"Zaak overgedragen aan casemanager {n.person(p.get('to'))}", details


def _rectified(p, n):
    return "Gegevens van de bewoner verbeterd", [*n.data(p.get("correction") or {}), ("Reden", p.get("reason") or "–")]


DESCRIBE: dict[str, Callable[[dict, _Names], tuple[str, list[tuple[str, str]]]]] = {
    "case_started": _started,
    "task_completed": _completed,
    "gateway_decision": _decision,
    "timer_fired": _timer,
    "work_interrupted": _interrupted,
    "task_claimed": _claimed,
    "task_assigned": _assigned,
    "task_unclaimed": _unclaimed,
    "case_completed": _case_completed,
    "incident": _incident,
    "case_migrated": _migrated,
    "message_received": _message,
    "signal_received": _signal,
    "external_task_locked": _external_locked,
    "external_task_failed": _external_failed,
    "external_task_error": _external_error,
    "external_task_retried": _external_retried,
    "case_handed_over": _handed_over,
    "data_rectified": _rectified,
    "incident_resolved": _resolved,
}
HIDDEN = {"timers_due"}      # the command behind 'timer_fired': the fact says it better


SYSTEM = {"timer": "Regie (automatisch)", "system": "Regie (automatisch)", "regie-connector": "Regie (automatisch)"}
FOLDED = {"gateway_decision"}   # what the engine decided as a result of a step: shown with that step


def timeline(history: list[HistoryEntry], version: ProcessVersion, people: dict[str, str],
             raw: bool = False) -> list[Moment]:
    """The case's moments, newest first, each with who, when, what and the details that matter.

    The engine's decisions right after a step (which way a gateway went) are folded into that step's
    details, so the timeline reads as what people did and what followed from it. Caseworkers read
    labels and conditions in words; ``raw=True`` (auditors) keeps field names, codes and expressions.
    """
    names = _Names(version, {**SYSTEM, **people}, raw)
    moments: list[Moment] = []
    for entry in history:
        if entry.type in HIDDEN or _cancelled_timer(entry):
            continue
        describe = DESCRIBE.get(entry.type)
        what, details = describe(entry.payload, names) if describe else (entry.type, [])
        previous = moments[-1] if moments else None
        if entry.type in FOLDED and previous is not None and previous.at == entry.at:
            previous.details.append((what, names.condition(entry.payload.get("expression", ""),
                                                           entry.payload.get("result"))))
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


# The five leefgebieden of the guidance, in its order; a field belongs to one by its form section or by
# a word in its name (``wonen_resultaat``, ``hulpvraag_financien``, ``schuldhulptraject``).
LEEFGEBIEDEN = {"wonen": "Wonen", "financien": "Financiën", "gezondheid": "Gezondheid",
                "werk": "Werk en dagbesteding", "gezin": "Gezinssituatie"}
_WORD_TO_DOMAIN = (("wonen", "wonen"), ("huisuitzetting", "wonen"), ("financ", "financien"),
                   ("schuld", "financien"), ("budget", "financien"), ("gezondheid", "gezondheid"),
                   ("werk", "werk"), ("dagbesteding", "werk"), ("gezin", "gezin"), ("jeugd", "gezin"))
OTHER = "Vastgesteld door het proces"


def leefgebied(name: str, section: str = "") -> str | None:
    """The leefgebied (its Dutch title) a field is about, or None for general data."""
    plain = section.lower().replace("ë", "e")
    for key, title in LEEFGEBIEDEN.items():
        if plain.startswith(key):
            return title
    for word in name.lower().split("_"):
        for start, key in _WORD_TO_DOMAIN:
            if word.startswith(start):
                return LEEFGEBIEDEN[key]
    return None


def data_by_domain(data: dict[str, Any], version: ProcessVersion) -> list[tuple[str, list[tuple[str, str]]]]:
    """The case data grouped per leefgebied (wonen, financiën, gezondheid, werk, gezin) first, then the
    general data per form that asked for it, then what the process itself worked out."""
    labels = Labels.of(version.forms.values())
    titles = {}
    for form in version.forms.values():
        for f in form.fields:
            titles.setdefault(f.name, form.title)
    groups: dict[str, list[tuple[str, str]]] = {}
    for name, value in data.items():
        spec = labels.fields.get(name)
        group = leefgebied(name, spec.section if spec else "") or (titles[name] if spec else OTHER)
        groups.setdefault(group, []).append((labels.label(name), labels.value(name, value)))
    domains = list(LEEFGEBIEDEN.values())
    order = sorted(groups, key=lambda g: (g == OTHER, g not in domains, domains.index(g) if g in domains else 0))
    return [(g, groups[g]) for g in order]
