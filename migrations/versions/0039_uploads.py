"""case files: files sent with a task form (the `file` form field), stored outside the case data

Revision ID: 0039_uploads
Revises: 0035_business_keys
"""
import sqlalchemy as sa
from alembic import op

revision = '0039_uploads'
down_revision = '0035_business_keys'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'case_files',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('case_id', sa.String(length=36), nullable=False),
        sa.Column('task_id', sa.String(length=36), nullable=False),
        sa.Column('field', sa.String(length=200), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('media_type', sa.String(length=100), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_case_files_case_id', 'case_files', ['case_id'])


def downgrade() -> None:
    op.drop_index('ix_case_files_case_id', table_name='case_files')
    op.drop_table('case_files')
