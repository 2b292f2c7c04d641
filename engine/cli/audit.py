"""``regie replay`` and ``regie audit ...``: replay, anchors, audit bundles, event export."""

from __future__ import annotations

import os
import sys
from datetime import datetime, time, timedelta
from pathlib import Path

import click

from ..region import TIMEZONE
from . import echo_json, engine_from_env, handle_errors, local_time, main
from .access import open_case, reader
from .access import reason as reason_option

AUDITORS = ("auditor",)     # read every case on the audit commands, as in the web app's /controle
DEFAULT_ANCHORS = "instance/anchors.jsonl"


def anchor_file() -> str:
    return os.environ.get("REGIE_ANCHOR_FILE") or DEFAULT_ANCHORS


@main.command(help="Speel een zaak opnieuw af (tot en met event --to) en toon hoe ze er toen voor stond. "
                   "Met --model: speel de vastgelegde invoer af op gewijzigde modelbestanden en meld het eerste "
                   "event waar die afwijken. Verandert niets.")
@click.argument("case_ref")
@click.option("--to", "up_to", type=int, help="Tot en met dit event (standaard: alle).")
@click.option("--model", "models", multiple=True, type=click.Path(exists=True),
              help="BPMN-, DMN- of formulierbestand (of map) om tegen af te spelen; mag vaker.")
@click.option("--json", "as_json", is_flag=True, help="Uitvoer als JSON.")
@reader()
@reason_option()
@handle_errors
def replay(case_ref, up_to, models, as_json, actor, reason) -> None:
    eng = engine_from_env()
    case_id = open_case(eng, case_ref, actor, reason, "cli-replay", also=AUDITORS)
    if models:
        from ..audit.replay_model import replay_model_files

        outcome = replay_model_files(eng, case_id, models, up_to)
        if as_json:
            echo_json(outcome.to_dict())
        elif outcome.ok:
            click.echo(f"Geen afwijking: {outcome.steps} stap(pen) passen op het gewijzigde model; de zaak zou staan "
                       f"bij: {', '.join(outcome.active) or '-'}")
        else:
            d = outcome.divergence
            click.echo(f"Eerste afwijking bij event {d.seq} ({d.event}{', ' + d.element if d.element else ''}): {d.reason}")
        sys.exit(0 if outcome.ok else 1)
    at = eng.case_at(case_id, up_to or _last_seq(eng, case_id))
    if as_json:
        echo_json({"case_id": at.case_id, "seq": at.seq, "last": at.last, "status": at.status, "active": at.active,
                   "data": at.data, "finished": at.finished, "taken_flows": at.taken_flows,
                   "open_tasks": [t["title"] for t in at.open_tasks]})
        return
    click.echo(f"Zaak {case_ref} na event {at.seq} van {at.last} ({at.event.type}, {at.event.at.isoformat()}, "
               f"{at.event.actor})")
    click.echo(f"status: {at.status}   staat bij: {', '.join(at.active) or '-'}")
    click.echo(f"open taken: {', '.join(t['title'] for t in at.open_tasks) or '-'}")
    click.echo(f"afgerond: {', '.join(at.finished) or '-'}")
    click.echo(f"genomen pijlen: {', '.join(at.taken_flows) or '-'}")


def _last_seq(eng, case_id: str) -> int:
    return eng.history_page(case_id, limit=1).total


@main.group(help="Audit: sleutels en ankers, auditbundels, export van events.")
def audit() -> None:
    pass


@audit.command("keygen", help="Maak een nieuwe Ed25519-sleutel voor ankers (nooit in de database bewaren).")
@click.argument("path", type=click.Path())
@handle_errors
def keygen(path) -> None:
    from ..audit import anchors

    key_id = anchors.generate_key(path)
    public = anchors.public_key_text(anchors.load_private(path).public_key())
    click.echo(f"Sleutel {key_id} bewaard in {path} (alleen leesbaar voor u).")
    click.echo(f"Publieke sleutel (geef deze aan de accountant): {public}")


@audit.command("anchor", help="Onderteken de koppen van alle hash-ketens en voeg ze toe aan het ankerbestand.")
@click.option("--key", "key_path", envvar="REGIE_ANCHOR_KEY", required=True, type=click.Path(),
              help="Privésleutel (PEM); standaard REGIE_ANCHOR_KEY.")
@click.option("--file", "path", default=anchor_file, type=click.Path(), help="Ankerbestand (alleen toevoegen).")
@handle_errors
def anchor(key_path, path) -> None:
    from ..audit import anchors

    made = engine_from_env().anchor(anchors.load_private(key_path), path)
    click.echo(f"Anker {made.at} toegevoegd aan {path}: {len(made.heads)} zaak/zaken, sleutel {made.key_id}.")


@audit.command("verify-anchors", help="Vergelijk de database met alle ankers: een herschreven geschiedenis wordt "
                                      "gevonden en tussen twee ankers gelokaliseerd.")
@click.argument("case_ref", required=False)
@click.option("--file", "path", default=anchor_file, type=click.Path(exists=True), help="Ankerbestand.")
@click.option("--public-key", "public", envvar="REGIE_ANCHOR_PUBLIC_KEY", required=True,
              help="Publieke sleutel (base64 of bestand); standaard REGIE_ANCHOR_PUBLIC_KEY.")
@handle_errors
def verify_anchors(case_ref, path, public) -> None:
    from ..audit import anchors

    problems = engine_from_env().check_anchors(path, anchors.load_public(public), case_ref)
    for p in problems:
        click.echo(str(p))
    if problems:
        sys.exit(1)
    click.echo(f"Alle ankers in {path} kloppen met de database.")


@audit.command("bundle", help="Maak de auditbundel (ZIP) van een zaak: events, modelbestanden, controle, anker.")
@click.argument("case_ref")
@click.option("--out", "out", type=click.Path(), help="Bestand (standaard auditbundel-<zaaknummer>.zip).")
@click.option("--file", "path", default=anchor_file, type=click.Path(), help="Ankerbestand.")
@reader()
@reason_option()
@handle_errors
def bundle_cmd(case_ref, out, path, actor, reason) -> None:
    from ..audit import bundle

    eng = engine_from_env()
    state = eng.state(open_case(eng, case_ref, actor, reason, "export", also=AUDITORS))
    data = bundle.build(eng, state.id, path if Path(path).exists() else None)
    target = Path(out or bundle.file_name(state.number, state.id))
    target.write_bytes(data)
    click.echo(f"Auditbundel geschreven: {target} ({len(data):,} bytes).")


@audit.command("check", help="Controleer een auditbundel zonder database; een gewijzigde byte wordt aangewezen.")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--public-key", "public", envvar="REGIE_ANCHOR_PUBLIC_KEY", help="Publieke sleutel om het anker te controleren.")
@handle_errors
def check(path, public) -> None:
    from ..audit import anchors, bundle

    report = bundle.check(Path(path).read_bytes(), anchors.load_public(public) if public else None)
    click.echo(str(report))
    if report and not public and report.anchored:
        click.echo("Let op: de handtekening van het anker is niet gecontroleerd (geef --public-key).")
    sys.exit(0 if report else 1)


@audit.command("export", help="Alle events van een periode als CSV, voor de accountant.")
@click.option("--from", "since", required=True, help="Eerste dag (jjjj-mm-dd of dd-mm-jjjj).")
@click.option("--to", "until", required=True, help="Laatste dag (tot en met).")
@click.option("--out", "out", type=click.Path(), required=True, help="CSV-bestand.")
@reader()
@handle_errors
def export(since, until, out, actor) -> None:
    """As the web's export: recorded in the access log, and the file names who made it and when (AVG)."""
    import csv

    from ..audit.export import write_csv

    start, end = _day(since), _day(until) + timedelta(days=1)
    eng = engine_from_env()
    eng.record_access(actor, None, "export", f"events {since} tot en met {until}")
    with open(out, "w", newline="", encoding="utf-8") as handle:
        with click.progressbar(length=0, label="Events", file=sys.stderr) as bar:
            count = write_csv(eng, start, end, handle, progress=lambda n: bar.update(n))
        csv.writer(handle).writerow([f"Geëxporteerd door {actor} op {local_time(eng.clock.now())}. "
                                     "Vertrouwelijk: bevat persoonsgegevens."])
    click.echo(f"{count} events van {since} tot en met {until} geschreven naar {out}.")


def _day(text: str) -> datetime:
    for pattern in ("%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.combine(datetime.strptime(text, pattern).date(), time(0), TIMEZONE)
        except ValueError:
            continue
    raise click.BadParameter(f"'{text}' is geen datum; schrijf bijvoorbeeld 2026-03-31.")


__all__ = ["audit", "replay"]
