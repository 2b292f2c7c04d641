"""Third-party models (issue 18): does Regie read, deploy and run what municipalities bring along?

    .venv/bin/python bench/bench_corpus.py DIRECTORY [--timeout SECONDS] [--steps N] [--json FILE]

``DIRECTORY`` holds models that nobody on this project wrote (Valtimo/GZAC, Camunda 7 examples and engine
tests, Camunda 8 examples, SpiffWorkflow's tests, the MIWG suite), in any folder layout. They are not part
of the project: keep them outside the repository (for example ``/work/corpus``) and point this script at
them. Each ``.bpmn`` (or ``.bpmn20.xml``) file is one unit, with the ``.dmn`` files of its folder and the
BPMN files of its folder that define a process it calls.

Per unit, in a child process with a time limit (a hang is counted, not waited for):

1. **validate** — ``Engine.validate(files, warnings=True)``. A crash is a Python exception out of the facade,
   or a problem whose message is an internal error text (``TypeError(...)``, a SpiffWorkflow parser
   message) instead of Regie's own Dutch sentence.
2. **deploy** — units with an executable process that validate cleanly are deployed.
3. **run** — every executable top-level process of a deployed unit is started with sample start data
   (its start form filled as the demo data fills it) and walked: each open task completed with sample data
   for its form, at most ``--steps`` tasks. Outcome: *ended*, *waits* (open tasks past the step limit, or
   a timer/message the walk does not send), *refused input* (a form Regie refused the sample data for),
   *needs data* (an expression read a field that neither the model's forms nor the sample data filled:
   Camunda stops there too; such a model needs its start data from outside), or *stalled* (any other
   incident or error while running). A stall counts as *predicted* when validation named the same element
   (or its file) in a warning.

``--as-executable`` first marks every process executable (in copies): the many drawing fixtures of
bpmn-js and friends, never meant to run, then exercise deploy and run too. That pass counts crashes,
hangs and unpredicted stalls only; the deploy share is the one of the plain run.

Goals (issue 18): 0 crashes and 0 hangs in validate and in runs; at least 85 % of the units with an
executable process deploy; every stall predicted. Baseline in the same run: stock SpiffWorkflow's
``CamundaParser`` parsing the same files (parse only, no checks), so the validate column can be read as a
ratio on any machine.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import random
import re
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
# Texts that are the inside of a library, not a sentence for a person ("technisch: ..." is a parser text
# that Regie shows because it has no Dutch sentence for it yet).
INTERNAL = re.compile(r"Traceback|\b[A-Z][a-zA-Z]+Error\(|\bTypeError\b|\bKeyError\b|\bAttributeError\b|"
                      r"SubWorkflow Must|Unknown Time Specification|NoneType|\(technisch: ")


def units(directory: Path) -> list[tuple[Path, list[Path]]]:
    """(BPMN file, the files validated with it) for every BPMN file under ``directory``."""
    bpmn = sorted(p for p in directory.rglob("*") if p.is_file() and p.name.endswith((".bpmn", ".bpmn20.xml")))
    defines: dict[Path, set[str]] = {}
    calls: dict[Path, set[str]] = {}
    for path in bpmn:
        try:
            root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
        except etree.XMLSyntaxError:
            defines[path], calls[path] = set(), set()
            continue
        defines[path] = {p.get("id", "") for p in root.iter(f"{{{BPMN_NS}}}process")}
        calls[path] = {c.get("calledElement", "") for c in root.iter(f"{{{BPMN_NS}}}callActivity")}
    found = []
    for path in bpmn:
        siblings = [p for p in bpmn if p.parent == path.parent and p != path and defines[p] & calls[path]]
        decisions = sorted(p for p in path.parent.glob("*.dmn") if p.is_file())
        found.append((path, [path, *siblings, *decisions]))
    return found


def executable_processes(path: Path, every: bool = False) -> list[str]:
    """The top-level processes of ``path`` marked executable (``every``: all of them)."""
    try:
        root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    except etree.XMLSyntaxError:
        return []
    called = {c.get("calledElement", "") for c in root.iter(f"{{{BPMN_NS}}}callActivity")}
    return [p.get("id", "") for p in root.iter(f"{{{BPMN_NS}}}process")
            if (every or p.get("isExecutable") == "true") and p.get("id") not in called]


def as_executable(files: list[Path], folder: Path) -> list[Path]:
    """Copies of ``files`` in ``folder`` with every process marked executable (``--as-executable``): the
    drawing fixtures of bpmn-js and friends then exercise deploy and run too, not only validate."""
    copies = []
    for number, path in enumerate(files):
        target = folder / f"{number}-{path.name}"
        try:
            tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError:
            target.write_bytes(path.read_bytes())
        else:
            for process in tree.getroot().iter(f"{{{BPMN_NS}}}process"):
                process.set("isExecutable", "true")
            tree.write(str(target), xml_declaration=True, encoding="UTF-8")
        copies.append(target)
    return copies


def _examine(files: list[str], processes: list[str], steps: int, answer) -> None:
    """In the child process: validate, deploy, run; the result goes back through ``answer``."""
    from engine import Engine, ManualClock, SequentialIds
    from engine.cli.demo import sample_data
    from engine.errors import IncidentError, InvalidData, RegieError

    result: dict = {"crash": None, "errors": [], "warnings": [], "runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        clock = ManualClock("2026-01-05T09:00:00+00:00")
        eng = Engine.from_url(f"sqlite:///{tmp}/corpus.db", clock=clock, ids=SequentialIds())
        started = time.perf_counter()
        try:
            problems = eng.validate(files, warnings=True)
        except Exception as err:    # noqa: BLE001 - that is what is measured
            result["crash"] = f"validate: {type(err).__name__}: {err}"[:500]
            answer.send(result)
            return
        result["validate_s"] = time.perf_counter() - started
        result["errors"] = [(p.element_id, p.message[:300]) for p in problems if p.severity != "warning"]
        result["warnings"] = [(p.element_id, p.message[:300]) for p in problems if p.severity == "warning"]
        internal = [m for _, m in result["errors"] + result["warnings"] if INTERNAL.search(m)]
        if internal:
            result["crash"] = f"validate says an internal error: {internal[0]}"
        if result["errors"] or not processes:
            answer.send(result)
            return
        try:
            eng.deploy(files)
        except RegieError as err:
            result["errors"] = [("-", f"deploy: {err}"[:300])]
            answer.send(result)
            return
        except Exception as err:    # noqa: BLE001
            result["crash"] = f"deploy: {type(err).__name__}: {err}"[:500]
            answer.send(result)
            return
        rng = random.Random(7)
        for process_id in processes:
            run = {"process": process_id, "outcome": "", "element": "", "reason": ""}
            try:
                form = eng.current_version(process_id).start_form()
                data = sample_data(form, rng, "Demo Bewoner", clock.now()) if form else {}
                case_id = eng.start(process_id, data, actor="corpus")
                for _ in range(steps):
                    tasks = eng.tasks(case_id=case_id)
                    if not tasks:
                        break
                    task = tasks[0]
                    version = eng.version(eng.state(case_id).version_id)
                    task_form = version.forms.get(task.form) if task.form else None
                    eng.complete(task.id, sample_data(task_form, rng, "", clock.now()) if task_form else {},
                                 actor="corpus")
                state = eng.state(case_id)
                run["outcome"] = "ended" if state.status == "completed" else "waits"
            except IncidentError as err:
                # a field the model reads that the walk's sample data did not give (Camunda stops there too)
                outcome = "needs data" if "is onbekend" in str(err.reason) else "stalled"
                run.update(outcome=outcome, element=err.element_id, reason=str(err.reason)[:300])
            except InvalidData as err:
                run.update(outcome="refused input", reason=str(err)[:300])
            except RegieError as err:
                outcome = "needs data" if "is onbekend" in str(err) else "stalled"
                run.update(outcome=outcome, element=getattr(err, "element_id", "") or "-", reason=str(err)[:300])
            except Exception as err:    # noqa: BLE001
                run.update(outcome="crash", reason=f"{type(err).__name__}: {err}"[:300])
            result["runs"].append(run)
        eng.store.dispose()
    answer.send(result)


def examine(files: list[Path], processes: list[str], steps: int, timeout: float) -> dict:
    receive, send = mp.Pipe(duplex=False)
    child = mp.get_context("fork").Process(target=_examine, args=([str(f) for f in files], processes, steps, send))
    child.start()
    if receive.poll(timeout):
        result = receive.recv()
        child.join(5)
    else:
        result = {"hang": True, "crash": None, "errors": [], "warnings": [], "runs": []}
    if child.is_alive():
        child.kill()
        child.join()
    return result


def baseline(files: list[Path]) -> float | None:
    """Stock SpiffWorkflow parsing the same files (no checks); None when it refuses them."""
    from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser

    started = time.perf_counter()
    try:
        parser = CamundaParser()
        for f in files:
            (parser.add_dmn_file if f.suffix == ".dmn" else parser.add_bpmn_file)(str(f))
        for process_id in parser.get_process_ids():
            parser.get_spec(process_id)
    except Exception:    # noqa: BLE001 - stock SpiffWorkflow refusing a model is not a crash of ours
        return None
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per unit before it counts as a hang")
    parser.add_argument("--steps", type=int, default=40, help="tasks completed per run at most")
    parser.add_argument("--json", type=Path, help="write every unit's result to this file")
    parser.add_argument("--progress", action="store_true", help="print each file as it is done (to stderr)")
    parser.add_argument("--as-executable", action="store_true",
                        help="mark every process executable first (a stress run for crashes; not the deploy share)")
    args = parser.parse_args()
    found = units(args.directory)
    if not found:
        print(f"No BPMN files under {args.directory}.")
        return 1
    totals: Counter = Counter()
    outcomes: Counter = Counter()
    unpredicted, crashes, rows = [], [], []
    regie_s, stock_s = 0.0, 0.0
    scratch = tempfile.TemporaryDirectory()
    for number, (path, files) in enumerate(found, start=1):
        processes = executable_processes(path, every=args.as_executable)
        if args.as_executable:
            folder = Path(scratch.name) / str(number)
            folder.mkdir()
            result = examine(as_executable(files, folder), processes, args.steps, args.timeout)
        else:
            result = examine(files, processes, args.steps, args.timeout)
        name = str(path.relative_to(args.directory))
        if args.progress:
            outcome = "hang" if result.get("hang") else "crash" if result.get("crash") else \
                "refused" if result["errors"] else ",".join(r["outcome"] for r in result["runs"]) or "accepted"
            print(f"{number}/{len(found)} {name}: {outcome}", file=sys.stderr, flush=True)
        totals["units"] += 1
        totals["executable"] += bool(processes)
        totals["hang"] += bool(result.get("hang"))
        if result.get("crash"):
            crashes.append((name, result["crash"]))
        accepted = not result["errors"] and not result.get("hang") and not result.get("crash")
        totals["accepted"] += accepted
        totals["deployed"] += accepted and bool(processes)
        stock = baseline(files)
        if stock is not None and result.get("validate_s") is not None:
            regie_s, stock_s = regie_s + result["validate_s"], stock_s + stock
            totals["timed"] += 1
        warned = {element for element, _ in result["warnings"]}
        for run in result["runs"]:
            outcomes[run["outcome"]] += 1
            if run["outcome"] == "crash":
                crashes.append((f"{name} ({run['process']})", run["reason"]))
            if run["outcome"] == "stalled" and run["element"] not in warned and not warned & {"", "-"}:
                unpredicted.append((name, run["process"], run["element"], run["reason"]))
        rows.append({"file": name, "processes": processes, **result})
    executable = totals["executable"] or 1
    print(f"corpus: {args.directory} — {totals['units']} BPMN files, {totals['executable']} with an executable process")
    print(f"validate: {totals['accepted']} accepted, {totals['units'] - totals['accepted']} refused with element and "
          f"reason; crashes {len(crashes)}, hangs {totals['hang']}  (goal 0 and 0)")
    print(f"deploy: {totals['deployed']} of {totals['executable']} executable files "
          f"({100 * totals['deployed'] / executable:.1f} %, goal ≥ 85 %)")
    runs = sum(outcomes.values())
    print(f"runs: {runs} processes started — " + ", ".join(f"{n} {k}" for k, n in outcomes.most_common()))
    print(f"stalls not predicted by validation: {len(unpredicted)}  (goal 0)")
    if stock_s:
        print(f"validate time: Regie {1000 * regie_s / totals['timed']:.1f} ms per file, stock SpiffWorkflow parse "
              f"{1000 * stock_s / totals['timed']:.1f} ms per file (same {totals['timed']} files, same run): "
              f"ratio {regie_s / stock_s:.1f}x")
    for name, reason in crashes[:20]:
        print(f"  crash  {name}: {reason}")
    for name, process, element, reason in unpredicted[:20]:
        print(f"  stall  {name} ({process}) at {element}: {reason}")
    for row in rows:
        for run in row["runs"]:
            if run["outcome"] == "needs data":
                print(f"  needs data  {row['file']} ({run['process']}) at {run['element']}: {run['reason'][:160]}")
    if args.json:
        args.json.write_text(json.dumps({"at": datetime.now(UTC).isoformat(), "rows": rows}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
