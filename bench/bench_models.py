"""Policy staff's benchmarks (issue 12): validating the hersteloperatie bundle on every edit, and the
impact check of a new version over many running cases.

    .venv/bin/python bench/bench_models.py [CASES]        (default 1,000 cases; 0: validation only)

1. Validation. The modeler sends the model on every edit; Regie answers with markers. Measured: the
   full compile of the bundle from its files (``compile_models``: safety checks, Camunda preparation,
   SpiffWorkflow parsing, every expression, every form parsed), and the as-you-type check the modeler
   calls (``markers.check``: the same compile with the unchanged forms already loaded, plus the
   warnings). Baseline in the same run: stock SpiffWorkflow parsing the same BPMN and DMN
   (``CamundaParser``: ``add_bpmn_xml``, ``add_dmn_xml``, ``get_spec``, ``get_subprocess_specs``) —
   parsing only, no checks.
2. Impact. ``CASES`` running hersteloperatie cases, walked 0–6 tasks forward like the demo data, on
   SQLite; a second version with one task renamed; ``Engine.migrate(..., dry_run=True)`` replays each
   case's recorded inputs on it. Baseline in the same run: stock SpiffWorkflow running the same inputs in
   memory (new workflow, complete each recorded task with its data), without reading the store, checks
   or compaction.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.util.task import TaskState

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine import Engine, ManualClock, SequentialIds  # noqa: E402
from engine.cli.demo import walk_process  # noqa: E402
from engine.definitions import compile_models, read_sources  # noqa: E402
from engine.models import library, markers  # noqa: E402

PROCESS = "hersteloperatie"


def _ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def bench_validation(rounds: int = 25) -> None:
    from engine.expressions import Evaluator

    evaluator = Evaluator()
    everything = read_sources([ROOT / "processes", ROOT / "forms"])
    version = next(v for v in compile_models(everything, evaluator) if v.process_id == PROCESS)
    sources = library.sources_of(version.bundle)
    models = [s for s in sources if s.kind != "form"]
    forms = markers.load_forms(version.bundle["forms"])
    nodes = sum(1 for spec in (version.spec, *version.subprocess_specs.values()) for t in spec.task_specs.values()
                if getattr(t, "bpmn_id", None))

    def raw():
        parser = CamundaParser()
        for s in models:
            xml = etree.fromstring(s.text.encode("utf-8"))
            (parser.add_dmn_xml if s.kind == "dmn" else parser.add_bpmn_xml)(xml, filename=s.name)
        parser.get_spec(PROCESS)
        parser.get_subprocess_specs(PROCESS)

    def timed(func) -> list[float]:
        func()                                  # warm up (imports, caches)
        samples = []
        for _ in range(rounds):
            start = time.perf_counter()
            func()
            samples.append(time.perf_counter() - start)
        return samples

    results = {
        "raw": timed(raw),
        "compile": timed(lambda: compile_models(sources, evaluator)),
        "markers": timed(lambda: markers.check(models, evaluator, forms)),
    }
    base, best = _ms(results["raw"]), min(results["raw"]) * 1000
    print(f"Validation of the {PROCESS} bundle ({nodes} flow elements, {len(version.bundle['forms'])} forms, "
          f"{len(models)} BPMN/DMN files), {rounds} rounds (best: what an idle core gives; median: under load):")
    print("| | best ms | median ms | vs raw (best) |")
    print("|---|---:|---:|---:|")
    rows = [("raw SpiffWorkflow parse (CamundaParser, no checks)", "raw"),
            ("Regie full validation (compile_models, forms parsed)", "compile"),
            ("Regie as-you-type markers (forms loaded once)", "markers")]
    for label, key in rows:
        low = min(results[key]) * 1000
        print(f"| {label} | {low:.1f} | {_ms(results[key]):.1f} | {low / best:.2f}x |")
    del base


def bench_impact(cases: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        clock = ManualClock("2026-01-05T09:00:00+00:00")
        eng = Engine.from_url(f"sqlite:///{folder}/bench.db", clock=clock, ids=SequentialIds())
        eng.deploy([ROOT / "processes", ROOT / "forms"])
        started = time.perf_counter()
        walk_process(eng, clock, PROCESS, cases, random.Random(7), datetime(2026, 2, 1, 9, tzinfo=UTC))
        setup = time.perf_counter() - started
        v1 = eng.current_version(PROCESS)
        name = next(iter(v1.bundle["bpmn"]))
        renamed = v1.bundle["bpmn"][name].replace('name="Ouder terugbellen"', 'name="Ouder binnen 24 uur terugbellen"')
        sources = [s for s in library.sources_of(v1.bundle) if s.name != name]
        from engine.definitions import SourceFile

        library.deploy(eng, [*sources, SourceFile(name, "bpmn", renamed)], "bench", "bench")
        target = eng.current_version(PROCESS)
        with eng.store.read() as tx:
            histories = {c: tx.events(c) for c in tx.case_ids()}
        running = len(eng.migrate(PROCESS, "2", dry_run=True).outcomes)

        start = time.perf_counter()
        report = eng.migrate(PROCESS, "2", dry_run=True)
        regie = time.perf_counter() - start


        start = time.perf_counter()
        raw_failed = 0
        for events in histories.values():
            try:
                _raw_replay(events, target, eng.script_engine)
            except Exception:   # stock SpiffWorkflow lacks what Regie adds (compaction, facts): count, not crash
                raw_failed += 1
        raw = time.perf_counter() - start
        events = sum(len(e) for e in histories.values())
        print(f"\nImpact check: {running} running {PROCESS} cases ({events} events; set up in {setup:.0f} s) "
              "against a version with one task renamed:")
        print("| | total s | cases/s | vs raw |")
        print("|---|---:|---:|---:|")
        print(f"| raw SpiffWorkflow, same inputs in memory | {raw:.2f} | {running / raw:.0f} | 1.00x |")
        print(f"| Regie impact (migrate --dry-run) | {regie:.2f} | {running / regie:.0f} | {regie / raw:.2f}x |")
        if raw_failed:
            print(f"(raw SpiffWorkflow stopped with an error on {raw_failed} of {len(histories)} histories)")
        print(f"Result: {report.summary()}")
        eng.store.dispose()


def _raw_replay(events, target, script_engine) -> None:
    """The recorded inputs of one case through stock SpiffWorkflow, in memory."""
    import json

    wf = None
    for row in events:
        payload = json.loads(row.payload)
        if row.type == "case_started":
            wf = BpmnWorkflow(target.spec, target.subprocess_specs, script_engine=script_engine)
            wf.task_tree.data.update(payload.get("data") or {})
            for task in wf.tasks.values():
                task.data.update(payload.get("data") or {})
            wf.do_engine_steps()
        elif row.type == "task_completed" and wf is not None:
            task = next((t for t in wf.tasks.values() if t.state == TaskState.READY and t.task_spec.manual
                         and t.task_spec.bpmn_id == payload["element"]), None)
            if task is None:
                return
            task.data.update(payload.get("data") or {})
            task.run()
            wf.do_engine_steps()


if __name__ == "__main__":
    bench_validation()
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    if count:
        bench_impact(count)
