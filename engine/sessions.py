"""Login sessions kept on the server: a random token in the browser, its SHA-256 in ``user_sessions``.

The web app asks ``find`` once per request (one statement on two primary keys, with the account joined, outside
a transaction), so a session ends for good when the user logs out, the account is deactivated, its roles or
password change, or its absolute lifetime is over. The idle timeout is checked by the web layer against the last-seen time
kept in the signed session cookie, so a request does not need a write.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from .store import Store
from .store.accounts import add_session, find_session_account, prune_sessions, revoke_session
from .store.models import SessionRow


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(store: Store, username: str, now: datetime, via: str = "password",
                 forget_before: datetime | None = None) -> str:
    """A new session for ``username``; returns the token for the browser (stored only as a hash)."""
    token = secrets.token_urlsafe(32)
    with store.write() as tx:
        if forget_before is not None:
            prune_sessions(tx, forget_before)
        add_session(tx, SessionRow(id=_digest(token), username=username, created_at=now, revoked_at=None, via=via))
    return token


def find(store: Store, token: str):
    """The session for ``token`` with its account as one plain row (``revoked_at``, ``created_at``,
    ``username``, ``name``, ``roles``, ``active``, ``source``; revoked or not: the caller decides), or None."""
    return find_session_account(store, _digest(token))


def close(store: Store, token: str, now: datetime) -> None:
    """End the session for ``token`` (logging out); a copy of the cookie no longer works."""
    with store.write() as tx:
        revoke_session(tx, _digest(token), now)
