"""business keys: another system's key for a case, given at start, by which messages find it

Revision ID: 0035_business_keys
Revises: 0036_external
"""
import sqlalchemy as sa
from alembic import op

revision = '0035_business_keys'
down_revision = '0036_external'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'case_business_keys',
        sa.Column('case_id', sa.String(length=36), nullable=False),
        sa.Column('business_key', sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint('case_id'),
    )
    op.create_index('ix_case_business_keys_business_key', 'case_business_keys', ['business_key'])


def downgrade() -> None:
    op.drop_index('ix_case_business_keys_business_key', table_name='case_business_keys')
    op.drop_table('case_business_keys')
