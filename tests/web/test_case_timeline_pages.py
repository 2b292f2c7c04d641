"""The case page's timeline a page at a time (issue 19): its size does not grow with the history,
older moments come by a plain link (or the script that adds them under the list), and walking the
pages shows every moment of the whole timeline exactly once."""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.conftest import ROOT

from .conftest import text

LONG = ROOT / "tests" / "engine" / "long_models"


@pytest.fixture
def loop(engine):
    """Start a case of the long loop and complete ``rounds`` contact moments on it."""
    engine.deploy([LONG])

    def make(rounds: int) -> str:
        case_id = engine.start("lange_lus", {"limit": 10_000}, actor="cas")
        for n in range(rounds):
            [task] = engine.tasks(case_id=case_id)
            engine.complete(task.id, {"verslag": f"ronde {n + 1}"}, actor="cas")
        return case_id

    return make


def moments(html: str) -> list[str]:
    """The visible text of each moment on the page (or fragment), top to bottom."""
    items = re.findall(r'<li class="moment [^"]*">(.*?)</li>', html, flags=re.S)
    return [re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", item))).strip() for item in items]


def older_link(html: str) -> str | None:
    found = re.search(r'<div id="tijdlijn-meer".*?href="([^"]+)"', html, flags=re.S)
    return found.group(1).replace("&amp;", "&").split("#")[0] if found else None


def test_the_page_holds_the_same_number_of_moments_at_any_history_length(app, as_user, loop):
    app.config["TIMELINE_PAGE_SIZE"] = 10
    short, long = loop(12), loop(60)
    cas = as_user("cas")
    short_page, long_page = cas.get(f"/zaken/{short}"), cas.get(f"/zaken/{long}")
    assert short_page.status_code == long_page.status_code == 200
    assert 0 < len(moments(long_page.text)) == len(moments(short_page.text)) <= 10
    # the page's bytes: the same template with the same number of moments, so within a few percent
    assert len(long_page.data) <= len(short_page.data) * 1.02
    assert "ronde 60" in long_page.text and "ronde 50" not in long_page.text


@pytest.mark.parametrize("size", [3, 4, 5, 7])
def test_walking_the_older_links_shows_the_whole_timeline_once(app, as_user, loop, size):
    app.config["TIMELINE_PAGE_SIZE"] = size
    case_id = loop(9)
    cas = as_user("cas")
    page = cas.get(f"/zaken/{case_id}")
    seen, pages = moments(page.text), 1
    assert "Naar de nieuwste gebeurtenissen" not in text(page)
    while (link := older_link(page.text)) is not None:
        page = cas.get(link)
        assert page.status_code == 200 and "Naar de nieuwste gebeurtenissen" in text(page)
        assert 0 < len(moments(page.text)) <= size
        seen += moments(page.text)
        pages += 1
    assert "Hier begint de zaak." in text(page) and pages > 2
    app.config["TIMELINE_PAGE_SIZE"] = 1000     # the whole timeline on one page, as it was before paging
    whole = moments(cas.get(f"/zaken/{case_id}").text)
    assert seen == whole
    assert not any(m.startswith("Keuze bij") for m in seen)        # decisions stay with their step
    assert sum("Keuze bij 'Nog een keer?'" in m for m in seen) == 9


def test_the_script_gets_the_older_moments_as_a_fragment_and_the_reading_is_logged(app, as_user, engine, loop):
    app.config["TIMELINE_PAGE_SIZE"] = 6
    case_id = loop(8)
    cas = as_user("cas")
    page = cas.get(f"/zaken/{case_id}")
    fragment_url = re.search(r'data-laad="([^"]+)"', page.text).group(1).replace("&amp;", "&")
    fragment = cas.get(fragment_url)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and 0 < len(moments(fragment.text)) <= 6
    assert moments(fragment.text) == moments(cas.get(older_link(page.text)).text)
    assert [(r.actor, r.page) for r in engine.access_log(case_id=case_id)] == [
        ("cas", "zaak"), ("cas", "tijdlijn"), ("cas", "zaak")]


# sam (specialist) has no task on the case: need-to-know refuses him (tests/web/test_need_to_know.py)
@pytest.mark.parametrize("user, status", [("cas", 200), ("sam", 403), ("coby", 200), ("pim", 403)])
def test_who_may_read_the_older_moments(as_user, loop, user, status):
    case_id = loop(2)
    assert as_user(user).get(f"/zaken/{case_id}/tijdlijn?voor=3").status_code == status


def test_a_visitor_who_is_not_logged_in_goes_to_the_login_page(browser, loop):
    case_id = loop(2)
    response = browser.get(f"/zaken/{case_id}/tijdlijn?voor=3")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("value", ["abc", "-4", "0", ""])
def test_a_bad_event_number_gives_the_newest_moments(app, as_user, loop, value):
    app.config["TIMELINE_PAGE_SIZE"] = 5
    case_id = loop(6)
    cas = as_user("cas")
    assert moments(cas.get(f"/zaken/{case_id}?voor={value}").text) == moments(cas.get(f"/zaken/{case_id}").text)
