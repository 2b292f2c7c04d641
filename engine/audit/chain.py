"""The hash chain over a case's events.

Each event's hash covers its own content and the previous event's hash, so changing, removing or
reordering any stored event breaks every hash after it. ``canonical_json`` is the one JSON form the
engine hashes and stores, so a hash can be recomputed from the stored text alone.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

GENESIS = "0" * 64


def _default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):   # (json writes tuples as lists itself)
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def canonical_json(value: Any) -> str:
    """Compact, key-sorted JSON: the form that is hashed and stored."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default)


def event_hash(prev_hash: str, case_id: str, seq: int, type_: str, at: datetime, actor: str, payload: str) -> str:
    """The chained hash of one event; ``payload`` is its stored canonical JSON text."""
    text = "\n".join((prev_hash, case_id, str(seq), type_, at.isoformat(), actor, payload))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Event:
    """An event as the engine writes it; the store adds sequence number and hashes."""

    type: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    message: str


def check_chain(case_id: str, events) -> list[ChainProblem]:
    """Recompute the chain of stored events (objects with seq, type, at, actor, payload, prev_hash, hash)."""
    problems = []
    prev = GENESIS
    for expected_seq, ev in enumerate(events, start=1):
        if ev.seq != expected_seq:
            problems.append(ChainProblem(ev.seq, f"event {expected_seq} ontbreekt of staat op de verkeerde plek"))
            break
        if ev.prev_hash != prev:
            problems.append(ChainProblem(ev.seq, "de verwijzing naar het vorige event klopt niet"))
        stored = getattr(ev, "stored", ev.payload)     # sealed events: the chain covers the stored ciphertext
        if event_hash(prev, case_id, ev.seq, ev.type, ev.at, ev.actor, stored) != ev.hash:
            problems.append(ChainProblem(ev.seq, "de inhoud is gewijzigd na het opslaan (hash klopt niet)"))
        prev = ev.hash
    return problems
