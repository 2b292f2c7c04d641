"""Browser tests: headless Chromium (Debian's package) driven by Playwright, against the real app
served on a free loopback port by a server thread started here. Skipped, with the reason, where no
Chromium is installed (``.ci/run`` installs it)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from werkzeug.serving import make_server

from engine import ManualClock, SequentialIds
from engine.store import UserRow
from tests.conftest import MODELS, ROOT, skip_unless_required
from web import create_app

CHROMIUM = os.environ.get("REGIE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
PASSWORD = "geheim-123"
USERS = [
    ("cas", "Cas Casemanager", "casemanager"),
    ("carla", "Carla Casemanager", "casemanager"),
    ("sam", "Sam Specialist", "specialist"),
    ("coby", "Coby Coördinator", "coordinator,casemanager"),
]
SHOTS = ROOT / ("docs/screenshots" if os.environ.get("REGIE_SCREENSHOTS") else "test-results/screenshots")


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        skip_unless_required(f"Geen Chromium op {CHROMIUM}: installeer Debian's pakket 'chromium' (doet .ci/run).",
                             "REGIE_REQUIRE_BROWSER")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def password_hash() -> str:
    return PasswordHasher().hash(PASSWORD)


class LiveServer:
    """The app on 127.0.0.1 and a free port, in a thread; ``engine`` and ``clock`` are the app's own."""

    def __init__(self, app):
        self.app = app
        self.engine = app.extensions["regie.engine"]
        self.clock = self.engine.clock
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)
        self.engine.store.dispose()


# The test process with a diagram (drawn by processes/_layout.py) and the engine tests' forms.
E2E_MODELS = (Path(__file__).parent / "models" / "aanvraag.bpmn", MODELS / "aanmelding.yaml", MODELS / "intake.yaml")


def start_server(tmp_path, password_hash, models=E2E_MODELS, **config) -> LiveServer:
    app = create_app({
        "DATABASE_URL": f"sqlite:///{tmp_path / 'regie.db'}", "CLOCK": ManualClock("2026-01-05T09:00:00+00:00"),
        "IDS": SequentialIds(), "SECRET_KEY": "e2e-secret", **config,
    })
    eng = app.extensions["regie.engine"]
    eng.deploy(list(models))
    with eng.store.write() as tx:
        for username, name, roles in USERS:
            tx.save_user(UserRow(username=username, name=name, password_hash=password_hash, roles=roles, active=True))
    return LiveServer(app)


@pytest.fixture
def server(tmp_path, password_hash):
    live = start_server(tmp_path, password_hash)
    yield live
    live.stop()


@pytest.fixture
def login(chromium, server):
    """``login("cas")``: a new browser window (own cookies), logged in as that user through the form."""
    contexts = []

    def make(username: str, width: int = 1280):
        context = chromium.new_context(viewport={"width": width, "height": 900}, locale="nl-NL")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(server.url + "/login")
        page.get_by_label("Gebruikersnaam").fill(username)
        page.get_by_label("Wachtwoord").fill(PASSWORD)
        page.get_by_role("button", name="Inloggen").click()
        page.wait_for_url("**/taken")
        return page

    yield make
    for context in contexts:
        context.close()


def shot(page, name: str, max_height: int = 1600) -> None:
    """A screenshot of the page from the top, at most ``max_height`` pixels (the README shows them)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    height = min(page.evaluate("document.documentElement.scrollHeight"), max_height)
    width = page.viewport_size["width"]
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True, clip={"x": 0, "y": 0, "width": width, "height": height})
