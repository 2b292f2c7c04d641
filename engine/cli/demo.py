"""``regie demo``: a dozen obviously fictional cases per deployed process, at various stages.

Only in demo mode (``REGIE_DEMO=1``). Each case is started with its start form and walked forward by
completing tasks with valid values made up from each form's fields (a seeded random choice, so the
same database comes out every time). The walk runs on a clock set weeks back, so the inbox shows
tasks of different ages, some of them overdue. Nothing here is real: every name says "Demo".
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import click

from ..errors import PermissionDenied, RegieError
from ..forms import Form, FormField
from . import handle_errors, main

STEPS = (0, 1, 1, 2, 3, 4, 5, 6, 8, 10, 13, 16)     # tasks completed per case: early to late stages
CLAIMERS = {"casemanager": ("casemanager", "coordinator"), "specialist": ("specialist",)}


@main.command(help="Laad demo-zaken in verschillende fasen (alleen in demomodus: REGIE_DEMO=1).")
@click.option("--per-proces", "per_process", default=12, show_default=True, help="Zaken per proces.")
@click.option("--seed", default=7, show_default=True, help="Startgetal voor de willekeurige keuzes.")
@handle_errors
def demo(per_process: int, seed: int) -> None:
    from ..accounts import demo_mode
    from ..providers import ManualClock, SystemClock
    from ..runtime import Engine

    if not demo_mode():
        raise PermissionDenied("Demo-zaken mogen alleen in demomodus. Zet REGIE_DEMO=1 (nooit in productie).")
    real_now = SystemClock().now()
    clock = ManualClock(real_now - timedelta(days=28))
    eng = Engine.from_url(clock=clock)
    if eng.cases(limit=1):
        click.echo("Er staan al zaken in de database: geen demo-zaken toegevoegd.")
        return
    rng = random.Random(seed)
    total = 0
    workers = team_workers(eng)
    for process in eng.processes():
        started = walk_process(eng, clock, process["id"], per_process, rng, real_now, workers)
        click.echo(f"{process['id']}: {started} demo-zaken")
        total += started
    clock.set(real_now)
    eng.fire_due_timers(real_now)
    claim_some(eng, rng, workers)
    click.echo(f"Klaar: {total} demo-zaken.")


def team_workers(eng) -> dict[tuple[str, str], list[str]]:
    """(process, role) -> the demo users who do that work: the members with that role of the team that works
    the process (``regie users demo`` loads three teams); empty without teams."""
    workers: dict[tuple[str, str], list[str]] = {}
    for team in eng.teams.list():
        for process_id, lane in team.processes:
            for member in team.members:
                if not lane or member.role == lane:
                    workers.setdefault((process_id, member.role), []).append(member.username)
    return workers


def _worker(workers, process_id: str, role: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(workers.get((process_id, role or ""), ())) or default


def walk_process(eng, clock, process_id: str, count: int, rng: random.Random, real_now: datetime,
                 workers: dict | None = None) -> int:
    """Start ``count`` cases of the process and walk case *i* ``STEPS[i]`` tasks forward, each step done by
    someone of the team that works it."""
    workers = workers or {}
    starter = _worker(workers, process_id, "casemanager", ("casemanager",))[0]
    form = eng.current_version(process_id).start_form()
    who = "Ouder" if "herstel" in process_id else "Bewoner"
    started = 0
    for i in range(count):
        clock.set(real_now - timedelta(days=27) + timedelta(days=24 * i / max(count, 1), hours=rng.randint(0, 8)))
        data = sample_data(form, rng, f"Demo {who} {i + 1}", clock.now(), keep_going=0.0) if form else {}
        try:
            case_id = eng.start(process_id, data, actor=starter)
        except RegieError as err:
            click.echo(f"{process_id}: demo-zaak niet gestart: {err}", err=True)
            return started
        started += 1
        for _ in range(STEPS[i % len(STEPS)]):
            tasks = eng.tasks(case_id=case_id)
            if not tasks:
                break
            step = min(clock.now() + timedelta(hours=rng.randint(2, 30)), real_now - timedelta(minutes=5))
            clock.set(step)
            task = rng.choice(tasks)
            task_form = eng.form(task.id)
            try:
                by = task.role if task.role in ("casemanager", "specialist", "coordinator") else "casemanager"
                eng.complete(task.id, sample_data(task_form, rng, "", clock.now()) if task_form else {},
                             actor=_worker(workers, process_id, task.role, (by,))[0])
            except RegieError as err:
                click.echo(f"{process_id}: demo-zaak {case_id[:8]} blijft staan bij '{task.title}': {err}", err=True)
                break
    return started


def sample_data(form: Form, rng: random.Random, subject: str, now: datetime, keep_going: float = 0.88) -> dict[str, Any]:
    """Valid values for ``form``. A choice is the first option with chance ``keep_going`` (in the
    catalogue's forms that is the answer that moves a case on), else any option."""
    data: dict[str, Any] = {}
    for field in form.fields:
        if not field.shown(data):
            continue
        if not field.required and rng.random() < 0.4:
            continue
        data[field.name] = subject if field.subject and subject else _value(field, rng, now, keep_going)
    return data


def _value(field: FormField, rng: random.Random, now: datetime, keep_going: float) -> Any:
    choices = [value for value, _ in field.choices]
    makers = {
        "text": lambda: "Demo (verzonnen)",
        "textarea": lambda: "Verzonnen tekst voor de demo. Geen echte gegevens.",
        "number": lambda: rng.randint(int(field.min or 0), int(field.max if field.max is not None else 2500)),
        "integer": lambda: rng.randint(int(field.min or 0), int(field.max if field.max is not None else 5)),
        "date": lambda: (date(1985, 1, 1) + timedelta(days=rng.randint(0, 5000))).isoformat()
        if "geboorte" in field.name else (now.astimezone(UTC).date() + timedelta(days=rng.randint(1, 21))).isoformat(),
        "yesno": lambda: rng.random() < 0.6,
        "choice": lambda: choices[0] if rng.random() < keep_going else rng.choice(choices),
        "multichoice": lambda: sorted(rng.sample(choices, k=min(len(choices), rng.randint(1, 2))), key=choices.index),
        "email": lambda: "demo.bewoner@example.org",
        "phone": lambda: "06 0000 0000",
    }
    value = makers[field.type]()
    if isinstance(value, str) and field.max_length:
        value = value[: field.max_length]
    return value


def claim_some(eng, rng: random.Random, workers: dict | None = None) -> None:
    """Put every other open task in a demo user's own inbox (of the team that works it), so 'Mijn taken' is
    not empty."""
    for n, task in enumerate(eng.tasks()):
        users = _worker(workers or {}, task.process_id, task.role, CLAIMERS.get(task.role or "", ()))
        if task.assignee or not users or n % 2:
            continue
        try:
            eng.claim(task.id, rng.choice(users))
        except RegieError:
            return   # no demo accounts loaded: leave every task with the team
