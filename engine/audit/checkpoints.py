"""Stored time-travel checkpoints: the replayed case every ``EVERY`` events, kept in the database.

Time travel to event N replays the case's events up to N. For a long case that is a full replay on the
first view in every process; with a checkpoint at the nearest multiple of ``EVERY`` below N it replays
at most ``EVERY`` events. A checkpoint holds what the replay had after its event: the workflow state,
the task counter and the replay's projections time travel shows (open tasks, subject, casemanager,
finished elements, taken flows, versions).

A checkpoint is derived data that nothing trusts:

- ``verify`` never reads one (it replays from the start); it *writes* the missing ones after a clean run;
- it is bound to the hash of the event it was taken after: time travel uses it only when the chain has
  that same hash at that event (else the history changed under it: it is dropped and the case replayed);
- its content is sealed with AES-GCM, the checkpoint's case, event, event hash and ``FORMAT`` as
  associated data: a changed byte, a checkpoint moved to another case or event, or one written by an
  engine of another format does not open, and time travel replays instead;
- it is sealed with the case's own key (``engine.privacy.keys``), since it holds the case's personal
  values; a case without a key (no personal value in its events) is sealed with a key derived from the
  current master key. Retention deletes a case's checkpoints with its key, and a shredded case gets none.

Written by a full replay (``verify``), by the scheduler once a day (``build_missing``, for cases with
``EVERY`` or more events since their newest checkpoint) and by the first time-travel view of a case.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import zlib
from dataclasses import dataclass
from datetime import date, datetime
from importlib.metadata import version as package_version
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .replay import Recorded, Replayed

log = logging.getLogger(__name__)

EVERY = 50
# Bump the first part when what a checkpoint holds or how replay reads it changes: older ones become stale.
FORMAT = f"regie-checkpoint-1;spiff-{package_version('SpiffWorkflow')}"
_PREFIX = "v1:"


@dataclass
class Checkpoint:
    """The replay of a case right after event ``seq`` (whose hash is ``hash``)."""

    seq: int
    hash: str
    state: dict            # engine.spiff.dump_instance of the workflow
    counter: int           # the task id sequence's counter
    replayed: Replayed     # without its workflow, its facts and its bookkeeping of seen tasks


def snapshot(out: Replayed, ev: Recorded) -> Checkpoint:
    """A checkpoint of ``out`` right after ``ev`` (time travel shows only the open tasks: only those are kept)."""
    import copy

    from ..spiff import dump_instance

    assert out.live is not None
    kept = copy.copy(out)
    kept.live, kept._seen, kept._arrived = None, set(), set()
    kept.tasks = {t: dict(out.tasks[t]) for t in out.open}
    kept.open = set(out.open)
    kept.task_set_by = {t: dict(out.task_set_by[t]) for t in out.open}
    kept.finished, kept.taken = list(out.finished), list(out.taken)
    kept.facts, kept.versions = [], set(out.versions)
    return Checkpoint(ev.seq, ev.hash, dump_instance(out.live.workflow), out.live.ids.counter, kept)


# --- to and from text -------------------------------------------------------------------------------

def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$t": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    if isinstance(value, set):
        return sorted(value, key=str)
    return str(value)


def _typed(obj: dict) -> Any:
    if len(obj) == 1:
        if "$t" in obj:
            return datetime.fromisoformat(obj["$t"])
        if "$d" in obj:
            return date.fromisoformat(obj["$d"])
    return obj


def encode(point: Checkpoint) -> bytes:
    r = point.replayed
    body = {
        "state": point.state, "counter": point.counter,
        "replayed": {
            "case_id": r.case_id, "process_id": r.process_id, "version_id": r.version_id, "tasks": r.tasks,
            "open": sorted(r.open), "task_set_by": r.task_set_by, "subject": r.subject, "subject_seq": r.subject_seq,
            "casemanager": r.casemanager, "casemanager_seq": r.casemanager_seq, "last_command": r.last_command,
            "last_seq": r.last_seq, "created": list(r.created) if r.created else None, "updated_at": r.updated_at,
            "versions": sorted(r.versions), "finished": r.finished, "taken": [list(t) for t in r.taken],
        },
    }
    return zlib.compress(json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=_plain).encode(), 1)


def decode(seq: int, event_hash: str, raw: bytes) -> Checkpoint:
    body = json.loads(zlib.decompress(raw), object_hook=_typed)
    r = body["replayed"]
    replayed = Replayed(
        r["case_id"], process_id=r["process_id"], version_id=r["version_id"], tasks=r["tasks"], open=set(r["open"]),
        task_set_by=r["task_set_by"], subject=r["subject"], subject_seq=r["subject_seq"],
        casemanager=r["casemanager"], casemanager_seq=r["casemanager_seq"], last_command=r["last_command"],
        last_seq=r["last_seq"], created=tuple(r["created"]) if r["created"] else None,
        updated_at=r["updated_at"], versions=set(r["versions"]), finished=list(r["finished"]),
        taken=[(a, b) for a, b in r["taken"]])
    return Checkpoint(seq, event_hash, body["state"], int(body["counter"]), replayed)


# --- sealing ---------------------------------------------------------------------------------------

def _aad(case_id: str, seq: int, event_hash: str) -> bytes:
    return f"regie:checkpoint:{case_id}:{seq}:{event_hash}:{FORMAT}".encode()


def _master_derived(master: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"regie:checkpoint").derive(master)


def _sealing_key(tx, case_id: str) -> tuple[bytes, str] | None:
    """(key, how) to seal a new checkpoint of the case with; None when its personal data was removed."""
    row = tx.case_key_row(case_id)
    if row is None:
        master = tx.store.master_keys
        return _master_derived(master.keys[master.current]), f"master:{master.current}"
    key = tx.case_key(case_id) if row.wrapped else None
    return (key, "case") if key else None


def _opening_key(tx, case_id: str, sealed_with: str) -> bytes | None:
    if sealed_with == "case":
        return tx.case_key(case_id)
    if sealed_with.startswith("master:"):
        row = tx.case_key_row(case_id)
        if row is not None and row.shredded_at is not None:
            return None
        master = tx.store.master_keys.keys.get(sealed_with.removeprefix("master:"))
        return _master_derived(master) if master else None
    return None


def seal(tx, case_id: str, point: Checkpoint, now: datetime):
    """The row that stores ``point``; None when the case may not get one (its personal data was removed)."""
    from ..store.models import CaseCheckpointRow

    found = _sealing_key(tx, case_id)
    if found is None:
        return None
    key, how = found
    nonce = secrets.token_bytes(12)
    cipher = AESGCM(key).encrypt(nonce, encode(point), _aad(case_id, point.seq, point.hash))
    return CaseCheckpointRow(case_id=case_id, seq=point.seq, event_hash=point.hash, format=FORMAT, sealed_with=how,
                             content=_PREFIX + base64.b64encode(nonce + cipher).decode("ascii"), created_at=now)


def open_row(tx, row) -> Checkpoint | None:
    """The checkpoint a stored row holds; None when it is stale (another format) or does not open (changed,
    moved, sealed with a key that is gone). The caller still checks ``hash`` against the chain."""
    if row.format != FORMAT or not row.content.startswith(_PREFIX):
        return None
    key = _opening_key(tx, row.case_id, row.sealed_with)
    if key is None:
        return None
    try:
        raw = base64.b64decode(row.content[len(_PREFIX):], validate=True)
        plain = AESGCM(key).decrypt(raw[:12], raw[12:], _aad(row.case_id, row.seq, row.event_hash))
        return decode(row.seq, row.event_hash, plain)
    except (InvalidTag, ValueError, KeyError, TypeError, zlib.error) as err:
        log.warning("checkpoint %s/%s is not used: %s", row.case_id, row.seq, err.__class__.__name__)
        return None


# --- reading and writing ----------------------------------------------------------------------------

def load(tx, case_id: str, up_to: int, tries: int = 3) -> tuple[Checkpoint | None, list[int]]:
    """The stored checkpoint nearest before ``up_to`` that opens (not yet checked against the chain), and the
    events of the ones tried before it that did not open (stale or changed: to be replaced). Tries at most
    ``tries`` rows."""
    from ..store import checkpoints as sql

    bad: list[int] = []
    while len(bad) < tries:
        row = sql.best(tx, case_id, up_to)
        if row is None:
            break
        point = open_row(tx, row)
        if point is not None:
            return point, bad
        bad.append(row.seq)
        up_to = row.seq - 1
    return None, bad


def store(engine, case_id: str, points: list[Checkpoint], replace: list[int] | None = None) -> int:
    """Store the ``points`` the database does not have yet (``replace``: events whose stored checkpoint is
    stale or changed, written anew); returns how many were written. Best effort: a checkpoint is only a
    shortcut, so a failure is logged and the caller goes on."""
    from sqlalchemy.exc import SQLAlchemyError

    from ..errors import RegieError
    from ..store import checkpoints as sql

    if not points:
        return 0
    try:
        with engine.store.write() as tx:
            have = sql.stored_seqs(tx, case_id, FORMAT) - set(replace or ())
            now = engine.clock.now()
            rows = [seal(tx, case_id, p, now) for p in points if p.seq not in have]
            rows = [r for r in rows if r is not None]
            sql.save(tx, rows, [r.seq for r in rows])     # stale ones (another format, changed) go
            return len(rows)
    except (SQLAlchemyError, RegieError) as err:
        log.warning("checkpoints of case %s not stored: %s", case_id, err)
        return 0


def drop(engine, case_id: str) -> None:
    """Delete the case's stored checkpoints (they no longer match its chain)."""
    from sqlalchemy.exc import SQLAlchemyError

    from ..errors import RegieError
    from ..store import checkpoints as sql

    try:
        with engine.store.write() as tx:
            sql.delete_case(tx, case_id)
    except (SQLAlchemyError, RegieError) as err:
        log.warning("checkpoints of case %s not deleted: %s", case_id, err)


def build_missing(engine, after: str = "", limit: int = 10) -> tuple[int, str | None]:
    """The scheduler's daily work: for up to ``limit`` cases (by id, after ``after``) with ``EVERY`` or more
    events since their newest checkpoint, replay from that checkpoint and store the new ones. Returns (cases
    done, the id to go on after; None when no case is left)."""
    from ..errors import RegieError
    from ..store import checkpoints as sql
    from .travel import TimeTravel

    with engine.store.read() as tx:
        todo = sql.cases_needing(tx, EVERY, FORMAT, after, limit)
    travel = TimeTravel(engine, cases=1)
    for case_id, last in todo:
        try:
            travel.at(case_id, last)
        except RegieError as err:          # a case that cannot be replayed: verify says why; go on
            log.warning("checkpoints of case %s not built: %s", case_id, err)
    return len(todo), (todo[-1][0] if len(todo) == limit else None)
