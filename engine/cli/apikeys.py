"""``regie apikeys``: system clients of the REST API (keys stored hashed, shown once, revocable)."""

from __future__ import annotations

import click

from . import echo_json, engine_from_env, handle_errors, main


@main.group(help="Sleutels voor systemen die de REST API gebruiken.")
def apikeys() -> None:
    pass


@apikeys.command("add", help="Maak een sleutel voor een systeem. De sleutel ziet u maar één keer.")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, required=True,
              help="Wat het systeem mag (herhaal voor meer): processes:read, cases:read, cases:read-personal, "
                   "cases:start, tasks:read, tasks:complete, messages:deliver, lists:import.")
@click.option("--as", "actor", required=True, help="Wie de sleutel maakt.")
@handle_errors
def add(name, scopes, actor) -> None:
    client, key = engine_from_env().api_clients.create(name, list(scopes), actor)
    click.echo(f"API-client {client.name} ({client.id}) gemaakt met: {', '.join(client.scopes)}.")
    click.echo("Bewaar deze sleutel nu veilig. Hij wordt niet opgeslagen en is later niet meer te zien:")
    click.echo(key)


@apikeys.command("list", help="Toon de API-clients (zonder sleutels).")
@click.option("--json", "as_json", is_flag=True, help="Uitvoer als JSON.")
@handle_errors
def list_clients(as_json) -> None:
    clients = engine_from_env().api_clients.list()
    if as_json:
        echo_json([{"id": c.id, "name": c.name, "scopes": list(c.scopes), "created_at": c.created_at,
                    "created_by": c.created_by, "revoked_at": c.revoked_at} for c in clients])
        return
    for c in clients:
        state = "actief" if c.active else "ingetrokken"
        click.echo(f"{c.id}\t{c.name}\t{state}\t{','.join(c.scopes)}")


@apikeys.command("revoke", help="Trek de sleutel van een API-client in (op id of naam).")
@click.argument("client")
@click.option("--as", "actor", required=True, help="Wie de sleutel intrekt.")
@handle_errors
def revoke(client, actor) -> None:
    revoked = engine_from_env().api_clients.revoke(client, actor)
    click.echo(f"De sleutel van {revoked.name} is ingetrokken. Elke aanroep ermee wordt geweigerd.")
