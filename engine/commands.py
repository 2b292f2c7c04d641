"""The command runner: one unit of work per step, written once.

Every command that changes a case — starting it, completing a task, claiming, firing timers,
recording an incident — is the same unit of work:

1. open a write transaction (``Store.write``) and lock the case (or create it);
2. restore the case's workflow: from the engine's cache when the cached copy belongs to the
   revision just read, else from the stored state;
3. apply the command event(s) with ``engine.cases.apply_event`` (the same code a replay runs);
4. persist: append the events to the case's hash chain, write the workflow state and bring the task
   and timer projections in line — all under the revision check (``Tx.save_case``);
5. after the commit, remember the workflow for the next command (keyed by the new revision); on any
   error roll back and forget the cached copy, so a half-applied workflow is never reused.

``CommandRunner.step()`` is that unit as a context manager; a ``Step`` offers the operations a
command needs (``lock_case``, ``open_task``, ``create``, ``apply``, ``persist``, ``record``)::

    with engine.commands.step(actor) as step:
        task = step.open_task(task_id)
        facts = step.apply(Event("task_completed", {...}), now)
        step.persist(facts, now)

Nothing outside this module touches the workflow cache.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from SpiffWorkflow.exceptions import SpiffWorkflowException

from . import casemanagers
from .audit import Event, canonical_json
from .cases import Live, active_elements, apply_event, case_data, ready_user_tasks, status, waiting_timers
from .deadlines import resolve_date
from .definitions import ProcessVersion
from .errors import IncidentError, RegieError, TaskNotReady, UnknownTask
from .external import sync_external
from .spiff import StepRefused, TaskIdSequence, dump_instance, load_instance
from .store import CaseRow, TaskRow, TimerRow

if TYPE_CHECKING:
    from .runtime import Engine


@dataclass(frozen=True)
class Synced:
    """The open task ids and waiting timers a case's rows hold after a commit."""

    open_tasks: frozenset[str]
    timers: dict
    external: frozenset[str] | None = None    # ready service tasks waiting for a worker (engine.external); None: unknown


NOTHING = Synced(frozenset(), {}, frozenset())


@dataclass
class _Entry:
    revision: int
    live: Live
    synced: Synced | None
    key: bytes | None = None    # the case's unwrapped key (engine.privacy.keys) at this revision, when read




class WorkflowCache:
    """Live workflows by case id, each valid for exactly one case revision (least recently used out)."""

    def __init__(self, size: int = 512):
        self.size = size
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, case_id: str, revision: int) -> _Entry | None:
        """The cached workflow of ``revision`` (removed: one command at a time owns it), else None."""
        with self._lock:
            entry = self._entries.get(case_id)
            if entry is None or entry.revision != revision:
                return None
            return self._entries.pop(case_id)

    def synced(self, case_id: str, revision: int) -> Synced | None:
        with self._lock:
            entry = self._entries.get(case_id)
            return entry.synced if entry is not None and entry.revision == revision else None

    def put(self, case_id: str, revision: int, live: Live, synced: Synced | None, key: bytes | None = None) -> None:
        """Remember the workflow of ``revision``, and the case key read with it (valid as long as the revision:
        removing a case's key is a step of its own, which moves the revision on)."""
        with self._lock:
            if self.size <= 0:
                return
            self._entries[case_id] = _Entry(revision, live, synced, key)
            self._entries.move_to_end(case_id)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def advance(self, case_id: str, before: int, after: int) -> None:
        """The case row moved from revision ``before`` to ``after`` without a workflow change."""
        with self._lock:
            entry = self._entries.get(case_id)
            if entry is not None and entry.revision == before:
                entry.revision, entry.key = after, None     # the key is read again: a step we did not see

    def forget(self, case_id: str | None) -> None:
        with self._lock:
            self._entries.pop(case_id, None)  # type: ignore[arg-type]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class CommandRunner:
    """Runs steps of the engine's commands: transaction, load, apply, persist, cache."""

    def __init__(self, engine: Engine, cache_size: int = 512):
        self.engine = engine
        self.cache = WorkflowCache(cache_size)

    @contextmanager
    def step(self, actor: str, tx: Any = None) -> Iterator[Step]:
        """One unit of work: commits at the end of the block (then remembers the workflow), or rolls
        back on any error (and forgets the cached workflow of the case it touched). Given ``tx``, the step
        is part of that larger transaction (``Engine.start_many``): its owner commits, nothing is cached."""
        step = Step(self, actor)
        if tx is not None:
            step.tx = tx
            try:
                yield step
                step.save()
            finally:
                self.cache.forget(step.case_id)
            return
        try:
            with self.engine.store.write() as tx:
                step.tx = tx
                yield step
                step.save()
        except BaseException:
            self.cache.forget(step.case_id)
            raise
        step._committed()

    @contextmanager
    def batch(self, actor: str) -> Iterator[Batch]:
        """Steps of several cases in one transaction (the scheduler fires a batch of cases this way):
        all commit together at the end of the block, then each remembers its workflow; on any error
        everything rolls back and the cached workflows of every case touched are forgotten."""
        batch = Batch(self, actor)
        try:
            with self.engine.store.write() as tx:
                batch.tx = tx
                yield batch
                for step in batch.steps:
                    step.save()
        except BaseException:
            for step in batch.steps:
                self.cache.forget(step.case_id)
            raise
        for step in batch.steps:
            step._committed()

    def apply(self, live: Live | None, event: Event, at: datetime, case_id: str,
              version: ProcessVersion) -> tuple[Live, list[Event]]:
        """``apply_event``, with failures inside the model turned into an ``IncidentError``."""
        try:
            return apply_event(live, event, at, case_id, version, self.engine.script_engine)
        except RegieError as err:
            raise IncidentError(case_id, getattr(err, "element_id", "") or "-", str(err)) from err
        except SpiffWorkflowException as err:
            task = getattr(err, "task", None)
            element = getattr(getattr(task, "task_spec", None), "bpmn_id", "") or "-"
            raise IncidentError(case_id, element, str(err)) from err

    def forget(self, case_id: str | None) -> None:
        self.cache.forget(case_id)


class Batch:
    """Several cases' steps sharing one transaction (``CommandRunner.batch``); one ``Step`` per case."""

    tx: Any

    def __init__(self, runner: CommandRunner, actor: str):
        self.runner = runner
        self.actor = actor
        self.steps: list[Step] = []

    def step(self) -> Step:
        """A step for the next case; it writes into the batch's transaction and commits with it."""
        step = Step(self.runner, self.actor)
        step.tx = self.tx
        self.steps.append(step)
        return step


class Step:
    """One case's unit of work inside a ``CommandRunner.step`` block."""

    tx: Any

    def __init__(self, runner: CommandRunner, actor: str):
        self.runner = runner
        self.engine = runner.engine
        self.actor = actor
        self.case: CaseRow | None = None
        self.version: ProcessVersion | None = None
        self._start_revision: int | None = None
        self._live: Live | None = None
        self._clean = True          # the live workflow equals what the case row holds (or will, at commit)
        self._synced: Synced | None = None
        self._synced_known = True   # False once rows changed outside ``persist``
        self._new = False
        self._case_id: str | None = None
        self._keep = True           # remember the workflow after the commit
        self._timer_rows: list | None = None   # the case's timer rows, read already by a batch
        self._state: str | None = None          # the stored workflow, read already by a batch
        self._unsaved = False       # events written, the case row not yet (``persist(case_row=False)``)

    @property
    def case_id(self) -> str | None:
        """The id of the case this step changes (kept apart: a rolled-back row cannot be read any more)."""
        return self._case_id

    # --- opening the case -------------------------------------------------------------------------

    def lock_case(self, case_id: str) -> CaseRow | None:
        """Read and lock the case row for this transaction (None when there is no such case)."""
        self._bind(self.tx.case(case_id, lock=True))
        return self.case

    def use_case(self, case: CaseRow, state: str | None = None) -> None:
        """Take a case row this transaction has locked already (a batch locks its cases in one query),
        with its stored workflow ``state`` when that was read along."""
        self._bind(case)
        self._state = state

    def known_rows(self, open_tasks: list[str], timer_rows: list[TimerRow]) -> None:
        """The case's open task ids and timer rows, read already (a batch reads them for all its cases
        in one query each), so the step does not read them again."""
        self._synced = Synced(frozenset(open_tasks), {r.task_id: (r.element, r.due_at) for r in timer_rows})
        self._timer_rows = list(timer_rows)

    def open_task(self, task_id: str) -> TaskRow:
        """The open task's row, with its case row locked; ``UnknownTask`` / ``TaskNotReady`` otherwise."""
        row, case = self.tx.task_with_case(task_id, lock=True)
        if row is None:
            raise UnknownTask(task_id)
        if row.state != "open":
            done = f"afgerond door {row.completed_by}" if row.state == "completed" else "vervallen"
            raise TaskNotReady(task_id, row.title, done)
        self._bind(case)
        return row

    def create(self, case: CaseRow, version: ProcessVersion) -> None:
        """A new case: its row is inserted with the first ``persist``."""
        self.case, self.version, self._new = case, version, True
        self._case_id = case.id
        self._start_revision = None
        self._synced = NOTHING

    def _bind(self, case: CaseRow | None) -> None:
        if self.case is not None and case is not None and case.id != self.case.id:
            raise RuntimeError("one step changes one case")
        self.case = case
        if case is not None:
            self._case_id = case.id
            self._start_revision = case.revision
            self.version = None

    # --- the workflow -----------------------------------------------------------------------------

    @property
    def row(self) -> CaseRow:
        """The case row this step changes (bound by ``lock_case``, ``open_task`` or ``create``)."""
        if self.case is None:
            raise RuntimeError("this step has no case yet: lock_case, open_task or create comes first")
        return self.case

    @property
    def _applied(self) -> Live:
        """The workflow after ``apply`` or ``adopt`` (what ``persist`` writes)."""
        if self._live is None:
            raise RuntimeError("nothing to write: apply or adopt comes before persist")
        return self._live

    def version_of(self) -> ProcessVersion:
        if self.version is None:
            self.version = self.engine.version(self.row.version_id)
        return self.version

    @property
    def live(self) -> Live:
        """The case's workflow as stored: the cached copy of this revision, else restored from the row."""
        if self._live is None:
            case = self.row
            entry = self.runner.cache.take(case.id, case.revision)
            if entry is not None:
                self._live = entry.live
                self._synced = entry.synced if entry.synced is not None else self._synced
                if entry.key is not None:
                    self.tx.know_key(case.id, entry.key)
            else:
                version = self.version_of()
                state = self._state if self._state is not None else self.tx.case_state(case.id)
                workflow = load_instance(json.loads(state), version.spec, version.subprocess_specs,
                                         self.engine.script_engine)
                self._live = Live(workflow, TaskIdSequence(case.id, case.task_counter))
        return self._live

    def apply(self, event: Event, at: datetime) -> list[Event]:
        """Apply a command event to the workflow; returns ``[event, *facts]`` for ``persist``.

        Raises ``IncidentError`` (the workflow is then out of step with the row until rolled back).
        """
        live = None if self._new and self._live is None else self.live
        self._clean = False
        self._live, facts = self.runner.apply(live, event, at, self.row.id, self.version_of())
        return [event, *facts]

    def adopt(self, live: Live, version: ProcessVersion) -> None:
        """Take a workflow rebuilt elsewhere (a migration's replay on another version) as the one to persist.

        It is not kept in the cache after the commit: the next command restores it from the store.
        """
        self._live, self.version, self._clean, self._keep = live, version, False, False

    # --- writing ----------------------------------------------------------------------------------

    def persist(self, events: list[Event], at: datetime, case_row: bool = True) -> None:
        """Write the step: events, workflow state, task projection and timers, under the revision check.

        ``case_row=False`` (a catch-up round that another round of the same step follows): the events and
        the task and timer rows now, the case row and its workflow state once, by ``save`` at the end.
        """
        case, live, version = self.row, self._applied, self.version_of()
        workflow = live.workflow
        if case_row or self._new:
            self._case_columns(workflow)
        case.task_counter = live.ids.counter
        case.updated_at = at
        if self._new:
            self.tx.add_case(case)
        before = self._before()
        self.tx.append_events(case, events, at, self.actor, stored_at=self.engine.clock.now())
        if case_row or self._new:
            self.tx.save_case(case)
        self._unsaved = not (case_row or self._new)
        open_tasks = self._sync_tasks(case, workflow, version, at, before)
        timers = self._sync_timers(case, workflow, before)
        external = sync_external(self.tx, case, workflow, version, at, before) if version.external else frozenset()
        self._new, self._clean = False, True
        self._synced, self._synced_known = Synced(open_tasks, timers, external), True

    @property
    def unsaved(self) -> bool:
        """Rounds persisted with ``case_row=False`` wait for ``save`` (the runner saves at the end of the block)."""
        return self._unsaved

    def save(self) -> None:
        """Write the case row and workflow state that rounds persisted with ``case_row=False`` left out."""
        if self._unsaved:
            self._case_columns(self._applied.workflow)
            self.tx.save_case(self.row)
            self._unsaved = False

    def _case_columns(self, workflow) -> None:
        case = self.row
        case.state = json.dumps(dump_instance(workflow), separators=(",", ":"), ensure_ascii=False, default=str)
        case.active = json.dumps(active_elements(workflow))
        case.data = canonical_json(case_data(workflow))
        case.status = status(workflow)

    def record(self, events: list[Event], at: datetime, updated_at: datetime | None = None) -> None:
        """Append facts that do not change the workflow (a claim, an incident) to the case's chain.

        The case counts as changed at ``updated_at`` (default: ``at``).
        """
        self.save()
        self.tx.append_events(self.row, events, at, self.actor, stored_at=self.engine.clock.now())
        self.row.updated_at = updated_at or at
        self.tx.save_case(self.row)

    def rows_changed(self) -> None:
        """Task or timer rows were changed outside ``persist``: the next step reads them again."""
        self._synced_known = False

    def resync_timers(self) -> None:
        """Correct the timer rows against the workflow from scratch (they were out of step with it)."""
        self._sync_timers(self.row, self.live.workflow, None)
        self.tx.session.flush()
        self._synced_known = False

    def _before(self) -> Synced | None:
        """What the task and timer rows hold now, when known without reading them."""
        if self._new:
            return NOTHING
        if not self._synced_known:
            return None
        if self._synced is not None:
            return self._synced
        return self.runner.cache.synced(self.row.id, self._start_revision) if self._start_revision is not None else None

    def _sync_tasks(self, case: CaseRow, workflow, version: ProcessVersion, now: datetime,
                    before: Synced | None) -> frozenset[str]:
        """Bring the task projection in line with the workflow's ready user tasks; returns their ids."""
        tx = self.tx
        ready = {str(t.id): t for t in ready_user_tasks(workflow)}
        if before is not None:
            known = set(before.open_tasks)
            gone = known - set(ready)
        else:
            known, gone = set(), set()
            for task_id, state in tx.task_states_to_sync(case.id, list(ready)):
                known.add(task_id)
                if state == "open" and task_id not in ready:
                    gone.add(task_id)
        for task_id in gone:
            row = tx.task(task_id)
            if row is not None and row.state == "open":
                tx.update_task(row, state="cancelled", completed_at=now)
        new_rows = []
        for task_id, task in ready.items():
            if task_id in known:
                continue
            info = version.user_tasks.get(task.task_spec.bpmn_id)
            names = {**task.data}
            evaluator = self.engine.evaluator
            title = info.title if info else (task.task_spec.bpmn_name or task.task_spec.bpmn_id)
            try:
                role = self._role(info, names) if info else task.task_spec.lane
                assignee = casemanagers.assignee_for(case, role, self._assignee(info, names))
                due = resolve_date(info.due if info else None, now, names, evaluator)
                follow_up = resolve_date(info.follow_up if info else None, now, names, evaluator)
            except GroupNotComputed:
                raise
            except RegieError as err:   # an assignee or date expression on this case's data: name the task
                raise StepRefused(task.task_spec.bpmn_id, f"De taak '{title}' ({task.task_spec.bpmn_id}) kan niet "
                                  f"klaargezet worden: {err}") from err
            new_rows.append(dict(
                id=task_id, case_id=case.id, process_id=case.process_id, name=task.task_spec.bpmn_id,
                title=title, role=role, candidate_users=",".join(info.candidate_users) if info else "",
                assignee=assignee, form=info.form if info else None, state="open",
                due_at=due, follow_up_at=follow_up, created_at=now, completed_at=None, completed_by=None,
            ))
        tx.insert_tasks(new_rows)
        return frozenset(ready)

    def _role(self, info, names) -> str | None:
        """The task's role; candidate groups computed per case (``${afdeling}``) give the first group they name.
        A computation that names no group refuses the step: the task would be in nobody's inbox."""
        if not info.role_expression:
            return info.role
        value = self.engine.evaluator.evaluate(info.role_expression, names)
        groups = [str(v).strip() for v in value] if isinstance(value, (list, tuple)) else (
            str(value).split(",") if value not in (None, "") else [])
        groups = [g.strip() for g in groups if g and g.strip()]
        if not groups:
            raise GroupNotComputed(info.element_id, info.title)
        return groups[0][:100]

    def _assignee(self, info, names) -> str | None:
        if info is None or not info.assignee:
            return info.candidate_users[0] if info and len(info.candidate_users) == 1 else None
        value = self.engine.evaluator.evaluate(_expression(info.assignee), names)
        return str(value) if value else None

    def _sync_timers(self, case: CaseRow, workflow, before: Synced | None) -> dict:
        """Bring the timer table in line with the workflow's waiting timers; returns them."""
        current = waiting_timers(workflow)
        if before is not None and before.timers == current:
            return current
        if before is None:      # not known: compare with the rows (plain values) before loading them to change
            stored = self.tx.timer_dues(case.id)
            if len(stored) == len(current) and dict(stored) == {t: due for t, (_e, due) in current.items()}:
                return current
        waiting = dict(current)
        rows, self._timer_rows = self._timer_rows, None   # read by a batch: good for the first sync only
        for row in self.tx.case_timers(case.id) if rows is None else rows:
            wanted = waiting.pop(row.task_id, None)
            if wanted is None:
                self.tx.delete(row)
            elif wanted[1] != row.due_at:
                row.due_at, row.status, row.attempts = wanted[1], "waiting", 0
        for task_id, (element, due) in waiting.items():
            self.tx.add_timer(TimerRow(case_id=case.id, task_id=task_id, element=element, due_at=due,
                                       status="waiting", attempts=0))
        return current

    # --- after the commit -------------------------------------------------------------------------

    def _committed(self) -> None:
        cache, case = self.runner.cache, self.case
        if case is None or self._new:
            return
        if self._live is None:
            if self._start_revision is not None and self._synced_known:
                cache.advance(case.id, self._start_revision, case.revision)
            else:
                cache.forget(case.id)
        elif self._clean and self._keep:
            cache.put(case.id, case.revision, self._live, self._synced if self._synced_known else None,
                      self.tx.known_key(case.id))
        else:
            cache.forget(case.id)


def _expression(text: str) -> str:
    from .expressions import juel_to_expression

    return juel_to_expression(text) if "${" in text or "#{" in text else text


class GroupNotComputed(RegieError):
    """A task's candidate groups are computed per case (``${afdeling}``), and for this case they name none."""

    def __init__(self, element_id: str, title: str):
        super().__init__(f"De taak '{title}' ({element_id}) hoort bij de groep die de zaak noemt, maar die is "
                         "niet ingevuld. Vul het veld in waar de groep uit komt en probeer het opnieuw; er is niets "
                         "opgeslagen.")
        self.element_id = element_id


__all__ = ["Batch", "CommandRunner", "Step", "WorkflowCache", "Synced", "GroupNotComputed"]
