"""The engine is a library: it imports neither Flask nor the web app (STYLE.md, rule 1). The web app is a
client of the facade: it neither imports ``engine.store`` nor opens a store transaction itself."""

from __future__ import annotations

import ast
import re

from engine.cli import main
from tests.conftest import ROOT


def test_engine_imports_no_flask_and_no_web():
    offenders = []
    for path in sorted((ROOT / "engine").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names
                          if n.split(".")[0] in ("flask", "flask_wtf", "web", "werkzeug", "waitress")]
    assert offenders == []


def test_the_web_app_adds_regie_serve_through_an_entry_point():
    assert "serve" in main.commands


# Web modules that still open store transactions themselves, until their owners move them behind the
# facade (model drafts of the policy pages; account events of the admin pages). This list may only shrink.
NOT_CLOSED_YET = {"web/modellen.py", "web/beheer.py"}


def _imports(path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names.append(node.module or "")
    return names


def test_the_web_app_reaches_the_database_only_through_the_facade():
    offenders = []
    for path in sorted((ROOT / "web").rglob("*.py")):
        name = str(path.relative_to(ROOT))
        if name in NOT_CLOSED_YET:
            continue
        offenders += [f"{name}: imports {n}" for n in _imports(path) if n == "engine.store" or n.startswith("engine.store.")]
        text = path.read_text(encoding="utf-8")
        offenders += [f"{name}: opens a transaction ({m.group(0)})" for m in re.finditer(r"\.store\.(read|write)\(", text)]
    assert offenders == []


def test_the_layering_check_sees_a_store_import(tmp_path):
    """The check above recognises both kinds of offence (so it cannot pass by looking at nothing)."""
    module = tmp_path / "x.py"
    module.write_text("from engine.store.inbox import overview\nimport engine.store\n", encoding="utf-8")
    assert _imports(module) == ["engine.store.inbox", "engine.store"]
    assert re.search(r"\.store\.(read|write)\(", "with engine().store.read() as tx:")
