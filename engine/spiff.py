"""Everything Regie needs from SpiffWorkflow, in one place.

SpiffWorkflow does the BPMN semantics. Regie owns time, identity, expression evaluation and storage,
so this module:

- routes SpiffWorkflow's own reads of the wall clock and of ``uuid4`` (timer code, task creation)
  through context variables that the engine sets for the duration of a step — the injected clock
  and a per-case deterministic id sequence rule, and a replay reproduces every task id;
- parses models with the Camunda dialect plus the task attributes Camunda Modeler writes
  (candidate groups/users, assignee, due and follow-up dates), after ``engine.dialects.prepare`` has
  brought other dialects (Zeebe, Activiti), JUEL/FEEL and documentation-only elements into that shape;
- evaluates every expression with Regie's restricted evaluator (never ``eval``/``exec``);
- stores only a workflow's instance state: the specs come from the content-addressed version.
"""

from __future__ import annotations

import ast
import json
import logging
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import SpiffWorkflow.bpmn.specs.event_definitions.timer as _spiff_timer
import SpiffWorkflow.task as _spiff_task
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.parser.event_parsers import (
    CONDITIONAL_EVENT_XPATH,
    ERROR_EVENT_XPATH,
    ESCALATION_EVENT_XPATH,
    MESSAGE_EVENT_XPATH,
    SIGNAL_EVENT_XPATH,
    TIMER_EVENT_XPATH,
    ReceiveTaskParser,
)
from SpiffWorkflow.bpmn.parser.ProcessParser import ProcessParser
from SpiffWorkflow.bpmn.parser.task_parsers import SubprocessParser
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.control import _EndJoin
from SpiffWorkflow.bpmn.specs.data_spec import TaskDataReference
from SpiffWorkflow.bpmn.specs.defaults import (
    BoundaryEvent,
    CallActivity,
    EndEvent,
    EventSubprocess,
    ExclusiveGateway,
    InclusiveGateway,
    IntermediateCatchEvent,
    IntermediateThrowEvent,
    ReceiveTask,
    StartEvent,
)
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition, TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent as StartEventMixin
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import EventSubprocess as EventSubprocessMixin
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.event_parsers import (
    CamundaBoundaryEventParser,
    CamundaEndEventParser,
    CamundaEventDefinitionParser,
    CamundaIntermediateCatchEventParser,
    CamundaIntermediateThrowEventParser,
    CamundaStartEventParser,
)
from SpiffWorkflow.camunda.parser.task_spec import (
    CAMUNDA_MODEL_NS,
    BusinessRuleTaskParser,
    CallActivityParser,
    SubWorkflowParser,
    UserTaskParser,
)
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.camunda.serializer.event_definition import MessageEventDefinitionConverter
from SpiffWorkflow.camunda.specs.business_rule_task import BusinessRuleTask
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition as CamundaMessageEventDefinition
from SpiffWorkflow.camunda.specs.multiinstance_task import (
    ParallelMultiInstanceTask as CamundaParallelMI,
)
from SpiffWorkflow.camunda.specs.multiinstance_task import (
    SequentialMultiInstanceTask as CamundaSequentialMI,
)
from SpiffWorkflow.camunda.specs.user_task import UserTask
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskIterator, TaskState

from . import cron
from .cron import looks_like_cron
from .dialects import REGIE_NS, Prepared, prepare
from .dialects.dmn import prepare_dmn
from .dialects.juel import DECISION_RESULT
from .errors import ExpressionError, RegieError
from .expressions import Evaluator

# ISO-8601 durations (P3M, PT24H), repeating intervals (R5/P3M, R/2026-01-01T09:00/P1W) and dates.
ISO_TIMER = re.compile(
    r"^(R\d*/)?(P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?"
    r"|\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?)(/P[0-9YMWDTHS.]+)?$"
)

# --- time and ids, routed through the engine's providers ----------------------------------------

_now: ContextVar[Callable[[], datetime] | None] = ContextVar("regie_now", default=None)
_task_ids: ContextVar[Callable[[], uuid.UUID] | None] = ContextVar("regie_task_ids", default=None)
_decisions: ContextVar[list | None] = ContextVar("regie_decisions", default=None)
_interruptions: ContextVar[list | None] = ContextVar("regie_interruptions", default=None)


def _current_time() -> datetime:
    source = _now.get()
    # Outside an engine step (raw SpiffWorkflow use in benchmarks) the library behaves as shipped.
    return source() if source is not None else datetime.now(UTC)


class _ClockedDatetime(datetime):
    """``datetime`` for SpiffWorkflow's timer module whose ``now`` is the engine's clock."""

    @classmethod
    def now(cls, tz=None):
        current = _current_time()
        return current.astimezone(tz) if tz is not None else current.replace(tzinfo=None)


class _ClockedTime:
    """Stands in for the ``time`` module inside ``SpiffWorkflow.task`` (last_state_change stamps)."""

    @staticmethod
    def time() -> float:
        return _current_time().timestamp()


def _next_task_id() -> uuid.UUID:
    source = _task_ids.get()
    return source() if source is not None else uuid.uuid4()


def _set_state(self, value: int) -> None:
    """``Task._set_state`` as shipped, except that the log record's details (a dict of eight fields and a
    state name, on every state change) are only built when the ``spiff.task`` logger will write them:
    they were about a tenth of a replay's time. The state, its stamp and what is logged are unchanged."""
    logger = _spiff_task.logger
    if value != self._state:
        now = _ClockedTime.time()
        elapsed = now - self.last_state_change
        self.last_state_change = now
        self._state = value
        if logger.isEnabledFor(logging.INFO):
            logger.info(f"State changed to {TaskState.get_name(value)}",
                        extra=self.collect_log_extras({"elapsed": elapsed}))
    elif logger.isEnabledFor(logging.DEBUG):
        logger.debug(f"State set to {TaskState.get_name(value)}", extra=self.collect_log_extras())


_spiff_timer.datetime = _ClockedDatetime
_spiff_task.time = _ClockedTime
_spiff_task.uuid4 = _next_task_id
_spiff_task.Task._set_state = _set_state


class TaskIdSequence:
    """Deterministic task ids for one case: the n-th task created in a case always gets the same id."""

    def __init__(self, case_id: str, counter: int = 0):
        self._namespace = uuid.UUID(case_id) if _is_uuid(case_id) else uuid.uuid5(uuid.NAMESPACE_URL, case_id)
        self.counter = counter

    def __call__(self) -> uuid.UUID:
        self.counter += 1
        return uuid.uuid5(self._namespace, str(self.counter))


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@contextmanager
def step_context(now: datetime, ids: TaskIdSequence, decisions: list | None = None,
                 interruptions: list | None = None) -> Iterator[None]:
    """Run SpiffWorkflow code with the engine's time fixed at ``now`` and the case's id sequence; gateway
    decisions and interrupting event subprocesses (``RegieStartEvent``) are reported in the lists given."""
    tokens = (_now.set(lambda: now), _task_ids.set(ids), _decisions.set(decisions))
    interrupted = _interruptions.set(interruptions)
    try:
        yield
    finally:
        _interruptions.reset(interrupted)
        _decisions.reset(tokens[2])
        _task_ids.reset(tokens[1])
        _now.reset(tokens[0])


# --- parsing -------------------------------------------------------------------------------------


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


class RegieEndJoin(_EndJoin):
    """The end of a (sub)process. BPMN: an instance completes when no token is left, and an event
    subprocess still waiting for its trigger holds none; SpiffWorkflow's join waits for it forever.
    So such event subprocesses do not hold the end up, and are cancelled (with their timers) at the end."""

    def _check_threshold_unstructured(self, my_task):
        for task in TaskIterator(my_task.workflow.task_tree, state=TaskState.NOT_FINISHED_MASK, end_at_spec=self.name):
            if task is not my_task and not _awaits_trigger(task):
                return False
        return True

    def _run_hook(self, my_task):
        for task in my_task.workflow.get_tasks(state=TaskState.NOT_FINISHED_MASK):
            if task is not my_task and isinstance(task.task_spec, EventSubprocessMixin) and _awaits_trigger(task):
                task.cancel()
        return super()._run_hook(my_task)


def _awaits_trigger(task) -> bool:
    """Whether ``task`` is (or lies after) an event subprocess whose start event has not fired."""
    while task is not None:
        if isinstance(task.task_spec, EventSubprocessMixin):
            sub = task.workflow.top_workflow.subprocesses.get(task.id)
            return sub is None or not any(
                isinstance(t.task_spec, StartEventMixin) and t.state == TaskState.COMPLETED for t in sub.tasks.values())
        task = task.parent
    return False


class RegieProcessSpec(BpmnProcessSpec):
    """A process spec that ends with ``RegieEndJoin``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        end = self.task_specs["End"]
        end.inputs = []
        del self.task_specs[self.end.name]
        self.end = RegieEndJoin(self, self.end.name)   # takes the place of SpiffWorkflow's join
        self.end.connect(end)


class RegieProcessParser(ProcessParser):
    """A top-level process runs only when the model says so (``isExecutable="true"``), as in Camunda;
    SpiffWorkflow would also run processes that do not say it (many modelling tools leave it out)."""

    def __init__(self, p, node, *args, **kwargs):
        super().__init__(p, node, *args, **kwargs)
        if node.tag == full_tag("process"):
            self.process_executable = node.get("isExecutable") == "true"

    def create_spec(self):
        super().create_spec()   # refuses a process that is not executable
        return RegieProcessSpec(name=self.bpmn_id, description=self.get_name(), filename=self.filename)


class RegieUserTaskParser(UserTaskParser):
    """Camunda user task plus the routing and deadline attributes SpiffWorkflow's parser ignores."""

    def create_task(self):
        task = super().create_task()
        attrib = self.node.attrib
        camunda = "{" + CAMUNDA_MODEL_NS + "}"
        regie = "{" + REGIE_NS + "}"
        task.candidate_groups = _split(attrib.get(camunda + "candidateGroups"))
        task.candidate_users = _split(attrib.get(camunda + "candidateUsers"))
        # engine.dialects puts candidate groups computed per case (``${afdeling}``) as a Regie expression here
        task.candidate_groups_expression = attrib.get(regie + "candidateGroups")
        # engine.dialects puts the assignee as a Regie expression here (a literal user id is quoted)
        task.assignee_expression = attrib.get(regie + "assignee") or attrib.get(camunda + "assignee")
        task.due_date_expression = attrib.get(camunda + "dueDate") or attrib.get(regie + "dueDate")
        task.follow_up_expression = attrib.get(camunda + "followUpDate") or attrib.get(regie + "followUpDate")
        # engine.dialects marks a service task done by a worker (regie:topic) or a built-in connector
        # (regie:connector): it waits for engine.external, not for a person
        connector = (attrib.get(regie + "connector") or "").strip()
        task.external_topic = f"connector:{connector}" if connector else (attrib.get(regie + "topic") or "").strip() or None
        task.connector_inputs = {k: attrib[regie + k] for k in ("to", "subject", "body") if regie + k in attrib}
        # a Zeebe job worker (engine.dialects.zeebe): first retries, headers, input and output mappings
        retries = attrib.get(regie + "retries")
        task.external_retries = int(retries) if retries and retries.isdigit() else None
        task.external_headers = json.loads(attrib.get(regie + "headers") or "{}")
        task.external_inputs = [(tuple(path), expression) for path, expression in json.loads(attrib.get(regie + "inputs") or "[]")]
        task.external_outputs = [(name, expression) for name, expression in json.loads(attrib.get(regie + "outputs") or "[]")]
        return task


def job_inputs(spec, evaluate: Callable[[str], Any]) -> dict[str, Any]:
    """A job worker's input mappings (``zeebe:input``), evaluated: local variables for the worker, not case data.
    A dotted target (``from.email``) builds a nested object, as in Zeebe."""
    found: dict[str, Any] = {}
    for path, expression in getattr(spec, "external_inputs", None) or ():
        value = evaluate(expression)
        place = found
        for part in path[:-1]:
            if not isinstance(place.get(part), dict):
                place[part] = {}
            place = place[part]
        place[path[-1]] = value
    return found


class RegieSubprocessParser(SubWorkflowParser):
    """An embedded subprocess; ``triggeredByEvent="true"`` makes it an event subprocess that waits for
    its start event (SpiffWorkflow's Camunda parser would start it with the process)."""

    def create_task(self):
        subworkflow_spec = SubprocessParser.get_subprocess_spec(self)
        cls = EventSubprocess if self.node.get("triggeredByEvent") == "true" else self.spec_class
        return cls(self.spec, self.bpmn_id, subworkflow_spec=subworkflow_spec, **self.bpmn_attributes)


class RegieMessageEventDefinition(CamundaMessageEventDefinition):
    """A Camunda message event. A message delivered from outside (``engine.messages``) carries its variables
    as ``{"variables": {...}}``: they become case data, as Camunda's ``correlate(...).setVariables(...)`` does.
    A message thrown inside a model keeps SpiffWorkflow's shape (its payload in ``camunda:resultVariable``)."""

    def update_task_data(self, my_task):
        delivered = my_task.internal_data.get(self.name) or {}
        if isinstance(delivered.get("variables"), dict):
            my_task.data.update(delivered["variables"])
            return
        super().update_task_data(my_task)


class RegieCycleTimerEventDefinition(CycleTimerEventDefinition):
    """A ``timeCycle`` that may also be a Quartz cron schedule (Camunda 7: ``0 0 9 ? * MON-FRI``), read in the
    municipality's time (``engine.cron``). An ISO-8601 cycle (``R5/P3M``) runs as SpiffWorkflow runs it.

    The occurrence waiting is kept where SpiffWorkflow keeps a cycle's (``event_value``: ``next``, and
    ``cycles``: how many are left, -1 without end, 0 when none is), for a cron plus the schedule itself
    (``cron``); each occurrence that passed moves ``next`` to the schedule's next time after it, so a
    catch-up fires every missed occurrence once, in order.

    On an intermediate catch event a cycle goes on once, at its first time, as in Camunda 7: SpiffWorkflow
    would send a token on at every occurrence and never let the case past the event.
    """

    def _event_value(self, my_task) -> dict:
        event_value = my_task._get_internal_data("event_value")
        if event_value is not None:
            return event_value
        value = self.expression.strip() if looks_like_cron(self.expression) else \
            my_task.workflow.script_engine.evaluate(my_task, self.expression)
        if isinstance(value, str) and looks_like_cron(value):
            try:
                schedule = cron.parse(value)
            except cron.CronError as err:
                raise ExpressionError(value, str(err), my_task.task_spec.bpmn_id or "") from None
            first = schedule.next_after(_current_time())
            event_value = {"cycles": -1 if first else 0, "next": first.isoformat() if first else None,
                           "cron": schedule.text}
        else:
            cycles, start, duration = TimerEventDefinition.parse_iso_recurring_interval(value)
            event_value = {"cycles": cycles, "next": start.isoformat(), "duration": duration.total_seconds()}
        my_task._set_internal_data(event_value=event_value)
        return event_value

    def has_fired(self, my_task):
        if my_task._get_internal_data("event_fired", False) or not isinstance(my_task.task_spec, IntermediateCatchEvent):
            return super().has_fired(my_task)
        event_value = self._event_value(my_task)
        if event_value["cycles"] == 0 or datetime.fromisoformat(event_value["next"]) < _current_time():
            my_task._set_internal_data(event_fired=True)
            # A cycle's children are not predicted (they come per occurrence): give the one path on its own.
            my_task._sync_children(my_task.task_spec.outputs, TaskState.FUTURE)
        return my_task._get_internal_data("event_fired", False)

    def update_task(self, my_task):
        if not isinstance(my_task.task_spec, IntermediateCatchEvent):
            super().update_task(my_task)

    def cycle_complete(self, my_task):
        event_value = self._event_value(my_task)
        if "cron" not in event_value:
            return super().cycle_complete(my_task)
        ready = False
        if event_value["cycles"] != 0:
            due = datetime.fromisoformat(event_value["next"])
            if due < _current_time():
                following = cron.parse(event_value["cron"]).next_after(due)
                event_value["next"] = following.isoformat() if following else None
                event_value["cycles"] = -1 if following else 0
                ready = True
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
            return False
        my_task._set_internal_data(event_value=event_value)
        return ready


class _RegieMessages(CamundaEventDefinitionParser):
    """Every message event (thrown or caught) gets ``RegieMessageEventDefinition``: SpiffWorkflow matches a
    thrown message to a catch only when both definitions are of the same class. A ``timeCycle`` gets
    ``RegieCycleTimerEventDefinition`` (it also runs a Quartz cron schedule)."""

    def parse_timer_event(self, event):
        found = super().parse_timer_event(event)
        if type(found) is CycleTimerEventDefinition:
            return RegieCycleTimerEventDefinition(found.name, found.expression, description=found.description)
        return found

    def parse_message_event(self, message_event):
        found = super().parse_message_event(message_event)
        return RegieMessageEventDefinition(found.name, found.correlation_properties, found.expression,
                                           found.result_var, description=found.description)


class RegieIntermediateCatchEventParser(_RegieMessages, CamundaIntermediateCatchEventParser):
    pass


class RegieIntermediateThrowEventParser(_RegieMessages, CamundaIntermediateThrowEventParser):
    pass


class RegieBoundaryEventParser(_RegieMessages, CamundaBoundaryEventParser):
    pass


class RegieEndEventParser(_RegieMessages, CamundaEndEventParser):
    pass


class RegieReceiveTaskParser(_RegieMessages, ReceiveTaskParser):
    pass


class RegieStartEventParser(_RegieMessages, CamundaStartEventParser):
    """A start event may name a start form (``camunda:formKey``), filled in when a case is started.

    In an event subprocess it may also wait for an error or an escalation (SpiffWorkflow's parser
    would read those as plain start events, so the subprocess would run at once).
    """

    def create_task(self):
        triggers = [MESSAGE_EVENT_XPATH, SIGNAL_EVENT_XPATH, TIMER_EVENT_XPATH, CONDITIONAL_EVENT_XPATH]
        parent = self.node.getparent()
        if parent is not None and parent.get("triggeredByEvent") == "true":
            triggers += [ERROR_EVENT_XPATH, ESCALATION_EVENT_XPATH]
        task = self._create_task(self.get_event_definition(triggers))
        if parent is not None and parent.get("triggeredByEvent") == "true":
            # BPMN: an event subprocess interrupts its scope unless it says isInterrupting="false"
            task.interrupting = (self.node.get("isInterrupting") or "true").strip().lower() != "false"
            task.event_subprocess = True
        self.spec.start.connect(task)
        task.form_key = self.node.attrib.get("{" + CAMUNDA_MODEL_NS + "}formKey")
        task.initiator = self.node.attrib.get("{" + CAMUNDA_MODEL_NS + "}initiator")   # the starter's field
        if isinstance(task.event_definition, TimerEventDefinition) and parent is not None \
                and parent.tag == full_tag("process"):
            # A process-level timer start: the scheduler starts the case when the timer is due
            # (engine.timers, start_schedules), so inside the case the start event has happened.
            task.timer_definition, task.event_definition = task.event_definition, NoneEventDefinition()
        return task


class RegieStartEvent(StartEvent):
    """A start event. The start of an *interrupting* event subprocess (``isInterrupting="true"``, BPMN's default)
    cancels the other open work of its parent scope when it fires, as BPMN requires: tasks, waiting timers, message
    and signal catches, boundary events, running subprocesses and the other event subprocesses (SpiffWorkflow 3.2
    would run it beside them, as a non-interrupting one). What it cancelled is reported (``_interruptions``), for
    the case's events; the task, timer and external-task rows follow the workflow (``engine.commands``)."""

    interrupting = False
    event_subprocess = False   # the start of an event subprocess

    def _run_hook(self, my_task):
        if self.event_subprocess:
            _current_data(my_task)
        result = super()._run_hook(my_task)
        if self.interrupting:
            _interrupt(my_task)
        return result


_OPEN = TaskState.READY | TaskState.WAITING | TaskState.STARTED


def _current_data(start) -> None:
    """An event subprocess starts with its scope's data as it is now, as in Camunda (SpiffWorkflow copied it when
    the scope started, so what was filled in since was missing, and gone from the case once it interrupted).
    The scope's data: what its finished and open tasks hold, the latest change last (a waiting join keeps its
    branches' data in their finished tasks); event subprocesses' own copies are left out."""
    workflow = start.workflow
    parent_id = getattr(workflow, "parent_task_id", None)
    if parent_id is None:
        return
    scope = workflow.parent_workflow

    def depth(task) -> int:
        n = 0
        while task.parent is not None:
            task, n = task.parent, n + 1
        return n

    def in_event_subprocess(task) -> bool:
        while task is not None:
            if isinstance(task.task_spec, EventSubprocessMixin):
                return True
            task = task.parent
        return False

    held = [t for t in scope.tasks.values() if t.state & (_OPEN | TaskState.COMPLETED) and not in_event_subprocess(t)]
    current: dict[str, Any] = {}
    for task in sorted(held, key=lambda t: (t.last_state_change, depth(t), str(t.id))):
        current.update(task.data)
    start.data.update(current)
    scope.get_task_from_id(parent_id).data.update(current)     # the case's data shows it while the subprocess runs


def _interrupt(start) -> None:
    """Cancel everything still open in the scope of ``start``'s event subprocess, except that subprocess."""
    workflow = start.workflow
    parent_id = getattr(workflow, "parent_task_id", None)
    if parent_id is None:
        return
    scope = workflow.parent_workflow
    esp = scope.get_task_from_id(parent_id)
    top = scope.top_workflow

    def open_work() -> dict:
        found = {}
        for wf in (top, *top.subprocesses.values()):
            for task in wf.tasks.values():
                if task.state & _OPEN and getattr(task.task_spec, "bpmn_id", None) and task is not esp \
                        and not _inside(task, workflow):
                    found[task.id] = task
        return found

    before = open_work()
    frontier = [t for t in scope.tasks.values()
                if t.has_state(TaskState.NOT_FINISHED_MASK) and t is not esp
                and (t.parent is None or t.parent.has_state(TaskState.FINISHED_MASK))]
    for task in frontier:
        if task.has_state(TaskState.NOT_FINISHED_MASK):
            task.cancel()
    after = open_work()
    gone = [task for task_id, task in before.items() if task_id not in after]
    report = _interruptions.get()
    if report is not None:
        report.append({"element": start.task_spec.bpmn_id, "subprocess": esp.task_spec.bpmn_id,
                       "cancelled": [{"task_id": str(t.id), "element": t.task_spec.bpmn_id} for t in gone]})


def _inside(task, workflow) -> bool:
    """Whether ``task`` belongs to ``workflow`` or to a subprocess (at any depth) started inside it."""
    wf = task.workflow
    while wf is not None:
        if wf is workflow:
            return True
        wf = getattr(wf, "parent_workflow", None) if getattr(wf, "parent_task_id", None) is not None else None
    return False


class RegieBusinessRuleTask(BusinessRuleTask):
    """A business rule task; with a result variable (Camunda 7 ``camunda:resultVariable``, Zeebe
    ``zeebe:calledDecision``) the decision's result lands in that one field, shaped as the dialect does."""

    result_variable: str | None = None
    result_mapping: str = "resultList"
    aggregation: str | None = None   # COLLECT with SUM, COUNT, MIN or MAX
    required: tuple = ()             # (decision id, DMNEngine, aggregation) decided first, outputs into the data
    decision_result: bool = False    # Camunda 7 ``decisionResult`` read by its listeners / output mappings

    def _run_hook(self, my_task):
        try:
            for _decision, engine, aggregation in self.required:
                my_task.data.update(_decided(engine, aggregation, my_task))
            if self.decision_result:
                my_task.data[DECISION_RESULT] = _decision_result(self.dmnEngine, self.aggregation, my_task)
            if not self.result_variable:
                my_task.data.update(_decided(self.dmnEngine, self.aggregation, my_task))
                return True
            outputs = [dict(rule.output_as_dict(my_task)) for rule in self.dmnEngine.decide(my_task)]
        except SpiffWorkflowException:
            raise
        except Exception as err:   # the DMN engine wraps nothing; our evaluator raises RegieErrors
            raise WorkflowTaskException(str(err), task=my_task, exception=err) from err
        collect = self.dmnEngine.decision_table.hit_policy == "COLLECT"
        if self.aggregation:
            outputs, collect = [_aggregated(outputs, self.aggregation)], False
        my_task.data[self.result_variable] = _DECISION_RESULTS[self.result_mapping](outputs, collect)
        return True


_AGGREGATES: dict[str, Callable[[list[Any]], Any]] = {
    "SUM": lambda values: sum(values), "COUNT": len,
    "MIN": lambda values: min(values, default=None), "MAX": lambda values: max(values, default=None),
}


def _aggregated(outputs: list[dict[str, Any]], aggregation: str) -> dict[str, Any]:
    """COLLECT with an aggregation: one value per output column over the matched rules."""
    names = list(dict.fromkeys(k for output in outputs for k in output))
    return {name: _AGGREGATES[aggregation]([o[name] for o in outputs if o.get(name) is not None]) for name in names}


def _decided(engine, aggregation: str | None, my_task) -> dict[str, Any]:
    """A decision's outputs as fields: the first matching rule's, per column a list for COLLECT, or the
    aggregate (COUNT of nothing is 0)."""
    if not aggregation:
        return engine.result(my_task)
    outputs = [dict(rule.output_as_dict(my_task)) for rule in engine.decide(my_task)]
    found = _aggregated(outputs, aggregation)
    for column in engine.decision_table.outputs:
        if column.name and column.name not in found:
            found[column.name] = 0 if aggregation in ("SUM", "COUNT") else None
    return found


def _decision_result(engine, aggregation: str | None, my_task) -> dict[str, Any]:
    """Every shape Camunda 7's ``decisionResult`` offers its listeners (``getSingleResult()``, ``getSingleEntry()``,
    ``getResultList()``, ``getFirstResult()``, ``collectEntries('kolom')``), for the JUEL translation to read."""
    outputs = [dict(rule.output_as_dict(my_task)) for rule in engine.decide(my_task)]
    if aggregation:
        outputs = [_aggregated(outputs, aggregation)]
    names = [column.name for column in engine.decision_table.outputs if column.name]
    return {"resultList": outputs, "firstResult": outputs[0] if outputs else None,
            "singleResult": outputs[0] if outputs else None,
            "singleEntry": _single(outputs[0]) if outputs else None,
            "entries": {name: [o.get(name) for o in outputs] for name in names}}


def _single(output: dict[str, Any]) -> Any:
    return next(iter(output.values())) if len(output) == 1 else output


# How a decision's matched rules become one value (Camunda 7 mapDecisionResult; Zeebe's own rule).
_DECISION_RESULTS: dict[str, Callable[[list[dict[str, Any]], bool], Any]] = {
    "resultList": lambda outputs, collect: outputs,
    "singleResult": lambda outputs, collect: outputs[0] if outputs else None,
    "singleEntry": lambda outputs, collect: _single(outputs[0]) if outputs else None,
    "collectEntries": lambda outputs, collect: [_single(o) for o in outputs],
    "zeebe": lambda outputs, collect: [_single(o) for o in outputs] if collect else (
        _single(outputs[0]) if outputs else None),
}


class RegieBusinessRuleTaskParser(BusinessRuleTaskParser):
    """Remembers which decision a business rule task calls, so a version can bundle its DMN file."""

    def create_task(self):
        # SpiffWorkflow's parser names its spec class outright; ours carries the result variable
        task = RegieBusinessRuleTask(
            self.spec, self.bpmn_id, **self.bpmn_attributes,
            dmnEngine=self.process_parser.parser.get_engine(self.get_decision_ref(self.node), self.node),
        )
        task.decision_ref = self.get_decision_ref(self.node)
        parser = self.process_parser.parser
        task.aggregation = parser.aggregations.get(task.decision_ref)
        task.required = tuple((ref, parser.get_engine(ref, self.node), parser.aggregations.get(ref))
                              for ref in parser.requirements(task.decision_ref, self.node))
        regie = "{" + REGIE_NS + "}"
        task.result_variable = self.node.get(regie + "resultVariable")
        task.decision_result = self.node.get(regie + "decisionResult") == "true"
        mapping = self.node.get(regie + "resultMapping") or "resultList"
        if mapping not in _DECISION_RESULTS:
            self.raise_validation_exception(
                f"camunda:mapDecisionResult '{mapping}' kent Regie niet. Kies uit: {', '.join(sorted(_DECISION_RESULTS))}.")
        task.result_mapping = mapping
        return task

    @staticmethod
    def get_decision_ref(node):
        # engine.dialects turns a business rule task without a decision into a task for a person
        return node.attrib.get("{" + CAMUNDA_MODEL_NS + "}decisionRef")


MAX_CALL_DEPTH = 20   # call activities and subprocesses nested in one case


class StepRefused(RegieError):
    """A step cannot run on this case's data or would never end; ``element_id`` names the element."""

    def __init__(self, element_id: str, reason: str):
        super().__init__(reason)
        self.element_id = element_id


class RegieCallActivity(CallActivity):
    """A call activity (or embedded subprocess) that refuses to nest deeper than ``MAX_CALL_DEPTH``.

    Validation refuses a process that calls itself; this bounds what validation cannot see.
    """

    def _update_hook(self, my_task):
        if getattr(my_task.workflow, "depth", 0) >= MAX_CALL_DEPTH:
            raise StepRefused(self.bpmn_id or self.name, (
                f"deze aanroep zou meer dan {MAX_CALL_DEPTH} processen in elkaar laten lopen; het model roept "
                "zichzelf waarschijnlijk steeds opnieuw aan. Pas het model aan."))
        return super()._update_hook(my_task)


def _check_collection(spec, my_task) -> None:
    """A multi-instance's list must be in the case when the activity starts (Camunda refuses it too)."""
    if spec.data_input is None:
        return
    value = spec.data_input.get(my_task)
    if value is None or isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple, dict)):
        what = "is niet ingevuld" if value is None else "is geen lijst"
        raise StepRefused(spec.bpmn_id or spec.name, (
            f"de lijst '{spec.data_input.bpmn_id}' voor deze herhaalde stap {what}. Zorg dat een formulier, "
            "script of beslistabel de lijst vult voordat deze stap begint."))


def _start_output(spec, my_task) -> None:
    """Zeebe's ``outputCollection``: a list with a place per round, filled as the rounds complete."""
    if getattr(spec, "output_collection", None):
        items = spec.data_input.get(my_task) if spec.data_input is not None else []
        my_task.data[spec.output_collection] = [None] * len(items or [])


def _collect_output(spec, child) -> None:
    """Each round's ``outputElement`` (evaluated on that round's data) at the round's place in the list."""
    name = getattr(spec, "output_collection", None)
    if not name:
        return
    value = child.workflow.script_engine.evaluate(child, spec.output_element)
    collected = child.parent.data.setdefault(name, [])
    index = child.internal_data.get("key_or_index")
    if isinstance(index, int) and 0 <= index < len(collected):
        collected[index] = value
    else:
        collected.append(value)


class RegieParallelMI(CamundaParallelMI):
    output_collection: str | None = None   # Zeebe outputCollection / outputElement (engine.dialects.zeebe)
    output_element: str | None = None

    def create_children(self, my_task):
        _check_collection(self, my_task)
        _start_output(self, my_task)
        super().create_children(my_task)

    def merge_child(self, workflow, child):
        _collect_output(self, child)
        super().merge_child(workflow, child)


class RegieSequentialMI(CamundaSequentialMI):
    output_collection: str | None = None
    output_element: str | None = None

    def init_remaining_items(self, my_task):
        _check_collection(self, my_task)
        _start_output(self, my_task)
        return super().init_remaining_items(my_task)

    def merge_child(self, workflow, child):
        _collect_output(self, child)
        super().merge_child(workflow, child)


_CHECKED_LOOPS = {CamundaParallelMI: RegieParallelMI, CamundaSequentialMI: RegieSequentialMI}


def _fix_loop(spec, loop, output: tuple[str, str] | None = None) -> None:
    """Make a loop or multi-instance continue in any process, not only the one that started it.

    SpiffWorkflow wires a loop to its instances (``completed_event`` -> ``merge_child``) and, for a
    Camunda multi-instance over ``camunda:collection``, sets the collection and element variable on
    the shared spec, only when it creates the first instance. Another process, or the same one after
    a restart, that continues the loop would not know either, and the case would stop. Both are
    fixed once here, when the spec is parsed.
    """
    if type(loop) in _CHECKED_LOOPS:   # SpiffWorkflow's parser names its classes outright
        loop.__class__ = _CHECKED_LOOPS[type(loop)]
        if output is not None:
            loop.output_collection, loop.output_element = output
    child = spec.task_specs.get(loop.task_spec)
    if child is not None and not child.completed_event.is_connected(loop.merge_child):
        child.completed_event.connect(loop.merge_child)
    if (isinstance(loop, (CamundaSequentialMI, CamundaParallelMI)) and loop.cardinality is None
            and loop.data_output is not None and loop.data_input is None):
        loop.data_input = TaskDataReference(loop.data_output.bpmn_id)
        if loop.output_item is not None:
            loop.input_item = TaskDataReference(loop.output_item.bpmn_id)


def _subscribe_event_subprocesses(spec) -> None:
    """An event subprocess started by a message or signal waits from the start of its process, as one started
    by a timer does (Camunda: the subscription lives while its scope runs). SpiffWorkflow would connect it to
    the shared spec only when its message first comes, so every case started after that would run differently
    from its replay; connected here, once, every case and every replay is the same."""
    start = spec.start
    for name in list(getattr(start, "trigger_specs", ())):
        task_spec = spec.task_specs[name]
        if task_spec not in start.outputs:
            start.connect(task_spec)
            task_spec.connect(spec.end)
    if getattr(start, "trigger_specs", None):
        start.trigger_specs = []


class RegieParser(CamundaParser):
    """Parses BPMN (Camunda dialect) and DMN files for the engine.

    Each BPMN document is first prepared by ``engine.dialects.prepare``; what that found (problems,
    the model's own text of translated expressions, generated forms, elements it added) is kept in
    ``prepared``, merged over all files.
    """

    PROCESS_PARSER_CLASS = RegieProcessParser
    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("userTask"): (RegieUserTaskParser, UserTask),
        full_tag("businessRuleTask"): (RegieBusinessRuleTaskParser, RegieBusinessRuleTask),
        full_tag("startEvent"): (RegieStartEventParser, RegieStartEvent),
        full_tag("intermediateCatchEvent"): (RegieIntermediateCatchEventParser, IntermediateCatchEvent),
        full_tag("intermediateThrowEvent"): (RegieIntermediateThrowEventParser, IntermediateThrowEvent),
        full_tag("boundaryEvent"): (RegieBoundaryEventParser, BoundaryEvent),
        full_tag("endEvent"): (RegieEndEventParser, EndEvent),
        full_tag("receiveTask"): (RegieReceiveTaskParser, ReceiveTask),
        full_tag("subProcess"): (RegieSubprocessParser, RegieCallActivity),
        full_tag("callActivity"): (CallActivityParser, RegieCallActivity),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.prepared = Prepared()
        self.aggregations: dict[str, str] = {}
        self.required: dict[str, list[str]] = {}

    def add_dmn_xml(self, node, filename=None):
        found = prepare_dmn(node)
        self.prepared.originals.update(found.originals)
        self.aggregations.update(found.aggregations)
        self.required.update(found.required)
        for document in found.documents:
            super().add_dmn_xml(document, filename=filename)

    def requirements(self, decision_ref: str, node) -> list[str]:
        """The decisions ``decision_ref`` needs, deepest first, each once; a circle is refused."""
        ordered: list[str] = []

        def visit(ref: str, path: tuple[str, ...]) -> None:
            for required in self.required.get(ref, ()):
                if required in path:
                    raise ValidationException(
                        f"De beslissingen {' → '.join([*path, required])} hebben elkaar nodig; zo komt er nooit een "
                        "uitkomst. Haal een van de vereisten weg.", node=node, file_name="")
                visit(required, (*path, required))
                if required not in ordered:
                    ordered.append(required)

        visit(decision_ref, (decision_ref,))
        return ordered

    def get_spec(self, process_id, required=True):
        spec = super().get_spec(process_id, required)
        for task_spec in list(spec.task_specs.values()) if spec is not None else ():
            if isinstance(task_spec, LoopTask):
                _fix_loop(spec, task_spec, self.prepared.loop_outputs.get(task_spec.bpmn_id))
        if spec is not None:
            _subscribe_event_subprocesses(spec)
        return spec

    def add_bpmn_xml(self, bpmn, filename=None):
        found = prepare(bpmn, filename or "")
        self.prepared.problems.extend(found.problems)
        self.prepared.originals.update(found.originals)
        self.prepared.forms.update(found.forms)
        self.prepared.synthetic.update(found.synthetic)
        self.prepared.notices.extend(found.notices)
        self.prepared.loop_outputs.update(found.loop_outputs)
        super().add_bpmn_xml(bpmn, filename)


# --- expressions ---------------------------------------------------------------------------------


class RegieScriptEngine(PythonScriptEngine):
    """Evaluates every condition, script and DMN cell with Regie's restricted evaluator.

    Gateway conditions are also recorded (expression, the values it read, the outcome) so the engine
    can write them to the case's event log.
    """

    def __init__(self, evaluator):
        super().__init__(environment=None)
        self.evaluator = evaluator
        # now() and today() in a model read the time of the step being applied (the time its event
        # records), not the engine's clock: a replay months later reads the same moment.
        self.stepped = Evaluator(clock=_current_time)

    def validate(self, expression: str) -> None:
        # DMN's engine uses a SyntaxError here to decide whether a cell needs an implicit '=='.
        ast.parse(expression)

    def evaluate(self, task, expression, external_context=None):
        if expression is None:
            return None   # a message thrown without a payload (camunda:expression)
        if ISO_TIMER.match(expression.strip()) and expression.strip() not in task.data:
            # A plain ISO-8601 value (P3M, R/P14D, a date), as Camunda Modeler writes timers — also
            # when SpiffWorkflow evaluates it for another task (an event-based gateway's branches).
            return expression.strip()
        names = task.data if not external_context else {**task.data, **external_context}
        try:
            result = self.stepped.evaluate(expression, names)
        except ExpressionError as err:
            err.element_id = err.element_id or task.task_spec.bpmn_id or task.task_spec.name
            raise
        decisions = _decisions.get()
        if decisions is not None and isinstance(task.task_spec, (ExclusiveGateway, InclusiveGateway)):
            used = sorted(self.evaluator.names_used(expression))
            decisions.append({
                "element": task.task_spec.bpmn_id,
                "expression": expression,
                "values": {name: names.get(name) for name in used},
                "result": result,
            })
        return result

    def execute(self, task, script, external_context=None):
        if script is None or not script.strip():
            return True   # a script task drawn without a script (<script/>) has nothing to do
        try:
            if not external_context:
                self.stepped.execute(script, task.data)
                return True
            names = {**task.data, **external_context}
            self.stepped.execute(script, names)
        except ExpressionError as err:
            err.element_id = err.element_id or task.task_spec.bpmn_id or task.task_spec.name
            raise
        for key, value in names.items():
            if key not in external_context or value is not external_context[key]:
                task.data[key] = value
        return True

    def call_service(self, task, **kwargs):
        raise ExpressionError(
            str(kwargs.get("operation_name", "service")),
            "servicetaken zijn niet toegestaan in Regie-modellen.",
            task.task_spec.bpmn_id or "",
        )


# --- instance state ------------------------------------------------------------------------------


class _InstanceConverter(BpmnWorkflowConverter):
    """Converts a workflow without its specs: those belong to the deployed version, not the case."""

    def to_dict(self, workflow):
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def restore(self, dct, spec, subprocess_specs, script_engine):
        dct = dict(dct)
        workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], uuid.UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(uuid.UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dict(dct["subprocesses"]), workflow)
        workflow.bpmn_events = self.registry.restore(dct.get("bpmn_events", []))
        return workflow


_registry = BpmnWorkflowSerializer.configure({
    **CAMUNDA_CONFIG, RegieMessageEventDefinition: MessageEventDefinitionConverter,
    RegieCycleTimerEventDefinition: TimerConditionalEventDefinitionConverter,
})
_instance_converter = _InstanceConverter(BpmnWorkflow, _registry)


def dump_instance(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The workflow's instance state as a JSON-ready dict (no specs), in a canonical order."""
    return canonical_state(_instance_converter.to_dict(workflow))


def canonical_state(state: dict[str, Any]) -> dict[str, Any]:
    """Sort the lists whose order carries no meaning, so equal states compare equal.

    SpiffWorkflow stores each task's data as a delta against its parent; the deleted keys come out in
    the parent's key order, which can follow set iteration order (and so ``PYTHONHASHSEED``).
    """
    workflows = [state, *state.get("subprocesses", {}).values()]
    for wf in workflows:
        for task in wf.get("tasks", {}).values():
            delta = task.get("delta")
            if delta and delta.get("deletions"):
                delta["deletions"] = sorted(delta["deletions"], key=str)
    return state


def load_instance(state: dict[str, Any], spec, subprocess_specs, script_engine) -> BpmnWorkflow:
    """Rebuild a workflow from ``dump_instance`` output and the version's specs."""
    return _instance_converter.restore(state, spec, subprocess_specs, script_engine)
