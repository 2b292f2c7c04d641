"""The engine is a library: it imports neither Flask nor the web app (STYLE.md, rule 1)."""

from __future__ import annotations

import ast

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
