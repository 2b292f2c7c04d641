"""Issue 6 benchmark: the cost of one step and the size of the stored state as a case gets long.

For each model (the loop of the issue: user task + script task + gateway; and the same loop with a
parallel split/join and a non-interrupting boundary timer) one case is driven round after round.
Regie: one ``complete`` (engine + store commit, SQLite) timed per round; the figure at round N is the
median of the rounds around N. State: the bytes of the stored workflow state at round N. Baseline:
stock SpiffWorkflow stepping in memory and serializing to JSON after each step, as a store would.
Raw SpiffWorkflow is only measured up to round 300: its cost grows with the history, and at depth
1,000 its task iterator stops, so the loop case stalls (round 333 for the plain loop).

    .venv/bin/python bench/bench_long_case.py [--rounds 5000] [--window 41] [--pg]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from SpiffWorkflow.util.task import TaskState  # noqa: E402

from bench.common import MODELS, RawSpiff  # noqa: E402
from engine import Engine, ManualClock, SequentialIds  # noqa: E402

RAW_CHECKPOINTS = (10, 100, 300)
CASES = (("loop.bpmn", "loop", "loop (user task + script + gateway)"),
         ("loop_parallel.bpmn", "loop_parallel", "loop with parallel split/join + non-interrupting boundary timer"))


def checkpoints(rounds: int) -> list[int]:
    return sorted({10, 1000, rounds} | ({100} if rounds >= 1000 else set()))


def around(points: list[int], window: int) -> dict[int, range]:
    half = window // 2
    return {p: range(max(1, p - half), p + half + 1) for p in points}


def bench_regie(url: str, model: str, process: str, points: list[int], window: int) -> dict[int, tuple[float, int]]:
    """Round -> (median ms of one complete around it, stored state bytes at it)."""
    eng = Engine.from_url(url, clock=ManualClock(), ids=SequentialIds())
    eng.deploy([MODELS / model, MODELS / "contactmoment.yaml"])
    spans = around(points, window)
    last = max(r.stop for r in spans.values())
    case_id = eng.start(process, {"limit": last + 1})
    samples: dict[int, list[float]] = {p: [] for p in points}
    sizes: dict[int, int] = {}
    for n in range(1, last):
        task_id = eng.tasks(case_id=case_id)[0].id
        start = time.perf_counter()
        eng.complete(task_id, {"verslag": "Gebeld, gaat goed."}, actor="bench")
        elapsed = time.perf_counter() - start
        for p, span in spans.items():
            if n in span:
                samples[p].append(elapsed)
            if n == p:
                with eng.store.read() as tx:
                    sizes[p] = len(tx.case(case_id).state)
    eng.store.dispose()
    return {p: (statistics.median(samples[p]) * 1000, sizes[p]) for p in points}


def bench_raw(model: str, process: str, window: int) -> tuple[dict[int, tuple[float, int]], str | None]:
    """Round -> (median ms of one step + JSON serialize, JSON bytes); and how and when it broke down, if it did."""
    raw = RawSpiff(MODELS / model, process)
    wf = raw.start({"limit": 10_000})
    spans = around(list(RAW_CHECKPOINTS), window)
    timed_until = max(r.stop for r in spans.values())
    samples: dict[int, list[float]] = {p: [] for p in RAW_CHECKPOINTS}
    sizes: dict[int, int] = {}
    for n in range(1, 2000):
        # Past the last checkpoint, walk on without timing until the case breaks down.
        if not any(t.state == TaskState.READY and t.task_spec.manual for t in wf.tasks.values()):
            return _summary(samples, sizes), f"stalls after round {n - 1}: no ready task left (the tree iterator stops at depth 1,000)"
        start = time.perf_counter()
        try:
            text = raw.complete(wf, {"verslag": "Gebeld, gaat goed."} if n < timed_until else {})
        except RecursionError:
            return _summary(samples, sizes), f"fails at round {n}: RecursionError (a join walks the whole history)"
        elapsed = time.perf_counter() - start
        for p, span in spans.items():
            if n in span:
                samples[p].append(elapsed)
            if n == p:
                sizes[p] = len(text)
    return _summary(samples, sizes), None


def _summary(samples, sizes) -> dict[int, tuple[float, int]]:
    return {p: (statistics.median(s) * 1000, sizes[p]) for p, s in samples.items() if s and p in sizes}


def pg_url() -> str | None:
    from bench.bench_complete import pg_url as make

    return make()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5000)
    parser.add_argument("--window", type=int, default=41, help="rounds around each checkpoint (median)")
    parser.add_argument("--pg", action="store_true", help="also measure Regie on PostgreSQL (REGIE_BENCH_PG)")
    args = parser.parse_args()
    points = checkpoints(args.rounds)
    for model, process, title in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            regie = bench_regie(f"sqlite:///{tmp}/bench.db", model, process, points, args.window)
        pg = bench_regie(url, model, process, points, args.window) if args.pg and (url := pg_url()) else None
        raw, stalled = bench_raw(model, process, args.window)
        print(f"\n{title}: one case, one user task completed per round (median of {args.window} rounds)")
        head = f"{'round':>6} {'Regie ms (SQLite)':>18} {'Regie state B':>14}"
        head += f" {'Regie ms (PG)':>14}" if pg else ""
        print(head + f" {'raw Spiff ms':>13} {'raw JSON B':>11}")
        for p in sorted(set(points) | set(RAW_CHECKPOINTS)):
            ms, size = regie.get(p, (None, None))
            line = f"{p:>6} {_num(ms, 18, 3)} {_num(size, 14, 0)}"
            line += f" {_num(pg.get(p, (None,))[0], 14, 3)}" if pg else ""
            raw_ms, raw_size = raw.get(p, (None, None))
            print(line + f" {_num(raw_ms, 13, 3)} {_num(raw_size, 11, 0)}")
        first, final = regie[min(points)][0], regie[max(points)][0]
        print(f"Regie step cost at round {max(points)} / round {min(points)}: {final / first:.2f}x; "
              f"state {regie[min(points)][1]} -> {regie[max(points)][1]} bytes")
        print(f"raw SpiffWorkflow measured up to round {max(RAW_CHECKPOINTS)} only" + (f"; it {stalled}" if stalled else ""))


def _num(value, width: int, decimals: int) -> str:
    if value is None:
        return f"{'-':>{width}}"
    return f"{value:>{width},.{decimals}f}"


if __name__ == "__main__":
    main()
