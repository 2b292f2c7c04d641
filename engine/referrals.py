"""Warm referrals between services: a completed task that refers a resident starts a linked case.

A form asks ``doorverwijzen_naar`` (the service: ``loket`` or ``hersteloperatie``) and
``toestemming_inwoner``; when a task with both is completed (and consent is given), the resident gets a
new case in that service, started through its own start form with ``verwezen_vanuit`` = the referring
case's number, so the colleague there sees where the resident came from and the resident does not have to
tell the story again (003 §2.1 "warm doorverwijzen"; 002 "bijvangst" to the loket; 000 a TSP visit).

The start data is built and checked against the target's start form *before* the referring task is
completed (``plan``), so a referral that cannot start writes nothing; the linked case starts right after
the completion (``follow``), and the link (``case_links``) is written in the transaction that starts it,
so each case page lists the other: the referring case its linked cases, the linked case its origin
(``links``). Which fields carry over is the table below: a municipality with other start forms changes it
here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .forms import local_date
from .store.models import CaseLinkRow

if TYPE_CHECKING:
    from .runtime import Engine, TaskView

TARGET_FIELD = "doorverwijzen_naar"
CONSENT_FIELD = "toestemming_inwoner"

# Which collega-signal the loket records, by the process the referral comes from.
_LOKET_SIGNAL = {"tsp": "tsp", "hersteloperatie": "hersteloperatie"}


def _to_loket(source: str, subject: str, number: str, data: dict[str, Any]) -> dict[str, Any]:
    start = {"naam_inwoner": subject, "in_beeld_via": "signaal_collega",
             "signaal_collega": _LOKET_SIGNAL.get(source, "maatschappelijke_organisatie"),
             "signaal_omschrijving": data.get("doorverwijzing_reden", ""), "verwezen_vanuit": number}
    return _with_phone(start, "telefoon", data)


def _to_hersteloperatie(source: str, subject: str, number: str, data: dict[str, Any]) -> dict[str, Any]:
    start = {"naam_ouder": subject, "bron": "melding_ouder", "melding_kanaal": "doorverwijzing",
             "bericht": data.get("doorverwijzing_reden", ""), "verwezen_vanuit": number}
    return _with_phone(start, "telefoon", data)


def _with_phone(start: dict[str, Any], key: str, data: dict[str, Any]) -> dict[str, Any]:
    phone = data.get("telefoon_inwoner") or data.get("telefoon")
    if phone:
        start[key] = phone
    return start


BUILDERS = {"loket": _to_loket, "hersteloperatie": _to_hersteloperatie}


@dataclass(frozen=True)
class Referral:
    process_id: str
    data: dict[str, Any]
    origin_case_id: str = ""


def plan(engine: Engine, task: TaskView, data: dict[str, Any]) -> Referral | None:
    """The linked case a completion of ``task`` with ``data`` asks for, checked against its start form;
    None when the task refers nobody (no target, no consent). Raises InvalidData like a start would."""
    target = data.get(TARGET_FIELD) if isinstance(data, dict) else None
    if target not in BUILDERS or data.get(CONSENT_FIELD) is not True:
        return None
    case = engine.state(task.case_id)
    start = BUILDERS[target](case.process_id, case.subject, case.number or case.id, data)
    form = engine.current_version(target).start_form()
    if form is not None:
        form.validate(start, today=local_date(engine.clock.now()))
    return Referral(target, start, task.case_id)


def follow(engine: Engine, referral: Referral | None, actor: str) -> str | None:
    """Start the planned linked case, and record the link in the same transaction; returns its id (None
    when there was nothing to start)."""
    if referral is None:
        return None

    def link(step, case_id: str) -> None:
        step.tx.session.add(CaseLinkRow(from_case_id=referral.origin_case_id, to_case_id=case_id,
                                        at=engine.clock.now()))

    return engine.start(referral.process_id, data=referral.data, actor=actor,
                        within=link if referral.origin_case_id else None)


@dataclass(frozen=True)
class Link:
    """The other side of a warm referral, as a case page names it (no personal data)."""

    case_id: str
    number: str
    process_id: str
    status: str
    at: datetime
    direction: str          # "naar" (this case referred to it) or "vanuit" (this case came from it)


def links(engine: Engine, case_id: str) -> list[Link]:
    """The cases this case referred the resident to, and the case it came from (oldest first)."""
    from .store.casepage import links as link_rows

    with engine.store.read() as tx:
        return links_of(link_rows(tx, case_id), case_id)


def links_of(rows, case_id: str) -> list[Link]:
    """``Link``s of the rows ``engine.store.casepage.links`` read for ``case_id``."""
    return [Link(other, number or other, process, status, at, "naar" if source == case_id else "vanuit")
            for source, _target, at, other, number, process, status in rows]
