"""policy: change notes and four-eyes approval on process versions; per-user model drafts

Revision ID: 0011_policy
Revises: 0004_case_numbers
"""
import sqlalchemy as sa
from alembic import op

revision = '0011_policy'
down_revision = '0004_case_numbers'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Versions stored before this revision are numbered afterwards, per process in order of deployment.
    with op.batch_alter_table('process_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('number', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('status', sa.String(length=20), nullable=False, server_default='live'))
        batch_op.add_column(sa.Column('approved_by', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('approved_at', sa.DateTime(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, process_id FROM process_versions ORDER BY process_id, deployed_at, id"))
    numbers: dict = {}
    for version_id, process_id in list(rows):
        numbers[process_id] = numbers.get(process_id, 0) + 1
        bind.execute(sa.text("UPDATE process_versions SET number = :n WHERE id = :id"),
                     {"n": numbers[process_id], "id": version_id})
    op.create_table(
        'model_drafts',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('username', sa.String(length=100), nullable=False),
        sa.Column('process_id', sa.String(length=200), nullable=False),
        sa.Column('files', sa.Text(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('saved_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('username', 'process_id', name='uq_model_drafts_user_process'),
    )


def downgrade() -> None:
    op.drop_table('model_drafts')
    with op.batch_alter_table('process_versions', schema=None) as batch_op:
        batch_op.drop_column('approved_at')
        batch_op.drop_column('approved_by')
        batch_op.drop_column('status')
        batch_op.drop_column('note')
        batch_op.drop_column('number')
