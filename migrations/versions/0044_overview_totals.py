"""overview totals: the folded counts in tables of their own, one per way the overview adds them up (per stage
and due day, per assignee and due day, per role, per process and status; '' for no due date / nobody / no
role), upserted by the fold for the keys that changed, instead of every count deleted and written again
into the delta table (whose dead rows PostgreSQL's overview read then walked); the delta tables lose their
covering indexes (a step appends, the fold takes every row, the overview reads the few there are)

Revision ID: 0044_overview_totals
Revises: 0040_event_stored_at
"""
import sqlalchemy as sa
from alembic import op

revision = '0044_overview_totals'
down_revision = '0040_event_stored_at'
branch_labels = None
depends_on = None

_TOTALS = {      # table: (key columns, their types, the deltas' expression of each)
    "overview_stage_totals": (("process_id", "name", "title", "due_day"), (200, 200, 300, 10),
                              ("process_id", "name", "title", "coalesce(due_day, '')")),
    "overview_assignee_totals": (("assignee", "due_day"), (200, 10), ("coalesce(assignee, '')", "coalesce(due_day, '')")),
    "overview_role_totals": (("role",), (100,), ("coalesce(role, '')",)),
}


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, (key, lengths, _) in _TOTALS.items():
        op.create_table(table, *(sa.Column(k, sa.String(length=n), nullable=False) for k, n in zip(key, lengths, strict=True)),
                        sa.Column('n', sa.Integer(), nullable=False), sa.PrimaryKeyConstraint(*key))
    op.create_table(
        'overview_case_totals',
        sa.Column('process_id', sa.String(length=200), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('process_id', 'status'),
    )
    if postgresql:
        # Room on each page for the fold's updates: a count changes in place (a HOT update, no index entry).
        for table in (*_TOTALS, "overview_case_totals"):
            op.execute(f"ALTER TABLE {table} SET (fillfactor = 70)")
    # Fold what is there (one transaction: a step that commits meanwhile keeps its delta for the next fold).
    for table, (key, _, folded) in _TOTALS.items():
        op.execute(f"INSERT INTO {table} ({', '.join(key)}, n) SELECT {', '.join(folded)}, sum(delta) "
                   f"FROM overview_task_counts GROUP BY {', '.join(folded)} HAVING sum(delta) <> 0")
    op.execute("DELETE FROM overview_task_counts")
    op.execute("INSERT INTO overview_case_totals (process_id, status, n) SELECT process_id, status, sum(delta) "
               "FROM overview_case_counts GROUP BY process_id, status HAVING sum(delta) <> 0")
    op.execute("DELETE FROM overview_case_counts")
    op.drop_index('ix_overview_task_counts_stage', table_name='overview_task_counts')
    op.drop_index('ix_overview_task_counts_assignee', table_name='overview_task_counts')


def downgrade() -> None:
    # The folded counts cannot be split back into task keys: count the open tasks again (what 0032 does).
    sqlite = op.get_bind().dialect.name == "sqlite"
    day = "substr(due_at, 1, 10)" if sqlite else "to_char(due_at, 'YYYY-MM-DD')"
    op.execute("DELETE FROM overview_task_counts")
    op.execute("DELETE FROM overview_case_counts")
    op.execute("INSERT INTO overview_task_counts (process_id, name, title, role, assignee, due_day, delta) "
               f"SELECT process_id, name, title, role, assignee, {day}, count(*) FROM tasks WHERE state = 'open' "
               f"GROUP BY process_id, name, title, role, assignee, {day}")
    op.execute("INSERT INTO overview_case_counts (process_id, status, delta) "
               "SELECT process_id, status, count(*) FROM cases GROUP BY process_id, status")
    op.create_index('ix_overview_task_counts_stage', 'overview_task_counts',
                    ['process_id', 'name', 'title', 'due_day', 'delta'])
    op.create_index('ix_overview_task_counts_assignee', 'overview_task_counts', ['assignee', 'due_day', 'delta'])
    op.drop_table('overview_case_totals')
    for table in _TOTALS:
        op.drop_table(table)
