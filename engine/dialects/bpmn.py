"""Namespaces and the element families the preparation works with."""

from __future__ import annotations

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
ACTIVITI_NS = "http://activiti.org/bpmn"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
REGIE_NS = "https://regie.dev/schema/bpmn"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"

SYNTHETIC = "__"   # marks ids of elements Regie adds: '<element id>__<what>'
REGIE_SCRIPT_FORMATS = frozenset({"", "python", "regie", "text/x-python"})


def _b(tag: str) -> str:
    return f"{{{BPMN_NS}}}{tag}"


def _c(name: str) -> str:
    return f"{{{CAMUNDA_NS}}}{name}"


def _z(name: str) -> str:
    return f"{{{ZEEBE_NS}}}{name}"


def _r(name: str) -> str:
    return f"{{{REGIE_NS}}}{name}"


FLOW_NODES = frozenset(_b(t) for t in (
    "task", "userTask", "manualTask", "serviceTask", "sendTask", "receiveTask", "scriptTask",
    "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess",
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent",
    "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway",
))
CONTAINERS = frozenset(_b(t) for t in ("process", "subProcess", "transaction"))
# Work done outside Regie: a person does it and confirms it in the inbox.
OUTSIDE_WORK = frozenset(_b(t) for t in ("serviceTask", "sendTask", "receiveTask"))
DOCUMENTATION_ONLY = frozenset(_b(t) for t in (
    "dataStore", "dataInputAssociation", "dataOutputAssociation", "ioSpecification",
))
EVENT_DATA = frozenset(_b(t) for t in ("dataInput", "dataOutput", "inputSet", "outputSet"))
EXPRESSION_TAGS = frozenset(_b(t) for t in (
    "conditionExpression", "timeDate", "timeDuration", "timeCycle", "loopCardinality",
    "completionCondition", "loopCondition", "condition",
))
# In a FEEL (or XPath) document these are FEEL (XPath); timers stay ISO-8601 text unless '= ...'.
FEEL_BY_DEFAULT = frozenset(_b(t) for t in (
    "conditionExpression", "loopCardinality", "completionCondition", "loopCondition", "condition",
))
START_TRIGGERS = frozenset(_b(t) for t in ("messageEventDefinition", "signalEventDefinition"))
