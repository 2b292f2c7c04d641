"""``regie import lijst FILE``: the Belastingdienst list, one case per new parent (engine.lists)."""

from __future__ import annotations

import sys

import click

from . import echo_json, engine_from_env, handle_errors, main


@main.group(name="import", help="Gegevens inlezen.")
def import_group() -> None:
    pass


@import_group.command(name="lijst", help="Lees een lijst van de Belastingdienst in (CSV of Excel): één zaak per "
                                         "nieuwe ouder. Opnieuw inlezen voegt niets dubbel toe.")
@click.argument("bestand", type=click.Path(exists=True, dir_okay=False))
@click.option("--datum", "list_date", default=None, help="Datum van de lijst (JJJJ-MM-DD); standaard vandaag.")
@click.option("--door", "actor", default="coordinator", show_default=True, help="Wie de lijst inleest.")
@click.option("--proef", is_flag=True, help="Alleen controleren en laten zien wat er zou gebeuren.")
@click.option("--json", "as_json", is_flag=True, help="Het verslag als JSON.")
@handle_errors
def import_list(bestand: str, list_date: str | None, actor: str, proef: bool, as_json: bool) -> None:
    from ..forms import local_date
    from ..lists import import_rows, read_file

    eng = engine_from_env()
    list_date = list_date or local_date(eng.clock.now()).isoformat()
    rows = read_file(bestand)
    with click.progressbar(length=max(len(rows), 1), label="Lijst inlezen", file=sys.stderr,
                           show_pos=True) as bar:
        state = {"done": 0}

        def progress(done: int, total: int) -> None:
            bar.update(done - state["done"])
            state["done"] = done

        report = import_rows(eng, rows, list_date, actor, dry_run=proef, progress=progress)
    if as_json:
        echo_json(report.to_dict())
        return
    what = "zou toevoegen" if proef else "toegevoegd"
    click.echo(f"{report.rows} regels: {len(report.new)} nieuwe ouders {what}, {len(report.known)} al bekend, "
               f"{len(report.changed)} bekend met andere gegevens, {len(report.rejected)} afgewezen.")
    for line, number, fields in report.changed:
        click.echo(f"  regel {line}: al bekend als zaak {number}, maar anders op de lijst: {', '.join(fields)}")
    for line, reason in report.rejected:
        click.echo(f"  regel {line}: afgewezen. {reason}")
