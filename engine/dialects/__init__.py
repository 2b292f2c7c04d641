"""What other tools wrote, in the shape Regie runs.

- ``camunda``: the preparation of a BPMN document (Camunda 7 and 8, Activiti, bpmn.io, Signavio, ...)
  before SpiffWorkflow parses it; its steps live in ``zeebe``, ``structure`` and ``forms``;
- ``feel``, ``juel``, ``xpath``: expression languages, translated into Regie's restricted language
  over one small parser base (``parser``); ``languages`` picks the one a text is written in.
"""

from __future__ import annotations

from .bpmn import REGIE_NS, SYNTHETIC
from .camunda import Prepared, prepare
from .feel import feel_to_expression
from .juel import juel_to_expression
from .languages import to_expression
from .xpath import xpath_to_expression

__all__ = [
    "REGIE_NS", "SYNTHETIC", "Prepared", "feel_to_expression", "juel_to_expression", "prepare",
    "to_expression", "xpath_to_expression",
]
