"""The access log: every read of a case's personal data, recorded and hash-chained like the events.

One chain over the whole log (not per case): each row's hash covers its content and the previous
row's hash, so removing, changing or reordering a row breaks every hash after it, and the head of the
chain can be signed in an anchor like the heads of the case chains. Appends are serialised (SQLite:
``BEGIN IMMEDIATE``; PostgreSQL: an advisory lock for the transaction).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from ..errors import RegieError
from .chain import GENESIS, ChainProblem, canonical_json

# Page names callers use; free to extend, but keep them short and stable (they are filtered on).
PAGES = {
    "zaak": "Zaakpagina",
    "taak": "Taakpagina",
    "diagram": "Diagram van de zaak",
    "cli-state": "Toestand (regie state)",
    "cli-history": "Geschiedenis (regie history)",
    "controle-zaak": "Controle: tijdlijn",
    "controle-tijdreis": "Controle: zaak op een moment",
    "controle-tonen": "Controle: persoonsgegevens getoond",
    "controle-export": "Controle: auditbundel",
    "controle-controle": "Controle: integriteit gecontroleerd",
    "export": "Export",
    "privacy-inzage": "Privacy: inzage door de inwoner",
    "afspraakkaart": "Afspraakkaart",
    "doorbraak": "Zaak buiten het eigen werk geopend",
    "api": "API (ander systeem)",
}


@dataclass(frozen=True)
class AccessEntry:
    """One row of the access log as the facade returns it."""

    seq: int
    at: datetime
    actor: str
    case_id: str | None
    page: str
    reason: str | None
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return json.loads(canonical_json(asdict(self)))

    @property
    def page_label(self) -> str:
        if self.page.startswith("bestand "):                  # 'bestand <file id>': a downloaded file
            return "Bestand " + self.page.removeprefix("bestand ")
        return PAGES.get(self.page, self.page)


def access_hash(prev_hash: str, seq: int, at: datetime, actor: str, case_id: str | None, page: str,
                reason: str | None) -> str:
    text = "\n".join((prev_hash, str(seq), at.isoformat(), actor, case_id or "", page, reason or ""))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def record(store, at: datetime, actor: str, case_id: str | None, page: str, reason: str | None = None) -> AccessEntry:
    """Append one row to the access log in its own transaction; returns it."""
    from ..store.audit import add_access, last_access, lock_access_chain
    from ..store.models import AccessRow

    if not actor or not page:
        raise RegieError("Geef aan wie de gegevens bekijkt en op welke pagina; er is niets vastgelegd.")
    reason = (reason or "").strip() or None
    with store.write() as tx:
        lock_access_chain(tx)
        last = last_access(tx)
        seq, prev = (last.seq + 1, last.hash) if last else (1, GENESIS)
        stored = _sealed_reason(tx, case_id, reason, at)
        row = AccessRow(seq=seq, at=at, actor=actor, case_id=case_id, page=page[:100], reason=stored,
                        prev_hash=prev, hash=access_hash(prev, seq, at, actor, case_id, page[:100], stored))
        add_access(tx, row)
        return AccessEntry(row.seq, row.at, row.actor, row.case_id, row.page, reason, row.hash)


def _sealed_reason(tx, case_id: str | None, reason: str | None, at: datetime) -> str | None:
    """A reason about one case is sealed with the case's key (it may name the resident), so retention's
    removal of the key removes it too; the chain hashes the sealed text. Without a case: as given."""
    from ..privacy.keys import seal_text

    if not reason or not case_id or not tx.case_exists(case_id):
        return reason
    row = tx.case_key_row(case_id)
    if row is not None and row.shredded_at is not None:
        return reason
    return seal_text(reason, tx.case_key(case_id, create=at), case_id, "access")


def of(row, tx=None) -> AccessEntry:
    """The entry of a stored row; with ``tx`` a sealed reason is opened (removed by retention: said so)."""
    return AccessEntry(row.seq, row.at, row.actor, row.case_id, row.page, opened_reason(row, tx), row.hash)


def opened_reason(row, tx) -> str | None:
    from ..privacy.keys import VERSION, unseal_text

    reason = row.reason
    if tx is None or not reason or not row.case_id or not reason.startswith(VERSION):
        return reason
    key = tx.case_key(row.case_id)
    if key is None:
        return "(verwijderd na de bewaartermijn)"
    from cryptography.exceptions import InvalidTag

    try:
        return unseal_text(reason, key, row.case_id, "access")
    except (ValueError, InvalidTag):
        return reason


def check(rows) -> list[ChainProblem]:
    """Recompute the access-log chain over rows in seq order; a gap, an edit or a reorder is named."""
    problems = []
    prev = GENESIS
    for expected, row in enumerate(rows, start=1):
        if row.seq != expected:
            problems.append(ChainProblem(expected, f"regel {expected} van het inzagelog ontbreekt"))
            return problems
        if row.prev_hash != prev:
            problems.append(ChainProblem(row.seq, f"regel {row.seq} van het inzagelog: de verwijzing naar de vorige regel klopt niet"))
        if access_hash(prev, row.seq, row.at, row.actor, row.case_id, row.page, row.reason) != row.hash:
            problems.append(ChainProblem(row.seq, f"regel {row.seq} van het inzagelog is gewijzigd na het opslaan"))
        prev = row.hash
    return problems
