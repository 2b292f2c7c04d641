"""Audit: the hash chain over events, the access log, verify of every stored fact, anchors, bundles.

``engine.audit`` keeps the names the rest of the engine imports (``Event``, ``canonical_json``,
``event_hash``, ``check_chain``, ``GENESIS``); the jobs live in one module each:

- ``chain``   the per-case hash chain over events
- ``access``  the access log: who read which case's personal data, hash-chained like the events
"""

from .chain import GENESIS, ChainProblem, Event, canonical_json, check_chain, event_hash

__all__ = ["GENESIS", "ChainProblem", "Event", "canonical_json", "check_chain", "event_hash"]
