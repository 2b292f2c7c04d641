"""What the facade's read queries return: plain values, never database rows.

The web app and the CLI ask the ``Engine`` (``inbox``, ``overview``, ``colleagues``, ``draft``, …)
and get these dataclasses back; rows stay inside ``engine.store``. The query descriptions
(``InboxQuery``, ``CaseQuery``) and page rows (``InboxRow``, ``CaseListRow``) are plain frozen
dataclasses defined next to their SQL and re-exported here, so clients need not import the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from .store.audit import AuditQuery
from .store.caselist import COUNT_CAP as CASE_COUNT_CAP
from .store.caselist import CaseListRow, CaseQuery
from .store.inbox import COUNT_CAP, InboxQuery, InboxRow


@dataclass(frozen=True)
class Colleague:
    """An active user who can take tasks (the choices when a coordinator assigns work)."""

    username: str
    name: str
    roles: str        # comma-separated, as stored
    active: bool = True


@dataclass(frozen=True)
class Draft:
    """A task form's unsent values (field name -> text or list of texts), who saved them and when."""

    values: dict[str, Any]
    saved_by: str
    saved_at: datetime


class OpenIncident(NamedTuple):
    case_id: str
    element: str
    message: str
    created_at: datetime
    subject: str
    number: str | None = None           # the case number people use (HO-2026-000123), if the case has one


@dataclass(frozen=True)
class Overview:
    """The coordinator's picture (see ``engine.store.inbox.overview``)."""

    cases: list[tuple[str, str, int]]                 # (process, status, count)
    stages: list[tuple[str, str, str, int, int]]      # (process, element, title, open, overdue)
    workload: list[tuple[str | None, int, int]]       # (assignee, open, overdue)
    overdue: list[InboxRow]
    overdue_total: int
    escalations: list[InboxRow]
    escalations_total: int
    incidents: list[OpenIncident]
    incidents_total: int
    processes: dict[str, str] = field(default_factory=dict)     # process id -> name, every deployed process
    people: dict[str, str] = field(default_factory=dict)        # username -> name, every account
    break_glass: list = field(default_factory=list)             # AccessEntry: break-the-glass reads, 30 days


__all__ = ["AuditQuery", "Colleague", "Draft", "OpenIncident", "Overview", "InboxQuery", "InboxRow", "COUNT_CAP", "CaseQuery",
           "CaseListRow", "CASE_COUNT_CAP"]
