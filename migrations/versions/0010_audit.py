"""audit: the access log (who read which case's personal data), hash-chained

Revision ID: 0010_audit
Revises: 0003_timers
"""
import sqlalchemy as sa
from alembic import op

revision = '0010_audit'
down_revision = '0003_timers'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'access_log',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('actor', sa.String(length=200), nullable=False),
        sa.Column('case_id', sa.String(length=36), nullable=True),
        sa.Column('page', sa.String(length=100), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('prev_hash', sa.String(length=64), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('seq', name='uq_access_log_seq'),
    )
    op.create_index('ix_access_log_case', 'access_log', ['case_id', 'seq'])
    op.create_index('ix_access_log_actor', 'access_log', ['actor', 'seq'])


def downgrade() -> None:
    op.drop_index('ix_access_log_actor', table_name='access_log')
    op.drop_index('ix_access_log_case', table_name='access_log')
    op.drop_table('access_log')
