"""casemanager: the one person holding a case (004 §3 "vast contactpersoon/casemanager per huishouden")

Revision ID: 0012_casemanager
Revises: 0011_policy
"""
import sqlalchemy as sa
from alembic import op

revision = '0012_casemanager'
down_revision = '0011_policy'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('casemanager', sa.String(length=200), nullable=True))
        batch_op.create_index('ix_cases_casemanager', ['casemanager'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_casemanager')
        batch_op.drop_column('casemanager')
