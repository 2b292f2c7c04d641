"""``regie teams``: teams, their members (a role per member per team) and the processes they work."""

from __future__ import annotations

import click

from . import echo_json, engine_from_env, handle_errors, main

_ACTOR = click.option("--as", "actor", required=True, help="Wie de wijziging doet (komt in het accountlog).")


@main.group(help="Teams: wie in welk team zit (met een rol per team) en welk team welk proces doet.")
def teams() -> None:
    pass


@teams.command("list", help="Toon de teams met hun leden en processen.")
@click.option("--json", "as_json", is_flag=True, help="Uitvoer als JSON.")
@handle_errors
def list_teams(as_json) -> None:
    found = engine_from_env().teams.list()
    if as_json:
        echo_json([t.to_dict() for t in found])
        return
    for t in found:
        processes = ", ".join(f"{p} (baan {lane})" if lane else p for p, lane in t.processes) or "-"
        click.echo(f"{t.id}\t{t.name}\t{len(t.members)} leden\tprocessen: {processes}")
    if not found:
        click.echo("Nog geen teams. Maak er een met 'regie teams add'. Zonder teams is de rol het team.")


@teams.command("add", help="Maak een team (of geef een team een nieuwe naam).")
@click.argument("team_id")
@click.argument("name")
@_ACTOR
@handle_errors
def add(team_id, name, actor) -> None:
    engine_from_env().teams.add(team_id, name, actor)
    click.echo(f"Team {team_id} opgeslagen.")


@teams.command("members", help="Toon de leden van een team met hun rol in het team.")
@click.argument("team_id")
@click.option("--json", "as_json", is_flag=True, help="Uitvoer als JSON.")
@handle_errors
def members(team_id, as_json) -> None:
    team = engine_from_env().teams.get(team_id)
    if as_json:
        echo_json(team.to_dict()["members"])
        return
    for m in team.members:
        click.echo(f"{m.username}\t{m.name}\t{m.role}")
    if not team.members:
        click.echo(f"Team {team_id} heeft nog geen leden. Voeg ze toe met 'regie teams member-add'.")


@teams.command("member-add", help="Zet een gebruiker in een team met een rol (casemanager, specialist of "
                                  "coordinator). Het account moet die rol hebben.")
@click.argument("team_id")
@click.argument("username")
@click.argument("role")
@_ACTOR
@handle_errors
def member_add(team_id, username, role, actor) -> None:
    engine_from_env().teams.set_member(team_id, username, role, actor)
    click.echo(f"{username} zit nu in team {team_id} als {role}.")


@teams.command("member-remove", help="Haal een gebruiker uit een team.")
@click.argument("team_id")
@click.argument("username")
@_ACTOR
@handle_errors
def member_remove(team_id, username, actor) -> None:
    engine_from_env().teams.remove_member(team_id, username, actor)
    click.echo(f"{username} zit niet meer in team {team_id}.")


@teams.command("process", help="Laat een team een proces doen (of met --lane alleen de taken van één baan).")
@click.argument("team_id")
@click.argument("process_id")
@click.option("--lane", help="Alleen deze baan (rol) van het proces.")
@_ACTOR
@handle_errors
def process(team_id, process_id, lane, actor) -> None:
    engine_from_env().teams.assign_process(team_id, process_id, actor, lane)
    click.echo(f"Team {team_id} doet nu {'baan ' + lane + ' van ' if lane else ''}proces {process_id}.")


@teams.command("process-remove", help="Geen team meer voor een proces (of voor één baan ervan).")
@click.argument("process_id")
@click.option("--lane", help="Alleen deze baan (rol) van het proces.")
@_ACTOR
@handle_errors
def process_remove(process_id, lane, actor) -> None:
    engine_from_env().teams.unassign_process(process_id, actor, lane)
    click.echo(f"Proces {process_id}{' baan ' + lane if lane else ''}: geen team meer.")


@teams.command("load", help="Lees teams, leden en processen uit een YAML-bestand (zie docs/teams.md).")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@_ACTOR
@handle_errors
def load(path, actor) -> None:
    for team_id in engine_from_env().teams.load(path, actor):
        click.echo(f"Team {team_id} geladen.")
