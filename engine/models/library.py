"""The model library: every process with its versions, deploying with a change note, four-eyes approval.

A version is immutable and content-addressed (``engine.definitions``). Deploying stores a new version
with who deployed it, when and why (the change note); running cases stay on the version they started
on. With four eyes, a new version waits (``pending``) until a second policy officer approves it; only
then do new cases start on it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from ..definitions import SourceFile, compile_models
from ..errors import ModelError, ModelProblem, NotFoundError, PermissionDenied, RegieError
from ..store import VersionRow
from ..store import library as queries


@dataclass(frozen=True)
class VersionInfo:
    """One version as the library lists it."""

    id: str
    process_id: str
    number: int                  # 1 for the first version of the process, in order of deployment
    name: str
    deployed_at: datetime
    deployed_by: str
    note: str
    status: str                  # live, pending
    approved_by: str | None
    current: bool
    running_cases: int
    all_cases: int
    documentation: bool
    forms: tuple[str, ...] = field(default=())
    decisions: tuple[str, ...] = field(default=())
    files: tuple[str, ...] = field(default=())

    @property
    def short(self) -> str:
        return self.id[:12]


@dataclass(frozen=True)
class ProcessInfo:
    id: str
    name: str
    versions: list[VersionInfo]

    @property
    def current(self) -> VersionInfo | None:
        return next((v for v in self.versions if v.current), None)

    @property
    def pending(self) -> list[VersionInfo]:
        return [v for v in self.versions if v.status == "pending"]


class UnknownVersion(NotFoundError):
    def __init__(self, process_id: str, ref: str):
        super().__init__(
            f"Versie '{ref}' van het proces '{process_id}' bestaat niet. Geef het versienummer (1, 2, …) "
            "of het begin van de versiecode, zoals de modellenbibliotheek ze toont."
        )


def catalogue(engine, process_id: str | None = None) -> list[ProcessInfo]:
    """Every process (or one) with all its versions, oldest version first."""
    with engine.store.read() as tx:
        rows = queries.all_versions(tx, process_id)
        counts = queries.case_counts(tx, process_id)
        current = queries.current_ids(tx)
    processes: dict[str, list[VersionInfo]] = {}
    for row in rows:
        versions = processes.setdefault(row.process_id, [])
        versions.append(_info(row, row.number or len(versions) + 1, current.get(row.process_id) == row.id,
                              counts.get(row.id)))
    return [ProcessInfo(pid, (_current(vs) or vs[-1]).name, vs) for pid, vs in sorted(processes.items())]


def process(engine, process_id: str) -> ProcessInfo:
    found = catalogue(engine, process_id)
    if not found:
        from ..errors import UnknownProcess

        raise UnknownProcess(process_id)
    return found[0]


def resolve(engine, process_id: str, ref: str) -> VersionInfo:
    """A version of ``process_id`` by number (``3``), ``current``, or the start of its id."""
    versions = process(engine, process_id).versions
    ref = (ref or "").strip()
    if ref in ("current", "huidig", "huidige"):
        found = _current(versions)
        if found:
            return found
    if ref.isdigit() and len(ref) < 6:
        numbered = [v for v in versions if v.number == int(ref)]
        if numbered:
            return numbered[0]
    matches = [v for v in versions if len(ref) >= 4 and v.id.startswith(ref.lower())]
    if len(matches) == 1:
        return matches[0]
    raise UnknownVersion(process_id, ref)


def deploy(engine, sources: list[SourceFile], actor: str, note: str = "", four_eyes: bool = False,
           documentation: bool = False) -> list[VersionInfo]:
    """Validate ``sources`` and store each process in them as a version with ``note``.

    ``four_eyes``: a new version waits for another policy officer's approval (``approve``) before new
    cases start on it. Raises ``ModelError`` (nothing stored) when a file has a problem.
    """
    note = (note or "").strip()
    if len(note) > 2000:
        raise ModelError([ModelProblem("", "", "De toelichting is te lang. Houd het bij 2000 tekens.")])
    if not sources:
        raise ModelError([ModelProblem("", "", "Er zijn geen bestanden om uit te rollen.")])
    versions = compile_models(sources, engine.evaluator, engine._deployed_forms(), documentation)
    now = engine.clock.now()
    stored = []
    with engine.store.write() as tx:
        for version in versions:
            row, _new = queries.store_version(tx, VersionRow(
                id=version.id, process_id=version.process_id, name=version.name,
                bundle=_canonical(version.bundle), deployed_at=now, deployed_by=actor, note=note,
                status="pending" if four_eyes else "live",
            ), make_current=not four_eyes)
            stored.append(row.id)
    for version in versions:
        engine._versions.setdefault(version.id, version)
    found = {v.id: v for p in catalogue(engine) for v in p.versions}
    return [found[v] for v in stored]


def approve(engine, version_id: str, actor: str) -> VersionInfo:
    """Second pair of eyes: make a pending version live. Its deployer cannot approve it themselves."""
    now = engine.clock.now()
    with engine.store.write() as tx:
        row = tx.version(version_id)
        if row is None:
            raise NotFoundError(f"De versie '{version_id[:12]}' bestaat niet. Ververs de bibliotheek.")
        if row.status != "pending":
            raise RegieError("Deze versie is al in gebruik; er valt niets goed te keuren.")
        if row.deployed_by == actor:
            raise PermissionDenied(
                "U heeft deze versie zelf klaargezet. Een andere beleidsmedewerker moet haar goedkeuren "
                "(vier ogen).")
        queries.make_live(tx, row, actor, now)
        process_id = row.process_id
    return next(v for v in process(engine, process_id).versions if v.id == version_id)


def bundle(engine, version_id: str) -> dict:
    """The stored files of a version (``bpmn``, ``dmn``, ``forms``, ``start_form``), unparsed."""
    with engine.store.read() as tx:
        row = tx.version(version_id)
    if row is None:
        raise NotFoundError(f"De versie '{version_id[:12]}' bestaat niet.")
    return json.loads(row.bundle)


def sources_of(bundle_: dict) -> list[SourceFile]:
    """A version's files as sources, to compile again (with edits) or compare."""
    sources = [SourceFile(n, "bpmn", t) for n, t in bundle_.get("bpmn", {}).items()]
    sources += [SourceFile(n, "dmn", t) for n, t in bundle_.get("dmn", {}).items()]
    sources += [SourceFile(f"{k}.yaml", "form", t) for k, t in bundle_.get("forms", {}).items()]
    return sources


def _current(versions: list[VersionInfo]) -> VersionInfo | None:
    return next((v for v in versions if v.current), None)


def _info(row: VersionRow, number: int, current: bool, counts: tuple[int, int] | None) -> VersionInfo:
    content = json.loads(row.bundle)
    decisions = tuple(sorted(content.get("dmn", {})))
    return VersionInfo(
        row.id, row.process_id, number, row.name, row.deployed_at, row.deployed_by, row.note or "",
        row.status or "live", row.approved_by, current, *(counts or (0, 0)), bool(content.get("documentation")),
        tuple(sorted(content.get("forms", {}))), decisions,
        tuple(sorted([*content.get("bpmn", {}), *content.get("dmn", {})])),
    )


def _canonical(value) -> str:
    from ..audit import canonical_json

    return canonical_json(value)


def compare(engine, process_id: str, old_ref: str, new_ref: str):
    """``engine.models.diff.VersionDiff`` from version ``old_ref`` to ``new_ref`` (numbers or id prefixes)."""
    from .diff import diff_bundles

    old, new = resolve(engine, process_id, old_ref), resolve(engine, process_id, new_ref)
    return old, new, diff_bundles(bundle(engine, old.id), bundle(engine, new.id))
