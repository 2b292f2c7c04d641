"""``regie migrate`` and ``regie diff``: moving running cases to another version, comparing versions."""

from __future__ import annotations

import sys

import click

from . import echo_json, engine_from_env, handle_errors, main


@main.command(help="Zet lopende zaken over naar een andere versie van hun proces. Begin met --dry-run.")
@click.argument("process_id")
@click.argument("cases", nargs=-1)
@click.option("--to", "to_version", required=True, help="Versienummer (1, 2, …) of het begin van de versiecode.")
@click.option("--dry-run", is_flag=True, help="Alleen laten zien welke zaken over kunnen; niets opslaan.")
@click.option("--map", "mapping", multiple=True, metavar="OUD=NIEUW",
              help="Waar een hernoemde of vervangen taak heen gaat (mag vaker).")
@click.option("--as", "actor", default="system", help="Wie de zaken overzet (voor de audit).")
@click.option("--json", "as_json", is_flag=True, help="Uitvoer als JSON.")
@handle_errors
def migrate(process_id, cases, to_version, dry_run, mapping, actor, as_json) -> None:
    from ..models.migration import mapping_from_text

    pairs = mapping_from_text(",".join(mapping))
    report = engine_from_env().migrate(process_id, to_version, list(cases) or None, pairs, dry_run, actor)
    if as_json:
        echo_json(report.to_dict())
    else:
        click.echo(("Proefrun: er is niets opgeslagen. " if dry_run else "") + report.summary())
        for o in report.outcomes:
            if o.ok:
                moved = "verplaatst" if o.case_id in report.moved else ("kan over" if dry_run else "niet verplaatst")
                click.echo(f"{o.case_id[:8]}\t{moved}\tstaat dan bij: {', '.join(o.active) or '-'}")
            else:
                d = o.divergence
                click.echo(f"{o.case_id[:8]}\tkan niet over\tevent {d.seq} ({d.event}): {d.reason}")
    if report.blocked and not dry_run:
        sys.exit(1)


@main.command(help="Vergelijk twee versies van een proces: elementen, formulieren en beslistabellen.")
@click.argument("process_id")
@click.argument("old")
@click.argument("new")
@click.option("--json", "as_json", is_flag=True, help="Uitvoer als JSON.")
@handle_errors
def diff(process_id, old, new, as_json) -> None:
    from ..models import library

    before, after, changes = library.compare(engine_from_env(), process_id, old, new)
    if as_json:
        echo_json({"process_id": process_id, "from": before.id, "to": after.id, **changes.to_dict()})
        return
    click.echo(f"{process_id}: versie {before.number} ({before.short}) → versie {after.number} ({after.short})")
    if not changes:
        click.echo("Geen verschillen.")
    for line in changes.lines():
        click.echo(line)
