"""System clients of the REST API: a key per client, stored hashed, with scopes, revocable.

A key reads ``regie_<client id>_<secret>`` and is shown once, when it is made. Only the SHA-256 of the
secret is stored: the secret is 256 random bits, so a fast hash is as safe here as a slow password hash
and costs nothing per request. Keys come from ``secrets``, not from the engine's id provider: that
provider is deterministic in tests and replays, and a key must never be predictable.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from .errors import FieldProblem, InvalidData, NotFoundError

# Scope id -> what it allows (Dutch: the admin reads it when handing out a key).
SCOPES = {
    "processes:read": "Processen en versies lezen",
    "cases:read": "Zaken zoeken en lezen, zonder persoonsgegevens",
    "cases:read-personal": "Persoonsgegevens van zaken lezen: naam, gegevens, geschiedenis (wordt gelogd)",
    "cases:start": "Zaken starten",
    "tasks:read": "Taken en hun formulieren lezen",
    "tasks:complete": "Taken oppakken en afronden",
    "messages:deliver": "Berichten en signalen aan zaken afleveren (kan zaken starten en verder zetten)",
    "lists:import": "Lijsten van de Belastingdienst inlezen (start een zaak per nieuwe ouder)",
    "external-tasks": "Externe taken ophalen, vasthouden en afronden (werkers; ziet de gegevens van die zaken, gelogd)",
    "events:read": "Gebeurtenissen van zaken volgen (feed), zonder persoonsgegevens",
    "webhooks:manage": "Webhooks aanmaken, bekijken en intrekken",
}
_KEY = re.compile(r"^regie_([0-9a-f]{12})_([A-Za-z0-9_-]{20,100})$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{1,99}$")


class UnknownApiClient(NotFoundError):
    def __init__(self, ref: str):
        super().__init__(f"Er is geen API-client '{ref}'. Bekijk de clients met 'regie apikeys list'.")


@dataclass(frozen=True)
class ApiClient:
    """A system client as the API and the admin see it (never its key)."""

    id: str
    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    created_by: str
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def may(self, scope: str) -> bool:
        return scope in self.scopes

    @classmethod
    def of(cls, row) -> ApiClient:
        return cls(row.id, row.name, tuple(s for s in row.scopes.split(",") if s), row.created_at, row.created_by,
                   row.revoked_at)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiClients:
    """The facade's part for API clients: ``engine.api_clients.create(...)`` and friends."""

    def __init__(self, store, clock):
        self.store = store
        self.clock = clock

    def create(self, name: str, scopes: list[str], actor: str) -> tuple[ApiClient, str]:
        """Make a client with ``scopes``; returns it and its key (shown once, never stored)."""
        from .store import apiclients as sql
        from .store.models import ApiClientRow

        name = (name or "").strip()
        problems = []
        if not _NAME.match(name):
            problems.append(FieldProblem("naam", "Geef een naam van 2 tot 100 tekens: letters, cijfers, spatie, . _ of -."))
        unknown = sorted(set(scopes) - set(SCOPES))
        if unknown or not scopes:
            problems.append(FieldProblem("scopes", f"Kies een of meer van: {', '.join(SCOPES)}."
                                         + (f" Onbekend: {', '.join(unknown)}." if unknown else "")))
        if problems:
            raise InvalidData(problems)
        client_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        with self.store.write() as tx:
            if sql.client_named(tx, name) is not None:
                raise InvalidData([FieldProblem("naam", f"Er is al een API-client '{name}'. Kies een andere naam.")])
            row = ApiClientRow(id=client_id, name=name, scopes=",".join(s for s in SCOPES if s in scopes),
                               secret_hash=_digest(secret), created_at=self.clock.now(), created_by=actor)
            sql.add_client(tx, row)
        return ApiClient.of(row), f"regie_{client_id}_{secret}"

    def list(self) -> list[ApiClient]:
        from .store import apiclients as sql

        with self.store.read() as tx:
            return [ApiClient.of(r) for r in sql.clients(tx)]

    def revoke(self, ref: str, actor: str) -> ApiClient:
        """Revoke a client's key (by id or name): every call with it is refused from now on."""
        from .store import apiclients as sql

        with self.store.write() as tx:
            row = sql.client(tx, ref) or sql.client_named(tx, ref)
            if row is None:
                raise UnknownApiClient(ref)
            if row.revoked_at is None:
                row.revoked_at, row.revoked_by = self.clock.now(), actor
            return ApiClient.of(row)

    def authenticate(self, key: str) -> ApiClient | None:
        """The active client whose key this is, or None (unknown, malformed or revoked)."""
        from .store import apiclients as sql

        match = _KEY.match((key or "").strip())
        if match is None:
            return None
        with self.store.read() as tx:
            row = sql.client(tx, match[1])
            if row is None or row.revoked_at is not None:
                return None
            if not hmac.compare_digest(row.secret_hash, _digest(match[2])):
                return None
            return ApiClient.of(row)

    def record_call(self, client_id: str, method: str, path: str, status: int) -> None:
        """Log one API call (no bodies, so no personal data)."""
        from .store import apiclients as sql
        from .store.models import ApiCallRow

        with self.store.write() as tx:
            sql.add_call(tx, ApiCallRow(client_id=client_id, at=self.clock.now(), method=method[:10],
                                        path=path[:300], status=status))

    def calls(self, client_id: str | None = None, limit: int = 100) -> builtins.list[tuple]:
        """The latest calls, newest first: (client id, time, method, path, status)."""
        from .store import apiclients as sql

        with self.store.read() as tx:
            return [(r.client_id, r.at, r.method, r.path, r.status) for r in sql.calls(tx, client_id, limit)]
