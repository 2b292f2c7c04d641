"""Issue 2 benchmark: the cost of completing one user task.

Regie: engine + store commit, in-process, on SQLite (WAL) and PostgreSQL. Baseline: stock SpiffWorkflow
doing the same step in memory followed by a JSON serialize. Goal: Regie on SQLite ≤ 2 ms median.

    .venv/bin/python bench/bench_complete.py [--cases 40] [--steps 25]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import MODELS, RawSpiff, median_ms, p95_ms, timed  # noqa: E402
from engine import Engine  # noqa: E402

PG = os.environ.get("REGIE_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/regie_bench")


def bench_regie(url: str, cases: int, steps: int) -> list[float]:
    eng = Engine.from_url(url)
    eng.deploy([MODELS / "loop.bpmn", MODELS / "contactmoment.yaml"])
    samples = []
    for _ in range(cases):
        case_id = eng.start("loop", {"limit": steps})
        for _ in range(steps):
            task = eng.tasks(case_id=case_id)[0]
            elapsed, _ = timed(eng.complete, task.id, {"verslag": "Gebeld, gaat goed."}, actor="bench")
            samples.append(elapsed)
    eng.store.dispose()
    return samples


def bench_raw(cases: int, steps: int) -> list[float]:
    raw = RawSpiff(MODELS / "loop.bpmn", "loop")
    samples = []
    for _ in range(cases):
        wf = raw.start({"limit": steps})
        for _ in range(steps):
            elapsed, _ = timed(raw.complete, wf, {"verslag": "Gebeld, gaat goed."})
            samples.append(elapsed)
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
    except Exception as err:  # no server: report and skip that row
        print(f"PostgreSQL skipped: {err.__class__.__name__}")
        return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=40)
    parser.add_argument("--steps", type=int, default=25)
    args = parser.parse_args()
    raw = bench_raw(args.cases, args.steps)
    rows = [("raw SpiffWorkflow (memory + JSON)", raw)]
    with tempfile.TemporaryDirectory() as tmp:
        rows.append(("Regie, SQLite (engine + commit)", bench_regie(f"sqlite:///{tmp}/bench.db", args.cases, args.steps)))
    url = pg_url()
    if url:
        rows.append(("Regie, PostgreSQL (engine + commit)", bench_regie(url, args.cases, args.steps)))
    base = median_ms(raw)
    print(f"Complete one user task: {args.cases} cases x {args.steps} steps (loop model)")
    print(f"{'':40} {'median ms':>10} {'p95 ms':>8} {'ratio':>7}")
    for name, samples in rows:
        print(f"{name:40} {median_ms(samples):10.3f} {p95_ms(samples):8.3f} {median_ms(samples) / base:6.2f}x")


if __name__ == "__main__":
    main()
