"""Finding one resident's cases for a data-subject request (``engine.privacy.subjects``)."""

from __future__ import annotations

from sqlalchemy import or_, select

from . import Tx
from .models import CaseRow

__all__ = ["cases_named"]


def cases_named(tx: Tx, name: str) -> list[CaseRow]:
    """Cases whose resident (``subject``) is ``name``, ignoring case and surrounding spaces; oldest first."""
    wanted = " ".join(name.split())
    words = [w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for w in wanted.split()]
    pattern = "%" + "%".join(words) + "%"         # narrows in SQL; the exact comparison is below
    query = select(CaseRow).where(or_(CaseRow.subject == wanted, CaseRow.subject.ilike(pattern, escape="\\")))
    rows = tx.session.scalars(query.order_by(CaseRow.created_at, CaseRow.id))
    return [r for r in rows if " ".join((r.subject or "").split()).casefold() == wanted.casefold()]
