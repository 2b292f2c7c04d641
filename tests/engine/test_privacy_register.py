"""Personal-data categories on form fields, and docs/privacy.md generated from them (issue #14)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.errors import PrivacyError
from engine.forms import CATEGORIES, load_form
from engine.privacy import config
from engine.privacy.register import generate

ROOT = Path(__file__).resolve().parents[2]


def test_checked_in_register_is_what_the_command_writes_now():
    result = CliRunner().invoke(main, ["privacy", "register"])
    assert result.exit_code == 0, result.output
    assert (ROOT / "docs" / "privacy.md").read_text(encoding="utf-8") == result.output, (
        "docs/privacy.md is out of date: run `regie privacy register > docs/privacy.md`")


def test_every_field_of_the_shipped_forms_is_marked():
    unmarked = []
    for path in sorted((ROOT / "forms").glob("*.yaml")):
        form, problems = load_form(path.stem, path.read_text(encoding="utf-8"), path.name)
        assert problems == []
        unmarked += [f"{path.name}: {f.name}" for f in form.fields if f.category is None]
    assert unmarked == []


def test_fields_that_hold_names_contacts_or_free_text_are_personal():
    for path in sorted((ROOT / "forms").glob("*.yaml")):
        form, _ = load_form(path.stem, path.read_text(encoding="utf-8"), path.name)
        for f in form.fields:
            if f.type in ("email", "phone", "textarea") or (f.subject and path.stem in ("hersteloperatie-start", "loket-start", "tsp-start")):
                assert f.personal, f"{path.name}: {f.name} holds personal data but is marked 'none'"


def test_unknown_category_is_refused_with_the_choices():
    form, problems = load_form("x", "title: X\nfields:\n  - {name: a, label: A, type: text, category: geheim}\n")
    assert form is None
    assert "'geheim' kan niet. Kies uit: " + ", ".join(CATEGORIES) in problems[0].message


def test_register_names_purpose_basis_retention_and_categories():
    text = generate()
    assert "## Ondersteuning gedupeerde ouders (Hersteloperatie) (`hersteloperatie`)" in text
    assert "- **Bewaartermijn:** 7 jaar na het sluiten van de zaak" in text
    assert "| `health` | " in text and "Kennismakingsgesprek: Zijn er ernstige gezondheidsproblemen?" in text
    assert "Nieuwe zaak gedupeerde ouder: Naam van de ouder" in text


def test_a_process_without_register_entry_is_said(tmp_path):
    own = tmp_path / "privacy.yaml"
    own.write_text("processes:\n  loket: {purpose: Vragen, legal_basis: Taak, retention: {days: 30}}\n")
    text = generate(config_path=own)
    assert "30 dagen na het sluiten van de zaak" in text
    assert text.count("**Geen registerregel.**") == 6


@pytest.mark.parametrize("body, says", [
    ("processes:\n  loket: {purpose: Doel, legal_basis: Taak, retention: {years: -1}}\n", "'retention' moet"),
    ("processes:\n  loket: {purpose: Doel, legal_basis: Taak, retention: {weeks: 2}}\n", "'retention' moet"),
    ("processes:\n  loket: {legal_basis: Taak, retention: {years: 1}}\n", "'purpose' ontbreekt"),
    ("processes:\n  loket: {purpose: D, legal_basis: T, retention: {years: 1}, extra: 1}\n", "onbekend onderdeel 'extra'"),
    ("niets: 1\n", "mist 'processes:'"),
])
def test_a_bad_privacy_file_is_refused_with_what_to_fix(tmp_path, body, says):
    own = tmp_path / "privacy.yaml"
    own.write_text(body)
    with pytest.raises(PrivacyError) as err:
        config.load(own)
    assert says in str(err.value)
