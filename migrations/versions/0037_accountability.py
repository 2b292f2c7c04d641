"""accountability facts: cases by source and time/costs per leefgebied, recorded as they happen

Revision ID: 0037_accountability
Revises: 0034_privacy
"""
import sqlalchemy as sa
from alembic import op

revision = '0037_accountability'
down_revision = '0034_privacy'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'accountability_facts',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('case_id', sa.String(length=36), nullable=False),
        sa.Column('process_id', sa.String(length=200), nullable=False),
        sa.Column('source', sa.String(length=60), nullable=False),
        sa.Column('leefgebied', sa.String(length=20), nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('hours', sa.Float(), nullable=False),
        sa.Column('costs', sa.Float(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_accountability_facts_case_id', 'accountability_facts', ['case_id'])
    op.create_index('ix_accountability_facts_kind_period', 'accountability_facts', ['kind', 'period'])
    # Facts of cases that existed before this migration: run `regie verantwoording opbouwen` once (engine.accountability.rebuild)


def downgrade() -> None:
    op.drop_index('ix_accountability_facts_kind_period', table_name='accountability_facts')
    op.drop_index('ix_accountability_facts_case_id', table_name='accountability_facts')
    op.drop_table('accountability_facts')
