"""``regie scheduler``: the timer scheduler as a process of its own (production, several hosts)."""

from __future__ import annotations

import logging

import click

from ..scheduler import ANCHOR_TIME
from . import engine_from_env, handle_errors, main
from .audit import anchor_file


@main.command(help="Laat timers op tijd afgaan (draai dit als eigen proces; meerdere mogen tegelijk).")
@click.option("--interval", default=5.0, show_default=True, type=float, help="Seconden tussen twee rondes.")
@click.option("--batch", default=100, show_default=True, type=int, help="Timers per ronde.")
@click.option("--lease", default=60.0, show_default=True, type=float,
              help="Seconden dat opgepakte timers van deze scheduler blijven; daarna neemt een andere ze over.")
@click.option("--once", is_flag=True, help="Werk alles af wat nu verlopen is en stop dan.")
@click.option("--max-seconds", type=float, help="Met --once: stop uiterlijk na zoveel seconden.")
@click.option("--name", help="Naam van deze scheduler (standaard host:pid).")
@click.option("--anchor-key", "anchor_key", envvar="REGIE_ANCHOR_KEY", type=click.Path(),
              help="Privésleutel (PEM) voor het dagelijkse auditanker; standaard REGIE_ANCHOR_KEY. Zonder sleutel "
                   "schrijft de scheduler geen anker.")
@click.option("--anchor-file", "anchor_path", default=anchor_file, type=click.Path(),
              help="Ankerbestand (alleen toevoegen); standaard REGIE_ANCHOR_FILE of instance/anchors.jsonl.")
@click.option("--anchor-time", "anchor_time", envvar="REGIE_ANCHOR_TIME", default=ANCHOR_TIME, show_default=True,
              help="Tijd van de dag (Nederlandse tijd) van het dagelijkse anker; standaard REGIE_ANCHOR_TIME.")
@handle_errors
def scheduler(interval, batch, lease, once, max_seconds, name, anchor_key, anchor_path, anchor_time) -> None:
    from ..scheduler import Scheduler

    # Our own progress at INFO; libraries (SpiffWorkflow logs every task state change) only when they warn.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("engine").setLevel(logging.INFO)
    worker = Scheduler(engine_from_env(), name=name, batch=batch, lease_seconds=lease, interval=interval,
                       anchor_key=anchor_key, anchor_file=anchor_path, anchor_time=anchor_time)
    if once:
        fired = worker.run_until_idle(max_seconds)
        from ..jobs import run_once  # connectors and webhooks (engine.jobs)

        done = run_once(worker)
        worker.release()
        click.echo(f"{fired} timer(s) afgegaan.")
        click.echo(f"{done} stap(pen) van koppelingen en webhooks afgehandeld.")
        return
    anchoring = f"; dagelijks anker om {anchor_time} in {anchor_path}" if anchor_key else ""
    click.echo(f"Scheduler {worker.name} draait (elke {interval:g} s{anchoring}; stoppen: Ctrl+C).")
    worker.run_forever()
    click.echo("Scheduler gestopt.")
