"""``regie serve``: the web app, as a command the engine's CLI picks up through an entry point.

It lives here, not in ``engine/``, because the engine does not know the web layer: ``pyproject.toml``
declares it in the ``regie.commands`` entry-point group and ``engine.cli`` adds whatever is there.

With ``--processes N`` the command binds the port once and forks N waitress workers that share it (the
kernel hands each new connection to one of them), so a machine's cores all serve requests; the app is
built (and the schema upgraded) once before the fork; each worker opens its own database connections. The scheduler, when on, runs in the parent only.
"""

from __future__ import annotations

import os
import signal
import socket
import traceback

import click

from engine.cli import engine_from_env, handle_errors


@click.command(help="Start de webapplicatie.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--processes", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Aantal serverprocessen op dezelfde poort (kies er één per processorkern).")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256),
              help="Aantal threads per serverproces.")
@click.option("--scheduler/--no-scheduler", "with_scheduler", default=True, show_default=True,
              help="Laat timers afgaan in dit proces (uit als 'regie scheduler' apart draait).")
@handle_errors
def serve(host, port, processes, threads, with_scheduler) -> None:
    from waitress import serve as waitress_serve

    from web import create_app

    app = create_app()                     # creates or upgrades the schema once, before any worker starts
    if processes > 1:
        app.extensions["regie.engine"].store.dispose()     # each worker opens its own connections
        listener = socket.create_server((host, port), backlog=1024)
        workers = [_fork(lambda: waitress_serve(app, sockets=[listener], threads=threads))
                   for _ in range(processes)]
    else:
        listener, workers = None, []
    timers = None
    if with_scheduler:
        from engine.cli.audit import anchor_file
        from engine.scheduler import ANCHOR_TIME, Scheduler

        # The daily audit anchor as `regie scheduler` writes it, when REGIE_ANCHOR_KEY names a key.
        timers = Scheduler(engine_from_env(), anchor_key=os.environ.get("REGIE_ANCHOR_KEY") or None,
                           anchor_file=anchor_file(), anchor_time=os.environ.get("REGIE_ANCHOR_TIME") or ANCHOR_TIME)
        timers.start_background()
    click.echo(f"Regie draait op http://{host}:{port}/ met {processes} proces(sen) (stoppen: Ctrl+C)")
    try:
        if workers:
            _wait(workers)
        else:
            waitress_serve(app, host=host, port=port, threads=threads)
    finally:
        if timers is not None:
            timers.shutdown()
        if listener is not None:
            listener.close()


def _fork(run) -> int:
    """Start a worker process that runs ``run`` and then exits (never returns in the child)."""
    pid = os.fork()
    if pid == 0:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)     # the parent stops the workers
        code = 0
        try:
            run()
        except BaseException:
            traceback.print_exc()
            code = 1
        os._exit(code)
    return pid


def _wait(workers: list[int]) -> None:
    """Wait until a stop signal or until a worker ends; then stop every worker and reap them."""
    def stop(_signum, _frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        os.wait()                          # returns when a worker ends (or a signal interrupts)
    except (KeyboardInterrupt, ChildProcessError):
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        for pid in workers:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for pid in workers:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
