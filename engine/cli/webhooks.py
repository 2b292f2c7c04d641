"""``regie webhooks``: subscriptions that get case events POSTed (signed), and a delivery round by hand."""

from __future__ import annotations

import click

from . import echo_json, engine_from_env, handle_errors, main


@main.group(help="Webhooks: andere systemen krijgen de gebeurtenissen van zaken toegestuurd.")
def webhooks() -> None:
    pass


@webhooks.command("add", help="Abonneer een ontvanger. Het geheim om de handtekening te controleren ziet u één keer.")
@click.argument("name")
@click.argument("url")
@click.option("--type", "event_types", multiple=True,
              help="Alleen deze soort gebeurtenis (herhaal voor meer), bijvoorbeeld case_started; zonder: alle.")
@click.option("--process", "process_id", help="Alleen zaken van dit proces.")
@click.option("--personal", is_flag=True, help="Stuur de inhoud (met persoonsgegevens) mee.")
@click.option("--as", "actor", required=True, help="Wie de webhook maakt.")
@handle_errors
def add(name, url, event_types, process_id, personal, actor) -> None:
    hook, secret = engine_from_env().webhooks.create(name, url, actor, list(event_types), process_id, personal)
    click.echo(f"Webhook {hook.name} ({hook.id}) naar {hook.url} gemaakt.")
    click.echo("Geef de ontvanger dit geheim om de handtekening (Regie-Signature) te controleren:")
    click.echo(secret)


@webhooks.command("list", help="Toon de webhooks en hoeveel gebeurtenissen nog wachten.")
@click.option("--json", "as_json", is_flag=True, help="Uitvoer als JSON.")
@handle_errors
def list_hooks(as_json) -> None:
    hooks = engine_from_env().webhooks.list()
    if as_json:
        echo_json([{"id": h.id, "name": h.name, "url": h.url, "event_types": list(h.event_types),
                    "process_id": h.process_id, "personal": h.personal, "revoked_at": h.revoked_at,
                    "pending": h.pending} for h in hooks])
        return
    for h in hooks:
        state = "actief" if h.revoked_at is None else "ingetrokken"
        click.echo(f"{h.id}\t{h.name}\t{state}\t{h.url}\t{','.join(h.event_types) or 'alle'}\twachtend: {h.pending}")


@webhooks.command("revoke", help="Stop een webhook (op id of naam); wat nog wacht, wordt niet meer verstuurd.")
@click.argument("webhook")
@click.option("--as", "actor", required=True, help="Wie de webhook stopt.")
@handle_errors
def revoke(webhook, actor) -> None:
    hook = engine_from_env().webhooks.revoke(webhook, actor)
    click.echo(f"Webhook {hook.name} is gestopt.")


@webhooks.command("deliver", help="Verstuur nu wat klaarstaat (de planner doet dit anders vanzelf).")
@handle_errors
def deliver() -> None:
    sent = engine_from_env().webhooks.deliver("regie-cli")
    click.echo(f"{sent} gebeurtenis(sen) afgeleverd.")
