"""timers: scheduler lease (SQLite) and start schedules for timer start events

Revision ID: 0003_timers
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = '0003_timers'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'scheduler_leases',
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('holder', sa.String(length=200), nullable=False),
        sa.Column('until', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )
    op.create_table(
        'start_schedules',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('process_id', sa.String(length=200), nullable=False),
        sa.Column('version_id', sa.String(length=64), nullable=False),
        sa.Column('element', sa.String(length=200), nullable=False),
        sa.Column('expression', sa.String(length=500), nullable=False),
        sa.Column('due_at', sa.DateTime(), nullable=True),
        sa.Column('cycles_left', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('process_id', 'element', name='uq_start_schedules_process_element'),
    )
    with op.batch_alter_table('start_schedules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_start_schedules_due_at'), ['due_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('start_schedules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_start_schedules_due_at'))
    op.drop_table('start_schedules')
    op.drop_table('scheduler_leases')
