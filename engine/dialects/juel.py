"""Camunda 7's JUEL (``${...}``): the subset real models use, translated into Regie's language.

The translation is checked by the restricted evaluator like any expression a person writes in Regie;
anything outside the subset is refused with the model's own text and the reason.
"""

from __future__ import annotations

import keyword
import re

from engine.errors import UnsafeExpression
from engine.expressions.check import _compile, _parse_size
from engine.expressions.messages import EMPTY, Refusal, _shown

from .parser import TokenParser, tokenize

__all__ = ["juel_to_expression"]

_JUEL_TOKEN = re.compile(
    r"""(?:
      (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<op>&&|\|\||==|!=|<=|>=|[-+*/%<>!?:.,()\[\]])
    )""",
    re.VERBOSE,
)
_JUEL_LITERALS = {"true": "True", "false": "False", "null": "None"}
_JUEL_RESERVED = frozenset({"and", "or", "not", "eq", "ne", "lt", "gt", "le", "ge", "div", "mod",
                            "empty", "instanceof"})
# Python precedence levels used to add only the parentheses the result needs.
_TERNARY, _OR, _AND, _NOT, _COMPARE, _SUM, _PRODUCT, _NEGATIVE, _ATOM = range(1, 10)
_JUEL_BINARY = [  # (level, JUEL spellings -> Python operator), loosest first
    (_OR, {"||": "or", "or": "or"}),
    (_AND, {"&&": "and", "and": "and"}),
    (_COMPARE, {"==": "==", "!=": "!=", "eq": "==", "ne": "!="}),
    (_COMPARE, {"<": "<", ">": ">", "<=": "<=", ">=": ">=", "lt": "<", "gt": ">", "le": "<=",
                "ge": ">="}),
    (_SUM, {"+": "+", "-": "-"}),
    (_PRODUCT, {"*": "*", "/": "/", "div": "/", "%": "%", "mod": "%"}),
]


def _wrap(part: tuple[str, int], level: int) -> str:
    source, own = part
    return source if own >= level else f"({source})"


def _juel_string(token: str) -> str:
    return repr(re.sub(r"\\(.)", r"\1", token[1:-1]))


class _JuelParser(TokenParser):
    """Recursive descent over the JUEL subset Camunda models use; emits our syntax."""

    language = "JUEL"

    def __init__(self, source: str):
        super().__init__(list(tokenize(source, _JUEL_TOKEN, self.language)))

    def parse(self) -> str:
        if not self.tokens:
            raise Refusal(EMPTY)
        result = self.ternary()
        if self.position < len(self.tokens):
            raise self.unexpected(self.tokens[self.position][1])
        return result[0]

    def ternary(self) -> tuple[str, int]:
        return self.nested(self.conditional)

    def conditional(self) -> tuple[str, int]:
        condition = self.binary(0)
        if self.take("?") is None:
            return condition
        yes = self.ternary()
        self.expect(":")
        no = self.ternary()
        return f"{_wrap(yes, _OR)} if {_wrap(condition, _OR)} else {_wrap(no, _TERNARY)}", _TERNARY

    def binary(self, index: int) -> tuple[str, int]:
        if index == len(_JUEL_BINARY):
            return self.unary()
        level, spellings = _JUEL_BINARY[index]
        left = self.binary(index + 1)
        while (found := self.take(*spellings)) is not None:
            right = self.binary(index + 1)
            # Comparisons never chain (JUEL `a == b == c` is `(a == b) == c`); - and / are left-assoc.
            left_level = level + 1 if level == _COMPARE else level
            right_level = level if level in (_OR, _AND) else level + 1
            left = f"{_wrap(left, left_level)} {spellings[found]} {_wrap(right, right_level)}", level
        return left

    def unary(self) -> tuple[str, int]:
        if self.take("-") is not None:
            return f"-{_wrap(self.nested(self.unary), _NEGATIVE)}", _NEGATIVE
        if self.take("!", "not", "empty") is not None:
            return f"not {_wrap(self.nested(self.unary), _NOT)}", _NOT
        return self.value()

    def value(self) -> tuple[str, int]:
        kind, text = self.peek()
        self.position += 1
        if kind == "number":
            result = text, _ATOM
        elif kind == "string":
            result = _juel_string(text), _ATOM
        elif kind == "name" and text in _JUEL_LITERALS:
            return _JUEL_LITERALS[text], _ATOM
        elif kind == "name" and text == "execution":
            result = self.execution_variable(), _ATOM
        elif kind == "name" and text not in _JUEL_RESERVED:
            if keyword.iskeyword(text):
                raise Refusal(f"de naam '{text}' kan niet: het is een gereserveerd woord.")
            result = text, _ATOM
        elif text == "(":
            inner = self.ternary()
            self.expect(")")
            return inner
        else:
            raise self.unexpected(text)
        return self.suffixes(result)

    def suffixes(self, base: tuple[str, int]) -> tuple[str, int]:
        while True:
            if self.take(".") is not None:
                kind, name = self.peek()
                if kind != "name":
                    raise Refusal("na '.' hoort de naam van een veld.")
                self.position += 1
                if self.peek() == ("op", "("):
                    raise Refusal(f"'.{name}(...)' roept een methode aan; dat kan niet. Gebruik "
                                   "alleen de naam van het gegeven.")
                plain = name.isidentifier() and not keyword.iskeyword(name)
                base = (f"{base[0]}.{name}" if plain else f"{base[0]}[{name!r}]"), _ATOM
            elif self.take("[") is not None:
                key = self.ternary()
                self.expect("]")
                base = f"{base[0]}[{key[0]}]", _ATOM
            elif self.peek() == ("op", "("):
                raise Refusal(f"'{base[0]}(...)' roept een functie aan; dat kan niet in een "
                               "JUEL-expressie. Schrijf de expressie in de vorm van Regie.")
            else:
                return base

    def execution_variable(self) -> str:
        """``execution.getVariable('x')`` is just the case field ``x``."""
        usage = "'execution' kan alleen als execution.getVariable('naam')."
        if self.take(".") is None or self.take("getVariable") is None or self.take("(") is None:
            raise Refusal(usage)
        kind, text = self.peek()
        self.position += 1
        name = re.sub(r"\\(.)", r"\1", text[1:-1]) if kind == "string" else ""
        if not name.isidentifier() or keyword.iskeyword(name) or self.take(")") is None:
            raise Refusal(usage)
        return name


_JUEL_START = re.compile(r"[$#]\{")


def _juel_parts(text: str) -> list[tuple[bool, str]]:
    """Split text into (is_expression, content) parts around each ``${...}`` (or ``#{...}``)."""
    parts: list[tuple[bool, str]] = []
    position = 0
    while (found := _JUEL_START.search(text, position)) is not None:
        start = found.start()
        if start > position:
            parts.append((False, text[position:start]))
        index, quote = start + 2, ""
        while index < len(text) and (quote or text[index] != "}"):
            char = text[index]
            if quote and char == "\\":
                index += 1
            elif char in "'\"" and (not quote or char == quote):
                quote = "" if quote else char
            index += 1
        if index >= len(text):
            raise Refusal("in de JUEL-expressie ontbreekt de '}' aan het eind.")
        parts.append((True, text[start + 2:index]))
        position = index + 1
    if position < len(text):
        parts.append((False, text[position:]))
    return parts


def juel_to_expression(text: str) -> str:
    """Camunda's ``${...}`` (JUEL subset) in our syntax: ``${a == 'x' && b > 2}`` -> ``a == 'x' and
    b > 2``. Text without ``${`` (or Camunda's deferred ``#{``) is returned unchanged;
    ``execution.getVariable('x')`` becomes
    ``x``; text around ``${...}`` becomes string concatenation. Anything else (method calls,
    functions, unknown operators) raises ``UnsafeExpression``; the result passes ``check``.
    """
    if "${" not in text and "#{" not in text:
        return text
    try:
        _parse_size(text)
        parts = [part for part in _juel_parts(text) if part[0] or part[1].strip()]
        if len(parts) == 1 and parts[0][0]:
            result = _JuelParser(parts[0][1]).parse()
        else:
            result = " + ".join(
                f"str({_JuelParser(content).parse()})" if is_expression else repr(content)
                for is_expression, content in _juel_parts(text)
            )
        _compile(result, "eval")
    except Refusal as exc:
        raise UnsafeExpression(_shown(text), exc.reason) from None
    return result
