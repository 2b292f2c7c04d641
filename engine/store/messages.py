"""The SQL of messages and signals from outside: which running cases could wait, and the delivery ids."""

from __future__ import annotations

import json

from sqlalchemy import or_, select

from .models import BusinessKeyRow, CaseRow, MessageDeliveryRow

ANSWER = ""   # the case_id of a delivery's answer row


def running_versions(tx) -> list[str]:
    """The versions that running cases are on."""
    return list(tx.session.scalars(select(CaseRow.version_id).where(CaseRow.status == "running").distinct()))


def running_cases(tx, version_ids: list[str], elements: set[str]) -> list[tuple[str, str, str, str, str]]:
    """(id, number, active JSON, data JSON, version id) of the running cases on ``version_ids`` that stand at
    one of ``elements`` (the ``active`` column: a JSON list of element ids), oldest first."""
    if not version_ids or not elements:
        return []
    at = [CaseRow.active.like("%" + _escaped(json.dumps(e)) + "%", escape="\\") for e in sorted(elements)]
    query = (select(CaseRow.id, CaseRow.number, CaseRow.active, CaseRow.data, CaseRow.version_id)
             .where(CaseRow.status == "running", CaseRow.version_id.in_(version_ids), or_(*at))
             .order_by(CaseRow.created_at, CaseRow.id))
    return [tuple(r) for r in tx.session.execute(query)]


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def delivery(tx, kind: str, message_id: str, case_id: str = ANSWER) -> MessageDeliveryRow | None:
    return tx.session.get(MessageDeliveryRow, (kind, message_id, case_id))


def delivered_to(tx, kind: str, message_id: str) -> dict[str, str]:
    """The per-case rows of a delivery: case id (or ``start:<process>``) -> the case number it holds."""
    query = select(MessageDeliveryRow.case_id, MessageDeliveryRow.answer).where(MessageDeliveryRow.kind == kind,
                                                     MessageDeliveryRow.message_id == message_id,
                                                     MessageDeliveryRow.case_id != ANSWER)
    return {case_id: json.loads(answer) for case_id, answer in tx.session.execute(query)}


def add_delivery(tx, row: MessageDeliveryRow) -> None:
    tx.session.add(row)
    tx.session.flush([row])


def add_business_key(tx, case_id: str, key: str) -> None:
    tx.session.add(BusinessKeyRow(case_id=case_id, business_key=key))


def business_keys(tx, case_ids: list[str]) -> dict[str, str]:
    """Case id -> its business key, for those of ``case_ids`` that were started with one."""
    if not case_ids:
        return {}
    query = select(BusinessKeyRow.case_id, BusinessKeyRow.business_key).where(BusinessKeyRow.case_id.in_(case_ids))
    return {case_id: key for case_id, key in tx.session.execute(query)}


def cases_with_business_key(tx, key: str) -> list[CaseRow]:
    query = (select(CaseRow).join(BusinessKeyRow, BusinessKeyRow.case_id == CaseRow.id)
             .where(BusinessKeyRow.business_key == key).order_by(CaseRow.created_at, CaseRow.id))
    return list(tx.session.scalars(query))
