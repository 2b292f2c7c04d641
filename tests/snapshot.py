"""Everything a database holds, to prove that a refused command wrote nothing at all."""

from __future__ import annotations

from sqlalchemy import select

from engine.store.models import Base


def database_snapshot(engine) -> dict[str, list[tuple]]:
    """Every row of every table of the schema (sorted), as plain values; equal snapshots, equal contents."""
    found = {}
    with engine.store.read() as tx:
        for table in Base.metadata.sorted_tables:
            rows = tx.session.execute(select(table)).all()
            found[table.name] = sorted((tuple(row) for row in rows), key=repr)
    return found
