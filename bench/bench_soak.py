"""Issue 10 "several machines": two app servers and two schedulers against one PostgreSQL, under load.

Two ``regie serve --no-scheduler`` servers (each as a machine would run it, ``--processes`` waitress
workers on its own port) and two ``regie scheduler`` processes share one PostgreSQL database. Clients
(4 by default, alternating between the two servers as a load balancer would) log in through the form
and complete tasks with real form posts (CSRF token included) for ``--seconds`` while timers come due:
in the soak model (``bench/models/soak.bpmn``) every completion starts a 1-second timer before the next
task, and every open task has a non-interrupting 2-second reminder timer, so the schedulers fire on the
same cases the clients complete — the case lock decides who goes first.

Afterwards the timers are drained (the schedulers fire what is still waiting), everything stops, and:

- ``regie verify`` over every case (hash chains, replay, every stored column, task and timer row);
- completions: each form post answered with a redirect is one ``task_completed`` event of that task,
  no task completed twice, no event without a post (0 lost, 0 doubled);
- timers: each timer fired at most once (one ``timer_fired`` per timer task), every completion's wait
  timer fired (``wacht`` firings = completions per case), no timer row left.

Throughput (completions/s, p95 of a form post) is printed against the in-process figure of the same
work measured in the same run (4 threads calling ``Engine.complete``), and against stock SpiffWorkflow.
A benchmark, not part of ``make test``; ``tests/engine/test_soak.py`` runs a short version of it.

    .venv/bin/python bench/bench_soak.py [--seconds 60] [--clients 4] [--cases-per-client 5] [--procs 1]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_http import PASSWORD, Client, free_port, raw_step_ms  # noqa: E402
from bench.common import MODELS, median_ms, p95_ms, run_together  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REGIE = ROOT / ".venv" / "bin" / "regie"
PG = os.environ.get("REGIE_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/regie_bench_soak")
DATA = {"verslag": "Gebeld, gaat goed."}
TASK_LINK = re.compile(r'href="/taken/([0-9a-f-]{36})"')


def recreate(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def prepare(url: str, clients: int, cases_per_client: int) -> list[list[str]]:
    """The soak model, users soak-1..N (casemanager) and each client's cases; returns the case ids."""
    from engine import Engine
    from engine.accounts import save_user

    eng = Engine.from_url(url)
    eng.deploy([MODELS / "soak.bpmn", MODELS / "contactmoment.yaml"])
    for n in range(1, clients + 1):
        save_user(eng.store, f"soak-{n}", f"Soak {n}", ["casemanager"], PASSWORD)
    cases = [[eng.start("soak", {"limit": 1_000_000}, actor=f"soak-{n + 1}") for _ in range(cases_per_client)]
             for n in range(clients)]
    eng.store.dispose()
    return cases


# --- the processes --------------------------------------------------------------------------------


class Processes:
    """Two app servers (``regie serve --no-scheduler --processes N``, each on its own port) and two
    ``regie scheduler`` processes, on one database."""

    def __init__(self, url: str, procs: int, interval: float, logs: Path):
        self.env = {**os.environ, "REGIE_DATABASE_URL": url, "REGIE_SECRET_KEY": "soak-secret", "PYTHONPATH": str(ROOT)}
        self.logs = logs
        self.ports = [free_port(), free_port()]
        self.servers = [self._start(["serve", "--no-scheduler", "--processes", str(procs), "--port", str(port)],
                                    f"server-{i}") for i, port in enumerate(self.ports)]
        self.schedulers = [self._start(["scheduler", "--interval", str(interval), "--batch", "100", "--lease", "10",
                                        "--name", f"soak-scheduler-{i}"], f"scheduler-{i}") for i in range(2)]
        try:
            for port, server in zip(self.ports, self.servers, strict=True):
                self._wait_for(port, server)
        except BaseException:
            self.stop()                         # no process outlives a failed start
            raise

    def _start(self, args: list[str], name: str) -> subprocess.Popen:
        with (self.logs / f"{name}.log").open("w") as out:     # the child keeps its own copy of the file
            return subprocess.Popen([str(REGIE), *args], cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)

    def _wait_for(self, port: int, server: subprocess.Popen) -> None:
        deadline = time.monotonic() + 180
        while True:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                conn.request("GET", "/login")
                conn.getresponse().read()
                return
            except OSError as err:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"regie serve did not start; see {self.logs}") from err
                time.sleep(0.2)
            finally:
                conn.close()

    def stop(self) -> list[int]:
        """SIGTERM to all (schedulers hand back their claims); returns the schedulers' exit codes."""
        for process in self.schedulers + self.servers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        codes = []
        for process in self.schedulers + self.servers:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            codes.append(process.returncode)
        return codes[:2]


# --- the clients ----------------------------------------------------------------------------------


@dataclass
class Load:
    completed: list[tuple[str, str]] = field(default_factory=list)    # (case id, task id) answered with a redirect
    refused: int = 0                                                 # posts answered otherwise (e.g. a conflict)
    times: list[float] = field(default_factory=list)                 # seconds per completing form post
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def client_loop(port: int, user: str, cases: list[str], until: float, load: Load) -> None:
    """Open each of the client's cases in turn and complete its open task, until ``until`` (monotonic)."""
    client = Client(port)
    try:
        client.login(user)
        while time.monotonic() < until:
            worked = False
            for case_id in cases:
                if time.monotonic() >= until:
                    break
                status, _, page = client.request("GET", f"/zaken/{case_id}")
                if status != 200:
                    raise AssertionError(f"case page {case_id}: {status}")
                found = TASK_LINK.search(page)
                if not found:
                    continue                      # waiting at its timer
                task_id = found.group(1)
                client.request("GET", f"/taken/{task_id}")          # the form, as a browser opens it
                start = time.perf_counter()
                status, _, _ = client.request("POST", f"/taken/{task_id}", {**DATA, "actie": "afronden"})
                elapsed = time.perf_counter() - start
                with load.lock:
                    if status == 302:
                        load.completed.append((case_id, task_id))
                        load.times.append(elapsed)
                    else:
                        load.refused += 1
                worked = True
            if not worked:
                time.sleep(0.05)                  # every case waits at a timer: the schedulers' turn
    except BaseException as err:                  # reported after the run
        with load.lock:
            load.errors.append(f"{user}: {err.__class__.__name__}: {err}")
    finally:
        client.conn.close()


def run_clients(ports: list[int], cases: list[list[str]], seconds: float) -> tuple[Load, float]:
    load = Load()
    until = time.monotonic() + seconds
    threads = [threading.Thread(target=client_loop, args=(ports[n % len(ports)], f"soak-{n + 1}", own, until, load))
               for n, own in enumerate(cases)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return load, time.perf_counter() - began


def drain(url: str, max_seconds: float) -> int:
    """Wait (real time) until the schedulers fired every waiting timer; returns the rows left."""
    from sqlalchemy import create_engine, text

    db = create_engine(url)
    deadline = time.monotonic() + max_seconds
    try:
        while True:
            with db.connect() as conn:
                left = conn.execute(text("SELECT count(*) FROM timers")).scalar_one()
            if not left or time.monotonic() > deadline:
                return left
            time.sleep(0.25)
    finally:
        db.dispose()


# --- the checks -----------------------------------------------------------------------------------


@dataclass
class Report:
    completions: int
    lost: int
    doubled: int
    unasked: int
    timers_fired: int
    timers_twice: int
    waits_missing: int
    timer_rows_left: int
    verify_ok: bool
    verify_text: str
    incidents: int

    @property
    def ok(self) -> bool:
        return (self.verify_ok and not (self.lost or self.doubled or self.unasked or self.timers_twice
                                        or self.waits_missing or self.timer_rows_left or self.incidents))


def check(url: str, load: Load, rows_left: int) -> Report:
    from sqlalchemy import create_engine, text

    verify = subprocess.run([str(REGIE), "verify"], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, "REGIE_DATABASE_URL": url})
    db = create_engine(url)
    with db.connect() as conn:
        events = conn.execute(text(
            "SELECT case_id, type, payload FROM case_events WHERE type IN ('task_completed', 'timer_fired')")).all()
        incidents = conn.execute(text("SELECT count(*) FROM incidents")).scalar_one()
    db.dispose()
    completed = Counter()
    fired = Counter()
    waits = Counter()
    for case_id, kind, payload in events:
        data = json.loads(payload)
        if kind == "task_completed":
            completed[(case_id, data["task_id"])] += 1
        else:
            fired[(case_id, data["task_id"])] += 1
            if data["element"] == "wacht":
                waits[case_id] += 1
    posted = Counter(load.completed)
    per_case = Counter(case_id for case_id, _ in load.completed)
    return Report(
        completions=len(load.completed),
        lost=sum(1 for key in posted if key not in completed),
        doubled=sum(1 for n in completed.values() if n > 1) + sum(1 for n in posted.values() if n > 1),
        unasked=sum(1 for key in completed if key not in posted),
        timers_fired=sum(fired.values()),
        timers_twice=sum(1 for n in fired.values() if n > 1),
        waits_missing=sum(abs(per_case[c] - waits[c]) for c in set(per_case) | set(waits)),
        timer_rows_left=rows_left,
        verify_ok=verify.returncode == 0,
        verify_text=(verify.stdout + verify.stderr).strip()[-2000:],
        incidents=incidents,
    )


# --- the in-process figure ------------------------------------------------------------------------


def in_process(url: str, threads: int, per_thread: int) -> tuple[float, list[float]]:
    """The same completions through the facade (``Engine.complete``), ``threads`` threads on the same
    database, each with its own engine whose clock moves on past the wait timer after each completion."""
    from datetime import timedelta

    from engine import Engine, ManualClock, SystemClock
    from engine.timers import fire_case

    start = SystemClock().now()
    engines = [Engine.from_url(url, clock=ManualClock(start)) for _ in range(threads)]
    cases = [eng.start("soak", {"limit": 1_000_000}, actor="soak-1") for eng in engines]
    times: list[float] = []
    barrier = threading.Barrier(threads + 1)

    def work(eng, case_id: str) -> None:
        barrier.wait()
        for _ in range(per_thread):
            task = eng.tasks(case_id=case_id)[0].id
            began = time.perf_counter()
            eng.complete(task, DATA, actor="soak-1")
            times.append(time.perf_counter() - began)
            eng.clock.advance(timedelta(seconds=1, milliseconds=1))
            fire_case(eng, case_id, eng.clock.now())          # its wait timer, as a scheduler would

    workers = [threading.Thread(target=work, args=pair) for pair in zip(engines, cases, strict=True)]
    rate = threads * per_thread / run_together(workers, barrier)
    for eng in engines:
        eng.store.dispose()
    return rate, times


# --- the run --------------------------------------------------------------------------------------


def soak(url: str, seconds: float, clients: int = 4, cases_per_client: int = 5, procs: int = 1,
         interval: float = 0.5, logs: Path | None = None) -> tuple[Report, Load, float]:
    """Set up, run the load, drain, stop, check; returns (report, load, wall seconds of the load)."""
    import tempfile

    recreate(url)
    cases = prepare(url, clients, cases_per_client)
    logs = logs or Path(tempfile.mkdtemp(prefix="regie-soak-"))
    processes = Processes(url, procs, interval, logs)
    try:
        load, wall = run_clients(processes.ports, cases, seconds)
        left = drain(url, 60)
    finally:
        codes = processes.stop()
    if any(codes):
        load.errors.append(f"scheduler exit codes {codes}; logs in {logs}")
    return check(url, load, left), load, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, help="how long the clients work (default 60)")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--cases-per-client", type=int, default=5)
    parser.add_argument("--procs", type=int, default=1, help="regie serve --processes, per app server")
    parser.add_argument("--pg", default=PG, help="PostgreSQL URL of a database to (re)create")
    args = parser.parse_args()
    raw = raw_step_ms()
    report, load, wall = soak(args.pg, args.seconds, args.clients, args.cases_per_client, args.procs)
    rate = len(load.completed) / wall
    local_rate, local_times = in_process(args.pg, args.clients, 30)
    print(f"Soak on PostgreSQL: 2 app servers (regie serve --processes {args.procs}), 2 regie scheduler processes, "
          f"{args.clients} HTTP clients x {args.cases_per_client} cases, {wall:.0f} s")
    print("\n| | completions/s | median ms | p95 ms | vs raw step (median) |\n|---|---:|---:|---:|---:|")
    if load.times:
        print(f"| HTTP form posts, {args.clients} clients, timers firing | {rate:.1f} | {median_ms(load.times):.1f} | "
              f"{p95_ms(load.times):.1f} | {median_ms(load.times) / raw:.1f}x |")
    print(f"| in-process Engine.complete (+ its wait timer), {args.clients} threads, same run | {local_rate:.1f} | "
          f"{median_ms(local_times):.1f} | {p95_ms(local_times):.1f} | {median_ms(local_times) / raw:.1f}x |")
    print(f"\nraw SpiffWorkflow step + JSON serialize: {raw:.2f} ms (own process); HTTP / in-process "
          f"completions/s: {rate / local_rate:.2f}")
    print(f"\ncompletions posted: {report.completions} (refused: {load.refused}); lost: {report.lost}; doubled: "
          f"{report.doubled}; completed without a post: {report.unasked}")
    print(f"timers fired: {report.timers_fired}; fired twice: {report.timers_twice}; wait timers missing or extra: "
          f"{report.waits_missing}; timer rows left: {report.timer_rows_left}; incidents: {report.incidents}")
    print(f"regie verify: {'ok' if report.verify_ok else 'FAILED'} — {report.verify_text.splitlines()[-1] if report.verify_text else ''}")
    for error in load.errors:
        print(f"error: {error}")
    print(f"\nInvariants: {'all hold' if report.ok and not load.errors else 'VIOLATED'}")
    sys.exit(0 if report.ok and not load.errors else 1)


if __name__ == "__main__":
    main()
