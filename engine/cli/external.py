"""``regie external``: what waits for workers and connectors, and new retries for a task that stopped."""

from __future__ import annotations

import click

from . import echo_json, engine_from_env, handle_errors, main


@main.group(help="Externe taken: stappen die een ander systeem of een koppeling van Regie doet.")
def external() -> None:
    pass


@external.command("list", help="Toon de externe taken die wachten (vrij, vastgehouden of gestopt met een incident).")
@click.option("--topic", help="Alleen dit topic.")
@click.option("--json", "as_json", is_flag=True, help="Uitvoer als JSON.")
@handle_errors
def list_tasks(topic, as_json) -> None:
    tasks = engine_from_env().external_tasks.list(topic)
    if as_json:
        echo_json([{"id": t.id, "topic": t.topic, "case_id": t.case_id, "element": t.element, "status": t.status,
                    "worker_id": t.worker_id, "locked_until": t.locked_until, "retries": t.retries,
                    "retry_at": t.retry_at, "error": t.error} for t in tasks])
        return
    for t in tasks:
        held = f"vastgehouden door {t.worker_id}" if t.worker_id else "vrij"
        state = f"incident: {t.error}" if t.status == "incident" else held
        click.echo(f"{t.id}\t{t.topic}\t{t.case_id[:8]}\t{t.element}\t{state}")


@external.command("retry", help="Geef een externe taak die met een incident stopte nieuwe pogingen (na een oplossing).")
@click.argument("task_id")
@click.option("--retries", default=1, show_default=True, type=int, help="Aantal nieuwe pogingen.")
@click.option("--as", "actor", required=True, help="Wie dit doet.")
@handle_errors
def retry(task_id, retries, actor) -> None:
    task = engine_from_env().external_tasks.retry(task_id, retries, actor)
    click.echo(f"De externe taak bij '{task.element}' krijgt {task.retries} nieuwe poging(en); het incident is opgelost.")
