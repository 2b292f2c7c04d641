"""Guards on numbers and sizes, shared by the static check (constant folding) and the run time.

A text refused before it runs is refused for the same reason as a value built while it runs.
"""

from __future__ import annotations

from typing import Any

from .limits import _SEQUENCES, MAX_DEPTH, MAX_INT_BITS, MAX_ITEMS
from .messages import NUMBER_TOO_BIG, TOO_DEEP, VALUE_TOO_LONG, Refusal


def _checked_int(value: int) -> int:
    if value.bit_length() > MAX_INT_BITS:
        raise Refusal(NUMBER_TOO_BIG)
    return value


def _power(base: Any, exponent: Any) -> Any:
    """``base ** exponent`` unless the result would be a huge number."""
    if type(base) in (int, bool) and type(exponent) in (int, bool) and exponent > 0 and abs(base) > 1:
        if exponent > MAX_INT_BITS or exponent * abs(base).bit_length() > MAX_INT_BITS + 64:
            raise Refusal(NUMBER_TOO_BIG)
        return _checked_int(base**exponent)
    return base**exponent


def _check_product(left: Any, right: Any) -> None:
    if type(left) in (int, bool) and type(right) in (int, bool):
        if left.bit_length() + right.bit_length() > MAX_INT_BITS + 1:
            raise Refusal(NUMBER_TOO_BIG)


def _check_size(size: int) -> None:
    if size > MAX_ITEMS:
        raise Refusal(VALUE_TOO_LONG)


def _static_size(value: Any, memo: dict[int, int], depth: int = 0) -> int:
    """Characters of a folded text, or items of a folded tuple counting repeated parts each time."""
    if type(value) is str:
        return len(value)
    if type(value) is not tuple:
        return 1
    if id(value) not in memo:
        if depth > MAX_DEPTH:
            raise Refusal(TOO_DEEP)
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
