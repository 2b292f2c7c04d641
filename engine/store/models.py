"""The database tables, as SQLAlchemy 2 typed models. Only ``engine.store`` uses them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator):
    """Stores naive UTC and returns timezone-aware UTC, the same on SQLite and PostgreSQL."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass UTC-aware datetimes")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return value.replace(tzinfo=UTC) if value is not None else None


class Base(DeclarativeBase):
    pass


class ProcessRow(Base):
    __tablename__ = "processes"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    current_version_id: Mapped[str] = mapped_column(String(64))


class VersionRow(Base):
    """An immutable, content-addressed process version: ``id`` is the SHA-256 of ``bundle``."""

    __tablename__ = "process_versions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200), index=True)
    name: Mapped[str] = mapped_column(String(300))
    bundle: Mapped[str] = mapped_column(Text)
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deployed_by: Mapped[str] = mapped_column(String(200))
    number: Mapped[int | None] = mapped_column(Integer)     # 1, 2, … per process, in order of storing
    note: Mapped[str] = mapped_column(Text, default="", server_default="")   # the change note (why)
    # live, or pending: waiting for a second policy officer's approval (four eyes); migration 0011_policy
    status: Mapped[str] = mapped_column(String(20), default="live", server_default="live")
    approved_by: Mapped[str | None] = mapped_column(String(200))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CaseRow(Base):
    """A case. ``state`` is a cache of the workflow, rebuilt exactly by replaying ``case_events``."""

    __tablename__ = "cases"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200), index=True)
    version_id: Mapped[str] = mapped_column(ForeignKey("process_versions.id"))
    status: Mapped[str] = mapped_column(String(20), index=True)
    subject: Mapped[str] = mapped_column(String(300), default="")
    number: Mapped[str | None] = mapped_column(String(32))   # HO-2026-000123 (engine.casenumbers)
    casemanager: Mapped[str | None] = mapped_column(String(200), index=True)   # engine.casemanagers
    data: Mapped[str] = mapped_column(Text)
    active: Mapped[str] = mapped_column(Text, default="[]")   # JSON list of element ids where the case stands
    state: Mapped[str] = mapped_column(Text, deferred=True)   # loaded only when the workflow is not cached
    task_counter: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer)
    last_seq: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))

    # Optimistic lock: every UPDATE says "WHERE revision = <the one I read>" and bumps it; a writer
    # that lost a race updates no row and gets StaleDataError (turned into CaseChanged by the store).
    __mapper_args__ = {"version_id_col": revision}
    # Searching part of a name or case id: trigram indexes, on PostgreSQL only (migration 0002_web).
    __table_args__ = tuple(
        Index(f"ix_cases_{column}_trgm", column, postgresql_using="gin",
              postgresql_ops={column: "gin_trgm_ops"}).ddl_if(dialect="postgresql")
        for column in ("subject", "id")
    )


class EventRow(Base):
    """One entry of a case's append-only, hash-chained event log."""

    __tablename__ = "case_events"
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_case_events_case_seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"))
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(200))
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # 0040: when the engine wrote the event (its clock), for the feed's high water mark; ``at`` is the
    # business time and may lie in the past (a timer's catch-up round). Not hashed; NULL on older rows.
    stored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TaskRow(Base):
    """The task projection: one row per user task that became ready, for fast inbox queries."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_state_role", "state", "role"),
        Index("ix_tasks_state_assignee", "state", "assignee"),
        Index("ix_tasks_case_state_name", "case_id", "state", "name"),   # 0032: completed elements by skip scan
        # 0032: also the stage and assignee, so the overview counts today's overdue tasks from the index alone
        Index("ix_tasks_state_due_stage", "state", "due_at", "process_id", "name", "title", "assignee"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"))
    process_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    role: Mapped[str | None] = mapped_column(String(100))
    candidate_users: Mapped[str] = mapped_column(String(500), default="")
    assignee: Mapped[str | None] = mapped_column(String(200))
    form: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20))           # open, completed, cancelled
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    follow_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by: Mapped[str | None] = mapped_column(String(200))


class TimerRow(Base):
    """A waiting timer of a case, with its due time; the scheduler claims due rows."""

    __tablename__ = "timers"
    __table_args__ = (Index("ix_timers_due", "status", "due_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    task_id: Mapped[str] = mapped_column(String(36))
    element: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="waiting")   # waiting, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_by: Mapped[str | None] = mapped_column(String(100))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IncidentRow(Base):
    """A failure on a case (a timer or step that raised): visible, retryable, never dropped."""

    __tablename__ = "incidents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    element: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UserRow(Base):
    __tablename__ = "users"
    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    roles: Mapped[str] = mapped_column(String(300))       # comma separated role ids
    active: Mapped[bool] = mapped_column(default=True)
    # local: a password of its own; demo: loaded by `regie users demo`, refused outside demo mode;
    # oidc: made at the first single sign-on, no password (migration 0013_security)
    source: Mapped[str] = mapped_column(String(20), default="local", server_default="local")


class SessionRow(Base):
    """A login session. The browser holds a random token; the row is found by its SHA-256, so a copy of
    this table opens no session. Logging out, deactivating the account and the lifetime end it."""

    __tablename__ = "user_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(100), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    via: Mapped[str] = mapped_column(String(20), default="password")


class LoginThrottleRow(Base):
    """Failed logins per account (``account:<name>``) and per client address (``address:<keyed hash>``)."""

    __tablename__ = "login_throttle"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AccountEventRow(Base):
    """A change to an account (added, deactivated, password reset, roles), with who made it and when."""

    __tablename__ = "account_events"
    __table_args__ = (Index("ix_account_events_username", "username", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(200))
    username: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")


class DraftRow(Base):
    """A caseworker's unfinished task form (*Opslaan als concept*). Not a case change: no event."""

    __tablename__ = "task_drafts"
    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id"), primary_key=True)
    data: Mapped[str] = mapped_column(Text)            # the form as typed: field -> text or list of texts
    saved_by: Mapped[str] = mapped_column(String(200))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseNumberCounterRow(Base):
    """The last case number given out per prefix and year (``engine.casenumbers``)."""

    __tablename__ = "case_number_counters"
    prefix: Mapped[str] = mapped_column(String(10), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class ModelDraftRow(Base):
    """A policy officer's unfinished model edit: the changed files of one process. Runs nothing."""

    __tablename__ = "model_drafts"
    __table_args__ = (UniqueConstraint("username", "process_id", name="uq_model_drafts_user_process"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(100))
    process_id: Mapped[str] = mapped_column(String(200))
    files: Mapped[str] = mapped_column(Text)            # JSON: file name -> text
    note: Mapped[str] = mapped_column(Text, default="")
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SchedulerLeaseRow(Base):
    """Which scheduler process may fire timers on a store without row locks (SQLite), and until when."""

    __tablename__ = "scheduler_leases"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    until: Mapped[datetime] = mapped_column(UTCDateTime)


class StartScheduleRow(Base):
    """When a process's timer start event next starts a new case (one row per start event)."""

    __tablename__ = "start_schedules"
    __table_args__ = (UniqueConstraint("process_id", "element", name="uq_start_schedules_process_element"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    process_id: Mapped[str] = mapped_column(String(200))
    version_id: Mapped[str] = mapped_column(String(64))
    element: Mapped[str] = mapped_column(String(200))
    expression: Mapped[str] = mapped_column(String(500))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)   # None: no more starts
    cycles_left: Mapped[int] = mapped_column(Integer)     # starts still to come; -1: no end
    status: Mapped[str] = mapped_column(String(20), default="waiting")   # waiting, failed, done
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class AccessRow(Base):
    """One read of a case's personal data (or of an audit page): who, when, which case, which page, why.

    A single append-only chain over all rows, hashed like the events (``engine.audit.access``), so a
    removed or altered row is found by ``verify``. ``case_id`` is not a foreign key: the log outlives
    whatever happens to a case, and a search page reads no single case.
    """

    __tablename__ = "access_log"
    __table_args__ = (
        UniqueConstraint("seq", name="uq_access_log_seq"),
        Index("ix_access_log_case", "case_id", "seq"),
        Index("ix_access_log_actor", "actor", "seq"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(200))
    case_id: Mapped[str | None] = mapped_column(String(36))
    page: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


# Inbox and overview (engine/store/inbox.py): each list is read in the order it is shown, straight
# from an index, so a page costs the same with 100 or 100,000 open tasks. Migration 0002_web.
_URGENT = (TaskRow.due_at.is_(None), TaskRow.due_at, TaskRow.created_at, TaskRow.id)
Index("ix_tasks_inbox_all", TaskRow.state, *_URGENT)
Index("ix_tasks_inbox_role", TaskRow.state, TaskRow.role, *_URGENT)
Index("ix_tasks_inbox_assignee", TaskRow.state, TaskRow.assignee, *_URGENT)
Index("ix_tasks_stage", TaskRow.state, TaskRow.process_id, TaskRow.name, TaskRow.title, TaskRow.due_at,
      TaskRow.created_at)
Index("ix_cases_process_status", CaseRow.process_id, CaseRow.status)
Index("ix_cases_subject", CaseRow.subject, CaseRow.id)
Index("ix_cases_number", CaseRow.number, unique=True)   # migration 0004_case_numbers


class ApiClientRow(Base):
    """A system that uses the REST API (``engine.apiclients``): its scopes and the hash of its key."""

    __tablename__ = "api_clients"
    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    scopes: Mapped[str] = mapped_column(String(500))            # comma separated scope ids
    secret_hash: Mapped[str] = mapped_column(String(64))        # SHA-256 of the key's secret part
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(200))


class ApiCallRow(Base):
    """One call to the REST API: which client, when, what, and the answer's status (no bodies: no personal data)."""

    __tablename__ = "api_calls"
    __table_args__ = (Index("ix_api_calls_client", "client_id", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(300))
    status: Mapped[int] = mapped_column(Integer)


class MessageDeliveryRow(Base):
    """A message or signal delivered from outside (``engine.messages``), by the sender's own id: the answer row
    (``case_id`` "") says what the sender was told, so the same id again gets the same answer and nothing
    twice; a signal also has a row per case it reached (``case_id``, or ``start:<process>`` for a case it
    started), so a repeated broadcast skips the cases that already have it. Migration 0035_messages."""

    __tablename__ = "message_deliveries"
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)          # message | signal
    message_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(250), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    answer: Mapped[str] = mapped_column(Text, default="", server_default="")   # JSON, on the answer row
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(200))


class CaseKeyRow(Base):
    """A case's own encryption key, wrapped (encrypted) by a master key that is not in the database
    (``engine.privacy.keys``). Retention deletes ``wrapped``: the case's sealed personal values can then
    never be read again, while the events and their hash chain stay as they are (crypto-shredding)."""

    __tablename__ = "case_keys"
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    master_key: Mapped[str | None] = mapped_column(String(50))      # which master key wrapped it
    wrapped: Mapped[str | None] = mapped_column(Text)               # base64(nonce + AES-GCM); None: shredded
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    shredded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shredded_by: Mapped[str | None] = mapped_column(String(200))


class BusinessKeyRow(Base):
    """Another system's key for a case, given when it started (Camunda's business key; ``engine.messages``
    finds the case waiting for a message by it). Also in the case's first event. Migration 0035_business_keys."""

    __tablename__ = "case_business_keys"
    case_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    business_key: Mapped[str] = mapped_column(String(200), index=True)


def include_for(dialect: str):
    """Alembic's ``include_object`` for ``dialect``: leave out what the models create only on another
    database (``ddl_if``, such as the PostgreSQL trigram indexes), so ``alembic check`` agrees on both."""

    def include(obj, name, type_, reflected, compare_to) -> bool:
        condition = getattr(obj, "_ddl_if", None)
        return reflected or condition is None or condition.dialect in (None, dialect)

    return include


# Teams (engine/teams.py, issue #14): organisational units with members, each with a role in the team, and
# the processes (or lanes of a process) each team works. Inboxes, case access and assignment follow them.
# Migration 0033_teams.
class TeamRow(Base):
    __tablename__ = "teams"
    id: Mapped[str] = mapped_column(String(50), primary_key=True)          # loket, tsp, steunpunt
    name: Mapped[str] = mapped_column(String(200))


class TeamMemberRow(Base):
    """``username`` is in team ``team_id`` with ``role`` (casemanager, specialist or coordinator)."""

    __tablename__ = "team_members"
    __table_args__ = (Index("ix_team_members_username", "username"),)
    team_id: Mapped[str] = mapped_column(String(50), primary_key=True)
    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))


class TeamProcessRow(Base):
    """Team ``team_id`` works ``process_id``: the whole process (``lane`` "") or the tasks of one lane (role).
    One team per process lane."""

    __tablename__ = "team_processes"
    process_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    lane: Mapped[str] = mapped_column(String(100), primary_key=True, default="", server_default="")
    team_id: Mapped[str] = mapped_column(String(50), index=True)


# A team's inbox walks the open tasks of one process and lane in the order shown (team tab), a team
# coordinator's "all tasks" those of one process: each an index seek, however many tasks other teams have.
Index("ix_tasks_inbox_process_role", TaskRow.state, TaskRow.process_id, TaskRow.role, *_URGENT)
Index("ix_tasks_inbox_process", TaskRow.state, TaskRow.process_id, *_URGENT)


# The coordinator's overview at any number of cases (issue #10, engine/store/overview.py): counts kept by
# database triggers in the transaction that changes a task or case, as append-only deltas (+1/-1 per key)
# so that concurrent steps never wait on one counter row; the overview sums them and now and then folds
# them into one row per key. Migration 0032_overview_counts.
class OpenTaskCountRow(Base):
    """A change of the number of open tasks with this stage, role (team), assignee and due day (UTC,
    ``YYYY-MM-DD``)."""

    __tablename__ = "overview_task_counts"      # no index but the key: a step appends, the fold takes all
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    process_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    role: Mapped[str | None] = mapped_column(String(100))
    assignee: Mapped[str | None] = mapped_column(String(200))
    due_day: Mapped[str | None] = mapped_column(String(10))
    delta: Mapped[int] = mapped_column(Integer)


class CaseCountRow(Base):
    """A change of the number of cases of a process with this status."""

    __tablename__ = "overview_case_counts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    process_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    delta: Mapped[int] = mapped_column(Integer)


# The folded counts (migration 0044_overview_totals), one table per way the overview adds them up, one row
# per key, which only the fold changes (an upsert of the deltas it took, under a lock): a fold touches the
# keys that changed and nothing else, and the overview reads a few rows per stage or colleague. No NULLs in
# a key (a primary key cannot hold them): '' stands for no due date, nobody yet, no role.
class StageTotalRow(Base):
    """The number of open tasks of this stage and role (lane) with this due day, as of the last fold."""

    __tablename__ = "overview_stage_totals"
    process_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    title: Mapped[str] = mapped_column(String(300), primary_key=True)
    role: Mapped[str] = mapped_column(String(100), primary_key=True)
    due_day: Mapped[str] = mapped_column(String(10), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class AssigneeTotalRow(Base):
    """The number of open tasks of this assignee with this due day, as of the last fold."""

    __tablename__ = "overview_assignee_totals"
    assignee: Mapped[str] = mapped_column(String(200), primary_key=True)
    due_day: Mapped[str] = mapped_column(String(10), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class RoleTotalRow(Base):
    """The number of open tasks of this process for this role, as of the last fold."""

    __tablename__ = "overview_role_totals"
    process_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    role: Mapped[str] = mapped_column(String(100), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class LaneTotalRow(Base):
    """The number of open tasks of this process and role (lane) of this assignee with this due day, as of the
    last fold: a team coordinator's workload per colleague (migration 0044_overview_lanes)."""

    __tablename__ = "overview_lane_totals"
    process_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    role: Mapped[str] = mapped_column(String(100), primary_key=True)
    assignee: Mapped[str] = mapped_column(String(200), primary_key=True)
    due_day: Mapped[str] = mapped_column(String(10), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class CaseTotalRow(Base):
    """The number of cases of a process with this status, as of the last fold."""

    __tablename__ = "overview_case_totals"
    process_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class AccountabilityFactRow(Base):
    """A fact the municipality's accountability counts (``engine.accountability``), recorded in the same
    transaction as the event it comes from: ``zaak`` — a case started, with its source; ``inzet`` — a
    specialist's task completed, with the hours and costs on its leefgebied in that month. No personal data."""

    __tablename__ = "accountability_facts"
    __table_args__ = (Index("ix_accountability_facts_kind_period", "kind", "period"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(10))                   # zaak | inzet
    case_id: Mapped[str] = mapped_column(String(36), index=True)
    process_id: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(60), default="")     # bron (hersteloperatie), in_beeld_via (loket)
    leefgebied: Mapped[str] = mapped_column(String(20), default="")
    period: Mapped[str] = mapped_column(String(7), default="")      # YYYY-MM of an inzet
    hours: Mapped[float] = mapped_column(Float, default=0.0)
    costs: Mapped[float] = mapped_column(Float, default=0.0)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseLinkRow(Base):
    """A warm referral (``engine.referrals``): case ``to_case_id`` was started from case ``from_case_id``. Written
    in the transaction that starts the linked case; the linked case's start data also names its origin
    (``verwezen_vanuit``), so its log vouches for the link."""

    __tablename__ = "case_links"
    from_case_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    to_case_id: Mapped[str] = mapped_column(String(36), primary_key=True, index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class ExternalTaskRow(Base):
    """A service task that waits for a worker (``engine.external``): one row while the task is ready.

    Workers fetch-and-lock rows by topic over the API; built-in connectors do the same inside the scheduler.
    ``status`` open (free or locked) or incident (retries used up). Migration 0036_external.
    """

    __tablename__ = "external_tasks"
    __table_args__ = (Index("ix_external_tasks_topic", "status", "topic", "created_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)    # the workflow task's id
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(200))
    element: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="open")
    worker_id: Mapped[str | None] = mapped_column(String(200))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retries: Mapped[int | None] = mapped_column(Integer)             # None until the first failure; a Zeebe job: its retries
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)   # back-off: not fetched before
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebhookRow(Base):
    """A webhook subscription (``engine.outbox``): where to send which case events, and the signing secret."""

    __tablename__ = "webhooks"
    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(200))       # HMAC-SHA256 key; the receiver holds it too
    event_types: Mapped[str] = mapped_column(String(500), default="")   # comma separated; empty: every type
    process_id: Mapped[str | None] = mapped_column(String(200))         # only this process's cases
    personal: Mapped[bool] = mapped_column(default=False)               # payloads (personal data) included
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutboxRow(Base):
    """One case event to deliver to one webhook, written in the same transaction as the event."""

    __tablename__ = "webhook_outbox"
    __table_args__ = (
        Index("ix_webhook_outbox_pending", "status", "next_attempt_at"),
        Index("ix_webhook_outbox_order", "webhook_id", "case_id", "id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    webhook_id: Mapped[str] = mapped_column(String(16))
    case_id: Mapped[str] = mapped_column(String(36))
    seq: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="pending")   # pending, delivered, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class CaseFileRow(Base):
    """A file sent with a task form (``engine.uploads``): checked (size, PDF/PNG/JPEG by content) and written in
    the transaction that completes the task. The case data holds only its reference. Migration 0039_uploads."""

    __tablename__ = "case_files"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    task_id: Mapped[str] = mapped_column(String(36))
    field: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))


class CaseCheckpointRow(Base):
    """Time travel's replay of a case after event ``seq`` (``engine.audit.checkpoints``): the workflow state and
    the replay's projections, sealed (AES-GCM) and bound to the hash of that event. Derived data that nothing
    trusts: verify never reads it, time travel uses it only when it opens and the chain still has that hash
    there, and otherwise replays from the start. Retention deletes a case's checkpoints. Migration 0041."""

    __tablename__ = "case_checkpoints"
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_hash: Mapped[str] = mapped_column(String(64))       # the hash of event ``seq`` it was taken after
    format: Mapped[str] = mapped_column(String(60))            # engine.audit.checkpoints.FORMAT; another: stale
    sealed_with: Mapped[str] = mapped_column(String(60))       # "case": the case key; "master:ID": master key ID
    content: Mapped[str] = mapped_column(Text)                 # v1:base64(nonce + AES-GCM(JSON))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
