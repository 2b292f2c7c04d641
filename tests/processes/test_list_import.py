"""The Belastingdienst list (004 §2A): one case per parent, idempotent, every rejected row reported by line."""

from __future__ import annotations

import csv
import io

import pytest
from click.testing import CliRunner

from engine.lists import ListUnreadable, import_rows, read_bytes

HEADING = ["Naam", "Geboortedatum", "Adres", "Postcode", "Woonplaats", "Telefoon"]
BAD = {  # line in the file -> (row, what the report must say)
    5: (["", "01-02-1980", "Demoweg 5", "1234 AB", "Demodorp", ""], "naam_ouder"),
    17: (["Demo Ouder 17", "", "Demoweg 17", "1234 AB", "Demodorp", ""], "geboortedatum"),
    230: (["Demo Ouder 230", "31-02-1980", "Demoweg 230", "1234 AB", "Demodorp", ""], "geboortedatum"),
    611: (["Demo Ouder 611", "01-02-1980", "Demoweg 611", "1234 AB", "Demodorp", "bel mij"], "telefoon"),
}


def parent(i: int) -> list[str]:
    return [f"Demo Ouder {i}", f"{1 + i % 28:02d}-{1 + i % 12:02d}-{1970 + i % 30}", f"Demoweg {i}", "1234 AB",
            "Demodorp", "06 1234 5678" if i % 3 == 0 else ""]


BAD[998] = (parent(10), "regel 10")   # the same parent twice in one list


def list_file(rows: int = 1000, moved: set[int] = frozenset()) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(HEADING)
    for line in range(2, rows + 2):
        row = BAD[line][0] if line in BAD else parent(line)
        if line in moved:
            row = [*row[:2], f"Nieuwe straat {line}", *row[3:]]
        writer.writerow(row)
    return out.getvalue().encode("utf-8")


def xlsx_file(content: bytes) -> bytes:
    """The same list as an Excel workbook, the way the Belastingdienst's portal also hands it out."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for row in csv.reader(io.StringIO(content.decode("utf-8")), delimiter=";"):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


FORMATS = {"csv": lambda content: content, "xlsx": xlsx_file}


@pytest.mark.parametrize("kind", FORMATS)
def test_a_list_of_1000_rows_with_bad_rows_imported_three_times(engine, kind):
    rows = read_bytes(FORMATS[kind](list_file()), f"lijst-2026-01.{kind}")
    assert len(rows) == 1000
    first = import_rows(engine, rows, "2026-01-02", actor="coco")
    assert [line for line, _ in first.rejected] == sorted(BAD)
    for line, reason in first.rejected:
        assert BAD[line][1] in reason, (line, reason)
    assert len(first.new) == 1000 - len(BAD)
    assert len({number for _, number in first.new}) == len(first.new)
    cases = engine.cases(process_id="hersteloperatie", limit=5000)
    assert len(cases) == len(first.new)
    assert {c.data["bron"] for c in cases} == {"lijst_belastingdienst"}

    again = import_rows(engine, rows, "2026-01-02", actor="coco")
    assert again.new == [] and again.changed == []
    assert [line for line, _ in again.rejected] == sorted(BAD)
    assert len(again.known) == len(first.new)

    # the next list, two months later: two parents moved, nothing new
    third = import_rows(engine, read_bytes(FORMATS[kind](list_file(moved={40, 41})), f"lijst-2026-03.{kind}"),
                        "2026-03-02", actor="coco")
    assert third.new == []
    assert [(line, fields) for line, _, fields in third.changed] == [(40, ["straat_huisnummer"]),
                                                                     (41, ["straat_huisnummer"])]
    assert len(engine.cases(process_id="hersteloperatie", limit=5000)) == len(first.new)


def test_a_list_is_imported_whole_or_not_at_all(engine, monkeypatch):
    """A start that fails part-way (here the 300th case: the database is busy) rolls back every case of the
    file; the report says nothing was imported, and the same file imported again then imports it whole."""
    from engine.errors import ConflictError
    from engine.lists import ListNotImported

    real, calls = type(engine)._start, []

    def failing(self, *args):
        calls.append(1)
        if len(calls) == 300:
            raise ConflictError("De database is even bezet.")
        return real(self, *args)

    monkeypatch.setattr(type(engine), "_start", failing)
    seen = []
    with pytest.raises(ListNotImported, match="er is geen enkele zaak gestart"):
        import_rows(engine, read_bytes(list_file(), "lijst.csv"), "2026-01-02", actor="coco",
                    progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (299, 1000 - len(BAD))       # it got that far, then everything was rolled back
    assert engine.cases(process_id="hersteloperatie", limit=5000) == []
    monkeypatch.setattr(type(engine), "_start", real)
    report = import_rows(engine, read_bytes(list_file(), "lijst.csv"), "2026-01-02", actor="coco")
    assert len(report.new) == 1000 - len(BAD)
    assert len(engine.cases(process_id="hersteloperatie", limit=5000)) == len(report.new)
    assert engine.verify()


def test_a_dry_run_writes_nothing(engine):
    report = import_rows(engine, read_bytes(list_file(20), "lijst.csv"), "2026-01-02", actor="coco", dry_run=True)
    assert len(report.new) == 20 - len([line for line in BAD if line <= 21])
    assert engine.cases(process_id="hersteloperatie") == []


def test_an_unreadable_file_is_refused_as_a_whole(engine):
    with pytest.raises(ListUnreadable):
        read_bytes(b"wie;wanneer\nA;B\n", "lijst.csv")
    with pytest.raises(ListUnreadable):
        read_bytes(b"not a workbook", "lijst.xlsx")
    with pytest.raises(ListUnreadable):
        read_bytes(b"Naam,Geboortedatum\n", "lijst.pdf")
    assert engine.cases(process_id="hersteloperatie") == []


def test_an_excel_list_imports_like_a_csv(engine):
    from datetime import datetime

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(HEADING)
    sheet.append(["Demo Ouder X", datetime(1984, 3, 7), "Demoweg 1", "1234ab", "Demodorp", None])
    sheet.append(["Demo Ouder Y", "07-03-1985", None, None, None, None])
    buffer = io.BytesIO()
    book.save(buffer)
    report = import_rows(engine, read_bytes(buffer.getvalue(), "lijst.xlsx"), "2026-01-02", actor="coco")
    assert len(report.new) == 2 and report.rejected == []
    [x] = [c for c in engine.cases(process_id="hersteloperatie") if c.subject == "Demo Ouder X"]
    assert x.data["geboortedatum"] == "1984-03-07" and x.data["postcode"] == "1234AB"


def test_a_list_case_walks_on_like_any_list_case(flow):
    report = import_rows(flow.eng, read_bytes(list_file(3), "lijst.csv"), "2026-01-02", actor="coco")
    [(line, number), *_] = report.new
    flow.case_id = flow.eng.resolve_case(number)
    assert flow.open() == ["Task_ContactOpnemen"]
    assert flow.task("Task_ContactOpnemen").form == "contactpoging"
    flow.do("Task_ContactOpnemen", {"contact_uitkomst": "hulp_gewenst", "contact_kanaal": "brief"})
    assert flow.open() == ["Task_KennismakingVoorbereiden"]
    assert flow.data["straat_huisnummer"] == f"Demoweg {line}"
    assert flow.verified()


def test_regie_import_lijst(engine, tmp_path, monkeypatch):
    from engine.cli import main

    path = tmp_path / "lijst.csv"
    path.write_bytes(list_file(30))
    monkeypatch.setenv("REGIE_DATABASE_URL", str(engine.store.engine.url))
    runner = CliRunner()
    result = runner.invoke(main, ["import", "lijst", str(path), "--datum", "2026-01-02"])
    assert result.exit_code == 0, result.output
    assert "30 regels: 28 nieuwe ouders toegevoegd, 0 al bekend" in result.output
    assert "regel 5: afgewezen." in result.output and "regel 17: afgewezen." in result.output
    again = runner.invoke(main, ["import", "lijst", str(path), "--datum", "2026-01-02"])
    assert "0 nieuwe ouders toegevoegd, 28 al bekend" in again.output


def test_every_two_months_the_coordinator_gets_a_task_to_import_the_next_list(engine):
    from datetime import timedelta

    [schedule] = [s for s in engine.start_schedules() if s.process_id == "lijst-belastingdienst"]
    assert schedule.cycles_left == -1          # for as long as the model is deployed
    first = schedule.next
    engine.clock.set(first + timedelta(minutes=1))
    engine.fire_due_timers()
    engine.clock.advance(timedelta(days=62))
    engine.fire_due_timers()
    cases = engine.cases(process_id="lijst-belastingdienst")
    assert len(cases) == 2
    for case in cases:
        [task] = engine.tasks(case_id=case.id)
        assert (task.name, task.role, task.form) == ("Task_LijstInlezen", "coordinator", "lijst-inlezen")
    engine.complete(task.id, {"lijst_ontvangen": True, "lijst_ingelezen": True, "aantal_nieuwe_ouders": 12},
                    actor="coco")
    assert engine.verify()


def test_regie_verantwoording_opbouwen_makes_the_facts_from_the_histories(engine, monkeypatch):
    from sqlalchemy import delete

    from engine import accountability
    from engine.cli import main
    from engine.store.models import AccountabilityFactRow

    import_rows(engine, read_bytes(list_file(5), "lijst.csv"), "2026-01-02", actor="coco")
    counted = accountability.cases_by_source(engine)
    with engine.store.write() as tx:          # as after the upgrade: cases from before the facts
        tx.session.execute(delete(AccountabilityFactRow))
    assert accountability.cases_by_source(engine) != counted
    monkeypatch.setenv("REGIE_DATABASE_URL", str(engine.store.engine.url))
    result = CliRunner().invoke(main, ["verantwoording", "opbouwen"])
    assert result.exit_code == 0 and "4 feiten" in result.output, result.output
    assert accountability.cases_by_source(engine) == counted
