"""FEEL (Camunda 8's ``= ...``, or a document whose expression language is FEEL) in Regie's language.

The common subset Camunda 8 models use; the translation is checked by the restricted evaluator like
anything a person writes in Regie, and anything else is refused with the model's text and the reason.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable

from engine.errors import UnsafeExpression

from .parser import Refusal, TokenParser, tokenize

__all__ = ["feel_name", "feel_to_expression"]

_FEEL_TOKEN = re.compile(
    r"""(?:
      (?P<number>\d+(?:\.\d+)?|\.\d+)
    | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<name>[A-Za-z_?][A-Za-z0-9_?]*)
    | (?P<op>\*\*|\.\.|!=|<=|>=|==|[-+*/=<>()\[\]{},.:@])
    )""",
    re.VERBOSE,
)
_FEEL_KEYWORDS = frozenset({"and", "or", "if", "then", "else", "some", "every", "in", "satisfies",
                            "for", "return", "between", "instance", "of", "true", "false", "null",
                            "function"})
_FEEL_LITERALS = {"true": "True", "false": "False", "null": "None"}
_FEEL_COMPARE = {"=": "==", "==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_FEEL_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "r": "\r", "t": "\t", "'": "'"}


# FEEL built-in -> (allowed argument counts, Regie expression). Names as FEEL writes them.
_FEEL_FUNCTIONS: dict[str, tuple[frozenset[int], Callable[[list[str]], str]]] = {
    "not": (frozenset({1}), lambda a: f"(not {a[0]})"),
    "string": (frozenset({1}), lambda a: f"str({a[0]})"),
    "number": (frozenset({1}), lambda a: f"float({a[0]})"),
    "count": (frozenset({1}), lambda a: f"len({a[0]})"),
    "string length": (frozenset({1}), lambda a: f"len({a[0]})"),
    "sum": (frozenset({1}), lambda a: f"sum({a[0]})"),
    "min": (frozenset(range(1, 50)), lambda a: f"min({', '.join(a)})"),
    "max": (frozenset(range(1, 50)), lambda a: f"max({', '.join(a)})"),
    "abs": (frozenset({1}), lambda a: f"abs({a[0]})"),
    "decimal": (frozenset({2}), lambda a: f"round({a[0]}, {a[1]})"),
    "upper case": (frozenset({1}), lambda a: f"({a[0]}).upper()"),
    "lower case": (frozenset({1}), lambda a: f"({a[0]}).lower()"),
    "starts with": (frozenset({2}), lambda a: f"({a[0]}).startswith({a[1]})"),
    "ends with": (frozenset({2}), lambda a: f"({a[0]}).endswith({a[1]})"),
    "contains": (frozenset({2}), lambda a: f"({a[1]} in {a[0]})"),
    "list contains": (frozenset({2}), lambda a: f"({a[1]} in {a[0]})"),
    "get value": (frozenset({2}), lambda a: f"({a[0]}).get({a[1]})"),
    "now": (frozenset({0}), lambda a: "now()"),
    "today": (frozenset({0}), lambda a: "today()"),
    "date": (frozenset({1, 3}), lambda a: f"parse_date({a[0]})" if len(a) == 1 else f"date({', '.join(a)})"),
}


def feel_to_expression(text: str) -> str:
    """FEEL (the common subset Camunda 8 models use) in Regie's syntax; raises ``UnsafeExpression``.

    ``a = "x"`` -> ``a == 'x'``; ``not(a)``; ``if c then a else b``; ``some x in l satisfies p`` ->
    ``any([p for x in l])``; ``every``; ``for x in l return e``; ``a.b``; ``l[1]`` (FEEL counts from
    1); lists, contexts and the built-ins in ``_FEEL_FUNCTIONS``. Names with spaces (``Vacation
    Approval``) become one field with underscores (``Vacation_Approval``).
    """
    try:
        return _FeelParser(text).parse()
    except Refusal as err:
        raise UnsafeExpression(text.strip()[:300], err.reason) from None


def feel_name(text: str) -> str:
    """The case field a FEEL name or form key stands for: words joined with '_'."""
    name = "_".join(text.split())
    if not name.isidentifier() or keyword.iskeyword(name):
        raise Refusal(f"de naam '{text.strip()}' kan geen veld in Regie zijn. Gebruik letters, "
                           "cijfers en _.")
    return name


class _FeelParser(TokenParser):
    """Recursive descent over FEEL's common subset, emitting fully parenthesised Regie syntax.

    The XPath parser (``xpath.py``) shares this grammar and overrides the hooks marked as such.
    """

    language = "FEEL"
    functions = _FEEL_FUNCTIONS
    named_arguments_refused = True   # in XPath, `f(prefix:name(...))` is a qualified call

    def __init__(self, source: str):
        super().__init__([self.token(kind, text) for kind, text in tokenize(source, _FEEL_TOKEN, self.language)])

    def token(self, kind: str, text: str) -> tuple[str, str]:
        """Hook: refuse a token this language does not allow."""
        if kind == "string" and text.startswith("'"):
            raise Refusal("tekst staat in FEEL tussen dubbele aanhalingstekens: \"zo\".")
        return kind, text

    def parse(self) -> str:
        if not self.tokens:
            raise Refusal("de expressie is leeg. Vul een voorwaarde of berekening in.")
        result = self.expression()
        if self.position < len(self.tokens):
            raise self.unexpected(self.tokens[self.position][1])
        return result

    # hooks (XPath overrides them) ---------------------------------------------------------------

    def literal_here(self, text: str) -> bool:
        return text in _FEEL_LITERALS

    def name_here(self, text: str) -> bool:
        return text not in _FEEL_KEYWORDS

    def qualified(self, name: str) -> str | None:
        """A ``prefix:name(...)`` call, or None when the next tokens are not one."""
        return None

    def words(self) -> list[str]:
        """A FEEL name: one or more words that are not keywords (``Vacation Approval Status``)."""
        words = []
        while self.peek()[0] == "name" and self.peek()[1] not in _FEEL_KEYWORDS:
            words.append(self.tokens[self.position][1])
            self.position += 1
        return words

    # grammar ------------------------------------------------------------------------------------

    def expression(self) -> str:
        if self.take("if"):
            condition = self.expression()
            self.expect("then")
            yes = self.expression()
            self.expect("else")
            no = self.expression()
            return f"({yes} if {condition} else {no})"
        quantifier = self.take("some", "every")
        if quantifier:
            loops = self.iterations()
            self.expect("satisfies")
            test = self.expression()
            return f"{'any' if quantifier == 'some' else 'all'}([{test} {loops}])"
        if self.take("for"):
            loops = self.iterations()
            self.expect("return")
            return f"[{self.expression()} {loops}]"
        return self.disjunction()

    def iterations(self) -> str:
        parts = []
        while True:
            name = feel_name(" ".join(self.words()) or "?")
            self.expect("in")
            parts.append(f"for {name} in {self.comparison()}")
            if not self.take(","):
                return " ".join(parts)

    def disjunction(self) -> str:
        left = self.conjunction()
        while self.take("or"):
            left = f"({left} or {self.conjunction()})"
        return left

    def conjunction(self) -> str:
        left = self.comparison()
        while self.take("and"):
            left = f"({left} and {self.comparison()})"
        return left

    def comparison(self) -> str:
        left = self.additive()
        operator = self.take(*_FEEL_COMPARE)
        if operator:
            return f"({left} {_FEEL_COMPARE[operator]} {self.additive()})"
        if self.take("between"):
            low = self.additive()
            self.expect("and")
            return f"({low} <= {left} <= {self.additive()})"
        if self.peek() == ("name", "in") and self.peek(1)[1] in ("[", "("):
            self.position += 1
            return f"({left} in {self.additive()})"
        if self.peek() == ("name", "instance"):
            raise Refusal("'instance of' kan Regie niet uitvoeren.")
        return left

    def additive(self) -> str:
        left = self.multiplicative()
        while (operator := self.take("+", "-")) is not None:
            left = f"({left} {operator} {self.multiplicative()})"
        return left

    def multiplicative(self) -> str:
        left = self.power()
        while (operator := self.take("*", "/")) is not None:
            left = f"({left} {operator} {self.power()})"
        return left

    def power(self) -> str:
        left = self.unary()
        while self.take("**"):
            left = f"({left} ** {self.unary()})"
        return left

    def unary(self) -> str:
        if self.take("-"):
            return f"(-{self.unary()})"
        return self.postfix(self.primary())

    def postfix(self, base: str) -> str:
        while True:
            if self.take("."):
                words = self.words()
                if not words:
                    raise Refusal("na '.' hoort de naam van een veld.")
                key = " ".join(words)
                base = f"{base}.{key}" if key.isidentifier() and not keyword.iskeyword(key) else f"{base}[{key!r}]"
            elif self.take("["):
                base = f"{base}[{self.index()}]"
            else:
                return base

    def index(self) -> str:
        """``[n]`` counts from 1 in FEEL (``[-1]`` is the last item); filters are refused."""
        negative = self.take("-") is not None
        kind, text = self.peek()
        if kind == "number" and text.isdigit() and self.peek(1) == ("op", "]") and int(text) > 0:
            self.position += 2
            return f"-{text}" if negative else str(int(text) - 1)
        raise Refusal("tussen [ ] kan in FEEL hier alleen een vaste plaats staan, zoals [1]. "
                           "Een filter of berekende plaats kan Regie niet uitvoeren.")

    def primary(self) -> str:
        kind, text = self.peek()
        if kind == "number":
            self.position += 1
            return text
        if kind == "string":
            self.position += 1
            return repr(re.sub(r"\\(u[0-9a-fA-F]{4}|.)", _unescape, text[1:-1]))
        if kind == "name" and self.literal_here(text):
            self.position += 1
            return _FEEL_LITERALS[text]
        if kind == "name" and self.name_here(text):
            return self.name_or_call()
        if self.take("("):
            inner = self.expression()
            self.expect(")")
            return inner
        if self.take("["):
            return f"[{', '.join(self.items(']'))}]"
        if self.take("{"):
            return self.context()
        if text == "@":
            raise Refusal("datum-tekst met @ kan Regie niet lezen. Gebruik date(\"2024-01-31\").")
        raise self.unexpected(text)

    def items(self, close: str) -> list[str]:
        found: list[str] = []
        if self.take(close):
            return found
        while True:
            found.append(self.expression())
            if self.take(".."):
                raise Refusal("een reeks zoals [1..10] kan Regie niet uitvoeren.")
            if self.take(close):
                return found
            self.expect(",")

    def context(self) -> str:
        entries: list[str] = []
        if self.take("}"):
            return "{}"
        while True:
            kind, text = self.peek()
            if kind == "string":
                self.position += 1
                key = re.sub(r"\\(u[0-9a-fA-F]{4}|.)", _unescape, text[1:-1])
            else:
                key = " ".join(self.words())
                if not key:
                    raise Refusal("in een groep velden { } hoort eerst een naam, dan ':'.")
            self.expect(":")
            entries.append(f"{key!r}: {self.expression()}")
            if self.take("}"):
                return "{" + ", ".join(entries) + "}"
            self.expect(",")

    def name_or_call(self) -> str:
        words = self.words()
        name = " ".join(words)
        if name == "date" and self.peek() == ("name", "and") and self.peek(1) == ("name", "time"):
            name, self.position = "date and time", self.position + 2
        call = self.qualified(name)
        if call is not None:
            return call
        if not self.take("("):
            return feel_name(name)
        functions = self.functions
        if name not in functions:
            allowed = ", ".join(sorted(functions))
            raise Refusal(f"de {self.language}-functie '{name}' kan Regie niet uitvoeren. U kunt gebruiken: {allowed}.")
        if self.named_arguments_refused and self.peek(1) == ("op", ":"):
            raise Refusal("argumenten met een naam (naam: waarde) kan Regie niet lezen.")
        counts, build = functions[name]
        args = self.items(")")
        if len(args) not in counts:
            raise Refusal(f"de {self.language}-functie '{name}' krijgt hier {len(args)} argument(en); dat klopt niet.")
        return build(args)


def _unescape(match: re.Match) -> str:
    code = match.group(1)
    if code.startswith("u") and len(code) == 5:
        return chr(int(code[1:], 16))
    return _FEEL_ESCAPES.get(code, code)
