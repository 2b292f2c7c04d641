"""case_events.stored_at: when the engine wrote the event (the feed's high water mark judges gaps by it,
not by the event's business time ``at``); NULL for events written before this revision

Revision ID: 0040_event_stored_at
Revises: 0039_uploads
"""
import sqlalchemy as sa
from alembic import op

revision = '0040_event_stored_at'
down_revision = '0039_uploads'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stored_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_column('stored_at')
