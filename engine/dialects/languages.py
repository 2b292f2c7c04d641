"""Which expression language a model's text is in, and its translation into Regie's."""

from __future__ import annotations

import re

from engine.errors import UnsafeExpression

from .feel import feel_to_expression
from .juel import juel_to_expression
from .xpath import xpath_to_expression

FEEL_LANGUAGE = re.compile(r"feel", re.IGNORECASE)
XPATH_LANGUAGE = re.compile(r"xpath", re.IGNORECASE)
SCRIPT_LANGUAGES = frozenset({"javascript", "js", "ecmascript", "groovy", "ruby", "jruby", "jython"})


def to_expression(text: str, feel: bool = False, xpath: bool = False) -> str:
    """A model's expression in Regie's language: FEEL (``= ...`` or ``feel``), JUEL (``${...}``),
    XPath (``xpath``, the BPMN standard's default, as far as it reads data objects) or Regie's own.
    Raises ``UnsafeExpression`` for what Regie cannot (or may not) run."""
    stripped = (text or "").strip()
    if stripped.startswith("="):
        return feel_to_expression(stripped[1:])
    if feel:
        return feel_to_expression(stripped)
    if "${" in stripped or "#{" in stripped:
        return juel_to_expression(stripped.replace("#{", "${"))
    if xpath:
        try:
            return xpath_to_expression(stripped)
        except UnsafeExpression:
            return text   # tools declare XPath by default; the text may be Regie's own
    return text
