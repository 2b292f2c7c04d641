"""Privacy: per-case encryption keys (wrapped by a master key outside the database) for crypto-shredding

Revision ID: 0034_privacy
Revises: 0032_overview_counts
"""
import sqlalchemy as sa
from alembic import op

revision = '0034_privacy'
down_revision = '0032_overview_counts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'case_keys',
        sa.Column('case_id', sa.String(length=36), nullable=False),
        sa.Column('master_key', sa.String(length=50), nullable=True),
        sa.Column('wrapped', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('shredded_at', sa.DateTime(), nullable=True),
        sa.Column('shredded_by', sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id']),
        sa.PrimaryKeyConstraint('case_id'),
    )


def downgrade() -> None:
    op.drop_table('case_keys')
