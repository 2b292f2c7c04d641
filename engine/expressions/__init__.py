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

from typing import Any

from .evaluator import Evaluator

__all__ = ["Evaluator", "juel_to_expression"]


def __getattr__(name: str) -> Any:
    """``juel_to_expression`` lives with the other dialects; imported late, as the dialects build on this package."""
    if name == "juel_to_expression":
        from engine.dialects.juel import juel_to_expression

        return juel_to_expression
    raise AttributeError(name)
