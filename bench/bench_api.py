"""Issue 17 benchmark: complete-task through the REST API with 4 concurrent clients on PostgreSQL.

The app runs under the production server (``regie serve --processes N``: waitress workers sharing one port,
8 threads each) on 127.0.0.1. Each of 4 clients holds one keep-alive HTTP/1.1 connection and an API key
(``Authorization: Bearer``), and works its own case of the benchmark loop model: ``GET /api/v1/tasks?case=``
for the open task, then ``POST /api/v1/tasks/<id>/complete`` with the form data. Every API call is also
logged (``api_calls``), as in production.

Compared in the same run with:

- the in-process figure: 4 threads doing the same two facade calls (``Engine.tasks`` + ``Engine.complete``)
  on the same database, each on its own case;
- stock SpiffWorkflow (``bench.common.RawSpiff``: the same step in memory plus the JSON serialization a
  store would do), measured in its own process.

Printed: completions/s, median and p95 of the complete request (ms), and the ratios. Loopback only, bounded.

    .venv/bin/python bench/bench_api.py [--rounds 50] [--procs 2] [--pg URL] [--sqlite]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    MODELS,
    Servers,
    drop_pg_database,
    median_ms,
    p95_ms,
    raw_step_ms,
    recreate_pg_database,
    run_together,
)
from engine import Engine  # noqa: E402

PG = os.environ.get("REGIE_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/regie_bench_api")
CLIENTS = 4
DATA = {"verslag": "Gebeld, gaat goed."}


class ApiClient:
    """One system: a keep-alive connection and its key."""

    def __init__(self, port: int, key: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: dict | None = None, expect: int = 200):
        self.conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=self.headers)
        response = self.conn.getresponse()
        text = response.read()
        assert response.status == expect, (method, path, response.status, text[:500])
        return json.loads(text)


def prepare(url: str, cases: int) -> tuple[Engine, str, list[str]]:
    eng = Engine.from_url(url)
    eng.deploy([MODELS / "loop.bpmn", MODELS / "contactmoment.yaml"])
    _, key = eng.api_clients.create(f"bench-{int(time.time())}", ["tasks:read", "tasks:complete"], actor="bench")
    fresh = [eng.start("loop", {"limit": 1_000_000}, actor="bench") for _ in range(cases)]
    return eng, key, fresh


def through_api(port: int, key: str, cases: list[str], rounds: int) -> tuple[float, list[float]]:
    """Completions per second and the complete requests' latencies (seconds), one client per case."""
    times: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(cases) + 1)

    def work(case_id: str) -> None:
        client = ApiClient(port, key)
        client.call("GET", "/api/v1/processes", expect=403)     # connect and authenticate before the clock runs
        barrier.wait()
        mine = []
        for _ in range(rounds):
            [task] = client.call("GET", f"/api/v1/tasks?case={case_id}&limit=1")
            start = time.perf_counter()
            client.call("POST", f"/api/v1/tasks/{task['id']}/complete", {"data": DATA})
            mine.append(time.perf_counter() - start)
        with lock:
            times.extend(mine)

    threads = [threading.Thread(target=work, args=(c,)) for c in cases]
    elapsed = run_together(threads, barrier)
    return len(times) / elapsed, times


def in_process(eng: Engine, cases: list[str], rounds: int) -> tuple[float, list[float]]:
    """The same two facade calls, 4 threads, each on its own case."""
    times: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(cases) + 1)

    def work(case_id: str) -> None:
        barrier.wait()
        mine = []
        for _ in range(rounds):
            [task] = eng.tasks(case_id=case_id, limit=1)
            start = time.perf_counter()
            eng.complete(task.id, DATA, actor="bench")
            mine.append(time.perf_counter() - start)
        with lock:
            times.extend(mine)

    threads = [threading.Thread(target=work, args=(c,)) for c in cases]
    elapsed = run_together(threads, barrier)
    return len(times) / elapsed, times


def run_store(name: str, url: str, args, raw: float) -> None:
    eng, key, fresh = prepare(url, 2 * CLIENTS + 2)
    servers = Servers(url, args.procs)
    try:
        through_api(servers.ports[0], key, fresh[-2:], 5)            # warm the workers' caches
        in_process(eng, fresh[-2:], 5)
        http_rate, http_times = through_api(servers.ports[0], key, fresh[:CLIENTS], args.rounds)
        local_rate, local_times = in_process(eng, fresh[CLIENTS:2 * CLIENTS], args.rounds)
    finally:
        servers.stop()
        eng.store.dispose()
    print(f"\n## Complete-task through the API, {CLIENTS} concurrent clients ({name}, {args.procs} server "
          f"process(es), {args.rounds} completions per client)\n")
    print("| | completions/s | complete median ms | complete p95 ms | vs raw step (median) |")
    print("|---|---:|---:|---:|---:|")
    print(f"| in-process, {CLIENTS} threads (Engine.tasks + Engine.complete) | {local_rate:.1f} | "
          f"{median_ms(local_times):.2f} | {p95_ms(local_times):.2f} | {median_ms(local_times) / raw:.1f}x |")
    print(f"| REST API, {CLIENTS} clients (GET /tasks + POST /complete) | {http_rate:.1f} | "
          f"{median_ms(http_times):.2f} | {p95_ms(http_times):.2f} | {median_ms(http_times) / raw:.1f}x |")
    print(f"\nAPI / in-process completions/s: {http_rate / local_rate:.2f}; the API adds "
          f"{median_ms(http_times) - median_ms(local_times):+.2f} ms (median) and "
          f"{p95_ms(http_times) - p95_ms(local_times):+.2f} ms (p95) per complete; raw SpiffWorkflow step "
          f"{raw:.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50, help="completions per client")
    parser.add_argument("--procs", type=int, default=2, help="regie serve --processes (8 threads each)")
    parser.add_argument("--pg", default=PG, help="PostgreSQL URL ('' to skip)")
    parser.add_argument("--sqlite", action="store_true", help="also run on SQLite")
    args = parser.parse_args()
    raw = raw_step_ms()
    print(f"raw SpiffWorkflow, loop model: step + JSON serialize {raw:.2f} ms (median, own process)")
    if args.sqlite:
        with tempfile.TemporaryDirectory() as folder:
            run_store("SQLite", f"sqlite:///{folder}/bench-api.db", args, raw)
    if args.pg:
        recreate_pg_database(args.pg)
        try:
            run_store("PostgreSQL", args.pg, args, raw)
        finally:
            drop_pg_database(args.pg)


if __name__ == "__main__":
    main()
