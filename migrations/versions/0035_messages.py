"""messages and signals from outside: delivery ids, so a repeated delivery answers the same and writes nothing

Revision ID: 0035_messages
Revises: 0033_teams
"""
import sqlalchemy as sa
from alembic import op

revision = '0035_messages'
down_revision = '0033_teams'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'message_deliveries',
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('message_id', sa.String(length=200), nullable=False),
        sa.Column('case_id', sa.String(length=250), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('answer', sa.Text(), server_default='', nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('actor', sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint('kind', 'message_id', 'case_id'),
    )


def downgrade() -> None:
    op.drop_table('message_deliveries')
