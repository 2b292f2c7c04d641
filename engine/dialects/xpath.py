"""XPath conditions as BPMN tools write them (the BPMN standard's default expression language).

As far as they read data objects: ``bpmn:getDataObject('approved')`` is the case field ``approved``;
``not(...)``, ``=``, ``and``/``or`` and ``true()``/``false()`` work as in FEEL, whose grammar this shares.
"""

from __future__ import annotations

import ast

from engine.errors import UnsafeExpression

from .feel import _FEEL_FUNCTIONS, _FEEL_KEYWORDS, _FEEL_LITERALS, _FeelParser, feel_name
from .parser import Refusal

__all__ = ["xpath_to_expression"]

_XPATH_DATA = frozenset({"getDataObject", "getDataInput", "getDataOutput"})
_XPATH_FUNCTIONS = {"true": (frozenset({0}), lambda a: "True"), "false": (frozenset({0}), lambda a: "False")}


def xpath_to_expression(text: str) -> str:
    """XPath conditions as BPMN tools write them: ``bpmn:getDataObject('approved')`` is the case field
    ``approved``; ``not(...)``, ``=``, ``and``/``or``, ``true()``. Raises ``UnsafeExpression``."""
    try:
        return _XPathParser(text).parse()
    except Refusal as err:
        raise UnsafeExpression(text.strip()[:300], err.reason) from None


class _XPathParser(_FeelParser):
    """FEEL's grammar with XPath's quotes, ``true()``/``false()`` and ``bpmn:getDataObject(...)``."""

    language = "XPath"
    functions = {**_FEEL_FUNCTIONS, **_XPATH_FUNCTIONS}
    named_arguments_refused = False

    def token(self, kind: str, text: str) -> tuple[str, str]:
        return kind, text   # XPath writes text in single quotes too

    def literal_here(self, text: str) -> bool:
        return text in _FEEL_LITERALS and self.peek(1) != ("op", "(")

    def name_here(self, text: str) -> bool:
        return text not in _FEEL_KEYWORDS or text in _XPATH_FUNCTIONS

    def words(self) -> list[str]:
        if self.peek()[1] in _XPATH_FUNCTIONS and self.peek(1) == ("op", "("):
            self.position += 1
            return [self.tokens[self.position - 1][1]]
        return super().words()

    def qualified(self, name: str) -> str | None:
        if not (self.peek() == ("op", ":") and self.peek(1)[0] == "name"):
            return None
        name = f"{name}:{self.tokens[self.position + 1][1]}"
        self.position += 2
        if self.take("(") and name.split(":")[1] in _XPATH_DATA:
            return self.data_object(name)
        raise Refusal(f"de XPath-functie '{name}' kan Regie niet uitvoeren. U kunt "
                      "bpmn:getDataObject('naam') gebruiken.")

    def data_object(self, function: str) -> str:
        """``bpmn:getDataObject('x')``: data objects are case fields in Regie."""
        args = self.items(")")
        try:
            names = [ast.literal_eval(arg) for arg in args]
        except (ValueError, SyntaxError):
            names = []
        if len(names) != 1 or not isinstance(names[0], str):
            raise Refusal(f"{function}(...) heeft de naam van het gegeven nodig, zoals {function}('bedrag').")
        return feel_name(names[0])
