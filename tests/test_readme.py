"""The README's Python example runs as written (on a fresh database instead of instance/)."""

from __future__ import annotations

import re

from tests.conftest import ROOT


def test_readme_python_example_runs(tmp_path, monkeypatch, capsys):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    example = example.replace("sqlite:///instance/regie.db", f"sqlite:///{tmp_path / 'readme.db'}")
    monkeypatch.chdir(ROOT)
    exec(compile(example, "README.md", "exec"), {})
    assert "Kennismakingsgesprek voorbereiden" in capsys.readouterr().out
