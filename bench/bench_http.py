"""Issue 19 and issue 10 ("Through HTTP") benchmark: the web app served by the production server.

The app runs under ``regie serve --processes 2`` (waitress workers sharing one port, 8 threads each) on
127.0.0.1; clients are plain HTTP/1.1 keep-alive connections that log in through the form and post forms
with the CSRF token, as a browser does. Every figure is compared with work measured in the same run:

1. Case page at 10 and at 5,000 completed rounds of the benchmark loop (one client): median / p95 ms
   and bytes. Goal: 5,000 / 10 <= 1.3 and <= 20 ms.
2. Claim and complete, one client: each request's median against the same facade call in-process
   (``Engine.claim`` / ``Engine.complete``, same database, same warm cache). Goal: HTTP adds <= 2 ms.
3. Cycles per second with 4 clients, each on its own case (case page + claim + complete), on SQLite and
   PostgreSQL; against the same cycle in-process (one thread).
4. Through HTTP (issue 10): completions per second and p95 with 4 concurrent clients on PostgreSQL
   (each client: post the task form, then open the case page it is sent to, which names the next
   task); against 4 threads completing in-process in the same run.

Each section prints its ratio to stock SpiffWorkflow (``bench.common.RawSpiff``: the same step in
memory plus the JSON serialization a store would do), measured in its own process in the same run.
Loopback only, bounded loops.

    .venv/bin/python bench/bench_http.py [--rounds 5000] [--cycles 40] [--procs 2] [--pg URL | --pg '']
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import sys
import tempfile
import threading
import time
from html import unescape
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    MODELS,
    Servers,
    free_port,  # noqa: F401  (bench_soak imports it from here)
    median_ms,
    p95_ms,
    raw_step_ms,
    recreate_pg_database,
    run_together,
)
from engine import Engine  # noqa: E402
from engine.accounts import save_user  # noqa: E402

PG = os.environ.get("REGIE_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/regie_bench_http")
PASSWORD = "bench-wachtwoord-2026"
DATA = {"verslag": "Gebeld, gaat goed."}
CLIENTS = 4
FULL_PAGE = 100      # rounds: 200 events, more than a timeline page (40 events) holds


# --- the browser ---------------------------------------------------------------------------------

class Client:
    """One browser: a keep-alive connection, its cookies, and the CSRF token of the last form it saw."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}
        self.token = ""
        self.app_seconds = 0.0               # the app's own time for the last request (Server-Timing)
        self.app_cpu = 0.0                   # and the CPU time its thread spent on it

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            from urllib.parse import urlencode
            body = urlencode({"csrf_token": self.token, **form})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode()
        timing = response.getheader("Server-Timing") or ""
        wall, cpu = re.search(r"app;dur=([\d.]+)", timing), re.search(r"cpu;dur=([\d.]+)", timing)
        self.app_seconds = float(wall.group(1)) / 1000 if wall else 0.0
        self.app_cpu = float(cpu.group(1)) / 1000 if cpu else 0.0
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        found = re.search(r'name="csrf_token" value="([^"]+)"', text)
        if found:
            self.token = unescape(found.group(1))
        return response.status, response.getheader("Location") or "", text

    def login(self, username: str) -> None:
        self.request("GET", "/login")
        status, _, text = self.request("POST", "/login", {"gebruikersnaam": username, "wachtwoord": PASSWORD})
        assert status == 302, (status, text[:500])
        self.request("GET", "/taken")         # the new session's CSRF token

    def timed(self, method: str, path: str, form: dict | None = None, expect: int = 200) -> tuple[float, str, str]:
        start = time.perf_counter()
        status, location, text = self.request(method, path, form)
        elapsed = time.perf_counter() - start
        assert status == expect, (method, path, status, text[:800])
        return elapsed, location, text


def next_task(page: str) -> str:
    return re.search(r'href="/taken/([0-9a-f-]{36})"', page).group(1)


# --- the data -----------------------------------------------------------------------------------------

def prepare(url: str, long_rounds: int, cases: int) -> tuple[Engine, str, str, list[str]]:
    """Users bench-1..4, a case at 10 rounds, one at ``long_rounds`` rounds, and ``cases`` fresh cases (and, when
    ``long_rounds`` is more than ``FULL_PAGE``, one more at ``FULL_PAGE`` rounds, last: a full timeline page)."""
    eng = Engine.from_url(url)
    eng.deploy([MODELS / "loop.bpmn", MODELS / "contactmoment.yaml"])
    for n in range(1, CLIENTS + 1):
        save_user(eng.store, f"bench-{n}", f"Bench {n}", ["casemanager"], PASSWORD)
    short = drive(eng, 10)
    long = drive(eng, long_rounds)
    fresh = [eng.start("loop", {"limit": 1_000_000}, actor="bench-1") for _ in range(cases)]
    if long_rounds > FULL_PAGE:
        fresh.append(drive(eng, FULL_PAGE))
    return eng, short, long, fresh


def drive(eng: Engine, rounds: int) -> str:
    case_id = eng.start("loop", {"limit": 1_000_000}, actor="bench-1")
    for _ in range(rounds):
        eng.complete(eng.tasks(case_id=case_id)[0].id, DATA, actor="bench-1")
    return case_id


# --- 1. the case page at any history length -------------------------------------------------------

def case_pages(port: int, cases: list[str], samples: int) -> dict[str, tuple[float, float, int, float, float]]:
    client = Client(port)
    client.login("bench-1")
    times: dict[str, list[float]] = {k: [] for k in cases}
    app: dict[str, list[float]] = {k: [] for k in cases}
    cpu: dict[str, list[float]] = {k: [] for k in cases}
    sizes = {}
    for i in range(samples + 3):
        for case_id in cases:
            elapsed, _, text = client.timed("GET", f"/zaken/{case_id}")
            sizes[case_id] = len(text.encode())
            if i >= 3:
                times[case_id].append(elapsed)
                app[case_id].append(client.app_seconds)
                cpu[case_id].append(client.app_cpu)
    return {k: (median_ms(v), p95_ms(v), sizes[k], median_ms(app[k]), median_ms(cpu[k])) for k, v in times.items()}


# --- 2. claim and complete: HTTP against the facade call ------------------------------------------

def claim_complete(eng: Engine, servers: Servers, http_case: str, local_case: str,
                   samples: int) -> dict[str, list[float]]:
    """Per request: the client's time, the app's wall and CPU time (Server-Timing), the facade call's wall and
    CPU time in this process; and ``server cpu``: the server processes' CPU time outside the app per request
    (waitress, WSGI, sockets), from /proc over the whole loop."""
    client = Client(servers.ports[0])
    client.login("bench-1")
    out: dict[str, list[float]] = {k: [] for k in (
        "claim http", "complete http", "claim app", "complete app", "claim call", "complete call",
        "claim app cpu", "complete app cpu", "claim call cpu", "complete call cpu", "server cpu")}
    _, _, page = client.timed("GET", f"/zaken/{http_case}")
    app_cpu, requests, server_cpu = 0.0, 0, 0.0
    for i in range(samples + 3):
        if i == 3:
            server_cpu = servers.cpu_seconds()
        task = next_task(page)
        claim, _, _ = client.timed("POST", f"/taken/{task}/oppakken", {}, expect=302)
        claim_app, claim_cpu = client.app_seconds, client.app_cpu
        done, _, _ = client.timed("POST", f"/taken/{task}", {**DATA, "actie": "afronden"}, expect=302)
        done_app, done_cpu = client.app_seconds, client.app_cpu
        _, _, page = client.timed("GET", f"/zaken/{http_case}")
        if i >= 3:
            app_cpu += claim_cpu + done_cpu + client.app_cpu
            requests += 3
        local = eng.tasks(case_id=local_case)[0].id
        start, cpu_start = time.perf_counter(), time.thread_time()
        eng.claim(local, "bench-1")
        middle, cpu_middle = time.perf_counter(), time.thread_time()
        eng.complete(local, DATA, actor="bench-1")
        end, cpu_end = time.perf_counter(), time.thread_time()
        if i >= 3:
            out["claim app cpu"].append(claim_cpu)
            out["complete app cpu"].append(done_cpu)
            out["claim call cpu"].append(cpu_middle - cpu_start)
            out["complete call cpu"].append(cpu_end - cpu_middle)
            out["claim http"].append(claim)
            out["complete http"].append(done)
            out["claim app"].append(claim_app)
            out["complete app"].append(done_app)
            out["claim call"].append(middle - start)
            out["complete call"].append(end - middle)
    out["server cpu"].append(((servers.cpu_seconds() - server_cpu) - app_cpu) / max(1, requests))
    return out


# --- 3. and 4. four clients at once -----------------------------------------------------------------

def concurrent(ports: list[int], cases: list[str], cycles: int, full_cycle: bool) -> tuple[float, list[float]]:
    """4 clients, each on its own case: ``cycles`` rounds of (case page + claim + complete) when
    ``full_cycle``, else (complete + the case page it redirects to). Returns (rounds/s, complete times)."""
    clients = []
    for n in range(CLIENTS):
        client = Client(ports[n % len(ports)])
        client.login(f"bench-{n + 1}")
        clients.append(client)
    completes: list[float] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(CLIENTS + 1)

    def work(client: Client, case_id: str) -> None:
        try:
            _, _, page = client.timed("GET", f"/zaken/{case_id}")
            barrier.wait()
            for _ in range(cycles):
                task = next_task(page)
                if full_cycle:
                    client.timed("POST", f"/taken/{task}/oppakken", {}, expect=302)
                elapsed, location, _ = client.timed("POST", f"/taken/{task}", {**DATA, "actie": "afronden"}, expect=302)
                completes.append(elapsed)
                _, _, page = client.timed("GET", f"/zaken/{case_id}")
        except BaseException as err:  # reported after the run
            errors.append(err)
            barrier.abort()

    threads = [threading.Thread(target=work, args=(c, k)) for c, k in zip(clients, cases, strict=True)]
    wall = run_together(threads, barrier)
    if errors:
        raise errors[0]
    return CLIENTS * cycles / wall, completes


def in_process(eng: Engine, cases: list[str], cycles: int, threads: int, full_cycle: bool) -> tuple[float, list[float]]:
    """The same work through the facade: ``threads`` threads, each on its own case."""
    completes: list[float] = []
    barrier = threading.Barrier(threads + 1)

    def work(case_id: str) -> None:
        barrier.wait()
        for _ in range(cycles):
            if full_cycle:                     # what the case page reads and writes (web/cases.py show)
                page = eng.case_page(case_id, "bench-1", ["casemanager"], limit=56)
                eng.record_access("bench-1", page.case_id, "zaak")
                eng.version(page.view.state.version_id)
            task = eng.tasks(case_id=case_id)[0].id
            if full_cycle:
                eng.claim(task, "bench-1")
            start = time.perf_counter()
            eng.complete(task, DATA, actor="bench-1")
            completes.append(time.perf_counter() - start)

    workers = [threading.Thread(target=work, args=(c,)) for c in cases[:threads]]
    return threads * cycles / run_together(workers, barrier), completes


# --- the run -------------------------------------------------------------------------------------------

def run_store(name: str, url: str, args, raw: float) -> None:
    eng, short, long, fresh = prepare(url, args.rounds if name == "SQLite" else 10, 2 + 4 * CLIENTS)
    servers = Servers(url, args.procs)
    try:
        if name == "SQLite":
            full = fresh[-1]           # FULL_PAGE rounds
            pages = case_pages(servers.ports[0], [short, full, long], args.samples)
            (s_med, s_p95, s_size, s_app, s_cpu), (l_med, l_p95, l_size, l_app, l_cpu) = pages[short], pages[long]
            f_med, f_p95, f_size, f_app, f_cpu = pages[full]
            print(f"\n## 1. Case page through HTTP ({name}, 1 client, median / p95 ms, bytes)\n")
            print("| completed rounds | median ms | p95 ms | app ms (Server-Timing) | app CPU ms | bytes | vs raw step |")
            print("|---:|---:|---:|---:|---:|---:|---:|")
            print(f"| 10 | {s_med:.1f} | {s_p95:.1f} | {s_app:.1f} | {s_cpu:.1f} | {s_size:,} | {s_med / raw:.1f}x |")
            print(f"| {FULL_PAGE} | {f_med:.1f} | {f_p95:.1f} | {f_app:.1f} | {f_cpu:.1f} | {f_size:,} | "
                  f"{f_med / raw:.1f}x |")
            print(f"| {args.rounds:,} | {l_med:.1f} | {l_p95:.1f} | {l_app:.1f} | {l_cpu:.1f} | {l_size:,} | "
                  f"{l_med / raw:.1f}x |")
            print(f"\nratio {args.rounds:,} / 10 rounds: {l_med / s_med:.2f} (goal <= 1.3; CPU {l_cpu / s_cpu:.2f}), "
                  f"bytes {l_size / s_size:.2f}; goal <= 20 ms: {'met' if l_med <= 20 else 'NOT met'}")
            print(f"ratio {args.rounds:,} / {FULL_PAGE} rounds (both pages full: flat with history length?): "
                  f"{l_med / f_med:.2f} (CPU {l_cpu / f_cpu:.2f}), bytes {l_size / f_size:.2f}")
        timings = claim_complete(eng, servers, fresh[0], fresh[1], args.samples)
        print(f"\n## 2. Claim and complete, HTTP against the facade call ({name}, 1 client, median ms)\n")
        print("| request | HTTP (client) | app (Server-Timing) | in-process call | HTTP adds | app adds | "
              "vs raw step (HTTP) |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for what in ("claim", "complete"):
            http_ms, call_ms = median_ms(timings[f"{what} http"]), median_ms(timings[f"{what} call"])
            app_ms = median_ms(timings[f"{what} app"])
            print(f"| {what} | {http_ms:.2f} | {app_ms:.2f} | {call_ms:.2f} | {http_ms - call_ms:+.2f} | "
                  f"{app_ms - call_ms:+.2f} | {http_ms / raw:.1f}x |")
        server_ms = median_ms(timings["server cpu"])
        print("\nCPU time (does not grow with the machine's load; median ms):\n")
        print("| request | app CPU (Server-Timing) | in-process call CPU | app adds (CPU) | + server outside the app "
              "(CPU per request) |")
        print("|---|---:|---:|---:|---:|")
        for what in ("claim", "complete"):
            app_cpu, call_cpu = median_ms(timings[f"{what} app cpu"]), median_ms(timings[f"{what} call cpu"])
            print(f"| {what} | {app_cpu:.2f} | {call_cpu:.2f} | {app_cpu - call_cpu:+.2f} | "
                  f"{app_cpu - call_cpu + server_ms:+.2f} |")
        print(f"\nserver processes' CPU outside the app: {server_ms:.2f} ms per request (waitress, WSGI, sockets; "
              "/proc over the loop's claim, complete and case page requests)")
        rate, _ = concurrent(servers.ports, fresh[2:6], args.cycles, full_cycle=True)
        local_rate, _ = in_process(eng, fresh[6:10], args.cycles, 1, full_cycle=True)
        print(f"\n## 3. Cycles (case page + claim + complete), 4 clients, {args.procs} server process(es) ({name})\n")
        print(f"HTTP: {rate:.1f} cycles/s; in-process (1 thread, same reads and steps): {local_rate:.1f} cycles/s "
              f"({1000 / local_rate:.1f} ms per cycle); HTTP / in-process: {rate / local_rate:.2f}; "
              f"raw SpiffWorkflow step {raw:.2f} ms = {1000 / raw:.0f} steps/s")
        if name == "PostgreSQL" or args.through_sqlite:
            http_rate, http_times = concurrent(servers.ports, fresh[10:14], args.cycles, full_cycle=False)
            local_rate, local_times = in_process(eng, fresh[14:18], args.cycles, CLIENTS, full_cycle=False)
            print(f"\n## 4. Through HTTP: completions with 4 concurrent clients ({name}, {args.procs} processes)\n")
            print("| | completions/s | median ms | p95 ms | vs raw step (median) |")
            print("|---|---:|---:|---:|---:|")
            print(f"| in-process, 4 threads | {local_rate:.1f} | {median_ms(local_times):.2f} | "
                  f"{p95_ms(local_times):.2f} | {median_ms(local_times) / raw:.1f}x |")
            print(f"| HTTP form posts, 4 clients | {http_rate:.1f} | {median_ms(http_times):.2f} | "
                  f"{p95_ms(http_times):.2f} | {median_ms(http_times) / raw:.1f}x |")
            per_http, per_local = 1000 / http_rate, 1000 / local_rate
            print(f"\nHTTP / in-process completions/s: {http_rate / local_rate:.2f}; per completion HTTP adds "
                  f"{median_ms(http_times) - median_ms(local_times):+.2f} ms (median latency), "
                  f"{per_http - per_local:+.2f} ms (wall time per completion, which also carries the case page)")
    finally:
        servers.stop()
        eng.store.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5000, help="rounds of the long case (case page)")
    parser.add_argument("--samples", type=int, default=40, help="timed requests per figure (1 client)")
    parser.add_argument("--cycles", type=int, default=40, help="rounds per client (4 clients)")
    parser.add_argument("--procs", type=int, default=2, help="regie serve --processes (8 threads each)")
    parser.add_argument("--pg", default=PG, help="PostgreSQL URL ('' to skip)")
    parser.add_argument("--through-sqlite", action="store_true", help="also run section 4 on SQLite")
    args = parser.parse_args()
    raw = raw_step_ms()
    print(f"raw SpiffWorkflow, loop model: step + JSON serialize {raw:.2f} ms (median, own process)")
    with tempfile.TemporaryDirectory() as folder:
        run_store("SQLite", f"sqlite:///{folder}/bench-http.db", args, raw)
    if args.pg:
        recreate_pg_database(args.pg)
        run_store("PostgreSQL", args.pg, args, raw)


if __name__ == "__main__":
    main()
