"""``regie init-db``, ``deploy``, ``validate``, ``processes``."""

from __future__ import annotations

import sys

import click

from . import echo_json, engine_from_env, handle_errors, main


@main.command("init-db", help="Maak de database aan of werk het schema bij.")
@handle_errors
def init_db() -> None:
    eng = engine_from_env()
    click.echo(f"Database klaar: {eng.store.url.render_as_string(hide_password=True)}")


@main.command(help="Rol modellen uit (BPMN, DMN, formulieren). Zonder pad: processes/ en forms/.")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--as", "actor", default="system", help="Wie uitrolt (voor de audit).")
@click.option("--json", "as_json", is_flag=True, help="Uitvoer als JSON.")
@click.option("--documentation", is_flag=True,
              help="Rol processen die niet uitvoerbaar zijn uit als documentatie: te bekijken, niet te starten.")
@click.option("--note", default="", help="Toelichting: wat is er veranderd en waarom (staat bij de versie).")
@handle_errors
def deploy(paths, actor, as_json, documentation, note) -> None:
    eng = engine_from_env()
    paths = list(paths) or ["processes/", "forms/"]
    if note:
        from ..definitions import read_sources
        from ..models import library

        stored = library.deploy(eng, read_sources(paths), actor, note, documentation=documentation)
        for v in stored:
            click.echo(f"{v.process_id}: versie {v.number} ({v.short}) {v.note}")
        return
    deployed = eng.deploy(paths, actor=actor, documentation=documentation)
    if as_json:
        echo_json([d.__dict__ for d in deployed])
        return
    for d in deployed:
        click.echo(f"{d.process_id}: versie {d.version_id[:12]} {'(nieuw)' if d.new else '(al bekend)'}")


@main.command(help="Controleer modellen zonder iets op te slaan. Eén regel per probleem.")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Uitvoer als JSON.")
@click.option("--documentation", is_flag=True, help="Processen die niet uitvoerbaar zijn, zijn goed als documentatie.")
@handle_errors
def validate(paths, as_json, documentation) -> None:
    eng = engine_from_env()
    found = eng.validate(list(paths), documentation=documentation, warnings=True)
    problems = [p for p in found if p.severity == "error"]
    if as_json:
        echo_json([p.__dict__ for p in found])
    else:
        for p in found:
            click.echo(str(p))
        if not problems:
            click.echo("Geen problemen gevonden." if not found else "Geen problemen gevonden; lees de punten met 'let op'.")
    if problems:
        sys.exit(1)


@main.command(help="Toon de uitgerolde processen.")
@click.option("--json", "as_json", is_flag=True, help="Uitvoer als JSON.")
@handle_errors
def processes(as_json) -> None:
    items = engine_from_env().processes()
    if as_json:
        echo_json(items)
        return
    for p in items:
        click.echo(f"{p['id']}\t{p['version_id'][:12]}\t{p['name']}")
