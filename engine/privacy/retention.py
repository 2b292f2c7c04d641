"""Retention: when a closed case's period ends, its personal data is removed and its skeleton stays.

``expired`` lists the closed cases whose retention period (``engine.privacy.config``, counted from
the ``case_completed`` event) has ended at ``now``; ``run`` removes their personal data, one case per
transaction:

- the case key is deleted (``engine.privacy.keys``): every sealed value in the case's events — form
  data, gateway values, corrections, reasons — can never be read again, while the events and their hash
  chain stay exactly as they were, so ``verify`` still passes;
- the case row keeps its steps and dates: ``data`` and ``subject`` are emptied, and the stored workflow
  keeps its tasks but loses every task's and the workflow's data;
- drafts of its tasks and its time-travel checkpoints are deleted, incidents keep when and where but not
  their message;
- a ``personal_data_removed`` event (who, when, which period) is appended to the chain.

What stays for accountability: the event types, steps (elements, task ids and titles), who did them
and when, gateway outcomes without the values they read, the case number and status. A case with
events written before per-case keys existed (plain personal values in the chain) cannot be shredded
without breaking the chain; ``run`` leaves it and says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..audit import Event
from ..errors import PrivacyError
from . import config

REMOVED = "personal_data_removed"


def local_day(moment: datetime) -> str:
    from ..forms import local_date

    day = local_date(moment)
    return f"{day.day:02d}-{day.month:02d}-{day.year}"


@dataclass(frozen=True)
class Expired:
    case_id: str
    number: str | None
    process_id: str
    closed_at: datetime
    ends_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "number": self.number, "process_id": self.process_id,
                "closed_at": self.closed_at.isoformat(), "ends_at": self.ends_at.isoformat()}


@dataclass
class RetentionResult:
    removed: list[Expired]
    skipped: list[tuple[Expired, str]]     # (case, why not)


def expired(engine, now: datetime | None = None, config_path=None) -> list[Expired]:
    """The closed cases whose retention period has ended at ``now`` (default: the engine's clock)."""
    from ..store.retention import closed_cases

    now = now or engine.clock.now()
    settings = config.load(config_path)
    with engine.store.read() as tx:
        rows = closed_cases(tx, sorted(settings))
    found = []
    for case_id, number, process_id, closed_at in rows:
        ends = settings[process_id].retention.ends(closed_at)
        if ends <= now:
            found.append(Expired(case_id, number, process_id, closed_at, ends))
    return found


def run(engine, actor: str, dry_run: bool = False, config_path=None) -> RetentionResult:
    """Remove the personal data of every expired case (``dry_run``: only list them)."""
    if not actor or not actor.strip():
        raise PrivacyError("Zeg wie de bewaartermijn uitvoert (--as GEBRUIKER): dat komt in de log van elke zaak.")
    cases = expired(engine, config_path=config_path)
    result = RetentionResult([], [])
    if dry_run:
        result.removed = cases
        return result
    settings = config.load(config_path)
    for item in cases:
        try:
            remove(engine, item, actor, settings[item.process_id].retention.dutch())
            result.removed.append(item)
        except PrivacyError as err:
            result.skipped.append((item, str(err)))
    return result


def remove(engine, item: Expired, actor: str, period: str) -> None:
    """Remove one case's personal data (see the module docstring); all or nothing."""
    from ..privacy.keys import SEALED, is_sealed_text
    from ..store.retention import remove_side_data, shred_key

    now = engine.clock.now()
    with engine.commands.step(actor) as step:
        case = step.lock_case(item.case_id)
        if case is None or case.status != "completed":
            raise PrivacyError(f"Zaak {item.number or item.case_id} is niet (meer) gesloten; er is niets verwijderd.")
        for row in step.tx.stored_events(case.id):
            if not is_sealed_text(row.payload) and any(
                    json.loads(row.payload).get(k) not in (None, "", {}, []) for k in SEALED):
                raise PrivacyError(
                    f"Zaak {item.number or item.case_id} heeft events van vóór de versleuteling (event {row.seq}) met "
                    "persoonsgegevens. Die zijn niet te verwijderen zonder de keten te breken; er is niets verwijderd.")
        shred_key(step.tx, case.id, now, actor)
        step.record([Event(REMOVED, {"closed_at": item.closed_at.isoformat(), "retention": period,
                                     "process_id": item.process_id})], now)
        case.data, case.subject = "{}", ""
        case.state = json.dumps(_without_data(json.loads(step.tx.case_state(case.id))), separators=(",", ":"),
                                ensure_ascii=False)
        step.tx.save_case(case)
        remove_side_data(step.tx, case.id)
        step.rows_changed()          # the cached workflow (with its data) is not kept
    engine.commands.forget(item.case_id)


def _without_data(value: Any) -> Any:
    """The serialized workflow with every ``data`` (of the workflow and of each task) emptied, and every
    task's data ``delta`` (SpiffWorkflow stores a task's data as changes against its parent's)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if k in ("data", "internal_data") and isinstance(v, dict):
                out[k] = {}
            elif k == "delta" and isinstance(v, dict):
                out[k] = {"updates": {}, "deletions": []}
            else:
                out[k] = _without_data(v)
        return out
    if isinstance(value, list):
        return [_without_data(v) for v in value]
    return value
