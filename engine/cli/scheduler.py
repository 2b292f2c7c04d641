"""``regie scheduler``: the timer scheduler as a process of its own (production, several hosts)."""

from __future__ import annotations

import logging

import click

from . import engine_from_env, handle_errors, main


@main.command(help="Laat timers op tijd afgaan (draai dit als eigen proces; meerdere mogen tegelijk).")
@click.option("--interval", default=5.0, show_default=True, type=float, help="Seconden tussen twee rondes.")
@click.option("--batch", default=100, show_default=True, type=int, help="Timers per ronde.")
@click.option("--lease", default=60.0, show_default=True, type=float,
              help="Seconden dat opgepakte timers van deze scheduler blijven; daarna neemt een andere ze over.")
@click.option("--once", is_flag=True, help="Werk alles af wat nu verlopen is en stop dan.")
@click.option("--max-seconds", type=float, help="Met --once: stop uiterlijk na zoveel seconden.")
@click.option("--name", help="Naam van deze scheduler (standaard host:pid).")
@handle_errors
def scheduler(interval, batch, lease, once, max_seconds, name) -> None:
    from ..scheduler import Scheduler

    # Our own progress at INFO; libraries (SpiffWorkflow logs every task state change) only when they warn.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("engine").setLevel(logging.INFO)
    worker = Scheduler(engine_from_env(), name=name, batch=batch, lease_seconds=lease, interval=interval)
    if once:
        fired = worker.run_until_idle(max_seconds)
        worker.release()
        click.echo(f"{fired} timer(s) afgegaan.")
        return
    click.echo(f"Scheduler {worker.name} draait (elke {interval:g} s; stoppen: Ctrl+C).")
    worker.run_forever()
    click.echo("Scheduler gestopt.")
