"""Files sent with a task form (the ``file`` form field type, issue #18).

A caseworker attaches a document (a PDF, a scan, a photo) to a task form. The file is checked before
anything is written: its size against ``max_bytes()`` (``REGIE_UPLOAD_MAX_MB``, default 10 MB) and its
type by its first bytes, not by its name or the browser's word for it — only PDF, PNG and JPEG, so no
HTML, SVG or program can ride along. The content goes into a table of its own (``case_files``, outside
any web root) in the transaction that completes the task; the case data and the event log hold only a
reference ``{id, name, size, type, sha256}``, so the log and ``verify`` stay small. The web app serves a
file only to the case team, as a download (``Content-Disposition: attachment``, ``nosniff``), and writes
every download to the access log.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
from dataclasses import dataclass
from typing import Any

from .errors import FieldProblem, InvalidData

DEFAULT_MAX_MB = 10

# Magic bytes -> media type. Everything else is refused.
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
EXTENSIONS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}

WRONG_TYPE = ("Dit soort bestand kan niet. Stuur een PDF, een PNG of een JPG (foto). Heeft u een ander "
              "bestand, zoals een Word-bestand? Sla het eerst op als PDF en stuur het dan.")
EMPTY = "Dit bestand is leeg. Kies het bestand opnieuw."


def max_bytes() -> int:
    """The size limit of one file: ``REGIE_UPLOAD_MAX_MB`` megabytes (default 10)."""
    try:
        megabytes = float(os.environ.get("REGIE_UPLOAD_MAX_MB", DEFAULT_MAX_MB))
    except ValueError:
        megabytes = DEFAULT_MAX_MB
    return int(megabytes * 1_000_000)


def too_large(limit: int) -> str:
    megabytes = f"{limit / 1_000_000:g}".replace(".", ",")
    return (f"Dit bestand is te groot. Een bestand mag hoogstens {megabytes} MB zijn. "
            "Maak het kleiner (bijvoorbeeld een scan met een lagere resolutie) of stuur alleen de nodige bladzijden.")


@dataclass(frozen=True)
class Upload:
    """A file as it arrived: the name the sender gave it and its bytes."""

    filename: str
    content: bytes


def from_json(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Upload]]:
    """Files sent inside JSON form data (the REST API), as Camunda's REST API sends a ``File`` variable:
    a field whose value is ``{"filename": "...", "content_base64": "..."}``. Returns the data without them
    and the files by field; content that is not base64 is refused (``InvalidData``), nothing written."""
    import base64
    import binascii

    plain: dict[str, Any] = {}
    files: dict[str, Upload] = {}
    problems = []
    for field, value in data.items():
        if isinstance(value, dict) and set(value) == {"filename", "content_base64"}:
            name, content = value["filename"], value["content_base64"]
            try:
                if not isinstance(name, str) or not isinstance(content, str):
                    raise ValueError
                files[field] = Upload(name, base64.b64decode(content.encode("ascii"), validate=True))
            except (ValueError, binascii.Error):
                problems.append(FieldProblem(field, "Stuur het bestand als {\"filename\": \"naam.pdf\", "
                                                    "\"content_base64\": \"...\"} met de inhoud in base64."))
        else:
            plain[field] = value
    if problems:
        raise InvalidData(problems)
    return plain, files


@dataclass(frozen=True)
class StoredFile:
    """A checked file, ready to be written with the task it belongs to."""

    id: str
    field: str
    name: str
    media_type: str
    size: int
    sha256: str
    content: bytes

    @property
    def reference(self) -> dict[str, Any]:
        """What the case data (and so the event log) holds instead of the bytes."""
        return {"id": self.id, "name": self.name, "size": self.size, "type": self.media_type, "sha256": self.sha256}


@dataclass(frozen=True)
class CaseFile:
    """A stored file as the web app serves it (``Engine.case_file``)."""

    id: str
    case_id: str
    name: str
    media_type: str
    size: int
    sha256: str
    content: bytes


def sniff(content: bytes) -> str | None:
    """The media type the first bytes show, or None when it is not a PDF, PNG or JPEG."""
    return next((kind for magic, kind in SIGNATURES if content.startswith(magic)), None)


def safe_name(filename: str, media_type: str) -> str:
    """The sender's file name without any path, control characters or quotes, at most 120 characters,
    ending in the extension of what the file really is."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in unicodedata.normalize("NFC", name)
                   if unicodedata.category(c)[0] != "C" and c not in '"<>:|?*;')
    stem = name.rsplit(".", 1)[0].strip(" .") if "." in name else name.strip(" .")
    return (stem[:100] or "bestand") + EXTENSIONS[media_type]


def check(files: dict[str, Upload], new_id, limit: int | None = None) -> list[StoredFile]:
    """Every file checked (size, type by content); raise ``InvalidData`` naming each refused field, so
    nothing is written. ``new_id`` is the engine's id provider."""
    limit = max_bytes() if limit is None else limit
    problems, checked = [], []
    for field, upload in files.items():
        content = upload.content
        if len(content) > limit:
            problems.append(FieldProblem(field, too_large(limit)))
            continue
        if not content:
            problems.append(FieldProblem(field, EMPTY))
            continue
        kind = sniff(content)
        if kind is None:
            problems.append(FieldProblem(field, WRONG_TYPE))
            continue
        checked.append(StoredFile(new_id(), field, safe_name(upload.filename, kind), kind, len(content),
                                  hashlib.sha256(content).hexdigest(), content))
    if problems:
        raise InvalidData(problems)
    return checked


def check_references(form, data: dict[str, Any], stored: list[StoredFile]) -> None:
    """A file field's value must be a file sent with this very submission: a reference typed into the data
    (say over the API) could otherwise point at another case's file."""
    sent = {f.field: f.id for f in stored}
    problems = [FieldProblem(f.name, "Stuur het bestand zelf mee met het formulier.")
                for f in (form.fields if form is not None else ())
                if f.type == "file" and f.name in data
                and (not isinstance(data[f.name], dict) or data[f.name].get("id") != sent.get(f.name))]
    problems += [FieldProblem(name, "Dit veld is geen bestandsveld van dit formulier.")
                 for name in sent if form is None or (form.field(name) is None or form.field(name).type != "file")]
    if problems:
        raise InvalidData(problems, form.key if form is not None else "")
