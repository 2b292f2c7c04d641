"""overview lanes: the folded task counts also by process and role (a team works a process or a lane of it),
so a team coordinator's overview counts their teams' work only: stage totals keyed by role too, role totals
by process too, and per process, role, assignee and due day for the workload. Counted again from the open
tasks (the totals cannot be split), with task and case writes held off meanwhile on PostgreSQL.

Revision ID: 0044_overview_lanes
Revises: 0041_case_checkpoints
"""
import sqlalchemy as sa
from alembic import op

revision = '0044_overview_lanes'
down_revision = '0041_case_checkpoints'
branch_labels = None
depends_on = None

_LENGTHS = {"process_id": 200, "name": 200, "title": 300, "role": 100, "assignee": 200, "due_day": 10}
_NEW = {
    "overview_stage_totals": ("process_id", "name", "title", "role", "due_day"),
    "overview_role_totals": ("process_id", "role"),
    "overview_lane_totals": ("process_id", "role", "assignee", "due_day"),
}
_OLD = {
    "overview_stage_totals": ("process_id", "name", "title", "due_day"),
    "overview_role_totals": ("role",),
}
_ALL = {**_NEW, "overview_assignee_totals": ("assignee", "due_day")}


def _recount(tables: dict) -> None:
    """Every task total counted again from the open tasks; the deltas they would fold go."""
    postgresql = op.get_bind().dialect.name == "postgresql"
    day = "to_char(due_at, 'YYYY-MM-DD')" if postgresql else "substr(due_at, 1, 10)"
    if postgresql:      # no step changes a task between the count and the new totals
        op.execute("LOCK TABLE tasks IN SHARE MODE")
    op.execute("DELETE FROM overview_task_counts")
    for table, key in tables.items():
        op.execute(f"DELETE FROM {table}")
        columns = [day if k == "due_day" else k for k in key]
        folded = ", ".join(f"coalesce({c}, '')" for c in columns)
        op.execute(f"INSERT INTO {table} ({', '.join(key)}, n) SELECT {folded}, count(*) FROM tasks "
                   f"WHERE state = 'open' GROUP BY {folded}")


def _create(tables: dict) -> None:
    for table, key in tables.items():
        op.create_table(table, *(sa.Column(k, sa.String(length=_LENGTHS[k]), nullable=False) for k in key),
                        sa.Column('n', sa.Integer(), nullable=False), sa.PrimaryKeyConstraint(*key))
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"ALTER TABLE {table} SET (fillfactor = 70)")


def upgrade() -> None:
    for table in _OLD:
        op.drop_table(table)
    _create(_NEW)
    _recount(_ALL)


def downgrade() -> None:
    for table in _NEW:
        op.drop_table(table)
    _create(_OLD)
    _recount({**_OLD, "overview_assignee_totals": ("assignee", "due_day")})
