"""User accounts and roles: argon2 password hashes, demo accounts for demo mode only."""

from __future__ import annotations

import os

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .errors import PermissionDenied, RegieError
from .store import Store, UserRow

ROLES = {
    "casemanager": "Casemanager",
    "specialist": "Specialist",
    "coordinator": "Coördinator",
    "policy": "Beleidsmedewerker",
    "auditor": "Auditor",
    "admin": "Functioneel beheer",
}

# Obviously fictional people; the passwords are printed in the README and work only in demo mode.
DEMO_USERS = [
    ("casemanager", "Cas Demo", ["casemanager"]),
    ("specialist", "Sam Demo", ["specialist"]),
    ("coordinator", "Coby Demo", ["coordinator", "casemanager"]),
    ("policy", "Pim Demo", ["policy"]),
    ("auditor", "Aud Demo", ["auditor"]),
    ("admin", "Ad Demo", ["admin"]),
]
DEMO_PASSWORD_SUFFIX = "-demo"

_hasher = PasswordHasher()


def demo_mode() -> bool:
    return os.environ.get("REGIE_DEMO", "") in ("1", "true", "yes")


def save_user(store: Store, username: str, name: str, roles: list[str], password: str) -> None:
    """Create or update a user with an argon2id password hash."""
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise RegieError(f"Onbekende rol: {', '.join(unknown)}. Kies uit: {', '.join(ROLES)}.")
    if len(password) < 8:
        raise RegieError("Kies een wachtwoord van minstens 8 tekens.")
    with store.write() as tx:
        tx.save_user(UserRow(username=username, name=name, password_hash=_hasher.hash(password),
                             roles=",".join(roles), active=True))


def check_password(store: Store, username: str, password: str) -> UserRow | None:
    """The user when the password is right and the account active; else None."""
    with store.read() as tx:
        user = tx.user(username)
    if user is None or not user.active:
        _hasher.hash(password)  # same work either way, so timing does not reveal which usernames exist
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return user


def load_demo_users(store: Store) -> list[str]:
    """Load one demo account per role. Refused outside demo mode (REGIE_DEMO=1)."""
    if not demo_mode():
        raise PermissionDenied("Demo-accounts mogen alleen in demomodus. Zet REGIE_DEMO=1 (nooit in productie).")
    for username, name, roles in DEMO_USERS:
        save_user(store, username, name, roles, username + DEMO_PASSWORD_SUFFIX)
    return [u for u, _, _ in DEMO_USERS]


def get_user(store: Store, username: str) -> UserRow | None:
    """The user row (active or not), or None."""
    with store.read() as tx:
        return tx.user(username)


def user_names(store: Store) -> dict[str, str]:
    """Username -> full name of every user, to show people by name in timelines and lists."""
    with store.read() as tx:
        return {u.username: u.name for u in tx.users()}
