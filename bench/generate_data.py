"""Fill a database with many open cases for the page benchmark (``bench/bench_pages.py``).

Real cases first: a few template cases are started and moved on by the engine itself (so their
workflow state, data and task rows are exactly what Regie writes). Then each template is cloned in
bulk, with new ids, fictional names, spread-out dates and due dates, assignees, and an event log of
ten events per case with a valid hash chain. Default: 100,000 open cases, 1,000,000 events.

    .venv/bin/python bench/generate_data.py --url sqlite:///bench/results/pages.db [--cases 100000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select  # noqa: E402

from engine import Engine, ManualClock, SequentialIds  # noqa: E402
from engine.audit import GENESIS, canonical_json, event_hash  # noqa: E402
from engine.store import CaseRow, EventRow, TaskRow, UserRow  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "tests" / "engine" / "models"
NOW = datetime.fromisoformat("2026-06-01T09:00:00+00:00")
EVENTS_PER_CASE = 10
USERS = 50                      # casemanagers and specialists; 'bench-cm' and 'bench-coord' log in
BATCH = 5000


def templates(eng: Engine, clock: ManualClock) -> list[str]:
    """Two real cases: one waiting at the intake (casemanager), one at the plan (specialist)."""
    at_intake = eng.start("aanvraag", {"naam": "Demo Ouder"}, actor="bench")
    at_plan = eng.start("aanvraag", {"naam": "Demo Ouder"}, actor="bench")
    task = eng.tasks(case_id=at_plan)[0]
    eng.complete(task.id, {"akkoord": True, "bedrag": 500}, actor="bench")
    return [at_intake, at_plan]


def generate(url: str, cases: int, seed: int = 1) -> None:
    started = time.perf_counter()
    clock = ManualClock(NOW - timedelta(days=400))
    eng = Engine.from_url(url, clock=clock, ids=SequentialIds("bench"))
    with eng.store.read() as tx:
        if tx.case_ids()[:1]:
            sys.exit(f"{url} has cases already: use an empty database.")
    eng.deploy([MODELS])
    sources = templates(eng, clock)
    rng = random.Random(seed)
    with eng.store.read() as tx:
        case_rows = {cid: _row(tx, CaseRow, CaseRow.id == cid) for cid in sources}
        task_rows = {cid: _row(tx, TaskRow, TaskRow.case_id == cid, TaskRow.state == "open") for cid in sources}
    users = _users()
    with eng.store.engine.begin() as conn:
        conn.execute(insert(UserRow.__table__), users)
    done = 0
    while done < cases:
        batch = range(done, min(done + BATCH, cases))
        rows_c, rows_e, rows_t = [], [], []
        for n in batch:
            source = sources[0] if rng.random() < 0.65 else sources[1]
            case, events, tasks = _clone(n, case_rows[source], task_rows[source], rng)
            rows_c.append(case)
            rows_e.extend(events)
            rows_t.extend(tasks)
        with eng.store.engine.begin() as conn:
            conn.execute(insert(CaseRow.__table__), rows_c)
            conn.execute(insert(EventRow.__table__), rows_e)
            conn.execute(insert(TaskRow.__table__), rows_t)
        done = batch.stop
        print(f"\r{done:>7} / {cases} cases", end="", flush=True)
    if not eng.store.is_sqlite:
        with eng.store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")      # the visibility map, for index-only scans
    else:
        with eng.store.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    print(f"\n{cases} cases, {cases * EVENTS_PER_CASE} events in {time.perf_counter() - started:.0f} s")
    eng.store.dispose()


def _row(tx, model, *where) -> dict:
    table = model.__table__
    row = tx.session.execute(select(table).where(*where)).mappings().first()
    return dict(row)


def _users() -> list[dict]:
    rows = [dict(username=f"user{i:02d}", name=f"Demo Collega {i}", password_hash="-", active=True,
                 roles="casemanager" if i % 3 else "specialist") for i in range(USERS)]
    rows += [dict(username="bench-cm", name="Bench Casemanager", password_hash="-", roles="casemanager", active=True),
             dict(username="bench-coord", name="Bench Coördinator", password_hash="-",
                  roles="coordinator,casemanager", active=True)]
    return rows


def _clone(n: int, case: dict, task: dict, rng: random.Random) -> tuple[dict, list[dict], list[dict]]:
    case_id = f"{n:08x}-bench-{rng.getrandbits(48):012x}"[:36]
    created = NOW - timedelta(days=rng.uniform(1, 365))
    name = f"Demo Ouder {n}"
    events, last = [], GENESIS
    for seq in range(1, EVENTS_PER_CASE + 1):
        at = created + timedelta(hours=seq * rng.uniform(1, 20))
        kind, payload = _event(seq, name, task)
        body = canonical_json(payload)
        digest = event_hash(last, case_id, seq, kind, at, "bench", body)
        events.append(dict(case_id=case_id, seq=seq, type=kind, at=at, actor="bench", payload=body,
                           prev_hash=last, hash=digest))
        last = digest
    assignee = f"user{rng.randrange(USERS):02d}" if rng.random() < 0.3 else None
    if assignee is None and rng.random() < 0.002:
        assignee = "bench-cm"
    role = task["role"] if rng.random() < 0.9 else "coordinator"
    due = NOW + timedelta(days=rng.uniform(-10, 20)) if rng.random() < 0.8 else None
    number = f"BN-{created.year}-{n + 1:06d}"     # unique (ix_cases_number), apart from the templates' AA- numbers
    new_case = {**case, "id": case_id, "number": number, "subject": name, "created_at": created, "updated_at": events[-1]["at"],
                "last_seq": EVENTS_PER_CASE, "last_hash": last, "created_by": "bench"}
    open_task = {**task, "id": f"{n:08x}-task-{rng.getrandbits(48):012x}"[:36], "case_id": case_id,
                 "assignee": assignee, "role": role, "due_at": due, "created_at": events[-1]["at"]}
    closed = {**task, "id": f"{n:08x}-done-{rng.getrandbits(48):012x}"[:36], "case_id": case_id, "name": "intake",
              "title": "Intake doen", "state": "completed", "assignee": None, "due_at": None,
              "created_at": created, "completed_at": events[2]["at"], "completed_by": "bench"}
    return new_case, events, [open_task, closed]


def _event(seq: int, name: str, task: dict) -> tuple[str, dict]:
    if seq == 1:
        return "case_started", {"process_id": "aanvraag", "data": {"naam": name}}
    if seq % 3 == 0:
        return "task_completed", {"task_id": "-", "element": "intake", "title": "Intake doen",
                                  "data": {"akkoord": True, "bedrag": 500}}
    if seq % 3 == 1:
        return "task_claimed", {"task_id": task["id"], "element": task["name"], "assignee": "user01"}
    return "task_unclaimed", {"task_id": task["id"], "element": task["name"], "assignee": None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="An empty database (SQLite file or PostgreSQL).")
    parser.add_argument("--cases", type=int, default=100_000)
    args = parser.parse_args()
    generate(args.url, args.cases)


if __name__ == "__main__":
    main()
