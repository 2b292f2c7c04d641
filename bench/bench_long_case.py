"""Issue 6 benchmark: the cost of one step and the size of the stored state as a case gets long.

Two models: the loop of the issue (user task + script task + gateway) and the same loop with a
parallel split/join and a non-interrupting boundary timer. For each checkpoint N one case is first
driven to round N; then the cases of all checkpoints take their next rounds in turn, so every
checkpoint is timed under the same machine load. The figure at N is the median of the rounds timed
around N (a window centred on N where it can be); the state size is taken right after round N.

- Regie: one ``complete`` (engine + store commit, SQLite; ``--pg`` adds PostgreSQL); state = bytes
  of the stored workflow state.
- Raw SpiffWorkflow (the baseline of bench/common.py): the same step in memory plus the JSON
  serialization a store would do; state = bytes of that JSON. Measured up to round 300 only: its
  cost grows with the history and before round 1,000 the loop case breaks down (the task iterator
  stops at tree depth 1,000: the plain loop stalls after round 333, the parallel loop fails earlier).

    .venv/bin/python bench/bench_long_case.py [--rounds 5000] [--window 21] [--pg]
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

RAW_CHECKPOINTS = [10, 100, 300]
CASES = (("loop.bpmn", "loop", "Loop (user task + script task + gateway)"),
         ("loop_parallel.bpmn", "loop_parallel", "Loop with parallel split/join and a non-interrupting boundary timer"))
DATA = {"verslag": "Gebeld, gaat goed."}


def bench_regie(url: str, model: str, process: str, points: list[int], window: int) -> dict[int, tuple[float, int]]:
    """Checkpoint -> (median ms of one ``complete`` from that round on, stored state bytes after them)."""
    eng = Engine.from_url(url, clock=ManualClock(), ids=SequentialIds())
    eng.deploy([MODELS / model, MODELS / "contactmoment.yaml"])
    cases = {}
    for point in points:
        case_id = eng.start(process, {"limit": point + window + 10})
        for _ in range(_first_timed(point, window) - 1):
            eng.complete(eng.tasks(case_id=case_id)[0].id, DATA, actor="bench")
        cases[point] = case_id
    samples: dict[int, list[float]] = {p: [] for p in points}
    sizes: dict[int, int] = {}
    for k in range(window):
        for point, case_id in cases.items():
            task_id = eng.tasks(case_id=case_id)[0].id
            start = time.perf_counter()
            eng.complete(task_id, DATA, actor="bench")
            samples[point].append(time.perf_counter() - start)
            if _first_timed(point, window) + k == point:
                with eng.store.read() as tx:
                    sizes[point] = len(tx.case(case_id).state)
    eng.store.dispose()
    return {p: (statistics.median(samples[p]) * 1000, sizes[p]) for p in points}


def _first_timed(point: int, window: int) -> int:
    """The first timed round, so that the window is centred on ``point`` where it can be."""
    return max(1, point - window // 2)


def bench_raw(model: str, process: str, window: int) -> tuple[dict[int, tuple[float, int]], str]:
    """Checkpoint -> (median ms of one step + JSON serialize, JSON bytes); and where the case broke down."""
    raw = RawSpiff(MODELS / model, process)
    workflows, broke = {}, ""
    for point in RAW_CHECKPOINTS:
        wf = raw.start({"limit": 10_000})
        try:
            for n in range(1, _first_timed(point, window)):
                _raw_step(raw, wf, n)
        except _BrokeDown as err:
            broke = str(err)
            break
        workflows[point] = wf
    samples: dict[int, list[float]] = {p: [] for p in workflows}
    sizes: dict[int, int] = {}
    for k in range(window):
        for point, wf in list(workflows.items()):
            if not any(t.state == TaskState.READY and t.task_spec.manual for t in wf.tasks.values()):
                del workflows[point]    # broke down inside the window: its rounds so far are the sample
                continue
            start = time.perf_counter()
            try:
                text = raw.complete(wf, DATA)
            except RecursionError:
                del workflows[point]
                continue
            samples[point].append(time.perf_counter() - start)
            if _first_timed(point, window) + k == point:
                sizes[point] = len(text)
    if not broke:
        # Walk a new case on (untimed) until it breaks down.
        wf = raw.start({"limit": 10_000})
        try:
            for n in range(1, 2000):
                _raw_step(raw, wf, n)
        except _BrokeDown as err:
            broke = str(err)
    return {p: (statistics.median(s) * 1000, sizes[p]) for p, s in samples.items() if s}, broke


class _BrokeDown(Exception):
    pass


def _raw_step(raw: RawSpiff, wf, n: int) -> None:
    if not any(t.state == TaskState.READY and t.task_spec.manual for t in wf.tasks.values()):
        raise _BrokeDown(f"stalls after round {n - 1}: no ready task left, "
                         f"is_completed() says {wf.is_completed()} without reaching the end event")
    try:
        raw.complete(wf, DATA)
    except RecursionError:
        raise _BrokeDown(f"fails in round {n}: RecursionError (the parallel join walks the whole history)") from None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5000)
    parser.add_argument("--window", type=int, default=21, help="rounds timed around each checkpoint (median)")
    parser.add_argument("--pg", action="store_true", help="also measure Regie on PostgreSQL (REGIE_BENCH_PG)")
    args = parser.parse_args()
    points = sorted({10, 1000, args.rounds})
    for model, process, title in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            regie = bench_regie(f"sqlite:///{tmp}/bench.db", model, process, points, args.window)
        pg = None
        if args.pg:
            from bench.bench_complete import pg_url

            url = pg_url()
            pg = bench_regie(url, model, process, points, args.window) if url else None
        raw, broke = bench_raw(model, process, args.window)
        print(f"\n{title}: median of {args.window} rounds per checkpoint")
        head = f"{'round':>6} | {'Regie ms (SQLite)':>17} | {'Regie state B':>13}"
        head += f" | {'Regie ms (PG)':>13}" if pg else ""
        print(head + f" | {'raw Spiff ms':>12} | {'raw JSON B':>10}")
        for point in sorted(set(points) | set(RAW_CHECKPOINTS)):
            ms, size = regie.get(point, (None, None))
            line = f"{point:>6} | {_num(ms, 17, 2)} | {_num(size, 13, 0)}"
            line += f" | {_num(pg.get(point, (None,))[0], 13, 2)}" if pg else ""
            raw_ms, raw_size = raw.get(point, (None, None))
            print(line + f" | {_num(raw_ms, 12, 2)} | {_num(raw_size, 10, 0)}")
        low, high = min(points), max(points)
        print(f"Regie: step at round {high} = {regie[high][0] / regie[low][0]:.2f}x the step at round {low}"
              + (f" (PostgreSQL {pg[high][0] / pg[low][0]:.2f}x)" if pg else "")
              + f"; state {regie[low][1]:,} -> {regie[high][1]:,} bytes")
        print(f"Raw SpiffWorkflow: measured up to round {max(raw)} only; it {broke}.")


def _num(value, width: int, decimals: int) -> str:
    if value is None:
        return f"{'-':>{width}}"
    return f"{value:>{width},.{decimals}f}"


if __name__ == "__main__":
    main()
