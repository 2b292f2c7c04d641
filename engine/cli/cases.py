"""``regie start``, ``tasks``, ``complete``, ``claim``, ``history``, ``state``, ``verify``."""

from __future__ import annotations

import sys

import click

from . import echo_json, engine_from_env, handle_errors, local_time, main, parse_json
from .access import open_case, reader
from .access import reason as reason_option


@main.command(help="Start een zaak. Print het zaak-id (met --json ook het zaaknummer).")
@click.argument("process_id")
@click.option("--data", help="Startgegevens als JSON-object.")
@click.option("--as", "actor", default="system", help="Wie de zaak start.")
@click.option("--business-key", help="Kenmerk van de zaak in een ander systeem; berichten vinden de zaak ermee.")
@click.option("--json", "as_json", is_flag=True, help="Uitvoer als JSON.")
@handle_errors
def start(process_id, data, actor, business_key, as_json) -> None:
    eng = engine_from_env()
    case_id = eng.start(process_id, parse_json(data), actor=actor, business_key=business_key)
    echo_json({"id": case_id, "number": eng.state(case_id).number}) if as_json else click.echo(case_id)


@main.command(help="Toon open taken.")
@click.option("--case", "case_id", help="Alleen taken van deze zaak.")
@click.option("--role", help="Alleen taken van deze rol (team).")
@click.option("--user", help="Alleen taken die aan deze gebruiker zijn toegewezen.")
@click.option("--json", "as_json", is_flag=True, help="Uitvoer als JSON.")
@handle_errors
def tasks(case_id, role, user, as_json) -> None:
    items = engine_from_env().tasks(case_id=case_id, role=role, user=user)
    if as_json:
        echo_json([t.to_dict() for t in items])
        return
    for t in items:
        due = local_time(t.due)
        click.echo(f"{t.id}\t{t.case_number or t.case_id[:8]}\t{t.name}\t{t.title}\t{t.role or '-'}\t{t.assignee or '-'}\t{due}")
    if not items:
        click.echo("Geen open taken.")


@main.command(help="Rond een taak af met formuliergegevens.")
@click.argument("task_id")
@click.option("--data", help="Formuliergegevens als JSON-object.")
@click.option("--as", "actor", default="system", help="Wie de taak afrondt.")
@click.option("--json", "as_json", is_flag=True, help="Uitvoer als JSON.")
@handle_errors
def complete(task_id, data, actor, as_json) -> None:
    eng = engine_from_env()
    done = eng.complete(task_id, parse_json(data), actor=actor)
    following = eng.tasks(case_id=done.case_id)
    if as_json:
        echo_json({"completed": done.to_dict(), "next": [t.to_dict() for t in following]})
        return
    click.echo(f"Afgerond: {done.title}")
    for t in following:
        click.echo(f"Volgende taak: {t.id}\t{t.title}\t{t.role or '-'}")


@main.command(help="Neem een taak in behandeling (of geef hem aan iemand met --to).")
@click.argument("task_id")
@click.option("--as", "actor", required=True, help="Wie dit doet.")
@click.option("--to", "user", help="Aan wie de taak gaat (standaard: uzelf).")
@click.option("--reason", default="", help="Reden, komt in de geschiedenis van de zaak.")
@handle_errors
def claim(task_id, actor, user, reason) -> None:
    eng = engine_from_env()
    task = eng.assign(task_id, user, actor, reason) if user and user != actor else eng.claim(task_id, actor)
    click.echo(f"{task.title}: toegewezen aan {task.assignee}")


@main.command(help="Toon de geschiedenis (events) van een zaak. Alleen voor het zaakteam (of met --reden); wordt "
                   "vastgelegd in het inzagelog.")
@click.argument("case_id")
@click.option("--json", "as_json", is_flag=True, help="Uitvoer als JSON.")
@reader()
@reason_option()
@handle_errors
def history(case_id, as_json, actor, reason) -> None:
    eng = engine_from_env()
    entries = eng.history(open_case(eng, case_id, actor, reason, "cli-history"))
    if as_json:
        echo_json([e.to_dict() for e in entries])
        return
    for e in entries:
        click.echo(f"{e.seq:>4}  {local_time(e.at, seconds=True)}  {e.actor:<12} {e.type:<18} {e.hash[:12]}")


@main.command(help="Toon de toestand van een zaak. Alleen voor het zaakteam (of met --reden); wordt vastgelegd in "
                   "het inzagelog.")
@click.argument("case_id")
@click.option("--json", "as_json", is_flag=True, help="Uitvoer als JSON.")
@reader()
@reason_option()
@handle_errors
def state(case_id, as_json, actor, reason) -> None:
    eng = engine_from_env()
    current = eng.state(open_case(eng, case_id, actor, reason, "cli-state"))
    if as_json:
        echo_json(current.to_dict())
        return
    click.echo(f"{current.number or '-'}  {current.id}  {current.process_id}  {current.status}  nu bij: {', '.join(current.active) or '-'}")


@main.command(help="Controleer de hash-keten en speel elke zaak opnieuw af; vergelijk elke opgeslagen kolom (zaak, "
                   "taken, timers) met het opnieuw afspelen. Zonder zaak: alle zaken en het inzagelog. Met een "
                   "ankerbestand en publieke sleutel ook tegen de ondertekende ankers.")
@click.argument("case_id", required=False)
@click.option("--json", "as_json", is_flag=True, help="Uitvoer als JSON (elk verschil met tabel, kolom en event).")
@click.option("--anchors", "anchor_path", envvar="REGIE_ANCHOR_FILE", type=click.Path(),
              help="Ankerbestand om tegen te controleren (standaard REGIE_ANCHOR_FILE).")
@click.option("--public-key", "public", envvar="REGIE_ANCHOR_PUBLIC_KEY",
              help="Publieke sleutel van de ankers (standaard REGIE_ANCHOR_PUBLIC_KEY).")
@handle_errors
def verify(case_id, as_json, anchor_path, public) -> None:
    from pathlib import Path

    eng = engine_from_env()
    if case_id or as_json or not sys.stderr.isatty():
        result = eng.verify(case_id)
    else:
        with eng.store.read() as tx:
            total = len(tx.case_ids())
        with click.progressbar(length=total, label="Zaken controleren", file=sys.stderr) as bar:
            done = [0]

            def step(n):
                bar.update(n - done[0])
                done[0] = n

            result = eng.verify(None, progress=step)
    anchored = []
    if anchor_path and public and Path(anchor_path).exists():
        from ..audit import anchors

        anchored = eng.check_anchors(anchor_path, anchors.load_public(public), case_id)
    if as_json:
        echo_json({**result.to_dict(), "anchors": [str(p) for p in anchored],
                   "ok": bool(result) and not anchored})
    else:
        click.echo(str(result))
        for problem in anchored:
            click.echo(str(problem))
    if not result or anchored:
        sys.exit(1)
