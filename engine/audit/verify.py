"""Verify a case: its hash chain, and every stored fact against a replay of its events.

What is checked, per case:

- ``case_events``: the hash chain (content, order, gaps) and that the case row points at its last event;
- ``process_versions``: the stored model text still hashes to the version id the events name;
- ``cases``: status, data, active elements, subject, workflow state, task counter, process, version,
  created/updated moments — each recomputed from the replay;
- ``tasks``: every row (one per user task that became ready) column by column, and no row too many;
- ``timers``: one row per waiting timer with its element and due time;
- the recorded facts (gateway decisions with their values, timers fired, case completed) against the
  facts the replay produces.

Each difference is a ``Finding`` naming case, table, column and the event that last set the value.
Operational columns that no event decides (a timer row's lock and attempt count, an incident's
resolution) are not compared.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from SpiffWorkflow.exceptions import SpiffWorkflowException

from ..cases import normalise
from ..errors import RegieError
from ..store import external as external_sql
from .chain import canonical_json, check_chain
from .replay import TASK_COLUMNS, Recorded, replay


@dataclass(frozen=True)
class Finding:
    """One difference between what is stored and what the events say."""

    case_id: str
    table: str
    column: str
    seq: int | None
    message: str
    stored: Any = None
    expected: Any = None

    def __str__(self) -> str:
        where = f"zaak {self.case_id}, tabel {self.table}, kolom {self.column}"
        if self.seq:
            where += f", event {self.seq}"
        return f"{where}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "table": self.table, "column": self.column, "event": self.seq,
                "message": self.message, "stored": _plain(self.stored), "expected": _plain(self.expected)}


@dataclass
class Verification:
    """Outcome of ``verify``: truthy when every chain and stored fact is intact; ``problems`` says what
    is not, one sentence each, and ``findings`` holds the same as ``Finding`` objects."""

    cases: int
    problems: list[str]
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)     # not problems: e.g. personal data removed on a date

    def __bool__(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        if not self.problems:
            return "\n".join([f"{self.cases} zaak/zaken gecontroleerd: alles klopt.", *self.notes])
        return "\n".join(self.problems)

    def to_dict(self) -> dict[str, Any]:
        return {"cases": self.cases, "ok": not self.problems, "problems": list(self.problems),
                "findings": [f.to_dict() for f in self.findings], **({"notes": list(self.notes)} if self.notes else {})}


def verify_all(engine, case_id: str | None = None, progress=None) -> Verification:
    """``Engine.verify``: one case, or every case and the access log."""
    from ..errors import UnknownCase
    from ..store.audit import access_chain
    from . import access

    with engine.store.read() as tx:
        if case_id and tx.case(case_id) is None:
            raise UnknownCase(case_id)
        ids = [case_id] if case_id else tx.case_ids()
    findings: list[Finding] = []
    problems: list[str] = []
    notes: list[str] = []
    checked: dict[str, list[Finding]] = {}      # version id -> its findings: each version is checked once
    for done, cid in enumerate(ids, start=1):
        found = verify_case(engine, cid, notes, checked)
        findings += found
        problems += [str(f) for f in found]
        if progress is not None:
            progress(done)
    if case_id is None:
        with engine.store.read() as tx:
            for p in access.check(access_chain(tx)):
                problems.append(p.message)
                findings.append(Finding("-", "access_log", "hash", p.seq, p.message))
    return Verification(len(ids), problems, findings, notes)


def verify_case(engine, case_id: str, notes: list[str] | None = None,
                checked: dict[str, list[Finding]] | None = None) -> list[Finding]:
    """Every difference between the stored rows of ``case_id`` and a replay of its events. A case whose
    personal data retention removed is checked as a skeleton (see ``check_case``); ``notes`` gets a line.

    ``checked`` (verify of many cases): the findings of each model version checked so far, by version id,
    so a version's stored files are read and hashed once per run instead of once per case."""
    from ..store import checkpoints as checkpoint_sql
    from . import checkpoints

    with engine.store.read() as tx:
        case = tx.case(case_id, with_state=True)
        key_row = tx.case_key_row(case_id)
        removed = key_row.shredded_at if key_row is not None else None
        wanted = set(range(checkpoints.EVERY, case.last_seq + 1, checkpoints.EVERY)) if removed is None else set()
        if wanted:      # the time-travel checkpoints this replay can store (verify writes them, never reads them)
            wanted -= checkpoint_sql.stored_seqs(tx, case_id, checkpoints.FORMAT)
        rows = tx.events(case_id)
        task_rows, timer_rows = tx.case_rows(case_id)
        external_rows = external_sql.case_tasks(tx, case_id)
        state = json.loads(case.state)
        version_rows = {}
        for vid in {case.version_id, *(version_ids(rows))}:
            if checked is None or vid not in checked:
                version_rows[vid] = tx.version(vid)
    if removed is not None and notes is not None:
        from ..privacy.retention import local_day

        notes.append(f"Zaak {case.number or case_id}: persoonsgegevens verwijderd op {local_day(removed)} "
                     "(bewaartermijn); de keten en het skelet (stappen, datums, beslissingen) zijn gecontroleerd.")
    made: list[checkpoints.Checkpoint] = []

    def keep(out, ev) -> None:
        if ev.seq in wanted and out.live is not None:
            made.append(checkpoints.snapshot(out, ev))

    found = check_case(engine, case, rows, state, task_rows, timer_rows, version_rows, removed, checked,
                       external_rows, keep if wanted else None)
    if made and not found:     # a case that verifies: its replay is worth keeping for time travel
        checkpoints.store(engine, case_id, made)
    return found


def check_case(engine, case, rows, state, task_rows, timer_rows, version_rows, removed=None,
               checked: dict[str, list[Finding]] | None = None, external_rows=None,
               after_event=None) -> list[Finding]:
    """``verify_case`` on rows already read (also used for an audit bundle, with no database).

    ``removed``: when retention removed the case's personal data (its key is gone, so sealed values cannot
    be read and the case cannot be replayed): the chain, the versions and the skeleton are checked instead.
    ``checked``: see ``verify_case``; the versions found there are not in ``version_rows``.
    ``after_event``: passed to the replay, which then also tracks flows (``verify_case`` keeps time-travel
    checkpoints with it).
    """
    from ..privacy.keys import is_sealed_text
    from ..spiff import canonical_state, dump_instance

    cid = case.id
    found = [Finding(cid, "case_events", _chain_column(p.message), p.seq, p.message) for p in check_chain(cid, rows)]
    if rows and (rows[-1].hash != case.last_hash or rows[-1].seq != case.last_seq):
        found.append(Finding(cid, "cases", "last_hash", rows[-1].seq,
                             f"het laatste event is {rows[-1].seq}, maar de zaak verwijst naar event {case.last_seq} "
                             "(events verwijderd of toegevoegd?)", rows[-1].seq, case.last_seq))
    if checked is None:
        found += _versions(cid, version_rows)
    else:
        for vid, row in version_rows.items():
            checked[vid] = _versions("", {vid: row})
        for vid in {case.version_id, *(version_ids(rows))}:
            found += [replace(f, case_id=cid) for f in checked[vid]]
    if found:
        return found
    if removed is not None:
        return _skeleton(cid, case, rows, task_rows)
    for r in rows:
        if not hasattr(r, "stored") and is_sealed_text(r.payload):
            found.append(Finding(cid, "case_events", "payload", r.seq,
                                 "de versleutelde persoonsgegevens zijn niet te openen: gewijzigd na het opslaan, "
                                 "of versleuteld voor een andere zaak"))
    if found:
        return found
    events = [Recorded.of(r) for r in rows]
    try:
        result = replay(engine, cid, case.version_id, events, track_flows=after_event is not None,
                        after_event=after_event)
    except (RegieError, SpiffWorkflowException, KeyError, ValueError, TypeError) as err:
        return [Finding(cid, "case_events", "payload", None, f"opnieuw afspelen lukt niet: {err}")]
    found += _facts(cid, events, result)
    found += _case(cid, case, result, canonical_state(state),
                   normalise(dump_instance(result.live.workflow)) if result.live else None)
    found += _tasks(cid, task_rows, result)
    found += _timers(cid, timer_rows, result)
    if external_rows is not None:
        found += _external(cid, external_rows, result)
    return found


def _skeleton(cid: str, case, rows, task_rows) -> list[Finding]:
    """A case without personal data: what is left must still agree with the events — the removal is
    recorded, no personal value is left in the case row, and every task row is a step the events name
    (who finished it and when), and the other way round."""
    found = []
    if not any(r.type == "personal_data_removed" for r in rows):
        found.append(Finding(cid, "case_events", "type", None,
                             "de sleutel van de zaak is verwijderd, maar de log zegt niet wanneer en door wie"))
    if _json(case.data) not in ({}, None) or (case.subject or ""):
        found.append(Finding(cid, "cases", "data" if _json(case.data) else "subject", None,
                             "de persoonsgegevens zijn verwijderd, maar de zaak bevat nog gegevens"))
    completed = {}
    for r in rows:
        if r.type == "task_completed":
            completed[json.loads(r.payload).get("task_id")] = r
    for row in task_rows:
        event = completed.pop(row.id, None)
        if row.state == "completed" and event is None:
            found.append(Finding(cid, "tasks", "state", None,
                                 f"taak '{row.title}' ({row.id[:8]}) is afgerond, maar de log zegt dat niet"))
        elif event is not None and (row.state != "completed" or row.completed_by != event.actor
                                    or row.completed_at != event.at):
            found.append(Finding(cid, "tasks", "completed_at", event.seq,
                                 f"taak '{row.title}' ({row.id[:8]}): wie of wanneer wijkt af van event {event.seq}"))
    for task_id, event in completed.items():
        found.append(Finding(cid, "tasks", "id", event.seq, f"de rij van taak {str(task_id)[:8]} ontbreekt"))
    return found


def version_ids(rows) -> set[str]:
    """Every version a case's events name: the one it started on and any it was migrated to."""
    ids: set[str] = set()
    for r in rows:
        if '"version_id"' in r.payload or '"to_version"' in r.payload:
            payload = json.loads(r.payload)
            ids.update(v for v in (payload.get("version_id"), payload.get("to_version")) if isinstance(v, str))
    return ids


def _chain_column(message: str) -> str:
    if "verwijzing" in message:
        return "prev_hash"
    if "ontbreekt" in message:
        return "seq"
    return "payload"


def _versions(cid: str, version_rows: dict) -> list[Finding]:
    from ..definitions import bundle_hash

    found = []
    for vid, row in version_rows.items():
        if row is None:
            found.append(Finding(cid, "process_versions", "id", None, f"versie {vid[:12]} van het model ontbreekt"))
        elif bundle_hash(json.loads(row.bundle)) != vid:
            found.append(Finding(cid, "process_versions", "bundle", None,
                                 f"de modelbestanden van versie {vid[:12]} zijn gewijzigd na het uitrollen"))
    return found


def _facts(cid: str, events: list[Recorded], result) -> list[Finding]:
    kinds = ("gateway_decision", "timer_fired", "work_interrupted", "case_completed")
    recorded = [(e.seq, e.type, e.payload) for e in events if e.type in kinds]
    replayed = [(f.type, normalise(f.payload)) for _, f in result.facts]
    for index, (seq, kind, payload) in enumerate(recorded):
        if index >= len(replayed) or (kind, payload) != replayed[index]:
            expected = replayed[index] if index < len(replayed) else None
            return [Finding(cid, "case_events", "payload", seq,
                            "de vastgelegde beslissing komt niet overeen met het opnieuw afspelen",
                            {"type": kind, **payload}, expected and {"type": expected[0], **expected[1]})]
    if len(replayed) > len(recorded):
        seq = result.facts[len(recorded)][0]
        return [Finding(cid, "case_events", "type", seq, "een beslissing uit het opnieuw afspelen ontbreekt in de log",
                        None, {"type": replayed[len(recorded)][0], **replayed[len(recorded)][1]})]
    return []


def _case(cid: str, case, result, stored_state, replayed_state) -> list[Finding]:
    found = []
    stored = {
        "process_id": case.process_id, "version_id": case.version_id, "subject": case.subject or "",
        "last_seq": case.last_seq, "created_at": case.created_at, "created_by": case.created_by,
        "updated_at": case.updated_at, "status": case.status, "data": _json(case.data),
        "active": _json(case.active), "task_counter": case.task_counter,
        "casemanager": getattr(case, "casemanager", None),
    }
    for column, (expected, seq) in result.case_columns().items():
        value = stored.get(column)
        if column == "data":
            expected = json.loads(canonical_json(expected))
        if value != expected:
            found.append(Finding(cid, "cases", column, seq, _differs(value, expected), value, expected))
    if replayed_state is not None and stored_state != replayed_state:
        found.append(Finding(cid, "cases", "state", result.last_command,
                             "de opgeslagen toestand van de workflow wijkt af van het opnieuw afspelen"))
    return found


def _tasks(cid: str, rows, result) -> list[Finding]:
    found = []
    stored = {r.id: r for r in rows}
    for task_id, expected in result.tasks.items():
        row = stored.pop(task_id, None)
        set_by = result.task_set_by[task_id]
        if row is None:
            found.append(Finding(cid, "tasks", "id", set_by["created_at"],
                                 f"de rij van taak '{expected['title']}' ({task_id[:8]}) ontbreekt"))
            continue
        for column in TASK_COLUMNS:
            value = getattr(row, column)
            if value != expected[column]:
                found.append(Finding(cid, "tasks", column, set_by[column],
                                     f"taak '{expected['title']}' ({task_id[:8]}): {_differs(value, expected[column])}",
                                     value, expected[column]))
    for row in stored.values():
        found.append(Finding(cid, "tasks", "id", None,
                             f"de rij van taak '{row.title}' ({row.id[:8]}) volgt niet uit de events", row.id, None))
    return found


def _timers(cid: str, rows, result) -> list[Finding]:
    found = []
    waiting = result.timers()
    seq = result.last_command
    for row in rows:
        expected = waiting.pop(row.task_id, None)
        if expected is None:
            found.append(Finding(cid, "timers", "task_id", seq,
                                 f"de timer bij '{row.element}' wacht volgens de events niet (meer)", row.task_id, None))
            continue
        if row.element != expected[0]:
            found.append(Finding(cid, "timers", "element", seq, _differs(row.element, expected[0]), row.element, expected[0]))
        if row.due_at != expected[1]:
            found.append(Finding(cid, "timers", "due_at", seq,
                                 f"timer bij '{row.element}': {_differs(row.due_at, expected[1])}", row.due_at, expected[1]))
    for task_id, (element, _due) in waiting.items():
        found.append(Finding(cid, "timers", "task_id", seq, f"de timer bij '{element}' ontbreekt", None, task_id))
    return found


def _external(cid: str, rows, result) -> list[Finding]:
    """``external_tasks``: one row per ready external task, with its element and topic (``engine.external``);
    locks, retries and back-off are operational columns, set by the worker's events, not compared."""
    from ..cases import ready_external_tasks

    found = []
    ready = ready_external_tasks(result.live.workflow) if result.live else {}
    seq = result.last_command
    for row in rows:
        expected = ready.pop(row.id, None)
        if expected is None:
            found.append(Finding(cid, "external_tasks", "id", seq,
                                 f"de externe taak bij '{row.element}' wacht volgens de events niet (meer)", row.id, None))
        elif (row.element, row.topic) != expected:
            found.append(Finding(cid, "external_tasks", "topic", seq, _differs((row.element, row.topic), expected),
                                 (row.element, row.topic), expected))
    for task_id, (element, _topic) in ready.items():
        found.append(Finding(cid, "external_tasks", "id", seq, f"de externe taak bij '{element}' ontbreekt", None, task_id))
    return found


def _json(text: str | None) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return text


def _differs(stored: Any, expected: Any) -> str:
    return f"opgeslagen {_show(stored)}, volgens de events {_show(expected)}"


def _show(value: Any) -> str:
    text = value.isoformat() if isinstance(value, datetime) else canonical_json(value) if not isinstance(value, str) else value
    text = text if len(text) <= 120 else text[:117] + "..."
    return f"'{text}'"


def _plain(value: Any) -> Any:
    return json.loads(canonical_json(value)) if value is not None else None
