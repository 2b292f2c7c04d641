"""``regie privacy``: the processing register (and, further on, retention and data-subject requests)."""

from __future__ import annotations

import click

from . import handle_errors, main


@main.group(help="Privacy (AVG): het verwerkingsregister.")
def privacy() -> None:
    pass


@privacy.command("register", help="Schrijf het verwerkingsregister (docs/privacy.md) uit de modellen en het "
                                  "privacybestand. Gebruik: regie privacy register > docs/privacy.md")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--config", "config_path", type=click.Path(), default=None,
              help="Het privacybestand (standaard REGIE_PRIVACY_CONFIG of engine/privacy/processes.yaml).")
@handle_errors
def register(paths, config_path) -> None:
    from ..privacy.register import DEFAULT_SOURCES, generate

    click.echo(generate(list(paths) or DEFAULT_SOURCES, config_path), nl=False)
