"""Rows of ``case_files`` (``engine.uploads``): written with a task's completion, read for a download."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from .models import CaseFileRow


def add_files(tx, case_id: str, task_id: str, stored, at: datetime, actor: str) -> None:
    """Write checked files (``engine.uploads.StoredFile``) in the caller's transaction."""
    for f in stored:
        tx.session.add(CaseFileRow(id=f.id, case_id=case_id, task_id=task_id, field=f.field, name=f.name,
                                   media_type=f.media_type, size=f.size, sha256=f.sha256, content=f.content,
                                   created_at=at, created_by=actor))


def case_file(tx, case_id: str, file_id: str) -> CaseFileRow | None:
    """The file ``file_id`` of case ``case_id`` (None when it is not this case's file)."""
    return tx.session.scalar(select(CaseFileRow).where(CaseFileRow.id == file_id, CaseFileRow.case_id == case_id))
