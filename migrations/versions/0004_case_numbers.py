"""case numbers (HO-2026-000123) with a counter per prefix and year; joins the heads 0002_web and 0010_audit

Revision ID: 0004_case_numbers
Revises: 0002_web, 0010_audit
"""
import sqlalchemy as sa
from alembic import op

from engine.casenumbers import format_number, prefix, year_of

revision = '0004_case_numbers'
down_revision = ('0002_web', '0010_audit')
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'case_number_counters',
        sa.Column('prefix', sa.String(length=10), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('last', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('prefix', 'year'),
    )
    with op.batch_alter_table('cases') as batch:
        batch.add_column(sa.Column('number', sa.String(length=32), nullable=True))
    _number_existing_cases()
    op.create_index('ix_cases_number', 'cases', ['number'], unique=True)


def _number_existing_cases() -> None:
    """Cases started before this revision get numbers in the order they were started."""
    from datetime import UTC

    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, process_id, created_at FROM cases ORDER BY created_at, id")).all()
    counters: dict[tuple[str, int], int] = {}
    for case_id, process_id, created_at in rows:
        if isinstance(created_at, str):
            from datetime import datetime
            created_at = datetime.fromisoformat(created_at)
        key = (prefix(process_id), year_of(created_at.replace(tzinfo=UTC)))
        counters[key] = counters.get(key, 0) + 1
        conn.execute(sa.text("UPDATE cases SET number = :n WHERE id = :id"),
                     {"n": format_number(key[0], key[1], counters[key]), "id": case_id})
    for (case_prefix, year), last in counters.items():
        conn.execute(sa.text("INSERT INTO case_number_counters (prefix, year, last) VALUES (:p, :y, :l)"),
                     {"p": case_prefix, "y": year, "l": last})


def downgrade() -> None:
    op.drop_index('ix_cases_number', table_name='cases')
    with op.batch_alter_table('cases') as batch:
        batch.drop_column('number')
    op.drop_table('case_number_counters')
