"""Issue 14 benchmark: ``regie retention run`` over many expired cases (cases/s).

N closed cases of the test model (a name, an amount and a free-text reason, all sealed with each case's
key) are made once in a template database and copied for the run. Their retention period has ended;
``retention.run`` removes the personal data of every one of them: per case one transaction that locks
the case, checks its events are sealed, deletes its key, appends a ``personal_data_removed`` event,
empties the case data, name and workflow data, and clears drafts and incident messages.

Baseline, in the same run: stock SpiffWorkflow doing the least any removal that keeps the workflow must
do — restore the case's workflow from its JSON, empty the data of the workflow and every task, serialize
it again — in memory, with no database, keys or events. The ratio says how many times slower Regie is.

    .venv/bin/python bench/bench_retention.py [--cases 10000] [--url sqlite:///... | postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MODELS = ROOT / "tests" / "engine" / "models"
START = "2026-01-05T09:00:00+00:00"


def _settings(folder: Path) -> None:
    path = folder / "privacy.yaml"
    path.write_text("processes:\n  aanvraag: {purpose: Benchmark, legal_basis: Taak, retention: {days: 30}}\n")
    os.environ["REGIE_PRIVACY_CONFIG"] = str(path)
    os.environ.setdefault("REGIE_MASTER_KEYS", "bench:" + base64.b64encode(secrets.token_bytes(32)).decode())


def make_cases(url: str, count: int) -> float:
    """``count`` closed cases on ``url``; returns the seconds it took."""
    from engine import Engine, ManualClock, RandomIds

    began = time.perf_counter()
    eng = Engine.from_url(url, clock=ManualClock(START), ids=RandomIds())
    eng.deploy([MODELS])
    for n in range(count):
        case_id = eng.start("aanvraag", {"naam": f"Bewoner {n:05d} Achternaam"}, actor="bench")
        task = eng.tasks(case_id=case_id)[0]
        eng.complete(task.id, {"akkoord": False, "bedrag": 100 + n, "reden": f"Reden {n} met wat tekst"},
                     actor="bench")
    eng.store.dispose()
    return time.perf_counter() - began


def run_retention(url: str, count: int) -> float:
    """Seconds for ``retention.run`` over every expired case (asserts all ``count`` were removed)."""
    from engine import Engine, ManualClock
    from engine.privacy import retention

    clock = ManualClock(START)
    clock.advance(days=40)
    eng = Engine.from_url(url, clock=clock)
    began = time.perf_counter()
    result = retention.run(eng, "bench")
    elapsed = time.perf_counter() - began
    assert len(result.removed) == count and not result.skipped, (len(result.removed), result.skipped[:1])
    eng.store.dispose()
    return elapsed


def workflow_states(url: str, limit: int) -> list[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = [r[0] for r in conn.execute(text("SELECT state FROM cases LIMIT :n"), {"n": limit})]
    engine.dispose()
    return rows


def bench_raw(states: list[str]) -> float:
    """Cases/s for stock SpiffWorkflow: restore from JSON, empty every data dict, serialize (in memory)."""
    from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
    from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
    from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG

    from engine.spiff import load_instance

    parser = CamundaParser()
    parser.add_bpmn_file(str(MODELS / "aanvraag.bpmn"))
    spec, subs = parser.get_spec("aanvraag"), parser.get_subprocess_specs("aanvraag")
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))
    import json

    from engine.expressions import Evaluator
    from engine.spiff import RegieScriptEngine

    script = RegieScriptEngine(Evaluator())
    workflows = [load_instance(json.loads(s), spec, subs, script) for s in states]
    texts = [serializer.serialize_json(wf) for wf in workflows]
    began = time.perf_counter()
    for text in texts:
        wf = serializer.deserialize_json(text)
        wf.data.clear()
        for task in wf.tasks.values():
            task.data.clear()
        serializer.serialize_json(wf)
    return len(texts) / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--url", default=None, help="Database for the run (default: a SQLite file in a temp folder).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _settings(folder)
        if args.url and not args.url.startswith("sqlite"):
            url = args.url
            setup = make_cases(url, args.cases)
        else:
            template = folder / "template.db"
            setup = make_cases(f"sqlite:///{template}", args.cases)
            run_file = folder / "run.db"
            shutil.copy(template, run_file)
            url = f"sqlite:///{run_file}"
        print(f"Setup: {args.cases} closed cases in {setup:.0f} s ({args.cases / setup:.0f} cases/s)")
        raw = bench_raw(workflow_states(url, min(args.cases, 2_000)))
        elapsed = run_retention(url, args.cases)
        rate = args.cases / elapsed
        print(f"retention run over {args.cases} expired cases ({url.split(':', 1)[0]})")
        print(f"{'':52} {'cases/s':>9} {'wall s':>8} {'vs raw':>8}")
        print(f"{'raw SpiffWorkflow (restore, empty data, serialize)':52} {raw:9.0f} {'':>8} {1:7.3f}x")
        print(f"{'Regie retention run (key, event, row, drafts)':52} {rate:9.0f} {elapsed:8.1f} {rate / raw:7.3f}x")


if __name__ == "__main__":
    main()
