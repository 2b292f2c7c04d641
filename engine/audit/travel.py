"""Time travel: a case as it was right after any of its events.

``case_at`` replays the case's events up to the one asked for and describes the case at that point:
status, data, where it stood (active elements), the open tasks, every element finished so far and the
sequence flows actually taken. Replays keep checkpoints in memory (the workflow state every
``EVERY`` events, checked against the event hash it was taken at), so stepping through a long case
replays at most ``EVERY`` events per page.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.util.task import TaskState

from ..cases import Live, active_elements, all_tasks, case_data, normalise, status
from ..errors import RegieError, UnknownCase
from ..spiff import TaskIdSequence, dump_instance, load_instance
from .model_index import index
from .replay import ARRIVED, MIGRATED, Recorded, Replayed, replay

EVERY = 50


class NoSuchEvent(RegieError):
    def __init__(self, case_id: str, seq: int, last: int):
        super().__init__(f"De zaak heeft geen event {seq}. Kies een event van 1 tot en met {last}.")


@dataclass(frozen=True)
class CaseAt:
    """The case right after event ``seq`` (of ``last``)."""

    case_id: str
    seq: int
    last: int
    event: Recorded
    process_id: str
    version_id: str
    status: str
    subject: str
    data: dict[str, Any]
    active: list[str]
    finished: list[str]
    taken_flows: list[str]
    open_tasks: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Checkpoint:
    seq: int
    hash: str
    state: dict
    counter: int
    replayed: Replayed      # without its workflow


class TimeTravel:
    """Replays with checkpoints, for one engine."""

    def __init__(self, engine, every: int = EVERY, cases: int = 64):
        self.engine, self.every, self.cases = engine, every, cases
        self._points: OrderedDict[str, list[_Checkpoint]] = OrderedDict()
        self._lock = threading.Lock()

    def at(self, case_id: str, seq: int) -> CaseAt:
        eng = self.engine
        with eng.store.read() as tx:
            case = tx.case(case_id)
            if case is None:
                raise UnknownCase(case_id)
            if seq < 1 or seq > case.last_seq:
                raise NoSuchEvent(case_id, seq, case.last_seq)
            _not_shredded(tx, case)
            point = self._best(case_id, seq)
            rows = tx.events(case_id, up_to=seq) if point is None else _events_from(tx, case_id, point.seq, seq)
        records = [Recorded.of(r) for r in rows]
        start = None
        migrated = any(r.type == MIGRATED for r in records[1:])   # its rebuild needs the whole history
        if point is not None and not migrated and records and records[0].seq == point.seq \
                and records[0].hash == point.hash:
            start = self._restore(case_id, point)
        elif point is not None:      # the history changed under the checkpoint, or a migration: start over
            if not migrated:
                self._drop(case_id)
            with eng.store.read() as tx:
                records = [Recorded.of(r) for r in tx.events(case_id, up_to=seq)]
        result = replay(eng, case_id, case.version_id, records[1:] if start else records, track_flows=True,
                        start=start, after_event=self._keeper(case_id))
        return self._describe(case_id, case.last_seq, records[-1], result)

    def walk(self, case_id: str) -> list[CaseAt]:
        """The case after each of its events, in one replay (for tests and benchmarks)."""
        with self.engine.store.read() as tx:
            case = tx.case(case_id)
            if case is None:
                raise UnknownCase(case_id)
            records = [Recorded.of(r) for r in tx.events(case_id)]
        seen: list[CaseAt] = []

        def after(out: Replayed, ev: Recorded) -> None:
            if out.live is not None:
                seen.append(self._describe(case_id, case.last_seq, ev, out))

        replay(self.engine, case_id, case.version_id, records, track_flows=True, after_event=after)
        return seen

    def _describe(self, case_id: str, last: int, ev: Recorded, r: Replayed) -> CaseAt:
        if r.live is None:
            raise RegieError(f"de zaak {case_id} heeft op moment {last} nog geen stand om te tonen.")
        workflow = r.live.workflow
        model = index(self.engine.version(r.version_id).bundle)
        open_tasks = [dict(r.tasks[t]) for t in sorted(r.open, key=lambda t: (r.tasks[t]["created_at"], t))]
        return CaseAt(case_id, ev.seq, last, ev, r.process_id, r.version_id, status(workflow), r.subject,
                      normalise(case_data(workflow)), active_elements(workflow), list(dict.fromkeys(r.finished)),
                      model.flow_ids(r.taken), open_tasks)

    # --- checkpoints ------------------------------------------------------------------------------

    def _keeper(self, case_id: str):
        def keep(out: Replayed, ev: Recorded) -> None:
            if ev.seq % self.every or out.live is None:
                return
            with self._lock:
                points = self._points.setdefault(case_id, [])
                if any(p.seq == ev.seq for p in points):
                    return
            snapshot = copy.copy(out)
            snapshot.live, snapshot._seen, snapshot._arrived = None, set(), set()
            # time travel shows only the open tasks: keep just those, so a checkpoint stays small
            snapshot.tasks = {t: dict(out.tasks[t]) for t in out.open}
            snapshot.open = set(out.open)
            snapshot.task_set_by = {t: dict(out.task_set_by[t]) for t in out.open}
            snapshot.finished, snapshot.taken = list(out.finished), list(out.taken)
            snapshot.facts, snapshot.versions = [], set(out.versions)
            point = _Checkpoint(ev.seq, ev.hash, dump_instance(out.live.workflow), out.live.ids.counter, snapshot)
            with self._lock:
                points.append(point)
                points.sort(key=lambda p: p.seq)
                self._points.move_to_end(case_id)
                while len(self._points) > self.cases:
                    self._points.popitem(last=False)

        return keep

    def _best(self, case_id: str, seq: int) -> _Checkpoint | None:
        with self._lock:
            points = [p for p in self._points.get(case_id, []) if p.seq <= seq]
        return points[-1] if points else None

    def _drop(self, case_id: str) -> None:
        with self._lock:
            self._points.pop(case_id, None)

    def _restore(self, case_id: str, point: _Checkpoint) -> Replayed:
        version = self.engine.version(point.replayed.version_id)
        workflow = load_instance(copy.deepcopy(point.state), version.spec, version.subprocess_specs,
                                 self.engine.script_engine)
        out = copy.copy(point.replayed)
        out.tasks = {t: dict(v) for t, v in point.replayed.tasks.items()}
        out.open = set(point.replayed.open)
        out.task_set_by = {t: dict(v) for t, v in point.replayed.task_set_by.items()}
        out.finished, out.taken = list(point.replayed.finished), list(point.replayed.taken)
        out.facts, out.versions = list(point.replayed.facts), set(point.replayed.versions)
        out.live = Live(workflow, TaskIdSequence(case_id, point.counter))
        out._seen = {t.id for t in all_tasks(workflow) if t.state == TaskState.COMPLETED}
        out._arrived = {t.id for t in all_tasks(workflow) if t.has_state(ARRIVED)}
        return out


def _not_shredded(tx, case) -> None:
    """A case whose personal data retention removed cannot be replayed (its decisions read values that are
    gone): say so, instead of the replay's failure."""
    from ..errors import PrivacyError
    from ..privacy.retention import local_day

    row = tx.case_key_row(case.id)
    if row is not None and row.shredded_at is not None:
        raise PrivacyError(f"De persoonsgegevens van zaak {case.number or case.id} zijn verwijderd op "
                           f"{local_day(row.shredded_at)} (bewaartermijn). De zaak is daarom niet meer stap voor "
                           "stap af te spelen; de stappen, datums en beslissingen staan in de tijdlijn.")


def _events_from(tx, case_id: str, first: int, last: int):
    from ..store.audit import events_between

    return events_between(tx, case_id, first, last)

