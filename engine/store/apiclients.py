"""SQL of the REST API's system clients and their call log."""

from __future__ import annotations

from sqlalchemy import select

from . import Tx
from .models import ApiCallRow, ApiClientRow


def client(tx: Tx, client_id: str) -> ApiClientRow | None:
    return tx.session.get(ApiClientRow, client_id)


def client_named(tx: Tx, name: str) -> ApiClientRow | None:
    return tx.session.scalars(select(ApiClientRow).where(ApiClientRow.name == name)).first()


def clients(tx: Tx) -> list[ApiClientRow]:
    return list(tx.session.scalars(select(ApiClientRow).order_by(ApiClientRow.created_at, ApiClientRow.name)))


def add_client(tx: Tx, row: ApiClientRow) -> None:
    tx.session.add(row)
    tx.session.flush([row])


def add_call(tx: Tx, row: ApiCallRow) -> None:
    tx.session.add(row)


def calls(tx: Tx, client_id: str | None = None, limit: int = 100) -> list[ApiCallRow]:
    query = select(ApiCallRow)
    if client_id:
        query = query.where(ApiCallRow.client_id == client_id)
    return list(tx.session.scalars(query.order_by(ApiCallRow.id.desc()).limit(limit)))
