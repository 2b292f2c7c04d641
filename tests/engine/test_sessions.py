"""Login sessions on the server (engine/sessions.py) on SQLite and PostgreSQL: what the web app reads on
every request is one plain row of the session and its account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engine import sessions
from engine.accounts import save_user, set_active


def test_find_gives_the_session_and_its_account_until_it_is_closed(engine):
    save_user(engine.store, "anna", "Anna de Vries", ["casemanager", "coordinator"], "lang-genoeg-en-geheim-2026")
    opened = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    token = sessions.open_session(engine.store, "anna", opened)
    found = sessions.find(engine.store, token)
    assert (found.username, found.name, found.roles, found.active, found.source) == (
        "anna", "Anna de Vries", "casemanager,coordinator", True, "local")
    assert found.created_at == opened and found.revoked_at is None
    assert sessions.find(engine.store, token + "x") is None
    sessions.close(engine.store, token, opened + timedelta(minutes=5))
    assert sessions.find(engine.store, token).revoked_at == opened + timedelta(minutes=5)
    other = sessions.open_session(engine.store, "anna", opened)
    set_active(engine.store, "anna", False, actor="admin")       # ends her sessions, and the account shows it
    found = sessions.find(engine.store, other)
    assert found.active is False and found.revoked_at is not None
