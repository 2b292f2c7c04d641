"""Static files: fingerprinted URLs cached for a year, revalidated without the current fingerprint, and
served without a trip to the database."""

from __future__ import annotations

import os
import re

from sqlalchemy import event

from web.assets import Fingerprints


def test_pages_link_static_files_by_their_fingerprint_and_those_are_cached_for_a_year(as_user):
    cas = as_user("cas")
    page = cas.get("/taken")
    url = re.search(r'href="(/static/regie\.css\?v=[0-9a-f]{12})"', page.text).group(1)
    cached = cas.get(url)
    assert cached.status_code == 200
    assert cached.cache_control.max_age == 365 * 24 * 3600 and cached.cache_control.immutable
    assert cached.cache_control.public
    cached.close()
    assert re.search(r'src="/static/regie\.js\?v=[0-9a-f]{12}"', page.text)


def test_without_the_current_fingerprint_the_browser_asks_again_every_time(browser):
    for url in ("/static/regie.css", "/static/regie.css?v=000000000000"):
        response = browser.get(url)
        assert response.status_code == 200
        assert response.cache_control.no_cache and not response.cache_control.max_age
        response.close()


def test_a_changed_file_gets_a_new_fingerprint(tmp_path):
    (tmp_path / "a.css").write_text("body { color: red }")
    moment = [0.0]
    prints = Fingerprints(str(tmp_path), recheck=1.0, clock=lambda: moment[0])
    first = prints.of("a.css")
    (tmp_path / "a.css").write_text("body { color: blue }")
    stat = os.stat(tmp_path / "a.css")
    os.utime(tmp_path / "a.css", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert prints.of("a.css") == first                 # within a second the file is not looked at again
    moment[0] = 1.0
    assert prints.of("a.css") != first and len(first) == 12
    assert prints.of("bestaat-niet.css") is None


def test_static_files_are_served_without_a_database_query(as_user, engine):
    cas = as_user("cas")
    statements = []
    listener = lambda *args: statements.append(args[2])   # noqa: E731
    event.listen(engine.store.engine, "before_cursor_execute", listener)
    try:
        response = cas.get("/static/regie.css")
        assert response.status_code == 200
        response.close()
    finally:
        event.remove(engine.store.engine, "before_cursor_execute", listener)
    assert statements == []


def test_server_timing_only_when_configured(app, as_user):
    cas = as_user("cas")
    assert "Server-Timing" not in cas.get("/taken").headers
    from web import create_app

    timed = create_app({**app.config, "SERVER_TIMING": True}).test_client()
    response = timed.get("/login")
    assert response.status_code == 200
    assert re.fullmatch(r"app;dur=\d+\.\d\d, cpu;dur=\d+\.\d\d", response.headers["Server-Timing"])
