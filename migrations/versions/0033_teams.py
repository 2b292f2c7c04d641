"""teams: organisational units, their members (a role per member per team) and the processes they work

Revision ID: 0033_teams
Revises: 0013_security
"""
import sqlalchemy as sa
from alembic import op

revision = '0033_teams'
down_revision = '0013_security'
branch_labels = None
depends_on = None

_URGENT = [sa.text('(due_at IS NULL)'), 'due_at', 'created_at', 'id']


def upgrade() -> None:
    op.create_table(
        'teams',
        sa.Column('id', sa.String(length=50), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'team_members',
        sa.Column('team_id', sa.String(length=50), nullable=False),
        sa.Column('username', sa.String(length=100), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint('team_id', 'username'),
    )
    op.create_index('ix_team_members_username', 'team_members', ['username'])
    op.create_table(
        'team_processes',
        sa.Column('process_id', sa.String(length=200), nullable=False),
        sa.Column('lane', sa.String(length=100), server_default='', nullable=False),
        sa.Column('team_id', sa.String(length=50), nullable=False),
        sa.PrimaryKeyConstraint('process_id', 'lane'),
    )
    op.create_index(op.f('ix_team_processes_team_id'), 'team_processes', ['team_id'])
    op.create_index('ix_tasks_inbox_process_role', 'tasks', ['state', 'process_id', 'role', *_URGENT])
    op.create_index('ix_tasks_inbox_process', 'tasks', ['state', 'process_id', *_URGENT])


def downgrade() -> None:
    op.drop_index('ix_tasks_inbox_process', table_name='tasks')
    op.drop_index('ix_tasks_inbox_process_role', table_name='tasks')
    op.drop_index(op.f('ix_team_processes_team_id'), table_name='team_processes')
    op.drop_table('team_processes')
    op.drop_index('ix_team_members_username', table_name='team_members')
    op.drop_table('team_members')
    op.drop_table('teams')
