"""SQL for accounts: login sessions, login throttling and the log of account changes."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import CursorResult, bindparam, delete, select, update

from . import Tx
from .models import AccountEventRow, LoginThrottleRow, SessionRow, UserRow
from .prepared import Prepared

__all__ = ["add_user", "session_account", "find_session_account", "add_session", "revoke_session", "revoke_user_sessions", "prune_sessions",
           "throttle_rows", "throttle_row", "clear_throttle", "prune_throttle", "add_account_event", "account_events"]


_SESSION_ACCOUNT = (
    select(SessionRow.revoked_at, SessionRow.created_at, UserRow.username, UserRow.name, UserRow.roles,
           UserRow.active, UserRow.source)
    .join(UserRow, UserRow.username == SessionRow.username).where(SessionRow.id == bindparam("session_id"))
)


_RAW_SESSION_ACCOUNT = Prepared(_SESSION_ACCOUNT)


def session_account(tx: Tx, session_id: str):
    """The session and its account in one query on two primary keys (run on every request), as one plain
    row (``revoked_at``, ``created_at``, ``username``, ``name``, ``roles``, ``active``, ``source``) or None:
    no ORM objects to build, which is most of such a small query's cost."""
    return _RAW_SESSION_ACCOUNT.first(tx.raw, {"session_id": session_id})


def find_session_account(store, session_id: str):
    """``session_account`` as one statement outside a transaction (``Store.plain_rows``: no session, no
    BEGIN and COMMIT): the web app's lookup on every request. A single statement reads one consistent state."""
    found = store.plain_rows(_RAW_SESSION_ACCOUNT, {"session_id": session_id})
    return found[0] if found else None


def add_user(tx: Tx, row: UserRow) -> UserRow:
    tx.session.add(row)
    return row


def add_session(tx: Tx, row: SessionRow) -> None:
    tx.session.add(row)


def revoke_session(tx: Tx, session_id: str, at: datetime) -> None:
    tx.session.execute(update(SessionRow).where(SessionRow.id == session_id, SessionRow.revoked_at.is_(None))
                       .values(revoked_at=at))


def revoke_user_sessions(tx: Tx, username: str, at: datetime) -> int:
    """End every open session of ``username`` (deactivated, password reset, roles changed)."""
    result = tx.session.execute(update(SessionRow)
                                .where(SessionRow.username == username, SessionRow.revoked_at.is_(None))
                                .values(revoked_at=at))
    return cast(CursorResult, result).rowcount or 0


def prune_sessions(tx: Tx, created_before: datetime) -> None:
    """Forget sessions past their absolute lifetime (they cannot be used any more)."""
    tx.session.execute(delete(SessionRow).where(SessionRow.created_at < created_before))


def throttle_rows(tx: Tx, keys: list[str]) -> list[LoginThrottleRow]:
    return list(tx.session.scalars(select(LoginThrottleRow).where(LoginThrottleRow.key.in_(keys))))


def throttle_row(tx: Tx, key: str, now: datetime) -> LoginThrottleRow:
    """The row for ``key``, made (with no failures) when there is none yet."""
    row = tx.session.get(LoginThrottleRow, key)
    if row is None:
        row = LoginThrottleRow(key=key, failures=0, last_failure_at=now, blocked_until=None)
        tx.session.add(row)
    return row


def clear_throttle(tx: Tx, key: str) -> None:
    tx.session.execute(delete(LoginThrottleRow).where(LoginThrottleRow.key == key))


def prune_throttle(tx: Tx, before: datetime) -> None:
    """Forget counts of keys that failed last before ``before`` and are not blocked now."""
    tx.session.execute(delete(LoginThrottleRow).where(
        LoginThrottleRow.last_failure_at < before,
        (LoginThrottleRow.blocked_until.is_(None)) | (LoginThrottleRow.blocked_until < before)))


def add_account_event(tx: Tx, row: AccountEventRow) -> None:
    tx.session.add(row)


def account_events(tx: Tx, username: str | None = None, limit: int = 100) -> list[AccountEventRow]:
    """Newest first."""
    query = select(AccountEventRow)
    if username:
        query = query.where(AccountEventRow.username == username)
    return list(tx.session.scalars(query.order_by(AccountEventRow.id.desc()).limit(limit)))
