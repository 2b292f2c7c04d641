"""The engine's validation as markers on elements, for the modeler to show as the user types.

``check`` compiles the files exactly as a deploy would (``engine.definitions.compile_models``) and turns
each problem into a ``Marker`` on the element a person would fix: a condition's problem on its sequence
flow (the compiler names the gateway), a problem of a form file on every task that uses the form. It
adds what the compiler lets pass but a policy officer wants to know (warnings, deploy still works):
lanes and candidate groups that name no role, elements no path reaches, gateways that choose with
conditions and have no default flow.

Forms do not change while someone draws: ``check`` takes them already loaded (``load_forms``, cached by
their text), so a check of the hersteloperatie model costs its BPMN and DMN only.
"""

from __future__ import annotations

import hashlib
import re
from collections import deque
from dataclasses import asdict, dataclass
from functools import lru_cache

from lxml import etree

from ..accounts import ROLES
from ..definitions import SourceFile, compile_models
from ..errors import ModelError, ModelProblem
from ..forms import Form, form_key, load_form

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
_WITH_FORM = etree.XPath("//*[@c:formKey]", namespaces={"c": CAMUNDA})
_LINE = re.compile(r"\(regel (\d+)\)")
_QUOTED = re.compile(r"'(.+?)'(?::| leest)", re.S)


@dataclass(frozen=True)
class Marker:
    """One problem on one element: what the modeler draws and lists."""

    file: str
    element: str          # the element id to mark ('' for the whole file)
    message: str          # Dutch: what is wrong and what to do
    severity: str         # error (blocks deploy) or warning
    kind: str             # parse, unsafe, unsupported, expression, form, unfilled, role, unreachable, no_default, model, manual
    line: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def check(sources: list[SourceFile], evaluator, forms: dict[str, Form] | None = None) -> list[Marker]:
    """Markers for ``sources`` (BPMN, DMN, and forms given as files or already loaded in ``forms``)."""
    flows = _Flows(sources)
    try:
        versions = compile_models(sources, evaluator, forms or {})
        problems: list[ModelProblem] = []
        notices = [n for v in versions for n in v.notices]
    except ModelError as err:
        problems, notices = err.problems, err.notices
    markers = [m for p in problems for m in _markers(p, flows)]
    # What deploys but will not run as drawn (Java code, listeners, job workers): engine.dialects.services
    markers += [Marker(n.file, n.element_id, n.message, "warning", "manual") for n in notices]
    markers += flows.warnings()
    return _unique(markers)


def check_files(files: dict[str, str], evaluator, forms: dict[str, Form] | None = None) -> list[Marker]:
    """``check`` for files given as name -> text (what the modeler posts)."""
    sources = []
    for name, text in files.items():
        lower = name.lower()
        kind = "bpmn" if lower.endswith(".bpmn") else "dmn" if lower.endswith(".dmn") else "form" \
            if lower.endswith((".yaml", ".yml")) else None
        if kind is None:
            return [Marker(name, "", "Onbekend soort bestand. Gebruik .bpmn, .dmn of .yaml.", "error", "parse")]
        sources.append(SourceFile(name, kind, text))
    return check(sources, evaluator, forms)


def load_forms(texts: dict[str, str]) -> dict[str, Form]:
    """Forms by key, each parsed once per distinct text (a form with problems is left out)."""
    found = {}
    for key, text in texts.items():
        form = _load_cached(key, hashlib.sha256(text.encode()).hexdigest(), text)
        if form is not None:
            found[key] = form
    return found


@lru_cache(maxsize=512)
def _load_cached(key: str, digest: str, text: str) -> Form | None:
    return load_form(key, text)[0]


def _markers(problem: ModelProblem, flows: _Flows) -> list[Marker]:
    message, element, file = problem.message, problem.element_id, problem.file
    kind = _kind(message, file)
    found = _LINE.search(message)
    line = int(found.group(1)) if found else None
    if file.endswith((".yaml", ".yml")):
        users = flows.tasks_with_form(element or file.rsplit(".", 1)[0])
        if users:
            return [Marker(f, task, f"Formulier {file}: {message}", "error", "form", line) for f, task in users]
    owner = flows.flow_for(file, element, message)
    return [Marker(owner[0] if owner else file, owner[1] if owner else element, message, "error", kind, line)]


def _kind(message: str, file: str) -> str:
    lower = message.lower()
    if "geen geldige xml" in lower or "geen geldige yaml" in lower:
        return "parse"
    if "code uitvoeren" in lower or "script-link" in lower or "doctype" in lower or "stylesheet" in lower:
        return "unsafe"
    if "geen formulier, script of beslistabel vult" in lower:
        return "unfilled"
    if "formulier" in lower or file.endswith((".yaml", ".yml")):
        return "form"
    if "kan regie niet" in lower or "niet uitvoeren" in lower:
        return "unsupported"
    if message.startswith("'"):
        return "expression"
    return "model"


class _Flows:
    """What the markers need from the BPMN files: flows with their conditions, form users, the graph."""

    def __init__(self, sources: list[SourceFile]):
        self.conditions: dict[tuple[str, str], list[tuple[str, str]]] = {}   # (file, source) -> [(flow, text)]
        self.forms: dict[str, list[tuple[str, str]]] = {}                    # form key -> [(file, task)]
        self.roots: list[tuple[str, etree._Element]] = []
        for src in sources:
            if src.kind != "bpmn":
                continue
            try:
                root = etree.fromstring(src.text.encode("utf-8"), parser=_PARSER)
            except etree.XMLSyntaxError:
                continue
            self.roots.append((src.name, root))
            for flow in root.iter(f"{{{BPMN}}}sequenceFlow"):
                condition = flow.find(f"{{{BPMN}}}conditionExpression")
                text = (condition.text or "").strip() if condition is not None else ""
                if text:
                    self.conditions.setdefault((src.name, flow.get("sourceRef", "")), []).append(
                        (flow.get("id", ""), text))
            for node in _WITH_FORM(root):
                self.forms.setdefault(form_key(node.get(f"{{{CAMUNDA}}}formKey")) or "", []).append(
                    (src.name, node.get("id", "")))

    def flow_for(self, file: str, element: str, message: str) -> tuple[str, str] | None:
        """The sequence flow whose condition the message quotes, when it names the flow's source."""
        candidates = self.conditions.get((file, element)) or [
            c for (f, source), cs in self.conditions.items() if source == element for c in cs]
        if not candidates:
            return None
        quoted = _QUOTED.search(message)
        text = quoted.group(1).strip() if quoted else ""
        for flow_id, condition in candidates:
            if text and (text == condition or text in condition or condition in text):
                return (file if (file, element) in self.conditions else self._file_of(element), flow_id)
        return None

    def _file_of(self, element: str) -> str:
        return next((f for (f, source) in self.conditions if source == element), "")

    def tasks_with_form(self, key: str) -> list[tuple[str, str]]:
        return self.forms.get(key, [])

    def warnings(self) -> list[Marker]:
        markers = []
        for name, root in self.roots:
            markers += _roles(name, root) + _no_default(name, root) + _unreachable(name, root)
        return markers


def _roles(name: str, root) -> list[Marker]:
    markers = []
    for lane in root.iter(f"{{{BPMN}}}lane"):
        if lane.find(f"{{{BPMN}}}childLaneSet") is None and lane.get("name") and lane.get("name") not in ROLES:
            markers.append(Marker(name, lane.get("id", ""), (
                f"De baan '{lane.get('name')}' is geen rol in Regie. Taken in deze baan ziet niemand, tenzij ze "
                f"een kandidaatgroep hebben. Rollen: {', '.join(ROLES)}."), "warning", "role"))
    for task in root.iter(f"{{{BPMN}}}userTask"):
        groups = task.get(f"{{{CAMUNDA}}}candidateGroups") or ""
        for group in (g.strip() for g in groups.split(",")):
            if group and "{" not in group and group not in ROLES:
                markers.append(Marker(name, task.get("id", ""), (
                    f"De kandidaatgroep '{group}' is geen rol in Regie; niemand ziet deze taak. Kies uit: "
                    f"{', '.join(ROLES)}."), "warning", "role"))
    return markers


def _no_default(name: str, root) -> list[Marker]:
    markers = []
    flows: dict[str, list] = {}
    for flow in root.iter(f"{{{BPMN}}}sequenceFlow"):
        flows.setdefault(flow.get("sourceRef"), []).append(flow)
    for tag in ("exclusiveGateway", "inclusiveGateway"):
        for gateway in root.iter(f"{{{BPMN}}}{tag}"):
            gid = gateway.get("id", "")
            outgoing = flows.get(gid, [])
            conditional = [f for f in outgoing if f.find(f"{{{BPMN}}}conditionExpression") is not None]
            if len(outgoing) > 1 and conditional and not gateway.get("default"):
                markers.append(Marker(name, gid, (
                    "Deze gateway kiest met voorwaarden maar heeft geen standaardroute. Past geen enkele "
                    "voorwaarde, dan loopt de zaak vast. Maak een van de pijlen de standaardroute."),
                    "warning", "no_default"))
    return markers


_STARTS = {"startEvent", "boundaryEvent"}
_NODES = {"task", "userTask", "serviceTask", "scriptTask", "businessRuleTask", "manualTask", "sendTask",
          "receiveTask", "callActivity", "subProcess", "transaction", "adHocSubProcess", "exclusiveGateway",
          "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway", "intermediateCatchEvent",
          "intermediateThrowEvent", "endEvent", "startEvent", "boundaryEvent"}


def _unreachable(name: str, root) -> list[Marker]:
    """Flow nodes no path reaches from a start event (per process or subprocess scope)."""
    markers = []
    for scope in [*root.iter(f"{{{BPMN}}}process"), *root.iter(f"{{{BPMN}}}subProcess"),
                  *root.iter(f"{{{BPMN}}}transaction"), *root.iter(f"{{{BPMN}}}adHocSubProcess")]:
        if etree.QName(scope).localname == "adHocSubProcess":
            continue   # ad-hoc activities need no incoming flow
        nodes = {c.get("id"): etree.QName(c).localname for c in scope
                 if isinstance(c.tag, str) and etree.QName(c).localname in _NODES}
        if not nodes:
            continue
        edges: dict[str, list[str]] = {}
        for flow in scope.iterchildren(f"{{{BPMN}}}sequenceFlow"):
            edges.setdefault(flow.get("sourceRef"), []).append(flow.get("targetRef"))
        incoming = {t for ts in edges.values() for t in ts}
        queue = deque(n for n, kind in nodes.items() if kind in _STARTS or (n not in incoming and kind != "endEvent"
                                                                           and _is_entry(scope, n)))
        seen = set(queue)
        while queue:
            for target in edges.get(queue.popleft(), ()):
                if target not in seen:
                    seen.add(target)
                    queue.append(target)
        for node in nodes:
            if node not in seen:
                markers.append(Marker(name, node, (
                    "Geen enkele route komt bij dit element. Verbind het met een pijl, of haal het weg."),
                    "warning", "unreachable"))
    return markers


def _is_entry(scope, node_id: str) -> bool:
    """A subprocess without a start event starts at its activities that have no incoming flow."""
    return not any(etree.QName(c).localname == "startEvent" for c in scope if isinstance(c.tag, str))


def _unique(markers: list[Marker]) -> list[Marker]:
    seen, result = set(), []
    for m in markers:
        key = (m.file, m.element, m.message)
        if key not in seen:
            seen.add(key)
            result.append(m)
    return sorted(result, key=lambda m: (m.severity != "error", m.file, m.element))
