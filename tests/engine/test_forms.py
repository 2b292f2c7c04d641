"""Form validation: every problem in one answer, and date limits such as 'no birth date in the future'."""

from __future__ import annotations

from datetime import date

import pytest

from engine.errors import InvalidData
from engine.forms import load_form

FORM, PROBLEMS = load_form("test", """
title: Test
fields:
  - {name: naam, label: Naam, type: text, required: true}
  - {name: bron, label: Bron, type: choice, required: true, choices: [{value: a, label: A}]}
  - {name: geboortedatum, label: Geboortedatum, type: date, latest: today}
  - {name: afspraak, label: Afspraak, type: date, earliest: today}
  - {name: vast, label: Vast, type: date, latest: '2026-12-31'}
  - {name: aantal, label: Aantal, type: integer, required: true}
""")
TODAY = date(2026, 3, 10)


def problems(data, today=TODAY) -> dict[str, str]:
    with pytest.raises(InvalidData) as err:
        FORM.validate(data, today=today)
    return err.value.by_field()


def test_the_definition_loads():
    assert PROBLEMS == []


def test_every_missing_required_field_is_named_at_once():
    assert problems({}) == {"naam": "Vul dit veld in.", "bron": "Vul dit veld in.", "aantal": "Vul dit veld in."}


def test_missing_and_wrong_values_together_in_form_order():
    assert problems({"bron": "x", "aantal": "drie", "onbekend": 1, "ander": 2}) == {
        "naam": "Vul dit veld in.",
        "bron": "Kies een van de opties.",
        "aantal": "Vul een heel getal in, bijvoorbeeld 3.",
        "ander": "Dit veld hoort niet bij dit formulier.",
        "onbekend": "Dit veld hoort niet bij dit formulier.",
    }


def test_a_birth_date_in_the_future_is_refused():
    valid = {"naam": "Demo", "bron": "a", "aantal": 1}
    assert problems({**valid, "geboortedatum": "2026-03-11"}) == {
        "geboortedatum": "Deze datum ligt in de toekomst. Vul een datum in tot en met vandaag."}
    FORM.validate({**valid, "geboortedatum": "2026-03-10"}, today=TODAY)     # today itself is fine


def test_earliest_today_and_a_fixed_latest_date():
    valid = {"naam": "Demo", "bron": "a", "aantal": 1}
    assert problems({**valid, "afspraak": "2026-03-09", "vast": "2027-01-01"}) == {
        "afspraak": "Deze datum ligt in het verleden. Vul vandaag of een latere datum in.",
        "vast": "Vul een datum in tot en met 31-12-2026.",
    }


def test_date_limits_together_with_missing_fields():
    assert problems({"geboortedatum": "2030-01-01"}) == {
        "naam": "Vul dit veld in.", "bron": "Vul dit veld in.",
        "geboortedatum": "Deze datum ligt in de toekomst. Vul een datum in tot en met vandaag.",
        "aantal": "Vul dit veld in.",
    }


def test_a_limit_that_is_not_a_date_is_refused_at_deploy():
    form, found = load_form("x", "title: X\nfields:\n  - {name: d, label: D, type: date, latest: morgen}\n")
    assert form is None and "latest" in str(found[0])
