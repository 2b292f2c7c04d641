"""Drafts of task forms (*Opslaan als concept*): what a caseworker typed but did not submit yet.

A draft is not a case change: it writes no event and has no effect on the workflow. It holds the
form exactly as typed (texts, lists of texts), so an unfinished or even invalid form comes back as it
was when the task is opened again. One draft per task; the last save wins and says who saved it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete

from . import Tx
from .models import DraftRow
from .prepared import Prepared

__all__ = ["draft", "save_draft", "delete_draft", "DraftRow"]

# A Core DELETE built once: it runs on every completed task, and the ORM's bulk-delete machinery (or
# building the statement each time) costs more than the statement.
_TABLE = cast(Table, DraftRow.__table__)
_DELETE = Prepared(delete(_TABLE).where(_TABLE.c.task_id == bindparam("b_task")))


def draft(tx: Tx, task_id: str) -> tuple[dict[str, Any], DraftRow] | None:
    """The typed values of the task's draft and its row (who saved it, when), or None."""
    row = tx.session.get(DraftRow, task_id)
    if row is None:
        return None
    return json.loads(row.data), row


def save_draft(tx: Tx, task_id: str, values: dict[str, Any], user: str, at: datetime) -> None:
    """Store ``values`` (field name -> text or list of texts) as the task's draft."""
    text = json.dumps(values, ensure_ascii=False, sort_keys=True)
    row = tx.session.get(DraftRow, task_id)
    if row is None:
        tx.session.add(DraftRow(task_id=task_id, data=text, saved_by=user, saved_at=at))
    else:
        row.data, row.saved_by, row.saved_at = text, user, at


def delete_draft(tx: Tx, task_id: str) -> None:
    """Forget the task's draft (after the task was completed)."""
    _DELETE.defer(tx.raw, {"b_task": task_id})
