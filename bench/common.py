"""Helpers shared by the benchmarks: timing, the raw SpiffWorkflow baseline, printing, the production server
and a fresh PostgreSQL database."""

from __future__ import annotations

import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.util.task import TaskState

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "bench" / "models"
REGIE = ROOT / ".venv" / "bin" / "regie"


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def p95_ms(samples: list[float]) -> float:
    return sorted(samples)[int(len(samples) * 0.95) - 1] * 1000


class RawSpiff:
    """Stock SpiffWorkflow, as an integrator would use it: run in memory, serialize to JSON after each step."""

    def __init__(self, bpmn: Path, process_id: str):
        parser = CamundaParser()
        parser.add_bpmn_file(str(bpmn))
        self.spec = parser.get_spec(process_id)
        self.subprocess_specs = parser.get_subprocess_specs(process_id)
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))

    def start(self, data: dict) -> BpmnWorkflow:
        wf = BpmnWorkflow(self.spec, self.subprocess_specs)
        wf.task_tree.data.update(data)
        for task in wf.tasks.values():
            task.data.update(data)
        wf.do_engine_steps()
        return wf

    def complete(self, wf: BpmnWorkflow, data: dict) -> str:
        task = next(t for t in wf.tasks.values() if t.state == TaskState.READY and t.task_spec.manual)
        task.data.update(data)
        task.run()
        wf.do_engine_steps()
        return self.serializer.serialize_json(wf)


def timed(func, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    result = func(*args, **kwargs)
    return time.perf_counter() - start, result


def run_together(threads: list[threading.Thread], barrier: threading.Barrier) -> float:
    """Start ``threads`` (each waits on ``barrier`` when ready), release them together and return the
    seconds until the last one ends."""
    for t in threads:
        t.start()
    barrier.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - began


def recreate_pg_database(url: str) -> None:
    """Drop (if there) and create the PostgreSQL database that ``url`` names."""
    _admin_sql(url, 'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)', 'CREATE DATABASE "{db}"')


def drop_pg_database(url: str) -> None:
    _admin_sql(url, 'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def _admin_sql(url: str, *statements: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for statement in statements:
            conn.execute(text(statement.format(db=target.database)))
    admin.dispose()


# --- the baseline: stock SpiffWorkflow in its own process -----------------------------------------

def raw_step_ms(steps: int = 300) -> float:
    """Median ms of one stock SpiffWorkflow step + JSON serialize of the loop model (fresh process)."""
    code = (f"import sys, json, time, statistics; sys.path.insert(0, {str(ROOT)!r})\n"
            "from bench.common import MODELS, RawSpiff\n"
            "raw = RawSpiff(MODELS / 'loop.bpmn', 'loop'); samples = []\n"
            f"for case in range({max(1, steps // 20)}):\n"
            "    wf = raw.start({'limit': 10_000})\n"
            "    for _ in range(20):\n"
            "        t = time.perf_counter(); raw.complete(wf, {'verslag': 'x'}); samples.append(time.perf_counter() - t)\n"
            "print(json.dumps(statistics.median(samples) * 1000))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


# --- the server -------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Servers:
    """``regie serve --processes N`` on the database: N waitress workers (8 threads each) sharing one port."""

    def __init__(self, url: str, procs: int):
        # PYTHONPATH: the code of this checkout (a shared virtualenv's editable install may point elsewhere)
        env = {**os.environ, "REGIE_DATABASE_URL": url, "REGIE_SECRET_KEY": "bench-secret", "REGIE_SERVER_TIMING": "true",
               "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH"))))}
        port = free_port()
        self.ports = [port]
        self.proc = subprocess.Popen([str(REGIE), "serve", "--no-scheduler", "--processes", str(procs),
                                      "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("GET", "/login")
                conn.getresponse().read()
                conn.close()
                break
            except OSError as err:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"regie serve did not start: {self.proc.stderr.read().decode()[-2000:]}") from err
                time.sleep(0.2)

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server's processes have used so far: the parent and its workers."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in [self.proc.pid, *_children(self.proc.pid)]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])          # utime, stime
        return total / ticks

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=60)


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(p) for p in path.read_text().split()]
    except OSError:
        return []
