"""Issue 10 benchmark: the cost of completing one user task, timed the same way on both sides.

Both sides time the same work: find the ready user task, complete it with form data, run to the next
wait state and make the result durable or serialized.

- stock SpiffWorkflow, in memory + JSON serialize: the workflow object stays in memory.
- stock SpiffWorkflow, restore + step + serialize: the workflow is deserialized from its JSON first.
- Regie warm: ``Engine.tasks(case_id)`` + ``Engine.complete`` (the workflow of the case stays in the
  engine's cache); Regie cold: the same with ``cache_size=0``, so every step restores the state from
  the store — the row to hold against stock restore + step + serialize.

The stock rows run in a process of their own that never imports ``engine`` (whose import patches
SpiffWorkflow). Every row is run ``--repeat`` times; the table shows the median of the runs' medians
and the spread (lowest–highest run median), and each ratio is taken against the stock row measured in
the same round.

    .venv/bin/python bench/bench_complete.py [--cases 30] [--steps 20] [--repeat 3] [--clock cpu]

``--clock cpu`` times each step in CPU time of the process (``time.process_time``) instead of wall-clock
time: on a machine shared with other work, waiting for a core inflates wall-clock figures many times
over, while CPU time stays close to what an idle machine shows. Quote wall-clock figures from an idle
machine; use CPU time to compare on a loaded one (it leaves out time spent waiting on the database
server, so it flatters PostgreSQL).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG = os.environ.get("REGIE_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/regie_bench")
DATA = {"verslag": "Gebeld, gaat goed."}
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
clock = time.perf_counter


# --- stock SpiffWorkflow (run in a child process: ``--stock``) --------------------------------------


def bench_stock(cases: int, steps: int) -> dict[str, list[float]]:
    from SpiffWorkflow.util.task import TaskState

    from bench.common import MODELS, RawSpiff

    raw = RawSpiff(MODELS / "loop.bpmn", "loop")
    memory, restore = [], []
    for _ in range(cases):
        wf = raw.start({"limit": steps})
        for _ in range(steps):
            started = clock()
            task = next(t for t in wf.tasks.values() if t.state == TaskState.READY and t.task_spec.manual)
            task.data.update(DATA)
            task.run()
            wf.do_engine_steps()
            text = raw.serializer.serialize_json(wf)
            memory.append(clock() - started)
    for _ in range(cases):
        text = raw.serializer.serialize_json(raw.start({"limit": steps}))
        for _ in range(steps):
            started = clock()
            wf = raw.serializer.deserialize_json(text)
            task = next(t for t in wf.tasks.values() if t.state == TaskState.READY and t.task_spec.manual)
            task.data.update(DATA)
            task.run()
            wf.do_engine_steps()
            text = raw.serializer.serialize_json(wf)
            restore.append(clock() - started)
    return {"memory": memory, "restore": restore}


def stock_in_child(cases: int, steps: int, clock_name: str) -> dict[str, list[float]]:
    out = subprocess.run([sys.executable, __file__, "--stock", "--cases", str(cases), "--steps", str(steps),
                          "--clock", clock_name],
                         check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout)


# --- Regie -----------------------------------------------------------------------------------------


def bench_regie(url: str, cases: int, steps: int, warm: bool) -> list[float]:
    from bench.common import MODELS
    from engine import Engine

    eng = Engine.from_url(url, cache_size=512 if warm else 0)
    eng.deploy([MODELS / "loop.bpmn", MODELS / "contactmoment.yaml"])
    samples = []
    for _ in range(cases):
        case_id = eng.start("loop", {"limit": steps})
        for _ in range(steps):
            started = clock()
            task = eng.tasks(case_id=case_id)[0]
            eng.complete(task.id, DATA, actor="bench")
            samples.append(clock() - started)
    eng.store.dispose()
    return samples


def pg_url() -> str | None:
    try:
        import psycopg

        admin = PG.rsplit("/", 1)[0].replace("+psycopg", "") + "/postgres"
        name = PG.rsplit("/", 1)[1]
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return PG
    except Exception as err:  # no server: report and leave those rows out
        print(f"PostgreSQL rows left out: {err.__class__.__name__}")
        return None


# --- report ----------------------------------------------------------------------------------------


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def p95_ms(samples: list[float]) -> float:
    return sorted(samples)[max(int(len(samples) * 0.95) - 1, 0)] * 1000


ROWS = [
    ("memory", "stock SpiffWorkflow: in memory + JSON serialize", None),
    ("restore", "stock SpiffWorkflow: restore + step + serialize", None),
    ("sqlite-warm", "Regie SQLite, warm (lookup + complete + commit)", "memory"),
    ("sqlite-cold", "Regie SQLite, cold (state restored from the store)", "restore"),
    ("pg-warm", "Regie PostgreSQL, warm", "memory"),
    ("pg-cold", "Regie PostgreSQL, cold", "restore"),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=30)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="wall: elapsed time (idle machine); cpu: CPU time of the process (loaded machine)")
    parser.add_argument("--stock", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    global clock
    clock = CLOCKS[args.clock]
    if args.stock:
        print(json.dumps(bench_stock(args.cases, args.steps)))
        return
    runs: dict[str, list[float]] = {key: [] for key, _, _ in ROWS}        # median ms per run
    p95: dict[str, list[float]] = {key: [] for key, _, _ in ROWS}
    ratios: dict[str, list[float]] = {key: [] for key, _, _ in ROWS}
    use_pg = not args.no_pg
    for _ in range(args.repeat):
        measured = stock_in_child(args.cases, args.steps, args.clock)
        with tempfile.TemporaryDirectory() as tmp:
            measured["sqlite-warm"] = bench_regie(f"sqlite:///{tmp}/warm.db", args.cases, args.steps, True)
            measured["sqlite-cold"] = bench_regie(f"sqlite:///{tmp}/cold.db", args.cases, args.steps, False)
        url = pg_url() if use_pg else None
        if url:
            measured["pg-warm"] = bench_regie(url, args.cases, args.steps, True)
            url = pg_url()
            measured["pg-cold"] = bench_regie(url, args.cases, args.steps, False)
        else:
            use_pg = False
        for key, _, base in ROWS:
            if key in measured:
                runs[key].append(median_ms(measured[key]))
                p95[key].append(p95_ms(measured[key]))
                if base:
                    ratios[key].append(median_ms(measured[key]) / median_ms(measured[base]))
    print(f"Complete one user task, task lookup included: {args.cases} cases x {args.steps} steps (loop model), "
          f"{args.repeat} runs, {args.clock} clock; median of the run medians (lowest-highest run), ratio to the stock row of the same run")
    print(f"{'':52} {'median ms':>10} {'spread ms':>14} {'p95 ms':>8} {'ratio':>14}")
    for key, name, base in ROWS:
        if not runs[key]:
            continue
        spread = f"{min(runs[key]):.2f}-{max(runs[key]):.2f}"
        ratio = (f"{statistics.median(ratios[key]):.2f}x ({min(ratios[key]):.2f}-{max(ratios[key]):.2f})"
                 if base else "1.00x")
        print(f"{name:52} {statistics.median(runs[key]):10.2f} {spread:>14} {statistics.median(p95[key]):8.2f} "
              f"{ratio:>14}")


if __name__ == "__main__":
    main()
