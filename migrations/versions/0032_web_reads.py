"""web reads: the tasks index by case and state also holds the element, so the case page finds the elements a
case completed with one seek each (a skip scan) instead of reading every completed task of a long case

Revision ID: 0032_web_reads
Revises: 0035_messages
"""
from alembic import op

revision = '0032_web_reads'
down_revision = '0035_messages'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_tasks_case_state_name', 'tasks', ['case_id', 'state', 'name'])
    op.drop_index('ix_tasks_case_state', table_name='tasks')


def downgrade() -> None:
    op.create_index('ix_tasks_case_state', 'tasks', ['case_id', 'state'])
    op.drop_index('ix_tasks_case_state_name', table_name='tasks')
