"""Web test fixtures: a fresh app and database per test, users, and a client that logs in and posts
forms with their CSRF token, the way a browser does."""

from __future__ import annotations

import re
from html import unescape

import pytest
from argon2 import PasswordHasher

from engine import SequentialIds
from engine.store import UserRow
from tests.conftest import MODELS
from web import create_app

PASSWORD = "geheim-123"
USERS = [
    ("cas", "Cas Casemanager", "casemanager"),
    ("carla", "Carla Casemanager", "casemanager"),
    ("sam", "Sam Specialist", "specialist"),
    ("coby", "Coby Coördinator", "coordinator,casemanager"),
    ("pim", "Pim Beleid", "policy"),
]


@pytest.fixture(scope="session")
def password_hash() -> str:
    """One argon2 hash for every test user: hashing is slow on purpose, so do it once."""
    return PasswordHasher().hash(PASSWORD)


@pytest.fixture
def app(tmp_path, clock, password_hash):
    app = create_app({
        "TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'regie.db'}", "CLOCK": clock,
        "IDS": SequentialIds(), "SECRET_KEY": "test-secret", "DEMO": False,
    })
    eng = app.extensions["regie.engine"]
    eng.deploy([MODELS])
    with eng.store.write() as tx:
        for username, name, roles in USERS:
            tx.save_user(UserRow(username=username, name=name, password_hash=password_hash, roles=roles, active=True))
    yield app
    eng.store.dispose()


@pytest.fixture
def engine(app):
    return app.extensions["regie.engine"]


class Browser:
    """A test client that keeps the last page's CSRF token and reads messages off the page."""

    def __init__(self, client):
        self.client = client
        self.token = ""

    def get(self, url: str, **kwargs):
        response = self.client.get(url, **kwargs)
        found = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
        if found:
            self.token = found.group(1)
        return response

    def post(self, url: str, data: dict | None = None, csrf: bool = True, **kwargs):
        if csrf and not self.token:
            self.get("/login" if url == "/login" else "/taken")
        payload = {**({"csrf_token": self.token} if csrf else {}), **(data or {})}
        return self.client.post(url, data=payload, **kwargs)

    def login(self, username: str, password: str = PASSWORD):
        response = self.post("/login", {"gebruikersnaam": username, "wachtwoord": password})
        assert response.status_code == 302, text(response)
        self.token = ""     # logging in starts a new session, and with it a new CSRF token
        return response


@pytest.fixture
def browser(app):
    return Browser(app.test_client())


@pytest.fixture
def as_user(app):
    """``as_user("cas")``: a logged-in browser for that user (several can be open at once)."""

    def make(username: str) -> Browser:
        b = Browser(app.test_client())
        b.login(username)
        return b

    return make


def text(response) -> str:
    """The page's visible text, whitespace collapsed (what a person reads)."""
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", response.text, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body))).strip()


def field_error(response, name: str) -> str | None:
    """The error message shown next to field ``name``, or None."""
    found = re.search(rf'id="veld-{name}-fout"[^>]*>(.*?)</p>', response.text, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", "", found.group(1))).replace("Fout: ", "").strip() if found else None


def flashes(response) -> list[str]:
    return [unescape(re.sub(r"<[^>]+>", "", m)).strip()
            for m in re.findall(r'<div class="melding melding-\w+" role="\w+"[^>]*>(.*?)</div>', response.text, flags=re.S)]
