"""Zeebe's (Camunda 8) and Camunda 7's task extensions as the attributes SpiffWorkflow's parser reads."""

from __future__ import annotations

import ast
import json
import keyword
import re
from collections.abc import Callable
from typing import Any

from lxml import etree

from engine.errors import UnsafeExpression

from .bpmn import _b, _c, _r, _z
from .document import Document
from .feel import feel_name, feel_to_expression
from .languages import to_expression
from .parser import Refusal

MAX_JOB_RETRIES = 100       # engine.external.MAX_RETRIES
# Zeebe's job workers: the tasks that wait for one, and the message throw events Zeebe also gives to one.
JOB_TASKS = frozenset(_b(t) for t in ("serviceTask", "sendTask", "businessRuleTask", "scriptTask"))
JOB_EVENTS = frozenset(_b(t) for t in ("intermediateThrowEvent", "endEvent"))


def _local_name(text: str) -> str:
    """A name in a job's input mapping: the worker reads it, no expression does (so ``from`` is fine)."""
    name = "_".join(text.split())
    if not re.fullmatch(r"[^\W\d]\w*", name):
        raise Refusal(f"de naam '{text.strip()}' kan geen veld zijn. Gebruik letters, cijfers en _.")
    return name


def _literal_names(value: str) -> bool:
    """``= "clerks"`` or ``= ["clerks", "team"]``: a fixed list written as FEEL."""
    try:
        names = ast.literal_eval(feel_to_expression(value.strip()[1:]))
    except (UnsafeExpression, ValueError, SyntaxError):
        return False
    return isinstance(names, str) or (isinstance(names, list) and all(isinstance(n, str) for n in names))


class Dialects(Document):
    """Step 1 of the preparation: Zeebe and Camunda 7 extensions."""

    def dialect(self, element) -> None:
        """Zeebe's and Camunda 7's task extensions as the attributes the parser reads."""
        extensions = element.find(_b("extensionElements"))
        if extensions is not None:
            for item in extensions:
                handler = _ZEEBE_HANDLERS.get(item.tag) if isinstance(item.tag, str) else None
                if handler:
                    handler(self, element, item)
        loop = element.find(f"{_b('extensionElements')}/{_z('loopCharacteristics')}")
        if loop is not None and element.tag == _b("multiInstanceLoopCharacteristics"):
            self.zeebe_loop(element.getparent(), element, loop)
        for attribute, target in (("assignee", "assignee"), ("dueDate", "dueDate"), ("followUpDate", "followUpDate")):
            value = element.get(_c(attribute))
            if value is None:
                continue
            if attribute == "assignee":
                self.set_expression(element, target, value, literal=not ("${" in value or "#{" in value))
                del element.attrib[_c(attribute)]
            elif "${" in value or "#{" in value:
                self.set_expression(element, target, value)
                del element.attrib[_c(attribute)]
        value = element.get(_c("candidateGroups"), "")
        if "${" in value or "#{" in value:
            # computed per case when the task is created (engine.commands): the first group is the role
            self.set_expression(element, "candidateGroups", value)
            del element.attrib[_c("candidateGroups")]
        value = element.get(_c("candidateUsers"), "")
        if "${" in value or "#{" in value:
            self.problem(element.get("id", ""), f"camunda:candidateUsers '{value}' rekent de gebruikers uit. "
                         "Noem de gebruikers, of zet de gebruiker in camunda:assignee.")
        if element.tag == _b("messageEventDefinition") and "{" in (element.get(_c("expression")) or ""):
            self.payload(element)
        if element.get(_c("resultVariable")) and element.tag == _b("businessRuleTask"):
            element.set(_r("resultVariable"), element.get(_c("resultVariable")))
            element.set(_r("resultMapping"), element.get(_c("mapDecisionResult"), "resultList"))

    def payload(self, definition) -> None:
        """A thrown message's payload (``camunda:expression``) in Regie's language, where it is evaluated."""
        value = definition.get(_c("expression"))
        event = definition.getparent()
        try:
            translated = to_expression(value)
        except UnsafeExpression as err:
            self.problem(event.get("id", "") if event is not None else "", f"'{value}': {err.reason}")
            definition.set(_c("expression"), "None")
            return
        self.result.originals[translated] = value
        definition.set(_c("expression"), translated)

    def set_expression(self, element, attribute: str, value: str, literal: bool = False) -> None:
        """Put a translated expression in ``regie:<attribute>``; literals become Regie text."""
        if literal:
            element.set(_r(attribute), repr(value.strip()))
            return
        try:
            translated = to_expression(value)
        except UnsafeExpression as err:
            self.problem(element.get("id", ""), f"'{value}': {err.reason}")
            return
        self.result.originals[translated] = value
        element.set(_r(attribute), translated)

    def zeebe_assignment(self, element, item) -> None:
        for attribute in ("candidateGroups", "candidateUsers"):
            value = item.get(attribute)
            if value is None:
                continue
            if attribute == "candidateGroups" and value.strip().startswith("=") and not _literal_names(value):
                self.set_expression(element, "candidateGroups", value)   # computed per case, as in Camunda 7
                continue
            names = self.zeebe_names(element, value)
            if names is not None:
                element.set(_c(attribute), ",".join(names))
        if item.get("assignee"):
            value = item.get("assignee")
            self.set_expression(element, "assignee", value, literal=not value.strip().startswith("="))

    def zeebe_names(self, element, value: str) -> list[str] | None:
        text = value.strip()
        if not text.startswith("="):
            return [part.strip() for part in text.split(",") if part.strip()]
        try:
            names = ast.literal_eval(feel_to_expression(text[1:]))
        except (UnsafeExpression, ValueError, SyntaxError):
            names = None
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            self.problem(element.get("id", ""), f"'{value}' rekent de groep uit. Regie verdeelt taken over "
                         "vaste rollen: noem de rol(len), bijvoorbeeld clerks of [\"clerks\", \"team\"].")
            return None
        return names

    def zeebe_form(self, element, item) -> None:
        key = item.get("formKey") or item.get("formId") or ""
        if key.startswith("camunda-forms:bpmn:"):
            element.set(_r("camundaForm"), key.rsplit(":", 1)[-1])
        elif key and element.get(_c("formKey")) is None:
            element.set(_c("formKey"), key)

    def zeebe_called_element(self, element, item) -> None:
        process_id = item.get("processId", "")
        if process_id.startswith("="):
            self.problem(element.get("id", ""), f"'{process_id}' kiest het aangeroepen proces met een expressie. "
                         "Noem het proces bij zijn id.")
        elif process_id and not element.get("calledElement"):
            element.set("calledElement", process_id)

    def zeebe_decision(self, element, item) -> None:
        decision = item.get("decisionId", "")
        if decision.startswith("="):
            self.problem(element.get("id", ""), f"'{decision}' kiest de beslistabel met een expressie. "
                         "Noem de beslissing bij haar id.")
            return
        element.set(_c("decisionRef"), decision)
        if item.get("resultVariable"):
            element.set(_r("resultVariable"), item.get("resultVariable"))
            element.set(_r("resultMapping"), "zeebe")

    def zeebe_script(self, element, item) -> None:
        expression, target = item.get("expression", ""), item.get("resultVariable", "")
        if element.tag != _b("scriptTask") or element.find(_b("script")) is not None:
            return
        try:
            name = feel_name(target)
            translated = to_expression(expression)
        except Refusal as err:
            self.problem(element.get("id", ""), err.reason)
            return
        except UnsafeExpression as err:
            self.problem(element.get("id", ""), f"'{expression}': {err.reason}")
            return
        script = etree.SubElement(element, _b("script"))
        script.text = f"{name} = {translated}"
        self.result.originals[script.text] = f"{target} = {expression}"

    def zeebe_job(self, element, item) -> None:
        """A job worker (``zeebe:taskDefinition``): the task waits for a worker that fetches its ``type`` as the
        external-task topic (``engine.external``), as Camunda 7's ``camunda:type="external"`` does. ``retries``
        is the task's first retries count (Zeebe's default 3), ``zeebe:taskHeaders`` go to the worker with the
        task, and ``zeebe:ioMapping`` inputs are evaluated for the worker only (local to the job, as in Zeebe)."""
        eid = element.get("id", "")
        extensions = item.getparent()
        if element.tag not in JOB_TASKS:
            if element.tag in JOB_EVENTS:
                self.job_event(element, item)
            return
        if element.get(_c("type")) == "external" or element.get(_r("topic")) is not None:
            return      # the model names its topic for Camunda 7 (or Regie) as well: that one is used
        if element.tag == _b("businessRuleTask") and extensions.find(_z("calledDecision")) is not None:
            return      # the decision is called by Regie itself (zeebe_decision)
        if element.tag == _b("scriptTask") and extensions.find(_z("script")) is not None:
            return      # the script runs in Regie (zeebe_script)
        kind = (item.get("type") or "").strip()
        if kind.startswith("="):
            names = self.zeebe_names(element, kind) if _literal_names(kind) else None
            if names is None or len(names) != 1:
                self.problem(eid, f"zeebe:taskDefinition type '{kind}' kiest het type met een expressie. Noem het "
                             "type waarop de werker de taak ophaalt, bijvoorbeeld brief-versturen.")
                kind = "-"
            else:
                kind = names[0]
        retries = (item.get("retries") or "3").strip()
        if not retries.isdigit() or not 0 <= int(retries) <= MAX_JOB_RETRIES:
            self.problem(eid, f"zeebe:taskDefinition retries '{retries}' moet een aantal pogingen zijn van 0 tot en "
                         f"met {MAX_JOB_RETRIES}, bijvoorbeeld 3.")
            retries = "3"
        element.set(_r("topic"), kind)     # an empty type is refused with the external tasks (engine.dialects.services)
        element.set(_r("retries"), retries)
        element.set(_r("job"), "true")
        if element.tag in (_b("businessRuleTask"), _b("scriptTask")):
            element.set(_r("outside"), "true")
        headers = {h.get("key", ""): h.get("value", "") for h in extensions.iterfind(f"{_z('taskHeaders')}/{_z('header')}")
                   if h.get("key")}
        if headers:
            element.set(_r("headers"), json.dumps(headers, ensure_ascii=False, sort_keys=True))
        inputs = []
        for mapping in extensions.iterfind(f"{_z('ioMapping')}/{_z('input')}"):
            found = self.job_input(eid, mapping.get("target", ""), mapping.get("source", ""))
            if found is not None:
                inputs.append(found)
        if inputs:
            element.set(_r("inputs"), json.dumps(inputs, ensure_ascii=False))

    def job_input(self, eid: str, target: str, source: str) -> tuple[list[str], str] | None:
        """One input mapping of a job: (the target's path, ``from.email`` -> ["from", "email"], Regie expression).
        A source without ``=`` is text, as in Zeebe."""
        try:
            path = [_local_name(part) for part in target.strip().split(".")]
            text = source.strip()
            translated = to_expression(text) if text.startswith("=") else repr(source)
        except Refusal as err:
            self.problem(eid, f"zeebe:input '{target}': {err.reason}")
            return None
        except UnsafeExpression as err:
            self.problem(eid, f"zeebe:input '{target}' = '{text}': {err.reason}")
            return None
        if text.startswith("="):
            self.result.originals[translated] = text
        return path, translated

    def job_event(self, element, item) -> None:
        """Zeebe runs a message throw event with a ``zeebe:taskDefinition`` as a job; Regie does not (yet)."""
        self.notice(element.get("id", ""), f"Deze berichtgebeurtenis is in Camunda 8 werk voor een job worker "
                    f"(zeebe:taskDefinition type '{item.get('type') or '-'}'). Regie gooit het bericht binnen de zaak en "
                    "geeft geen werk aan een werker; teken een verzendtaak als een werker iets moet doen.")

    def zeebe_loop(self, activity, loop_element, item) -> None:
        collection = (item.get("inputCollection") or "").strip()
        where = activity.get("id", "") if activity is not None else ""
        if item.get("outputCollection") is not None:
            self.loop_output(where, item.get("outputCollection") or "", item.get("outputElement") or "")
        name = collection[1:].strip() if collection.startswith("=") else collection
        if not name.isidentifier() or keyword.iskeyword(name):
            self.problem(where, f"inputCollection '{collection}' moet de naam van een lijst in de zaak zijn, "
                         "bijvoorbeeld =documenten.")
            return
        loop_element.set(_c("collection"), name)
        if item.get("inputElement"):
            loop_element.set(_c("elementVariable"), item.get("inputElement"))


    def loop_output(self, where: str, collection: str, element: str) -> None:
        """Zeebe's ``outputCollection`` / ``outputElement``: each round's ``outputElement`` (a FEEL expression
        on that round's data) lands at the round's place in the list ``outputCollection``."""
        name = collection.strip()
        if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
            self.problem(where, f"outputCollection '{collection}' moet de naam van een lijst zijn, bijvoorbeeld "
                         "resultaten.")
            return
        if not element.strip():
            self.problem(where, f"outputCollection '{collection}' heeft een outputElement nodig: wat elke ronde "
                         "in de lijst zet, bijvoorbeeld =besluit.")
            return
        try:
            translated = to_expression(element if element.strip().startswith("=") else f"={element}")
        except UnsafeExpression as err:
            self.problem(where, f"outputElement '{element}': {err.reason}")
            return
        self.result.originals[translated] = element
        self.result.loop_outputs[where] = (name, translated)


_ZEEBE_HANDLERS: dict[str, Callable[[Dialects, Any, Any], None]] = {
    _z("assignmentDefinition"): Dialects.zeebe_assignment,
    _z("formDefinition"): Dialects.zeebe_form,
    _z("calledElement"): Dialects.zeebe_called_element,
    _z("calledDecision"): Dialects.zeebe_decision,
    _z("script"): Dialects.zeebe_script,
    _z("taskDefinition"): Dialects.zeebe_job,
}
