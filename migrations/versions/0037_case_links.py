"""case links: a warm referral's linked case, findable from both sides

Revision ID: 0037_case_links
Revises: 0037_accountability
"""
import sqlalchemy as sa
from alembic import op

revision = '0037_case_links'
down_revision = '0037_accountability'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'case_links',
        sa.Column('from_case_id', sa.String(length=36), nullable=False),
        sa.Column('to_case_id', sa.String(length=36), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('from_case_id', 'to_case_id'),
    )
    op.create_index('ix_case_links_to_case_id', 'case_links', ['to_case_id'])


def downgrade() -> None:
    op.drop_index('ix_case_links_to_case_id', table_name='case_links')
    op.drop_table('case_links')
