"""``regie serve``: the web app, as a command the engine's CLI picks up through an entry point.

It lives here, not in ``engine/``, because the engine does not know the web layer: ``pyproject.toml``
declares it in the ``regie.commands`` entry-point group and ``engine.cli`` adds whatever is there.
"""

from __future__ import annotations

import click

from engine.cli import engine_from_env, handle_errors


@click.command(help="Start de webapplicatie.")
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
        from engine.scheduler import Scheduler

        timers = Scheduler(engine_from_env())
        timers.start_background()
    click.echo(f"Regie draait op http://{host}:{port}/ (stoppen: Ctrl+C)")
    try:
        waitress_serve(app, host=host, port=port, threads=8)
    finally:
        if timers is not None:
            timers.shutdown()
