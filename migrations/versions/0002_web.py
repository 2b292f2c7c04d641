"""web app: task drafts (Opslaan als concept); indexes for the inbox and the coordinator's overview

Revision ID: 0002_web
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0002_web'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'task_drafts',
        sa.Column('task_id', sa.String(length=36), nullable=False),
        sa.Column('data', sa.Text(), nullable=False),
        sa.Column('saved_by', sa.String(length=200), nullable=False),
        sa.Column('saved_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], ),
        sa.PrimaryKeyConstraint('task_id'),
    )
    urgent = [sa.text('(due_at IS NULL)'), 'due_at', 'created_at', 'id']
    op.create_index('ix_tasks_inbox_all', 'tasks', ['state', *urgent])
    op.create_index('ix_tasks_inbox_role', 'tasks', ['state', 'role', *urgent])
    op.create_index('ix_tasks_inbox_assignee', 'tasks', ['state', 'assignee', *urgent])
    op.create_index('ix_tasks_stage', 'tasks', ['state', 'process_id', 'name', 'title', 'due_at', 'created_at'])
    op.create_index('ix_cases_process_status', 'cases', ['process_id', 'status'])
    op.create_index('ix_cases_subject', 'cases', ['subject', 'id'])


def downgrade() -> None:
    for name, table in (('ix_cases_subject', 'cases'), ('ix_cases_process_status', 'cases'),
                        ('ix_tasks_stage', 'tasks'), ('ix_tasks_inbox_assignee', 'tasks'),
                        ('ix_tasks_inbox_role', 'tasks'), ('ix_tasks_inbox_all', 'tasks')):
        op.drop_index(name, table_name=table)
    op.drop_table('task_drafts')
