"""Issue 11 benchmark: verify of a 1,000-event case, verify over many cases, time travel to event 1,000.

- ``verify(case)`` of one case of the loop model with 1,000 events: hash chain, full replay and the
  comparison of every stored column, task row and timer row (median of 5).
- ``verify()`` over ``--cases`` short cases (start + two steps, 4 events each): cases per second.
- Time travel: ``Engine.case_at(case, 1000)`` without stored checkpoints (a full replay), first in a process
  (from the checkpoint stored in the database, ``engine.audit.checkpoints``) and warm (from the one in
  memory), and the auditor's page ``/controle/zaken/<id>/moment/1000`` through the Flask app: the first request
  after the app started and the first view of the case in a running app (both with the checkpoints the
  first ``verify`` stored), the first view of a case without stored checkpoints, and warm.
- ``verify(case)`` once more after its checkpoints were deleted: the run that stores them.
- Baseline, in the same run: stock SpiffWorkflow replaying the same inputs in memory (start, then one
  ``run`` + ``do_engine_steps`` per round, no store, no checks). The loop stalls in stock SpiffWorkflow
  after round 333 (tree depth), so the baseline runs ``--raw-rounds`` rounds and is scaled per round. It runs
  in a process of its own that never imports ``engine`` (whose import patches SpiffWorkflow).

- ``regie verify`` over the same ``--cases`` cases, the command line as an operator runs it (a process of
  its own: start-up and imports included): cases per second.

    .venv/bin/python bench/bench_audit.py [--events 1000] [--cases 10000] [--raw-rounds 300] [--clock cpu]

``--clock cpu`` times in CPU time of the process (``time.process_time``; the ``regie verify`` row: of the
child process) instead of wall-clock time, to compare on a machine whose other work inflates wall-clock
figures; quote wall-clock figures from an idle machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import MODELS, RawSpiff  # noqa: E402

DATA = {"verslag": "Gebeld, gaat goed."}
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
clock = time.perf_counter


def long_case(eng, events: int) -> tuple[str, int]:
    """A loop case with at least ``events`` events; returns its id and the rounds it took."""
    case_id = eng.start("loop", {"limit": 100_000})
    rounds = 0
    while True:
        with eng.store.read() as tx:
            if tx.case(case_id).last_seq >= events:
                return case_id, rounds
        eng.complete(eng.tasks(case_id=case_id)[0].id, DATA, actor="bench")
        rounds += 1


def median_s(func, repeat: int = 5) -> float:
    samples = []
    for _ in range(repeat):
        start = clock()
        func()
        samples.append(clock() - start)
    return statistics.median(samples)


def raw_in_child(rounds: int, clock_name: str) -> float:
    """``raw_replay`` in a process of its own that never imports ``engine`` (whose import patches SpiffWorkflow)."""
    out = subprocess.run([sys.executable, __file__, "--raw", str(rounds), "--clock", clock_name],
                         check=True, capture_output=True, text=True)
    return float(out.stdout.strip())


def raw_replay(rounds: int) -> float:
    """Seconds for stock SpiffWorkflow replaying ``rounds`` rounds of the loop's inputs in memory."""
    raw = RawSpiff(MODELS / "loop.bpmn", "loop")
    from SpiffWorkflow.util.task import TaskState

    def run():
        wf = raw.start({"limit": 100_000})
        for _ in range(rounds):
            task = next(t for t in wf.tasks.values() if t.state == TaskState.READY and t.task_spec.manual)
            task.data.update(DATA)
            task.run()
            wf.do_engine_steps()

    return median_s(run, 3)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--raw-rounds", type=int, default=300)
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="wall: elapsed time (idle machine); cpu: CPU time of the process (loaded machine)")
    parser.add_argument("--raw", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    global clock
    clock = CLOCKS[args.clock]
    if args.raw:
        print(raw_replay(args.raw))
        return
    from engine import Engine, ManualClock, SequentialIds
    folder = Path(tempfile.mkdtemp(prefix="regie-bench-audit-"))
    url = f"sqlite:///{folder / 'regie.db'}"
    eng = Engine.from_url(url, clock=ManualClock(), ids=SequentialIds())
    eng.deploy([MODELS / "loop.bpmn", MODELS / "contactmoment.yaml"])
    case_id, rounds = long_case(eng, args.events)
    with eng.store.read() as tx:
        last = tx.case(case_id).last_seq
    assert eng.verify(case_id), "the benchmark case must verify"       # stores its time-travel checkpoints
    verify_s = median_s(lambda: eng.verify(case_id))
    drop_checkpoints(eng, case_id)
    start = clock()
    assert eng.verify(case_id)
    verify_storing_s = clock() - start
    raw_rounds = min(args.raw_rounds, 330)
    same = eng.start("loop", {"limit": 100_000})
    for _ in range(raw_rounds):
        eng.complete(eng.tasks(case_id=same)[0].id, DATA, actor="bench")
    with eng.store.read() as tx:
        same_events = tx.case(same).last_seq
    same_s = median_s(lambda: eng.verify(same), 3)
    raw_s = raw_in_child(raw_rounds, args.clock)
    raw_small = raw_in_child(2, args.clock)

    from engine.audit.checkpoints import EVERY
    from engine.audit.travel import TimeTravel

    cold = median_s(lambda: TimeTravel(eng, stored=False).at(case_id, last), 3)
    stored = median_s(lambda: TimeTravel(eng).at(case_id, last))
    travel = TimeTravel(eng)
    travel.at(case_id, last)
    warm = median_s(lambda: travel.at(case_id, last))
    page_cold, page_warm = time_page(url, case_id, last)
    page_first, _ = time_page(url, case_id, last, other=(same, same_events))
    drop_checkpoints(eng, case_id)
    page_none, _ = time_page(url, case_id, last, other=(same, same_events))

    many = Engine.from_url(f"sqlite:///{folder / 'many.db'}", clock=ManualClock(), ids=SequentialIds())
    many.deploy([MODELS / "loop.bpmn", MODELS / "contactmoment.yaml"])
    for _ in range(args.cases):
        cid = many.start("loop", {"limit": 10})
        for _ in range(2):
            many.complete(many.tasks(case_id=cid)[0].id, DATA, actor="bench")
    start = clock()
    result = many.verify()
    many_s = clock() - start
    assert result, str(result)
    cli_s = cli_verify(f"sqlite:///{folder / 'many.db'}", args.clock)

    print(f"loop model, SQLite; long case: {last} events ({rounds} rounds); {args.clock} clock")
    print("| | time | vs raw SpiffWorkflow |")
    print("|---|---:|---:|")
    print(f"| raw SpiffWorkflow replaying {raw_rounds} rounds in memory (no store, no checks) | {raw_s * 1000:.0f} ms "
          "| 1.00x |")
    print(f"| `verify(case)` of the same {raw_rounds} rounds ({same_events} events) | {same_s * 1000:.0f} ms "
          f"| {same_s / raw_s:.2f}x |")
    print(f"| `verify(case)` of {last} events: chain + replay + every column, task and timer row "
          f"| {verify_s * 1000:.0f} ms | |")
    print(f"| `verify(case)` of {last} events that also stores its {last // EVERY} time-travel checkpoints "
          f"(the first verify) | {verify_storing_s * 1000:.0f} ms | |")
    print(f"| `case_at(case, {last})` without stored checkpoints (full replay) | {cold * 1000:.0f} ms | |")
    print(f"| `case_at(case, {last})` first in a process (from the stored checkpoint) | {stored * 1000:.1f} ms | |")
    print(f"| `case_at(case, {last})` warm (from the checkpoint in memory) | {warm * 1000:.1f} ms | |")
    print(f"| page `/controle/zaken/<id>/moment/{last}` cold: first request after the app started "
          f"(stored checkpoints) | {page_cold * 1000:.0f} ms | |")
    print(f"| page `/controle/zaken/<id>/moment/{last}` cold: first view of this case in a running app "
          f"(stored checkpoints) | {page_first * 1000:.0f} ms | |")
    print(f"| page `/controle/zaken/<id>/moment/{last}`: first view of this case, no stored checkpoints yet "
          f"(full replay, stores them) | {page_none * 1000:.0f} ms | |")
    print(f"| page `/controle/zaken/<id>/moment/{last}` warm | {page_warm * 1000:.0f} ms | |")
    print(f"| `verify()` over {args.cases} cases of 4 events | {many_s:.1f} s = {args.cases / many_s:.0f} cases/s "
          f"| {many_s / args.cases / raw_small:.2f}x per case (raw: start + 2 rounds) |")
    print(f"| `regie verify` (command line, own process) over {args.cases} cases of 4 events | {cli_s:.1f} s = "
          f"{args.cases / cli_s:.0f} cases/s | |")


def drop_checkpoints(eng, case_id: str) -> None:
    """Delete the case's stored time-travel checkpoints (to time what builds them)."""
    from engine.store.checkpoints import delete_case

    with eng.store.write() as tx:
        delete_case(tx, case_id)


def cli_verify(url: str, clock_name: str) -> float:
    """Seconds of ``regie verify`` over every case of ``url`` in a process of its own (it must say all is well)."""
    regie = Path(sys.executable).with_name("regie")
    env = {**os.environ, "REGIE_DATABASE_URL": url}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([str(regie), "verify"], check=True, env=env, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu if clock_name == "cpu" else wall


def time_page(url: str, case_id: str, seq: int, other: tuple[str, int] | None = None) -> tuple[float, float]:
    """Server time of the time-travel page: the first view (cold) and the median of the next five.

    ``other`` (a case id and event of another case on the same version): view that case's page first, as a
    running app has — templates compiled, the version's model read — so that "cold" is the first view of
    THIS case, not the first request after the server started."""
    from argon2 import PasswordHasher

    from engine.store import UserRow
    from web import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench", "DEMO": False,
                      "WTF_CSRF_ENABLED": False})
    eng = app.extensions["regie.engine"]
    with eng.store.write() as tx:
        tx.save_user(UserRow(username="aud", name="Aud", password_hash=PasswordHasher().hash("bench-123"),
                             roles="auditor", active=True))
    client = app.test_client()
    client.post("/login", data={"gebruikersnaam": "aud", "wachtwoord": "bench-123"})
    if other is not None:
        assert client.get(f"/controle/zaken/{other[0]}/moment/{other[1]}").status_code == 200
    path = f"/controle/zaken/{case_id}/moment/{seq}"
    start = clock()
    assert client.get(path).status_code == 200
    cold = clock() - start
    return cold, median_s(lambda: client.get(path))


if __name__ == "__main__":
    main()
