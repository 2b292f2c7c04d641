"""Figures for the municipality's accountability: cases per source, loket topics, time and costs per leefgebied.

004 "Financiële verantwoording" and §2B ("Voor verantwoording is het van belang om vast te leggen dat de
gemeenten inzet heeft gepleegd om in contact te komen met ouder"); 002 "Het gaat om alle begeleidingskosten
en dienstverleningskosten op de 5 leefgebieden"; 003 §1.2, the topics residents arrive with.

Cases per source and time and costs are *recorded facts* (table ``accountability_facts``), written in the
same transaction as the event they come from (``record_start`` when a case starts, ``record_completion``
when a specialist's ``hulp-<leefgebied>`` task is completed with its ``<leefgebied>_uren`` /
``<leefgebied>_kosten``), so a report is a few grouped queries, however many cases and events there are;
no history is replayed. ``rebuild`` makes the same facts again from the case histories (for cases from
before the table existed, or to check the table against the logs). The loket topics are read from the
loket cases' data.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import case as when
from sqlalchemy import delete, func, select

from .store.models import AccountabilityFactRow, CaseRow

if TYPE_CHECKING:
    from .runtime import Engine

LEEFGEBIEDEN = {"wonen": "Wonen", "financien": "Financiën", "gezondheid": "Gezondheid",
                "werk": "Werk en dagbesteding", "gezin": "Gezinssituatie"}
TRACKS = {"Task_HulpWonen": "wonen", "Task_HulpFinancien": "financien", "Task_HulpGezondheid": "gezondheid",
          "Task_HulpWerk": "werk", "Task_HulpGezin": "gezin"}
SOURCES = {"lijst_belastingdienst": "Lijst van de Belastingdienst", "eigen_initiatief": "Eigen initiatief (outreach)",
           "melding_ouder": "Ouder meldde zich zelf"}
LOKET_WAYS = {"vroegsignalering": "Vroegsignalering", "signaal_collega": "Signaal van een collega",
              "eigen_bezoek": "Eigen bezoek"}
# Startscan 003 §1.2: the topics residents started with at the five practice initiatives (percent of visits).
STARTSCAN_TOPICS = {"digid": 29, "bijstandsuitkering": 18, "zorgen_inkomen": 11, "bijzondere_bijstand": 9,
                    "energietoeslag": 9, "verblijfsvergunning": 6, "belastingen": 4, "toeslagen": 4,
                    "kwijtschelding": 3, "onbegrepen_brief": 3, "briefadres": 2, "huisvesting": 2}
ALL = 10_000_000


# Which start field names a case's source, per process.
SOURCE_FIELDS = {"hersteloperatie": ("bron", SOURCES), "loket": ("in_beeld_via", LOKET_WAYS)}
ZAAK, INZET = "zaak", "inzet"


def record_start(tx: Any, process_id: str, case_id: str, data: dict[str, Any], at: datetime) -> None:
    """A case started: remember its source (hersteloperatie ``bron``, loket ``in_beeld_via``)."""
    if process_id not in SOURCE_FIELDS or not isinstance(data, dict):
        return
    source = str(data.get(SOURCE_FIELDS[process_id][0]) or "")[:60]
    tx.session.add(AccountabilityFactRow(kind=ZAAK, case_id=case_id, process_id=process_id, source=source,
                                         leefgebied="", period="", hours=0.0, costs=0.0, at=at))


def record_completion(tx: Any, case_id: str, process_id: str, element: str, data: dict[str, Any],
                      at: datetime) -> None:
    """A specialist's task on a leefgebied completed: its hours and costs count in this month."""
    leefgebied = TRACKS.get(element)
    if leefgebied is None or process_id != "hersteloperatie" or not isinstance(data, dict):
        return
    source = tx.session.scalar(select(AccountabilityFactRow.source).where(
        AccountabilityFactRow.case_id == case_id, AccountabilityFactRow.kind == ZAAK)) or ""
    tx.session.add(AccountabilityFactRow(
        kind=INZET, case_id=case_id, process_id=process_id, source=source, leefgebied=leefgebied,
        period=at.strftime("%Y-%m"), hours=_number(data.get(f"{leefgebied}_uren")),
        costs=_number(data.get(f"{leefgebied}_kosten")), at=at))


def _number(value: Any) -> float:
    try:
        return float(value or 0)
    except (TypeError, ValueError):
        return 0.0


def rebuild(engine: Engine) -> int:
    """Make the facts again from the case histories (every case's ``case_started`` and completed specialist
    tasks); returns how many were written. For cases from before the facts were recorded."""
    facts: list[AccountabilityFactRow] = []
    for process_id in SOURCE_FIELDS:
        for case in engine.cases(process_id=process_id, limit=ALL):
            source = ""
            for event in engine.history(case.id):
                if event.type == "case_started":
                    data = event.payload.get("data") or {}
                    source = str(data.get(SOURCE_FIELDS[process_id][0]) or "")[:60]
                    facts.append(AccountabilityFactRow(kind=ZAAK, case_id=case.id, process_id=process_id,
                                                       source=source, leefgebied="", period="", hours=0.0,
                                                       costs=0.0, at=event.at))
                elif event.type == "task_completed" and process_id == "hersteloperatie" and \
                        event.payload.get("element") in TRACKS:
                    leefgebied, data = TRACKS[event.payload["element"]], event.payload.get("data") or {}
                    facts.append(AccountabilityFactRow(
                        kind=INZET, case_id=case.id, process_id=process_id, source=source, leefgebied=leefgebied,
                        period=event.at.strftime("%Y-%m"), hours=_number(data.get(f"{leefgebied}_uren")),
                        costs=_number(data.get(f"{leefgebied}_kosten")), at=event.at))
    with engine.store.write() as tx:
        tx.session.execute(delete(AccountabilityFactRow))
        tx.session.add_all(facts)
    return len(facts)


def cases_by_source(engine: Engine) -> list[tuple[str, str, int, int]]:
    """(process, source label, running, completed) for the hersteloperatie (``bron``) and the loket
    (``in_beeld_via``), from the recorded facts and the cases' status."""
    running = when((CaseRow.status == "running", 1), else_=0)
    with engine.store.read() as tx:
        found = tx.session.execute(
            select(AccountabilityFactRow.process_id, AccountabilityFactRow.source, func.sum(running), func.count())
            .join(CaseRow, CaseRow.id == AccountabilityFactRow.case_id)
            .where(AccountabilityFactRow.kind == ZAAK)
            .group_by(AccountabilityFactRow.process_id, AccountabilityFactRow.source)).all()
    counts = {(p, s): (int(r or 0), int(n) - int(r or 0)) for p, s, r, n in found}
    return [(process, label, *counts.get((process, key), (0, 0)))
            for process, (_field, labels) in SOURCE_FIELDS.items() for key, label in labels.items()]


def loket_topics(engine: Engine) -> list[tuple[str, int, int, float]]:
    """(topic, Startscan percent, own count, own percent of all topics named at the loket)."""
    counts: Counter = Counter()
    for case in engine.cases(process_id="loket", limit=ALL):
        counts.update(v for v in case.data.get("onderwerpen", []) if isinstance(v, str))
    total = sum(counts.values())
    return [(topic, STARTSCAN_TOPICS.get(topic, 0), counts[topic], round(100 * counts[topic] / total, 1) if total else 0.0)
            for topic in [*STARTSCAN_TOPICS, *sorted(set(counts) - set(STARTSCAN_TOPICS))]]


@dataclass(frozen=True)
class CostLine:
    period: str        # YYYY-MM
    leefgebied: str
    source: str
    cases: int
    hours: float
    costs: float


def costs(engine: Engine, start: str = "", end: str = "") -> list[CostLine]:
    """Time and costs per month, leefgebied and source, from the recorded facts.
    ``start``/``end`` (YYYY-MM, inclusive) limit the months."""
    fact = AccountabilityFactRow
    query = (select(fact.period, fact.leefgebied, fact.source, func.count(func.distinct(fact.case_id)),
                    func.sum(fact.hours), func.sum(fact.costs))
             .where(fact.kind == INZET).group_by(fact.period, fact.leefgebied, fact.source)
             .order_by(fact.period, fact.leefgebied, fact.source))
    if start:
        query = query.where(fact.period >= start)
    if end:
        query = query.where(fact.period <= end)
    with engine.store.read() as tx:
        rows = tx.session.execute(query).all()
    return [CostLine(p, lg, src, int(n), round(float(h or 0), 2), round(float(c or 0), 2))
            for p, lg, src, n, h, c in rows]


def per_leefgebied(lines: list[CostLine]) -> dict[str, tuple[float, float]]:
    """(hours, costs) per leefgebied, every leefgebied present (0 where nothing was recorded)."""
    sums = {lg: [0.0, 0.0] for lg in LEEFGEBIEDEN}
    for line in lines:
        sums.setdefault(line.leefgebied, [0.0, 0.0])
        sums[line.leefgebied][0] += line.hours
        sums[line.leefgebied][1] += line.costs
    return {lg: (round(h, 2), round(c, 2)) for lg, (h, c) in sums.items()}


@dataclass(frozen=True)
class Overview:
    """What the coordinator's overview shows of the accountability: cases per source, costs per leefgebied."""

    sources: list[tuple[str, str, int, int]]
    per_leefgebied: dict[str, tuple[float, float]]

    @property
    def most(self) -> float:
        return max((c for _, c in self.per_leefgebied.values()), default=0.0)


OVERVIEW_SECONDS = 60     # the overview's accountability figures may be this old (the full report is exact)


def overview(engine: Engine) -> Overview:
    """Two grouped queries over the facts, for the coordinator's overview page; kept for ``OVERVIEW_SECONDS``
    (engine clock), so the overview stays fast however many cases there are."""
    now = engine.clock.now()
    kept = getattr(engine, "_accountability_overview", None)
    if kept is not None and 0 <= (now - kept[0]).total_seconds() < OVERVIEW_SECONDS:
        return kept[1]
    found = Overview(cases_by_source(engine), per_leefgebied(costs(engine)))
    engine._accountability_overview = (now, found)     # type: ignore[attr-defined]
    return found


def costs_csv(lines: list[CostLine]) -> str:
    """The cost report as CSV (semicolons and decimal commas, as Dutch spreadsheets read it)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["periode", "leefgebied", "bron", "zaken", "uren", "kosten_euro"])
    for line in lines:
        writer.writerow([line.period, LEEFGEBIEDEN.get(line.leefgebied, line.leefgebied),
                         SOURCES.get(line.source, line.source), line.cases, f"{line.hours:.2f}".replace(".", ","),
                         f"{line.costs:.2f}".replace(".", ",")])
    return out.getvalue()


def _rows(lines: list[CostLine]) -> list[list[Any]]:
    return [[line.period, LEEFGEBIEDEN.get(line.leefgebied, line.leefgebied), SOURCES.get(line.source, line.source),
             line.cases, line.hours, line.costs] for line in lines]


def costs_xlsx(lines: list[CostLine]) -> bytes:
    """The cost report as an Excel workbook: numbers as numbers (hours with one decimal, euros with two)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Kosten per leefgebied"
    sheet.append(["Periode", "Leefgebied", "Bron", "Zaken", "Uren", "Kosten (euro)"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in _rows(lines):
        sheet.append(row)
    for row in sheet.iter_rows(min_row=2):
        row[4].number_format, row[5].number_format = "0.0", "#,##0.00"
    for column, width in zip("ABCDEF", (10, 22, 30, 8, 8, 14), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
