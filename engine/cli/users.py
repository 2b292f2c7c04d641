"""``regie users``: list, add, disable/enable, reset a password, set roles; the demo accounts.

Every change is logged in ``account_events`` with who made it: ``--as``, else the operating-system account.
"""

from __future__ import annotations

import getpass

import click

from . import echo_json, engine_from_env, handle_errors, main


def _actor():
    return click.option("--as", "actor", default=lambda: f"os:{getpass.getuser()}",
                        help="Wie de wijziging doet (komt in het logboek; standaard uw systeemaccount).")


def _roles(text: str) -> list[str]:
    return [r.strip() for r in text.split(",") if r.strip()]


@main.group(help="Gebruikers beheren.")
def users() -> None:
    pass


@users.command("add", help="Voeg een gebruiker toe of werk hem bij.")
@click.argument("username")
@click.option("--name", required=True, help="Volledige naam.")
@click.option("--roles", required=True, help="Rollen, gescheiden door komma's.")
@click.password_option(help="Wachtwoord (minstens 12 tekens, geen veelgebruikt wachtwoord).")
@_actor()
@handle_errors
def add_user(username, name, roles, password, actor) -> None:
    from ..accounts import save_user

    eng = engine_from_env()
    save_user(eng.store, username, name, _roles(roles), password, actor=actor, at=eng.clock.now())
    click.echo(f"Gebruiker {username} opgeslagen.")


@users.command("disable", help="Zet een account uit; de medewerker wordt meteen uitgelogd.")
@click.argument("username")
@_actor()
@handle_errors
def disable(username, actor) -> None:
    from ..accounts import set_active

    eng = engine_from_env()
    set_active(eng.store, username, False, actor, eng.clock.now())
    click.echo(f"Account {username} staat uit.")


@users.command("enable", help="Zet een uitgezet account weer aan.")
@click.argument("username")
@_actor()
@handle_errors
def enable(username, actor) -> None:
    from ..accounts import set_active

    eng = engine_from_env()
    set_active(eng.store, username, True, actor, eng.clock.now())
    click.echo(f"Account {username} staat weer aan.")


@users.command("reset-password", help="Stel een nieuw wachtwoord in; de medewerker wordt uitgelogd.")
@click.argument("username")
@click.password_option(help="Nieuw wachtwoord.")
@_actor()
@handle_errors
def reset(username, password, actor) -> None:
    from ..accounts import reset_password

    eng = engine_from_env()
    reset_password(eng.store, username, password, actor, eng.clock.now())
    click.echo(f"Nieuw wachtwoord voor {username} ingesteld.")


@users.command("roles", help="Geef een account precies deze rollen (gescheiden door komma's).")
@click.argument("username")
@click.argument("roles")
@_actor()
@handle_errors
def roles_cmd(username, roles, actor) -> None:
    from ..accounts import set_roles

    eng = engine_from_env()
    set_roles(eng.store, username, _roles(roles), actor, eng.clock.now())
    click.echo(f"Rollen van {username}: {roles}")


@users.command("log", help="Wie wijzigde welke accounts, nieuwste eerst.")
@click.argument("username", required=False)
@handle_errors
def log(username) -> None:
    from ..store.accounts import account_events

    with engine_from_env().store.read() as tx:
        for e in account_events(tx, username, limit=200):
            click.echo(f"{e.at.isoformat()} {e.actor} {e.action} {e.username} {e.detail}")


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
