"""Compare two versions of a process: elements added, removed and changed; forms and decision tables
compared field by field and rule by rule.

Works on the stored bundles (the exact files), so any two versions can be compared, also ones that
no longer compile. The result lists each change with Dutch details ("naam: 'A' → 'B'") and the element
ids to draw on the diagram.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from lxml import etree

from .safety import load_yaml

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
# What Regie reads from an element, in the order a policy officer reads it: (key, Dutch word).
_ATTRIBUTES = [
    ("name", "naam"), ("lane", "baan"), (f"{{{CAMUNDA}}}candidateGroups", "team (kandidaatgroep)"),
    (f"{{{CAMUNDA}}}candidateUsers", "kandidaten"), (f"{{{CAMUNDA}}}assignee", "behandelaar"),
    (f"{{{CAMUNDA}}}formKey", "formulier"), (f"{{{CAMUNDA}}}dueDate", "termijn"),
    (f"{{{CAMUNDA}}}followUpDate", "opvolgdatum"), (f"{{{CAMUNDA}}}decisionRef", "beslistabel"),
    ("calledElement", "aangeroepen proces"), ("default", "standaardroute"), ("sourceRef", "van"),
    ("targetRef", "naar"), ("condition", "voorwaarde"), ("timer", "timer"), ("script", "script"),
    ("attachedToRef", "hangt aan"), ("isInterrupting", "onderbrekend"), ("cancelActivity", "onderbreekt de taak"),
]
_WORDS = dict(_ATTRIBUTES)
_SKIP = {"laneSet", "lane", "flowNodeRef", "extensionElements", "incoming", "outgoing", "conditionExpression",
         "timerEventDefinition", "timeDuration", "timeDate", "timeCycle", "script", "documentation", "text",
         "textAnnotation", "association", "definitions", "childLaneSet", "multiInstanceLoopCharacteristics",
         "standardLoopCharacteristics", "loopCardinality", "completionCondition"}
TYPE_WORDS = {
    "userTask": "taak", "scriptTask": "scripttaak", "serviceTask": "servicetaak", "businessRuleTask": "beslistaak",
    "manualTask": "handmatige taak", "task": "taak", "callActivity": "aanroep", "subProcess": "subproces",
    "exclusiveGateway": "keuze", "inclusiveGateway": "keuze (meer routes)", "parallelGateway": "splitsing",
    "eventBasedGateway": "wachten op gebeurtenis", "startEvent": "start", "endEvent": "einde",
    "intermediateCatchEvent": "tussengebeurtenis", "intermediateThrowEvent": "tussengebeurtenis",
    "boundaryEvent": "randgebeurtenis", "sequenceFlow": "pijl", "process": "proces", "lane": "baan",
}


@dataclass(frozen=True)
class Change:
    kind: str                 # added, removed, changed
    area: str                 # element, form, decision
    id: str                   # element id, form key, decision id
    label: str                # the element's name, form title, decision name
    type: str                 # Dutch: taak, pijl, formulier, beslistabel, …
    details: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "details": list(self.details)}


@dataclass
class VersionDiff:
    changes: list[Change] = field(default_factory=list)

    def ids(self, kind: str) -> list[str]:
        """Element ids of one kind of change, to draw on the diagram."""
        return [c.id for c in self.changes if c.area == "element" and c.kind == kind]

    def __bool__(self) -> bool:
        return bool(self.changes)

    def to_dict(self) -> dict[str, Any]:
        return {"changes": [c.to_dict() for c in self.changes], "added": self.ids("added"),
                "removed": self.ids("removed"), "changed": self.ids("changed")}

    def lines(self) -> list[str]:
        """One line per change (and one per detail), in Dutch, for the command line."""
        words = {"added": "+ nieuw", "removed": "- weg", "changed": "~ anders"}
        out = []
        for c in self.changes:
            out.append(f"{words[c.kind]}\t{c.type} {c.id}" + (f" ({c.label})" if c.label else ""))
            out.extend(f"\t\t{d}" for d in c.details)
        return out


def diff_bundles(old: dict, new: dict) -> VersionDiff:
    """The changes from bundle ``old`` to bundle ``new`` (``engine.definitions`` bundles)."""
    result = VersionDiff()
    result.changes += _compare(_elements(old), _elements(new), "element")
    result.changes += _compare(_forms(old), _forms(new), "form")
    result.changes += _compare(_decisions(old), _decisions(new), "decision")
    return result


def _compare(old: dict[str, dict], new: dict[str, dict], area: str) -> list[Change]:
    changes = []
    for key in sorted(set(old) | set(new), key=lambda k: (_order(new.get(k) or old[k]), k)):
        a, b = old.get(key), new.get(key)
        if a is None:
            assert b is not None  # the key is in one of the two
            changes.append(Change("added", area, key, b["label"], b["type"], _summary(b)))
        elif b is None:
            changes.append(Change("removed", area, key, a["label"], a["type"]))
        else:
            details = _details(a["props"], b["props"])
            if details:
                changes.append(Change("changed", area, key, b["label"], b["type"], details))
    return changes


def _order(item: dict) -> int:
    return 1 if item["type"] == "pijl" else 0


def _summary(item: dict) -> tuple[str, ...]:
    return tuple(f"{_word(k)}: {_show(v)}" for k, v in item["props"].items() if v not in (None, "", [], {}))


def _details(a: dict, b: dict) -> tuple[str, ...]:
    out = []
    for key in [*a, *(k for k in b if k not in a)]:
        if a.get(key) != b.get(key):
            old, new = a.get(key), b.get(key)
            if isinstance(new, dict) and old is None:
                out.append(f"{_word(key)}: nieuw ({_show(new)})")
            elif isinstance(old, dict) and new is None:
                out.append(f"{_word(key)}: weg")
            elif isinstance(old, dict) or isinstance(new, dict):
                out.extend(f"{_word(key)} {line}" for line in _details(old or {}, new or {}))
            elif old in (None, ""):
                out.append(f"{_word(key)}: nieuw {_show(new)}")
            elif new in (None, ""):
                out.append(f"{_word(key)}: weg (was {_show(old)})")
            else:
                out.append(f"{_word(key)}: {_show(old)} → {_show(new)}")
    return tuple(out)


def _word(key: str) -> str:
    return _WORDS.get(key, key)


def _show(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={_show(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return f"'{value}'" if isinstance(value, str) else str(value)


# --- BPMN elements -------------------------------------------------------------------------------

def _elements(bundle: dict) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for text in bundle.get("bpmn", {}).values():
        try:
            root = etree.fromstring(text.encode("utf-8"), parser=_PARSER)
        except etree.XMLSyntaxError:
            continue
        lanes = {}
        for lane in root.iter(f"{{{BPMN}}}lane"):
            for ref in lane.iterfind(f"{{{BPMN}}}flowNodeRef"):
                lanes[(ref.text or "").strip()] = lane.get("name") or lane.get("id")
        for element in root.iter():
            if not isinstance(element.tag, str) or etree.QName(element).namespace != BPMN or not element.get("id"):
                continue
            local = etree.QName(element).localname
            if local in _SKIP:
                if local == "lane" and element.find(f"{{{BPMN}}}childLaneSet") is None:
                    found[element.get("id")] = {"label": element.get("name") or "", "type": "baan",
                                                "props": {"name": element.get("name") or ""}}
                continue
            found[element.get("id")] = {
                "label": " ".join((element.get("name") or "").split()),
                "type": TYPE_WORDS.get(local, local), "props": _props(element, lanes),
            }
    return found


def _props(element, lanes: dict[str, str]) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for key in _WORDS:
        if key == "lane":
            value = lanes.get(element.get("id"))
        elif key == "name":
            value = " ".join((element.get("name") or "").split()) or None
        elif key == "condition":
            found = element.find(f"{{{BPMN}}}conditionExpression")
            value = (found.text or "").strip() if found is not None else None
        elif key == "timer":
            value = _timer(element)
        elif key == "script":
            found = element.find(f"{{{BPMN}}}script")
            value = (found.text or "").strip() if found is not None else None
        else:
            value = element.get(key)
        if value not in (None, ""):
            props[key] = value
    return props


def _timer(element) -> str | None:
    timer = element.find(f"{{{BPMN}}}timerEventDefinition")
    if timer is None:
        return None
    for kind in ("timeDuration", "timeDate", "timeCycle"):
        found = timer.find(f"{{{BPMN}}}{kind}")
        if found is not None:
            return f"{kind}={(found.text or '').strip()}"
    return ""


# --- forms, field by field -----------------------------------------------------------------------

def _forms(bundle: dict) -> dict[str, dict]:
    found = {}
    for key, text in bundle.get("forms", {}).items():
        try:
            raw = load_yaml(text)
        except Exception:  # noqa: BLE001 - a broken form compares as its text
            raw = {"title": key, "fields": [], "tekst": text}
        raw = raw if isinstance(raw, dict) else {}
        fields = {str(f.get("name")): {k: v for k, v in f.items() if k != "name"}
                  for f in raw.get("fields") or [] if isinstance(f, dict)}
        props: dict[str, Any] = {"titel": raw.get("title", "")}
        props.update({f"veld {name}": value for name, value in fields.items()})
        found[key] = {"label": str(raw.get("title", "")), "type": "formulier", "props": props}
    return found


# --- decision tables, rule by rule ---------------------------------------------------------------

def _decisions(bundle: dict) -> dict[str, dict]:
    found = {}
    for text in bundle.get("dmn", {}).values():
        try:
            root = etree.fromstring(text.encode("utf-8"), parser=_PARSER)
        except etree.XMLSyntaxError:
            continue
        ns = etree.QName(root).namespace
        for decision in root.iter(f"{{{ns}}}decision"):
            table = decision.find(f"{{{ns}}}decisionTable")
            if table is None:
                continue
            inputs = [(i.get("label") or i.get("id"), _text(i, ns)) for i in table.iterfind(f"{{{ns}}}input")]
            outputs = [o.get("name") or o.get("label") or o.get("id") for o in table.iterfind(f"{{{ns}}}output")]
            props: dict[str, Any] = {"hitPolicy": table.get("hitPolicy", "UNIQUE"),
                                     "invoer": [f"{label}: {expr}" for label, expr in inputs], "uitvoer": outputs}
            for rule in table.iterfind(f"{{{ns}}}rule"):
                cells = [_text(e, ns) for e in rule.iterfind(f"{{{ns}}}inputEntry")]
                results = [_text(e, ns) for e in rule.iterfind(f"{{{ns}}}outputEntry")]
                props[f"regel {rule.get('id')}"] = {
                    "als": ", ".join(f"{inputs[i][0] if i < len(inputs) else i} = {c}" for i, c in enumerate(cells)),
                    "dan": ", ".join(f"{outputs[i] if i < len(outputs) else i} = {r}" for i, r in enumerate(results)),
                }
            found[decision.get("id")] = {"label": decision.get("name") or "", "type": "beslistabel", "props": props}
    return found


def _text(element, ns: str) -> str:
    found = element.find(f".//{{{ns}}}text")
    return (found.text or "").strip() if found is not None else ""
