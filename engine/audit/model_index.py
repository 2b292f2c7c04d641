"""What an auditor needs to read a model version: element names and sequence flows with conditions.

Read straight from the stored BPMN text of the version (``bundle["bpmn"]``), so a timeline and the
time-travel diagram name exactly what the case ran on, without going through SpiffWorkflow's specs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from xml.etree import ElementTree

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


@dataclass(frozen=True)
class Flow:
    id: str
    name: str
    source: str
    target: str
    condition: str


@dataclass
class ModelIndex:
    names: dict[str, str] = field(default_factory=dict)          # element id -> name (or id)
    flows: list[Flow] = field(default_factory=list)
    defaults: dict[str, str] = field(default_factory=dict)       # gateway id -> default flow id

    def name(self, element: str | None) -> str:
        return self.names.get(element or "", element or "?")

    def flow_between(self, source: str, target: str) -> Flow | None:
        return next((f for f in self.flows if f.source == source and f.target == target), None)

    def flow_for(self, gateway: str, condition: str) -> Flow | None:
        """The outgoing flow of ``gateway`` whose condition is ``condition`` (as the engine evaluated it)."""
        wanted = _squash(condition)
        for f in self.flows:
            if f.source == gateway and f.condition and (_squash(f.condition) == wanted or wanted in _squash(f.condition)):
                return f
        return None

    def default_flow(self, gateway: str) -> Flow | None:
        flow_id = self.defaults.get(gateway)
        return next((f for f in self.flows if f.id == flow_id), None)

    def flow_ids(self, pairs) -> list[str]:
        """Ids of the sequence flows that connect each (source, target) pair; pairs without one are skipped."""
        found = []
        for source, target in pairs:
            flow = self.flow_between(source, target)
            if flow is not None and flow.id not in found:
                found.append(flow.id)
        return found


def index(bundle: dict) -> ModelIndex:
    """The index of a version's BPMN files (cached on the exact text)."""
    return _index(tuple(sorted(bundle.get("bpmn", {}).items())))


@lru_cache(maxsize=64)
def _index(files: tuple[tuple[str, str], ...]) -> ModelIndex:
    out = ModelIndex()
    for _, text in files:
        try:
            root = ElementTree.fromstring(text.encode("utf-8"))
        except ElementTree.ParseError:
            continue
        for el in root.iter():
            element_id = el.get("id")
            if not element_id:
                continue
            if el.tag == f"{BPMN}sequenceFlow":
                cond = el.find(f"{BPMN}conditionExpression")
                out.flows.append(Flow(element_id, el.get("name") or "", el.get("sourceRef", ""), el.get("targetRef", ""),
                                      (cond.text or "").strip() if cond is not None else ""))
            elif name := el.get("name"):
                out.names.setdefault(element_id, name.strip())
            if default := el.get("default"):
                out.defaults[element_id] = default
    return out


def _squash(text: str) -> str:
    return "".join((text or "").split()).lstrip("=").replace("${", "").replace("}", "")
