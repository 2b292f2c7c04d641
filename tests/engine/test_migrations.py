"""The migration history stays one line: engineers landing schema changes in parallel must not leave two
heads (an upgrade would then depend on which branch Alembic takes first)."""

from alembic.config import Config
from alembic.script import ScriptDirectory

from engine.store import MIGRATIONS


def test_alembic_has_exactly_one_head():
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"Alembic has {len(heads)} heads {heads}: point the newest migration's down_revision at the other head"
