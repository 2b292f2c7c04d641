"""Queries of the model library: versions with their case counts, approval, per-user model drafts."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import case as when
from sqlalchemy import delete, func, select

from . import Tx
from .models import CaseRow, ModelDraftRow, ProcessRow, VersionRow

__all__ = ["store_version", "all_versions", "case_counts", "running_cases", "draft", "save_draft", "delete_draft"]


def store_version(tx: Tx, row: VersionRow, make_current: bool) -> tuple[VersionRow, bool]:
    """Store ``row`` unless that content is stored already; returns the stored row and whether it is new.

    ``make_current``: the process starts new cases on it (else it waits, e.g. for approval).
    """
    existing = tx.session.get(VersionRow, row.id)
    if existing is not None and (not make_current or existing.status == "live"):
        if make_current:
            tx.add_version(existing)
        return existing, False
    if existing is None:
        row.number = tx.next_version_number(row.process_id)
        tx.session.add(row)
        existing = row
    if make_current:
        existing.status = "live"
        tx.add_version(existing)
    tx.session.flush()
    return existing, existing is row


def make_live(tx: Tx, row: VersionRow, by: str, at: datetime) -> None:
    """A pending version approved by ``by``: live, and the process's current version."""
    row.status, row.approved_by, row.approved_at = "live", by, at
    tx.add_version(row)


def all_versions(tx: Tx, process_id: str | None = None) -> list[VersionRow]:
    """Versions, oldest first per process (without their bundles' parsing: rows only)."""
    query = select(VersionRow).order_by(VersionRow.process_id, VersionRow.number, VersionRow.deployed_at)
    if process_id is not None:
        query = query.where(VersionRow.process_id == process_id)
    return list(tx.session.scalars(query))


def current_ids(tx: Tx) -> dict[str, str]:
    """Process id -> current version id."""
    return {p.id: p.current_version_id for p in tx.session.scalars(select(ProcessRow))}


def case_counts(tx: Tx, process_id: str | None = None) -> dict[str, tuple[int, int]]:
    """Version id -> (running cases, all cases) on it."""
    query = select(CaseRow.version_id, func.sum(when((CaseRow.status == "running", 1), else_=0)), func.count())
    if process_id is not None:
        query = query.where(CaseRow.process_id == process_id)
    return {v: (int(r or 0), int(n)) for v, r, n in tx.session.execute(query.group_by(CaseRow.version_id))}


def running_cases(tx: Tx, process_id: str, version_id: str | None = None, ids: list[str] | None = None) -> list[CaseRow]:
    """Running cases of a process (on one version, or with these ids), oldest first."""
    query = select(CaseRow).where(CaseRow.process_id == process_id, CaseRow.status == "running")
    if version_id is not None:
        query = query.where(CaseRow.version_id == version_id)
    if ids is not None:
        query = query.where(CaseRow.id.in_(ids))
    return list(tx.session.scalars(query.order_by(CaseRow.created_at, CaseRow.id)))


def draft(tx: Tx, username: str, process_id: str) -> ModelDraftRow | None:
    return tx.session.scalars(select(ModelDraftRow).where(
        ModelDraftRow.username == username, ModelDraftRow.process_id == process_id)).first()


def save_draft(tx: Tx, username: str, process_id: str, files: dict[str, str], note: str, at: datetime) -> None:
    """Keep ``files`` (name -> text) as the user's draft of the process; the last save wins."""
    row = draft(tx, username, process_id)
    text = json.dumps(files, ensure_ascii=False, sort_keys=True)
    if row is None:
        tx.session.add(ModelDraftRow(username=username, process_id=process_id, files=text, note=note, saved_at=at))
    else:
        row.files, row.note, row.saved_at = text, note, at


def delete_draft(tx: Tx, username: str, process_id: str) -> None:
    tx.session.execute(delete(ModelDraftRow).where(
        ModelDraftRow.username == username, ModelDraftRow.process_id == process_id))
