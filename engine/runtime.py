"""The engine facade: deploy, start, tasks, claim, complete, timers, history, state, verify.

One ``Engine`` is built from a store, a clock, an id source and an expression evaluator. Each public
method that changes something is one command: one transaction, one case, events appended to the
case's hash chain, or nothing at all. The web app and the CLI are thin clients of this class.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from dataclasses import field as dc_field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from SpiffWorkflow.util.task import TaskState

from . import accountability, casemanagers, referrals, uploads
from .accounts import check_assignee
from .audit import GENESIS, Event, canonical_json
from .audit.verify import Verification
from .casenumbers import canonical, format_number, looks_like_number, prefix, year_of
from .cases import COMMANDS, CaseStalled, Live, find_task, normalise
from .commands import CommandRunner
from .definitions import NotExecutable, ProcessVersion, SourceFile, compile_models, load_version, read_sources
from .errors import (
    AmbiguousCase,
    FieldProblem,
    IncidentError,
    InvalidData,
    ModelError,
    ModelProblem,
    TaskNotReady,
    UnknownCase,
    UnknownProcess,
    UnknownTask,
)
from .expressions import Evaluator
from .forms import Form, load_form, local_date
from .limits import check_input
from .providers import Clock, IdSource, RandomIds, SystemClock
from .queries import Colleague, Draft, InboxQuery, InboxRow, OpenIncident, Overview
from .spiff import RegieScriptEngine
from .store import CaseRow, IncidentRow, Store, TaskRow, VersionRow
from .store import messages as message_sql
from .store.drafts import delete_draft
from .store.files import add_files, case_file

DEFAULT_URL = "sqlite:///instance/regie.db"
BREAK_GLASS_HOURS = 8
BREAK_GLASS_PERIOD = timedelta(hours=BREAK_GLASS_HOURS)


@dataclass(frozen=True)
class TaskView:
    """A ready (or done) user task as the inbox, the CLI and integrators see it."""

    id: str
    name: str
    title: str
    role: str | None
    assignee: str | None
    case_id: str
    due: datetime | None
    follow_up: datetime | None
    form: str | None
    process_id: str
    state: str
    created_at: datetime
    candidate_users: tuple[str, ...] = ()
    case_number: str = ""
    completed_by: str | None = None

    @classmethod
    def of(cls, row: TaskRow, case_number: str = "") -> TaskView:
        return cls(row.id, row.name, row.title, row.role, row.assignee, row.case_id, row.due_at, row.follow_up_at,
                   row.form, row.process_id, row.state, row.created_at,
                   tuple(u for u in row.candidate_users.split(",") if u), case_number or "", row.completed_by)

    def to_dict(self) -> dict[str, Any]:
        return json.loads(canonical_json(asdict(self)))


@dataclass(frozen=True)
class CaseState:
    id: str
    process_id: str
    version_id: str
    status: str
    subject: str
    data: dict[str, Any]
    active: list[str]
    created_at: datetime
    updated_at: datetime
    revision: int
    number: str = ""
    business_key: str | None = None     # another system's key for the case, given when it started

    def to_dict(self) -> dict[str, Any]:
        return json.loads(canonical_json(asdict(self)))


@dataclass(frozen=True)
class HistoryEntry:
    seq: int
    type: str
    at: datetime
    actor: str
    payload: dict[str, Any]
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return json.loads(canonical_json(asdict(self)))


@dataclass(frozen=True)
class HistoryPage:
    """One page of a case's history: ``entries`` oldest first, ``total`` events in the whole history,
    ``older`` the ``before`` to pass for the page before this one (None when this page starts at event 1)."""

    entries: list[HistoryEntry]
    total: int
    older: int | None


@dataclass(frozen=True)
class CaseView:
    """A case page's reading: the case, its open tasks, one page of its history (one transaction)."""

    state: CaseState
    tasks: list[TaskView]
    history: HistoryPage


@dataclass(frozen=True)
class CasePage:
    """What a case page reads (``Engine.case_page``). ``access`` says why the user may read the case
    (need-to-know); when it is None the user may not, and only ``case_id`` and ``number`` are filled."""

    case_id: str
    number: str
    access: str | None
    view: CaseView | None = None
    timers: list = dc_field(default_factory=list)            # TimerView
    completed: list[str] = dc_field(default_factory=list)    # user task elements completed (the path taken)
    people: dict[str, str] = dc_field(default_factory=dict)  # username -> name, of every account
    process_name: str = ""
    casemanager: str | None = None
    links: list = dc_field(default_factory=list)             # engine.referrals.Link: warm referrals, oldest first


@dataclass(frozen=True)
class TaskPage:
    """What a task page and its form post read first (``Engine.task_page``): the task and its form, what the
    user works on (``engine.teams.WorkScope``) and why they may read the task's case (need-to-know; None:
    they may not; also None when not asked)."""

    task: TaskView
    form: Form | None
    scope: Any
    access: str | None


@dataclass(frozen=True)
class Deployed:
    process_id: str
    version_id: str
    name: str
    new: bool


class Engine:
    """Runs cases of deployed BPMN models; see the module docstring for the guarantees."""

    def __init__(self, store: Store, clock: Clock | None = None, ids: IdSource | None = None,
                 evaluator: Evaluator | None = None, cache_size: int = 512):
        self.store = store
        self.clock = clock or SystemClock()
        self.ids = ids or RandomIds()
        self.evaluator = evaluator or Evaluator(clock=self.clock.now)
        self.script_engine = RegieScriptEngine(self.evaluator)
        self._versions: dict[str, ProcessVersion] = {}
        # Every command that changes a case runs as a step of this runner (engine/commands.py).
        self.commands = CommandRunner(self, cache_size)

    @property
    def api_clients(self):
        """System clients of the REST API (``engine.apiclients.ApiClients``)."""
        from .apiclients import ApiClients

        return ApiClients(self.store, self.clock)

    @property
    def teams(self):
        """Teams, their members and the processes they work (``engine.teams.Teams``)."""
        from .teams import Teams

        return Teams(self.store, self.clock)

    def correlate_message(self, name: str, message_id: str, business_key: str | None = None,
                          correlation: dict[str, Any] | None = None, variables: dict[str, Any] | None = None,
                          actor: str = "system"):
        """Deliver message ``name`` to the one case that waits for it (by case number ``business_key`` and/or
        case data ``correlation``), or start a case when a process starts with it; its ``variables`` become
        case data. Returns a ``Delivery``; the same ``message_id`` again returns the same answer and writes
        nothing. No case waits: ``NoCaseWaits`` (404); several: ``SeveralCasesWait`` (409). See
        ``engine.messages``."""
        from .messages import correlate

        return correlate(self, name, message_id, business_key, correlation, variables, actor)

    def broadcast_signal(self, name: str, signal_id: str | None = None, actor: str = "system"):
        """Send signal ``name`` to every case that waits for it, and start a case of every process that starts
        with it; returns a ``Broadcast`` with the cases reached. See ``engine.messages``."""
        from .messages import broadcast

        return broadcast(self, name, signal_id, actor)

    @property
    def external_tasks(self):
        """Service tasks done by workers and connectors (``engine.external.ExternalTasks``)."""
        from .external import ExternalTasks

        return ExternalTasks(self)

    @property
    def webhooks(self):
        """Webhook subscriptions and their delivery (``engine.outbox.Webhooks``)."""
        from .outbox import Webhooks

        return Webhooks(self)

    def event_feed(self, after: str | None = None, limit: int = 100, personal: bool = False):
        """Case events after the cursor ``after``, oldest first, with the next cursor (``engine.outbox.FeedPage``);
        ``personal``: with their payloads (the caller logs that read)."""
        from .outbox import feed

        return feed(self, after, limit, personal)

    @classmethod
    def from_url(cls, url: str | None = None, **kwargs) -> Engine:
        """An engine on ``url`` (else ``REGIE_DATABASE_URL``, else the local SQLite file), schema upgraded."""
        store = Store(url or os.environ.get("REGIE_DATABASE_URL") or DEFAULT_URL)
        store.upgrade()
        return cls(store, **kwargs)

    # --- models ---------------------------------------------------------------------------------

    def validate(self, paths: Iterable[str | Path], documentation: bool = False,
                 warnings: bool = False) -> list[ModelProblem]:
        """Check model files without storing anything; returns the problems (empty when all is well).

        ``documentation``: processes that are not executable are fine (as documentation).
        ``warnings``: also what deploys but will not run as drawn (severity "warning", after the problems).
        """
        try:
            versions = compile_models(read_sources(paths), self.evaluator, self._deployed_forms(), documentation)
        except ModelError as err:
            return err.problems + (err.notices if warnings else [])
        return [n for v in versions for n in v.notices] if warnings else []

    def deploy(self, paths: Iterable[str | Path], actor: str = "system", documentation: bool = False) -> list[Deployed]:
        """Validate and store every executable process in ``paths`` as an immutable version.

        Deploying content that is already stored makes that version current again and adds nothing.
        Raises ``ModelError`` (nothing stored) when any file has a problem. ``documentation``: also
        store each process that is not executable, as a diagram to view that cannot start cases.
        """
        sources = read_sources(paths)
        if not sources:
            raise ModelError([ModelProblem(", ".join(map(str, paths)), "", "Geen .bpmn-, .dmn- of .yaml-bestanden gevonden.")])
        versions = compile_models(sources, self.evaluator, self._deployed_forms(), documentation)
        now = self.clock.now()
        deployed = []
        with self.store.write() as tx:
            for version in versions:
                new = tx.version(version.id) is None
                tx.add_version(VersionRow(
                    id=version.id, process_id=version.process_id, name=version.name,
                    bundle=canonical_json(version.bundle), deployed_at=now, deployed_by=actor,
                ))
                deployed.append(Deployed(version.process_id, version.id, version.name, new))
        for version in versions:
            self._versions.setdefault(version.id, version)
        return deployed

    def _deployed_forms(self) -> dict[str, Form]:
        """Forms of the current versions, so a model can be redeployed without repeating its forms."""
        forms: dict[str, Form] = {}
        with self.store.read() as tx:
            for process in tx.processes():
                row = tx.version(process.current_version_id)
                if row is None:   # a process is made with its first version
                    continue
                for key, text in json.loads(row.bundle)["forms"].items():
                    form, _ = load_form(key, text)
                    if form:
                        forms.setdefault(key, form)
        return forms

    def processes(self) -> list[dict[str, str]]:
        with self.store.read() as tx:
            return [{"id": p.id, "name": p.name, "version_id": p.current_version_id} for p in tx.processes()]

    def version(self, version_id: str) -> ProcessVersion:
        """A deployed version, parsed once per process and then kept in memory."""
        version = self._versions.get(version_id)
        if version is None:
            with self.store.read() as tx:
                row = tx.version(version_id)
            if row is None:
                raise UnknownProcess(version_id)
            version = load_version(json.loads(row.bundle), self.evaluator)
            self._versions[version_id] = version
        return version

    def current_version(self, process_id: str) -> ProcessVersion:
        with self.store.read() as tx:
            process = tx.process(process_id)
        if process is None:
            raise UnknownProcess(process_id)
        return self.version(process.current_version_id)

    # --- cases ----------------------------------------------------------------------------------

    def start(self, process_id: str, data: dict[str, Any] | None = None, actor: str = "system", *,
              business_key: str | None = None, trigger: dict[str, Any] | None = None, within=None) -> str:
        """Start a case on the process's current version; returns the new case id.

        ``business_key``: another system's key for the case (Camunda's business key), recorded in the first
        event; messages find the case by it (``engine.messages``). ``trigger`` (a message or signal start)
        is recorded in the first event; ``within(step, case_id)`` runs in the same transaction, after the
        case is written."""
        if business_key is not None:
            from .messages import check_business_key, keep_business_key

            key = check_business_key(business_key)
            trigger = {**(trigger or {}), "business_key": key}
            within = keep_business_key(key, within)
        return self._start(process_id, data, actor, None, trigger, within)[0]

    def start_many(self, process_id: str, datas: list[dict[str, Any]], actor: str = "system",
                   progress: Callable[[int, int], None] | None = None) -> list[tuple[str, str]]:
        """Start one case per entry, all in one transaction: every case is started, or none (a list import
        that fails half-way leaves nothing behind). Each start is checked as ``start`` checks it.
        Returns (case id, case number) per entry."""
        ids: list[tuple[str, str]] = []
        with self.store.write() as tx:
            for done, data in enumerate(datas, start=1):
                ids.append(self._start(process_id, data, actor, tx))
                if progress is not None:
                    progress(done, len(datas))
        return ids

    def _start(self, process_id: str, data: dict[str, Any] | None, actor: str, tx: Any,
               trigger: dict[str, Any] | None = None, within=None) -> tuple[str, str]:
        version = self.current_version(process_id)
        if version.documentation:
            raise NotExecutable(process_id)
        data = normalise(check_input(data))
        form = version.start_form()
        if form is not None:
            form.validate(data, today=local_date(self.clock.now()))
        elif not isinstance(data, dict):
            raise InvalidData([FieldProblem("-", "Geef de startgegevens als velden met waarden.")])
        if version.initiator:   # camunda:initiator: the field that names who started the case
            data = {**data, version.initiator: actor}
        case_id = self.ids.new_id()
        now = self.clock.now()
        command = Event("case_started", {"process_id": process_id, "version_id": version.id, "data": data})
        with self.commands.step(actor, tx) as step:
            case_prefix, year = prefix(process_id), year_of(now)
            number = format_number(case_prefix, year, step.tx.next_case_number(case_prefix, year))
            command.payload["number"] = number   # part of the first event, so the chain vouches for it
            if trigger:
                command.payload["trigger"] = trigger
            step.create(CaseRow(
                id=case_id, process_id=process_id, version_id=version.id, status="running", number=number,
                subject=_subject(form, data), data="{}", state="{}", task_counter=0, last_seq=0,
                last_hash=GENESIS, created_at=now, updated_at=now, created_by=actor,
            ), version)
            step.persist(step.apply(command, now), now)
            accountability.record_start(step.tx, process_id, case_id, data, now)   # cases per source
            if within is not None:
                within(step, case_id)
        return case_id, number

    def complete(self, task_id: str, data: dict[str, Any] | None = None, actor: str = "system",
                 files: dict[str, uploads.Upload] | None = None) -> TaskView:
        """Complete a ready user task with form data; the case moves on to its next wait state.
        A task that refers the resident to another service (``doorverwijzen_naar``) starts a linked case.
        ``files`` (field -> ``engine.uploads.Upload``): files of the form's ``file`` fields, checked before
        anything is written and stored in the same transaction; ``data`` gets their references."""
        stored = uploads.check(files, self.ids.new_id) if files else []
        if stored:
            data = {**(data or {}), **{f.field: f.reference for f in stored}}
        data = normalise(check_input(data))
        referral = (referrals.plan(self, self.task(task_id), data)
                    if isinstance(data, dict) and referrals.TARGET_FIELD in data else None)
        now = self.clock.now()
        case_id = None
        try:
            with self.commands.step(actor) as step:
                task_row = step.open_task(task_id)
                case, version = step.row, step.version_of()
                case_id = case.id
                form = version.forms.get(task_row.form) if task_row.form else None
                if form is not None:
                    form.validate(data, today=local_date(now))
                if stored or (form is not None and any(f.type == "file" for f in form.fields)):
                    uploads.check_references(form, data, stored)
                    add_files(step.tx, case.id, task_id, stored, now, actor)
                spiff_task = find_task(step.live.workflow, task_id)
                if spiff_task is None or spiff_task.state != TaskState.READY:
                    raise TaskNotReady(task_id, task_row.title)
                payload = {"task_id": task_id, "element": task_row.name, "title": task_row.title, "data": data}
                holder = casemanagers.take_on(case, task_row.role, actor)   # the first contact holds the case
                if holder:
                    payload["casemanager"] = holder
                events = step.apply(Event("task_completed", payload), now)
                if form is not None and _subject(form, data):
                    case.subject = _subject(form, data)
                # Closed before persist, so bringing the task rows in line leaves this row as it is.
                step.tx.update_task(task_row, state="completed", completed_at=now, completed_by=actor)
                step.persist(events, now)
                accountability.record_completion(step.tx, case.id, case.process_id, task_row.name, data, now)
                delete_draft(step.tx, task_id)     # what was typed but not sent is done with, in the same commit
                done = TaskView.of(task_row, case.number or "")
        except IncidentError as err:
            if case_id is not None and isinstance(err.__cause__, CaseStalled):
                self._record_incident(case_id, err, now, actor)
            raise
        referrals.follow(self, referral, actor)
        return done

    def claim(self, task_id: str, user: str, actor: str | None = None) -> TaskView:
        """Take a task into ``user``'s own inbox (or hand it to them, when ``actor`` is someone else)."""
        return self._set_assignee(task_id, user, actor or user, "task_claimed", "")

    def assign(self, task_id: str, user: str, actor: str, reason: str = "") -> TaskView:
        """Give a task to a colleague; the reason lands in the case history."""
        return self._set_assignee(task_id, user, actor, "task_assigned", reason)

    def unclaim(self, task_id: str, actor: str) -> TaskView:
        """Put a task back in the team's inbox."""
        return self._set_assignee(task_id, None, actor, "task_unclaimed", "")

    def hand_over(self, case_ref: str, user: str, actor: str, reason: str = "") -> list[str]:
        """Make ``user`` the case's casemanager and move its open casemanager tasks to them (the coordinator's
        "zaak overdragen"); returns the ids of the tasks that moved. See ``engine.casemanagers``."""
        case_id, now = self.resolve_case(case_ref), self.clock.now()
        with self.commands.step(actor) as step:
            step.lock_case(case_id)
            moved, events = casemanagers.hand_over(step.tx, step.case, user, reason)
            step.record(events, now)
            step.rows_changed()
        return moved

    def casemanager(self, case_ref: str) -> str | None:
        """Who holds the case (its casemanager), or None while nobody has taken the first contact."""
        with self.store.read() as tx:
            return _existing(tx, _resolve_case(tx, case_ref)).casemanager

    def _set_assignee(self, task_id: str, user: str | None, actor: str, kind: str, reason: str) -> TaskView:
        now = self.clock.now()
        with self.commands.step(actor) as step:
            task_row = step.open_task(task_id)
            if user is not None:
                check_assignee(step.tx, task_row, user, claiming=kind == "task_claimed")
            payload = {"task_id": task_id, "element": task_row.name, "assignee": user}
            if reason:
                payload["reason"] = reason
            step.record([Event(kind, payload)], now)
            task_row.assignee = user
            view = TaskView.of(task_row, step.row.number or "")
        return view

    def fire_due_timers(self, now: datetime | None = None, limit: int = 1000) -> int:
        """Fire every timer whose due time has passed at ``now``; returns how many timers fired.

        A batch of cases per transaction (``engine.timers.fire_cases``): one case failing does not stop
        the others; a failure is recorded as an incident on the case. Timers missed while no scheduler ran fire in order,
        each at its own due time (see ``engine.timers``). Timer start events start their cases.
        """
        from .timers import fire_due

        return fire_due(self, now or self.clock.now(), limit)

    def overdue(self, now: datetime | None = None, role: str | None = None, user: str | None = None,
                roles: list[str] | None = None, follow_up: bool = False, limit: int | None = None) -> list[TaskView]:
        """Open tasks past their due date (``follow_up``: past their follow-up date), most overdue first."""
        from .store.timers import overdue_tasks

        with self.store.read() as tx:
            rows = overdue_tasks(tx, now or self.clock.now(), "follow_up" if follow_up else "due", role, user,
                                 roles, limit)
            numbers = tx.case_numbers([r.case_id for r in rows])
            return [TaskView.of(r, numbers.get(r.case_id, "")) for r in rows]

    def timers(self, overdue: bool = False, case_id: str | None = None):
        """Waiting and failed timers (``overdue``: only those whose time has passed), as ``TimerView``."""
        from .timers import list_timers

        return list_timers(self, self.clock.now() if overdue else None, case_id and self.resolve_case(case_id))

    def start_schedules(self):
        """When each timer start event next starts a case, as ``ScheduleView``."""
        from .schedules import list_schedules, sync_schedules

        sync_schedules(self)
        return list_schedules(self)

    def incidents(self, case_id: str | None = None, open_only: bool = True):
        """Failures on cases (open ones, unless ``open_only`` is False), oldest first, as ``IncidentView``."""
        from .timers import list_incidents

        return list_incidents(self, case_id and self.resolve_case(case_id), open_only)

    def retry(self, case_id: str | None = None):
        """Fire failed timers again after a fix (one case, or all); a success resolves the incident."""
        from .timers import retry

        return retry(self, case_id and self.resolve_case(case_id), self.clock.now())

    # --- reading --------------------------------------------------------------------------------

    def tasks(self, case_id: str | None = None, role: str | None = None, user: str | None = None,
              roles: list[str] | None = None, limit: int | None = None, offset: int = 0) -> list[TaskView]:
        """Open user tasks, filtered by case, role (team) or assigned user."""
        if case_id and role is None and user is None and roles is None and limit is None and not offset:
            found = self.store.open_tasks_of_case(case_id)   # a case's own tasks (before each completion): one query
            if found:
                return [TaskView.of(r, r.case_number or "") for r in found]
        with self.store.read() as tx:
            rows = tx.open_tasks(case_id, role, user, roles, limit, offset) if case_id else None
            if not rows:    # no case named, or nothing found: resolve the reference (a number, a short id)
                if case_id:
                    case_id = _resolve_case(tx, case_id)
                rows = tx.open_tasks(case_id, role, user, roles, limit, offset)
            numbers = tx.case_numbers([r.case_id for r in rows])
            return [TaskView.of(r, numbers.get(r.case_id, "")) for r in rows]

    def task(self, task_id: str) -> TaskView:
        with self.store.read() as tx:
            row, case = tx.task_with_case(task_id)       # one query, with the case number
        if row is None or case is None:
            raise UnknownTask(task_id)
        return TaskView.of(row, case.number or "")

    def task_and_form(self, task_id: str) -> tuple[TaskView, Form | None]:
        """A task and its form (None when it has none) from one query: what a task page reads first."""
        with self.store.read() as tx:
            row, case = tx.task_with_case(task_id)
        if row is None or case is None:
            raise UnknownTask(task_id)
        form = self.version(case.version_id).forms.get(row.form) if row.form else None
        return TaskView.of(row, case.number or ""), form

    def task_page(self, task_id: str, user: str, roles: Iterable[str], case_access: bool = True) -> TaskPage:
        """A task, its form, ``user``'s work scope (``engine.teams``) and, with ``case_access``, the need-to-know
        check on its case (as ``case_access``), in one transaction: what the web app checks before it shows,
        claims or completes a task. Raises ``UnknownTask``."""
        from .store.casepage import task_and_case
        from .store.teams import work_scope

        roles = list(roles)
        with self.store.read() as tx:
            row, case = task_and_case(tx, task_id)     # plain rows, statements compiled once
            if row is None or case is None:
                raise UnknownTask(task_id)
            scope = work_scope(tx, user, roles)
            access = self._case_link(tx, case.id, user, roles, case, scope) if case_access else None
        form = self.version(case.version_id).forms.get(row.form) if row.form else None
        return TaskPage(TaskView.of(row, case.number or ""), form, scope, access)

    def resolve_case(self, ref: str) -> str:
        """The case id for ``ref``: a case id, a case number (``HO-2026-000123``, any letter case) or the
        short id the pages show (its first characters). Raises ``UnknownCase`` or ``AmbiguousCase``."""
        with self.store.read() as tx:
            return _resolve_case(tx, ref)

    def form(self, task_id: str) -> Form | None:
        """The form of a task (None when the task has no form); one query for the task and its case."""
        return self.task_and_form(task_id)[1]

    def state(self, case_id: str) -> CaseState:
        """Where a case stands (``case_id`` may also be its case number)."""
        with self.store.read() as tx:
            case = _case_row(tx, case_id)
            key = message_sql.business_keys(tx, [case.id]).get(case.id)
        return replace(self._state_of(case), business_key=key)

    @staticmethod
    def _state_of(case: CaseRow) -> CaseState:
        return CaseState(case.id, case.process_id, case.version_id, case.status, case.subject,
                         json.loads(case.data), json.loads(case.active), case.created_at, case.updated_at,
                         case.revision, case.number or "")

    def history(self, case_id: str) -> list[HistoryEntry]:
        """A case's events, oldest first (``case_id`` may also be its case number)."""
        with self.store.read() as tx:
            case_id = _resolve_case(tx, case_id)
            return [HistoryEntry(e.seq, e.type, e.at, e.actor, json.loads(e.payload), e.hash)
                    for e in tx.events(case_id)]

    def history_page(self, case_id: str, before: int | None = None, limit: int = 50) -> HistoryPage:
        """The newest ``limit`` events before event ``before`` (the newest when None) and the total count;
        one indexed query, so its cost does not grow with the length of the history."""
        with self.store.read() as tx:
            return _history_page(tx, _case_row(tx, case_id), before, limit)

    def case_view(self, case_id: str, before: int | None = None, limit: int = 50) -> CaseView:
        """What a case page shows, read in one transaction: the state, the open tasks and one page of
        history (as ``history_page``)."""
        with self.store.read() as tx:
            case = _case_row(tx, case_id)
            tasks = [TaskView.of(r, case.number or "") for r in tx.open_tasks(case.id)]
            return CaseView(self._state_of(case), tasks, _history_page(tx, case, before, limit))

    def case_page(self, case_ref: str, user: str, roles: Iterable[str], before: int | None = None,
                  limit: int = 50) -> CasePage:
        """Everything a case page reads, in one transaction: the need-to-know check (as ``case_access``) and,
        when it allows, the case, its open tasks, one page of history, its timers, the user task elements it
        completed, the names of the people (usernames -> names), the process's name and the cases it is linked
        to (warm referrals). When the user may not read the case, ``access`` is None and nothing else is read.
        ``case_ref`` may be a case number or short id. The caller still records the read (``record_access``).
        Plain rows from statements compiled once (``engine.store.casepage``). Raises ``UnknownCase``."""
        from .referrals import links_of
        from .store import casepage
        from .store.caselist import completed_elements
        from .timers import TimerView

        roles = list(roles)
        with self.store.read() as tx:
            case = casepage.case_row(tx, case_ref) or casepage.case_row(tx, _resolve_case(tx, case_ref))
            if case is None:
                raise UnknownCase(case_ref)
            tasks = casepage.open_tasks(tx, case.id)       # for the need-to-know check and the page
            access = self._case_link(tx, case.id, user, roles, case, tasks=tasks)
            if access is None:
                return CasePage(case.id, case.number or "", None)
            number = case.number or ""
            view = CaseView(self._state_of(case), [TaskView.of(r, number) for r in tasks],
                            _history_page(tx, case, before, limit))
            return CasePage(
                case.id, number, access, view,
                [TimerView(*r) for r in casepage.timers(tx, case.id)],
                completed_elements(tx, case.id), casepage.people(tx),
                casepage.process_name(tx, case.process_id) or case.process_id, case.casemanager,
                links_of(casepage.links(tx, case.id), case.id))

    def completed_elements(self, case_id: str) -> list[str]:
        """The user task elements of a case that were completed (for the diagram's path taken)."""
        from .store.caselist import completed_elements

        with self.store.read() as tx:
            return completed_elements(tx, case_id)

    # --- pages: what the web app shows, as plain values (engine.queries) -----------------------------

    def inbox(self, query: InboxQuery, day_end: datetime, limit: int = 25, offset: int = 0,
              now: datetime | None = None) -> tuple[list[InboxRow], int]:
        """One page of open tasks for ``query``, most urgent first, and the number of matches (capped at
        ``engine.queries.COUNT_CAP + 1``). ``day_end``: the end of today in the user's time zone."""
        from .store.inbox import inbox_page

        with self.store.read() as tx:
            return inbox_page(tx, query, now or self.clock.now(), day_end, limit, offset)

    def overview(self, now: datetime | None = None, limit: int = 10, user: str | None = None,
                 roles: tuple[str, ...] = ("coordinator",)) -> Overview:
        """The coordinator's overview, in one statement: cases per process, open work per stage (in the order
        of the process's current version), overdue, escalations, open incidents, workload per colleague,
        process and people's names, and the break-the-glass reads of the last 30 days. The counts come from
        the overview's projection; when its delta rows have piled up they are folded afterwards
        (``engine.store.overview``: one statement, its own snapshot, outside a transaction on PostgreSQL).
        ``user``: a team coordinator sees their teams' work only (what their "all tasks" shows: the
        processes and lanes their teams work, and the processes no team works): a second statement, only
        for a coordinator whose teams do not work everything."""
        from .audit import access
        from .store import overview as counts

        now = now or self.clock.now()
        with self.store.statement() as conn:
            data = counts.read(conn, now, now - timedelta(days=30), limit, user, roles)
        processes, people, rows = data.pop("processes"), data.pop("people"), data.pop("break_glass")
        walks = data.pop("walks")
        glass = []
        if rows:                                # their reasons are sealed: opened with their case's key
            with self.store.read() as tx:
                glass = [access.of(r, tx) for r in rows]
        if data.pop("pending") > counts.COMPACT_AFTER:
            with self.store.write() as tx:
                counts.compact(tx)

        def stage_order(stage):
            process_id, element, title = stage[:3]
            known = processes.get(process_id)
            elements = list(self.version(known[1]).user_tasks) if known else []
            return (process_id, elements.index(element) if element in elements else len(elements), title)

        data["stages"] = sorted(data["stages"], key=stage_order)
        data["incidents"] = [OpenIncident(*row) for row in data["incidents"]]
        shown = None if walks is None else {p for p, _ in walks}
        return Overview(**data, processes={p: name for p, (name, _) in processes.items() if shown is None or p in shown},
                        people=people, break_glass=glass)

    def colleagues(self) -> list[Colleague]:
        """Active users who can take tasks, by name."""
        from .store.inbox import colleagues

        with self.store.read() as tx:
            return [Colleague(u.username, u.name, u.roles, u.active) for u in colleagues(tx)]

    def colleague(self, username: str) -> Colleague | None:
        """One user (active or not) by user name, or None."""
        with self.store.read() as tx:
            row = tx.user(username)
        return Colleague(row.username, row.name, row.roles, row.active) if row is not None else None

    def draft(self, task_id: str) -> Draft | None:
        """The task's saved draft (*Opslaan als concept*), or None."""
        from .store.drafts import draft

        with self.store.read() as tx:
            found = draft(tx, task_id)
        if found is None:
            return None
        values, row = found
        return Draft(values, row.saved_by, row.saved_at)

    def save_draft(self, task_id: str, values: dict[str, Any], user: str) -> None:
        """Keep what ``user`` typed in the task's form (not a case change: no event). Only for an open task."""
        from .store.drafts import save_draft

        with self.store.write() as tx:
            row = tx.task(task_id)
            if row is None:
                raise UnknownTask(task_id)
            if row.state != "open":
                raise TaskNotReady(task_id, row.title)
            save_draft(tx, task_id, values, user, self.clock.now())

    def case_list(self, query, limit: int = 25, offset: int = 0):
        """A page of the case list (``engine.store.caselist.CaseQuery``) and the number of matches."""
        from .store.caselist import case_page

        with self.store.read() as tx:
            return case_page(tx, query, limit, offset)

    def cases(self, process_id: str | None = None, status: str | None = None, limit: int = 100,
              business_key: str | None = None) -> list[CaseState]:
        """The newest cases, by process, status and/or the business key they were started with."""
        with self.store.read() as tx:
            rows = tx.cases(process_id, status, limit, business_key=business_key)
            keys = message_sql.business_keys(tx, [c.id for c in rows])
        return [CaseState(c.id, c.process_id, c.version_id, c.status, c.subject, json.loads(c.data), [],
                          c.created_at, c.updated_at, c.revision, c.number or "", keys.get(c.id)) for c in rows]

    # --- audit ----------------------------------------------------------------------------------

    def record_access(self, actor: str, case_id: str | None, page: str, reason: str | None = None):
        """Record that ``actor`` read ``case_id``'s personal data on ``page`` (with a reason, when one was
        asked) in the hash-chained access log; returns the ``AccessEntry``. Its own transaction."""
        from .audit import access

        return access.record(self.store, self.clock.now(), actor, case_id, page, reason)

    def case_access(self, case_id: str, user: str, roles: list[str] | tuple[str, ...]) -> str | None:
        """Need-to-know (AVG): why ``user`` may read the case's personal data, or None when they may not.

        ``coordinator`` — they coordinate a team that works the case's process (without teams: the
        coordinator role); ``team`` — an open task of the case is their team's work (or names them);
        ``eigen`` — they are the case's casemanager, started it, or have or had one of its tasks;
        ``doorbraak`` — they broke the glass with a reason (``break_glass``) in the last
        ``BREAK_GLASS_HOURS`` hours. ``case_id`` may also be a case number. Raises ``UnknownCase``.
        """
        with self.store.read() as tx:
            return self._case_link(tx, _resolve_case(tx, case_id), user, list(roles))

    def case_file(self, case_ref: str, file_id: str, user: str,
                  roles: list[str] | tuple[str, ...]) -> tuple[str, str | None, uploads.CaseFile | None]:
        """A file sent with one of the case's task forms (``engine.uploads``), for the case team only: the
        case's id, the need-to-know answer (as ``case_access``) and, only when that allows it, the file
        (None when the case has no such file). One transaction. The caller writes the access log."""
        with self.store.read() as tx:
            case_id = _resolve_case(tx, case_ref)
            access = self._case_link(tx, case_id, user, list(roles))
            row = case_file(tx, case_id, file_id) if access is not None else None
            found = (uploads.CaseFile(row.id, row.case_id, row.name, row.media_type, row.size, row.sha256,
                                      row.content) if row is not None else None)
        return case_id, access, found

    def stored_file(self, case_ref: str, file_id: str) -> tuple[str, uploads.CaseFile | None]:
        """A file of the case (``case_file``) for a caller whose right to read it was checked elsewhere (an
        API key with scope ``cases:read-personal``): the case's id and the file, or None. The caller writes
        the access log."""
        with self.store.read() as tx:
            case_id = _resolve_case(tx, case_ref)
            row = case_file(tx, case_id, file_id)
            return case_id, (uploads.CaseFile(row.id, row.case_id, row.name, row.media_type, row.size, row.sha256,
                                              row.content) if row is not None else None)

    def _case_link(self, tx, case_id: str, user: str, roles: list[str], case=None, scope=None,
                   tasks=None) -> str | None:
        """``case_access`` within an open transaction (also the first read of ``case_page``); ``case``, ``scope``
        and ``tasks``: the case's row, the user's work scope and the case's open tasks when the caller read them."""
        from .store.privacy import case_link

        return case_link(tx, case_id, user, roles, self.clock.now() - BREAK_GLASS_PERIOD, case, scope, tasks)

    def break_glass(self, case_id: str, user: str, reason: str):
        """Open a case outside one's own work ("break the glass"): the reason is required and lands in the
        access log, where the coordinator and the privacy officer see it. Gives access for
        ``BREAK_GLASS_HOURS`` hours. Returns the ``AccessEntry``."""
        from .store.privacy import BREAK_GLASS_PAGE

        reason = " ".join((reason or "").split())
        if len(reason) < 10:
            raise InvalidData([FieldProblem(
                "reden", "Schrijf op waarom u deze zaak moet inzien (minstens 10 tekens). De coördinator en de "
                "privacyfunctionaris lezen dit.")])
        return self.record_access(user, self.resolve_case(case_id), BREAK_GLASS_PAGE, reason[:1000])

    def break_glass_log(self, days: int = 30, limit: int = 50) -> list:
        """Break-the-glass reads of the last ``days`` days, newest first (``AccessEntry``)."""
        from .audit import access
        from .store.privacy import break_glass_rows

        with self.store.read() as tx:
            rows = break_glass_rows(tx, self.clock.now() - timedelta(days=days), limit)
            return [access.of(r, tx) for r in rows]

    def event_window(self, case_id: str, page: int, size: int) -> tuple[list, list[str], int, int]:
        """A page of a case's events for the auditor's timeline, in one transaction: the events of page ``page``
        (clamped to the last page) as ``Recorded``, the payload texts of the form submissions before it (to show
        what each later one changed), the case's last event number, and the page actually shown."""
        import math

        from .audit.replay import Recorded
        from .store.audit import events_between, submitted_before

        with self.store.read() as tx:
            case = _existing(tx, _resolve_case(tx, case_id))
            last = case.last_seq
            page = max(1, min(page, math.ceil(last / size) or 1))
            first, final = (page - 1) * size + 1, min(page * size, last)
            rows = events_between(tx, case.id, first, final)
            return [Recorded.of(r) for r in rows], submitted_before(tx, case.id, first), last, page

    def case_numbers(self, case_ids) -> dict[str, str]:
        """Case id -> case number for the given cases."""
        with self.store.read() as tx:
            return tx.case_numbers([c for c in case_ids if c])

    def audit_cases(self, query, limit: int = 25, offset: int = 0):
        """The auditor's case search (``engine.store.audit.AuditQuery``): a page of ``AuditCaseRow`` and the
        number of matches (capped), closed cases included."""
        from .store.audit import search_cases

        with self.store.read() as tx:
            return search_cases(tx, query, limit, offset)

    def anchor(self, private_key, path):
        """Sign the heads of every chain with ``private_key`` (Ed25519) and append them to the anchor file
        ``path``; returns the ``Anchor`` (``engine.audit.anchors``)."""
        from .audit import anchors

        return anchors.write(self.store, path, private_key, self.clock.now())

    def check_anchors(self, path, public_key, case_id: str | None = None):
        """Every problem between the database and the anchors in ``path`` (signatures, the file's own chain,
        rewritten or removed events located between two anchors), as ``AnchorProblem``."""
        from .audit import anchors

        return anchors.check_store(self.store, anchors.read(path), public_key,
                                   self.resolve_case(case_id) if case_id else None)

    def case_at(self, case_id: str, seq: int):
        """The case right after its event ``seq`` (time travel): status, data, active elements, open tasks,
        the elements finished and the sequence flows taken up to then (``engine.audit.travel.CaseAt``)."""
        from .audit.travel import TimeTravel

        travel = self.__dict__.get("_travel")
        if travel is None:
            travel = self.__dict__.setdefault("_travel", TimeTravel(self))
        return travel.at(self.resolve_case(case_id), seq)

    def access_log(self, case_id: str | None = None, actor: str | None = None, limit: int | None = 100,
                   offset: int = 0) -> list:
        """Rows of the access log, newest first, for one case and/or one user (``AccessEntry``)."""
        from .audit import access
        from .store.audit import access_rows

        with self.store.read() as tx:
            return [access.of(r, tx) for r in access_rows(tx, case_id, actor, limit, offset)]

    def replay(self, case_id: str, up_to: int | None = None) -> Live | None:
        """Rebuild a case's workflow from its events (up to event ``up_to``), touching nothing stored."""
        with self.store.read() as tx:
            case = _existing(tx, _resolve_case(tx, case_id))
            events = tx.events(case.id, up_to)
        live, _ = self._replay(case, events)
        return live

    def replay_against(self, case_id: str, version_id: str, mapping: dict[str, str] | None = None,
                       up_to: int | None = None):
        """Replay a case's recorded inputs on another version; the outcome names the first divergence.

        See ``engine.models.impact``; touches nothing stored.
        """
        from .models.impact import replay_against

        return replay_against(self, case_id, version_id, mapping, up_to)

    def migrate(self, process_id: str, to_version: str, case_ids: list[str] | None = None,
                mapping: dict[str, str] | None = None, dry_run: bool = True, actor: str = "system",
                limit: int | None = None):
        """Move running cases to another version (``dry_run``: only say which can and why the others not).

        Returns a ``MigrationReport``; see ``engine.models.migration``.
        """
        from .models.migration import migrate

        return migrate(self, process_id, to_version, case_ids, mapping, dry_run, actor, limit)

    def _replay(self, case: CaseRow, events) -> tuple[Live | None, list[Event]]:
        live: Live | None = None
        facts: list[Event] = []
        for n, row in enumerate(events):
            if row.type == "case_migrated":   # moved to another version: its replay of the events before it
                from .models.impact import rebuild

                live = rebuild(self, case.id, events[:n], json.loads(row.payload))
                continue
            if row.type not in COMMANDS:
                continue
            payload = json.loads(row.payload)
            version = self.version(payload.get("version_id", case.version_id))
            live, produced = self.commands.apply(live, Event(row.type, payload), row.at, case.id, version)
            facts.extend(produced)
        return live, facts

    def verify(self, case_id: str | None = None, progress=None) -> Verification:
        """Recompute every hash chain and every stored fact from a replay of the events (one case, or all
        cases and the access log); each difference names case, table, column and event (``findings``).
        ``case_id`` may be a case number or id prefix. ``progress`` (optional) is called with the number
        of cases done after each case."""
        from .audit.verify import verify_all

        if case_id:
            with self.store.read() as tx:
                case_id = _resolve_case(tx, case_id)

        return verify_all(self, case_id, progress)

    # --- internals ------------------------------------------------------------------------------

    def _record_incident(self, case_id: str, err: IncidentError, now: datetime, actor: str) -> None:
        """A refused step leaves a visible incident on the case, written in a transaction of its own."""
        with self.commands.step(actor) as step:
            step.lock_case(case_id)
            step.tx.add_incident(IncidentRow(case_id=case_id, element=err.element_id, kind="step",
                                             message=err.reason, created_at=now))
            step.record([Event("incident", {"element": err.element_id, "reason": err.reason})], now)


_SHORT_ID = re.compile(r"[0-9a-f-]{6,36}")


def _history_page(tx, case: CaseRow, before: int | None, limit: int) -> HistoryPage:
    from .store.history import events_before

    rows = events_before(tx, case.id, before, max(1, limit))
    entries = [HistoryEntry(e.seq, e.type, e.at, e.actor, json.loads(e.payload), e.hash) for e in rows]
    older = entries[0].seq if entries and entries[0].seq > 1 else None
    return HistoryPage(entries, case.last_seq, older)


def _existing(tx, case_id: str) -> CaseRow:
    """The row of a case known to exist (resolved in this transaction)."""
    case = tx.case(case_id)
    if case is None:
        raise UnknownCase(case_id)
    return case


def _case_row(tx, ref: str) -> CaseRow:
    """The case row for a case id (one query), else for a case number or short id (``_resolve_case``)."""
    return tx.case(ref) or _existing(tx, _resolve_case(tx, ref))


def _resolve_case(tx, ref: str) -> str:
    """See ``Engine.resolve_case``; within an open transaction."""
    ref = (ref or "").strip()
    if tx.case_exists(ref):
        return ref
    if looks_like_number(ref):
        row = tx.case_by_number(canonical(ref))
        if row is not None:
            return row.id
    elif _SHORT_ID.fullmatch(ref.lower()):
        ids = tx.case_ids_starting(ref.lower())
        if len(ids) > 1:
            raise AmbiguousCase(ref)
        if ids:
            return ids[0]
    raise UnknownCase(ref)


def _subject(form: Form | None, data: dict[str, Any]) -> str:
    """The resident's display name: the value of the form field marked ``subject: true``."""
    if form is None:
        return ""
    for field in form.fields:
        if field.subject and data.get(field.name):
            return str(data[field.name])[:300]
    return ""


__all__ = ["Engine", "TaskView", "CaseState", "HistoryEntry", "HistoryPage", "CaseView", "CasePage", "TaskPage", "Deployed", "Verification", "SourceFile"]
