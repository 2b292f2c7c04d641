"""Constant folding during the static check: refuse huge numbers and repetitions before anything runs."""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from typing import Any

from .guards import _check_product, _check_size, _power, _repetition, _static_size
from .limits import _SEQUENCES
from .messages import PERCENT_TEXT, Refusal

_UNKNOWN = object()  # "not a constant" during folding


def _fold_binop(node: ast.BinOp, values: dict[int, Any]) -> Any:
    left = values.get(id(node.left), _UNKNOWN)
    right = values.get(id(node.right), _UNKNOWN)
    kind = type(node.op)
    if kind is ast.Mod and (type(left) is str or type(node.left) is ast.JoinedStr):
        raise Refusal(PERCENT_TEXT)
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
    return _STATIC_UNARY[type(node.op)](operand)


_STATIC_UNARY: dict[type, Callable[[Any], Any]] = {
    ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_,
}


def _fold_sequence(node: ast.List | ast.Tuple, values: dict[int, Any]) -> Any:
    items = [values.get(id(element), _UNKNOWN) for element in node.elts]
    return _UNKNOWN if _UNKNOWN in items else tuple(items)


def _fold_constant(node: ast.Constant, values: dict[int, Any]) -> Any:
    return node.value


_FOLDERS: dict[type, Callable[[Any, dict[int, Any]], Any]] = {
    ast.Constant: _fold_constant, ast.BinOp: _fold_binop, ast.UnaryOp: _fold_unaryop,
    ast.List: _fold_sequence, ast.Tuple: _fold_sequence,
}
