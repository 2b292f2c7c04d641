"""The ``regie`` command line: a thin client of the engine facade.

Every command opens the database named by ``REGIE_DATABASE_URL`` (default: the SQLite file under
``instance/``). Commands that print data have ``--json``, with the facade's field names. A user error
prints the engine's message and exits with status 1; nothing is written.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from functools import wraps

import click

from ..errors import InvalidData, RegieError
from ..region import local
from . import dutch

dutch.install()


def local_time(value: datetime | None, seconds: bool = False) -> str:
    """A moment in Dutch local time for reading ('2026-03-31 14:00'); '-' for none. --json keeps UTC."""
    if value is None:
        return "-"
    return local(value).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def engine_from_env():
    from ..runtime import Engine

    return Engine.from_url()


def handle_errors(func):
    """Turn a ``RegieError`` into its message on stderr and exit status 1 (never a traceback)."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except InvalidData as err:      # every field at once, one line each, so all is fixed in one go
            click.echo(f"Fout: {err.summary}", err=True)
            for problem in err.problems:
                click.echo(f"  {problem.field}: {problem.message}", err=True)
            sys.exit(1)
        except RegieError as err:
            click.echo(f"Fout: {err}", err=True)
            sys.exit(1)

    return wrapper


def parse_json(value: str | None, what: str = "--data") -> dict:
    if not value:
        return {}
    from ..limits import parse_json_text

    try:
        data = parse_json_text(value, what)
    except json.JSONDecodeError as err:
        raise click.BadParameter(f"geen geldige JSON ({err.msg}, teken {err.pos}).", param_hint=what) from err
    if not isinstance(data, dict):
        raise click.BadParameter('geef een JSON-object, bijvoorbeeld {"veld": "waarde"}.', param_hint=what)
    return data


def echo_json(value) -> None:
    from ..audit import canonical_json

    click.echo(json.dumps(json.loads(canonical_json(value)), indent=2, ensure_ascii=False))


@click.group(help="Regie: zaakregie voor het sociaal domein (BPMN-processen, taken, audit).")
def main() -> None:
    pass


from . import (  # noqa: E402,F401  (commands register themselves on `main`)
    accountability,
    apikeys,
    audit,
    cases,
    demo,
    external,
    lists,
    messages,
    models,
    policy,
    privacy,
    scheduler,
    teams,
    timers,
    users,
    webhooks,
)


def _add_plugin_commands() -> None:
    """Commands other packages declare in the ``regie.commands`` entry-point group (``regie serve``
    comes from the web app this way, so the engine never imports it)."""
    from importlib.metadata import entry_points

    for entry in entry_points(group="regie.commands"):
        main.add_command(entry.load(), entry.name)


_add_plugin_commands()
dutch.relabel(main)
