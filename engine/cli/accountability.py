"""``regie verantwoording opbouwen``: the accountability facts made again from the case histories
(engine.accountability.rebuild), for cases from before the facts were recorded (migration 0037)."""

from __future__ import annotations

import click

from . import engine_from_env, handle_errors, main


@main.group(name="verantwoording", help="Cijfers voor de verantwoording (bronnen, tijd en kosten per leefgebied).")
def accountability_group() -> None:
    pass


@accountability_group.command(name="opbouwen", help="Bouw de cijfers opnieuw op uit de geschiedenis van alle "
                                                     "zaken. Nodig na het bijwerken naar deze versie.")
@handle_errors
def rebuild() -> None:
    from ..accountability import rebuild as make

    count = make(engine_from_env())
    click.echo(f"Klaar: {count} feiten uit de geschiedenis van de zaken opgebouwd.")
