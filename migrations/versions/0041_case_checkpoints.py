"""case_checkpoints: stored time-travel checkpoints (the replayed case every 50 events, sealed, bound to the
event hash), so the first view of a long case in any process replays at most 50 events

Revision ID: 0041_case_checkpoints
Revises: 0044_overview_totals
"""
import sqlalchemy as sa
from alembic import op

revision = '0041_case_checkpoints'
down_revision = '0044_overview_totals'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'case_checkpoints',
        sa.Column('case_id', sa.String(length=36), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('event_hash', sa.String(length=64), nullable=False),
        sa.Column('format', sa.String(length=60), nullable=False),
        sa.Column('sealed_with', sa.String(length=60), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id']),
        sa.PrimaryKeyConstraint('case_id', 'seq'),
    )


def downgrade() -> None:
    op.drop_table('case_checkpoints')
