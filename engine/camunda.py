"""Models drawn in other tools, made into models Regie can run.

Policy staff draw in Camunda Modeler (Camunda 7 or 8/Zeebe), the bpmn.io web modeler, Signavio,
Trisotech and others. SpiffWorkflow parses the BPMN standard and a little of Camunda 7; everything
else is handled here, on the parsed XML document, before SpiffWorkflow sees it (``prepare``). The
stored bundle keeps the file exactly as uploaded; the preparation is repeated, deterministically,
whenever a version is loaded. What it does, in order:

1. Dialects: Activiti's namespace is Camunda 7's; Zeebe's assignment, form, call, decision,
   multi-instance and script extensions become the Camunda 7 attributes the parser reads.
2. Documentation only: data stores, data associations and input/output specifications describe
   data but have no implementation in Regie (as in Camunda); they are removed before parsing.
3. Work that happens outside Regie (service, send and receive tasks, job workers, decisions of an
   external service) becomes a task in the inbox: Regie has no connectors, so a person does it.
4. Expressions: JUEL (``${...}``) and FEEL (Zeebe's ``= ...``, or a FEEL document) are translated
   into Regie's restricted expression language; anything outside the common subset is refused with
   the element id, the expression and the reason. Output mappings become a script step.
5. Structure: a top-level message start is the start of a case; a subprocess without start or end
   event gets one; an exclusive gateway whose routes have no conditions is a choice for a person.
6. Forms: ``camunda:formData`` and Camunda Forms (Zeebe) become Regie forms when no YAML form of
   that name exists.
"""

from __future__ import annotations

import ast
import json
import keyword
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from .errors import ModelProblem, UnsafeExpression
from .expressions import juel_to_expression
from .forms import Form, FormField

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


@dataclass
class Prepared:
    """What ``prepare`` found and made for one file."""

    problems: list[ModelProblem] = field(default_factory=list)
    originals: dict[str, str] = field(default_factory=dict)   # translated expression -> model text
    forms: dict[str, Form] = field(default_factory=dict)      # element id -> generated form
    synthetic: dict[str, str] = field(default_factory=dict)   # added element id -> its model element


def prepare(root, filename: str) -> Prepared:
    """Rewrite a parsed BPMN document in place into the shape Regie runs (see the module docstring)."""
    return _Preparer(root, filename).run()


# --- expressions: JUEL and FEEL into Regie's language -------------------------------------------

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


_FEEL_TOKEN = re.compile(
    r"""\s*(?:
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


class _FeelRefusal(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def feel_to_expression(text: str) -> str:
    """FEEL (the common subset Camunda 8 models use) in Regie's syntax; raises ``UnsafeExpression``.

    ``a = "x"`` -> ``a == 'x'``; ``not(a)``; ``if c then a else b``; ``some x in l satisfies p`` ->
    ``any([p for x in l])``; ``every``; ``for x in l return e``; ``a.b``; ``l[1]`` (FEEL counts from
    1); lists, contexts and the built-ins in ``_FEEL_FUNCTIONS``. Names with spaces (``Vacation
    Approval``) become one field with underscores (``Vacation_Approval``).
    """
    try:
        return _FeelParser(text).parse()
    except _FeelRefusal as err:
        raise UnsafeExpression(text.strip()[:300], err.reason) from None


def xpath_to_expression(text: str) -> str:
    """XPath conditions as BPMN tools write them: ``bpmn:getDataObject('approved')`` is the case field
    ``approved``; ``not(...)``, ``=``, ``and``/``or``, ``true()``. Raises ``UnsafeExpression``."""
    try:
        return _FeelParser(text, xpath=True).parse()
    except _FeelRefusal as err:
        raise UnsafeExpression(text.strip()[:300], err.reason) from None


_XPATH_DATA = frozenset({"getDataObject", "getDataInput", "getDataOutput"})
_XPATH_FUNCTIONS = {"true": (frozenset({0}), lambda a: "True"), "false": (frozenset({0}), lambda a: "False")}


def feel_name(text: str) -> str:
    """The case field a FEEL name or form key stands for: words joined with '_'."""
    name = "_".join(text.split())
    if not name.isidentifier() or keyword.iskeyword(name):
        raise _FeelRefusal(f"de naam '{text.strip()}' kan geen veld in Regie zijn. Gebruik letters, "
                           "cijfers en _.")
    return name


class _FeelParser:
    """Recursive descent over FEEL's common subset, emitting fully parenthesised Regie syntax."""

    def __init__(self, source: str, xpath: bool = False):
        self.xpath = xpath
        self.language = "XPath" if xpath else "FEEL"
        self.tokens: list[tuple[str, str]] = []
        position = 0
        while source[position:].strip():
            match = _FEEL_TOKEN.match(source, position)
            if match is None:
                bad = source[position:].lstrip()[:1]
                raise _FeelRefusal(f"het teken '{bad}' kan niet in een FEEL-expressie.")
            kind = match.lastgroup or "op"
            if kind == "string" and match.group(kind).startswith("'") and not xpath:
                raise _FeelRefusal("tekst staat in FEEL tussen dubbele aanhalingstekens: \"zo\".")
            self.tokens.append((kind, match.group(kind)))
            position = match.end()
        self.position = 0

    def parse(self) -> str:
        if not self.tokens:
            raise _FeelRefusal("de expressie is leeg. Vul een voorwaarde of berekening in.")
        result = self.expression()
        if self.position < len(self.tokens):
            raise _FeelRefusal(f"onverwacht '{self.tokens[self.position][1]}' in de {self.language}-expressie.")
        return result

    # tokens -------------------------------------------------------------------------------------

    def peek(self, ahead: int = 0) -> tuple[str, str]:
        index = self.position + ahead
        return self.tokens[index] if index < len(self.tokens) else ("end", "")

    def take(self, *texts: str) -> str | None:
        kind, text = self.peek()
        if kind in ("op", "name") and text in texts:
            self.position += 1
            return text
        return None

    def expect(self, text: str) -> None:
        if self.take(text) is None:
            raise _FeelRefusal(f"in de {self.language}-expressie ontbreekt '{text}'.")

    def words(self) -> list[str]:
        """A FEEL name: one or more words that are not keywords (``Vacation Approval Status``)."""
        if self.xpath and self.peek()[1] in _XPATH_FUNCTIONS and self.peek(1) == ("op", "("):
            self.position += 1
            return [self.tokens[self.position - 1][1]]
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
            raise _FeelRefusal("'instance of' kan Regie niet uitvoeren.")
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
                    raise _FeelRefusal("na '.' hoort de naam van een veld.")
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
        raise _FeelRefusal("tussen [ ] kan in FEEL hier alleen een vaste plaats staan, zoals [1]. "
                           "Een filter of berekende plaats kan Regie niet uitvoeren.")

    def primary(self) -> str:
        kind, text = self.peek()
        if kind == "number":
            self.position += 1
            return text
        if kind == "string":
            self.position += 1
            return repr(re.sub(r"\\(u[0-9a-fA-F]{4}|.)", _unescape, text[1:-1]))
        if kind == "name" and text in _FEEL_LITERALS and not (self.xpath and self.peek(1) == ("op", "(")):
            self.position += 1
            return _FEEL_LITERALS[text]
        if kind == "name" and (text not in _FEEL_KEYWORDS or self.xpath and text in _XPATH_FUNCTIONS):
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
            raise _FeelRefusal("datum-tekst met @ kan Regie niet lezen. Gebruik date(\"2024-01-31\").")
        raise _FeelRefusal(f"onverwacht '{text or 'einde'}' in de {self.language}-expressie.")

    def items(self, close: str) -> list[str]:
        found: list[str] = []
        if self.take(close):
            return found
        while True:
            found.append(self.expression())
            if self.take(".."):
                raise _FeelRefusal("een reeks zoals [1..10] kan Regie niet uitvoeren.")
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
                    raise _FeelRefusal("in een groep velden { } hoort eerst een naam, dan ':'.")
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
        if self.xpath and self.peek() == ("op", ":") and self.peek(1)[0] == "name":
            name = f"{name}:{self.tokens[self.position + 1][1]}"
            self.position += 2
            if self.take("(") and name.split(":")[1] in _XPATH_DATA:
                return self.data_object(name)
            raise _FeelRefusal(f"de XPath-functie '{name}' kan Regie niet uitvoeren. U kunt "
                               "bpmn:getDataObject('naam') gebruiken.")
        if not self.take("("):
            return feel_name(name)
        functions = {**_FEEL_FUNCTIONS, **_XPATH_FUNCTIONS} if self.xpath else _FEEL_FUNCTIONS
        if name not in functions:
            allowed = ", ".join(sorted(functions))
            raise _FeelRefusal(f"de {self.language}-functie '{name}' kan Regie niet uitvoeren. U kunt gebruiken: {allowed}.")
        if not self.xpath and self.peek(1) == ("op", ":"):
            raise _FeelRefusal("argumenten met een naam (naam: waarde) kan Regie niet lezen.")
        counts, build = functions[name]
        args = self.items(")")
        if len(args) not in counts:
            raise _FeelRefusal(f"de FEEL-functie '{name}' krijgt hier {len(args)} argument(en); dat klopt niet.")
        return build(args)


    def data_object(self, function: str) -> str:
        """``bpmn:getDataObject('x')``: data objects are case fields in Regie."""
        args = self.items(")")
        try:
            names = [ast.literal_eval(arg) for arg in args]
        except (ValueError, SyntaxError):
            names = []
        if len(names) != 1 or not isinstance(names[0], str):
            raise _FeelRefusal(f"{function}(...) heeft de naam van het gegeven nodig, zoals {function}('bedrag').")
        return feel_name(names[0])


def _unescape(match: re.Match) -> str:
    code = match.group(1)
    if code.startswith("u") and len(code) == 5:
        return chr(int(code[1:], 16))
    return _FEEL_ESCAPES.get(code, code)


# --- forms from the model ----------------------------------------------------------------------

# camunda:formField type -> Regie field type
FORM_DATA_TYPES = {"string": "text", "long": "integer", "integer": "integer", "short": "integer",
                   "double": "number", "boolean": "yesno", "date": "date", "enum": "choice"}
# Camunda Forms component type -> Regie field type (text, image, buttons and the like show nothing)
CAMUNDA_FORM_TYPES = {"textfield": "text", "textarea": "textarea", "number": "number",
                      "checkbox": "yesno", "radio": "choice", "select": "choice",
                      "checklist": "multichoice", "taglist": "multichoice", "datetime": "date"}
CAMUNDA_FORM_DISPLAY = frozenset({"text", "image", "button", "spacer", "separator", "html", "iframe",
                                  "table", "documentPreview", "expression", "filepicker"})


def slug(text: str) -> str:
    """Lowercase letters, digits and '-' only: usable as a form key."""
    value = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return value or "x"


def form_from_form_data(element, title: str) -> tuple[Form | None, list[str]]:
    """A Regie form from ``camunda:formData`` (None when there is none); also what was refused."""
    fields, refused = [], []
    for item in element.iterfind(f"{_b('extensionElements')}/{_c('formData')}/{_c('formField')}"):
        name, kind = item.get("id", ""), item.get("type", "string")
        constraints = {c.get("name"): c.get("config") for c in item.iterfind(f"{_c('validation')}/{_c('constraint')}")}
        if "readonly" in constraints:
            continue   # shown to the person, never submitted
        if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
            refused.append(f"het veld '{name}' heeft geen bruikbare naam (letters, cijfers en _).")
            continue
        if kind not in FORM_DATA_TYPES:
            refused.append(f"het veld '{name}' heeft type '{kind}'; Regie kent: {', '.join(sorted(FORM_DATA_TYPES))}.")
            continue
        choices = tuple((v.get("id", ""), v.get("name") or v.get("id", "")) for v in item.iterfind(_c("value")))
        fields.append(FormField(
            name=name, label=item.get("label") or name, type=FORM_DATA_TYPES[kind],
            required="required" in constraints, default=_default(FORM_DATA_TYPES[kind], item.get("defaultValue")),
            choices=choices,
            min=_number(constraints.get("min")), max=_number(constraints.get("max")),
            max_length=_integer(constraints.get("maxlength")),
        ))
    found = element.find(f"{_b('extensionElements')}/{_c('formData')}")
    if found is None:
        return None, refused
    return Form(f"formdata-{slug(element.get('id', ''))}", title, tuple(fields)), refused


def form_from_camunda_form(form_id: str, schema: dict[str, Any], title: str) -> tuple[Form, list[str]]:
    """A Regie form from a Camunda Forms (Zeebe) JSON schema; also what was refused."""
    fields: list[FormField] = []
    refused: list[str] = []
    for component in _components(schema):
        kind, key = component.get("type", ""), component.get("key")
        if kind in CAMUNDA_FORM_DISPLAY or not key or component.get("disabled") or component.get("readonly"):
            continue
        if kind not in CAMUNDA_FORM_TYPES:
            refused.append(f"het formulierveld '{key}' heeft type '{kind}'; dat kan Regie niet tonen.")
            continue
        if "." in key:
            refused.append(f"het formulierveld '{key}' vult een veld binnen een groep; dat kan Regie niet.")
            continue
        try:
            name = feel_name(key)
        except _FeelRefusal as err:
            refused.append(err.reason)
            continue
        rules = component.get("validate") or {}
        choices = tuple((str(v.get("value")), str(v.get("label", v.get("value"))))
                        for v in component.get("values") or ())
        if CAMUNDA_FORM_TYPES[kind] in ("choice", "multichoice") and not choices:
            refused.append(f"het formulierveld '{key}' haalt zijn keuzes uit de zaak; noem de keuzes in het formulier.")
            continue
        fields.append(FormField(
            name=name, label=component.get("label") or key, type=CAMUNDA_FORM_TYPES[kind],
            required=bool(rules.get("required")), help=component.get("description", ""),
            choices=choices, min=_number(rules.get("min")), max=_number(rules.get("max")),
            max_length=_integer(rules.get("maxLength")),
        ))
    return Form(f"zeebe-{slug(form_id)}", title, tuple(fields)), refused


def _default(kind: str, value: str | None) -> Any:
    """A formField's defaultValue as the value its field holds."""
    if value is None or "${" in value:
        return None
    if kind == "yesno":
        return value.strip().lower() == "true"
    if kind == "integer":
        return int(value) if value.strip().lstrip("-").isdigit() else None
    if kind == "number":
        return _number(value)
    return value


def _components(schema: dict[str, Any]):
    for component in schema.get("components") or ():
        if component.get("type") in ("group", "dynamiclist"):
            yield from _components(component)
        else:
            yield component


def _number(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _integer(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None and number >= 1 else None


# --- the rewrite ---------------------------------------------------------------------------------

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
    "completionCondition", "loopCondition",
))
# In a FEEL (or XPath) document these are FEEL (XPath); timers stay ISO-8601 text unless '= ...'.
FEEL_BY_DEFAULT = frozenset(_b(t) for t in (
    "conditionExpression", "loopCardinality", "completionCondition", "loopCondition",
))
START_TRIGGERS = frozenset(_b(t) for t in ("messageEventDefinition", "signalEventDefinition"))


class _Preparer:
    def __init__(self, root, filename: str):
        self.root = root
        self.filename = filename
        self.result = Prepared()
        language = root.get("expressionLanguage", "") if etree.QName(root).localname == "definitions" else ""
        self.feel = bool(FEEL_LANGUAGE.search(language))
        self.xpath = bool(XPATH_LANGUAGE.search(language))
        self.camunda_forms: dict[str, tuple[dict[str, Any] | None, str]] = {}

    def problem(self, element_id: str, message: str) -> None:
        self.result.problems.append(ModelProblem(self.filename, element_id, message))

    def run(self) -> Prepared:
        self.alias_activiti()
        self.documentation_only()
        for process in self.root.iterfind(f".//{_b('process')}"):
            if process.get("isExecutable") != "true":
                continue
            self.collect_camunda_forms(process)
            for element in list(process.iter()):
                if isinstance(element.tag, str):
                    self.dialect(element)
            self.outside_work(process)
            self.performers(process)
            self.script_formats(process)
            self.choices(process)
            self.expressions(process)
            self.output_mappings(process)
            self.start_events(process)
            for container in [process, *process.iter(_b("subProcess"), _b("transaction"))]:
                self.missing_start_and_end(container)
            self.forms(process)
        return self.result

    # 1. dialects ---------------------------------------------------------------------------------

    def alias_activiti(self) -> None:
        """Activiti's extension namespace means the same as Camunda 7's (Signavio writes it)."""
        prefix = "{" + ACTIVITI_NS + "}"
        for element in self.root.iter():
            if not isinstance(element.tag, str):
                continue
            if element.tag.startswith(prefix):
                element.tag = _c(element.tag[len(prefix):])
            for key in [k for k in element.attrib if k.startswith(prefix)]:
                value = element.attrib.pop(key)
                if _c(key[len(prefix):]) not in element.attrib:
                    element.set(_c(key[len(prefix):]), value)

    def collect_camunda_forms(self, process) -> None:
        for item in process.iterfind(f"{_b('extensionElements')}/{_z('userTaskForm')}"):
            try:
                schema = json.loads(item.text or "")
            except ValueError:
                schema = None
            self.camunda_forms[item.get("id", "")] = (schema, item.get("id", ""))

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
        for attribute in ("candidateGroups", "candidateUsers"):
            value = element.get(_c(attribute), "")
            if "${" in value or "#{" in value:
                self.problem(element.get("id", ""), f"camunda:{attribute} '{value}' rekent de groep uit. "
                             "Regie verdeelt taken over vaste rollen: noem de rol(len), gescheiden door komma's.")
        if element.get(_c("resultVariable")) and element.tag == _b("businessRuleTask"):
            element.set(_r("resultVariable"), element.get(_c("resultVariable")))
            element.set(_r("resultMapping"), element.get(_c("mapDecisionResult"), "resultList"))

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
        except _FeelRefusal as err:
            self.problem(element.get("id", ""), err.reason)
            return
        except UnsafeExpression as err:
            self.problem(element.get("id", ""), f"'{expression}': {err.reason}")
            return
        script = etree.SubElement(element, _b("script"))
        script.text = f"{name} = {translated}"
        self.result.originals[script.text] = f"{target} = {expression}"

    def zeebe_job(self, element, item) -> None:
        """A job worker (zeebe:taskDefinition) does the work outside Regie: a person does it here."""
        if element.tag in (_b("businessRuleTask"), _b("scriptTask")) and element.get(_c("decisionRef")) is None:
            element.set(_r("outside"), "true")

    def zeebe_loop(self, activity, loop_element, item) -> None:
        collection = (item.get("inputCollection") or "").strip()
        where = activity.get("id", "") if activity is not None else ""
        if item.get("outputCollection"):
            self.problem(where, "zeebe:loopCharacteristics met outputCollection kan Regie niet uitvoeren. "
                         "Laat elke ronde zijn resultaat in de zaak zetten.")
        name = collection[1:].strip() if collection.startswith("=") else collection
        if not name.isidentifier() or keyword.iskeyword(name):
            self.problem(where, f"inputCollection '{collection}' moet de naam van een lijst in de zaak zijn, "
                         "bijvoorbeeld =documenten.")
            return
        loop_element.set(_c("collection"), name)
        if item.get("inputElement"):
            loop_element.set(_c("elementVariable"), item.get("inputElement"))

    # 2. documentation only ----------------------------------------------------------------------

    def documentation_only(self) -> None:
        """Data stores, data associations and I/O specifications describe; Regie does not run them."""
        for element in list(self.root.iter()):
            if not isinstance(element.tag, str):
                continue
            parent = element.getparent()
            if parent is None:
                continue
            if element.tag in DOCUMENTATION_ONLY or (
                element.tag in EVENT_DATA and parent.tag.endswith("Event")
            ):
                parent.remove(element)

    # 3. work outside Regie ----------------------------------------------------------------------

    def outside_work(self, process) -> None:
        for element in list(process.iter()):
            if not isinstance(element.tag, str):
                continue
            outside = element.tag in OUTSIDE_WORK or element.get(_r("outside")) == "true" or (
                element.tag == _b("businessRuleTask") and not element.get(_c("decisionRef")))
            if outside:
                element.tag = _b("userTask")

    def performers(self, process) -> None:
        """BPMN's own ``potentialOwner`` (a resource, or a plain expression naming one) is the role, when
        the model has no Camunda assignment."""
        resources = {r.get("id"): r.get("name") for r in self.root.iter(_b("resource"))}
        for task in process.iter(_b("userTask")):
            if any(task.get(_c(a)) for a in ("candidateGroups", "candidateUsers")):
                continue
            roles = []
            for owner in task.iterfind(_b("potentialOwner")):
                text = (owner.findtext(f"{_b('resourceAssignmentExpression')}/{_b('formalExpression')}") or "").strip()
                name = text if re.fullmatch(r"[\w .-]+", text) else resources.get((owner.findtext(_b("resourceRef")) or "").strip())
                if name and name.strip() not in roles:
                    roles.append(" ".join(name.split()))
            if roles:
                task.set(_c("candidateGroups"), ",".join(roles))

    def script_formats(self, process) -> None:
        for element in process.iter(_b("scriptTask")):
            language = (element.get("scriptFormat") or "").strip().lower()
            if language not in REGIE_SCRIPT_FORMATS:
                self.problem(element.get("id", ""), f"scripts in '{element.get('scriptFormat')}' kan Regie niet "
                             "uitvoeren. Schrijf het script in Regie's taal (scriptFormat=\"python\").")
            elif element.get(_c("resource")):
                self.problem(element.get("id", ""), "een script uit een ander bestand (camunda:resource) kan Regie "
                             "niet uitvoeren. Zet het script in de taak zelf.")

    # 4. expressions -----------------------------------------------------------------------------

    def expressions(self, process) -> None:
        for element in process.iter(*EXPRESSION_TAGS):
            text = element.text or ""
            language = (element.get("language") or "").strip()
            if not text.strip() or language.lower() in ("regie", "python"):
                continue
            owner = self.owner(element)
            if language.lower() in SCRIPT_LANGUAGES:
                self.problem(owner, f"'{text.strip()}': voorwaarden in {language} kan Regie niet uitvoeren. "
                             "Schrijf de voorwaarde in Regie's taal, JUEL (${...}) of FEEL (= ...).")
                element.text = "False"
                continue
            by_default = element.tag in FEEL_BY_DEFAULT
            feel = bool(FEEL_LANGUAGE.search(language)) or (self.feel and by_default)
            xpath = bool(XPATH_LANGUAGE.search(language)) or (self.xpath and by_default)
            try:
                translated = to_expression(text, feel, xpath)
            except UnsafeExpression as err:
                self.problem(owner, f"'{text.strip()}': {err.reason}")
                element.text = "False"   # reported once, here; the version is refused anyway
                continue
            if translated != text:
                self.result.originals[translated] = text.strip()
                element.text = translated

    def owner(self, element) -> str:
        """The element id a person looks for: a flow's gateway, else the element the expression is in."""
        node = element.getparent()
        if node is not None and node.tag == _b("sequenceFlow"):
            return node.get("sourceRef", "")
        while node is not None and node.tag not in FLOW_NODES and node.tag != _b("boundaryEvent"):
            node = node.getparent()
        return node.get("id", "") if node is not None else ""

    def output_mappings(self, process) -> None:
        """Output mappings copy results into the case: a script step right after the element."""
        for element in list(process.iter(*FLOW_NODES)):
            lines, texts = [], []
            for target, source in self.outputs(element):
                try:
                    name = feel_name(target)
                    translated = to_expression(source) if source.strip().startswith(("=", "${", "#{")) else repr(source)
                except _FeelRefusal as err:
                    self.problem(element.get("id", ""), err.reason)
                    continue
                except UnsafeExpression as err:
                    self.problem(element.get("id", ""), f"'{source.strip()}': {err.reason}")
                    continue
                lines.append(f"{name} = {translated}")
                texts.append(f"{target} = {source.strip()}")
            if lines:
                script = "\n".join(lines)
                self.result.originals[script] = "\n".join(texts)
                self.insert_after(element, "uitvoer", script)

    def outputs(self, element):
        extensions = element.find(_b("extensionElements"))
        if extensions is None:
            return
        for item in extensions.iterfind(f"{_z('ioMapping')}/{_z('output')}"):
            yield item.get("target", ""), item.get("source", "")
        for item in extensions.iterfind(f"{_c('inputOutput')}/{_c('outputParameter')}"):
            if len(item):
                self.problem(element.get("id", ""), f"camunda:outputParameter '{item.get('name')}' gebruikt een "
                             "lijst, tabel of script; Regie kent alleen een tekst of een ${...}-expressie.")
                continue
            yield item.get("name", ""), item.text or ""

    def insert_after(self, element, what: str, script: str) -> None:
        node_id = element.get("id", "")
        step_id = f"{node_id}{SYNTHETIC}{what}"
        parent = element.getparent()
        step = etree.SubElement(parent, _b("scriptTask"), id=step_id, name=element.get("name") or node_id,
                                scriptFormat="python")
        etree.SubElement(step, _b("script")).text = script
        for flow in parent.iterfind(_b("sequenceFlow")):
            if flow.get("sourceRef") == node_id:
                flow.set("sourceRef", step_id)
        etree.SubElement(parent, _b("sequenceFlow"), id=f"{step_id}{SYNTHETIC}in", sourceRef=node_id, targetRef=step_id)
        self.same_lane(node_id, step_id)
        self.result.synthetic[step_id] = node_id

    # 5. structure -------------------------------------------------------------------------------

    def start_events(self, process) -> None:
        """Starting a case is the message (or signal) a top-level start event waits for."""
        starts = process.findall(_b("startEvent"))
        if not starts or any(not self.triggers(s) for s in starts):
            return
        triggered = [s for s in starts if all(t.tag in START_TRIGGERS for t in self.triggers(s))]
        if len(starts) == 1 and triggered:
            for trigger in self.triggers(starts[0]):
                starts[0].remove(trigger)
        elif len(triggered) > 1:
            self.problem(process.get("id", ""), "dit proces start alleen met berichten of signalen, op "
                         f"{len(triggered)} manieren. Een zaak start in Regie met één startgebeurtenis: "
                         "geef het proces één gewone startgebeurtenis.")

    @staticmethod
    def triggers(event) -> list:
        return [child for child in event if isinstance(child.tag, str) and child.tag.endswith("EventDefinition")]

    def missing_start_and_end(self, container) -> None:
        """A (sub)process without a start event starts at every node without incoming flow; a subprocess
        without an end event ends where its paths end."""
        if container.get("triggeredByEvent") == "true":
            return
        cid = container.get("id", "")
        nodes = [n for n in container if n.tag in FLOW_NODES and n.get("triggeredByEvent") != "true"
                 and n.get("isForCompensation") != "true"]
        flows = container.findall(_b("sequenceFlow"))
        targets = {f.get("targetRef") for f in flows}
        sources = {f.get("sourceRef") for f in flows}
        is_sub = container.tag != _b("process")
        if not any(n.tag == _b("startEvent") for n in nodes) and (is_sub or container.get("isExecutable") == "true"):
            start = etree.SubElement(container, _b("startEvent"), id=f"{cid}{SYNTHETIC}start")
            self.result.synthetic[start.get("id")] = cid
            first = [n for n in nodes if n.get("id") not in targets]
            for index, node in enumerate(first):
                self.flow(container, start.get("id"), node.get("id"), f"{cid}{SYNTHETIC}start{index}")
            nodes.append(start)
            if not first:
                sources.discard(start.get("id"))
        if is_sub and not any(n.tag == _b("endEvent") for n in nodes):
            end = etree.SubElement(container, _b("endEvent"), id=f"{cid}{SYNTHETIC}end")
            self.result.synthetic[end.get("id")] = cid
            sources |= {f.get("sourceRef") for f in container.findall(_b("sequenceFlow"))}
            last = [n for n in nodes if n.get("id") not in sources and n.tag != _b("endEvent")]
            for index, node in enumerate(last):
                self.flow(container, node.get("id"), end.get("id"), f"{cid}{SYNTHETIC}end{index}")

    @staticmethod
    def flow(container, source: str, target: str, flow_id: str) -> None:
        etree.SubElement(container, _b("sequenceFlow"), id=flow_id, sourceRef=source, targetRef=target)

    def choices(self, process) -> None:
        """An exclusive gateway with routes that have no condition: a person chooses the route."""
        used: set[str] = set()
        for gateway in list(process.iter(_b("exclusiveGateway"))):
            parent, gid = gateway.getparent(), gateway.get("id", "")
            outgoing = [f for f in parent.iterfind(_b("sequenceFlow")) if f.get("sourceRef") == gid]
            default = gateway.get("default")
            open_routes = [f for f in outgoing if f.get("id") != default and not _condition_text(f)]
            if len(outgoing) < 2 or not open_routes:
                continue
            title = " ".join((gateway.get("name") or "").split())
            variable = self.choice_variable(title or gid, used)
            options = []
            for flow in outgoing:
                options.append((flow.get("id", ""), self.route_label(parent, flow)))
                condition = flow.find(_b("conditionExpression"))
                if condition is not None:
                    flow.remove(condition)
                if flow.get("id") != default:
                    condition = etree.SubElement(flow, _b("conditionExpression"), language="regie")
                    condition.text = f"{variable} == {flow.get('id', '')!r}"
            task_id = f"{gid}{SYNTHETIC}keuze"
            etree.SubElement(parent, _b("userTask"), id=task_id, name=f"Kies: {title}" if title else "Kies de route")
            for flow in parent.iterfind(_b("sequenceFlow")):
                if flow.get("targetRef") == gid:
                    flow.set("targetRef", task_id)
            self.flow(parent, task_id, gid, f"{task_id}{SYNTHETIC}uit")
            self.same_lane(gid, task_id)
            self.result.synthetic[task_id] = gid
            self.result.forms[task_id] = Form(
                slug(variable), title or "Kies de route",
                (FormField(variable, title or "Welke route?", "choice", required=True, choices=tuple(options)),),
                intro="Kies hoe de zaak verder gaat.",
            )

    @staticmethod
    def choice_variable(label: str, used: set[str]) -> str:
        base = "keuze_" + re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
        name, number = base.rstrip("_"), 2
        while name in used:
            name, number = f"{base}_{number}", number + 1
        used.add(name)
        return name

    def route_label(self, parent, flow) -> str:
        label = " ".join((flow.get("name") or "").split())
        if not label:
            target = next((n for n in parent if n.get("id") == flow.get("targetRef")), None)
            label = " ".join(((target.get("name") if target is not None else "") or "").split())
        condition = flow.find(_b("conditionExpression"))
        if condition is not None and (condition.text or "").strip():
            label = f"{label or flow.get('id')} (voorwaarde in het model: {condition.text.strip()})"
        return label or flow.get("id", "")

    def same_lane(self, element_id: str, new_id: str) -> None:
        for ref in list(self.root.iter(_b("flowNodeRef"))):
            if (ref.text or "").strip() == element_id:
                etree.SubElement(ref.getparent(), _b("flowNodeRef")).text = new_id

    # 6. forms -----------------------------------------------------------------------------------

    def forms(self, process) -> None:
        for element in process.iter(_b("userTask"), _b("startEvent")):
            eid = element.get("id", "")
            title = " ".join((element.get("name") or eid).split())
            camunda_form = element.get(_r("camundaForm"))
            if camunda_form:
                schema, form_id = self.camunda_forms.get(camunda_form, (None, camunda_form))
                if schema is None:
                    self.problem(eid, f"het formulier '{camunda_form}' staat niet (als geldige JSON) in het model.")
                    continue
                form, refused = form_from_camunda_form(form_id, schema, title)
            else:
                form, refused = form_from_form_data(element, title)
            for reason in refused:
                self.problem(eid, reason)
            if form is not None and not refused:
                self.result.forms[eid] = form


def _condition_text(flow) -> str:
    condition = flow.find(_b("conditionExpression"))
    return (condition.text or "").strip() if condition is not None else ""


_ZEEBE_HANDLERS: dict[str, Callable[[_Preparer, Any, Any], None]] = {
    _z("assignmentDefinition"): _Preparer.zeebe_assignment,
    _z("formDefinition"): _Preparer.zeebe_form,
    _z("calledElement"): _Preparer.zeebe_called_element,
    _z("calledDecision"): _Preparer.zeebe_decision,
    _z("script"): _Preparer.zeebe_script,
    _z("taskDefinition"): _Preparer.zeebe_job,
}
