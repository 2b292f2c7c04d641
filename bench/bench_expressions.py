"""Micro-benchmark: the cost of evaluating one typical gateway condition.

Regie's restricted evaluator (cached check + simpleeval walk + work budget) against Python's raw
``eval`` of a pre-compiled code object, the unsafe baseline. Goal: well under 50 µs per condition.

    .venv/bin/python bench/bench_expressions.py [--number 20000]
"""

from __future__ import annotations

import argparse
import sys
import timeit
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.expressions import Evaluator  # noqa: E402

CONDITIONS = {
    "gateway": "status == 'akkoord' and leeftijd >= 18",
    "dmn cell": "(inkomen) == (1250)",
    "list check": "'financien' in leefgebieden and len(kinderen) > 0",
    "dates": "days_between(start, today()) > 14",
}
NAMES = {
    "status": "akkoord", "leeftijd": 42, "inkomen": 1250, "leefgebieden": ["wonen", "financien"],
    "kinderen": [{"naam": "Sam"}], "start": "2024-01-15",
}


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _days_between(a, b) -> int:
    """The baseline does the same work as Regie's function (parse both dates, subtract), not a stub."""
    return (_as_date(b) - _as_date(a)).days


def per_call_us(func, number: int) -> float:
    """Best of five runs, in microseconds per call."""
    return min(timeit.repeat(func, number=number, repeat=5)) / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=20_000, help="calls per timing run")
    args = parser.parse_args()

    clock = datetime(2024, 2, 1, 9, 0, tzinfo=UTC)
    evaluator = Evaluator(clock=lambda: clock)
    baseline_env = {"today": lambda: clock.date(), "days_between": _days_between}

    print(f"{'condition':<12} {'regie µs':>9} {'eval µs':>8} {'ratio':>6}   expression")
    for label, expression in CONDITIONS.items():
        evaluator.evaluate(expression, NAMES)  # warm the check cache, as the engine does on deploy
        code = compile(expression, "<condition>", "eval")
        regie = per_call_us(lambda expression=expression: evaluator.evaluate(expression, NAMES), args.number)
        raw = per_call_us(lambda code=code: eval(code, baseline_env, NAMES), args.number)  # noqa: S307 - baseline
        print(f"{label:<12} {regie:>9.2f} {raw:>8.2f} {regie / raw:>5.1f}x   {expression}")
    fresh = [f"status == 'akkoord' and leeftijd >= {i}" for i in range(2_000)]  # never seen: not cached
    start = timeit.default_timer()
    for expression in fresh:
        evaluator.check(expression)
    first = (timeit.default_timer() - start) / len(fresh) * 1e6
    print(f"first check of a new expression (parse + check, then cached): {first:.1f} µs")

if __name__ == "__main__":
    main()
