"""``Evaluator``: the one entry point that checks and runs a model's expressions and scripts."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from engine.errors import ExpressionFailed

from ..region import local
from .check import _cached_names, _compiled, _Script
from .functions import _FUNCTIONS
from .interpreter import _Interpreter
from .messages import NO_CLOCK, Refusal, _runtime_reason, _shown


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
            raise Refusal(NO_CLOCK.format(name="now"))
        moment = self._clock()
        if not isinstance(moment, datetime):
            raise Refusal("de klok van de engine gaf geen datum met tijd.")
        return local(moment)

    def _today(self) -> date:
        if self._clock is None:
            raise Refusal(NO_CLOCK.format(name="today"))
        return self._now().date()
