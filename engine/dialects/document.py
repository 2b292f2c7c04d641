"""What the preparation of one BPMN document found and made, and the helpers every step uses."""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from engine.errors import ModelProblem
from engine.forms import Form

from .bpmn import _b


@dataclass
class Prepared:
    """What ``prepare`` found and made for one file."""

    problems: list[ModelProblem] = field(default_factory=list)
    originals: dict[str, str] = field(default_factory=dict)   # translated expression -> model text
    forms: dict[str, Form] = field(default_factory=dict)      # element id -> generated form
    synthetic: dict[str, str] = field(default_factory=dict)   # added element id -> its model element
    notices: list[ModelProblem] = field(default_factory=list)  # what will not run as drawn; deploy goes on
    # multi-instance activity id -> (output collection, Regie expression of the output element): Zeebe's
    # outputCollection / outputElement, collected per round by engine.spiff's multi-instance tasks
    loop_outputs: dict[str, tuple[str, str]] = field(default_factory=dict)


class Document:
    """One parsed BPMN document being prepared; the steps (``camunda``, ``zeebe``, ``structure``) extend it."""

    def __init__(self, root, filename: str):
        self.root = root
        self.filename = filename
        self.result = Prepared()

    def problem(self, element_id: str, message: str) -> None:
        self.result.problems.append(ModelProblem(self.filename, element_id, message))

    def notice(self, element_id: str, message: str) -> None:
        """What will not run as drawn; the model deploys (a warning)."""
        self.result.notices.append(ModelProblem(self.filename, element_id, message, "warning"))

    @staticmethod
    def flow(container, source: str, target: str, flow_id: str) -> None:
        etree.SubElement(container, _b("sequenceFlow"), id=flow_id, sourceRef=source, targetRef=target)

    def same_lane(self, element_id: str, new_id: str) -> None:
        for ref in list(self.root.iter(_b("flowNodeRef"))):
            if (ref.text or "").strip() == element_id:
                etree.SubElement(ref.getparent(), _b("flowNodeRef")).text = new_id
