"""The migration history stays one line: engineers landing schema changes in parallel must not leave two
heads (an upgrade would then depend on which branch Alembic takes first)."""

import warnings

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from engine.store import MIGRATIONS, Store
from engine.store.models import Base, include_for


def test_alembic_has_exactly_one_head():
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"Alembic has {len(heads)} heads {heads}: point the newest migration's down_revision at the other head"


def test_the_models_and_the_migrations_agree(db_url):
    """``alembic check``: a database made by the migrations is what the models describe (no drift)."""
    store = Store(db_url)
    store.upgrade()
    with store.engine.connect() as conn, warnings.catch_warnings():
        warnings.simplefilter("ignore")   # SQLite cannot reflect expression indexes; Alembic says so
        context = MigrationContext.configure(conn, opts={
            "compare_type": True, "include_object": include_for(conn.dialect.name)})
        differences = compare_metadata(context, Base.metadata)
    store.dispose()
    assert differences == []
