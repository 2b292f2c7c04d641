"""Alembic environment: runs on the connection the engine hands over, or on REGIE_DATABASE_URL."""

import os

from alembic import context
from sqlalchemy import create_engine

from engine.store.models import Base, include_for

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                          include_object=include_for(connection.dialect.name))
        with context.begin_transaction():
            context.run_migrations()
        return
    url = os.environ.get("REGIE_DATABASE_URL", "sqlite:///instance/regie.db")
    with create_engine(url).connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True,
                          include_object=include_for(conn.dialect.name))
        with context.begin_transaction():
            context.run_migrations()
        conn.commit()


run_migrations_online()
