"""Camunda 7's JUEL (``${...}``): the subset real models use, translated into Regie's language.

The translation is checked by the restricted evaluator like any expression a person writes in Regie;
anything outside the subset is refused with the model's own text and the reason.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable

from engine.errors import UnsafeExpression
from engine.expressions.check import _compile, _parse_size
from engine.expressions.messages import EMPTY, Refusal, _shown

from .forms import field_name
from .parser import TokenParser, tokenize

__all__ = ["juel_to_expression", "juel_to_script"]

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


def _shift(unit: str, sign: str) -> Callable[[tuple[str, int], list[tuple[str, int]]], tuple[str, int]]:
    """``plusWeeks(n)`` and friends: Joda-Time date arithmetic as Regie's ``timedelta``/``add_months``."""
    def build(base: tuple[str, int], args: list[tuple[str, int]]) -> tuple[str, int]:
        amount = _wrap(args[0], _NEGATIVE)
        if unit in ("months", "years"):
            count = amount if unit == "months" else f"12 * {amount}"
            return f"add_months({base[0]}, {sign}{count})", _ATOM
        return f"{_wrap(base, _SUM)} {'+' if sign == '' else '-'} timedelta({unit}={args[0][0]})", _SUM
    return build


_JUEL_CLOCK = frozenset({"dateTime", "now"})
# Java method -> (argument count, translation of (receiver, arguments)).
_JUEL_METHODS: dict[str, tuple[int, Callable[[tuple[str, int], list[tuple[str, int]]], tuple[str, int]]]] = {
    "equals": (1, lambda b, a: (f"{_wrap(b, _SUM)} == {_wrap(a[0], _SUM)}", _COMPARE)),
    "toDate": (0, lambda b, a: b),
    "size": (0, lambda b, a: (f"len({b[0]})", _ATOM)),
    "length": (0, lambda b, a: (f"len({b[0]})", _ATOM)),
    "isEmpty": (0, lambda b, a: (f"len({b[0]}) == 0", _COMPARE)),
    "contains": (1, lambda b, a: (f"{_wrap(a[0], _SUM)} in {_wrap(b, _SUM)}", _COMPARE)),
    **{f"{verb}{unit.capitalize()}": (1, _shift(unit, sign))
       for verb, sign in (("plus", ""), ("minus", "-"))
       for unit in ("days", "weeks", "hours", "minutes", "months", "years")},
}


# Camunda 7's ``decisionResult`` in a business rule task's listeners and output mappings: the task keeps every
# shape of its result in the field ``decisionResult`` (``engine.spiff.RegieBusinessRuleTask``).
DECISION_RESULT = "decisionResult"
_DECISION_METHODS: dict[str, tuple[int, Callable[[list[tuple[str, int]]], str]]] = {
    "getSingleResult": (0, lambda a: f"{DECISION_RESULT}['singleResult']"),
    "getSingleEntry": (0, lambda a: f"{DECISION_RESULT}['singleEntry']"),
    "getResultList": (0, lambda a: f"{DECISION_RESULT}['resultList']"),
    "getFirstResult": (0, lambda a: f"{DECISION_RESULT}['firstResult']"),
    "collectEntries": (1, lambda a: f"{DECISION_RESULT}['entries'][{a[0][0]}]"),
}


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
        elif kind == "name" and text in _JUEL_CLOCK and self.peek() == ("op", "("):
            self.position += 1
            self.expect(")")
            result = "now()", _ATOM
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
                    base = self.method(base, name)
                    continue
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

    def method(self, base: tuple[str, int], name: str) -> tuple[str, int]:
        """The Java methods real models call that are plain data access or date arithmetic."""
        if base[0] == DECISION_RESULT and name in _DECISION_METHODS:
            count, shape = _DECISION_METHODS[name]
            self.expect("(")
            args = [] if self.take(")") is not None else self.arguments()
            if len(args) != count or (count and not args[0][0].startswith(("'", '"'))):
                raise Refusal(f"decisionResult.{name}(...) heeft {'de naam van een uitvoerkolom' if count else 'niets'} "
                              "tussen de haakjes nodig.")
            return shape(args), _ATOM
        translate = _JUEL_METHODS.get(name)
        self.expect("(")
        args = [] if translate is None or self.take(")") is not None else self.arguments()
        if translate is None or len(args) != translate[0]:
            raise Refusal(f"'.{name}(...)' roept een methode aan; dat kan niet. Gebruik alleen de naam van "
                          "het gegeven.")
        return translate[1](base, args)

    def arguments(self) -> list[tuple[str, int]]:
        found = [self.ternary()]
        while self.take(",") is not None:
            found.append(self.ternary())
        self.expect(")")
        return found

    def execution_variable(self) -> str:
        """``execution.getVariable('x')`` is just the case field ``x``."""
        usage = "'execution' kan alleen als execution.getVariable('naam')."
        if self.take(".") is None or self.take("getVariable") is None or self.take("(") is None:
            raise Refusal(usage)
        kind, text = self.peek()
        self.position += 1
        name = field_name(re.sub(r"\\(.)", r"\1", text[1:-1])) if kind == "string" else ""
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


_SET_VARIABLE = re.compile(r"^\s*execution\s*\.\s*setVariable\s*\(")


def juel_to_script(text: str) -> str:
    """A JUEL expression that is run for its effect (a service task's or listener's ``camunda:expression``)
    as a Regie script: ``${execution.setVariable('x', a + 1)}`` -> ``x = a + 1``; any other expression is
    evaluated for nothing (``${true}``). Raises ``UnsafeExpression`` like ``juel_to_expression``."""
    if "${" not in text and "#{" not in text:
        # Plain text is a literal in JUEL (camunda:expression="true" yields the text "true"): it does nothing
        # but give its text to a result variable.
        return repr(text.strip())
    parts = [part for part in _juel_parts(text) if part[0] or part[1].strip()]
    if len(parts) != 1 or not parts[0][0]:
        return juel_to_expression(text)
    content = parts[0][1]
    if not _SET_VARIABLE.match(content):
        return juel_to_expression(text)
    try:
        parser = _JuelParser(content)
        parser.position = 4   # after: execution . setVariable (
        kind, name = parser.peek()
        parser.position += 1
        name = field_name(re.sub(r"\\(.)", r"\1", name[1:-1])) if kind == "string" else ""
        if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
            raise Refusal("execution.setVariable('naam', waarde) heeft een naam van letters, cijfers en _ nodig.")
        parser.expect(",")
        value = parser.ternary()
        parser.expect(")")
        if parser.position < len(parser.tokens):
            raise parser.unexpected(parser.tokens[parser.position][1])
        script = f"{name} = {value[0]}"
        _compile(script, "exec")
    except Refusal as exc:
        raise UnsafeExpression(_shown(text), exc.reason) from None
    return script
