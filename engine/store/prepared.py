"""The step's hot statements, run straight on the DBAPI cursor of the transaction's connection.

A completed task runs about ten statements. Through SQLAlchemy each one costs 50–450 µs of Python
(cache key, execution context, result set-up, ORM loading) around some 10 µs of SQLite work, which made
the statements the larger part of a step. A ``Prepared`` statement is a Core statement compiled once per
dialect; running it hands the SQL text and the parameters, put through the columns' own bind processors
(so values are stored exactly as SQLAlchemy stores them: UTC datetimes, SQLite's datetime text), to the
DBAPI cursor of the connection the ``Tx`` already holds: the same transaction, the same locks, the same
revision checks. Result rows go through the columns' result processors and come back as named tuples.

Errors are raised as SQLAlchemy's (``OperationalError``, ``IntegrityError`` …), so the store's handling of
a busy database or a lost connection is the same for these statements as for every other.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import DBAPIError

_NONE = object()


class _Compiled:
    """A statement's SQL text for one dialect, with how to pass its parameters and read its rows."""

    __slots__ = ("sql", "names", "positional", "binds", "results", "row")

    def __init__(self, statement: Any, dialect: Any):
        compiled = statement.compile(dialect=dialect)
        self.sql: str = compiled.string
        self.positional: bool = bool(compiled.positional)
        self.names: list[str] = (list(compiled.positiontup or ()) if self.positional
                                 else list(dict.fromkeys(compiled.bind_names.values())))
        self.binds: list[tuple[str, Callable | None, Any]] = []    # name, bind processor, literal value
        for name in dict.fromkeys(self.names):
            bind = compiled.binds[name]
            self.binds.append((name, bind.type.dialect_impl(dialect).bind_processor(dialect), _NONE if bind.required else bind.effective_value))
        columns = list(getattr(statement, "selected_columns", ()) or ())
        returning = getattr(statement, "_returning", ()) or ()
        columns = columns or list(returning)
        self.results: list[Callable | None] = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns]
        self.row: Any = namedtuple("Row", [c.key for c in columns], rename=True) if columns else None

    def params(self, values: dict[str, Any]) -> Any:
        done = {}
        for name, processor, literal in self.binds:
            value = values[name] if literal is _NONE else literal
            done[name] = processor(value) if processor is not None else value
        if self.positional:
            return tuple(done[name] for name in self.names)
        return done

    def make_row(self, raw: tuple) -> Any:
        assert self.row is not None
        return self.row._make(value if processor is None or value is None else processor(value)
                              for processor, value in zip(self.results, raw, strict=True))


class Prepared:
    """A Core statement compiled once per dialect and run on a DBAPI cursor (see the module docstring).

    Bind parameters are named ``bindparam``s; no expanding (``IN``) parameters."""

    __slots__ = ("statement", "_by_dialect")

    def __init__(self, statement: Any):
        self.statement = statement
        self._by_dialect: dict[str, _Compiled] = {}

    def compiled(self, dialect: Any) -> _Compiled:
        found = self._by_dialect.get(dialect.name)
        if found is None:
            found = self._by_dialect[dialect.name] = _Compiled(self.statement, dialect)
        return found

    def defer(self, raw: RawConnection, values: dict[str, Any], check: Callable[[Any], None] | None = None) -> None:
        """Run a write whose result nothing reads until the commit: on PostgreSQL it waits, with the
        transaction's other deferred writes, for one pipelined round trip (``RawConnection.flush``);
        ``check(cursor)`` then sees its outcome (the revision check raises there). SQLite runs it now."""
        compiled = self.compiled(raw.dialect)
        raw.defer(compiled.sql, compiled.params(values), False, check)

    def defer_many(self, raw: RawConnection, rows: list[dict[str, Any]]) -> None:
        compiled = self.compiled(raw.dialect)
        raw.defer(compiled.sql, [compiled.params(r) for r in rows], True, None)

    def execute(self, raw: RawConnection, values: dict[str, Any]) -> Any:
        """Run with one set of values; returns the cursor (``rowcount``; rows through ``rows``/``first``)."""
        compiled = self.compiled(raw.dialect)
        params = compiled.params(values)
        return raw.run(compiled.sql, params, many=False)

    def executemany(self, raw: RawConnection, rows: list[dict[str, Any]]) -> None:
        compiled = self.compiled(raw.dialect)
        raw.run(compiled.sql, [compiled.params(r) for r in rows], many=True)

    def rows(self, raw: RawConnection, values: dict[str, Any], independent: bool = False) -> list[Any]:
        """The rows; ``independent``: the statement reads nothing the transaction's deferred writes change,
        so they need not be sent first."""
        compiled = self.compiled(raw.dialect)
        cursor = raw.run(compiled.sql, compiled.params(values), many=False, flush=not independent)
        return [compiled.make_row(r) for r in cursor.fetchall()]

    def first(self, raw: RawConnection, values: dict[str, Any]) -> Any:
        compiled = self.compiled(raw.dialect)
        cursor = raw.run(compiled.sql, compiled.params(values), many=False)
        found = cursor.fetchone()
        if found is not None:
            cursor.fetchall()          # drain (PostgreSQL: the cursor is reused)
        return compiled.make_row(found) if found is not None else None


class RawConnection:
    """The DBAPI connection under a SQLAlchemy ``Connection`` (or a pooled connection), with one cursor,
    and errors wrapped as SQLAlchemy's (a lost connection is also invalidated, as SQLAlchemy would)."""

    __slots__ = ("connection", "dialect", "dbapi_connection", "_cursor", "_pending", "_pipelined")

    def __init__(self, connection: Any, dialect: Any = None):
        self.connection = connection          # sqlalchemy.engine.Connection, or the pool's connection
        self.dialect = dialect if dialect is not None else connection.dialect
        self.dbapi_connection = connection.dbapi_connection if dialect is not None else \
            connection.connection.dbapi_connection
        self._cursor: Any = None
        self._pending: list[tuple[str, Any, bool, Callable[[Any], None] | None]] = []
        self._pipelined = self.dialect.name == "postgresql" and dialect is None

    def defer(self, sql: str, params: Any, many: bool, check: Callable[[Any], None] | None) -> None:
        if not self._pipelined:
            cursor = self.run(sql, params, many)
            if check is not None:
                check(cursor)
            return
        if not self._pending:
            self.connection.info[PENDING] = self      # statements SQLAlchemy runs send these first (Store)
        self._pending.append((sql, params, many, check))

    def flush(self) -> None:
        """Send the deferred writes in one pipeline (psycopg): one round trip, in the order they were made."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        self.connection.info.pop(PENDING, None)
        conn = self.dbapi_connection
        checked = []
        sql, params, many = "", None, False
        try:
            with conn.pipeline():
                for sql, params, many, check in pending:
                    cursor = conn.cursor()
                    if many:
                        cursor.executemany(sql, params)
                    else:
                        cursor.execute(sql, params)
                    if check is not None:
                        checked.append((cursor, check))
        except self.dialect.loaded_dbapi.Error as err:
            self._raise(err, sql, params, many, None)
        for cursor, check in checked:
            check(cursor)

    def discard(self) -> None:
        """Forget deferred writes (the transaction rolls back)."""
        if self._pending:
            self._pending = []
            self.connection.info.pop(PENDING, None)

    def run(self, sql: str, params: Any, many: bool, flush: bool = True) -> Any:
        if flush and self._pending:
            self.flush()
        cursor = self._cursor
        if cursor is None:
            cursor = self._cursor = self.dbapi_connection.cursor()
        try:
            if self._pipelined and self.dbapi_connection.info.transaction_status == _IDLE:
                # The transaction's first statement: psycopg's BEGIN goes with it in one round trip.
                with self.dbapi_connection.pipeline():
                    if many:
                        cursor.executemany(sql, params)
                    else:
                        cursor.execute(sql, params)
            elif many:
                cursor.executemany(sql, params)
            else:
                cursor.execute(sql, params)
        except self.dialect.loaded_dbapi.Error as err:
            self._raise(err, sql, params, many, cursor)
        return cursor

    def _raise(self, err: Exception, sql: str, params: Any, many: bool, cursor: Any) -> None:
        lost = self.dialect.is_disconnect(err, self.dbapi_connection, cursor)
        if lost:
            self.connection.invalidate(err)
        raise DBAPIError.instance(sql, params, err, self.dialect.loaded_dbapi.Error,
                                  connection_invalidated=lost, dialect=self.dialect, ismulti=many) from err


_IDLE = 0                             # psycopg's TransactionStatus.IDLE: no transaction open yet
PENDING = "regie_pending_writes"      # key in the DBAPI connection's info: its RawConnection with deferred writes


def flush_before(conn: Any, *_args: Any) -> None:
    """SQLAlchemy's ``before_cursor_execute``: a statement SQLAlchemy runs (an ORM flush, a query) sees the
    deferred writes of the transaction, as if they had been run when they were made."""
    raw = conn.info.get(PENDING)
    if raw is not None:
        raw.flush()


__all__ = ["Prepared", "RawConnection"]
