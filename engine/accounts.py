"""User accounts and roles: argon2 password hashes, a password policy, demo accounts for demo mode only,
and the administration of accounts, where every change is logged with who made it (``account_events``).
"""

from __future__ import annotations

import json
import os
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .errors import ConflictError, PermissionDenied, RegieError, UnknownUser
from .passwords import check_policy
from .store import Store, UserRow
from .store.accounts import add_account_event, add_user, revoke_user_sessions
from .store.models import AccountEventRow
from .store.teams import team_name, work_scope

ROLES = {
    "casemanager": "Casemanager",
    "specialist": "Specialist",
    "coordinator": "Coördinator",
    "policy": "Beleidsmedewerker",
    "auditor": "Auditor",
    "admin": "Functioneel beheer",
}
WORK_ROLES = ("casemanager", "specialist", "coordinator")   # roles that have an inbox and get tasks

# Obviously fictional people; the passwords are printed in the README and work only in demo mode.
DEMO_USERS = [
    ("casemanager", "Cas Demo", ["casemanager"]),
    ("loket", "Lot Demo", ["casemanager"]),
    ("tsp", "Tess Demo", ["casemanager"]),
    ("specialist", "Sam Demo", ["specialist"]),
    ("coordinator", "Coby Demo", ["coordinator", "casemanager"]),
    ("policy", "Pim Demo", ["policy"]),
    ("auditor", "Aud Demo", ["auditor"]),
    ("admin", "Ad Demo", ["admin"]),
]
DEMO_PASSWORD_SUFFIX = "-demo"
_DEMO_NAMES = {u for u, _, _ in DEMO_USERS}
USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-@")

_hasher = PasswordHasher()


def demo_mode() -> bool:
    return os.environ.get("REGIE_DEMO", "") in ("1", "true", "yes")


def roles_of(user: UserRow) -> list[str]:
    return [r for r in user.roles.split(",") if r]


def _check_roles(roles: list[str]) -> None:
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise RegieError(f"Onbekende rol: {', '.join(unknown)}. Kies uit: {', '.join(ROLES)}.")
    if not roles:
        raise RegieError(f"Kies minstens één rol uit: {', '.join(ROLES)}.")


def _check_username(username: str) -> None:
    if not username or len(username) > 100 or not set(username) <= USERNAME_CHARS:
        raise RegieError("Kies een gebruikersnaam van kleine letters, cijfers en . _ - @ (hoogstens 100 tekens).")


def save_user(store: Store, username: str, name: str, roles: list[str], password: str, *, policy: bool = True,
              source: str = "local", actor: str = "system", at: datetime | None = None) -> None:
    """Create or update a user with an argon2id password hash; ``policy``: the password must meet it."""
    _check_username(username)
    _check_roles(roles)
    if policy:
        check_policy(password, username)
    with store.write() as tx:
        existing = tx.user(username)
        tx.save_user(UserRow(username=username, name=name.strip()[:200] or username,
                             password_hash=_hasher.hash(password), roles=",".join(roles), active=True,
                             source=source))
        if existing is not None:
            revoke_user_sessions(tx, username, at or _now())
        _log(tx, actor, username, "updated" if existing else "added",
             {"roles": roles, "name": name, "source": source}, at)


def check_password(store: Store, username: str, password: str, demo: bool | None = None) -> UserRow | None:
    """The user when the password is right and the account active; else None.

    Outside demo mode (``demo`` False; default: ``REGIE_DEMO``) a demo account never logs in, also one
    loaded before this check existed: its password is printed in the README.
    """
    demo = demo_mode() if demo is None else demo
    with store.read() as tx:
        user = tx.user(username)
    if user is None or not user.active or user.source == "oidc" or not user.password_hash:
        _hasher.hash(password)  # same work either way, so timing does not reveal which usernames exist
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if not demo and (user.source == "demo" or (username in _DEMO_NAMES and password == username + DEMO_PASSWORD_SUFFIX)):
        return None
    return user


def load_demo_users(store: Store) -> list[str]:
    """Load one demo account per role (a casemanager per team) and the demo's three teams
    (``engine.teams.DEMO_TEAMS``). Refused outside demo mode (REGIE_DEMO=1)."""
    from .providers import SystemClock
    from .teams import Teams, load_demo_teams

    if not demo_mode():
        raise PermissionDenied("Demo-accounts mogen alleen in demomodus. Zet REGIE_DEMO=1 (nooit in productie).")
    for username, name, roles in DEMO_USERS:
        save_user(store, username, name, roles, username + DEMO_PASSWORD_SUFFIX, policy=False, source="demo",
                  actor="regie users demo")
    load_demo_teams(Teams(store, SystemClock()))
    return [u for u, _, _ in DEMO_USERS]


def get_user(store: Store, username: str) -> UserRow | None:
    """The user row (active or not), or None."""
    with store.read() as tx:
        return tx.user(username)


def list_users(store: Store) -> list[UserRow]:
    with store.read() as tx:
        return tx.users()


def user_names(store: Store) -> dict[str, str]:
    """Username -> full name of every user, to show people by name in timelines and lists."""
    with store.read() as tx:
        return {u.username: u.name for u in tx.users()}


def check_assignee(tx, task, username: str, claiming: bool) -> None:
    """Refuse to give ``task`` (a TaskRow) to ``username`` unless that account may do it.

    Claiming takes only a task nobody has (handing a colleague's task over is the coordinator's job,
    with ``assign``), and only for an account that holds the task's role, is one of its candidate users,
    or is a coordinator. ``assign`` may also give it to a caseworker outside the team (the page asks the
    coordinator to confirm), but never to an account without a work role (policy, auditor, admin: they
    have no inbox and must not read a task's personal data that way) or to a deactivated account.
    A task of a process (lane) that a team works (``engine.teams``) goes only to that team's members with
    the task's role, or its coordinators (or a candidate user the model names).
    With no accounts at all (the engine embedded without users) anyone may.
    """
    if claiming and task.assignee and task.assignee != username:
        raise TaskTaken(task.title, task.assignee)
    user = tx.user(username)
    if user is None:
        if tx.users():
            raise UnknownUser(username)
        return
    if not user.active:
        raise PermissionDenied(f"{user.name} ({username}) kan geen taken krijgen: dit account staat uit.")
    roles = set(roles_of(user))
    candidates = [u for u in task.candidate_users.split(",") if u]
    scope = work_scope(tx, username, roles)
    team = scope.team_of(task.process_id, task.role)
    if team is not None:        # a team works this task: only its members (with the task's role, or coordinators)
        if username in candidates or scope.works_on(task.process_id, task.role):
            return
        raise PermissionDenied(f"{user.name} ({username}) zit niet in het team dat de taak '{task.title}' doet "
                               f"({team_name(tx, team)}), of heeft daar een andere rol. Kies een collega uit dat team.")
    if "coordinator" in roles or username in candidates or (task.role in roles if task.role else roles & set(WORK_ROLES)):
        return
    if not claiming and roles & set(WORK_ROLES):
        return      # the coordinator's explicit choice of a colleague outside the team (confirmed on the page)
    wanted = ROLES.get(task.role, task.role) if task.role else "casemanager, specialist of coördinator"
    raise PermissionDenied(f"{user.name} ({username}) heeft niet de rol die de taak '{task.title}' vraagt "
                           f"({wanted}). Kies een collega met die rol.")


class TaskTaken(ConflictError):
    def __init__(self, title: str, assignee: str):
        super().__init__(f"De taak '{title}' is al in behandeling bij {assignee}. Alleen de coördinator kan "
                         "hem aan iemand anders geven. Vraag de coördinator als u de taak wilt overnemen.")
        self.assignee = assignee


# --- administration (the `beheer` pages and `regie users`): each change logged with its actor ----------

def set_active(store: Store, username: str, active: bool, actor: str, at: datetime | None = None) -> None:
    """Deactivate (every session ends at once) or reactivate an account."""
    if not active and username == actor:
        raise PermissionDenied("U kunt uw eigen account niet uitzetten. Vraag een andere beheerder.")
    with store.write() as tx:
        user = _existing(tx, username)
        user.active = active
        if not active:
            revoke_user_sessions(tx, username, at or _now())
        _log(tx, actor, username, "activated" if active else "deactivated", {}, at)


def reset_password(store: Store, username: str, password: str, actor: str, at: datetime | None = None) -> None:
    """Set a new password (it must meet the policy); every session of the account ends."""
    check_policy(password, username)
    with store.write() as tx:
        user = _existing(tx, username)
        if user.source == "oidc":
            raise RegieError(f"{username} logt in via de identiteitsprovider en heeft geen wachtwoord in Regie.")
        user.password_hash = _hasher.hash(password)
        user.source = "local"
        revoke_user_sessions(tx, username, at or _now())
        _log(tx, actor, username, "password_reset", {}, at)


def set_roles(store: Store, username: str, roles: list[str], actor: str, at: datetime | None = None) -> None:
    """Give an account exactly ``roles``; its sessions end, so the new roles hold from the next login."""
    _check_roles(roles)
    if username == actor and "admin" not in roles:
        raise PermissionDenied("U kunt uw eigen rol Functioneel beheer niet weghalen. Vraag een andere beheerder.")
    with store.write() as tx:
        user = _existing(tx, username)
        before = roles_of(user)
        user.roles = ",".join(r for r in ROLES if r in roles)
        revoke_user_sessions(tx, username, at or _now())
        _log(tx, actor, username, "roles_set", {"before": before, "after": roles_of(user)}, at)


def sso_account(store: Store, username: str, name: str, roles: list[str], at: datetime) -> tuple[UserRow | None, str]:
    """The account for someone the identity provider vouched for, made or updated with ``roles``.

    Returns (account, "") or (None, why): "inactive" (deactivated in Regie) or "local" (an account with
    this username logs in with a password and is never taken over by single sign-on).
    """
    _check_username(username)
    _check_roles(roles)
    with store.write() as tx:
        user = tx.user(username)
        if user is None:
            user = UserRow(username=username, name=name[:200], password_hash="", roles=",".join(roles), active=True,
                           source="oidc")
            add_user(tx, user)
            _log(tx, "sso", username, "added", {"roles": roles, "name": name, "source": "oidc"}, at)
            return user, ""
        if user.source != "oidc":
            return None, "local"
        if not user.active:
            return None, "inactive"
        ordered = [r for r in ROLES if r in roles]
        if roles_of(user) != ordered:
            _log(tx, "sso", username, "roles_set", {"before": roles_of(user), "after": ordered}, at)
            user.roles = ",".join(ordered)
        user.name = name[:200] or user.name
        return user, ""


def _existing(tx, username: str) -> UserRow:
    user = tx.user(username)
    if user is None:
        raise UnknownUser(username)
    return user


def _log(tx, actor: str, username: str, action: str, detail: dict, at: datetime | None) -> None:
    add_account_event(tx, AccountEventRow(at=at or _now(), actor=actor, username=username, action=action,
                                          detail=json.dumps(detail, ensure_ascii=False, sort_keys=True)))


def _now() -> datetime:
    from .providers import SystemClock

    return SystemClock().now()
