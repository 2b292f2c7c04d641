"""Issue 7 benchmark: server time of the inbox and the case page with 100,000 open cases.

The database is filled by ``bench/generate_data.py`` (100,000 open cases, 1,000,000 events) when it
is empty. Each page is requested through the whole Flask app in-process (routing, session, queries,
templates), so the figure is the server's time per page without the network. The inbox query itself
is timed separately. Goals: page ≤ 50 ms, inbox query ≤ 20 ms (medians); the coordinator's overview ≤ 20 ms
(issue 10), its counts from the projection set against the same counts over every row in the same run.

The overview is also timed in CPU (a loaded machine stretches the wall clock, mostly on PostgreSQL where every
statement is a round trip between two processes): the app's CPU per request (median) and the PostgreSQL server
processes' CPU per request (mean over the rounds, from /proc: 10 ms ticks), with the ratio of the wall median to
one step of stock SpiffWorkflow (in memory + JSON serialize) measured in the same run.

    .venv/bin/python bench/bench_pages.py [--sqlite bench/results/pages.db] [--pg URL] [--cases 100000]
                                          [--only overzicht]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import and_, case, func, select  # noqa: E402

from bench.common import median_ms, p95_ms, raw_step_ms  # noqa: E402
from bench.generate_data import NOW, generate  # noqa: E402
from engine import ManualClock, sessions  # noqa: E402
from engine.store import CaseRow, Store, TaskRow  # noqa: E402
from engine.store.inbox import InboxQuery, inbox_page, overview  # noqa: E402
from engine.store.overview import compact  # noqa: E402
from web import create_app  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
PG = os.environ.get("REGIE_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/regie_bench_pages")
ROUNDS = 40
PAGES = [
    ("inbox: mijn taken", "bench-cm", "/taken"),
    ("inbox: team (casemanager)", "bench-cm", "/taken?weergave=team"),
    ("inbox: alle taken", "bench-coord", "/taken?weergave=alle"),
    ("inbox: alle, pagina 200", "bench-coord", "/taken?weergave=alle&pagina=200"),
    ("inbox: te laat, 1 proces", "bench-coord", "/taken?weergave=alle&termijn=verlopen&proces=aanvraag"),
    ("inbox: zoek op naam", "bench-coord", "/taken?weergave=alle&zoek=Demo+Ouder+4711"),
    ("inbox: zoek op zaaknummer", "bench-coord", "/taken?weergave=alle&zoek=0000a1b2"),
    ("zaakpagina", "bench-cm", "/zaken/{case}"),
    ("overzicht coördinator", "bench-coord", "/overzicht"),
]
OVERVIEW = "overzicht coördinator"
QUERIES = [
    ("query: mijn taken", InboxQuery(view="mine", user="bench-cm")),
    ("query: team", InboxQuery(view="team", user="bench-cm", roles=("casemanager",))),
    ("query: team (2 rollen)", InboxQuery(view="team", user="bench-coord", roles=("casemanager", "coordinator"))),
    ("query: alle taken", InboxQuery(view="all")),
]


def ensure_data(url: str, cases: int) -> None:
    store = Store(url)
    store.upgrade()
    with store.read() as tx:
        empty = not tx.case_ids()[:1]
    store.dispose()
    if empty:
        generate(url, cases)
    store = Store(url)
    with store.write() as tx:         # fold the generated cases' deltas, as the first overview would
        compact(tx)
    # Statistics for indexes that later migrations added to data made earlier: with only part of them a
    # planner (SQLite's especially) can prefer an index that reads every open task. On PostgreSQL also what
    # autovacuum does in its own time: clear the rows the fold took out (the data came in 5,000 cases a
    # transaction; a running installation folds every COMPACT_AFTER deltas and its delta table stays small).
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE" if store.is_sqlite else "VACUUM (ANALYZE, INDEX_CLEANUP ON)")
    store.dispose()


def counts_from_every_row(tx, now) -> None:
    """The overview's counts as they were read before the projection (0032_overview_counts): a GROUP BY over
    every case and every open task; timed in the same run as the baseline for the projection."""
    late = case((and_(TaskRow.due_at.is_not(None), TaskRow.due_at < now), 1), else_=0)
    tx.session.execute(select(CaseRow.process_id, CaseRow.status, func.count())
                       .group_by(CaseRow.process_id, CaseRow.status)).all()
    tx.session.execute(select(TaskRow.process_id, TaskRow.name, TaskRow.title, func.count(), func.sum(late))
                       .where(TaskRow.state == "open").group_by(TaskRow.process_id, TaskRow.name, TaskRow.title)
                       .order_by(TaskRow.process_id, func.min(TaskRow.created_at))).all()
    tx.session.execute(select(TaskRow.assignee, func.count(), func.sum(late)).where(TaskRow.state == "open")
                       .group_by(TaskRow.assignee).order_by(func.count().desc())).all()
    tx.session.scalar(select(func.count()).where(TaskRow.state == "open", TaskRow.due_at < now))


def server_cpu(eng) -> float:
    """CPU seconds used so far by the PostgreSQL server processes of this database (0 on SQLite: in-process)."""
    if eng.store.is_sqlite:
        return 0.0
    with eng.store.engine.connect() as conn:
        pids = conn.exec_driver_sql("SELECT pid FROM pg_stat_activity WHERE datname = current_database()").scalars()
        total = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:          # not on this machine (or gone): no server figure
                return float("nan")
            total += int(fields[11]) + int(fields[12])      # utime + stime, in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


def bench(url: str, only: str = "") -> tuple[list[tuple[str, float, float]], dict[str, float]]:
    app = create_app({"DATABASE_URL": url, "CLOCK": ManualClock(NOW), "SECRET_KEY": "bench", "TESTING": True,
                      "WTF_CSRF_ENABLED": False})
    eng = app.extensions["regie.engine"]
    with eng.store.read() as tx:      # cases bench-cm may open (need-to-know: an open task for the casemanagers)
        case_ids = [t.case_id for t in tx.open_tasks(role="casemanager", limit=2000, offset=40_000)] or [
            t.case_id for t in tx.open_tasks(role="casemanager", limit=2000)]        # a small --cases
    rng = random.Random(3)
    clients = {}
    for user in ("bench-cm", "bench-coord"):      # a server-side session each, as a login makes (no password)
        client = app.test_client()
        token = sessions.open_session(eng.store, user, datetime.now(UTC))
        with client.session_transaction() as session:
            session["sid"], session["seen"] = token, time.time()
        clients[user] = client
    results = []
    cpu: dict[str, float] = {}
    for label, user, path in PAGES:
        if only not in label:
            continue
        samples, app_cpu = [], []
        for i in range(ROUNDS + 3):
            if i == 3:
                server_before = server_cpu(eng)
            url_path = path.format(case=rng.choice(case_ids))
            cpu_started = time.process_time()
            started = time.perf_counter()
            response = clients[user].get(url_path)
            elapsed = time.perf_counter() - started
            app_cpu.append(time.process_time() - cpu_started)
            assert response.status_code == 200, (url_path, response.status_code, response.text[:500])
            if i >= 3:                      # the first requests warm the caches (versions, templates)
                samples.append(elapsed)
        if label == OVERVIEW:
            cpu = {"app": median_ms(app_cpu[3:]), "server": (server_cpu(eng) - server_before) * 1000 / ROUNDS}
        results.append((label, median_ms(samples), p95_ms(samples)))
    for label, read in (("overzicht: tellingen (projectie)", lambda tx: overview(tx, NOW)),
                        ("overzicht: tellen over alle rijen", lambda tx: counts_from_every_row(tx, NOW))):
        if only not in label:
            continue
        samples = []
        for i in range(ROUNDS + 3):
            started = time.perf_counter()
            with eng.store.read() as tx:
                read(tx)
            if i >= 3:
                samples.append(time.perf_counter() - started)
        results.append((label, median_ms(samples), p95_ms(samples)))
    for label, query in QUERIES:
        if only not in label:
            continue
        samples = []
        for i in range(ROUNDS + 3):
            started = time.perf_counter()
            with eng.store.read() as tx:
                inbox_page(tx, query, NOW, NOW, 25, 0)
            if i >= 3:
                samples.append(time.perf_counter() - started)
        results.append((label, median_ms(samples), p95_ms(samples)))
    eng.store.dispose()
    return results, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", default=str(RESULTS / "pages.db"))
    parser.add_argument("--pg", default=PG, help="PostgreSQL URL ('' to skip)")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--only", default="", help="only the pages and queries whose label has this text")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    stores = [("SQLite", f"sqlite:///{args.sqlite}")]
    if args.pg:
        stores.append(("PostgreSQL", args.pg))
    table: dict[str, dict[str, tuple[float, float]]] = {}
    cpu: dict[str, dict[str, float]] = {}
    raw = raw_step_ms()
    for name, url in stores:
        try:
            ensure_data(url, args.cases)
        except Exception as err:  # a store that is not there is reported, not fatal
            print(f"{name}: skipped ({err.__class__.__name__}: {str(err).splitlines()[0][:100]})")
            continue
        results, cpu[name] = bench(url, args.only)
        for label, median, p95 in results:
            table.setdefault(label, {})[name] = (median, p95)
    names = [n for n, _ in stores if any(n in row for row in table.values())]
    print(f"\n{args.cases:,} open cases, {args.cases * 10:,} events; median / p95 in ms\n")
    print(f"| {'page or query':<28} | " + " | ".join(f"{n:^17}" for n in names) + " |")
    print(f"|{'-' * 30}|" + "|".join("-" * 19 for _ in names) + "|")
    for label, row in table.items():
        cells = [f"{row[n][0]:>6.1f} / {row[n][1]:>6.1f}" if n in row else "-" for n in names]
        print(f"| {label:<28} | " + " | ".join(f"{c:^17}" for c in cells) + " |")

    print(f"\n{OVERVIEW} (goal <= 20 ms): wall median, CPU per request; stock SpiffWorkflow step + serialize "
          f"{raw:.2f} ms (same run)\n")
    print("| store | wall median ms | app CPU ms (median) | server CPU ms (mean) | wall / stock step |")
    print("|---|---|---|---|---|")
    for name in names:
        if OVERVIEW in table and name in table[OVERVIEW] and cpu.get(name):
            wall = table[OVERVIEW][name][0]
            print(f"| {name} | {wall:.1f} | {cpu[name]['app']:.1f} | {cpu[name]['server']:.1f} | {wall / raw:.1f}x |")


if __name__ == "__main__":
    main()
