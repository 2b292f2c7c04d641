"""security: server-side sessions, login throttling, account changes, the source of an account

Revision ID: 0013_security
Revises: 0020_api
"""
import sqlalchemy as sa
from alembic import op

revision = '0013_security'
down_revision = '0020_api'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('source', sa.String(length=20), nullable=False, server_default='local'))
    op.create_table(
        'user_sessions',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('username', sa.String(length=100), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.Column('via', sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_user_sessions_username', 'user_sessions', ['username'])
    op.create_table(
        'login_throttle',
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_failure_at', sa.DateTime(), nullable=False),
        sa.Column('blocked_until', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('key'),
    )
    op.create_table(
        'account_events',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('actor', sa.String(length=200), nullable=False),
        sa.Column('username', sa.String(length=100), nullable=False),
        sa.Column('action', sa.String(length=40), nullable=False),
        sa.Column('detail', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_account_events_username', 'account_events', ['username', 'id'])


def downgrade() -> None:
    op.drop_index('ix_account_events_username', table_name='account_events')
    op.drop_table('account_events')
    op.drop_table('login_throttle')
    op.drop_index('ix_user_sessions_username', table_name='user_sessions')
    op.drop_table('user_sessions')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('source')
