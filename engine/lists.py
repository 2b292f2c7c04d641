"""The Belastingdienst list: one hersteloperatie case per parent on it (004 §2A).

"Gemeente haalt NAW-gegevens en geboortedata op uit portaal van Maykin van de Belastingdienst … De
Belastingdienst stuurt elke twee maanden een nieuwe lijst naar de gemeenten." The coordinator imports each
list (CSV or XLSX) with ``regie import lijst FILE`` or on the coordinator's page:

- every row is read and checked first, against the hersteloperatie start form (as if typed in by hand);
  a rejected row is reported with its line number and what is wrong, and starts nothing;
- a parent is known by name and birth date: a parent already in Regie (from an earlier list, or because
  the municipality found them itself) gets no second case; the report lists them as known, and as
  changed when the address or phone number on the list differs from the case's;
- every new parent gets one case, source ``lijst_belastingdienst``, with the list's date.

Importing the same list again adds nothing. A file is imported whole or not at all: the valid rows'
cases are started in one transaction (``Engine.start_many``), so an import that fails part-way (a start
that fails, the database gone) leaves no case behind and says so; the rejected rows are reported and
start nothing, and the same file can be imported again once they are fixed (the project's choice: valid
rows all-or-nothing, rather than refusing a whole list for one bad row).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InvalidData, RegieError
from .forms import local_date

if TYPE_CHECKING:
    from .runtime import Engine

PROCESS = "hersteloperatie"
SOURCE = "lijst_belastingdienst"

# Column headings as the list may name them (lower case, no spaces or punctuation) -> start form field.
HEADINGS = {
    "naam": "naam_ouder", "naamouder": "naam_ouder", "volledigenaam": "naam_ouder",
    "geboortedatum": "geboortedatum", "geborenop": "geboortedatum",
    "adres": "straat_huisnummer", "straat": "straat_huisnummer", "straatenhuisnummer": "straat_huisnummer",
    "straathuisnummer": "straat_huisnummer",
    "postcode": "postcode", "woonplaats": "woonplaats", "plaats": "woonplaats",
    "telefoon": "telefoon", "telefoonnummer": "telefoon",
}
# Fields compared with a known parent's case to report a change.
COMPARED = ("straat_huisnummer", "postcode", "woonplaats", "telefoon")


class ListUnreadable(RegieError):
    """The file is not a list Regie can read (wrong kind, no heading, no name or birth date column)."""


class ListNotImported(RegieError):
    """Starting the new parents' cases failed part-way: the whole file was rolled back."""

    def __init__(self, reason: str):
        super().__init__(f"De lijst is niet ingelezen: er is geen enkele zaak gestart. Reden: {reason} "
                         "Los dit op en lees hetzelfde bestand opnieuw in.")


@dataclass(frozen=True)
class Row:
    line: int                 # line in the file (1 = the heading)
    data: dict[str, Any]      # start form data for the parent's case


@dataclass
class ListReport:
    rows: int = 0
    new: list[tuple[int, str]] = field(default_factory=list)                     # (line, case number)
    known: list[tuple[int, str]] = field(default_factory=list)                   # (line, case number)
    changed: list[tuple[int, str, list[str]]] = field(default_factory=list)      # (line, case number, fields)
    rejected: list[tuple[int, str]] = field(default_factory=list)                # (line, what is wrong)

    def to_dict(self) -> dict[str, Any]:
        return {"regels": self.rows, "nieuw": [{"regel": n, "zaak": z} for n, z in self.new],
                "bekend": [{"regel": n, "zaak": z} for n, z in self.known],
                "gewijzigd": [{"regel": n, "zaak": z, "velden": f} for n, z, f in self.changed],
                "afgewezen": [{"regel": n, "reden": r} for n, r in self.rejected]}


def read_file(path: str | Path) -> list[tuple[int, dict[str, Any]]]:
    """The rows of a CSV or XLSX file as (line, {field: value}), mapped through ``HEADINGS``."""
    path = Path(path)
    return read_bytes(path.read_bytes(), path.name)


def read_bytes(content: bytes, filename: str) -> list[tuple[int, dict[str, Any]]]:
    if filename.lower().endswith((".xlsx", ".xlsm")):
        table = _xlsx_rows(content)
    elif filename.lower().endswith((".csv", ".txt")):
        table = _csv_rows(content)
    else:
        raise ListUnreadable("Dit bestand kan Regie niet lezen. Gebruik een CSV-bestand of een Excel-bestand (.xlsx).")
    if not table:
        raise ListUnreadable("Het bestand is leeg. Kies het bestand met de lijst van de Belastingdienst.")
    heading = [HEADINGS.get(re.sub(r"[^a-z]", "", str(h or "").lower())) for h in table[0]]
    if "naam_ouder" not in heading or "geboortedatum" not in heading:
        raise ListUnreadable("De eerste regel van het bestand moet de kolomnamen hebben, met ten minste 'naam' en "
                             "'geboortedatum'.")
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        if not any(str(c).strip() for c in cells if c is not None):
            continue    # an empty line is no parent
        values = {name: cells[i] for i, name in enumerate(heading) if name and i < len(cells)}
        rows.append((number, values))
    return rows


def _csv_rows(content: bytes) -> list[list[Any]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252")
    sample = text[:4096]
    delimiter = ";" if sample.count(";") >= sample.count(",") else ","
    return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _xlsx_rows(content: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as err:   # openpyxl raises many kinds for a damaged file
        raise ListUnreadable("Het Excel-bestand is beschadigd of geen .xlsx-bestand. Sla het opnieuw op als .xlsx "
                             "of als CSV.") from err
    sheet = book.worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def start_data(values: dict[str, Any], list_date: str) -> dict[str, Any]:
    """The start form data for one row of the list."""
    data: dict[str, Any] = {"bron": SOURCE, "lijst_datum": list_date}
    for name, value in values.items():
        if value is None:
            continue
        if name == "geboortedatum":
            value = _iso_date(value)
        elif name == "postcode":
            value = re.sub(r"\s+", " ", str(value).strip().upper())
        else:
            value = str(value).strip()
        if value != "":
            data[name] = value
    return data


def _iso_date(value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    match = re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", text)   # 02-01-1985, the Dutch way
    if match:
        day, month, year = (int(g) for g in match.groups())
        try:
            return date(year, month, day).isoformat()
        except ValueError:
            return text
    return text


def key(data: dict[str, Any]) -> tuple[str, str]:
    """Who a parent is: name (case and spaces ignored) and birth date."""
    return (" ".join(str(data.get("naam_ouder", "")).casefold().split()), str(data.get("geboortedatum", "")))


def check(engine: Engine, rows: list[tuple[int, dict[str, Any]]], list_date: str) -> tuple[list[Row], ListReport]:
    """Every row checked against the start form, before anything is written: the rows to import and the
    report with the rejected ones."""
    report = ListReport(rows=len(rows))
    form = engine.current_version(PROCESS).start_form()
    today = local_date(engine.clock.now())
    good: list[Row] = []
    first_line: dict[tuple[str, str], int] = {}
    for line, values in rows:
        data = start_data(values, list_date)
        problems = []
        if not data.get("geboortedatum"):
            problems.append("geboortedatum: Vul de geboortedatum in; zonder geboortedatum is niet zeker wie de ouder is.")
        try:
            if form is not None:
                form.validate(data, today=today)
        except InvalidData as err:
            problems += [f"{p.field}: {p.message}" for p in err.problems
                         if not (p.field == "geboortedatum" and problems)]
        if problems:
            report.rejected.append((line, " ".join(problems)))
            continue
        who = key(data)
        if who in first_line:
            report.rejected.append((line, f"Deze ouder staat ook op regel {first_line[who]}."))
            continue
        first_line[who] = line
        good.append(Row(line, data))
    return good, report


def import_rows(engine: Engine, rows: list[tuple[int, dict[str, Any]]], list_date: str, actor: str,
                dry_run: bool = False, progress: Callable[[int, int], None] | None = None) -> ListReport:
    """Import the checked rows: a case per new parent, all in one transaction (``Engine.start_many``), so a
    file is imported whole or not at all; known and changed parents reported. ``progress(done, total)`` is
    called per row checked against the known parents, then per case started."""
    good, report = check(engine, rows, list_date)
    known = {key(c.data): c for c in engine.cases(process_id=PROCESS, limit=10_000_000)}
    new: list[Row] = []
    for row in good:
        case = known.get(key(row.data))
        if case is not None:
            changed = [f for f in COMPARED if f in row.data and row.data[f] != case.data.get(f)]
            if changed:
                report.changed.append((row.line, case.number or case.id, changed))
            else:
                report.known.append((row.line, case.number or case.id))
        else:
            new.append(row)
    if dry_run or not new:
        report.new = [(row.line, "") for row in new] if dry_run else []
        if progress is not None:
            progress(len(good), len(good))
        return report
    known_count = len(good) - len(new)
    step = None if progress is None else (lambda done, _total: progress(known_count + done, len(good)))
    try:
        started = engine.start_many(PROCESS, [row.data for row in new], actor=actor, progress=step)
    except RegieError as err:
        raise ListNotImported(str(err)) from err
    report.new = [(row.line, number or case_id) for row, (case_id, number) in zip(new, started, strict=True)]
    return report
