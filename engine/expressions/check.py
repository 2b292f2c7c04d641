"""The static check: parse a text, refuse anything outside the allowed subset, cache the result."""

from __future__ import annotations

import ast
import functools
import textwrap
from collections.abc import Callable
from typing import Any, NamedTuple

from engine.errors import UnsafeExpression

from .folding import _FOLDERS, _UNKNOWN
from .functions import _ALL_METHODS, _CLOCK_FUNCTIONS, _FUNCTIONS
from .guards import _checked_int
from .limits import _CACHE_MAX_CHARS, _CACHE_SIZE, MAX_DEPTH, MAX_SOURCE_CHARS
from .messages import (
    EMPTY,
    NOT_CALLABLE,
    NUMBER_TOO_BIG,
    PRIVATE_ATTRIBUTE,
    PRIVATE_NAME,
    TOO_DEEP,
    TOO_LONG_SOURCE,
    UNKNOWN_FUNCTION,
    UNKNOWN_METHOD,
    Refusal,
    _dutch_number,
    _shown,
)
from .rules import (
    _CONSTANT_TYPES,
    _EXPRESSION_NODES,
    _FORBIDDEN_ATTRIBUTES,
    _FORBIDDEN_CALLS,
    _FORBIDDEN_NAMES,
    _REFUSED_NODES,
    _SCRIPT_NODES,
)


def _check_name(node: ast.Name) -> None:
    name = node.id
    if name in _FORBIDDEN_NAMES:
        raise Refusal(_FORBIDDEN_NAMES[name].format(name=name))
    if name.startswith("_"):
        raise Refusal(PRIVATE_NAME.format(name=name))


def _check_attribute(node: ast.Attribute) -> None:
    name = node.attr
    if name in _FORBIDDEN_ATTRIBUTES:
        raise Refusal(_FORBIDDEN_ATTRIBUTES[name].format(name=f".{name}"))
    if name.startswith(("_", "func_")):
        raise Refusal(PRIVATE_ATTRIBUTE.format(name=name))


def _check_call(node: ast.Call) -> None:
    func = node.func
    if type(func) is ast.Name:
        name = func.id
        reason = _FORBIDDEN_NAMES.get(name) or _FORBIDDEN_CALLS.get(name)
        if reason:
            raise Refusal(reason.format(name=name))
        if name not in _FUNCTIONS and name not in _CLOCK_FUNCTIONS:
            allowed = ", ".join(sorted([*_FUNCTIONS, *_CLOCK_FUNCTIONS]))
            raise Refusal(UNKNOWN_FUNCTION.format(name=name, allowed=allowed))
    elif type(func) is ast.Attribute:
        _check_attribute(func)
        if func.attr not in _ALL_METHODS:
            allowed = ", ".join(f".{name}()" for name in sorted(_ALL_METHODS))
            raise Refusal(UNKNOWN_METHOD.format(name=func.attr, allowed=allowed))
    else:
        raise Refusal(_REFUSED_NODES.get(type(func), NOT_CALLABLE))
    for item in node.keywords:
        if item.arg is None:
            raise Refusal(_REFUSED_NODES[ast.Starred])
        if item.arg.startswith("_"):
            raise Refusal(PRIVATE_NAME.format(name=item.arg))


def _check_constant(node: ast.Constant) -> None:
    value = node.value
    if type(value) not in _CONSTANT_TYPES:
        raise Refusal(f"de waarde {value!r:.40} is niet toegestaan. Gebruik getallen, tekst, "
                       "True, False of None.")
    if type(value) is int:
        _checked_int(value)


def _check_formatted_value(node: ast.FormattedValue) -> None:
    if node.format_spec is not None or node.conversion != -1:
        raise Refusal("opmaak in een f-string (na ':' of '!') is niet toegestaan. "
                       "Gebruik bijvoorbeeld round(x, 2).")


def _check_dict(node: ast.Dict) -> None:
    if any(key is None for key in node.keys):
        raise Refusal(_REFUSED_NODES[ast.Starred])


def _check_loop_target(target: ast.expr) -> None:
    if isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            _check_loop_target(element)
    elif type(target) is not ast.Name:
        raise Refusal("na 'for' mag alleen een naam staan, bijvoorbeeld: for x in lijst.")


def _check_comprehension(node: ast.comprehension) -> None:
    if node.is_async:
        raise Refusal(_REFUSED_NODES[ast.Await])
    _check_loop_target(node.target)


def _store_root(target: ast.expr) -> str:
    """Name of the variable an assignment changes: ``x`` for ``x``, ``x['a'][0]``."""
    while isinstance(target, ast.Subscript):
        target = target.value
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        raise Refusal("een veld veranderen met een punt kan niet. Schrijf x['veld'] = ...")
    raise Refusal("links van '=' mag alleen een naam staan, of een naam met [sleutel].")


def _check_assign_target(target: ast.expr) -> None:
    if isinstance(target, (ast.Tuple, ast.List)):
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
        raise Refusal(TOO_DEEP)
    kind = type(node)
    if kind not in allowed:
        reason = _REFUSED_NODES.get(kind)
        if reason is None:
            reason = f"'{kind.__name__}' is niet toegestaan in een expressie."
        raise Refusal(reason)
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
        raise Refusal(TOO_LONG_SOURCE.format(length=_dutch_number(len(text)),
                                              limit=_dutch_number(MAX_SOURCE_CHARS)))


def _parse(text: str, mode: str) -> ast.AST:
    if type(text) is not str:
        raise Refusal("de expressie is geen tekst.")
    _parse_size(text)
    source = text.strip() if mode == "eval" else textwrap.dedent(text)
    if mode == "eval" and not source:
        raise Refusal(EMPTY)
    try:
        return ast.parse(source, mode=mode)
    except SyntaxError as exc:
        raise Refusal(_syntax_reason(source, exc, mode)) from None
    except (RecursionError, MemoryError):
        raise Refusal(TOO_DEEP) from None
    except ValueError:
        raise Refusal("de tekst bevat een ongeldig teken.") from None


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
    if isinstance(tree, ast.Expression):
        return tree.body
    assert isinstance(tree, ast.Module)
    roots: set[str] = set()
    changes_containers = False
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AugAssign) else []
        )
        for target in targets:
            for part in ast.walk(target):
                if type(part) is ast.Subscript:
                    changes_containers = True
            roots.update(_target_roots(target))
    return _Script(tree.body, frozenset(roots), changes_containers)


def _target_roots(target: ast.expr) -> list[str]:
    if isinstance(target, (ast.Tuple, ast.List)):
        return [root for element in target.elts for root in _target_roots(element)]
    return [_store_root(target)]


_cached_compile = functools.lru_cache(maxsize=_CACHE_SIZE)(_compile)


def _compiled(text: str, mode: str) -> Any:
    """Parse and check ``text`` (cached for everyday sizes); raises ``UnsafeExpression``."""
    try:
        if type(text) is str and len(text) <= _CACHE_MAX_CHARS:
            return _cached_compile(text, mode)
        return _compile(text, mode)
    except Refusal as exc:
        raise UnsafeExpression(_shown(text), exc.reason) from None


def _free_names(node: ast.AST, bound: frozenset[str], found: set[str]) -> None:
    if isinstance(node, ast.Name):
        if node.id not in bound:
            found.add(node.id)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        for child in [*node.args, *node.keywords]:
            _free_names(child, bound, found)
    elif isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.DictComp)):
        inner = bound
        for index, generator in enumerate(node.generators):
            # The first `in` is read outside the comprehension; later parts see its variables.
            _free_names(generator.iter, inner if index else bound, found)
            inner = inner | {part.id for part in ast.walk(generator.target) if type(part) is ast.Name}
            for condition in generator.ifs:
                _free_names(condition, inner, found)
        results = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
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
