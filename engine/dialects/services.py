"""Automated work in Camunda models: what Regie runs itself, and what becomes work for a person, said out loud.

A service or send task whose ``camunda:expression`` the evaluator can run becomes a script step (its
``camunda:resultVariable`` receives the value; ``${execution.setVariable('x', ...)}`` sets ``x``), so
``${true}`` placeholders complete by themselves. External tasks (``camunda:type="external"`` with a
``camunda:topic``, Zeebe's job workers ``zeebe:taskDefinition type``, or Regie's ``regie:topic``) wait for a
worker, and ``regie:connector`` for a built-in connector (``engine.external``). Java code (``camunda:class``,
``delegateExpression``) and Camunda 7 connectors cannot run in Regie: the task stays a task for a person, and a
notice says so. Listeners with an expression that only sets data become script steps before or after their
element; any other listener is reported, never silently dropped.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from engine.errors import UnsafeExpression

from .bpmn import FLOW_NODES, SYNTHETIC, _b, _c, _r, _z
from .document import Document
from .juel import DECISION_RESULT, juel_to_script

MANUAL = "Deze stap wordt daarom een taak voor een persoon in de werkvoorraad: die doet het werk en rondt de taak af."
# Listener event -> where its script step goes.
_BEFORE = frozenset({"start", "create", "assignment"})
_AFTER = frozenset({"end", "complete"})


class Services(Document):
    """Service tasks and listeners (a step of the preparation, before work outside Regie becomes manual)."""

    def automated_steps(self, process) -> None:
        for element in list(process.iter(_b("serviceTask"), _b("sendTask"))):
            eid = element.get("id", "")
            expression = element.get(_c("expression"))
            if element.get(_r("topic")) is not None or element.get(_r("connector")) is not None:
                self.external_task(element)
            elif element.get(_c("type")) == "external":
                element.set(_r("topic"), element.get(_c("topic")) or "")
                self.external_task(element)
            elif expression is not None:
                self.expression_step(element, expression)
            elif element.get(_c("class")) or element.get(_c("delegateExpression")):
                attribute = "class" if element.get(_c("class")) else "delegateExpression"
                self.notice(eid, f"De Java-code '{element.get(_c(attribute))}' (camunda:{attribute}) kan Regie niet "
                            f"uitvoeren. {MANUAL}")
            elif element.find(f"{_b('extensionElements')}/{_c('connector')}") is not None:
                self.notice(eid, f"Een connector (camunda:connector) kan Regie niet uitvoeren. {MANUAL}")
            else:
                self.notice(eid, f"Deze {'servicetaak' if element.tag == _b('serviceTask') else 'verzendtaak'} zegt "
                            f"niet wat er automatisch moet gebeuren. {MANUAL}")

        for element in process.iter(_b("businessRuleTask"), _b("scriptTask")):
            if element.get(_r("job")) == "true":      # a Zeebe job worker (engine.dialects.zeebe)
                self.external_task(element)

    def external_task(self, element) -> None:
        """Work for a worker that fetches it by topic, or for a built-in connector (``engine.external``)."""
        from engine.external import CONNECTORS

        eid = element.get("id", "")
        connector = element.get(_r("connector"))
        if connector is not None:
            if connector.strip() not in CONNECTORS:
                self.problem(eid, f"De connector '{connector}' kent Regie niet. Kies uit: {', '.join(sorted(CONNECTORS))}.")
        elif not (element.get(_r("topic")) or "").strip():
            self.problem(eid, "Geef het topic waarop werkers deze taak ophalen (camunda:topic, regie:topic of het "
                         "type van zeebe:taskDefinition).")
        template = element.get(_z("modelerTemplate")) or ""
        if element.get(_r("job")) == "true" and template.startswith("io.camunda.connectors."):
            self.notice(eid, f"Dit is een Camunda-connector ({template}). Regie geeft de taak aan een werker die "
                        f"type '{element.get(_r('topic'))}' ophaalt via /api/v1/external-tasks; Camunda's eigen "
                        "connectoren praten niet met Regie, dus zet daar een werker voor neer.")

    def expression_step(self, element, expression: str) -> None:
        """``camunda:expression`` the evaluator can run: the task becomes a script step."""
        eid = element.get("id", "")
        try:
            script = juel_to_script(expression)
        except UnsafeExpression as err:
            self.notice(eid, f"'{expression.strip()}': {err.reason} {MANUAL}")
            return
        result = (element.get(_c("resultVariable")) or "").strip()
        if result and " = " not in script:
            if not result.isidentifier() or result.startswith("_"):
                self.notice(eid, f"camunda:resultVariable '{result}' is geen bruikbare naam (letters, cijfers en _). "
                            f"{MANUAL}")
                return
            script = f"{result} = {script}"
        element.tag = _b("scriptTask")
        element.set("scriptFormat", "python")
        etree.SubElement(element, _b("script")).text = script
        self.result.originals[script] = expression.strip()

    def decision_results(self, process) -> None:
        """A business rule task whose listeners or output mappings read Camunda 7's ``decisionResult``
        (``getSingleResult()``, ``getSingleEntry()``, ...) keeps its result in the field ``decisionResult``."""
        for element in process.iter(_b("businessRuleTask")):
            extensions = element.find(_b("extensionElements"))
            if extensions is None:
                continue
            texts = [listener.get("expression") or "" for listener in extensions
                     if listener.tag in (_c("executionListener"), _c("taskListener"))]
            texts += [item.text or "" for item in extensions.iterfind(f"{_c('inputOutput')}/{_c('outputParameter')}")]
            if any(DECISION_RESULT in text for text in texts):
                element.set(_r("decisionResult"), "true")

    def listeners(self, process) -> None:
        """Execution and task listeners: expressions that set data run as script steps; others are reported."""
        for element in list(process.iter()):
            if not isinstance(element.tag, str):
                continue
            extensions = element.find(_b("extensionElements"))
            if extensions is None:
                continue
            before: list[Any] = []
            after: list[Any] = []
            for listener in extensions:
                if listener.tag not in (_c("executionListener"), _c("taskListener")):
                    continue
                kind = "executionListener" if listener.tag == _c("executionListener") else "taskListener"
                event = (listener.get("event") or ("start" if kind == "executionListener" else "create")).strip()
                script = self.listener_script(element, listener, kind, event)
                if script is None:
                    continue
                (before if event in _BEFORE and element.tag != _b("startEvent") else after).append(
                    (script, listener.get("expression", "").strip()))
            for position, items in (("voor", before), ("na", after)):
                if items:
                    script = "\n".join(s for s, _ in items)
                    self.result.originals[script] = "\n".join(t for _, t in items)
                    self.insert_step(element, position, script)

    def listener_script(self, element, listener, kind: str, event: str) -> str | None:
        eid = element.get("id", "")
        where = f"De listener (camunda:{kind}, event '{event}')"
        expression = listener.get("expression")
        placeable = element.tag in FLOW_NODES and element.tag not in (_b("boundaryEvent"),) and (
            event in _BEFORE or event in _AFTER)
        if expression is None:
            code = listener.get("class") or listener.get("delegateExpression")
            what = f"met Java-code '{code}'" if code else "met een script"
            self.notice(eid, f"{where} {what} voert Regie niet uit. Als hij gegevens zet die het proces "
                        "later leest: zet dat in een scripttaak.")
            return None
        if not placeable:
            self.notice(eid, f"{where} '{expression}' voert Regie hier niet uit. Zet wat hij doet in een scripttaak.")
            return None
        try:
            return juel_to_script(expression)
        except UnsafeExpression as err:
            self.notice(eid, f"{where} '{expression}' voert Regie niet uit: {err.reason}")
            return None

    def insert_step(self, element, position: str, script: str) -> None:
        """A script step right before or after ``element`` (``position`` 'voor' or 'na')."""
        node_id = element.get("id", "")
        step_id = f"{node_id}{SYNTHETIC}{position}"
        parent = element.getparent()
        step = etree.SubElement(parent, _b("scriptTask"), id=step_id, name=element.get("name") or node_id,
                                scriptFormat="python")
        etree.SubElement(step, _b("script")).text = script
        if position == "voor":
            for flow in parent.iterfind(_b("sequenceFlow")):
                if flow.get("targetRef") == node_id:
                    flow.set("targetRef", step_id)
            self.flow(parent, step_id, node_id, f"{step_id}{SYNTHETIC}uit")
        else:
            for flow in parent.iterfind(_b("sequenceFlow")):
                if flow.get("sourceRef") == node_id:
                    flow.set("sourceRef", step_id)
            self.flow(parent, node_id, step_id, f"{step_id}{SYNTHETIC}in")
        self.same_lane(node_id, step_id)
        self.result.synthetic[step_id] = node_id
