"""``regie users``: accounts and the demo accounts."""

from __future__ import annotations

import click

from . import echo_json, engine_from_env, handle_errors, main


@main.group(help="Gebruikers beheren.")
def users() -> None:
    pass


@users.command("add", help="Voeg een gebruiker toe of werk hem bij.")
@click.argument("username")
@click.option("--name", required=True, help="Volledige naam.")
@click.option("--roles", required=True, help="Rollen, gescheiden door komma's.")
@click.password_option(help="Wachtwoord.")
@handle_errors
def add_user(username, name, roles, password) -> None:
    from ..accounts import save_user

    eng = engine_from_env()
    save_user(eng.store, username, name, [r.strip() for r in roles.split(",") if r.strip()], password)
    click.echo(f"Gebruiker {username} opgeslagen.")


@users.command("demo", help="Laad de demo-accounts (alleen in demomodus: REGIE_DEMO=1).")
@handle_errors
def demo_users() -> None:
    from ..accounts import load_demo_users

    eng = engine_from_env()
    for username in load_demo_users(eng.store):
        click.echo(f"Demo-account: {username}")


@users.command("list", help="Toon de gebruikers met hun rollen.")
@click.option("--json", "as_json", is_flag=True, help="Uitvoer als JSON.")
@handle_errors
def list_users(as_json) -> None:
    from ..accounts import ROLES

    with engine_from_env().store.read() as tx:
        rows = sorted(tx.users(), key=lambda u: u.username)
    if as_json:
        echo_json([{"username": u.username, "name": u.name, "roles": [r for r in u.roles.split(",") if r],
                    "active": bool(u.active)} for u in rows])
        return
    for u in rows:
        roles = ", ".join(ROLES.get(r, r) for r in u.roles.split(",") if r)
        click.echo(f"{u.username}\t{u.name}\t{roles}\t{'actief' if u.active else 'geblokkeerd'}")
    if not rows:
        click.echo("Nog geen gebruikers. Voeg er een toe met 'regie users add'.")
