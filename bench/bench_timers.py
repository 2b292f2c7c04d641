"""Issues 4 and 10 benchmark: how fast the scheduler fires due timers, with one and with two processes.

10,000 cases each wait at one timer that is long due. ``regie scheduler --once`` processes (real OS
processes, as in production) fire them all against one PostgreSQL database, a batch of claimed cases
per transaction (``engine.timers.fire_cases``); the figure is timers fired per second of wall time,
start-up of the processes included. Goal (issue 10): 10,000 in <= 30 s with two processes. The cases are made once in a
template database and copied for every run, so each run starts from the same state. Baseline: stock
SpiffWorkflow doing the same step in memory (restore the workflow from JSON, let the timer fire, run
the engine steps, serialize) — no database, no events, no locks.

    .venv/bin/python bench/bench_timers.py [--timers 10000] [--batch 100] [--setup-workers 2]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG = os.environ.get("REGIE_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/regie_bench_timers")
MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs_bench_timer"
    targetNamespace="https://regie.dev/bench">
  <bpmn:process id="bench_timer" name="Benchmark timer" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="wacht"/>
    <bpmn:intermediateCatchEvent id="wacht">
      <bpmn:timerEventDefinition><bpmn:timeDuration>{duration}</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="wacht" targetRef="einde"/>
    <bpmn:endEvent id="einde"/>
  </bpmn:process>
</bpmn:definitions>
"""
START = "2020-01-06T09:00:00+00:00"
QUIET_RAW = 2_888      # raw SpiffWorkflow timers/s on a quiet machine (issue 10), to express the goal as a ratio   # the timers are due a day later: long past for the schedulers


def _admin(url: str) -> str:
    return url.rsplit("/", 1)[0].replace("+psycopg", "") + "/postgres"


def _recreate(url: str, template: str | None = None) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(_admin(url), autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))


def _start_cases(args: tuple[str, int]) -> None:
    from engine import Engine, ManualClock, RandomIds

    url, count = args
    eng = Engine.from_url(url, clock=ManualClock(START), ids=RandomIds())
    for _ in range(count):
        eng.start("bench_timer", {})
    eng.store.dispose()


def make_template(url: str, timers: int, workers: int) -> float:
    """A database with ``timers`` waiting cases; returns the seconds it took."""
    from engine import Engine, ManualClock

    began = time.perf_counter()
    _recreate(url)
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "bench_timer.bpmn"
        model.write_text(MODEL.format(duration="P1D"), encoding="utf-8")
        eng = Engine.from_url(url, clock=ManualClock(START))
        eng.deploy([model])
        eng.store.dispose()
    shares = [timers // workers + (1 if i < timers % workers else 0) for i in range(workers)]
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        pool.map(_start_cases, [(url, n) for n in shares])
    return time.perf_counter() - began


def run_schedulers(url: str, processes: int, batch: int) -> tuple[float, int]:
    """Fire everything with ``processes`` scheduler processes; returns (wall seconds, timers fired)."""
    env = {**os.environ, "REGIE_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", "from engine.cli import main; main()", "scheduler", "--once",
               "--batch", str(batch), "--lease", "60"]
    began = time.perf_counter()
    running = [subprocess.Popen([*command, "--name", f"bench-{i}"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True) for i in range(processes)]
    outputs = [p.communicate()[0] for p in running]
    elapsed = time.perf_counter() - began
    fired = sum(int(out.strip().split()[0]) for out in outputs if out.strip())
    return elapsed, fired


def startup_seconds(url: str) -> float:
    """Wall time of ``regie scheduler --once`` with nothing to do: process start and one empty round."""
    elapsed, _ = run_schedulers(url, 1, 100)
    return elapsed


def bench_raw(count: int) -> float:
    """Timers fired per second by stock SpiffWorkflow in memory (restore, fire, steps, serialize)."""
    from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
    from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG

    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "bench_timer.bpmn"
        model.write_text(MODEL.format(duration='"PT0S"'), encoding="utf-8")   # due at once (stock Spiff evaluates Python)
        parser = CamundaParser()
        parser.add_bpmn_file(str(model))
    spec, subs = parser.get_spec("bench_timer"), parser.get_subprocess_specs("bench_timer")
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))
    stored = []
    for _ in range(count):
        wf = BpmnWorkflow(spec, subs)
        wf.do_engine_steps()
        stored.append(serializer.serialize_json(wf))
    began = time.perf_counter()
    for text in stored:
        wf = serializer.deserialize_json(text)
        wf.refresh_timers()
        wf.do_engine_steps()
        assert wf.completed
        serializer.serialize_json(wf)
    return count / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timers", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--setup-workers", type=int, default=2)
    args = parser.parse_args()
    template = PG + "_tpl"
    try:
        setup = make_template(template, args.timers, args.setup_workers)
    except Exception as err:  # no server: nothing to measure
        print(f"PostgreSQL not available ({err.__class__.__name__}: {err}); nothing measured.")
        return
    print(f"Setup: {args.timers} waiting cases in {setup:.0f} s ({args.timers / setup:.0f} cases started/s)")
    raw = bench_raw(min(args.timers, 2_000))
    rows = [("raw SpiffWorkflow (memory + JSON)", raw, None)]
    _recreate(PG)
    idle = startup_seconds(PG)
    for processes in (1, 2):
        _recreate(PG, template.rsplit("/", 1)[1])
        elapsed, fired = run_schedulers(PG, processes, args.batch)
        assert fired == args.timers, f"{fired} of {args.timers} fired"
        rows.append((f"Regie, {processes} scheduler process{'es' if processes > 1 else ''} (PostgreSQL)",
                     fired / elapsed, elapsed))
    print(f"Fire {args.timers} due timers, one per case, batch {args.batch} "
          f"(process start and an empty round take {idle:.1f} s, included below)")
    print(f"{'':46} {'fired/s':>9} {'wall s':>8} {'vs raw':>8}")
    for name, rate, elapsed in rows:
        print(f"{name:46} {rate:9.0f} {elapsed if elapsed else float('nan'):8.1f} {rate / raw:7.3f}x")
    _, two, wall = rows[-1]
    projected = idle + (wall - idle) * 10_000 / args.timers
    print(f"Goal (issue 10): 10,000 timers <= 30 s with two processes, i.e. {10_000 / 30 / QUIET_RAW:.3f}x raw "
          f"(raw {QUIET_RAW:,}/s on a quiet machine); this run: {two / raw:.3f}x raw, {wall:.1f} s for "
          f"{args.timers:,} timers, about {projected:.0f} s for 10,000 at this machine's speed")


if __name__ == "__main__":
    main()
