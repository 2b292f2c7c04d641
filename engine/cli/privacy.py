"""``regie privacy``: the processing register (and, further on, retention and data-subject requests)."""

from __future__ import annotations

import click

from . import echo_json, engine_from_env, handle_errors, local_time, main


@main.group(help="Privacy (AVG): het verwerkingsregister, inzage en correctie.")
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


@main.group(help="Bewaartermijnen: persoonsgegevens van gesloten zaken verwijderen als hun termijn voorbij is.")
def retention() -> None:
    pass


@retention.command("run", help="Verwijder de persoonsgegevens van elke gesloten zaak waarvan de bewaartermijn "
                               "voorbij is. De stappen, datums en beslissingen blijven; verify blijft kloppen.")
@click.option("--dry-run", is_flag=True, help="Toon alleen welke zaken het zijn; verwijder niets.")
@click.option("--as", "actor", default="system", show_default=True, help="Wie de bewaartermijn uitvoert (komt in de log).")
@click.option("--config", "config_path", type=click.Path(), default=None, help="Het privacybestand.")
@click.option("--json", "as_json", is_flag=True, help="Uitvoer als JSON.")
@handle_errors
def run(dry_run, actor, config_path, as_json) -> None:
    from ..privacy import retention as module

    result = module.run(engine_from_env(), actor, dry_run=dry_run, config_path=config_path)
    if as_json:
        echo_json({"dry_run": dry_run, "cases": [c.to_dict() for c in result.removed],
                   "skipped": [{**c.to_dict(), "reason": why} for c, why in result.skipped]})
        return
    for case in result.removed:
        click.echo(f"{case.number or case.case_id}  {case.process_id}  gesloten {local_time(case.closed_at)}  "
                   f"termijn voorbij {local_time(case.ends_at)}")
    for _case, why in result.skipped:
        click.echo(f"Overgeslagen: {why}", err=True)
    if dry_run:
        click.echo(f"{len(result.removed)} zaak/zaken met een verlopen bewaartermijn (proefdraai: niets verwijderd).")
    else:
        click.echo(f"{len(result.removed)} zaak/zaken: persoonsgegevens verwijderd.")


@privacy.command("new-master-key", help="Maak een nieuwe hoofdsleutel (naam:sleutel) voor REGIE_MASTER_KEYS. "
                                        "Hij wordt nergens opgeslagen.")
@click.argument("name")
@handle_errors
def new_master_key(name) -> None:
    from ..errors import PrivacyError
    from ..privacy.keys import new_master_key as make

    if not name.replace("-", "").replace("_", "").isalnum() or len(name) > 50:
        raise PrivacyError("Geef de sleutel een korte naam van letters, cijfers, - of _ (bijvoorbeeld k2027).")
    click.echo(make(name))


@privacy.command("rotate-keys", help="Versleutel alle zaaksleutels opnieuw met de eerste (nieuwe) hoofdsleutel "
                                     "uit REGIE_MASTER_KEYS. Daarna kan de oude hoofdsleutel weg.")
@handle_errors
def rotate_keys() -> None:
    from ..privacy.keys import rotate

    eng = engine_from_env()
    total = rotate(eng)
    click.echo(f"{total} zaaksleutel(s) opnieuw versleuteld met hoofdsleutel '{eng.store.master_keys.current}'.")


@privacy.command("export", help="Inzageverzoek: alles wat over één inwoner bewaard is, in alle zaken (JSON; "
                                "met --html ook een leesbare pagina). Elke zaak komt in de inzagelog.")
@click.argument("name")
@click.option("--geboortedatum", "birth_date", default=None, help="Jaar-maand-dag; laat naamgenoten weg.")
@click.option("--as", "actor", required=True, help="Wie het verzoek uitvoert (komt in de inzagelog).")
@click.option("--html", "html_path", type=click.Path(dir_okay=False), default=None,
              help="Schrijf ook een leesbare HTML-pagina naar dit bestand.")
@handle_errors
def export(name, birth_date, actor, html_path) -> None:
    from pathlib import Path

    from ..privacy import subjects

    data = subjects.export(engine_from_env(), actor, name, birth_date)
    if html_path:
        Path(html_path).write_text(subjects.to_html(data), encoding="utf-8")
    click.echo(subjects.to_json(data))


@privacy.command("correct", help="Correctieverzoek: verbeter één gegeven van een zaak. De correctie, wie en "
                                 "waarom komen als event in de log van de zaak.")
@click.argument("case")
@click.argument("field")
@click.argument("value")
@click.option("--reden", "reason", required=True, help="Waarom (minstens 5 tekens).")
@click.option("--as", "actor", required=True, help="Wie corrigeert.")
@handle_errors
def correct(case, field, value, reason, actor) -> None:
    from ..privacy import subjects

    eng = engine_from_env()
    subjects.rectify(eng, case, field, value, reason, actor)
    click.echo(f"Zaak {eng.state(case).number or case}: '{field}' gecorrigeerd.")
