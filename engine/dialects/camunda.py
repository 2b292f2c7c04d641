"""Models drawn in other tools, made into models Regie can run.

Policy staff draw in Camunda Modeler (Camunda 7 or 8/Zeebe), the bpmn.io web modeler, Signavio,
Trisotech and others. SpiffWorkflow parses the BPMN standard and a little of Camunda 7; everything
else is handled here, on the parsed XML document, before SpiffWorkflow sees it (``prepare``). The
stored bundle keeps the file exactly as uploaded; the preparation is repeated, deterministically,
whenever a version is loaded. What it does, in order:

1. Dialects: Activiti's namespace is Camunda 7's; Zeebe's assignment, form, call, decision,
   multi-instance and script extensions become the Camunda 7 attributes the parser reads.
2. Documentation only: data stores, data associations and input/output specifications describe
   data but have no implementation in Regie (as in Camunda); they are removed before parsing.
3. Work that happens outside Regie (service and send tasks, receive tasks without a message, decisions of
   an external service) becomes a task in the inbox: a person does it. External tasks (Camunda 7's topics,
   Zeebe's job workers) wait for a worker (``engine.external``); a receive task with a ``messageRef`` waits
   for its message (``engine.messages``).
4. Expressions: JUEL (``${...}``) and FEEL (Zeebe's ``= ...``, or a FEEL document) are translated
   into Regie's restricted expression language; anything outside the common subset is refused with
   the element id, the expression and the reason. Output mappings become a script step.
5. Structure: a top-level message start is the start of a case; a subprocess without start or end
   event gets one; an exclusive gateway whose routes have no conditions is a choice for a person.
6. Forms: ``camunda:formData`` and Camunda Forms (Zeebe) become Regie forms when no YAML form of
   that name exists.
"""

from __future__ import annotations

import json
import re
from typing import Any

from lxml import etree

from engine.errors import UnsafeExpression
from engine.forms import Form

from .bpmn import (
    ACTIVITI_NS,
    DOCUMENTATION_ONLY,
    EVENT_DATA,
    EXPRESSION_TAGS,
    FEEL_BY_DEFAULT,
    FLOW_NODES,
    OUTSIDE_WORK,
    REGIE_SCRIPT_FORMATS,
    SYNTHETIC,
    _b,
    _c,
    _r,
    _z,
)
from .document import Prepared
from .feel import feel_name
from .forms import form_from_camunda_form, form_from_form_data
from .languages import FEEL_LANGUAGE, SCRIPT_LANGUAGES, XPATH_LANGUAGE, to_expression
from .parser import Refusal
from .services import Services
from .structure import Structure
from .zeebe import Dialects

__all__ = ["Prepared", "prepare"]


def prepare(root, filename: str) -> Prepared:
    """Rewrite a parsed BPMN document in place into the shape Regie runs (see the module docstring)."""
    return _Preparer(root, filename).run()


class _Preparer(Dialects, Services, Structure):
    def __init__(self, root, filename: str):
        super().__init__(root, filename)
        language = root.get("expressionLanguage", "") if etree.QName(root).localname == "definitions" else ""
        self.feel = bool(FEEL_LANGUAGE.search(language))
        self.xpath = bool(XPATH_LANGUAGE.search(language))
        self.camunda_forms: dict[str, tuple[dict[str, Any] | None, str]] = {}

    def run(self) -> Prepared:
        self.alias_activiti()
        self.documentation_only()
        for process in self.root.iterfind(f".//{_b('process')}"):
            if process.get("isExecutable") != "true":
                continue
            self.collect_camunda_forms(process)
            self.flow_ids(process)
            for element in list(process.iter()):
                if isinstance(element.tag, str):
                    self.dialect(element)
            self.automated_steps(process)
            self.decision_results(process)
            self.listeners(process)
            self.outside_work(process)
            self.performers(process)
            self.script_formats(process)
            self.choices(process)
            self.expressions(process)
            self.output_mappings(process)
            self.start_events(process)
            for container in [process, *process.iter(_b("subProcess"), _b("transaction"))]:
                self.links(container)
                self.implicit_splits(container)
                self.missing_start_and_end(container)
            self.forms(process)
        return self.result

    # 1. dialects ---------------------------------------------------------------------------------

    def alias_activiti(self) -> None:
        """Activiti's extension namespace means the same as Camunda 7's (Signavio writes it)."""
        prefix = "{" + ACTIVITI_NS + "}"
        for element in self.root.iter():
            if not isinstance(element.tag, str):
                continue
            if element.tag.startswith(prefix):
                element.tag = _c(element.tag[len(prefix):])
            for key in [k for k in element.attrib if k.startswith(prefix)]:
                value = element.attrib.pop(key)
                if _c(key[len(prefix):]) not in element.attrib:
                    element.set(_c(key[len(prefix):]), value)

    def collect_camunda_forms(self, process) -> None:
        for item in process.iterfind(f"{_b('extensionElements')}/{_z('userTaskForm')}"):
            try:
                schema = json.loads(item.text or "")
            except ValueError:
                schema = None
            self.camunda_forms[item.get("id", "")] = (schema, item.get("id", ""))

    # 2. documentation only ----------------------------------------------------------------------

    def documentation_only(self) -> None:
        """Data stores, data associations and I/O specifications describe; Regie does not run them."""
        for element in list(self.root.iter()):
            if not isinstance(element.tag, str):
                continue
            parent = element.getparent()
            if parent is None:
                continue
            if element.tag in DOCUMENTATION_ONLY or (
                element.tag in EVENT_DATA and parent.tag.endswith("Event")
            ):
                parent.remove(element)

    # 3. work outside Regie ----------------------------------------------------------------------

    def outside_work(self, process) -> None:
        for element in list(process.iter()):
            if not isinstance(element.tag, str):
                continue
            outside = element.tag in OUTSIDE_WORK or element.get(_r("outside")) == "true" or (
                element.tag == _b("businessRuleTask") and not element.get(_c("decisionRef")))
            if element.tag == _b("receiveTask") and element.get("messageRef"):
                outside = False   # waits for its message (engine.messages: the API, `regie message`)
            if outside:
                element.tag = _b("userTask")

    def performers(self, process) -> None:
        """BPMN's own ``potentialOwner`` (a resource, or a plain expression naming one) is the role, when
        the model has no Camunda assignment."""
        resources = {r.get("id"): r.get("name") for r in self.root.iter(_b("resource"))}
        for task in process.iter(_b("userTask")):
            if any(task.get(_c(a)) for a in ("candidateGroups", "candidateUsers")):
                continue
            roles = []
            for owner in task.iterfind(_b("potentialOwner")):
                text = (owner.findtext(f"{_b('resourceAssignmentExpression')}/{_b('formalExpression')}") or "").strip()
                name = text if re.fullmatch(r"[\w .-]+", text) else resources.get((owner.findtext(_b("resourceRef")) or "").strip())
                if name and name.strip() not in roles:
                    roles.append(" ".join(name.split()))
            if roles:
                task.set(_c("candidateGroups"), ",".join(roles))

    def script_formats(self, process) -> None:
        """Scripts in another language are refused once, here; their text is not checked again as Regie's."""
        for element in process.iter(_b("scriptTask")):
            language = (element.get("scriptFormat") or "").strip().lower()
            if language not in REGIE_SCRIPT_FORMATS:
                self.problem(element.get("id", ""), f"scripts in '{element.get('scriptFormat')}' kan Regie niet "
                             "uitvoeren. Schrijf het script in Regie's taal (scriptFormat=\"python\").")
            elif element.get(_c("resource")):
                self.problem(element.get("id", ""), "een script uit een ander bestand (camunda:resource) kan Regie "
                             "niet uitvoeren. Zet het script in de taak zelf.")
            else:
                continue
            script = element.find(_b("script"))
            if script is None:
                script = etree.SubElement(element, _b("script"))
            script.text = "pass"   # the version is refused anyway

    # 4. expressions -----------------------------------------------------------------------------

    def expressions(self, process) -> None:
        for element in process.iter(*EXPRESSION_TAGS):
            text = element.text or ""
            language = (element.get("language") or "").strip()
            if not text.strip() or language.lower() in ("regie", "python"):
                continue
            owner = self.owner(element)
            if language.lower() in SCRIPT_LANGUAGES:
                self.problem(owner, f"'{text.strip()}': voorwaarden in {language} kan Regie niet uitvoeren. "
                             "Schrijf de voorwaarde in Regie's taal, JUEL (${...}) of FEEL (= ...).")
                element.text = "False"
                continue
            by_default = element.tag in FEEL_BY_DEFAULT
            feel = bool(FEEL_LANGUAGE.search(language)) or (self.feel and by_default)
            xpath = bool(XPATH_LANGUAGE.search(language)) or (self.xpath and by_default)
            try:
                translated = to_expression(text, feel, xpath)
            except UnsafeExpression as err:
                self.problem(owner, f"'{text.strip()}': {err.reason}")
                element.text = "False"   # reported once, here; the version is refused anyway
                continue
            if translated != text:
                self.result.originals[translated] = text.strip()
                element.text = translated

    def owner(self, element) -> str:
        """The element id a person looks for: a flow's gateway, else the element the expression is in."""
        node = element.getparent()
        if node is not None and node.tag == _b("sequenceFlow"):
            return node.get("sourceRef", "")
        while node is not None and node.tag not in FLOW_NODES and node.tag != _b("boundaryEvent"):
            node = node.getparent()
        return node.get("id", "") if node is not None else ""

    def output_mappings(self, process) -> None:
        """Output mappings copy results into the case: a script step right after the element. A Zeebe job
        worker's output mappings are kept on the task instead (``regie:outputs``): they read the worker's
        variables, and only what they name goes into the case (``engine.cases``), as in Zeebe."""
        for element in list(process.iter(*FLOW_NODES)):
            lines, texts = [], []
            for target, source in self.outputs(element):
                try:
                    name = feel_name(target)
                    translated = to_expression(source) if source.strip().startswith(("=", "${", "#{")) else repr(source)
                except Refusal as err:
                    self.problem(element.get("id", ""), err.reason)
                    continue
                except UnsafeExpression as err:
                    self.problem(element.get("id", ""), f"'{source.strip()}': {err.reason}")
                    continue
                lines.append(f"{name} = {translated}")
                texts.append(f"{target} = {source.strip()}")
            if lines and element.get(_r("job")) == "true":
                element.set(_r("outputs"), json.dumps([line.split(" = ", 1) for line in lines], ensure_ascii=False))
                for line, text in zip(lines, texts, strict=True):
                    self.result.originals[line.split(" = ", 1)[1]] = text.split(" = ", 1)[1]
            elif lines:
                script = "\n".join(lines)
                self.result.originals[script] = "\n".join(texts)
                self.insert_after(element, "uitvoer", script)

    def outputs(self, element):
        extensions = element.find(_b("extensionElements"))
        if extensions is None:
            return
        for item in extensions.iterfind(f"{_z('ioMapping')}/{_z('output')}"):
            yield item.get("target", ""), item.get("source", "")
        for item in extensions.iterfind(f"{_c('inputOutput')}/{_c('outputParameter')}"):
            if len(item):
                self.problem(element.get("id", ""), f"camunda:outputParameter '{item.get('name')}' gebruikt een "
                             "lijst, tabel of script; Regie kent alleen een tekst of een ${...}-expressie.")
                continue
            yield item.get("name", ""), item.text or ""

    def insert_after(self, element, what: str, script: str) -> None:
        node_id = element.get("id", "")
        step_id = f"{node_id}{SYNTHETIC}{what}"
        parent = element.getparent()
        step = etree.SubElement(parent, _b("scriptTask"), id=step_id, name=element.get("name") or node_id,
                                scriptFormat="python")
        etree.SubElement(step, _b("script")).text = script
        for flow in parent.iterfind(_b("sequenceFlow")):
            if flow.get("sourceRef") == node_id:
                flow.set("sourceRef", step_id)
        etree.SubElement(parent, _b("sequenceFlow"), id=f"{step_id}{SYNTHETIC}in", sourceRef=node_id, targetRef=step_id)
        self.same_lane(node_id, step_id)
        self.result.synthetic[step_id] = node_id

    # 6. forms -----------------------------------------------------------------------------------

    def forms(self, process) -> None:
        for element in process.iter(_b("userTask"), _b("startEvent")):
            eid = element.get("id", "")
            title = " ".join((element.get("name") or eid).split())
            camunda_form = element.get(_r("camundaForm"))
            if camunda_form:
                schema, form_id = self.camunda_forms.get(camunda_form, (None, camunda_form))
                if schema is None:
                    self.problem(eid, f"het formulier '{camunda_form}' staat niet (als geldige JSON) in het model.")
                    continue
                made: tuple[Form | None, list[str]] = form_from_camunda_form(form_id, schema, title)
            else:
                made = form_from_form_data(element, title)
            form, refused = made
            for reason in refused:
                self.problem(eid, reason)
            if form is not None and not refused:
                self.result.forms[eid] = form
