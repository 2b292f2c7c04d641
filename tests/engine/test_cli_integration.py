"""``regie webhooks`` (add with the secret shown once, list, deliver, revoke) and ``regie external`` (list, retry)."""

from __future__ import annotations

from tests.engine.test_outbox import Receiver


def test_webhooks_on_the_command_line(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from engine.cli import main

    monkeypatch.setenv("REGIE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    runner = CliRunner()
    box = Receiver()
    made = runner.invoke(main, ["webhooks", "add", "zaaksysteem", box.url, "--type", "case_started",
                                "--as", "beheer"])
    assert made.exit_code == 0 and "whsec_" in made.output
    assert "zaaksysteem\tactief" in runner.invoke(main, ["webhooks", "list"]).output
    assert "0 gebeurtenis(sen) afgeleverd" in runner.invoke(main, ["webhooks", "deliver"]).output
    bad = runner.invoke(main, ["webhooks", "add", "x", "ftp://nee", "--as", "beheer"])
    assert bad.exit_code != 0 and "volledige adres" in bad.output
    assert runner.invoke(main, ["webhooks", "revoke", "zaaksysteem", "--as", "beheer"]).exit_code == 0
    assert "ingetrokken" in runner.invoke(main, ["webhooks", "list"]).output
    box.close()


def test_external_tasks_on_the_command_line(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from engine import Engine, external
    from engine.cli import main
    from tests.engine.test_external import MODELS

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("REGIE_DATABASE_URL", url)
    engine = Engine.from_url(url)
    engine.deploy([MODELS])
    engine.start("adrescheck", {"naam": "Demo"})
    [task] = external.fetch_and_lock(engine, "w1", ["brp-adres"], 1, 60)
    external.failure(engine, task.id, "w1", "BRP weg", 0)
    runner = CliRunner()
    assert "incident: BRP weg" in runner.invoke(main, ["external", "list"]).output
    done = runner.invoke(main, ["external", "retry", task.id, "--retries", "2", "--as", "beheer"])
    assert done.exit_code == 0 and "2 nieuwe poging(en)" in done.output
    assert "vrij" in runner.invoke(main, ["external", "list", "--topic", "brp-adres"]).output
    engine.store.dispose()


def test_scheduler_once_also_delivers_webhooks(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from engine import Engine
    from engine.cli import main
    from tests.conftest import MODELS

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("REGIE_DATABASE_URL", url)
    engine = Engine.from_url(url)
    engine.deploy([MODELS])
    box = Receiver()
    engine.webhooks.create("zaaksysteem", box.url, "beheer")
    engine.start("aanvraag", {"naam": "Demo"})
    out = CliRunner().invoke(main, ["scheduler", "--once", "--name", "test"]).output
    assert "0 timer(s) afgegaan." in out and "1 stap(pen) van koppelingen en webhooks afgehandeld." in out
    assert len(box.received) == 1
    engine.start("aanvraag", {"naam": "Demo 2"})
    out = CliRunner().invoke(main, ["scheduler", "--once", "--name", "een-ander"]).output   # no lease left behind
    assert "1 stap(pen) van koppelingen en webhooks afgehandeld." in out and len(box.received) == 2
    box.close()
    engine.store.dispose()
