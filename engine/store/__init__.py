"""All SQL lives here. The engine speaks in cases, events, tasks and timers; this module in rows.

``Store.write()`` and ``Store.read()`` each open one transaction (a unit of work, ``Tx``). The command
that opens it owns it: it commits when the block ends and rolls back on any error, so a command
changes everything or nothing. Writers are serialised per case: ``BEGIN IMMEDIATE`` on SQLite (one
writer at a time, waiting up to the busy timeout), ``SELECT … FOR UPDATE`` on the case row on PostgreSQL.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, create_engine, event, func, insert, inspect, or_, select, update
from sqlalchemy.engine import Engine as SAEngine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, make_transient_to_detached, undefer
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.util import identity_key

from ..audit import Event, canonical_json, event_hash
from ..errors import CaseChanged, ConflictError, StoreUnavailable
from .models import (
    Base,
    BusinessKeyRow,
    CaseKeyRow,
    CaseNumberCounterRow,
    CaseRow,
    EventRow,
    IncidentRow,
    ProcessRow,
    TaskRow,
    TimerRow,
    UserRow,
    VersionRow,
)
from .outbox import queue as queue_webhooks
from .prepared import Prepared, RawConnection, flush_before

__all__ = ["Store", "Tx", "CaseRow", "EventRow", "TaskRow", "TimerRow", "UserRow", "VersionRow", "ProcessRow", "IncidentRow"]

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


PING_AFTER_IDLE = 5.0     # seconds a pooled PostgreSQL connection may rest before it is checked on checkout


def _ping_idle_connections(engine: SAEngine) -> None:
    """Check a pooled connection with a round trip when it comes out of the pool after resting longer than
    ``PING_AFTER_IDLE`` seconds, and replace it when the server does not answer (it restarted, or a firewall
    dropped the idle connection). SQLAlchemy's ``pool_pre_ping`` does that on *every* checkout: one round trip
    more for every transaction, also for a connection that answered a moment ago. A connection that breaks
    while in use is invalidated by SQLAlchemy and the command fails with ``StoreUnavailable`` (nothing
    written; try again). Idle time is connection housekeeping, not business time: the monotonic clock."""

    @event.listens_for(engine, "checkin")
    def rested_from(dbapi_connection, record):
        record.info["rested_from"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping_if_rested(dbapi_connection, record, proxy):
        rested = record.info.get("rested_from")
        if rested is None or time.monotonic() - rested <= PING_AFTER_IDLE:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as err:
            raise DisconnectionError("the pooled connection did not answer") from err    # the pool reconnects


class Store:
    """Database access for the engine: connection set-up, schema upgrade, transactions."""

    def __init__(self, url: str, echo: bool = False):
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite and self.url.database and self.url.database != ":memory:":
            _private_file(Path(self.url.database))
        options = {"connect_args": {"timeout": 30}} if self.is_sqlite else {}
        self.engine: SAEngine = create_engine(self.url, echo=echo, **options)
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        else:
            event.listen(self.engine, "before_cursor_execute", flush_before)
            _ping_idle_connections(self.engine)
        self._writer = self.engine.execution_options(regie_write=True)
        self._master_keys = None      # engine.privacy.keys.MasterKeys, read on first use

    @property
    def master_keys(self):
        """The master keys that wrap case keys (``engine.privacy.keys``: from the environment, not the DB)."""
        if self._master_keys is None:
            from ..privacy.keys import MasterKeys

            self._master_keys = MasterKeys.from_env()
        return self._master_keys

    def upgrade(self) -> None:
        """Create or upgrade the schema to the newest Alembic revision."""
        from alembic import command
        from alembic.config import Config
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        heads = set(ScriptDirectory.from_config(config).get_heads())
        with self.engine.connect() as conn:
            if set(MigrationContext.configure(conn).get_current_heads()) == heads:
                return
        # Several processes may start on an empty database at once (``regie init-db`` on every host, web
        # workers): one migrates, the others wait for it and then find the schema up to date. SQLite:
        # BEGIN IMMEDIATE (one writer); PostgreSQL: a transaction-scoped advisory lock.
        with self._writer.begin() as conn:
            if not self.is_sqlite:
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
            if set(MigrationContext.configure(conn).get_current_heads()) == heads:
                return
            config.attributes["connection"] = conn
            command.upgrade(config, "heads")

    def create_all(self) -> None:
        """Create tables straight from the models (used by Alembic's first revision and tests)."""
        Base.metadata.create_all(self.engine)

    @contextmanager
    def write(self) -> Iterator[Tx]:
        """A read-write transaction: commits at the end of the block, rolls back on error."""
        with self._transaction(self._writer, writing=True) as tx:
            yield tx

    @contextmanager
    def read(self) -> Iterator[Tx]:
        """A read-only transaction (a consistent snapshot)."""
        with self._transaction(self.engine) as tx:
            yield tx

    @contextmanager
    def _transaction(self, bind: SAEngine, writing: bool = False) -> Iterator[Tx]:
        with self._errors(writing), Session(bind, expire_on_commit=False, autoflush=False) as session:
            with session.begin():
                tx = Tx(session, self)
                try:
                    yield tx
                    tx.flush()
                finally:
                    tx.discard()

    @contextmanager
    def statement(self) -> Iterator[Connection]:
        """A connection for ONE read statement, which is its own consistent snapshot: on PostgreSQL outside a
        transaction (no BEGIN and COMMIT round trips), on SQLite in a read transaction (they cost nothing)."""
        if self.is_sqlite:
            with self.read() as tx:
                yield tx.session.connection()
            return
        with self._errors(), self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            yield conn

    def plain_rows(self, statement: Prepared, values: dict[str, Any]) -> list:
        """The rows of one read-only statement, run on a pooled connection outside a transaction (a single
        statement sees one consistent state): no session, and on PostgreSQL no BEGIN and COMMIT round trips.
        The DBAPI level of ``statement()``, for the statements of every request and step."""
        with self._errors():
            pooled = self.engine.raw_connection()
            try:
                dbapi: Any = pooled.dbapi_connection
                if not self.is_sqlite:
                    dbapi.autocommit = True         # psycopg: local, no round trip (not in a transaction)
                try:
                    return statement.rows(RawConnection(pooled, self.engine.dialect), values)
                finally:
                    if not self.is_sqlite and pooled.is_valid:
                        dbapi.autocommit = False
            finally:
                pooled.close()

    @contextmanager
    def _errors(self, writing: bool = False) -> Iterator[None]:
        """The database's failures as the engine's errors: a busy SQLite file while writing is a
        ``ConflictError``, an unreachable database ``StoreUnavailable`` (both retryable; nothing written)."""
        try:
            yield
        except OperationalError as err:
            if writing and _is_lock_error(err):
                raise ConflictError(
                    "De database is even bezet door een andere handeling. Probeer het over een paar "
                    "seconden opnieuw; er is niets opgeslagen."
                ) from err
            self._unavailable(err)
            raise
        except (InterfaceError, DisconnectionError) as err:
            raise StoreUnavailable() from err

    def open_tasks_of_case(self, case_id: str) -> list:
        """``Tx.open_tasks_of_case`` as one statement outside a transaction (before each completion)."""
        return self.plain_rows(_RAW_OPEN_TASKS_OF_CASE, {"b_case": case_id})

    def _unavailable(self, err: OperationalError) -> None:
        """Raise ``StoreUnavailable`` when ``err`` means the database cannot be reached (lost connection,
        server down or restarting, SQLite file gone): a retryable error, after the rollback."""
        text = str(err.orig).lower()
        if err.connection_invalidated or not self.is_sqlite or any(
                word in text for word in ("unable to open", "disk i/o", "readonly database")):
            raise StoreUnavailable() from err

    def dispose(self) -> None:
        self.engine.dispose()


_MIGRATION_LOCK = 7262811      # any constant; the advisory lock key of `regie init-db` on PostgreSQL


def _private_file(path: Path) -> None:
    """Create the SQLite file (and a new folder for it) readable by this account only (0600 / 0700).
    SQLite gives its -wal and -shm files the database file's permissions."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def _configure_sqlite(engine: SAEngine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # We issue BEGIN ourselves (below), so pysqlite must not.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # On the DBAPI connection (every transaction starts here; SQLAlchemy's statement machinery costs more
        # than the BEGIN), with a busy or failing database reported as SQLAlchemy's OperationalError as before.
        RawConnection(conn).run("BEGIN IMMEDIATE" if conn.get_execution_options().get("regie_write") else "BEGIN",
                                (), many=False)


def _is_lock_error(err: OperationalError) -> bool:
    text = str(err.orig).lower()
    return "locked" in text or "could not obtain lock" in text or "deadlock" in text


def open_task_query(*conditions, case_id: str | None = None, role: str | None = None,
                    roles: list[str] | None = None, user: str | None = None):
    """SELECT of open tasks, narrowed by case, role (team), any of several roles, or assignee."""
    query = select(TaskRow).where(TaskRow.state == "open", *conditions)
    if case_id:
        query = query.where(TaskRow.case_id == case_id)
    if role:
        query = query.where(TaskRow.role == role)
    if roles is not None:
        query = query.where(TaskRow.role.in_(roles))
    if user:
        query = query.where(TaskRow.assignee == user)
    return query


# The statements of a step, built once: a step runs a handful of them, and building a statement and its
# cache key costs more than SQLite takes to run it. Core, not the ORM's unit of work, for the same reason;
# the ORM objects a command holds are told what was written (``set_committed_value``).
_CASES, _EVENTS, _TASKS = (cast(Table, row.__table__) for row in (CaseRow, EventRow, TaskRow))
_UPDATE_CASE = update(_CASES).where(_CASES.c.id == bindparam("b_id"), _CASES.c.revision == bindparam("b_revision"))
_INSERT_EVENTS = insert(_EVENTS)
_INSERT_TASKS = insert(_TASKS)
_UPDATE_TASK = update(_TASKS).where(_TASKS.c.id == bindparam("b_id"))
_CASE_STATE = select(_CASES.c.state).where(_CASES.c.id == bindparam("b_id"))
_TASKS_TO_SYNC = select(_TASKS.c.id, _TASKS.c.state).where(
    _TASKS.c.case_id == bindparam("b_case"),
    or_(_TASKS.c.state == "open", _TASKS.c.id.in_(bindparam("b_ids", expanding=True))))
_TASKS_OF_CASE = select(_TASKS).where(_TASKS.c.case_id == bindparam("b_case")).order_by(
    _TASKS.c.created_at, _TASKS.c.id)
_TIMERS_OF_CASE = select(TimerRow.__table__).where(TimerRow.__table__.c.case_id == bindparam("b_case"))
_CASE_KEY = select(CaseKeyRow.__table__).where(CaseKeyRow.__table__.c.case_id == bindparam("b_case"))
_TIMER_DUES = select(TimerRow.__table__.c.task_id, TimerRow.__table__.c.due_at).where(
    TimerRow.__table__.c.case_id == bindparam("b_case"))
_OPEN_TASKS_OF_CASE = (
    select(*_TASKS.c, _CASES.c.number.label("case_number"))
    .join(_CASES, _CASES.c.id == _TASKS.c.case_id)
    .where(_TASKS.c.case_id == bindparam("b_case"), _TASKS.c.state == "open")
    .order_by(_TASKS.c.due_at.is_(None), _TASKS.c.due_at, _TASKS.c.created_at, _TASKS.c.id)
)
_TASK_WITH_CASE = select(TaskRow, CaseRow).join(CaseRow, CaseRow.id == TaskRow.case_id).where(
    TaskRow.id == bindparam("b_id"))
_TASK_WITH_CASE_LOCKED = _TASK_WITH_CASE.with_for_update(of=CaseRow)

# The same statements on the DBAPI cursor (``engine.store.prepared``): what a completed task runs.
_RAW_OPEN_TASKS_OF_CASE = Prepared(_OPEN_TASKS_OF_CASE)
_CASE_COLUMNS = [c for c in _CASES.c if c.key != "state"]      # the state is deferred: read when not cached
_RAW_TASK_WITH_CASE = Prepared(select(*_TASKS.c, *_CASE_COLUMNS).join(_CASES, _CASES.c.id == _TASKS.c.case_id)
                               .where(_TASKS.c.id == bindparam("b_id")))
_RAW_TASK_WITH_CASE_LOCKED = Prepared(_RAW_TASK_WITH_CASE.statement.with_for_update(of=_CASES))
_RAW_CASE_STATE = Prepared(_CASE_STATE)
_RAW_CASE_KEY = Prepared(_CASE_KEY)
_RAW_INSERT_EVENTS = Prepared(insert(_EVENTS).values({c: bindparam(c) for c in (
    "case_id", "seq", "type", "at", "actor", "payload", "prev_hash", "hash", "stored_at")}))
_RAW_INSERT_TASKS = Prepared(insert(_TASKS).values({c.key: bindparam(c.key) for c in _TASKS.c}))
_RAW_TIMER_DUES = Prepared(_TIMER_DUES)
_RAW_TASKS_TO_SYNC: dict[int, Prepared] = {}               # by the number of ready tasks
_RAW_UPDATE_CASE: dict[tuple[str, ...], Prepared] = {}     # by the columns a step changes (a few sets)
_RAW_UPDATE_TASK: dict[tuple[str, ...], Prepared] = {}


@dataclass(frozen=True)
class OpenedEvent:
    """A stored event whose sealed personal values were decrypted: ``payload`` is the original canonical
    JSON (what replay reads), ``stored`` the text in the database (what the hash chain covers)."""

    id: int
    case_id: str
    seq: int
    type: str
    at: datetime
    actor: str
    payload: str
    prev_hash: str
    hash: str
    stored: str


class Tx:
    """One unit of work. Methods change rows; only the ``Store`` context commits."""

    def __init__(self, session: Session, store: Store):
        self.session = session
        self.store = store
        self._case_keys: dict[str, bytes | None] = {}     # unwrapped case keys, for this transaction only
        self._raw_connection: RawConnection | None = None

    @property
    def raw(self) -> RawConnection:
        """The transaction's DBAPI connection, for the step's prepared statements (``engine.store.prepared``)."""
        if self._raw_connection is None:
            self._raw_connection = RawConnection(self.session.connection())
        return self._raw_connection

    def flush(self) -> None:
        """Send the writes deferred to the end of the transaction (PostgreSQL: one pipelined round trip)."""
        if self._raw_connection is not None:
            self._raw_connection.flush()

    def discard(self) -> None:
        if self._raw_connection is not None:
            self._raw_connection.discard()

    def _attach(self, cls: Any, values: dict[str, Any]) -> Any:
        """The ORM object of a row read on the DBAPI cursor, as a query would give it: the one this
        transaction holds already, else a new persistent object with ``values`` as its loaded state
        (columns left out, such as the deferred workflow state, load when first used)."""
        found = self.session.identity_map.get(identity_key(cls, values["id"]))
        if found is not None:
            return found
        row = cls._sa_class_manager.new_instance()     # as the ORM's loading does: values as loaded, no history
        row.__dict__.update(values)
        make_transient_to_detached(row)
        self.session.add(row)
        return row

    # --- processes and versions -------------------------------------------------------------

    def version(self, version_id: str) -> VersionRow | None:
        return self.session.get(VersionRow, version_id)

    def process(self, process_id: str) -> ProcessRow | None:
        return self.session.get(ProcessRow, process_id)

    def processes(self) -> list[ProcessRow]:
        return list(self.session.scalars(select(ProcessRow).order_by(ProcessRow.id)))

    def versions(self, process_id: str) -> list[VersionRow]:
        return list(self.session.scalars(
            select(VersionRow).where(VersionRow.process_id == process_id).order_by(VersionRow.number, VersionRow.deployed_at)
        ))

    def add_version(self, row: VersionRow) -> VersionRow:
        """Store a version unless the same content is stored already; make it the process's current one."""
        existing = self.session.get(VersionRow, row.id)
        if existing is None:
            row.number = row.number or self.next_version_number(row.process_id)
            self.session.add(row)
            existing = row
        process = self.session.get(ProcessRow, row.process_id)
        if process is None:
            self.session.add(ProcessRow(id=row.process_id, name=row.name, current_version_id=row.id))
        else:
            process.name, process.current_version_id = row.name, row.id
        self.session.flush()
        return existing

    def next_version_number(self, process_id: str) -> int:
        """1 for a process's first version, then one more than the highest so far."""
        highest = self.session.scalar(select(func.max(VersionRow.number)).where(VersionRow.process_id == process_id))
        return (highest or 0) + 1

    # --- cases and their events -------------------------------------------------------------

    def case(self, case_id: str, lock: bool = False, with_state: bool = False) -> CaseRow | None:
        """The case row; ``lock`` takes the row lock (PostgreSQL) for the rest of the transaction;
        ``with_state`` loads the stored workflow state in the same query (else it is read when first used)."""
        query = select(CaseRow).where(CaseRow.id == case_id)
        if with_state:
            query = query.options(undefer(CaseRow.state))
        if lock and not self.store.is_sqlite:
            query = query.with_for_update()
        return self.session.scalars(query).first()

    def add_case(self, row: CaseRow) -> None:
        self.session.add(row)

    def save_case(self, row: CaseRow) -> None:
        """Write a changed case, provided nobody else wrote it since it was read (revision check).

        A new case is inserted through the ORM. A stored one is one UPDATE of the changed columns
        ``WHERE id = … AND revision = <the revision read>`` that also moves the revision on; when it
        changes no row another writer came first (``CaseChanged``)."""
        state = inspect(row)
        if not state.persistent:
            try:
                self.session.flush([row])
            except StaleDataError as err:
                raise CaseChanged(row.id) from err
            return
        values = _changed(state)
        if not values:
            return
        values["revision"] = row.revision + 1
        statement = _raw_update(_RAW_UPDATE_CASE, _UPDATE_CASE, values)
        case_id = row.id

        def check(cursor) -> None:      # the revision check: no row updated means another writer came first
            if cursor.rowcount != 1:
                raise CaseChanged(case_id)

        statement.defer(self.raw, {"b_id": row.id, "b_revision": row.revision, **values}, check)
        self._written(row, values)

    def case_state(self, case_id: str) -> str:
        """The stored workflow state of a case (the deferred column, without loading it through the ORM)."""
        found = _RAW_CASE_STATE.first(self.raw, {"b_id": case_id})
        if found is None:
            from sqlalchemy.exc import NoResultFound

            raise NoResultFound("No row was found when one was required")
        return found.state

    def append_events(self, case: CaseRow, events: list[Event], at: datetime, actor: str, *,
                      stored_at: datetime) -> list[dict]:
        """Append events to the case's chain (one INSERT); updates ``case.last_seq`` and ``case.last_hash``.

        ``at`` is the events' business time (hashed); ``stored_at`` the engine clock's now, when they are
        written (not hashed; the event feed judges gaps in the ids by it, engine.outbox).
        A new case's row is inserted first (the events refer to it). Returns the inserted rows as dicts."""
        from ..privacy.keys import needs_seal, seal

        rows = []
        for ev in events:
            seq = case.last_seq + 1
            # The one seam where personal values are encrypted: the chain below hashes the sealed text.
            payload = canonical_json(seal(ev.payload, self._key_to_seal(case.id, at), case.id, seq)
                                     if needs_seal(ev.payload) else ev.payload)
            digest = event_hash(case.last_hash, case.id, seq, ev.type, at, actor, payload)
            rows.append({"case_id": case.id, "seq": seq, "type": ev.type, "at": at, "actor": actor,
                         "payload": payload, "prev_hash": case.last_hash, "hash": digest, "stored_at": stored_at})
            case.last_seq, case.last_hash = seq, digest
        if rows:
            if not inspect(case).persistent:
                self.save_case(case)
            _RAW_INSERT_EVENTS.defer_many(self.raw, rows)
            queue_webhooks(self, case, rows, at)   # the webhook outbox, in this same transaction (engine.outbox)
        return rows

    def next_case_number(self, prefix: str, year: int) -> int:
        """Take the next counter for ``prefix`` and ``year`` (atomic: an upsert that returns the new value)."""
        from sqlalchemy.dialects import postgresql, sqlite

        table = cast(Table, CaseNumberCounterRow.__table__)
        dialect: Any = sqlite if self.store.is_sqlite else postgresql
        statement = dialect.insert(table).values(prefix=prefix, year=year, last=1)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.prefix, table.c.year], set_={"last": table.c.last + 1},
        ).returning(table.c.last)
        return int(self.session.execute(statement).scalar_one())

    def case_exists(self, case_id: str) -> bool:
        """Whether the case exists (reads the key only, not the stored state)."""
        table = CaseRow.__table__      # Core, not ORM: this runs before every task list of a case
        return self.session.execute(select(table.c.id).where(table.c.id == case_id)).first() is not None

    def case_by_number(self, number: str) -> CaseRow | None:
        return self.session.scalars(select(CaseRow).where(CaseRow.number == number)).first()

    def case_ids_starting(self, prefix: str, limit: int = 2) -> list[str]:
        """Ids of cases whose id starts with ``prefix`` (the short id the pages show), at most ``limit``."""
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = select(CaseRow.id).where(CaseRow.id.like(escaped + "%", escape="\\")).order_by(CaseRow.id)
        return list(self.session.scalars(query.limit(limit)))

    def case_numbers(self, case_ids: list[str]) -> dict[str, str]:
        """Case id → case number for the given cases (cases without a number are left out)."""
        if not case_ids:
            return {}
        rows = self.session.execute(select(CaseRow.id, CaseRow.number).where(CaseRow.id.in_(set(case_ids))))
        return {case_id: number for case_id, number in rows if number}

    def events(self, case_id: str, up_to: int | None = None) -> list[EventRow]:
        """The case's events in order, personal values decrypted (``opened``); each keeps ``stored``, the
        text the chain hashed. A shredded case's events come back as stored (no personal values)."""
        query = select(EventRow).where(EventRow.case_id == case_id)
        if up_to is not None:
            query = query.where(EventRow.seq <= up_to)
        return self.opened(case_id, list(self.session.scalars(query.order_by(EventRow.seq))))

    def stored_events(self, case_id: str) -> list[EventRow]:
        """The case's event rows exactly as stored (sealed values stay sealed): for retention and tests."""
        query = select(EventRow).where(EventRow.case_id == case_id).order_by(EventRow.seq)
        return list(self.session.scalars(query))

    # --- per-case keys (crypto-shredding, engine.privacy.keys) -----------------------------------

    def case_key(self, case_id: str, create: datetime | None = None) -> bytes | None:
        """The case's unwrapped key; None when it was shredded or never made. ``create``: the moment to make
        one at when there is none (the time of the event that needs it)."""
        if case_id in self._case_keys:
            return self._case_keys[case_id]
        from ..privacy.keys import new_case_key

        # The row as this transaction holds it, else one built-once Core read (an ORM get costs more than the
        # rest of the key's handling: it runs on every step that records personal values).
        row: Any = self.session.identity_map.get(identity_key(CaseKeyRow, case_id))
        if row is None:
            row = _RAW_CASE_KEY.first(self.raw, {"b_case": case_id})
        key = None
        if row is not None and row.wrapped:
            key = self.store.master_keys.unwrap(case_id, row.master_key, row.wrapped)
        elif row is not None and row.shredded_at is not None and create:
            from ..errors import PrivacyError

            raise PrivacyError(f"De persoonsgegevens van deze zaak zijn verwijderd op {row.shredded_at:%d-%m-%Y} "
                               "(bewaartermijn). Er kunnen geen nieuwe persoonsgegevens bij.")
        elif row is None and create:
            key = new_case_key()
            master, wrapped = self.store.master_keys.wrap(case_id, key)
            self.session.add(CaseKeyRow(case_id=case_id, master_key=master, wrapped=wrapped, created_at=create))
        self._case_keys[case_id] = key
        return key

    def know_key(self, case_id: str, key: bytes) -> None:
        """The case's unwrapped key as the engine's workflow cache kept it for the revision this transaction
        locked (``engine.commands``): used instead of reading and unwrapping it again."""
        self._case_keys.setdefault(case_id, key)

    def known_key(self, case_id: str) -> bytes | None:
        """The case's unwrapped key, when this transaction read or made one (None otherwise, or when shredded)."""
        return self._case_keys.get(case_id)

    def _key_to_seal(self, case_id: str, at: datetime) -> bytes:
        key = self.case_key(case_id, create=at)
        if key is None:   # a key row without a key that was not shredded: nothing can be sealed safely
            from ..errors import PrivacyError

            raise PrivacyError("De sleutel van deze zaak ontbreekt. Er kunnen geen persoonsgegevens bij; "
                               "meld dit bij de beheerder.")
        return key

    def case_key_row(self, case_id: str) -> CaseKeyRow | None:
        return self.session.get(CaseKeyRow, case_id)

    def opened(self, case_id: str, rows: list) -> list:
        """``rows`` with sealed payloads replaced by ``OpenedEvent``s carrying the decrypted payload (after
        retention: the readable part with ``"removed": true``); ``stored`` keeps the hashed text."""
        from ..privacy.keys import is_sealed_text

        if not any(is_sealed_text(r.payload) for r in rows):
            return rows
        import json

        from ..errors import PrivacyError
        from ..privacy.keys import unseal

        key = self.case_key(case_id)
        out = []
        for r in rows:
            if not is_sealed_text(r.payload):
                out.append(r)
                continue
            if key is None:          # shredded: the readable part, and a mark where the personal values were
                kept = {k: v for k, v in json.loads(r.payload).items() if k != "sealed"}
                out.append(OpenedEvent(r.id, r.case_id, r.seq, r.type, r.at, r.actor,
                                       canonical_json({**kept, "removed": True}), r.prev_hash, r.hash, r.payload))
                continue
            try:
                plain = canonical_json(unseal(json.loads(r.payload), key, case_id, r.seq))
            except PrivacyError:
                out.append(r)        # changed ciphertext: left sealed, so verify names the event
                continue
            out.append(OpenedEvent(r.id, r.case_id, r.seq, r.type, r.at, r.actor, plain, r.prev_hash, r.hash, r.payload))
        return out

    def case_rows(self, case_id: str) -> tuple[list, list]:
        """A case's task rows and timer rows as plain read-only rows with the columns as attributes (two
        queries, no ORM objects): what ``verify`` reads of every case besides its events."""
        conn = self.session.connection()
        return (list(conn.execute(_TASKS_OF_CASE, {"b_case": case_id})),
                list(conn.execute(_TIMERS_OF_CASE, {"b_case": case_id})))

    def case_ids(self) -> list[str]:
        return list(self.session.scalars(select(CaseRow.id).order_by(CaseRow.created_at, CaseRow.id)))

    def cases(self, process_id: str | None = None, status: str | None = None, limit: int = 100, offset: int = 0,
              business_key: str | None = None) -> list[CaseRow]:
        query = select(CaseRow)
        if business_key is not None:
            query = query.join(BusinessKeyRow, BusinessKeyRow.case_id == CaseRow.id).where(
                BusinessKeyRow.business_key == business_key)
        if process_id:
            query = query.where(CaseRow.process_id == process_id)
        if status:
            query = query.where(CaseRow.status == status)
        return list(self.session.scalars(query.order_by(CaseRow.created_at.desc(), CaseRow.id).limit(limit).offset(offset)))

    # --- task projection --------------------------------------------------------------------

    def task(self, task_id: str) -> TaskRow | None:
        return self.session.get(TaskRow, task_id)

    def open_tasks(self, case_id: str | None = None, role: str | None = None, user: str | None = None,
                   roles: list[str] | None = None, limit: int | None = None, offset: int = 0) -> list[TaskRow]:
        """Open tasks; ``user`` selects tasks assigned to that user; ``roles`` any of those roles."""
        query = open_task_query(case_id=case_id, role=role, roles=roles, user=user)
        query = query.order_by(TaskRow.due_at.is_(None), TaskRow.due_at, TaskRow.created_at, TaskRow.id)
        if limit is not None:
            query = query.limit(limit).offset(offset)
        return list(self.session.scalars(query))

    def task_with_case(self, task_id: str, lock: bool = False) -> tuple[TaskRow | None, CaseRow | None]:
        """A task row and its case row in one query; ``lock`` takes the case row lock (PostgreSQL)."""
        query = _RAW_TASK_WITH_CASE_LOCKED if lock and not self.store.is_sqlite else _RAW_TASK_WITH_CASE
        found = query.first(self.raw, {"b_id": task_id})
        if found is None:
            return None, None
        split = len(_TASKS.c)
        task = self._attach(TaskRow, dict(zip(_TASKS.c.keys(), found[:split], strict=True)))
        case = self._attach(CaseRow, {c.key: v for c, v in zip(_CASE_COLUMNS, found[split:], strict=True)})
        return task, case

    def open_tasks_of_case(self, case_id: str) -> list:
        """The case's open tasks, most urgent first, each with ``case_number`` (one query, plain rows)."""
        return _RAW_OPEN_TASKS_OF_CASE.rows(self.raw, {"b_case": case_id})

    def task_states_to_sync(self, case_id: str, ready_ids: list[str]) -> list[tuple[str, str]]:
        """(id, state) of the case's open task rows plus any rows for ``ready_ids`` (one query, plain values)."""
        statement = _RAW_TASKS_TO_SYNC.get(len(ready_ids))
        if statement is None:     # one per number of ready tasks (an IN list of that many)
            ids: list[Any] = [bindparam(f"b_id{n}") for n in range(len(ready_ids))]
            which = or_(_TASKS.c.state == "open", _TASKS.c.id.in_(ids)) if ids else _TASKS.c.state == "open"
            statement = _RAW_TASKS_TO_SYNC[len(ready_ids)] = Prepared(
                select(_TASKS.c.id, _TASKS.c.state).where(_TASKS.c.case_id == bindparam("b_case"), which))
        values = {f"b_id{n}": task_id for n, task_id in enumerate(ready_ids)}
        return [(r.id, r.state) for r in statement.rows(self.raw, {"b_case": case_id, **values})]

    def update_task(self, row: TaskRow, **values) -> None:
        """Write changed columns of a task row (one UPDATE) and tell the ORM object what was written."""
        _raw_update(_RAW_UPDATE_TASK, _UPDATE_TASK, values).defer(self.raw, {"b_id": row.id, **values})
        self._written(row, values)

    def _written(self, row, values: dict) -> None:
        """Tell the ORM object that ``values`` are stored. When nothing else of it is pending, mark it clean as
        a flush would (SQLAlchemy's own ``_commit_all``), so the commit does not walk it again."""
        for key, value in values.items():
            set_committed_value(row, key, value)
        state = inspect(row)
        pending = state.committed_state
        # What is left pending is usually a column set to the value it had (the same status, the same active
        # elements): no change, which the flush at commit would find only after walking the object.
        if not pending or all(state.dict.get(key, _MISSING) == old for key, old in pending.items()):
            state._commit_all(state.dict, self.session.identity_map)

    def insert_tasks(self, rows: list[dict]) -> None:
        """Insert new task rows (one INSERT)."""
        if rows:
            _RAW_INSERT_TASKS.defer_many(self.raw, rows)

    def tasks_to_sync(self, case_id: str, ready_ids: list[str]) -> list[TaskRow]:
        """The case's open task rows plus any rows for ``ready_ids`` (one indexed query)."""
        condition = TaskRow.state == "open"
        if ready_ids:
            condition = or_(condition, TaskRow.id.in_(ready_ids))
        return list(self.session.scalars(select(TaskRow).where(TaskRow.case_id == case_id, condition)))

    def case_tasks(self, case_id: str) -> list[TaskRow]:
        return list(self.session.scalars(
            select(TaskRow).where(TaskRow.case_id == case_id).order_by(TaskRow.created_at, TaskRow.id)
        ))

    def add_task(self, row: TaskRow) -> None:
        self.session.add(row)

    # --- timers -----------------------------------------------------------------------------

    def timer_dues(self, case_id: str) -> list[tuple[str, datetime]]:
        """(task id, due time) of the case's timer rows (one query, plain values)."""
        return [(r.task_id, r.due_at) for r in _RAW_TIMER_DUES.rows(self.raw, {"b_case": case_id})]

    def case_timers(self, case_id: str) -> list[TimerRow]:
        return list(self.session.scalars(select(TimerRow).where(TimerRow.case_id == case_id)))

    def add_timer(self, row: TimerRow) -> None:
        self.session.add(row)

    def delete(self, row) -> None:
        self.session.delete(row)

    def due_case_ids(self, now: datetime, limit: int = 1000) -> list[str]:
        """Cases with a waiting timer due at ``now``, earliest first, skipping rows other schedulers hold."""
        query = (
            select(TimerRow.case_id, func.min(TimerRow.due_at).label("due"))
            .where(TimerRow.status == "waiting", TimerRow.due_at <= now)
            .where(or_(TimerRow.locked_until.is_(None), TimerRow.locked_until < now))
            .group_by(TimerRow.case_id).order_by("due").limit(limit)
        )
        return [row.case_id for row in self.session.execute(query)]

    # --- incidents and users ----------------------------------------------------------------

    def add_incident(self, row: IncidentRow) -> None:
        self.session.add(row)

    def incidents(self, case_id: str | None = None, open_only: bool = True) -> list[IncidentRow]:
        query = select(IncidentRow)
        if case_id:
            query = query.where(IncidentRow.case_id == case_id)
        if open_only:
            query = query.where(IncidentRow.resolved_at.is_(None))
        return list(self.session.scalars(query.order_by(IncidentRow.id)))

    def user(self, username: str) -> UserRow | None:
        return self.session.get(UserRow, username)

    def users(self) -> list[UserRow]:
        return list(self.session.scalars(select(UserRow).order_by(UserRow.username)))

    def save_user(self, row: UserRow) -> None:
        self.session.merge(row)




_MISSING = object()


def _changed(state: Any) -> dict[str, Any]:
    """The columns of an ORM object changed since it was loaded: those with a pending change whose value differs
    from the one loaded (or that was not loaded), as the ORM's history tells, without building it."""
    current = state.dict
    return {key: current[key] for key, loaded in state.committed_state.items()
            if key in current and loaded != current[key]}


def _raw_update(cache: dict[tuple[str, ...], Prepared], base: Any, values: dict[str, Any]) -> Prepared:
    """The prepared UPDATE ``base`` for exactly the columns in ``values`` (built once per set of columns)."""
    columns = tuple(sorted(values))
    found = cache.get(columns)
    if found is None:
        found = cache[columns] = Prepared(base.values({c: bindparam(c) for c in columns}))
    return found
