"""web app: task drafts (Opslaan als concept)

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


def downgrade() -> None:
    op.drop_table('task_drafts')
