"""overview counts: open tasks per stage, role, assignee and due day, and cases per process and status, kept by
triggers as append-only deltas (engine/store/overview.py), filled from the rows already there

Revision ID: 0032_overview_counts
Revises: 0032_web_reads
"""
import sqlalchemy as sa
from alembic import op

revision = '0032_overview_counts'
down_revision = '0032_web_reads'
branch_labels = None
depends_on = None

_TASK_COLUMNS = "process_id, name, title, role, assignee, due_day, delta"
_WATCHED = ("state", "assignee", "due_at", "process_id", "name", "title", "role")

SQLITE = [
    f"""CREATE TRIGGER overview_tasks_insert AFTER INSERT ON tasks WHEN NEW.state = 'open' BEGIN
        INSERT INTO overview_task_counts ({_TASK_COLUMNS})
        VALUES (NEW.process_id, NEW.name, NEW.title, NEW.role, NEW.assignee, substr(NEW.due_at, 1, 10), 1); END""",
    f"""CREATE TRIGGER overview_tasks_delete AFTER DELETE ON tasks WHEN OLD.state = 'open' BEGIN
        INSERT INTO overview_task_counts ({_TASK_COLUMNS})
        VALUES (OLD.process_id, OLD.name, OLD.title, OLD.role, OLD.assignee, substr(OLD.due_at, 1, 10), -1); END""",
    f"""CREATE TRIGGER overview_tasks_update AFTER UPDATE OF {', '.join(_WATCHED)} ON tasks
        WHEN (OLD.state = 'open' OR NEW.state = 'open')
         AND ({' OR '.join(f'OLD.{c} IS NOT NEW.{c}' for c in _WATCHED)}) BEGIN
        INSERT INTO overview_task_counts ({_TASK_COLUMNS})
        SELECT OLD.process_id, OLD.name, OLD.title, OLD.role, OLD.assignee, substr(OLD.due_at, 1, 10), -1 WHERE OLD.state = 'open';
        INSERT INTO overview_task_counts ({_TASK_COLUMNS})
        SELECT NEW.process_id, NEW.name, NEW.title, NEW.role, NEW.assignee, substr(NEW.due_at, 1, 10), 1 WHERE NEW.state = 'open';
        END""",
    """CREATE TRIGGER overview_cases_insert AFTER INSERT ON cases BEGIN
        INSERT INTO overview_case_counts (process_id, status, delta) VALUES (NEW.process_id, NEW.status, 1); END""",
    """CREATE TRIGGER overview_cases_delete AFTER DELETE ON cases BEGIN
        INSERT INTO overview_case_counts (process_id, status, delta) VALUES (OLD.process_id, OLD.status, -1); END""",
    """CREATE TRIGGER overview_cases_update AFTER UPDATE OF status, process_id ON cases
        WHEN OLD.status IS NOT NEW.status OR OLD.process_id IS NOT NEW.process_id BEGIN
        INSERT INTO overview_case_counts (process_id, status, delta) VALUES (OLD.process_id, OLD.status, -1);
        INSERT INTO overview_case_counts (process_id, status, delta) VALUES (NEW.process_id, NEW.status, 1); END""",
]

POSTGRESQL = [
    f"""CREATE FUNCTION overview_tasks_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND {' AND '.join(f'OLD.{c} IS NOT DISTINCT FROM NEW.{c}' for c in _WATCHED)} THEN
            RETURN NULL;
        END IF;
        IF TG_OP <> 'INSERT' AND OLD.state = 'open' THEN
            INSERT INTO overview_task_counts ({_TASK_COLUMNS})
            VALUES (OLD.process_id, OLD.name, OLD.title, OLD.role, OLD.assignee, to_char(OLD.due_at, 'YYYY-MM-DD'), -1);
        END IF;
        IF TG_OP <> 'DELETE' AND NEW.state = 'open' THEN
            INSERT INTO overview_task_counts ({_TASK_COLUMNS})
            VALUES (NEW.process_id, NEW.name, NEW.title, NEW.role, NEW.assignee, to_char(NEW.due_at, 'YYYY-MM-DD'), 1);
        END IF;
        RETURN NULL;
    END $$""",
    f"""CREATE TRIGGER overview_tasks_count AFTER INSERT OR DELETE OR UPDATE OF {', '.join(_WATCHED)} ON tasks
        FOR EACH ROW EXECUTE FUNCTION overview_tasks_count()""",
    """CREATE FUNCTION overview_cases_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND OLD.status IS NOT DISTINCT FROM NEW.status
           AND OLD.process_id IS NOT DISTINCT FROM NEW.process_id THEN
            RETURN NULL;
        END IF;
        IF TG_OP <> 'INSERT' THEN
            INSERT INTO overview_case_counts (process_id, status, delta) VALUES (OLD.process_id, OLD.status, -1);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            INSERT INTO overview_case_counts (process_id, status, delta) VALUES (NEW.process_id, NEW.status, 1);
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER overview_cases_count AFTER INSERT OR DELETE OR UPDATE OF status, process_id ON cases
        FOR EACH ROW EXECUTE FUNCTION overview_cases_count()""",
]


def upgrade() -> None:
    op.create_table(
        'overview_task_counts',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('process_id', sa.String(length=200), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('role', sa.String(length=100), nullable=True),
        sa.Column('assignee', sa.String(length=200), nullable=True),
        sa.Column('due_day', sa.String(length=10), nullable=True),
        sa.Column('delta', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_overview_task_counts_stage', 'overview_task_counts',
                    ['process_id', 'name', 'title', 'due_day', 'delta'])
    op.create_index('ix_overview_task_counts_assignee', 'overview_task_counts', ['assignee', 'due_day', 'delta'])
    op.create_table(
        'overview_case_counts',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('process_id', sa.String(length=200), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('delta', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    # Today's overdue tasks per stage and assignee are counted from this index alone (no table reads).
    op.create_index('ix_tasks_state_due_stage', 'tasks', ['state', 'due_at', 'process_id', 'name', 'title', 'assignee'])
    op.drop_index('ix_tasks_state_due', table_name='tasks')
    sqlite = op.get_bind().dialect.name == "sqlite"
    day = "substr(due_at, 1, 10)" if sqlite else "to_char(due_at, 'YYYY-MM-DD')"
    # Fill from what is there, then keep up: one transaction, so no change falls between the two.
    op.execute(f"INSERT INTO overview_task_counts ({_TASK_COLUMNS}) "
               f"SELECT process_id, name, title, role, assignee, {day}, count(*) FROM tasks WHERE state = 'open' "
               f"GROUP BY process_id, name, title, role, assignee, {day}")
    op.execute("INSERT INTO overview_case_counts (process_id, status, delta) "
               "SELECT process_id, status, count(*) FROM cases GROUP BY process_id, status")
    for statement in SQLITE if sqlite else POSTGRESQL:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("tasks_insert", "tasks_delete", "tasks_update", "cases_insert", "cases_delete", "cases_update"):
            op.execute(f"DROP TRIGGER overview_{name}")
    else:
        op.execute("DROP TRIGGER overview_tasks_count ON tasks")
        op.execute("DROP TRIGGER overview_cases_count ON cases")
        op.execute("DROP FUNCTION overview_tasks_count()")
        op.execute("DROP FUNCTION overview_cases_count()")
    op.create_index('ix_tasks_state_due', 'tasks', ['state', 'due_at'])
    op.drop_index('ix_tasks_state_due_stage', table_name='tasks')
    op.drop_table('overview_case_counts')
    op.drop_table('overview_task_counts')
