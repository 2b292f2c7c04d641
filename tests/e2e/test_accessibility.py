"""axe-core (from npm, node_modules/axe-core) on every page each role reaches, in Chromium: no serious or
critical violations. The pages: everything in the role's menu, one link deeper for cases and tasks, a
form with errors, and the small-screen width."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from engine.store import UserRow
from tests.conftest import ROOT

from .conftest import PASSWORD

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
EXTRA_USERS = [("pia", "Pia Beleid", "policy"), ("abel", "Abel Auditor", "auditor"), ("ada", "Ada Beheer", "admin")]
ROLES = {"cas": "casemanager", "sam": "specialist", "coby": "coordinator", "pia": "policy", "abel": "auditor",
         "ada": "admin"}


def violations(page) -> list[str]:
    """Serious and critical axe-core violations on the page, one line each (rule, impact, where)."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
    }""")
    return found


def _same_site_links(page, base: str, selector: str) -> list[str]:
    hrefs = page.eval_on_selector_all(selector, "els => els.map(e => e.getAttribute('href'))")
    return [h for h in hrefs if h and h.startswith("/") and not h.startswith("//") and "uitloggen" not in h]


@pytest.fixture
def world(server, password_hash):
    eng = server.engine
    with eng.store.write() as tx:
        for username, name, roles in EXTRA_USERS:
            tx.save_user(UserRow(username=username, name=name, password_hash=password_hash, roles=roles, active=True))
    first = eng.start("aanvraag", {"naam": "Demo Ouder 1"}, actor="cas")
    eng.complete(eng.tasks(case_id=first)[0].id, {"akkoord": True, "bedrag": 5}, actor="cas")   # now at 'plan'
    second = eng.start("aanvraag", {"naam": "Demo Ouder 2"}, actor="cas")
    eng.claim(eng.tasks(case_id=second)[0].id, "cas")
    server.clock.advance(days=3)                                                               # overdue rows
    return server


@pytest.mark.parametrize("username", list(ROLES))
@pytest.mark.parametrize("width", [1280, 390])
def test_every_page_has_no_serious_accessibility_problems(chromium, world, username, width):
    if not AXE.exists():
        pytest.skip("axe-core ontbreekt: draai 'make install' (npm).")
    context = chromium.new_context(viewport={"width": width, "height": 900}, locale="nl-NL", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    url = world.url
    problems: dict[str, list[str]] = {}
    page.goto(url + "/login")
    problems["/login"] = violations(page)
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_load_state()
    todo = [urlsplit(page.url).path] + _same_site_links(page, url, "header a")
    seen: set[str] = set()
    while todo and len(seen) < 25:
        path = todo.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = page.goto(url + path)
        if response is None or response.status >= 400:
            continue
        page.wait_for_load_state("networkidle")
        problems[path] = violations(page)
        if len(seen) < 6:     # one level deeper from the first pages: cases, tasks, tabs
            todo += [h for h in _same_site_links(page, url, "main a:not([download])") if h not in seen and "?voor=" not in h]
    # a form with errors (the summary and the messages at the fields)
    tasks = world.engine.tasks(case_id=None)
    mine = next((t for t in tasks if t.role in ROLES[username].split(",") or username == "coby"), None)
    if mine is not None and ROLES[username] in ("casemanager", "specialist", "coordinator"):
        page.goto(f"{url}/taken/{mine.id}")
        button = page.get_by_role("button", name="Taak afronden")
        if button.is_enabled():
            button.click()
            page.wait_for_load_state()
            problems["taak met fouten"] = violations(page)
    context.close()
    bad = {path: found for path, found in problems.items() if found}
    assert not bad, f"{username} op {width} px: {bad}"
    assert len(problems) >= 3
