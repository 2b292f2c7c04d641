"""``regie serve`` and ``regie users``: the web app and its accounts."""

from __future__ import annotations

import click

from . import engine_from_env, handle_errors, main


@main.command(help="Start de webapplicatie.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--scheduler/--no-scheduler", "with_scheduler", default=True, show_default=True,
              help="Laat timers afgaan in dit proces (uit als 'regie scheduler' apart draait).")
@handle_errors
def serve(host, port, with_scheduler) -> None:
    from waitress import serve as waitress_serve

    from web import create_app

    app = create_app()
    timers = None
    if with_scheduler:
        from ..scheduler import Scheduler

        timers = Scheduler(engine_from_env())
        timers.start_background()
    click.echo(f"Regie draait op http://{host}:{port}/ (stoppen: Ctrl+C)")
    try:
        waitress_serve(app, host=host, port=port, threads=8)
    finally:
        if timers is not None:
            timers.shutdown()


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
