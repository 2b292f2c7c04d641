"""The one restricted evaluator for everything written inside a model.

Gateway conditions, script tasks, timer and assignee expressions and DMN cells come from a browser, so
they are untrusted. They run here and nowhere else, in three layers:

1. A static check of the Python AST (cached per text): only allow-listed node types, names, functions
   and methods; nothing that starts with ``_``; limits on size and nesting; constant folding that
   refuses huge numbers and repetitions before anything runs.
2. simpleeval's ``EvalWithCompoundTypes`` as the tree walker, with our own operators, functions and
   attribute rules. Python's ``eval``/``exec`` are never used.
3. A deterministic work budget at run time: every node, loop round and item touched costs a step,
   and values the evaluator builds stay below a size limit, so a run always ends quickly and a replay
   fails (or succeeds) exactly like the original run.
"""

from __future__ import annotations

import ast
import calendar
import copy
import functools
import keyword
import operator
import re
import textwrap
import threading
from collections import ChainMap
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from simpleeval import EvalWithCompoundTypes

from engine.errors import ExpressionFailed, UnsafeExpression

__all__ = ["Evaluator", "juel_to_expression"]

MAX_SOURCE_CHARS = 10_000  # characters in one expression or script
MAX_DEPTH = 64  # nesting of the syntax tree (and of data the evaluator walks)
MAX_INT_BITS = 4_096  # about 1,200 digits
MAX_ITEMS = 100_000  # characters of a text, or items of a (nested) list or dict the evaluator builds
MAX_ROUNDS = 10_000  # rounds of all comprehensions in one run together
MAX_STEPS = 200_000  # work budget of one run, in steps: see _Interpreter._cost
LOCAL_TZ = ZoneInfo("Europe/Amsterdam")  # today() and now() answer in the municipality's time
_CACHE_SIZE = 1_024
_CACHE_MAX_CHARS = 2_000  # bigger texts are checked on every call instead of held in the cache


def _dutch_number(number: int) -> str:
    return f"{number:,}".replace(",", ".")


# --- Reasons (Dutch, B1). Shown to policy staff and functioneel beheer. ---------------------------

TOO_LONG_SOURCE = "de tekst is te lang ({length} tekens). Het maximum is {limit} tekens."
EMPTY = "de expressie is leeg. Vul een voorwaarde of berekening in."
TOO_DEEP = "de expressie is te diep genest (te veel haakjes of lagen). Maak hem eenvoudiger."
DATA_TOO_DEEP = "de gegevens zijn te diep genest om mee te rekenen."
NUMBER_TOO_BIG = "het getal wordt te groot. Gebruik kleinere getallen."
VALUE_TOO_LONG = (
    f"de tekst of lijst wordt te lang (meer dan {_dutch_number(MAX_ITEMS)} tekens of onderdelen)."
)
TOO_MUCH_WORK = "de expressie doet te veel werk en is gestopt. Maak hem eenvoudiger."
TOO_MANY_ROUNDS = (
    f"een lijst-constructie (for ... in ...) mag samen hoogstens {_dutch_number(MAX_ROUNDS)} "
    "keer herhalen."
)
PERCENT_TEXT = "'%' met tekst is niet toegestaan. Gebruik + om tekst samen te voegen."
NO_IMPORT = "'{name}' is niet toegestaan: modellen mogen geen code importeren."
NO_CODE = "'{name}' is niet toegestaan: modellen mogen geen code uitvoeren."
NO_FILES = "'{name}' is niet toegestaan: modellen mogen geen bestanden openen."
NO_INSIDE = "'{name}' is niet toegestaan: modellen mogen niet bij de binnenkant van gegevens komen."
NO_FORMAT = (
    "'{name}' is niet toegestaan: tekst opmaken kan bij de binnenkant van gegevens komen. "
    "Gebruik + of str(...) om tekst samen te voegen."
)
PRIVATE_NAME = "'{name}' is niet toegestaan: namen die met '_' beginnen zijn afgeschermd."
PRIVATE_ATTRIBUTE = (
    "'.{name}' is niet toegestaan: onderdelen die met '_' beginnen zijn afgeschermd."
)
UNKNOWN_FUNCTION = "de functie '{name}' bestaat niet of is niet toegestaan. U kunt gebruiken: {allowed}."
UNKNOWN_METHOD = "de methode '.{name}()' is niet toegestaan. U kunt gebruiken: {allowed}."
UNKNOWN_NAME = "'{name}' is onbekend: dit gegeven bestaat niet (of is nog niet ingevuld) in de zaak."
NOT_CALLABLE = "alleen toegestane functies en methoden kunnen worden aangeroepen."
NO_CLOCK = "'{name}()' werkt hier niet: er is geen klok ingesteld."


# --- Static check ---------------------------------------------------------------------------------


class _Refusal(Exception):
    """Internal: something is not allowed or failed; ``reason`` is the Dutch text for the user.

    Raised during the static check it becomes ``UnsafeExpression``; during a run ``ExpressionFailed``.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


_ARITHMETIC = frozenset({ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow})
_COMPARISONS = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Is: operator.is_, ast.IsNot: operator.is_not,
    ast.In: lambda item, container: item in container,
    ast.NotIn: lambda item, container: item not in container,
}
_EXPRESSION_NODES = frozenset({
    ast.Expression, ast.Constant, ast.Name, ast.Load, ast.Store,
    ast.List, ast.Tuple, ast.Set, ast.Dict,
    ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp,
    ast.Subscript, ast.Slice, ast.Call, ast.keyword, ast.Attribute,
    ast.ListComp, ast.DictComp, ast.GeneratorExp, ast.comprehension,
    ast.JoinedStr, ast.FormattedValue,
    ast.And, ast.Or, ast.Not, ast.USub, ast.UAdd,
    *_ARITHMETIC, *_COMPARISONS,
})
_SCRIPT_NODES = _EXPRESSION_NODES | {ast.Module, ast.Assign, ast.AugAssign, ast.Expr, ast.If, ast.Pass}

_LOOPS = (
    "herhalingen (for, while) zijn niet toegestaan. Gebruik een lijst-constructie, "
    "bijvoorbeeld [x for x in lijst]."
)
_REFUSED_NODES: dict[type, str] = {
    ast.Import: NO_IMPORT.format(name="import"),
    ast.ImportFrom: NO_IMPORT.format(name="import"),
    ast.Lambda: "'lambda' is niet toegestaan: modellen mogen geen eigen functies maken.",
    ast.FunctionDef: "'def' is niet toegestaan: modellen mogen geen eigen functies maken.",
    ast.AsyncFunctionDef: "'def' is niet toegestaan: modellen mogen geen eigen functies maken.",
    ast.ClassDef: "'class' is niet toegestaan: modellen mogen geen eigen klassen maken.",
    ast.For: _LOOPS, ast.AsyncFor: _LOOPS, ast.While: _LOOPS,
    ast.With: "'with' is niet toegestaan in een script.",
    ast.AsyncWith: "'with' is niet toegestaan in een script.",
    ast.Try: "'try' is niet toegestaan in een script.",
    ast.Raise: "'raise' is niet toegestaan in een script.",
    ast.Assert: "'assert' is niet toegestaan in een script.",
    ast.Delete: "'del' is niet toegestaan in een script.",
    ast.Global: "'global' is niet toegestaan in een script.",
    ast.Nonlocal: "'nonlocal' is niet toegestaan in een script.",
    ast.Return: "'return' is niet toegestaan in een script.",
    ast.Break: "'break' is niet toegestaan in een script.",
    ast.Continue: "'continue' is niet toegestaan in een script.",
    ast.Match: "'match' is niet toegestaan in een script.",
    ast.AnnAssign: "een toewijzing met een type (x: int = ...) is niet toegestaan. Schrijf x = ...",
    ast.NamedExpr: "':=' is niet toegestaan. Gebruik een gewone toewijzing in een script.",
    ast.Await: "'await' is niet toegestaan.",
    ast.Yield: "'yield' is niet toegestaan.",
    ast.YieldFrom: "'yield' is niet toegestaan.",
    ast.Starred: "'*' en '**' om lijsten of velden uit te pakken zijn niet toegestaan.",
    ast.SetComp: "een verzameling-constructie {x for ...} is niet toegestaan. Gebruik set([...]).",
    ast.LShift: "'<<' is niet toegestaan in een expressie.",
    ast.RShift: "'>>' is niet toegestaan in een expressie.",
    ast.BitOr: "'|' is niet toegestaan in een expressie. Gebruik 'or'.",
    ast.BitAnd: "'&' is niet toegestaan in een expressie. Gebruik 'and'.",
    ast.BitXor: "'^' is niet toegestaan in een expressie.",
    ast.MatMult: "'@' is niet toegestaan in een expressie.",
    ast.Invert: "'~' is niet toegestaan in een expressie. Gebruik 'not'.",
    ast.Del: "'del' is niet toegestaan in een script.",
}
# Refused wherever they appear: never a sensible name for a field in a case.
_FORBIDDEN_NAMES: dict[str, str] = {
    "__import__": NO_IMPORT, "__builtins__": NO_IMPORT, "builtins": NO_IMPORT,
    "eval": NO_CODE, "exec": NO_CODE, "compile": NO_CODE, "breakpoint": NO_CODE,
    "open": NO_FILES,
    "getattr": NO_INSIDE, "setattr": NO_INSIDE, "delattr": NO_INSIDE, "hasattr": NO_INSIDE,
    "globals": NO_INSIDE, "locals": NO_INSIDE, "vars": NO_INSIDE, "dir": NO_INSIDE,
    "memoryview": NO_INSIDE, "super": NO_INSIDE, "classmethod": NO_INSIDE,
    "staticmethod": NO_INSIDE, "exit": NO_CODE, "quit": NO_CODE, "help": NO_INSIDE,
}
# Refused as a call with a specific reason; as a plain name they may be a field (`type`, `id`).
_FORBIDDEN_CALLS: dict[str, str] = {
    "type": NO_INSIDE, "isinstance": NO_INSIDE, "issubclass": NO_INSIDE, "object": NO_INSIDE,
    "id": NO_INSIDE, "repr": NO_INSIDE, "format": NO_FORMAT, "print": NO_CODE, "input": NO_CODE,
    "range": "'range' is niet toegestaan: een reeks getallen kan te lang worden. "
    "Werk met de lijsten uit de zaak.",
}
_FORBIDDEN_ATTRIBUTES: dict[str, str] = {
    "format": NO_FORMAT, "format_map": NO_FORMAT, "mro": NO_INSIDE,
    "gi_frame": NO_INSIDE, "gi_code": NO_INSIDE, "cr_frame": NO_INSIDE, "ag_frame": NO_INSIDE,
    "tb_frame": NO_INSIDE, "f_globals": NO_INSIDE, "f_locals": NO_INSIDE, "f_builtins": NO_INSIDE,
    "f_back": NO_INSIDE, "co_code": NO_INSIDE,
}
_METHODS: dict[type, frozenset[str]] = {
    dict: frozenset({"get", "keys", "values", "items"}),
    str: frozenset({"lower", "upper", "strip", "startswith", "endswith"}),
    list: frozenset({"count", "index"}),
    tuple: frozenset({"count", "index"}),
}
_ALL_METHODS = frozenset().union(*_METHODS.values())
_DATA_ATTRIBUTES: dict[type, frozenset[str]] = {
    date: frozenset({"year", "month", "day"}),
    datetime: frozenset({"year", "month", "day", "hour", "minute", "second"}),
    timedelta: frozenset({"days", "seconds"}),
}
_CONSTANT_TYPES = (int, float, str, bool, type(None))
_UNKNOWN = object()  # "not a constant" during folding


def _checked_int(value: int) -> int:
    if value.bit_length() > MAX_INT_BITS:
        raise _Refusal(NUMBER_TOO_BIG)
    return value


def _power(base: Any, exponent: Any) -> Any:
    """``base ** exponent`` unless the result would be a huge number."""
    if type(base) in (int, bool) and type(exponent) in (int, bool) and exponent > 0 and abs(base) > 1:
        if exponent > MAX_INT_BITS or exponent * abs(base).bit_length() > MAX_INT_BITS + 64:
            raise _Refusal(NUMBER_TOO_BIG)
        return _checked_int(base**exponent)
    return base**exponent


def _check_product(left: Any, right: Any) -> None:
    if type(left) in (int, bool) and type(right) in (int, bool):
        if left.bit_length() + right.bit_length() > MAX_INT_BITS + 1:
            raise _Refusal(NUMBER_TOO_BIG)


def _check_size(size: int) -> None:
    if size > MAX_ITEMS:
        raise _Refusal(VALUE_TOO_LONG)


def _static_size(value: Any, memo: dict[int, int], depth: int = 0) -> int:
    """Characters of a folded text, or items of a folded tuple counting repeated parts each time."""
    if type(value) is str:
        return len(value)
    if type(value) is not tuple:
        return 1
    if id(value) not in memo:
        if depth > MAX_DEPTH:
            raise _Refusal(TOO_DEEP)
        memo[id(value)] = len(value) + sum(
            _static_size(item, memo, depth + 1) for item in value if type(item) is tuple
        )
    return memo[id(value)]


def _repetition(left: Any, right: Any) -> tuple[Any, int] | None:
    """(sequence, count) when ``left * right`` repeats a text, list or tuple; else None."""
    if type(left) in _SEQUENCES and type(right) in (int, bool):
        return left, right
    if type(right) in _SEQUENCES and type(left) in (int, bool):
        return right, left
    return None


def _fold_binop(node: ast.BinOp, values: dict[int, Any]) -> Any:
    left = values.get(id(node.left), _UNKNOWN)
    right = values.get(id(node.right), _UNKNOWN)
    kind = type(node.op)
    if kind is ast.Mod and (type(left) is str or type(node.left) is ast.JoinedStr):
        raise _Refusal(PERCENT_TEXT)
    if left is _UNKNOWN or right is _UNKNOWN:
        return _UNKNOWN
    if kind is ast.Mult:
        _check_product(left, right)
        repeated = _repetition(left, right)
        if repeated:
            _check_size(_static_size(repeated[0], {}) * repeated[1])
    elif kind is ast.Add and type(left) in _SEQUENCES and type(right) in _SEQUENCES:
        _check_size(_static_size(left, {}) + _static_size(right, {}))
    try:
        return _STATIC_OPERATORS[kind](left, right)
    except (ArithmeticError, TypeError, ValueError):
        return _UNKNOWN  # fails at run time with the user's data in the message


_STATIC_OPERATORS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: _power,
}


def _fold_unaryop(node: ast.UnaryOp, values: dict[int, Any]) -> Any:
    operand = values.get(id(node.operand), _UNKNOWN)
    if type(operand) not in (int, float, bool):
        return _UNKNOWN
    return {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_}[type(node.op)](
        operand
    )


def _fold_sequence(node: ast.List | ast.Tuple, values: dict[int, Any]) -> Any:
    items = [values.get(id(element), _UNKNOWN) for element in node.elts]
    return _UNKNOWN if _UNKNOWN in items else tuple(items)


def _fold_constant(node: ast.Constant, values: dict[int, Any]) -> Any:
    return node.value


_FOLDERS: dict[type, Callable[[Any, dict[int, Any]], Any]] = {
    ast.Constant: _fold_constant, ast.BinOp: _fold_binop, ast.UnaryOp: _fold_unaryop,
    ast.List: _fold_sequence, ast.Tuple: _fold_sequence,
}


def _check_name(node: ast.Name) -> None:
    name = node.id
    if name in _FORBIDDEN_NAMES:
        raise _Refusal(_FORBIDDEN_NAMES[name].format(name=name))
    if name.startswith("_"):
        raise _Refusal(PRIVATE_NAME.format(name=name))


def _check_attribute(node: ast.Attribute) -> None:
    name = node.attr
    if name in _FORBIDDEN_ATTRIBUTES:
        raise _Refusal(_FORBIDDEN_ATTRIBUTES[name].format(name=f".{name}"))
    if name.startswith(("_", "func_")):
        raise _Refusal(PRIVATE_ATTRIBUTE.format(name=name))


def _check_call(node: ast.Call) -> None:
    func = node.func
    if type(func) is ast.Name:
        name = func.id
        reason = _FORBIDDEN_NAMES.get(name) or _FORBIDDEN_CALLS.get(name)
        if reason:
            raise _Refusal(reason.format(name=name))
        if name not in _FUNCTIONS and name not in _CLOCK_FUNCTIONS:
            allowed = ", ".join(sorted([*_FUNCTIONS, *_CLOCK_FUNCTIONS]))
            raise _Refusal(UNKNOWN_FUNCTION.format(name=name, allowed=allowed))
    elif type(func) is ast.Attribute:
        _check_attribute(func)
        if func.attr not in _ALL_METHODS:
            allowed = ", ".join(f".{name}()" for name in sorted(_ALL_METHODS))
            raise _Refusal(UNKNOWN_METHOD.format(name=func.attr, allowed=allowed))
    else:
        raise _Refusal(_REFUSED_NODES.get(type(func), NOT_CALLABLE))
    for item in node.keywords:
        if item.arg is None:
            raise _Refusal(_REFUSED_NODES[ast.Starred])
        if item.arg.startswith("_"):
            raise _Refusal(PRIVATE_NAME.format(name=item.arg))


def _check_constant(node: ast.Constant) -> None:
    value = node.value
    if type(value) not in _CONSTANT_TYPES:
        raise _Refusal(f"de waarde {value!r:.40} is niet toegestaan. Gebruik getallen, tekst, "
                       "True, False of None.")
    if type(value) is int:
        _checked_int(value)


def _check_formatted_value(node: ast.FormattedValue) -> None:
    if node.format_spec is not None or node.conversion != -1:
        raise _Refusal("opmaak in een f-string (na ':' of '!') is niet toegestaan. "
                       "Gebruik bijvoorbeeld round(x, 2).")


def _check_dict(node: ast.Dict) -> None:
    if any(key is None for key in node.keys):
        raise _Refusal(_REFUSED_NODES[ast.Starred])


def _check_loop_target(target: ast.expr) -> None:
    if type(target) in (ast.Tuple, ast.List):
        for element in target.elts:
            _check_loop_target(element)
    elif type(target) is not ast.Name:
        raise _Refusal("na 'for' mag alleen een naam staan, bijvoorbeeld: for x in lijst.")


def _check_comprehension(node: ast.comprehension) -> None:
    if node.is_async:
        raise _Refusal(_REFUSED_NODES[ast.Await])
    _check_loop_target(node.target)


def _store_root(target: ast.expr) -> str:
    """Name of the variable an assignment changes: ``x`` for ``x``, ``x['a'][0]``."""
    while type(target) is ast.Subscript:
        target = target.value
    if type(target) is ast.Name:
        return target.id
    if type(target) is ast.Attribute:
        raise _Refusal("een veld veranderen met een punt kan niet. Schrijf x['veld'] = ...")
    raise _Refusal("links van '=' mag alleen een naam staan, of een naam met [sleutel].")


def _check_assign_target(target: ast.expr) -> None:
    if type(target) in (ast.Tuple, ast.List):
        for element in target.elts:
            _check_assign_target(element)
    else:
        _store_root(target)


def _check_assign(node: ast.Assign) -> None:
    for target in node.targets:
        _check_assign_target(target)


def _check_augassign(node: ast.AugAssign) -> None:
    _store_root(node.target)


_SPECIAL_CHECKS: dict[type, Callable[[Any], None]] = {
    ast.Name: _check_name, ast.Attribute: _check_attribute, ast.Call: _check_call,
    ast.Constant: _check_constant, ast.FormattedValue: _check_formatted_value,
    ast.Dict: _check_dict, ast.comprehension: _check_comprehension,
    ast.Assign: _check_assign, ast.AugAssign: _check_augassign,
}


def _check_tree(node: ast.AST, allowed: frozenset[type], values: dict[int, Any], depth: int) -> Any:
    """Refuse anything outside ``allowed``; return the node's constant value or ``_UNKNOWN``."""
    if depth > MAX_DEPTH:
        raise _Refusal(TOO_DEEP)
    kind = type(node)
    if kind not in allowed:
        reason = _REFUSED_NODES.get(kind)
        if reason is None:
            reason = f"'{kind.__name__}' is niet toegestaan in een expressie."
        raise _Refusal(reason)
    for child in ast.iter_child_nodes(node):
        value = _check_tree(child, allowed, values, depth + 1)
        if value is not _UNKNOWN:
            values[id(child)] = value
    # After the children, so `__import__('os').system()` is refused for `__import__`, not `.system`.
    special = _SPECIAL_CHECKS.get(kind)
    if special is not None:
        special(node)
    folder = _FOLDERS.get(kind)
    return _UNKNOWN if folder is None else folder(node, values)


def _parse_size(text: str) -> None:
    if len(text) > MAX_SOURCE_CHARS:
        raise _Refusal(TOO_LONG_SOURCE.format(length=_dutch_number(len(text)),
                                              limit=_dutch_number(MAX_SOURCE_CHARS)))


def _parse(text: str, mode: str) -> ast.AST:
    if type(text) is not str:
        raise _Refusal("de expressie is geen tekst.")
    _parse_size(text)
    source = text.strip() if mode == "eval" else textwrap.dedent(text)
    if mode == "eval" and not source:
        raise _Refusal(EMPTY)
    try:
        return ast.parse(source, mode=mode)
    except SyntaxError as exc:
        raise _Refusal(_syntax_reason(source, exc, mode)) from None
    except (RecursionError, MemoryError):
        raise _Refusal(TOO_DEEP) from None
    except ValueError:
        raise _Refusal("de tekst bevat een ongeldig teken.") from None


def _syntax_reason(source: str, exc: SyntaxError, mode: str) -> str:
    if "too many nested" in str(exc.msg):
        return TOO_DEEP
    if "Exceeds the limit" in str(exc.msg):
        return NUMBER_TOO_BIG
    if mode == "eval":
        try:
            statement = ast.parse(source).body[0]
        except (SyntaxError, RecursionError, MemoryError, ValueError, IndexError):
            statement = None
        if type(statement) in (ast.Assign, ast.AugAssign):
            return "een toewijzing met '=' kan niet in een voorwaarde. Bedoelt u '=='?"
        if statement is not None and type(statement) is not ast.Expr:
            reason = _REFUSED_NODES.get(type(statement))
            if reason:
                return reason
            return "dit is een opdracht, geen expressie. Opdrachten horen in een script-taak."
    return f"de schrijfwijze klopt niet (regel {exc.lineno}, teken {exc.offset}; technisch: {exc.msg})."


class _Script(NamedTuple):
    body: list[ast.stmt]
    roots: frozenset[str]  # variables the script may assign
    changes_containers: bool  # has `x[key] = ...`: run on a deep copy


def _compile(text: str, mode: str) -> Any:
    tree = _parse(text, mode)
    allowed = _EXPRESSION_NODES if mode == "eval" else _SCRIPT_NODES
    _check_tree(tree, allowed, {}, 0)
    if mode == "eval":
        return tree.body
    roots: set[str] = set()
    changes_containers = False
    for node in ast.walk(tree):
        targets = node.targets if type(node) is ast.Assign else (
            [node.target] if type(node) is ast.AugAssign else []
        )
        for target in targets:
            for part in ast.walk(target):
                if type(part) is ast.Subscript:
                    changes_containers = True
            roots.update(_target_roots(target))
    return _Script(tree.body, frozenset(roots), changes_containers)


def _target_roots(target: ast.expr) -> list[str]:
    if type(target) in (ast.Tuple, ast.List):
        return [root for element in target.elts for root in _target_roots(element)]
    return [_store_root(target)]


_cached_compile = functools.lru_cache(maxsize=_CACHE_SIZE)(_compile)


def _compiled(text: str, mode: str) -> Any:
    """Parse and check ``text`` (cached for everyday sizes); raises ``UnsafeExpression``."""
    try:
        if type(text) is str and len(text) <= _CACHE_MAX_CHARS:
            return _cached_compile(text, mode)
        return _compile(text, mode)
    except _Refusal as exc:
        raise UnsafeExpression(_shown(text), exc.reason) from None


def _shown(text: Any) -> str:
    text = str(text)
    return text if len(text) <= 300 else text[:300] + "…"


def _free_names(node: ast.AST, bound: frozenset[str], found: set[str]) -> None:
    kind = type(node)
    if kind is ast.Name:
        if node.id not in bound:
            found.add(node.id)
    elif kind is ast.Call and type(node.func) is ast.Name:
        for child in [*node.args, *node.keywords]:
            _free_names(child, bound, found)
    elif kind in (ast.ListComp, ast.GeneratorExp, ast.DictComp):
        inner = bound
        for index, generator in enumerate(node.generators):
            # The first `in` is read outside the comprehension; later parts see its variables.
            _free_names(generator.iter, inner if index else bound, found)
            inner = inner | {part.id for part in ast.walk(generator.target) if type(part) is ast.Name}
            for condition in generator.ifs:
                _free_names(condition, inner, found)
        results = [node.key, node.value] if kind is ast.DictComp else [node.elt]
        for result in results:
            _free_names(result, inner, found)
    else:
        for child in ast.iter_child_nodes(node):
            _free_names(child, bound, found)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _cached_names(expression: str) -> frozenset[str]:
    found: set[str] = set()
    _free_names(_compiled(expression, "eval"), frozenset(), found)
    return frozenset(found)


# --- Functions a model may call -------------------------------------------------------------------


def _as_date(value: Any) -> date:
    """A date from a date, a datetime (its day in Dutch time) or an ISO text such as 2024-01-31."""
    if isinstance(value, datetime):
        return (value.astimezone(LOCAL_TZ) if value.tzinfo else value).date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            try:
                return _as_date(datetime.fromisoformat(value.strip()))
            except ValueError:
                pass
    raise _Refusal(f"{_shown(repr(value))[:60]} is geen geldige datum. Schrijf een datum als "
                   "JJJJ-MM-DD, bijvoorbeeld 2024-01-31.")


def _make_date(year: int, month: int, day: int) -> date:
    return date(year, month, day)


def _make_datetime(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
                   second: int = 0) -> datetime:
    """A moment in Dutch time (the tz-aware result compares correctly with now())."""
    return datetime(year, month, day, hour, minute, second, tzinfo=LOCAL_TZ)


def _make_timedelta(days: float = 0, *, weeks: float = 0, hours: float = 0, minutes: float = 0,
                    seconds: float = 0) -> timedelta:
    return timedelta(days=days, weeks=weeks, hours=hours, minutes=minutes, seconds=seconds)


def _add_months(value: Any, months: int) -> date:
    """Same day ``months`` later (or earlier); the 31st becomes the month's last day if needed."""
    if type(value) is str:
        value = _as_date(value)
    if not isinstance(value, date) or type(months) is not int:
        raise _Refusal("add_months(datum, aantal) verwacht een datum en een heel getal.")
    if abs(months) > 12 * 10_000:
        raise _Refusal(NUMBER_TOO_BIG)
    index = value.month - 1 + months
    year, month = value.year + index // 12, index % 12 + 1
    if not 1 <= year <= 9999:
        raise _Refusal("de datum valt buiten de kalender (jaar 1 tot 9999).")
    return value.replace(year=year, month=month, day=min(value.day, calendar.monthrange(year, month)[1]))


def _days_between(start: Any, end: Any) -> int:
    """Calendar days from ``start`` to ``end`` (negative when ``end`` is earlier)."""
    return (_as_date(end) - _as_date(start)).days


def _round(number: Any, ndigits: int | None = None) -> Any:
    if ndigits is not None and (type(ndigits) is not int or abs(ndigits) > 100):
        raise _Refusal("round(getal, cijfers): het aantal cijfers moet een heel getal tot 100 zijn.")
    return round(number, ndigits)


def _sum(values: Any, start: Any = 0) -> Any:
    total = start
    for value in values:
        if type(value) not in (int, float, bool, timedelta):
            raise _Refusal("sum(...) werkt alleen met getallen (of tijdsduren).")
        total = total + value
    return total


def _without_key(function: Callable[..., Any], allowed: frozenset[str]) -> Callable[..., Any]:
    """The builtin without ``key=``: a model cannot hand in a function."""

    def call(*args: Any, **options: Any) -> Any:
        if not options.keys() <= allowed:
            raise _Refusal(f"{function.__name__}(...) kent alleen de opties: "
                           f"{', '.join(sorted(allowed)) or 'geen'}.")
        return function(*args, **options)

    call.__name__ = function.__name__
    return call


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": len, "min": _without_key(min, frozenset({"default"})),
    "max": _without_key(max, frozenset({"default"})), "sum": _sum, "round": _round, "abs": abs,
    "int": int, "float": float, "str": str, "bool": bool,
    "sorted": _without_key(sorted, frozenset({"reverse"})), "any": any, "all": all,
    "list": list, "dict": dict, "set": set,
    "date": _make_date, "datetime": _make_datetime, "timedelta": _make_timedelta,
    "parse_date": _as_date, "add_months": _add_months, "days_between": _days_between,
}
_CLOCK_FUNCTIONS = frozenset({"today", "now"})


# --- Run time -------------------------------------------------------------------------------------

_SEQUENCES = frozenset({str, list, tuple})
_CONTAINERS = frozenset({list, tuple, dict, set, frozenset})


class _Interpreter(EvalWithCompoundTypes):
    """simpleeval's tree walker with Regie's operators, functions, attribute rules and budget.

    One instance per thread (it keeps per-run state); the AST it walks was checked beforehand.
    """

    def __init__(self, functions: dict[str, Callable[..., Any]]):
        super().__init__(operators={}, functions=dict(functions), names={})
        self.functions = dict(functions)  # drop the `tuple` that EvalWithCompoundTypes adds
        self.operators = {
            ast.Add: self._add, ast.Sub: operator.sub, ast.Mult: self._mul,
            ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: _mod,
            ast.Pow: _power, ast.Not: operator.not_, ast.USub: operator.neg, ast.UAdd: operator.pos,
        }
        self.nodes = {
            ast.Constant: _constant_value,
            ast.Name: self._eval_name, ast.Attribute: self._eval_attribute,
            ast.BinOp: self._eval_binop, ast.UnaryOp: self._eval_unaryop,
            ast.BoolOp: self._eval_boolop, ast.Compare: self._eval_compare,
            ast.IfExp: self._eval_ifexp, ast.Call: self._eval_call,
            ast.Subscript: self._eval_subscript, ast.Slice: self._eval_slice,
            ast.List: self._eval_list, ast.Tuple: self._eval_tuple,
            ast.Set: self._eval_set, ast.Dict: self._eval_dict,
            ast.ListComp: self._eval_comprehension, ast.GeneratorExp: self._eval_comprehension,
            ast.DictComp: self._eval_comprehension,
            ast.JoinedStr: self._eval_joinedstr, ast.FormattedValue: self._eval_formattedvalue,
        }
        self.statements = {
            ast.Assign: self._exec_assign, ast.AugAssign: self._exec_augassign,
            ast.Expr: self._exec_expr, ast.If: self._exec_if, ast.Pass: lambda node: None,
        }
        self.begin({})

    def begin(self, names: Mapping[str, Any]) -> None:
        self.names = names
        self._steps = MAX_STEPS
        self._rounds = MAX_ROUNDS
        self._sizes: dict[int, tuple[Any, int]] = {}

    # Budget -------------------------------------------------------------------------------------

    def _charge(self, steps: int) -> None:
        self._steps -= steps
        if self._steps < 0:
            raise _Refusal(TOO_MUCH_WORK)

    def _cost(self, value: Any) -> int:
        """Steps it takes to compare, copy or hash ``value``.

        One step is about the time of evaluating one node (a fraction of a microsecond): C code
        handles some 16 items or 256 characters in that time.
        """
        kind = type(value)
        if kind is str:
            return len(value) >> 8
        if kind in _CONTAINERS:
            return self._measure(value, 0) >> 4
        return 0

    def _measure(self, value: Any, depth: int) -> int:
        """Items in container ``value``, counting every nested item as often as it is reachable.

        Cached per run, so a list that holds the same big list many times is measured in steps
        proportional to what is really stored, yet reports the size that comparing or printing it
        would cost.
        """
        known = self._sizes.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        if depth > MAX_DEPTH:
            raise _Refusal(DATA_TOO_DEEP)
        self._charge(1 + (len(value) >> 2))
        size = len(value)
        for item in [*value.keys(), *value.values()] if type(value) is dict else value:
            if type(item) in _CONTAINERS:
                size += self._measure(item, depth + 1)
        self._sizes[id(value)] = (value, size)
        return size

    def _size(self, sequence: Any) -> int:
        return len(sequence) if type(sequence) is str else self._measure(sequence, 0)

    def check_storable(self, value: Any) -> None:
        """A value leaving the evaluator must be small enough to store and to print."""
        if type(value) in _CONTAINERS:
            _check_size(self._measure(value, 0))

    # Nodes --------------------------------------------------------------------------------------

    def _eval(self, node: ast.AST) -> Any:
        self._steps -= 1
        if self._steps < 0:
            raise _Refusal(TOO_MUCH_WORK)
        return self.nodes[type(node)](node)

    def _eval_name(self, node: ast.Name) -> Any:
        try:
            return self.names[node.id]
        except KeyError:
            raise _Refusal(UNKNOWN_NAME.format(name=node.id)) from None

    def _eval_attribute(self, node: ast.Attribute) -> Any:
        value = self._eval(node.value)
        name = node.attr
        if isinstance(value, dict):  # `aanvrager.leeftijd` reads a field, as in JUEL
            try:
                return value[name]
            except KeyError:
                raise _Refusal(f"het veld '{name}' bestaat niet. Gebruik .get('{name}') als het "
                               "veld kan ontbreken.") from None
        if name in _DATA_ATTRIBUTES.get(type(value), ()):
            return getattr(value, name)
        raise _Refusal(f"'.{name}' werkt niet op {_kind(value)}.")

    def _eval_binop(self, node: ast.BinOp) -> Any:
        return self._binary(type(node.op), self._eval(node.left), self._eval(node.right))

    def _binary(self, kind: type, left: Any, right: Any) -> Any:
        self._charge(self._cost(left) + self._cost(right))
        return self.operators[kind](left, right)

    def _add(self, left: Any, right: Any) -> Any:
        if type(left) in _SEQUENCES and type(right) in _SEQUENCES:
            _check_size(self._size(left) + self._size(right))
        return left + right

    def _mul(self, left: Any, right: Any) -> Any:
        _check_product(left, right)
        repeated = _repetition(left, right)
        if repeated:
            sequence, count = repeated
            _check_size(self._size(sequence) * max(count, 0))
            self._charge(len(sequence) * max(count, 0) >> 6)  # the copy is done in C
        return left * right

    def _eval_compare(self, node: ast.Compare) -> Any:
        left = self._eval(node.left)
        result: Any = True
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self._eval(comparator)
            if type(left) in _CONTAINERS or type(right) in _CONTAINERS:
                self._charge(self._cost(left) + self._cost(right))
            result = _COMPARISONS[type(op)](left, right)
            if not result:
                return result
            left = right
        return result

    def _eval_call(self, node: ast.Call) -> Any:
        func = node.func
        if type(func) is ast.Attribute:
            receiver = self._eval(func.value)
            function = _method(receiver, func.attr)
            self._charge(self._cost(receiver))
        else:
            function = self.functions[func.id]
        self._charge(2)  # a call costs a few nodes' worth
        args = [self._eval(arg) for arg in node.args]
        kwargs = {item.arg: self._eval(item.value) for item in node.keywords}
        for value in (*args, *kwargs.values()):
            if type(value) in _CONTAINERS or type(value) is str:
                self._charge(self._cost(value))
        result = function(*args, **kwargs)
        if type(result) in _SEQUENCES or type(result) in _CONTAINERS:
            _check_size(len(result))
        return result

    def _eval_subscript(self, node: ast.Subscript) -> Any:
        container = self._eval(node.value)
        key = self._eval(node.slice)
        if type(key) is slice:
            self._charge(self._cost(container))  # a slice is a copy
        elif type(key) in _CONTAINERS:
            self._charge(self._cost(key))  # hashing a tuple key walks it
        return container[key]

    def _eval_set(self, node: ast.Set) -> set[Any]:
        items = [self._eval(element) for element in node.elts]
        self._charge(sum(self._cost(item) for item in items))
        return set(items)

    def _eval_dict(self, node: ast.Dict) -> dict[Any, Any]:
        result = {}
        for key_node, value_node in zip(node.keys, node.values, strict=True):
            key = self._eval(key_node)
            self._charge(self._cost(key))
            result[key] = self._eval(value_node)
        return result

    def _eval_comprehension(self, node: ast.ListComp | ast.GeneratorExp | ast.DictComp) -> Any:
        outer = self.names
        self.names = ChainMap({}, outer)  # loop variables live in their own scope
        result: Any = {} if type(node) is ast.DictComp else []
        try:
            self._generate(node, 0, result)
        finally:
            self.names = outer
        self.check_storable(result)
        return result

    def _generate(self, node: Any, index: int, result: Any) -> None:
        generator = node.generators[index]
        for item in self._eval(generator.iter):
            self._rounds -= 1
            if self._rounds < 0:
                raise _Refusal(TOO_MANY_ROUNDS)
            self._charge(1)
            self._assign(generator.target, item)
            if not all(self._eval(condition) for condition in generator.ifs):
                continue
            if index + 1 < len(node.generators):
                self._generate(node, index + 1, result)
            elif type(result) is dict:
                key = self._eval(node.key)
                self._charge(self._cost(key))
                result[key] = self._eval(node.value)
            else:
                result.append(self._eval(node.elt))

    def _eval_joinedstr(self, node: ast.JoinedStr) -> str:
        parts = [self._eval(part) for part in node.values]
        _check_size(sum(len(part) for part in parts))
        return "".join(parts)

    def _eval_formattedvalue(self, node: ast.FormattedValue) -> str:
        value = self._eval(node.value)
        self._charge(self._cost(value))
        self.check_storable(value)
        text = str(value)
        _check_size(len(text))
        return text

    # Entry points -------------------------------------------------------------------------------

    def value(self, tree: ast.expr) -> Any:
        """The value of a checked expression tree on the current names."""
        result = self._eval(tree)
        self.check_storable(result)
        return result

    def run(self, body: list[ast.stmt]) -> None:
        """Run checked statements; assignments go into the current names."""
        for statement in body:
            self._charge(1)
            self.statements[type(statement)](statement)

    # Statements ---------------------------------------------------------------------------------

    def _exec_assign(self, node: ast.Assign) -> None:
        value = self._eval(node.value)
        for target in node.targets:
            self._assign(target, value)

    def _exec_augassign(self, node: ast.AugAssign) -> None:
        target, kind = node.target, type(node.op)
        if type(target) is ast.Name:
            # Always a new value: `lijst += [x]` must not change a list the case still holds.
            self.names[target.id] = self._binary(kind, self._eval(target), self._eval(node.value))
            return
        container = self._container(target.value)
        key = self._eval(target.slice)
        self._store(container, key, self._binary(kind, container[key], self._eval(node.value)))

    def _exec_expr(self, node: ast.Expr) -> None:
        self._eval(node.value)

    def _exec_if(self, node: ast.If) -> None:
        self.run(node.body if self._eval(node.test) else node.orelse)

    def _assign(self, target: ast.expr, value: Any) -> None:
        kind = type(target)
        if kind is ast.Name:
            self.names[target.id] = value
        elif kind is ast.Subscript:
            self._store(self._container(target.value), self._eval(target.slice), value)
        else:
            self._charge(self._cost(value))
            items = list(value)
            if len(items) != len(target.elts):
                raise _Refusal(f"links staan {len(target.elts)} namen, maar rechts staan "
                               f"{len(items)} waarden.")
            for element, item in zip(target.elts, items, strict=True):
                self._assign(element, item)

    def _store(self, container: Any, key: Any, value: Any) -> None:
        self._charge(self._cost(key) + self._cost(value))
        container[key] = value
        self._sizes.clear()  # sizes measured before are stale now
        if type(key) is slice:  # `x[0:0] = x` grows a list in place
            _check_size(self._measure(container, 0))

    def _container(self, node: ast.expr) -> Any:
        container = self._eval(node)
        if type(container) not in (dict, list):
            raise _Refusal(f"met [sleutel] = ... kunt u alleen een lijst of een groep velden "
                           f"veranderen, geen {_kind(container)}.")
        return container


def _constant_value(node: ast.Constant) -> Any:
    return node.value


def _mod(left: Any, right: Any) -> Any:
    if type(left) is str:
        raise _Refusal(PERCENT_TEXT)
    return left % right


def _method(receiver: Any, name: str) -> Callable[..., Any]:
    allowed = _METHODS.get(type(receiver))
    if allowed is None:
        allowed = next((names for kind, names in _METHODS.items() if isinstance(receiver, kind)),
                       frozenset())
    if name not in allowed:
        raise _Refusal(f"de methode '.{name}()' werkt niet op {_kind(receiver)}.")
    bound = getattr(receiver, name)
    if name in ("keys", "values", "items"):
        return lambda: list(bound())  # a list, so the result can be stored in the case
    return bound


_KIND_NAMES = {
    str: "tekst", int: "een getal", float: "een getal", bool: "ja/nee (True/False)",
    type(None): "None (leeg)", list: "een lijst", tuple: "een reeks", dict: "een groep velden",
    set: "een verzameling", date: "een datum", datetime: "een datum met tijd",
    timedelta: "een tijdsduur",
}


def _kind(value: Any) -> str:
    return _KIND_NAMES.get(type(value), "dit soort gegeven")


def _runtime_reason(exc: BaseException) -> str:
    """Dutch reason for an error raised while running a checked expression on a case's data."""
    if isinstance(exc, _Refusal):
        return exc.reason
    if isinstance(exc, KeyError):
        key = _shown(repr(exc.args[0]) if exc.args else "?")[:80]
        return f"de sleutel {key} bestaat niet. Gebruik .get({key}) als hij kan ontbreken."
    for kind, reason in _RUNTIME_REASONS:
        if isinstance(exc, kind):
            return reason.format(detail=_shown(exc)[:200])
    return f"er ging iets mis bij het uitrekenen (technisch: {type(exc).__name__}: {_shown(exc)})."


_RUNTIME_REASONS: list[tuple[type[BaseException], str]] = [
    (ZeroDivisionError, "u deelt door nul; dat kan niet."),
    (IndexError, "de lijst of tekst is korter dan de plaats die u vraagt."),
    (OverflowError, "een getal of datum wordt te groot."),
    (RecursionError, DATA_TOO_DEEP),
    (MemoryError, "de expressie vraagt te veel geheugen."),
    (TypeError, "de soort gegevens past niet, bijvoorbeeld tekst waar een getal nodig is "
                "(technisch: {detail})."),
    (ValueError, "een waarde is niet geldig (technisch: {detail})."),
]


class Evaluator:
    """Checks and runs expressions and scripts from models; see the module docstring.

    ``clock`` returns the current moment as a tz-aware UTC datetime; ``today()`` and ``now()`` read
    it (in Dutch time) and fail when no clock was given. Safe to share between threads.
    """

    def __init__(self, clock: Callable[[], datetime] | None = None):
        self._clock = clock
        self._functions = {**_FUNCTIONS, "now": self._now, "today": self._today}
        self._local = threading.local()

    def check(self, expression: str) -> None:
        """Refuse (``UnsafeExpression``) an expression outside the allowed subset; runs nothing."""
        _compiled(expression, "eval")

    def check_script(self, script: str) -> None:
        """Refuse (``UnsafeExpression``) a script outside the allowed subset; runs nothing."""
        _compiled(script, "exec")

    def evaluate(self, expression: str, names: Mapping[str, Any]) -> Any:
        """The value of ``expression`` on ``names``; never changes ``names``.

        Raises ``UnsafeExpression`` if the check refuses it, ``ExpressionFailed`` if it fails on
        this data (unknown name, wrong type, division by zero, too much work, ...).
        """
        tree = _compiled(expression, "eval")
        interpreter = self._acquire(names)
        try:
            return interpreter.value(tree)
        except Exception as exc:
            raise ExpressionFailed(_shown(expression), _runtime_reason(exc)) from exc
        finally:
            self._release(interpreter)

    def execute(self, script: str, names: dict[str, Any]) -> None:
        """Run ``script``; its assignments update ``names``, all of them or, on failure, none."""
        compiled: _Script = _compiled(script, "exec")
        interpreter = self._acquire({})
        try:
            # Only `x[key] = ...` can change a value in place; then work on a deep copy.
            scope = copy.deepcopy(names) if compiled.changes_containers else dict(names)
            interpreter.begin(scope)
            interpreter.run(compiled.body)
            changed = {root: scope[root] for root in compiled.roots if root in scope}
            if compiled.changes_containers:  # `x = d['a']; x[0] = 1` changes `d` as well
                changed.update((key, value) for key, value in scope.items()
                               if key not in changed and value != names.get(key))
            for value in changed.values():
                interpreter.check_storable(value)
        except Exception as exc:
            raise ExpressionFailed(_shown(script), _runtime_reason(exc)) from exc
        finally:
            self._release(interpreter)
        names.update(changed)

    def names_used(self, expression: str) -> set[str]:
        """The case fields ``expression`` reads (loop variables and function names left out)."""
        return set(_cached_names(expression))

    def _acquire(self, names: Mapping[str, Any]) -> _Interpreter:
        pool = self._local.__dict__.setdefault("pool", [])
        interpreter = pool.pop() if pool else _Interpreter(self._functions)
        interpreter.begin(names)
        return interpreter

    def _release(self, interpreter: _Interpreter) -> None:
        interpreter.begin({})  # hold no case data between runs
        self._local.pool.append(interpreter)

    def _now(self) -> datetime:
        if self._clock is None:
            raise _Refusal(NO_CLOCK.format(name="now"))
        moment = self._clock()
        if not isinstance(moment, datetime):
            raise _Refusal("de klok van de engine gaf geen datum met tijd.")
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(LOCAL_TZ)

    def _today(self) -> date:
        if self._clock is None:
            raise _Refusal(NO_CLOCK.format(name="today"))
        return self._now().date()


# --- Camunda / JUEL -------------------------------------------------------------------------------

_JUEL_SPACES = re.compile(r"\s*")
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


class _JuelParser:
    """Recursive descent over the JUEL subset Camunda models use; emits our syntax."""

    def __init__(self, source: str):
        self.tokens: list[tuple[str, str]] = []
        position = _JUEL_SPACES.match(source).end()
        while position < len(source):
            match = _JUEL_TOKEN.match(source, position)
            if match is None:
                raise _Refusal(f"het teken '{source[position]}' kan niet in een JUEL-expressie.")
            kind = match.lastgroup or "op"
            self.tokens.append((kind, match.group(kind)))
            position = _JUEL_SPACES.match(source, match.end()).end()
        self.position = 0
        self.depth = 0

    def parse(self) -> str:
        if not self.tokens:
            raise _Refusal(EMPTY)
        result = self.ternary()
        if self.position < len(self.tokens):
            raise _Refusal(f"onverwacht '{self.tokens[self.position][1]}' in de JUEL-expressie.")
        return result[0]

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.position] if self.position < len(self.tokens) else ("end", "")

    def take(self, *texts: str) -> str | None:
        kind, text = self.peek()
        if kind in ("op", "name") and text in texts:
            self.position += 1
            return text
        return None

    def expect(self, text: str) -> None:
        if self.take(text) is None:
            raise _Refusal(f"in de JUEL-expressie ontbreekt '{text}'.")

    def ternary(self) -> tuple[str, int]:
        return self.nested(self.conditional)

    def nested(self, parse: Callable[[], tuple[str, int]]) -> tuple[str, int]:
        """Run ``parse`` one level deeper; parentheses and prefix operators nest."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Refusal(TOO_DEEP)
        result = parse()
        self.depth -= 1
        return result

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
                raise _Refusal(f"de naam '{text}' kan niet: het is een gereserveerd woord.")
            result = text, _ATOM
        elif text == "(":
            inner = self.ternary()
            self.expect(")")
            return inner
        else:
            raise _Refusal(f"onverwacht '{text or 'einde'}' in de JUEL-expressie.")
        return self.suffixes(result)

    def suffixes(self, base: tuple[str, int]) -> tuple[str, int]:
        while True:
            if self.take(".") is not None:
                kind, name = self.peek()
                if kind != "name":
                    raise _Refusal("na '.' hoort de naam van een veld.")
                self.position += 1
                if self.peek() == ("op", "("):
                    raise _Refusal(f"'.{name}(...)' roept een methode aan; dat kan niet. Gebruik "
                                   "alleen de naam van het gegeven.")
                plain = name.isidentifier() and not keyword.iskeyword(name)
                base = (f"{base[0]}.{name}" if plain else f"{base[0]}[{name!r}]"), _ATOM
            elif self.take("[") is not None:
                key = self.ternary()
                self.expect("]")
                base = f"{base[0]}[{key[0]}]", _ATOM
            elif self.peek() == ("op", "("):
                raise _Refusal(f"'{base[0]}(...)' roept een functie aan; dat kan niet in een "
                               "JUEL-expressie. Schrijf de expressie in de vorm van Regie.")
            else:
                return base

    def execution_variable(self) -> str:
        """``execution.getVariable('x')`` is just the case field ``x``."""
        usage = "'execution' kan alleen als execution.getVariable('naam')."
        if self.take(".") is None or self.take("getVariable") is None or self.take("(") is None:
            raise _Refusal(usage)
        kind, text = self.peek()
        self.position += 1
        name = re.sub(r"\\(.)", r"\1", text[1:-1]) if kind == "string" else ""
        if not name.isidentifier() or keyword.iskeyword(name) or self.take(")") is None:
            raise _Refusal(usage)
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
            raise _Refusal("in de JUEL-expressie ontbreekt de '}' aan het eind.")
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
    except _Refusal as exc:
        raise UnsafeExpression(_shown(text), exc.reason) from None
    return result
