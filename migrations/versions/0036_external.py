"""External tasks (workers fetch-and-lock by topic), webhook subscriptions and their outbox

Revision ID: 0036_external
Revises: 0037_case_links
"""
import sqlalchemy as sa
from alembic import op

revision = '0036_external'
down_revision = '0037_case_links'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'external_tasks',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('case_id', sa.String(length=36), nullable=False),
        sa.Column('process_id', sa.String(length=200), nullable=False),
        sa.Column('element', sa.String(length=200), nullable=False),
        sa.Column('topic', sa.String(length=200), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('worker_id', sa.String(length=200), nullable=True),
        sa.Column('locked_until', sa.DateTime(), nullable=True),
        sa.Column('retries', sa.Integer(), nullable=True),
        sa.Column('retry_at', sa.DateTime(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_external_tasks_topic', 'external_tasks', ['status', 'topic', 'created_at'])
    op.create_index(op.f('ix_external_tasks_case_id'), 'external_tasks', ['case_id'])
    op.create_table(
        'webhooks',
        sa.Column('id', sa.String(length=16), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('url', sa.String(length=500), nullable=False),
        sa.Column('secret', sa.String(length=200), nullable=False),
        sa.Column('event_types', sa.String(length=500), nullable=False),
        sa.Column('process_id', sa.String(length=200), nullable=True),
        sa.Column('personal', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by', sa.String(length=200), nullable=False),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name'),
    )
    op.create_table(
        'webhook_outbox',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('webhook_id', sa.String(length=16), nullable=False),
        sa.Column('case_id', sa.String(length=36), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
        sa.Column('delivered_at', sa.DateTime(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_webhook_outbox_pending', 'webhook_outbox', ['status', 'next_attempt_at'])
    op.create_index('ix_webhook_outbox_order', 'webhook_outbox', ['webhook_id', 'case_id', 'id'])


def downgrade() -> None:
    op.drop_table('webhook_outbox')
    op.drop_table('webhooks')
    op.drop_index(op.f('ix_external_tasks_case_id'), table_name='external_tasks')
    op.drop_index('ix_external_tasks_topic', table_name='external_tasks')
    op.drop_table('external_tasks')
