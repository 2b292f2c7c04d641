"""The limits every expression and script runs within."""

from __future__ import annotations

from ..region import TIMEZONE

MAX_SOURCE_CHARS = 10_000  # characters in one expression or script
MAX_DEPTH = 64  # nesting of the syntax tree (and of data the evaluator walks)
MAX_INT_BITS = 4_096  # about 1,200 digits
MAX_ITEMS = 100_000  # characters of a text, or items of a (nested) list or dict the evaluator builds
MAX_ROUNDS = 10_000  # rounds of all comprehensions in one run together
MAX_STEPS = 200_000  # work budget of one run, in steps: see _Interpreter._cost
LOCAL_TZ = TIMEZONE  # today() and now() answer in the municipality's time (engine/region.py)
_CACHE_SIZE = 1_024
_CACHE_MAX_CHARS = 2_000  # bigger texts are checked on every call instead of held in the cache

_SEQUENCES = frozenset({str, list, tuple})
_CONTAINERS = frozenset({list, tuple, dict, set, frozenset})
