"""Impact check and migration of running cases to another version of their process.

``impact`` replays every running case (or the ones named) on the target version and says which can
move and why the others cannot. ``migrate`` does the same and, unless it is a dry run, moves each case
that can: in one transaction per case its workflow becomes the replay's result, its open tasks and
timers follow, and a ``case_migrated`` event joins its history. A case that changed since it was
replayed is left alone (the revision check), so a migration never overwrites someone's work.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ..audit import Event
from ..errors import RegieError
from ..store import library as queries
from . import library
from .impact import MIGRATED, ReplayOutcome, replay_events, summarise


@dataclass
class MigrationReport:
    """Per case: the replay outcome; ``moved`` lists the cases that were moved (none in a dry run)."""

    process_id: str
    to_version: library.VersionInfo
    dry_run: bool
    outcomes: list[ReplayOutcome] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)     # already on the target version
    running: int = 0                                     # running cases of the process (also those not replayed)

    @property
    def movable(self) -> list[ReplayOutcome]:
        return [o for o in self.outcomes if o.ok]

    @property
    def blocked(self) -> list[ReplayOutcome]:
        return [o for o in self.outcomes if not o.ok]

    def summary(self) -> str:
        """"N zaken kunnen over naar versie X, M niet, omdat …" (Dutch)."""
        can, cannot, reasons = summarise(self.outcomes)
        text = f"{can} {_zaken(can)} {'kan' if can == 1 else 'kunnen'} over naar versie {self.to_version.number}"
        if cannot:
            why = "; ".join(f"{reason}: {n}" for reason, n in reasons)
            text += f", {cannot} niet, omdat {why}"
        text += "."
        if self.skipped:
            text += f" {len(self.skipped)} {_zaken(len(self.skipped))} {'staat' if len(self.skipped) == 1 else 'staan'} al op die versie."
        if not self.dry_run:
            text += f" Verplaatst: {len(self.moved)}."
        return text

    def to_dict(self) -> dict:
        return {"process_id": self.process_id, "to_version": self.to_version.id, "number": self.to_version.number,
                "dry_run": self.dry_run, "summary": self.summary(), "moved": self.moved, "skipped": self.skipped,
                "cases": [o.to_dict() for o in self.outcomes]}


def impact(engine, process_id: str, to_version: str, mapping: dict[str, str] | None = None,
           case_ids: list[str] | None = None) -> MigrationReport:
    """Which running cases could move to ``to_version`` (number, id prefix or id) and why the others not."""
    return migrate(engine, process_id, to_version, case_ids, mapping, dry_run=True)


def migrate(engine, process_id: str, to_version: str, case_ids: list[str] | None = None,
            mapping: dict[str, str] | None = None, dry_run: bool = True, actor: str = "system",
            limit: int | None = None) -> MigrationReport:
    """Move running cases of ``process_id`` to ``to_version``; ``dry_run`` only reports what would happen.

    ``limit``: look at the oldest ``limit`` running cases only (a screen's worth; the report says how many run).
    """
    target_info = library.resolve(engine, process_id, to_version)
    if target_info.documentation:
        raise RegieError("Deze versie is alleen documentatie; er kunnen geen zaken naartoe.")
    if target_info.status == "pending" and not dry_run:
        raise RegieError(f"Versie {target_info.number} wacht nog op goedkeuring (vier ogen). Zaken kunnen pas over "
                         "als een tweede beleidsmedewerker haar heeft goedgekeurd.")
    target = engine.version(target_info.id)
    mapping = {str(k): str(v) for k, v in (mapping or {}).items()}
    ids = [engine.resolve_case(c) for c in case_ids] if case_ids else None
    with engine.store.read() as tx:
        cases = queries.running_cases(tx, process_id, ids=ids)
    if ids is not None and len(cases) != len(set(ids)):
        found = {c.id for c in cases}
        missing = [c for c in ids if c not in found]
        raise RegieError(f"Deze zaken lopen niet (meer) in het proces '{process_id}': {', '.join(m[:8] for m in missing)}. "
                         "Alleen lopende zaken kunnen over.")
    report = MigrationReport(process_id, target_info, dry_run, running=len(cases))
    for case in cases[:limit] if limit else cases:
        if case.version_id == target.id:
            report.skipped.append(case.id)
            continue
        with engine.store.read() as tx:
            events = tx.events(case.id)
        outcome = replay_events(engine, case.id, events, target, mapping, case.task_counter)
        outcome.number = getattr(case, "number", "") or ""
        outcome.before = json.loads(case.active or "[]")
        report.outcomes.append(outcome)
        if outcome.ok and not dry_run and _move(engine, case, outcome, target, mapping, actor):
            report.moved.append(case.id)
    return report


def _move(engine, case, outcome: ReplayOutcome, target, mapping, actor: str) -> bool:
    """Store the migrated workflow; False when the case changed since it was replayed."""
    now = engine.clock.now()
    event = Event(MIGRATED, {
        "from_version": case.version_id, "to_version": target.id, "mapping": mapping, "counter": case.task_counter,
        "active": outcome.active,
    })
    with engine.commands.step(actor) as step:
        row = step.lock_case(case.id)
        if row is None or row.revision != case.revision or row.status != "running":
            return False
        row.version_id = target.id
        step.adopt(outcome.live, target)
        step.persist([event], now)
    return True


def _zaken(n: int) -> str:
    return "zaak" if n == 1 else "zaken"


def mapping_from_text(text: str) -> dict[str, str]:
    """``oud=nieuw, oud2=nieuw2`` (or a JSON object) as a mapping of element ids."""
    text = (text or "").strip()
    if not text:
        return {}
    if text.startswith("{"):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as err:
            raise RegieError(f"De koppeling is geen geldige JSON ({err.msg}).") from err
        if not isinstance(value, dict):
            raise RegieError('Geef de koppeling als {"oud": "nieuw"}.')
        return {str(k): str(v) for k, v in value.items()}
    pairs = {}
    for part in text.replace("\n", ",").split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise RegieError(f"'{part.strip()}' is geen koppeling. Schrijf oud_element=nieuw_element.")
        old, new = part.split("=", 1)
        pairs[old.strip()] = new.strip()
    return pairs
