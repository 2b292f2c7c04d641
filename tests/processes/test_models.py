"""Static checks of the guidance models: they validate, they are drawn, and they are consistent.

- every model passes the BPMN 2.0 schema (with diagram interchange) and ``Engine.validate``;
- every lane, flow node and sequence flow has a shape or an edge; shapes sit inside their lane or
  subprocess and do not overlap;
- every user task names an existing form and a known role; no form is left unused;
- every name a gateway condition or a decision table reads is provided by a form, a script, a
  decision table or the start form of the same process.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator

from engine import Engine, ManualClock

from .conftest import MODELS, ROOT

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
DMN = "https://www.omg.org/spec/DMN/20191111/MODEL/"
NS = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "di": DI}
ROLES = {"casemanager", "specialist", "coordinator", "policy"}
FLOW_NODES = {"startEvent", "endEvent", "intermediateCatchEvent", "boundaryEvent", "userTask", "scriptTask",
              "sendTask", "businessRuleTask", "exclusiveGateway", "parallelGateway", "inclusiveGateway", "subProcess"}
ID_PREFIX = {"startEvent": "StartEvent_", "endEvent": "End_", "intermediateCatchEvent": "Timer_",
             "boundaryEvent": "Boundary_", "userTask": "Task_", "scriptTask": "Script_", "sendTask": "Send_",
             "businessRuleTask": "BusinessRule_", "exclusiveGateway": "Gateway_", "parallelGateway": "Gateway_",
             "inclusiveGateway": "Gateway_", "subProcess": "Subprocess_", "sequenceFlow": "Flow_"}
EXPECTED = {"hersteloperatie", "loket", "tsp", "startscan", "steunpunt-inrichten", "tsp-inrichten",
            "lijst-belastingdienst"}

MODEL_FILES = sorted((ROOT / "processes").glob("*.bpmn"))
FORMS = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in (ROOT / "forms").glob("*.yaml")}
DECISIONS = {}
for _path in (ROOT / "processes").glob("*.dmn"):
    _root = etree.parse(str(_path)).getroot()
    _decision = _root.find(f"{{{DMN}}}decision")
    DECISIONS[_decision.get("id")] = _decision


def local(el) -> str:
    return etree.QName(el).localname


def test_every_catalogue_model_is_there_and_validates(tmp_path):
    eng = Engine.from_url(f"sqlite:///{tmp_path}/v.db", clock=ManualClock())
    assert eng.validate(MODELS) == []
    ids = {etree.parse(str(p)).getroot().find(f"{{{BPMN}}}process").get("id") for p in MODEL_FILES}
    assert ids == EXPECTED


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda p: p.stem)
def test_model_passes_the_bpmn_schema_and_ids_are_unique(path):
    tree = etree.parse(str(path))
    BpmnValidator().validate(tree, str(path))
    ids = [e.get("id") for e in tree.getroot().iter() if isinstance(e.tag, str) and e.get("id")]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda p: p.stem)
def test_every_element_is_drawn_inside_its_lane_or_subprocess(path):
    root = etree.parse(str(path)).getroot()
    shapes = {s.get("bpmnElement"): _bounds(s) for s in root.iterfind(".//bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement"): e.findall("di:waypoint", NS) for e in root.iterfind(".//bpmndi:BPMNEdge", NS)}
    process = root.find(f"{{{BPMN}}}process")
    for el in process.iter():
        if not isinstance(el.tag, str):
            continue
        kind = local(el)
        if kind in FLOW_NODES or kind == "lane":
            assert el.get("id") in shapes, f"{el.get('id')} heeft geen vorm in het diagram"
        if kind == "sequenceFlow":
            assert len(edges.get(el.get("id"), [])) >= 2, f"{el.get('id')} heeft geen lijn in het diagram"
        if kind in ID_PREFIX:
            assert el.get("id").startswith(ID_PREFIX[kind]), el.get("id")
            outgoing = [f for f in process.iter(f"{{{BPMN}}}sequenceFlow") if f.get("sourceRef") == el.get("id")]
            merge = kind.endswith("Gateway") and len(outgoing) == 1    # a merge or join needs no name
            if kind != "sequenceFlow" and not merge:
                assert el.get("name"), f"{el.get('id')} heeft geen naam"
    participant = root.find(f".//{{{BPMN}}}participant")
    assert participant is not None and participant.get("id") in shapes
    lanes = {lane.get("id"): lane for lane in process.iter(f"{{{BPMN}}}lane")}
    assert set(lanes) and {lane.get("name") for lane in lanes.values()} <= ROLES
    for lane_id, lane in lanes.items():
        for ref in lane.findall(f"{{{BPMN}}}flowNodeRef"):
            assert _inside(shapes[ref.text], shapes[lane_id]), f"{ref.text} ligt buiten baan {lane.get('name')}"
    for container in [process, *process.iter(f"{{{BPMN}}}subProcess")]:
        children = [c.get("id") for c in container if isinstance(c.tag, str) and local(c) in FLOW_NODES
                    and local(c) != "boundaryEvent"]
        if container is not process:
            assert all(_inside(shapes[c], shapes[container.get("id")]) for c in children)
        for i, a in enumerate(children):
            for b in children[i + 1:]:
                assert not _overlap(shapes[a], shapes[b]), f"{a} en {b} liggen over elkaar"


def _bounds(shape):
    b = shape.find("dc:Bounds", NS)
    return tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))


def _inside(inner, outer) -> bool:
    x, y, w, h = inner
    ox, oy, ow, oh = outer
    return ox <= x and oy <= y and x + w <= ox + ow and y + h <= oy + oh


def _overlap(a, b) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda p: p.stem)
def test_user_tasks_name_a_form_and_a_role(path):
    root = etree.parse(str(path)).getroot()
    for task in root.iter(f"{{{BPMN}}}userTask"):
        assert task.get(f"{{{CAMUNDA}}}formKey") in FORMS, task.get("id")
        assert task.get(f"{{{CAMUNDA}}}candidateGroups") in ROLES, task.get("id")
    start = root.find(f".//{{{BPMN}}}startEvent")
    if start.find(f"{{{BPMN}}}timerEventDefinition") is None:      # a timer start has nobody to fill a form
        assert start.get(f"{{{CAMUNDA}}}formKey") in FORMS


def test_every_form_is_used_and_has_a_dutch_title():
    used = set()
    for path in MODEL_FILES:
        root = etree.parse(str(path)).getroot()
        used |= {e.get(f"{{{CAMUNDA}}}formKey") for e in root.iter() if isinstance(e.tag, str)
                 and e.get(f"{{{CAMUNDA}}}formKey")}
    assert set(FORMS) == used
    for key, form in FORMS.items():
        assert form["title"] and form["fields"], key


def _names_read(expression: str) -> set[str]:
    tree = ast.parse(expression.replace("?", "dmninputexpr"), mode="exec")
    bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    for comp in (n for n in ast.walk(tree) if isinstance(n, ast.comprehension)):
        bound |= {n.id for n in ast.walk(comp.target) if isinstance(n, ast.Name)}
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return names - bound - called - {"True", "False", "None", "dmninputexpr"}


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda p: p.stem)
def test_every_name_a_gateway_or_decision_reads_is_provided(path):
    root = etree.parse(str(path)).getroot()
    provided: set[str] = set()
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        key = el.get(f"{{{CAMUNDA}}}formKey")
        if key:
            provided |= {f["name"] for f in FORMS[key]["fields"]}
        if local(el) == "script":
            provided |= {t.id for n in ast.walk(ast.parse(el.text)) if isinstance(n, ast.Assign)
                         for t in n.targets if isinstance(t, ast.Name)}
        if local(el) == "businessRuleTask":
            decision = DECISIONS[el.get(f"{{{CAMUNDA}}}decisionRef")]
            provided |= {o.get("name") for o in decision.iter(f"{{{DMN}}}output")}
    read: dict[str, set[str]] = {}
    for flow in root.iter(f"{{{BPMN}}}conditionExpression"):
        read[flow.getparent().get("id")] = _names_read(flow.text)
    for el in root.iter(f"{{{BPMN}}}businessRuleTask"):
        decision = DECISIONS[el.get(f"{{{CAMUNDA}}}decisionRef")]
        for text in decision.iter(f"{{{DMN}}}text"):
            if text.getparent().tag.endswith(("inputExpression", "inputEntry")) and text.text.strip() != "-":
                read[el.get("id")] = read.get(el.get("id"), set()) | _names_read(text.text)
    for element, names in read.items():
        missing = names - provided
        assert not missing, f"{element} leest {sorted(missing)}, maar geen formulier, script of beslistabel levert dat"


def test_ids_and_names_follow_the_naming_guide():
    for path in MODEL_FILES:
        text = path.read_text(encoding="utf-8")
        assert re.search(r'id="(Activity|Gateway|Event|Flow)_[0-9a-z]{7}"', text) is None, path.name


def test_traceability_names_only_tests_that_exist():
    files = {"h": "test_hersteloperatie.py", "l": "test_loket.py", "t": "test_tsp.py", "s": "test_startscan.py",
             "i": "test_inrichten.py", "m": "test_models.py", "b": "test_list_import.py",
             "v": "test_accountability.py", "c": "test_casemanager.py"}
    text = (ROOT / "docs" / "traceability.md").read_text(encoding="utf-8")
    here = Path(__file__).parent
    defined = {key: set(re.findall(r"^def (test_\w+)", (here / name).read_text(encoding="utf-8"), re.M))
               for key, name in files.items()}
    named = re.findall(r"\b([hltsimbvc])::(test_\w+)", text)
    assert named
    missing = sorted({f"{k}::{n}" for k, n in named if n not in defined[k]})
    assert not missing
    for path in MODEL_FILES:
        for element in re.findall(r'<bpmn:(?:userTask|exclusiveGateway|inclusiveGateway|boundaryEvent|'
                                  r'businessRuleTask|sendTask) id="([^"]+)"', path.read_text(encoding="utf-8")):
            if element.startswith(("Task_", "Boundary_", "BusinessRule_", "Send_")):
                assert element in text, f"{element} ({path.stem}) staat niet in docs/traceability.md"


def test_bijlage_a_offers_read_the_same_in_intake_and_specialist_forms():
    """An offer is not cut off in one form and whole in another (labels with a comma once got truncated)."""
    intake = {c["value"]: c["label"] for f in FORMS["intakegesprek"]["fields"] if f["name"].startswith("aanbod_")
              for c in f["choices"]}
    for key in ("wonen", "financien", "gezondheid", "werk", "gezin"):
        [field] = [f for f in FORMS[f"hulp-{key}"]["fields"] if f["name"] == f"{key}_ingezette_hulp"]
        for choice in field["choices"]:
            if choice["value"] != "anders":
                assert choice["label"] == intake[choice["value"]], (key, choice["value"])
    for name, form in FORMS.items():
        for f in form["fields"]:
            for text in [f["label"], *(c["label"] for c in f.get("choices", []))]:
                assert text.count("(") == text.count(")"), (name, text)
