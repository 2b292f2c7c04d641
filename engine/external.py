"""External tasks: service tasks done by a worker outside the engine (Camunda 7's pattern), and the
built-in connectors that run through the same mechanism inside the scheduler.

A service task is external when the model says so: ``camunda:type="external" camunda:topic="..."``
(Camunda 7), or Regie's own ``regie:topic="..."``; ``regie:connector="email"`` makes it a task for a
built-in connector (topic ``connector:email``). Such a task is ready in the workflow but is no work for
a person: it gets a row in ``external_tasks`` (synchronised by the command runner, like the timers) and
waits there for a worker.

- **fetch-and-lock**: a worker asks for up to N free tasks of its topics and holds each for the lock
  duration. Each lock is taken under the case lock and re-checked there, so two workers racing for one
  task never both get it; a lock that runs out (injected clock) frees the task for another worker.
- **complete**: only by the worker that holds the lock, with variables (checked like task data); the
  case moves on (a ``task_completed`` event, so replay and verify follow it as any completed task).
- **failure**: the worker says how many retries are left and after how long; the task is free again
  after that back-off. With no retries left the task stops and an incident is recorded on the case
  (``regie incidents``, the coordinator's overview); ``retry`` gives it new retries.
- **BPMN error**: an error boundary event with that error code (or without one) catches it, as in
  Camunda 7 (an ``external_task_error`` command event). An error nothing catches is refused.

Every change is an event in the case's hash chain: ``external_task_locked``, ``task_completed``,
``external_task_failed`` (+ ``incident``), ``external_task_error``, ``external_task_retried``.
"""

from __future__ import annotations

import json
import os
import secrets
import smtplib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from functools import partial
from pathlib import Path
from typing import Any

from .audit import Event
from .cases import CaseStalled, ErrorNotCaught, normalise, ready_external_tasks
from .errors import ConflictError, FieldProblem, IncidentError, InvalidData, NotFoundError, RegieError
from .limits import check_input
from .spiff import job_inputs
from .store import IncidentRow
from .store import external as sql
from .store.models import ExternalTaskRow

MAX_TASKS = 100
MAX_LOCK_SECONDS = 7 * 24 * 3600
MAX_RETRIES = 100


class UnknownExternalTask(NotFoundError):
    def __init__(self, task_id: str):
        super().__init__(f"Er is geen open externe taak '{task_id}'. Hij is misschien al afgerond of vervallen; "
                         "haal nieuw werk op met fetch-and-lock.")


class NotLocked(ConflictError):
    def __init__(self, task_id: str, worker_id: str, holder: str | None):
        who = f"werker '{holder}'" if holder else "geen enkele werker"
        super().__init__(f"De externe taak '{task_id}' is niet vastgehouden door werker '{worker_id}' (maar door "
                         f"{who}, of de vergrendeling is verlopen). Haal de taak opnieuw op met fetch-and-lock.")


class NotStopped(ConflictError):
    def __init__(self, task_id: str):
        super().__init__(f"De externe taak '{task_id}' heeft nog pogingen over of wordt gedaan; nieuwe pogingen "
                         "geeft u alleen aan een taak die met een incident is gestopt.")


@dataclass(frozen=True)
class LockedTask:
    """A task a worker now holds: what to work on and until when the lock runs."""

    id: str
    topic: str
    case_id: str
    case_number: str
    process_id: str
    version_id: str
    element: str
    worker_id: str
    locked_until: datetime
    retries: int | None
    variables: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)     # Zeebe's zeebe:taskHeaders, as the model has them


@dataclass(frozen=True)
class ExternalTaskView:
    id: str
    topic: str
    case_id: str
    process_id: str
    element: str
    status: str
    worker_id: str | None
    locked_until: datetime | None
    retries: int | None
    retry_at: datetime | None
    error: str | None
    created_at: datetime

    @classmethod
    def of(cls, row: ExternalTaskRow) -> ExternalTaskView:
        return cls(row.id, row.topic, row.case_id, row.process_id, row.element, row.status, row.worker_id,
                   row.locked_until, row.retries, row.retry_at, row.error, row.created_at)


# --- the projection (called by the command runner) -----------------------------------------------------

def sync_external(tx, case, workflow, version, at: datetime, before) -> frozenset[str]:
    """Bring ``external_tasks`` in line with the workflow's ready external tasks; returns their ids.
    ``before``: what the rows held (``engine.commands.Synced``), or None when unknown."""
    ready = ready_external_tasks(workflow)
    ids = frozenset(ready)
    if before is not None and before.external is not None and before.external == ids:
        return ids
    rows = {r.id: r for r in sql.case_tasks(tx, case.id)}
    for task_id, row in rows.items():
        if task_id not in ready:
            if row.status == "incident":     # the step that cancelled the task (a boundary timer) ends its incident
                for incident in tx.incidents(case.id):
                    if incident.kind == "external" and incident.element == row.element:
                        incident.resolved_at = at
            tx.delete(row)
    for task_id, (element, topic) in ready.items():
        if task_id not in rows:
            spec = _spec(version, element)     # a Zeebe job's first retries (zeebe:taskDefinition retries)
            tx.session.add(ExternalTaskRow(id=task_id, case_id=case.id, process_id=case.process_id, element=element,
                                           topic=topic, status="open", created_at=at,
                                           retries=getattr(spec, "external_retries", None)))
    return ids


# --- the worker's commands ---------------------------------------------------------------------------

def fetch_and_lock(engine, worker_id: str, topics: list[str], max_tasks: int = 1, lock_seconds: float = 60,
                   actor: str | None = None) -> list[LockedTask]:
    """Lock up to ``max_tasks`` free tasks of ``topics`` for ``worker_id`` for ``lock_seconds``; oldest first."""
    worker_id = _worker(worker_id)
    problems = []
    if not isinstance(topics, list) or not topics or not all(isinstance(t, str) and t.strip() for t in topics):
        problems.append(FieldProblem("topics", "Noem minstens één topic (de camunda:topic of regie:topic van de taken)."))
    if not isinstance(max_tasks, int) or not 1 <= max_tasks <= MAX_TASKS:
        problems.append(FieldProblem("max_tasks", f"Geef een aantal van 1 tot en met {MAX_TASKS}."))
    if not isinstance(lock_seconds, int | float) or not 1 <= lock_seconds <= MAX_LOCK_SECONDS:
        problems.append(FieldProblem("lock_duration", f"Geef een duur van 1 tot en met {MAX_LOCK_SECONDS} seconden."))
    if problems:
        raise InvalidData(problems)
    topics = sorted({t.strip() for t in topics})
    now = engine.clock.now()
    until = now + timedelta(seconds=lock_seconds)
    with engine.store.read() as tx:
        candidates = sql.free_tasks(tx, topics, now, max_tasks * 2 + 10)
    locked: list[LockedTask] = []
    for task_id, case_id in candidates:
        if len(locked) >= max_tasks:
            break
        try:
            with engine.commands.step(actor or f"worker:{worker_id}") as step:
                case = step.lock_case(case_id)
                row = sql.task(step.tx, task_id)          # again, under the case lock: still free?
                if case is None or row is None or not sql.is_free(row, now):
                    continue
                spec = _spec(step.version_of(), row.element)
                variables = json.loads(case.data)
                try:
                    inputs = job_inputs(spec, partial(_evaluate, engine, variables))
                except RegieError as err:       # Zeebe: an input mapping that fails is an incident on the job
                    _input_incident(step, row, err, now)
                    continue
                row.worker_id, row.locked_until = worker_id, until
                step.record([Event("external_task_locked", {
                    "task_id": task_id, "element": row.element, "topic": row.topic, "worker": worker_id,
                    "until": until.isoformat()})], now)
                locked.append(LockedTask(task_id, row.topic, case.id, case.number or "", case.process_id,
                                         case.version_id, row.element, worker_id, until, row.retries,
                                         {**variables, **inputs}, dict(getattr(spec, "external_headers", None) or {})))
        except ConflictError:      # the case is busy right now: leave this task for the next fetch
            continue
    return locked


def _evaluate(engine, names: dict[str, Any], expression: str) -> Any:
    return engine.evaluator.evaluate(expression, names)


def _input_incident(step, row: ExternalTaskRow, err: RegieError, now: datetime) -> None:
    """A job's input mapping cannot be evaluated on the case's data: the task stops with an incident (``retry``
    after the data is fixed), as Zeebe does; no worker gets it."""
    row.status, row.retry_at, row.worker_id, row.locked_until = "incident", None, None, None
    reason = f"De invoer voor externe taak '{row.topic}' kan niet worden berekend: {err}"
    row.error = reason[:2000]
    step.tx.add_incident(IncidentRow(case_id=row.case_id, element=row.element, kind="external", message=reason,
                                     created_at=now))
    step.record([Event("incident", {"element": row.element, "reason": reason})], now)


def complete(engine, task_id: str, worker_id: str, variables: dict[str, Any] | None = None,
             actor: str | None = None) -> str:
    """The worker that holds the task finished it: the variables go into the case, which moves on.
    Returns the case id."""
    worker_id, variables = _worker(worker_id), _variables(variables)
    now = engine.clock.now()
    actor = actor or f"worker:{worker_id}"
    case_id = None
    try:
        with engine.commands.step(actor) as step:
            row = _held(step, task_id, worker_id, now)
            case_id = row.case_id
            payload = {"task_id": task_id, "element": row.element, "title": _title(step.version_of(), row.element),
                       "data": variables, "worker": worker_id, "topic": row.topic}
            step.persist(step.apply(Event("task_completed", payload), now), now)
    except IncidentError as err:
        if case_id is not None and isinstance(err.__cause__, CaseStalled):
            engine._record_incident(case_id, err, now, actor)
        raise
    return case_id


def failure(engine, task_id: str, worker_id: str, message: str, retries: int, retry_seconds: float = 0,
            actor: str | None = None, shown: str | None = None) -> ExternalTaskView:
    """The worker could not do the task. ``retries`` left: free again after ``retry_seconds`` (back-off);
    none left: the task stops with an incident on the case. The incident's reason is what the coordinator
    reads: ``shown`` (Regie's own connectors say it in words) or the worker's message, then what to do; the
    message as given stays on the task and in the ``external_task_failed`` event (``regie external list``)."""
    worker_id = _worker(worker_id)
    problems = []
    if not isinstance(message, str) or not message.strip():
        problems.append(FieldProblem("error_message", "Schrijf kort wat er misging; de coördinator leest het."))
    if not isinstance(retries, int) or not 0 <= retries <= MAX_RETRIES:
        problems.append(FieldProblem("retries", f"Geef het aantal pogingen dat nog over is: 0 tot en met {MAX_RETRIES}."))
    if not isinstance(retry_seconds, int | float) or not 0 <= retry_seconds <= MAX_LOCK_SECONDS:
        problems.append(FieldProblem("retry_timeout", f"Geef een wachttijd van 0 tot en met {MAX_LOCK_SECONDS} seconden."))
    if problems:
        raise InvalidData(problems)
    message = " ".join(message.split())[:2000]
    now = engine.clock.now()
    with engine.commands.step(actor or f"worker:{worker_id}") as step:
        row = _held(step, task_id, worker_id, now)
        row.worker_id, row.locked_until, row.retries, row.error = None, None, retries, message
        payload = {"task_id": task_id, "element": row.element, "topic": row.topic, "worker": worker_id,
                   "message": message, "retries": retries}
        if shown:
            payload["shown"] = shown            # the cause in words, for the caseworker's timeline
        if retries > 0:
            row.retry_at = now + timedelta(seconds=retry_seconds)
            payload["retry_at"] = row.retry_at.isoformat()
            events = [Event("external_task_failed", payload)]
        else:
            row.status, row.retry_at = "incident", None
            what = shown or f"Een ander systeem ({row.topic}) kon deze stap niet doen: {message.rstrip('.')}."
            reason = (f"{what} Regie probeert het niet meer. Vraag functioneel beheer het probleem op te lossen "
                      "en de stap opnieuw te laten proberen.")
            step.tx.add_incident(IncidentRow(case_id=row.case_id, element=row.element, kind="external",
                                             message=reason, created_at=now))
            events = [Event("external_task_failed", payload), Event("incident", {"element": row.element, "reason": reason})]
        step.record(events, now)
        return ExternalTaskView.of(row)


def bpmn_error(engine, task_id: str, worker_id: str, code: str, message: str = "",
               variables: dict[str, Any] | None = None, actor: str | None = None) -> str:
    """The worker throws a BPMN error: the error boundary event that catches ``code`` takes over."""
    worker_id, variables = _worker(worker_id), _variables(variables)
    if not isinstance(code, str) or not code.strip() or len(code) > 200:
        raise InvalidData([FieldProblem("error_code", "Geef de foutcode (errorCode van de fout in het model).")])
    now = engine.clock.now()
    try:
        with engine.commands.step(actor or f"worker:{worker_id}") as step:
            row = _held(step, task_id, worker_id, now)
            payload = {"task_id": task_id, "element": row.element, "topic": row.topic, "worker": worker_id,
                       "code": code.strip(), "message": " ".join(str(message or "").split())[:2000], "data": variables}
            step.persist(step.apply(Event("external_task_error", payload), now), now)
            return row.case_id
    except IncidentError as err:
        if isinstance(err.__cause__, ErrorNotCaught):
            raise InvalidData([FieldProblem("error_code", str(err.__cause__))]) from err
        raise


def retry(engine, task_id: str, retries: int = 1, actor: str = "system") -> ExternalTaskView:
    """Give a task that ran out of retries new ones (after the cause was fixed); resolves its incident."""
    if not isinstance(retries, int) or not 1 <= retries <= MAX_RETRIES:
        raise InvalidData([FieldProblem("retries", f"Geef 1 tot en met {MAX_RETRIES} nieuwe pogingen.")])
    now = engine.clock.now()
    with engine.commands.step(actor) as step:
        found = sql.task(step.tx, task_id)
        if found is None:
            raise UnknownExternalTask(task_id)
        step.lock_case(found.case_id)
        row = sql.task(step.tx, task_id)
        if row is None:
            raise UnknownExternalTask(task_id)
        if row.status != "incident":
            raise NotStopped(task_id)
        row.status, row.retries, row.retry_at, row.worker_id, row.locked_until = "open", retries, None, None, None
        events = [Event("external_task_retried", {"task_id": task_id, "element": row.element, "retries": retries})]
        for incident in step.tx.incidents(row.case_id):
            if incident.kind == "external" and incident.element == row.element:
                incident.resolved_at = now
                events.append(Event("incident_resolved", {"incident": incident.id, "element": incident.element}))
        step.record(events, now)
        return ExternalTaskView.of(row)


def retry_case(engine, case_id: str | None, actor: str = "system") -> int:
    """``retry`` every external task with an incident (of one case, or all), with one new attempt."""
    with engine.store.read() as tx:
        ids = [r.id for r in sql.tasks(tx, case_id=case_id, limit=10_000) if r.status == "incident"]
    for task_id in ids:
        retry(engine, task_id, 1, actor)
    return len(ids)


def list_tasks(engine, topic: str | None = None, case_id: str | None = None, limit: int = 100) -> list[ExternalTaskView]:
    with engine.store.read() as tx:
        return [ExternalTaskView.of(r) for r in sql.tasks(tx, topic, case_id, limit)]


def _held(step, task_id: str, worker_id: str, now: datetime) -> ExternalTaskRow:
    """The task's row, re-read under its case's lock, provided ``worker_id`` holds a lock that still runs."""
    found = sql.task(step.tx, task_id) if isinstance(task_id, str) else None
    if found is None:
        raise UnknownExternalTask(str(task_id))
    step.lock_case(found.case_id)
    row = sql.task(step.tx, task_id)
    if row is None:
        raise UnknownExternalTask(task_id)
    if row.worker_id != worker_id or row.locked_until is None or row.locked_until <= now:
        raise NotLocked(task_id, worker_id, row.worker_id if row.locked_until and row.locked_until > now else None)
    return row


def _worker(worker_id: str) -> str:
    if not isinstance(worker_id, str) or not worker_id.strip() or len(worker_id) > 200:
        raise InvalidData([FieldProblem("worker_id", "Geef de naam van de werker (1 tot 200 tekens), steeds dezelfde.")])
    return worker_id.strip()


def _variables(variables: dict[str, Any] | None) -> dict[str, Any]:
    """Variables for the case: JSON within the limits, names a model can use."""
    if variables is None:
        return {}
    if not isinstance(variables, dict):
        raise InvalidData([FieldProblem("variables", "Geef de variabelen als een JSON-object: naam -> waarde.")])
    variables = normalise(check_input(variables, "variables"))
    bad = [k for k in variables if not k.isidentifier() or k.startswith("_")]
    if bad:
        raise InvalidData([FieldProblem(f"variables.{k}", "Deze naam kan het model niet gebruiken: alleen letters, "
                                                          "cijfers en _, niet met een cijfer of _ vooraan.") for k in bad])
    return variables


def _spec(version, element: str):
    for spec in (version.spec, *version.subprocess_specs.values()):
        for ts in spec.task_specs.values():
            if getattr(ts, "bpmn_id", None) == element:
                return ts
    return None


def _title(version, element: str) -> str:
    spec = _spec(version, element)
    return " ".join(((spec.bpmn_name if spec is not None else None) or element).split())


# --- built-in connectors: run by the scheduler through the same fetch-and-lock ------------------------

CONNECTOR_RETRIES = 3            # attempts after the first failure
CONNECTOR_BACKOFF = 60.0         # seconds before the first retry; doubled each time


class ConnectorFailed(RegieError):
    """A connector could not do its work (the reason is recorded on the task, then retried). ``plain``: the
    cause in words for the coordinator (the message itself, with host, port and OS error, is for beheer)."""

    def __init__(self, message: str, plain: str):
        super().__init__(message)
        self.plain = plain


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 25
    sender: str = "regie@localhost"
    timeout: float = 10.0
    folder: str | None = None      # write each message as a .eml file here instead of sending it (demo)

    @classmethod
    def from_env(cls) -> SmtpSettings:
        """``REGIE_SMTP_HOST``/``_PORT``/``_FROM``. In demo mode without a mail server set, mail goes into
        ``REGIE_MAIL_FOLDER`` (default ``instance/mail``) as .eml files, so a demo has no failed mail."""
        from .accounts import demo_mode

        folder = os.environ.get("REGIE_MAIL_FOLDER") or (
            "instance/mail" if demo_mode() and not os.environ.get("REGIE_SMTP_HOST") else None)
        return cls(os.environ.get("REGIE_SMTP_HOST", "localhost"), int(os.environ.get("REGIE_SMTP_PORT", "25")),
                   os.environ.get("REGIE_SMTP_FROM", "regie@localhost"), folder=folder)


class _Fields(dict):
    def __missing__(self, key):
        raise ConnectorFailed(f"het veld '{key}' staat niet in de zaak.",
                              "een gegeven dat in de e-mail moet staan, ontbreekt in de zaak")


def _fill(template: str, variables: dict[str, Any]) -> str:
    """``{field}`` in a connector's text replaced by the case's value."""
    try:
        return template.format_map(_Fields(variables))
    except (ValueError, IndexError, AttributeError, KeyError) as err:
        raise ConnectorFailed(f"de tekst '{template[:80]}' is geen geldig sjabloon ({err}).",
                              "de tekst van de e-mail in het procesmodel klopt niet") from err


def send_email(inputs: dict[str, str], variables: dict[str, Any], settings: SmtpSettings) -> dict[str, Any]:
    """``regie:connector="email"``: send ``regie:subject`` / ``regie:body`` to ``regie:to`` over SMTP."""
    to = _fill(inputs.get("to", ""), variables).strip()
    if "@" not in to:
        raise ConnectorFailed(f"'{to}' is geen e-mailadres (regie:to).", "het e-mailadres in de zaak klopt niet")
    message = EmailMessage()
    message["From"], message["To"] = settings.sender, to
    message["Subject"] = _fill(inputs.get("subject", ""), variables)
    message.set_content(_fill(inputs.get("body", ""), variables))
    if settings.folder is not None:
        return _to_folder(message, Path(settings.folder))
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as err:
        raise ConnectorFailed(f"de mailserver {settings.host}:{settings.port} nam het bericht niet aan ({err}).",
                              "de mailserver antwoordt niet of neemt het bericht niet aan") from err
    return {}


def _to_folder(message: EmailMessage, folder: Path) -> dict[str, Any]:
    """The demo's mail: the message as a .eml file in ``folder`` (private: it holds a resident's address)."""
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = folder / f"{secrets.token_hex(8)}.eml"
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(bytes(message))
    except OSError as err:
        raise ConnectorFailed(f"de map {folder} voor de demo-mail is niet te schrijven ({err}).",
                              "de map voor de demo-mail is niet te schrijven") from err
    return {}


CONNECTORS: dict[str, Callable[[dict[str, str], dict[str, Any], Any], dict[str, Any]]] = {"email": send_email}
CONNECTOR_WORK = {"email": "De e-mail kon niet worden verstuurd"}      # what failed, for the coordinator


def run_connectors(engine, worker_id: str = "regie-connectors", settings: SmtpSettings | None = None,
                   limit: int = 20) -> int:
    """One round: fetch-and-lock connector tasks and run them; returns how many completed. A failure is
    reported with back-off (60 s, 120 s, 240 s); after the last an incident is recorded."""
    settings = settings or SmtpSettings.from_env()
    done = 0
    for task in fetch_and_lock(engine, worker_id, [f"connector:{n}" for n in CONNECTORS], limit, 300,
                               actor="regie-connector"):
        name = task.topic.split(":", 1)[1]
        spec = _spec(engine.version(task.version_id), task.element)
        try:
            result = CONNECTORS[name](dict(getattr(spec, "connector_inputs", {}) or {}), task.variables, settings)
        except ConnectorFailed as err:
            left = CONNECTOR_RETRIES if task.retries is None else task.retries - 1
            wait = CONNECTOR_BACKOFF * 2 ** (CONNECTOR_RETRIES - left)
            failure(engine, task.id, worker_id, f"Connector '{name}': {err}", max(left, 0), wait, "regie-connector",
                    shown=f"{CONNECTOR_WORK.get(name, 'De automatische stap lukte niet')}: {err.plain}.")
            continue
        complete(engine, task.id, worker_id, result, "regie-connector")
        done += 1
    return done


class ExternalTasks:
    """The facade's part for workers (``engine.external_tasks``): the functions above, bound to one engine."""

    def __init__(self, engine):
        self.engine = engine

    def fetch_and_lock(self, worker_id, topics, max_tasks=1, lock_seconds=60, actor=None) -> list[LockedTask]:
        return fetch_and_lock(self.engine, worker_id, topics, max_tasks, lock_seconds, actor)

    def complete(self, task_id, worker_id, variables=None, actor=None) -> str:
        return complete(self.engine, task_id, worker_id, variables, actor)

    def failure(self, task_id, worker_id, message, retries, retry_seconds=0, actor=None) -> ExternalTaskView:
        return failure(self.engine, task_id, worker_id, message, retries, retry_seconds, actor)

    def bpmn_error(self, task_id, worker_id, code, message="", variables=None, actor=None) -> str:
        return bpmn_error(self.engine, task_id, worker_id, code, message, variables, actor)

    def retry(self, task_id, retries=1, actor="system") -> ExternalTaskView:
        return retry(self.engine, task_id, retries, actor)

    def list(self, topic=None, case_id=None, limit=100) -> list[ExternalTaskView]:
        return list_tasks(self.engine, topic, case_id, limit)
