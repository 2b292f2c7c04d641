"""Login throttling: per account and per client address, with a growing wait, checked BEFORE the password.

A few wrong passwords are free (a typo). After that each further failure blocks the key for twice as long
as the one before, from ``BASE_DELAY`` up to ``MAX_DELAY``. A blocked login is refused without checking
the password, so the (deliberately slow) argon2 check cannot be used to load the server. Counts live in
the database, so several web workers share them. A quiet hour forgets the count; a good login clears its
account's count.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from .store import Store
from .store.accounts import clear_throttle, prune_throttle, throttle_row, throttle_rows

FREE = {"account": 5, "address": 20}         # failures before the wait starts, per kind of key
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=1)


def keys(username: str, address_digest: str) -> list[str]:
    return [f"account:{username.lower()[:150]}", f"address:{address_digest}"]


def blocked_for(store: Store, login_keys: list[str], now: datetime) -> timedelta | None:
    """How long these keys must still wait (None: they may try now). One read, no password check."""
    with store.read() as tx:
        until = [r.blocked_until for r in throttle_rows(tx, login_keys) if r.blocked_until and r.blocked_until > now]
    return max(until) - now if until else None


def record_failure(store: Store, login_keys: list[str], now: datetime) -> None:
    with store.write() as tx:
        for key in login_keys:
            row = throttle_row(tx, key, now)
            if now - row.last_failure_at > FORGET_AFTER:
                row.failures = 0
            row.failures += 1
            row.last_failure_at = now
            over = row.failures - FREE[key.split(":", 1)[0]]
            if over > 0:
                row.blocked_until = now + min(BASE_DELAY * (2 ** min(over - 1, 20)), MAX_DELAY)


def record_success(store: Store, account_key: str, now: datetime) -> None:
    """Clear the account's count, and forget quiet keys (so guessed usernames do not pile up)."""
    with store.write() as tx:
        clear_throttle(tx, account_key)
        prune_throttle(tx, now - FORGET_AFTER)
