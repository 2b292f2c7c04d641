"""Audit bundles: one case in one ZIP file that an outside auditor checks without Regie's database.

Contents (see ``README.txt`` inside, and ``docs/audit.md``):

- ``events.jsonl``    every event, one JSON object per line, the payload exactly as stored (hashed text;
                      personal values sealed with the case key, see ``engine.privacy.keys``)
- ``case.json``       the stored case row, its task rows and timer rows (what verify compares), and the case
                      key that opens the sealed values (none once retention removed the personal data)
- ``model/<version>/bundle.json``  the exact model files of each version the case ran on; their SHA-256
                      (of the canonical JSON) is the version id, and each file is also there on its own
- ``verification.json``  the outcome of verify when the bundle was made
- ``anchor.json``     the newest anchor that covers the case (its signed line) and the public key
- ``SHA256SUMS``      the SHA-256 of every file above (``sha256sum -c SHA256SUMS`` checks it by hand)

``check`` verifies a bundle offline: the ZIP's own checksums, ``SHA256SUMS``, the hash chain line by
line, the version hashes, a full replay compared with ``case.json`` column by column, and the anchor's
signature and head. A one-byte change is located to a file and, where it matters, a line and column.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from ..errors import RegieError
from .chain import canonical_json
from .verify import version_ids as versions_named

TASK_FIELDS = ("id", "case_id", "process_id", "name", "title", "role", "candidate_users", "assignee", "form", "state",
               "due_at", "follow_up_at", "created_at", "completed_at", "completed_by")
CASE_FIELDS = ("id", "number", "process_id", "version_id", "status", "subject", "data", "active", "state",
               "task_counter", "last_seq", "last_hash", "created_at", "created_by", "updated_at", "casemanager")
TIMER_FIELDS = ("task_id", "element", "due_at", "status")
_DATES = {"due_at", "follow_up_at", "created_at", "completed_at", "updated_at"}

README = """Auditbundel van zaak {number} ({case_id}), gemaakt op {made}.

Zo controleert u deze bundel zonder Regie:
1. sha256sum -c SHA256SUMS            -> elk bestand is nog zoals het is gemaakt.
2. events.jsonl, regel voor regel:    hash = SHA-256 van de tekst
     vorige_hash \\n zaak_id \\n volgnummer \\n type \\n tijd (ISO 8601) \\n actor \\n payload
   met \\n een regeleinde; de eerste vorige_hash is 64 nullen. Elke regel noemt zijn eigen hash en de vorige.
3. model/<versie>/bundle.json:        SHA-256 van de JSON met gesorteerde sleutels (json.dumps(..., sort_keys=True,
   ensure_ascii=False)) is de versie-id.
4. anchor.json:                       de Ed25519-handtekening over het anker (zonder "signature", compacte JSON met
   gesorteerde sleutels) klopt met de publieke sleutel van de gemeente, en de hash van het laatste event in het
   anker staat in events.jsonl.
Met Regie: regie audit check {name}
"""


class BundleError(RegieError):
    """A bundle that cannot be read; the message says what is wrong."""


def build(engine, case_id: str, anchor_file: str | Path | None = None, now: datetime | None = None) -> bytes:
    """The audit bundle of one case, as ZIP bytes."""
    from . import anchors
    from .verify import verify_all

    with engine.store.read() as tx:
        case = tx.case(case_id)
        case_fields = {f: _plain(getattr(case, f, None)) for f in CASE_FIELDS}
        events = tx.stored_events(case_id)
        case_key, key_row = tx.case_key(case_id), tx.case_key_row(case_id)
        tasks = tx.case_tasks(case_id)
        timers = tx.case_timers(case_id)
        version_ids = {case.version_id} | versions_named(events)
        versions = {vid: tx.version(vid) for vid in sorted(version_ids)}
    files: dict[str, bytes] = {}
    files["events.jsonl"] = "".join(canonical_json({
        "case_id": e.case_id, "seq": e.seq, "type": e.type, "at": e.at.isoformat(), "actor": e.actor,
        "payload": getattr(e, "stored", e.payload), "prev_hash": e.prev_hash, "hash": e.hash}) + "\n"
        for e in events).encode()
    files["case.json"] = _pretty({
        "case": case_fields,
        "tasks": [{f: _plain(getattr(t, f)) for f in TASK_FIELDS} for t in tasks],
        "timers": [{f: _plain(getattr(t, f)) for f in TIMER_FIELDS} for t in timers],
        # The case's key opens the sealed personal values in events.jsonl (the bundle holds them anyway, in
        # case.json); a case whose personal data was removed has none, and is checked as a skeleton.
        "case_key": base64.b64encode(case_key).decode("ascii") if case_key else None,
        "personal_data_removed_at": _plain(key_row.shredded_at) if key_row is not None else None,
    })
    for vid, row in versions.items():
        if row is None:
            continue
        files[f"model/{vid}/bundle.json"] = row.bundle.encode()
        bundle = json.loads(row.bundle)
        for kind in ("bpmn", "dmn"):
            for name, text in bundle.get(kind, {}).items():
                files[f"model/{vid}/{kind}/{Path(name).name}"] = text.encode()
        for key, text in bundle.get("forms", {}).items():
            files[f"model/{vid}/forms/{key}.yaml"] = text.encode()
    files["verification.json"] = _pretty(verify_all(engine, case_id).to_dict())
    if anchor_file:
        covering = [a for a in anchors.read(anchor_file) if case_id in a.heads]
        if covering:
            files["anchor.json"] = _pretty({"line": covering[-1].line, "head": covering[-1].heads[case_id]})
    made = (now or engine.clock.now()).isoformat()
    name = f"auditbundel-{case.number or case_id[:8]}.zip"
    files["README.txt"] = README.format(number=case.number or "-", case_id=case_id, made=made, name=name).encode()
    files["SHA256SUMS"] = "".join(f"{hashlib.sha256(data).hexdigest()}  {path}\n"
                                  for path, data in sorted(files.items())).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            info = zipfile.ZipInfo(path, date_time=(2000, 1, 1, 0, 0, 0))   # same bytes for the same case
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return out.getvalue()


def file_name(number: str | None, case_id: str) -> str:
    return f"auditbundel-{number or case_id[:8]}.zip"


@dataclass
class BundleReport:
    """The outcome of ``check``: truthy when nothing is wrong; each problem names file, line and column."""

    case_id: str = ""
    events: int = 0
    problems: list[str] = field(default_factory=list)
    anchored: bool = False

    def __bool__(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        if self.problems:
            return "\n".join(self.problems)
        anchored = " en het ondertekende anker" if self.anchored else " (geen anker in de bundel)"
        return f"Bundel van zaak {self.case_id} klopt: {self.events} events, model, toestand{anchored}."


def check(data: bytes, public_key=None) -> BundleReport:
    """Check a bundle (ZIP bytes) without any database; ``public_key`` checks the anchor's signature."""
    report = BundleReport()
    files = _unzip(data, report)
    if files is None:
        return report
    _sums(files, report)
    rows = _events(files.get("events.jsonl", b""), report)
    stored = _json(files, "case.json", report)
    if stored is None or rows is None:
        return report
    case = stored["case"]
    report.case_id, report.events = case["id"], len(rows)
    rows = _opened(rows, stored.get("case_key"), report)
    _replay(files, stored, rows, report)
    _anchor(files, case["id"], rows, public_key, report)
    return report


# --- checking, part by part ----------------------------------------------------------------------

def _unzip(data: bytes, report: BundleReport) -> dict[str, bytes] | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            files = {}
            for info in archive.infolist():
                try:
                    files[info.filename] = archive.read(info)
                except (zipfile.BadZipFile, zlib_error()) as err:
                    report.problems.append(f"bestand {info.filename}: de inhoud is beschadigd of gewijzigd ({err})")
            return files
    except zipfile.BadZipFile as err:
        report.problems.append(f"dit is geen leesbare ZIP-bundel ({err})")
        return None


def offline_engine():
    """An engine with no database of its own (an empty in-memory SQLite that is never used): enough to
    parse the bundled model and replay the events."""
    from ..runtime import Engine
    from ..store import Store

    return Engine(Store("sqlite://"), cache_size=0)


def zlib_error():
    import zlib

    return zlib.error


def _sums(files: dict[str, bytes], report: BundleReport) -> None:
    listed = {}
    for line in files.get("SHA256SUMS", b"").decode("utf-8", "replace").splitlines():
        digest, _, path = line.partition("  ")
        listed[path] = digest
    if not listed:
        report.problems.append("bestand SHA256SUMS ontbreekt of is leeg")
    for path, digest in listed.items():
        if path not in files:
            report.problems.append(f"bestand {path} ontbreekt")
        elif hashlib.sha256(files[path]).hexdigest() != digest:
            report.problems.append(f"bestand {path}: de SHA-256 wijkt af van SHA256SUMS (gewijzigd na het maken)")
    for path in files:
        if path != "SHA256SUMS" and path not in listed:
            report.problems.append(f"bestand {path} staat niet in SHA256SUMS (toegevoegd na het maken)")


def _events(data: bytes, report: BundleReport) -> list[SimpleNamespace] | None:
    from .chain import check_chain

    rows = []
    for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
        try:
            item = json.loads(line)
            rows.append(SimpleNamespace(case_id=item["case_id"], seq=item["seq"], type=item["type"],
                                        at=datetime.fromisoformat(item["at"]), actor=item["actor"],
                                        payload=item["payload"], prev_hash=item["prev_hash"], hash=item["hash"]))
        except (ValueError, KeyError, TypeError) as err:
            report.problems.append(f"bestand events.jsonl, regel {number}: geen geldig event ({err})")
            return None
    if not rows:
        report.problems.append("bestand events.jsonl bevat geen events")
        return None
    for p in check_chain(rows[0].case_id, rows):
        report.problems.append(f"bestand events.jsonl, regel {p.seq}: {p.message}")
    return rows


def _opened(rows: list[SimpleNamespace], case_key: str | None, report: BundleReport) -> list[SimpleNamespace]:
    """Sealed events opened with the bundled case key: ``payload`` the original, ``stored`` the hashed text."""
    from ..privacy.keys import is_sealed_text, unseal

    if not case_key:
        return rows
    key = base64.b64decode(case_key)
    out = []
    for row in rows:
        if is_sealed_text(row.payload):
            try:
                opened = canonical_json(unseal(json.loads(row.payload), key, row.case_id, row.seq))
                row = SimpleNamespace(**{**vars(row), "payload": opened, "stored": row.payload})
            except RegieError as err:
                report.problems.append(f"bestand events.jsonl, regel {row.seq}: {err}")
        out.append(row)
    return out


def _json(files: dict[str, bytes], path: str, report: BundleReport) -> Any:
    try:
        return json.loads(files[path])
    except KeyError:
        report.problems.append(f"bestand {path} ontbreekt")
    except ValueError as err:
        report.problems.append(f"bestand {path}: geen geldige JSON ({err})")
    return None


def _replay(files, stored, rows, report: BundleReport) -> None:
    """Replay the events on the bundled model and compare with case.json, as verify does."""
    from ..definitions import load_version
    from .verify import check_case

    versions = {}
    for path, data in files.items():
        if path.startswith("model/") and path.endswith("/bundle.json"):
            vid = path.split("/")[1]
            versions[vid] = SimpleNamespace(bundle=data.decode("utf-8", "replace"))
    engine = offline_engine()
    for vid, row in versions.items():
        try:
            engine._versions[vid] = load_version(json.loads(row.bundle), engine.evaluator)
        except (RegieError, ValueError, KeyError) as err:
            report.problems.append(f"bestand model/{vid}/bundle.json: het model is niet te lezen ({err})")
            return
    case = SimpleNamespace(**{f: _typed(f, v) for f, v in stored["case"].items()})
    case.state = case.state if isinstance(case.state, str) else json.dumps(case.state)
    tasks = [SimpleNamespace(**{f: _typed(f, v) for f, v in t.items()}) for t in stored.get("tasks", [])]
    timers = [SimpleNamespace(**{f: _typed(f, v) for f, v in t.items()}) for t in stored.get("timers", [])]
    needed = {case.version_id} | versions_named(rows)
    version_rows = {vid: versions.get(vid) for vid in needed}
    removed = stored.get("personal_data_removed_at")
    findings = check_case(engine, case, rows, json.loads(case.state), tasks, timers, version_rows,
                          removed=_typed("updated_at", removed) if removed else None)
    for f in findings:
        where = "events.jsonl" if f.table == "case_events" else "model" if f.table == "process_versions" else "case.json"
        report.problems.append(f"bestand {where}: {f}")


def _anchor(files, case_id: str, rows, public_key, report: BundleReport) -> None:
    from cryptography.exceptions import InvalidSignature

    from . import anchors

    if "anchor.json" not in files:
        return
    item = json.loads(files["anchor.json"])
    anchor = anchors._anchor(json.loads(item["line"]), item["line"])
    head = anchor.heads.get(case_id)
    if public_key is not None:
        try:
            public_key.verify(base64.b64decode(anchor.signature),
                              canonical_json(anchor.signed_part()).encode())
        except (InvalidSignature, ValueError):
            report.problems.append("bestand anchor.json: de handtekening klopt niet met de publieke sleutel")
    if head is None:
        report.problems.append("bestand anchor.json: het anker noemt deze zaak niet")
        return
    stored = next((r.hash for r in rows if r.seq == head[0]), None)
    if stored != head[1]:
        report.problems.append(f"bestand events.jsonl, regel {head[0]}: de hash wijkt af van het anker van {anchor.at} "
                               "(de geschiedenis is herschreven)")
    report.anchored = True


# --- helpers -------------------------------------------------------------------------------------

def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _typed(name: str, value: Any) -> Any:
    if name in _DATES and isinstance(value, str):
        return datetime.fromisoformat(value)
    return value


def _pretty(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
