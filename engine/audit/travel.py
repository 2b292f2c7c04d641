"""Time travel: a case as it was right after any of its events.

``case_at`` replays the case's events up to the one asked for and describes the case at that point:
status, data, where it stood (active elements), the open tasks, every element finished so far and the
sequence flows actually taken. Replays keep checkpoints (the replayed case every ``EVERY`` events,
checked against the event hash it was taken at) in memory and in the database
(``engine.audit.checkpoints``), so the first view of a long case in any process, and every step through
it, replays at most ``EVERY`` events.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.util.task import TaskState

from ..cases import Live, active_elements, all_tasks, case_data, normalise, status
from ..errors import RegieError, UnknownCase
from ..spiff import TaskIdSequence, load_instance
from . import checkpoints
from .checkpoints import Checkpoint
from .model_index import index
from .replay import ARRIVED, MIGRATED, Recorded, Replayed, replay

log = logging.getLogger(__name__)


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


class TimeTravel:
    """Replays with checkpoints, for one engine: kept in memory (the ``cases`` most recent cases) and in the
    database (``engine.audit.checkpoints``; ``stored=False``: neither read nor written there)."""

    def __init__(self, engine, every: int | None = None, cases: int = 64, stored: bool = True):
        self.engine, self.cases, self.stored = engine, cases, stored
        self.every = every or checkpoints.EVERY
        self._points: OrderedDict[str, list[Checkpoint]] = OrderedDict()
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
            from_store, stale = False, list[int]()
            if self.stored and (point is None or seq - point.seq >= self.every):   # the database may have a nearer one
                found, stale = checkpoints.load(tx, case_id, seq)
                if found is not None and (point is None or found.seq > point.seq):
                    point, from_store = found, True
            rows = tx.events(case_id, up_to=seq) if point is None else _events_from(tx, case_id, point.seq, seq)
        records = [Recorded.of(r) for r in rows]
        start = None
        migrated = any(r.type == MIGRATED for r in records[1:])   # its rebuild needs the whole history
        if point is not None and not migrated and records and records[0].seq == point.seq \
                and records[0].hash == point.hash:
            start = self._restore(case_id, point, from_store)
        elif point is not None and not migrated:    # the history changed under the checkpoint: never use it again
            self._drop(case_id)
            if from_store:
                checkpoints.drop(eng, case_id)
        if start is not None:
            if from_store and point is not None:     # from now on this process restores it from memory
                self._remember(case_id, point)
        elif point is not None:     # not usable here: replay from the start
            with eng.store.read() as tx:
                records = [Recorded.of(r) for r in tx.events(case_id, up_to=seq)]
        made: list[Checkpoint] = []
        result = replay(eng, case_id, case.version_id, records[1:] if start else records, track_flows=True,
                        start=start, after_event=self._keeper(case_id, made))
        if self.stored and made:
            checkpoints.store(eng, case_id, made, stale)
        return self._describe(case_id, case.last_seq, records[-1], result)

    def walk(self, case_id: str) -> list[CaseAt]:
        """The case after each of its events, in one replay from the start, no checkpoint used (for tests and
        benchmarks)."""
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

    def _keeper(self, case_id: str, made: list[Checkpoint]):
        def keep(out: Replayed, ev: Recorded) -> None:
            if ev.seq % self.every or out.live is None:
                return
            with self._lock:
                if any(p.seq == ev.seq for p in self._points.get(case_id, [])):
                    return
            point = checkpoints.snapshot(out, ev)
            made.append(point)
            self._remember(case_id, point)

        return keep

    def _remember(self, case_id: str, point: Checkpoint) -> None:
        with self._lock:
            points = self._points.setdefault(case_id, [])
            if not any(p.seq == point.seq for p in points):
                points.append(point)
                points.sort(key=lambda p: p.seq)
            self._points.move_to_end(case_id)
            while len(self._points) > self.cases:
                self._points.popitem(last=False)

    def _best(self, case_id: str, seq: int) -> Checkpoint | None:
        with self._lock:
            points = [p for p in self._points.get(case_id, []) if p.seq <= seq]
        return points[-1] if points else None

    def _drop(self, case_id: str) -> None:
        with self._lock:
            self._points.pop(case_id, None)

    def _restore(self, case_id: str, point: Checkpoint, from_store: bool = False) -> Replayed | None:
        """The replay as it was at ``point``; None when a stored one does not restore (replay instead)."""
        try:
            version = self.engine.version(point.replayed.version_id)
            workflow = load_instance(copy.deepcopy(point.state), version.spec, version.subprocess_specs, self.engine.script_engine)
        except Exception as err:   # noqa: BLE001 - stored data that does not restore is not used, whatever the error
            if not from_store:
                raise
            log.warning("checkpoint %s/%s does not restore: %s", case_id, point.seq, err.__class__.__name__)
            return None
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

