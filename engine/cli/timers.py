"""``regie timers …`` and ``regie incidents``: what is waiting, what is late, what failed, try again."""

from __future__ import annotations

import click

from ..providers import as_utc
from . import echo_json, engine_from_env, handle_errors, local_time, main


def _when(value) -> str:
    return local_time(value)


def _parse_now(value: str | None):
    if not value:
        return None
    try:
        return as_utc(value)
    except ValueError as err:
        raise click.BadParameter(f"'{value}' is geen tijdstip. Gebruik bijvoorbeeld 2026-04-01T09:00:00+00:00.",
                                 param_hint="--now") from err


@main.group(help="Timers: wat wacht, wat te laat is, wat misging.")
def timers() -> None:
    pass


@timers.command("run-due", help="Laat alle timers afgaan die op het moment --now verlopen zijn (ook gemiste).")
@click.option("--now", help="Tijdstip (ISO-8601); standaard nu.")
@click.option("--json", "as_json", is_flag=True, help="Uitvoer als JSON.")
@handle_errors
def run_due(now, as_json) -> None:
    eng = engine_from_env()
    fired = eng.fire_due_timers(_parse_now(now))
    failing = eng.incidents()
    if as_json:
        echo_json({"fired": fired, "open_incidents": len(failing)})
        return
    click.echo(f"{fired} timer(s) afgegaan.")
    if failing:
        click.echo(f"{len(failing)} storing(en) staan open. Bekijk ze met 'regie incidents'.")


@timers.command("list", help="Toon wachtende timers; met --overdue alleen wat te laat is.")
@click.option("--overdue", is_flag=True, help="Alleen timers die al af hadden moeten gaan, en taken over hun termijn.")
@click.option("--case", "case_id", help="Alleen timers van deze zaak.")
@click.option("--json", "as_json", is_flag=True, help="Uitvoer als JSON.")
@handle_errors
def list_(overdue, case_id, as_json) -> None:
    eng = engine_from_env()
    waiting = eng.timers(overdue=overdue, case_id=case_id)
    if overdue:
        late_tasks = eng.overdue()
        if as_json:
            echo_json({"timers": [t.to_dict() for t in waiting], "tasks": [t.to_dict() for t in late_tasks]})
            return
        _print_timers(waiting, "Geen timers die te laat zijn.")
        click.echo("")
        for t in late_tasks:
            click.echo(f"{t.id}\t{t.case_id[:8]}\t{t.title}\t{t.role or '-'}\t{t.assignee or '-'}\tuiterlijk {_when(t.due)}")
        if not late_tasks:
            click.echo("Geen taken over hun termijn.")
        return
    schedules = eng.start_schedules() if not case_id else []
    if as_json:
        echo_json({"timers": [t.to_dict() for t in waiting], "schedules": [s.to_dict() for s in schedules]})
        return
    _print_timers(waiting, "Geen wachtende timers.")
    for s in schedules:
        cycles = "onbeperkt" if s.cycles_left < 0 else str(s.cycles_left)
        line = f"start {s.process_id}\t{s.element}\t{_when(s.next)}\tnog {cycles} keer\t{s.status}"
        click.echo(line + (f"\t{s.error}" if s.error else ""))


def _print_timers(items, empty: str) -> None:
    for t in items:
        status = "mislukt" if t.status == "failed" else "wacht"
        click.echo(f"{t.case_id}\t{t.element}\t{_when(t.due)}\t{status}")
    if not items:
        click.echo(empty)


@timers.command("retry", help="Probeer mislukte timers opnieuw (van één zaak, of alle), na een oplossing.")
@click.argument("case_id", required=False)
@click.option("--json", "as_json", is_flag=True, help="Uitvoer als JSON.")
@handle_errors
def retry(case_id, as_json) -> None:
    results = engine_from_env().retry(case_id)
    if as_json:
        echo_json([r.to_dict() for r in results])
        return
    for r in results:
        if r.error:
            click.echo(f"{r.target}: lukt nog niet: {r.error}")
        else:
            click.echo(f"{r.target}: gelukt, {r.fired} timer(s) afgegaan.")
    if not results:
        click.echo("Geen mislukte timers." if not case_id else f"Zaak {case_id} heeft geen mislukte timers.")
    if any(r.error for r in results):
        raise SystemExit(1)


@main.command(help="Toon storingen: zaken die vastliepen op een timer of stap.")
@click.option("--case", "case_id", help="Alleen storingen van deze zaak.")
@click.option("--all", "show_all", is_flag=True, help="Ook opgeloste storingen.")
@click.option("--json", "as_json", is_flag=True, help="Uitvoer als JSON.")
@handle_errors
def incidents(case_id, show_all, as_json) -> None:
    items = engine_from_env().incidents(case_id, open_only=not show_all)
    if as_json:
        echo_json([i.to_dict() for i in items])
        return
    for i in items:
        state = f"opgelost {_when(i.resolved_at)}" if i.resolved_at else "open"
        click.echo(f"{i.id}\t{i.case_id}\t{i.element}\t{_when(i.created_at)}\t{state}\t{i.message}")
    if not items:
        click.echo("Geen open storingen." if not show_all else "Geen storingen.")
    elif any(i.resolved_at is None and i.kind == "timer" for i in items):
        click.echo("Los de oorzaak op en probeer de timer opnieuw met 'regie timers retry <zaak>'.")
