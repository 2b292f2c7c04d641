"""Validation as markers: each problem on the element a policy officer fixes (a condition's problem on
its sequence flow, a form problem on its task), plus warnings deploy lets pass."""

from __future__ import annotations

import pytest

from engine.definitions import SourceFile
from engine.expressions import Evaluator
from engine.models.markers import check, check_files, load_forms
from tests.conftest import MODELS

BPMN = (MODELS / "aanvraag.bpmn").read_text(encoding="utf-8")
FORMS = {p.stem: p.read_text(encoding="utf-8") for p in MODELS.glob("*.yaml")}
CONDITION = "akkoord == True and bedrag &lt; 1000"


def markers(bpmn: str = BPMN, forms: dict[str, str] | None = None):
    sources = [SourceFile("aanvraag.bpmn", "bpmn", bpmn)]
    sources += [SourceFile(f"{k}.yaml", "form", t) for k, t in (forms or {}).items()]
    loaded = load_forms({k: v for k, v in FORMS.items() if k not in (forms or {})})
    return [(m.element, m.severity, m.kind, m.message) for m in check(sources, Evaluator(), loaded)]


def test_a_correct_model_has_no_markers():
    assert markers() == []


@pytest.mark.parametrize("condition, kind, words", [
    ("__import__('os').system('x')", "expression", "'__import__('os').system('x')'"),
    ("akkoord == True and inkomen &lt; 1000", "unfilled", "leest 'inkomen', maar geen formulier, script of beslistabel"),
    ("akkoord == True and (", "expression", "'akkoord == True and ('"),
])
def test_a_condition_problem_is_marked_on_its_sequence_flow_not_the_gateway(condition, kind, words):
    found = markers(BPMN.replace(CONDITION, condition))
    assert [(e, s, k) for e, s, k, _ in found] == [("f_ja", "error", kind)]
    assert words in found[0][3]


def test_a_missing_form_is_marked_on_its_task():
    found = markers(BPMN.replace('camunda:formKey="intake"', 'camunda:formKey="bestaatniet"'))
    assert [(e, k) for e, _, k, _ in found] == [("intake", "form")]
    assert "Het formulier 'bestaatniet' bestaat niet" in found[0][3]


def test_a_broken_form_file_is_marked_on_every_task_that_uses_it():
    found = markers(forms={"intake": "title: Intake\nfields:\n  - name: a\n    type: onbekend\n    label: A\n"})
    assert [(e, k) for e, _, k, _ in found] == [("intake", "form")]
    assert found[0][3].startswith("Formulier intake.yaml: ")


def test_parse_errors_name_the_line():
    found = check_files({"aanvraag.bpmn": BPMN.replace("</bpmn:process>", "")}, Evaluator(), load_forms(FORMS))
    assert [(m.element, m.kind, m.line) for m in found] == [("", "parse", 30)]


def test_unsupported_elements_and_unsafe_content_are_errors():
    complex_gateway = BPMN.replace('<bpmn:exclusiveGateway id="gw" name="Akkoord?" default="f_nee"/>',
                                   '<bpmn:complexGateway id="gw" name="Akkoord?" default="f_nee"/>')
    assert [(e, k) for e, _, k, _ in markers(complex_gateway)] == [("gw", "unsupported")]
    script = BPMN.replace('<bpmn:endEvent id="end_klaar" name="Klaar"/>',
                          '<bpmn:endEvent id="end_klaar"><bpmn:extensionElements><h:script xmlns:h="http://www.w3.org/'
                          '1999/xhtml">x()</h:script></bpmn:extensionElements></bpmn:endEvent>')
    assert [(e, k) for e, _, k, _ in markers(script)] == [("end_klaar", "unsafe")]


def test_warnings_unknown_role_unreachable_element_gateway_without_default():
    model = (BPMN.replace('name="specialist"', 'name="schuldhulp"')
             .replace(' default="f_nee"', "")
             .replace('<bpmn:endEvent id="end_klaar" name="Klaar"/>',
                      '<bpmn:endEvent id="end_klaar" name="Klaar"/><bpmn:task id="los" name="Los"/>'))
    found = {(e, s, k) for e, s, k, _ in markers(model)}
    assert ("lane_sp", "warning", "role") in found
    assert ("los", "warning", "unreachable") in found
    assert ("gw", "warning", "no_default") in found
