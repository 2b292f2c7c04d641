"""Figures for the municipality's accountability: cases per source, loket topics, time and costs per leefgebied.

004 "Financiële verantwoording" and §2B ("Voor verantwoording is het van belang om vast te leggen dat de
gemeenten inzet heeft gepleegd om in contact te komen met ouder"); 002 "Het gaat om alle begeleidingskosten
en dienstverleningskosten op de 5 leefgebieden"; 003 §1.2, the topics residents arrive with.

Everything is read from the cases and their event logs through the engine facade: time and costs are the
``<leefgebied>_uren`` / ``<leefgebied>_kosten`` fields of the specialists' forms (``hulp-<leefgebied>``),
counted in the period their task was completed.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

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


def cases_by_source(engine: Engine) -> list[tuple[str, str, int, int]]:
    """(process, source label, running, completed) for the hersteloperatie (``bron``) and the loket
    (``in_beeld_via``)."""
    rows = []
    for process, field, labels in (("hersteloperatie", "bron", SOURCES), ("loket", "in_beeld_via", LOKET_WAYS)):
        counts: Counter = Counter()
        for case in engine.cases(process_id=process, limit=ALL):
            counts[(case.data.get(field, ""), case.status == "running")] += 1
        for key, label in labels.items():
            rows.append((process, label, counts[(key, True)], counts[(key, False)]))
    return rows


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
    """Time and costs per month, leefgebied and source, from the specialists' completed tasks.
    ``start``/``end`` (YYYY-MM, inclusive) limit the months."""
    sums: dict[tuple[str, str, str], list] = defaultdict(lambda: [set(), 0.0, 0.0])
    for case in engine.cases(process_id="hersteloperatie", limit=ALL):
        source = case.data.get("bron", "")
        for event in engine.history(case.id):
            if event.type != "task_completed" or event.payload.get("element") not in TRACKS:
                continue
            leefgebied = TRACKS[event.payload["element"]]
            data = event.payload.get("data") or {}
            period = event.at.strftime("%Y-%m")
            if (start and period < start) or (end and period > end):
                continue
            entry = sums[(period, leefgebied, source)]
            entry[0].add(case.id)
            entry[1] += float(data.get(f"{leefgebied}_uren") or 0)
            entry[2] += float(data.get(f"{leefgebied}_kosten") or 0)
    return [CostLine(p, lg, src, len(v[0]), round(v[1], 2), round(v[2], 2))
            for (p, lg, src), v in sorted(sums.items())]


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
