"""Models are untrusted input: executable content for a browser and exploding YAML are refused at
validation and deploy, with the element they sit in, and nothing is stored."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import func, select

from engine import ModelError
from engine.forms import load_form
from engine.models.safety import check_xml
from engine.store.models import VersionRow
from tests.conftest import MODELS, ROOT

POLICY_MODELS = ROOT / "tests" / "engine" / "policy_models"
BASE = (MODELS / "aanvraag.bpmn").read_text(encoding="utf-8")
INTAKE = '<bpmn:userTask id="intake" name="Intake doen" camunda:formKey="intake" camunda:dueDate="P2D"/>'

HOSTILE_XML = {
    "html-script": ('<html:script xmlns:html="http://www.w3.org/1999/xhtml">alert(document.cookie)</html:script>',
                    "HTML-element <script>"),
    "svg-onload": ('<svg:svg xmlns:svg="http://www.w3.org/2000/svg" svg:onload="alert(1)"/>', "SVG-element <svg>"),
    "xhtml-iframe": ('<x:iframe xmlns:x="http://www.w3.org/1999/xhtml" src="https://kwaad.example"/>',
                     "HTML-element <iframe>"),
    "javascript-link": ('<x:link xmlns:x="urn:iets" xmlns:xlink="http://www.w3.org/1999/xlink" '
                        'xlink:href="javascript:alert(1)"/>', "script-link"),
}


def _with_extension(content: str) -> str:
    task = INTAKE.replace("/>", f"><bpmn:extensionElements>{content}</bpmn:extensionElements></bpmn:userTask>")
    return BASE.replace(INTAKE, task)


def _model_dir(tmp_path, bpmn: str):
    folder = tmp_path / "model"
    shutil.copytree(MODELS, folder)
    (folder / "aanvraag.bpmn").write_text(bpmn, encoding="utf-8")
    return folder


@pytest.mark.parametrize("name", sorted(HOSTILE_XML))
def test_executable_content_is_refused_at_validation_with_its_element(sqlite_engine, tmp_path, name):
    content, reason = HOSTILE_XML[name]
    problems = sqlite_engine.validate([_model_dir(tmp_path, _with_extension(content))])
    assert [(p.file, p.element_id) for p in problems] == [("aanvraag.bpmn", "intake")]
    assert reason in problems[0].message


def test_a_model_with_a_script_element_cannot_be_deployed_and_nothing_is_stored(engine, tmp_path):
    folder = _model_dir(tmp_path, _with_extension(HOSTILE_XML["html-script"][0]))
    with pytest.raises(ModelError) as err:
        engine.deploy([folder])
    assert "hoort niet in een procesmodel" in str(err.value)
    with engine.store.read() as tx:
        assert tx.session.scalar(select(func.count()).select_from(VersionRow)) == 0


def test_stylesheet_instruction_and_entity_declarations_are_refused():
    styled = BASE.replace("?>", '?>\n<?xml-stylesheet type="text/xsl" href="x.xsl"?>', 1)
    assert "stylesheet" in check_xml("a.bpmn", styled)[0].message
    doctype = BASE.replace("?>", '?>\n<!DOCTYPE d [<!ENTITY x "lol">]>', 1)
    assert "DOCTYPE" in check_xml("a.bpmn", doctype)[0].message


def test_ordinary_foreign_extensions_stay_allowed():
    assert check_xml("a.bpmn", _with_extension('<s:info xmlns:s="http://www.signavio.com" s:kleur="rood"/>')) == []
    assert check_xml("a.bpmn", BASE) == []


def test_yaml_aliases_are_refused_with_a_clear_message():
    form, problems = load_form("x", "title: X\nfields:\n  - &veld {name: a, type: text, label: A}\n  - *veld\n")
    assert form is None
    assert problems[0].message == ("Dit is geen geldige YAML (regel 3): verwijzingen (&anker en *alias) zijn in "
                                   "formulieren niet toegestaan. Schrijf de waarden gewoon uit.")


def test_billion_laughs_form_is_refused_by_validate(sqlite_engine, tmp_path):
    bomb = POLICY_MODELS / "bom.yaml"
    assert bomb.stat().st_size == 427
    problems = sqlite_engine.validate([bomb])
    assert [(p.file, p.element_id) for p in problems] == [("bom.yaml", "bom")]
    assert "verwijzingen (&anker en *alias)" in problems[0].message
