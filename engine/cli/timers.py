"""``regie timers …``: fire what is due."""

from __future__ import annotations

import click

from ..providers import as_utc
from . import engine_from_env, handle_errors, main


@main.group(help="Timers: laten afgaan wat verlopen is.")
def timers() -> None:
    pass


@timers.command("run-due", help="Laat alle timers afgaan die op het moment --now verlopen zijn.")
@click.option("--now", help="Tijdstip (ISO-8601); standaard nu.")
@handle_errors
def run_due(now) -> None:
    eng = engine_from_env()
    fired = eng.fire_due_timers(as_utc(now) if now else None)
    click.echo(f"{fired} timer(s) afgegaan.")
