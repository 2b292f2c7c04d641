"""CI cannot pass with half the suite skipped: a missing PostgreSQL or Chromium fails there."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT, skip_unless_required


def test_a_missing_service_skips_locally_and_fails_where_it_is_required(monkeypatch):
    monkeypatch.delenv("REGIE_REQUIRE_PG", raising=False)
    with pytest.raises(pytest.skip.Exception):
        skip_unless_required("PostgreSQL antwoordt niet", "REGIE_REQUIRE_PG")
    monkeypatch.setenv("REGIE_REQUIRE_PG", "1")
    with pytest.raises(pytest.fail.Exception, match="PostgreSQL antwoordt niet"):
        skip_unless_required("PostgreSQL antwoordt niet", "REGIE_REQUIRE_PG")


def test_ci_requires_postgresql_and_the_browser():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "export REGIE_REQUIRE_PG=1" in script and "export REGIE_REQUIRE_BROWSER=1" in script
