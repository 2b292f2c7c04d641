"""Issue 14 benchmark: the inbox with need-to-know and team scoping at 100,000 open cases.

The data is ``bench/generate_data.py``'s (100,000 open cases, 1,000,000 events), in an own database, with the
cases spread over three processes (aanvraag, bench-loket, bench-tsp). Each figure is measured without teams
(the role is the team: the inbox before issue 14, the baseline) and with three teams (steunpunt works aanvraag
and the specialist lane of bench-tsp, loket works bench-loket, tsp works bench-tsp), in alternating blocks of
the same run, so the ratio is the price of the team scoping. Pages go through the whole Flask app in-process
(routing, session, teams, queries, templates); queries are the store's inbox query alone; "toegangscheck" is
``Engine.case_access`` (need-to-know) for a case the user may open. Goal: inbox ≤ 20 ms (median, SQLite).

    .venv/bin/python bench/bench_inbox_teams.py [--sqlite bench/results/inbox_teams.db] [--cases 100000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import delete, select, update  # noqa: E402

from bench.common import median_ms, p95_ms  # noqa: E402
from bench.generate_data import NOW, generate  # noqa: E402
from engine import ManualClock, sessions  # noqa: E402
from engine.store import CaseRow, ProcessRow, Store, TaskRow  # noqa: E402
from engine.store.inbox import InboxQuery, inbox_page  # noqa: E402
from engine.store.models import TeamMemberRow, TeamProcessRow, TeamRow  # noqa: E402
from web import create_app  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
ROUNDS = 40
GOAL_MS = 20.0
PROCESSES = ("aanvraag", "bench-loket", "bench-tsp")
PAGES = [
    ("pagina: mijn taken", "bench-cm", "/taken"),
    ("pagina: team (casemanager)", "bench-cm", "/taken?weergave=team"),
    ("pagina: alle taken (coörd.)", "bench-coord", "/taken?weergave=alle"),
    ("pagina: alle, pagina 200", "bench-coord", "/taken?weergave=alle&pagina=200"),
    ("pagina: zaak (need-to-know)", "bench-cm", "/zaken/{case}"),
]
QUERIES = [
    ("query: team (casemanager)", InboxQuery(view="team", user="bench-cm", roles=("casemanager",))),
    ("query: team (2 rollen)", InboxQuery(view="team", user="bench-coord", roles=("casemanager", "coordinator"))),
    ("query: alle taken (coörd.)", InboxQuery(view="all", user="bench-coord", roles=("casemanager", "coordinator"))),
    ("query: team, 1 proces", InboxQuery(view="team", user="bench-cm", roles=("casemanager",),
                                         process_id="bench-loket")),
]


def ensure_data(url: str, cases: int) -> None:
    """The generated cases, once; then a third of them moved to each of two more processes (same model)."""
    store = Store(url)
    store.upgrade()
    with store.read() as tx:
        empty = not tx.case_ids()[:1]
    store.dispose()
    if empty:
        generate(url, cases)
    store = Store(url)
    with store.write() as tx:
        s = tx.session
        if s.get(ProcessRow, "bench-loket") is None:
            source = s.get(ProcessRow, "aanvraag")
            for process_id in PROCESSES[1:]:
                s.add(ProcessRow(id=process_id, name=process_id, current_version_id=source.current_version_id))
            ids = sorted(s.scalars(select(CaseRow.id)))
            for n, case_id in enumerate(ids):
                if n % 3:
                    process_id = PROCESSES[n % 3]
                    s.execute(update(CaseRow).where(CaseRow.id == case_id).values(process_id=process_id))
                    s.execute(update(TaskRow).where(TaskRow.case_id == case_id).values(process_id=process_id))
    with store.engine.begin() as conn:     # statistics for the moved rows and for indexes later migrations added
        conn.exec_driver_sql("ANALYZE")
    store.dispose()


def set_teams(store: Store, on: bool) -> None:
    with store.write() as tx:
        for table in (TeamRow, TeamMemberRow, TeamProcessRow):
            tx.session.execute(delete(table))
    if not on:
        return
    from engine.teams import Teams

    teams = Teams(store, ManualClock(NOW))
    for team_id, name in (("steunpunt", "Steunpunt hersteloperatie"), ("loket", "Loket"), ("tsp", "TSP")):
        teams.add(team_id, name, "bench")
        teams.set_member(team_id, "bench-coord", "coordinator", "bench")
    teams.assign_process("steunpunt", "aanvraag", "bench")
    teams.assign_process("steunpunt", "bench-tsp", "bench", lane="specialist")
    teams.assign_process("loket", "bench-loket", "bench")
    teams.assign_process("tsp", "bench-tsp", "bench")
    teams.set_member("steunpunt", "bench-cm", "casemanager", "bench")
    teams.set_member("loket", "bench-cm", "casemanager", "bench")
    for i in range(50):             # the generated colleagues, spread over the teams
        teams.set_member(("steunpunt", "loket", "tsp")[(i // 3) % 3], f"user{i:02d}",
                         "casemanager" if i % 3 else "specialist", "bench")


def _timed(run, rounds: int, warm: int = 3) -> list[float]:
    samples = []
    for i in range(rounds + warm):
        started = time.perf_counter()
        run()
        if i >= warm:               # the first rounds warm the caches (versions, templates, SQLite pages)
            samples.append(time.perf_counter() - started)
    return samples


def bench(url: str, blocks: int = 4) -> dict[str, dict[str, tuple[float, float]]]:
    """Without and with teams in alternating blocks (A B A B …), so a machine whose load changes during the run
    weighs on both sides alike."""
    app = create_app({"DATABASE_URL": url, "CLOCK": ManualClock(NOW), "SECRET_KEY": "bench", "TESTING": True,
                      "WTF_CSRF_ENABLED": False})
    eng = app.extensions["regie.engine"]
    with eng.store.read() as tx:      # cases bench-cm opens in both phases: an open casemanager task of aanvraag
        case_ids = [t.case_id for t in tx.open_tasks(role="casemanager", limit=6000)
                    if t.process_id == "aanvraag"]
    clients = {}
    for user in ("bench-cm", "bench-coord"):
        client = app.test_client()
        token = sessions.open_session(eng.store, user, datetime.now(UTC))
        with client.session_transaction() as session:
            session["sid"], session["seen"] = token, time.time()
        clients[user] = client
    rng = random.Random(3)

    def page(user, path):
        response = clients[user].get(path.format(case=rng.choice(case_ids)))
        assert response.status_code == 200, (path, response.status_code, response.text[:300])

    def read(query):
        with eng.store.read() as tx:
            inbox_page(tx, query, NOW, NOW, 25, 0)

    items = ([(label, lambda u=user, p=path: page(u, p)) for label, user, path in PAGES]
             + [(label, lambda q=query: read(q)) for label, query in QUERIES]
             + [("toegangscheck (case_access)",
                 lambda: eng.case_access(rng.choice(case_ids), "bench-cm", ["casemanager"]))])
    samples: dict[str, dict[str, list[float]]] = {}
    for _ in range(blocks):
        for phase, on in (("zonder teams", False), ("met teams", True)):
            set_teams(eng.store, on)
            for label, run in items:
                samples.setdefault(label, {}).setdefault(phase, []).extend(_timed(run, ROUNDS // blocks))
    set_teams(eng.store, False)
    eng.store.dispose()
    return {label: {phase: (median_ms(s), p95_ms(s)) for phase, s in row.items()} for label, row in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", default=str(RESULTS / "inbox_teams.db"))
    parser.add_argument("--cases", type=int, default=100_000)
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    url = f"sqlite:///{args.sqlite}"
    ensure_data(url, args.cases)
    table = bench(url)
    print(f"\n{args.cases:,} open cases over 3 processes, SQLite; median / p95 in ms; ratio = with teams / "
          "without (the role-scoped inbox before issue 14, same run)\n")
    print(f"| {'page or query':<30} | {'without teams':^17} | {'with teams':^17} | ratio | ≤ {GOAL_MS:.0f} ms |")
    print(f"|{'-' * 32}|{'-' * 19}|{'-' * 19}|-------|---------|")
    for label, row in table.items():
        (m0, p0), (m1, p1) = row["zonder teams"], row["met teams"]
        goal = "" if label.startswith("pagina: zaak") or label.startswith("toegang") else (
            "ja" if m1 <= GOAL_MS else "nee")
        print(f"| {label:<30} | {m0:>6.1f} / {p0:>6.1f}  | {m1:>6.1f} / {p1:>6.1f}  | {m1 / m0:>5.2f} | {goal:^7} |")


if __name__ == "__main__":
    main()
