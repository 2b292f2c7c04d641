"""``regie message`` and ``regie signal``: deliver a message or a signal from another system by hand
(what ``POST /api/v1/messages`` and ``/signals`` do), for tests, demos and repairs."""

from __future__ import annotations

import click

from . import echo_json, engine_from_env, handle_errors, main, parse_json


@main.command("message", help="Lever een bericht af aan de zaak die erop wacht (of start een zaak ermee).")
@click.argument("name")
@click.option("--id", "message_id", required=True,
              help="Eigen id van het bericht; hetzelfde id nog eens levert niets dubbel af.")
@click.option("--zaak", "business_key", help="Het zaaknummer van de zaak die wacht.")
@click.option("--correlatie", "correlation", help='Gegevens die moeten kloppen, als JSON: {"dossier": "D-12"}.')
@click.option("--data", "variables", help="Gegevens die het bericht meebrengt, als JSON.")
@click.option("--as", "actor", default="system", show_default=True, help="Wie het bericht aflevert.")
@click.option("--json", "as_json", is_flag=True, help="Uitvoer als JSON.")
@handle_errors
def message(name, message_id, business_key, correlation, variables, actor, as_json) -> None:
    delivery = engine_from_env().correlate_message(name, message_id, business_key,
                                                   parse_json(correlation, "--correlatie"),
                                                   parse_json(variables, "--data"), actor=actor)
    if as_json:
        echo_json(delivery.to_dict())
        return
    again = " (dit id kwam al eerder; er is niets opnieuw gedaan)" if delivery.repeated else ""
    if delivery.started:
        click.echo(f"Bericht '{name}' startte zaak {delivery.case_number}{again}.")
    else:
        click.echo(f"Bericht '{name}' afgeleverd bij zaak {delivery.case_number} ({', '.join(delivery.elements)})"
                   f"{again}.")


@main.command("signal", help="Stuur een signaal naar elke zaak die erop wacht.")
@click.argument("name")
@click.option("--id", "signal_id", help="Eigen id van het signaal; hetzelfde id nog eens bereikt geen zaak twee keer.")
@click.option("--as", "actor", default="system", show_default=True, help="Wie het signaal stuurt.")
@click.option("--json", "as_json", is_flag=True, help="Uitvoer als JSON.")
@handle_errors
def signal(name, signal_id, actor, as_json) -> None:
    result = engine_from_env().broadcast_signal(name, signal_id, actor=actor)
    if as_json:
        echo_json(result.to_dict())
        return
    click.echo(f"Signaal '{name}' bereikte {result.reached} zaken"
               + (f": {', '.join([*result.cases, *result.started])}" if result.reached else "") + ".")
    if result.started:
        click.echo(f"Gestart: {', '.join(result.started)}.")
    if result.failed:
        click.echo(f"Geweigerd (zie 'regie incidents'): {', '.join(result.failed)}.")
