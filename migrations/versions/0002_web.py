"""web app: task drafts (Opslaan als concept); indexes for the inbox and the coordinator's overview

Revision ID: 0002_web
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

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
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        # Searching by part of a name ('%jansen%') or of a case number needs trigram indexes on
        # PostgreSQL. pg_trgm ships with PostgreSQL and is a trusted extension; where it cannot be
        # created, search still works, only slower.
        try:
            with bind.begin_nested():
                op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
                op.execute('CREATE INDEX ix_cases_subject_trgm ON cases USING gin (subject gin_trgm_ops)')
                op.execute('CREATE INDEX ix_cases_id_trgm ON cases USING gin (id gin_trgm_ops)')
        except sa.exc.DBAPIError:
            pass


def downgrade() -> None:
    op.execute('DROP INDEX IF EXISTS ix_cases_subject_trgm')
    op.execute('DROP INDEX IF EXISTS ix_cases_id_trgm')
    for name, table in (('ix_cases_subject', 'cases'), ('ix_cases_process_status', 'cases'),
                        ('ix_tasks_stage', 'tasks'), ('ix_tasks_inbox_assignee', 'tasks'),
                        ('ix_tasks_inbox_role', 'tasks'), ('ix_tasks_inbox_all', 'tasks')):
        op.drop_index(name, table_name=table)
    op.drop_table('task_drafts')
