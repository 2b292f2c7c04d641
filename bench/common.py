"""Helpers shared by the benchmarks: timing, the raw SpiffWorkflow baseline, printing."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.util.task import TaskState

MODELS = Path(__file__).resolve().parent / "models"


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
