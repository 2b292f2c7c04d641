"""From what a browser posts (text) to the typed values the engine's form schema expects."""

from __future__ import annotations

import pytest

from engine.forms import load_form
from web.widgets import WIDGETS, Unreadable, initial_values, read_form, shown_fields

FORM, PROBLEMS = load_form("test", """
title: Test
fields:
  - {name: hulp, label: 'Hulp nodig', type: yesno, required: true, default: true}
  - {name: bedrag, label: Bedrag, type: number}
  - {name: kinderen, label: Kinderen, type: integer}
  - {name: datum, label: Datum, type: date}
  - {name: gebieden, label: Gebieden, type: multichoice, choices: [{value: wonen, label: Wonen}, {value: werk, label: Werk}]}
  - {name: wonen_toelichting, label: Toelichting, type: textarea, required: true, when: {field: gebieden, contains: wonen}}
""")


@pytest.mark.parametrize("kind, raw, value", [
    ("number", "12,50", 12.5),
    ("number", "1.234,56", 1234.56),
    ("number", "€ 10", 10),
    ("number", "-3,5", -3.5),
    ("number", "1 234,5", 1234.5),
    ("number", " 7 ", 7),
    ("integer", "3", 3),
    ("integer", "1.000", 1000),
    ("date", "2026-03-31", "2026-03-31"),
    ("date", "31-3-2026", "2026-03-31"),
    ("date", "31/03/2026", "2026-03-31"),
    ("yesno", "ja", True),
    ("yesno", "Nee", False),
    ("multichoice", ["werk", "werk", "wonen", ""], ["werk", "wonen"]),
    ("text", "  Demo  ", "Demo"),
])
def test_parsers(kind, raw, value):
    assert WIDGETS[kind].parse(raw) == value


@pytest.mark.parametrize("kind, raw", [
    ("number", "veel"), ("number", "1,2,3"), ("number", "NaN"), ("number", "Infinity"), ("integer", "2,5"),
    ("number", "1.5"), ("integer", "1.5"), ("number", "12.50"),
    ("date", "31-02-2026"), ("date", "morgen"), ("yesno", "misschien"),
])
def test_unreadable_text(kind, raw):
    with pytest.raises(Unreadable):
        WIDGETS[kind].parse(raw)


def test_a_number_written_the_english_way_is_refused_with_what_was_meant_never_misread():
    """'1.5' is not Dutch for one and a half, nor is it fifteen: the form asks, it does not guess."""
    data, problems = read_form(FORM, {"hulp": "ja", "bedrag": "1.5", "kinderen": "1.5"})
    assert problems["bedrag"] == "Vul een getal in, bijvoorbeeld 12 of 12,50. Bedoelt u '1,5' of '15'?"
    assert problems["kinderen"].startswith("Vul een heel getal in")
    assert "bedrag" not in data and "kinderen" not in data


def test_read_form_types_values_and_drops_fields_that_do_not_apply():
    data, problems = read_form(FORM, {"hulp": "ja", "bedrag": "12,5", "kinderen": "", "gebieden": ["werk"],
                                      "wonen_toelichting": "weg ermee"})
    assert problems == {}
    assert data == {"hulp": True, "bedrag": 12.5, "gebieden": ["werk"]}


def test_read_form_reports_per_field_in_form_order():
    data, problems = read_form(FORM, {"hulp": "", "bedrag": "x", "datum": "30-02-2026", "gebieden": ["wonen"]})
    assert problems == {
        "hulp": "Vul dit veld in.",
        "bedrag": "Vul een getal in, bijvoorbeeld 12 of 12,50.",
        "datum": "Vul een datum in als dag-maand-jaar, bijvoorbeeld 31-03-2026.",
        "wonen_toelichting": "Vul dit veld in.",
    }


def test_defaults_and_which_fields_show_first():
    assert initial_values(FORM) == {"hulp": "ja"}
    assert "wonen_toelichting" not in shown_fields(FORM, {})
    assert "wonen_toelichting" in shown_fields(FORM, {"gebieden": ["wonen"]})


def test_a_date_default_is_shown_the_dutch_way_and_typed_text_stays():
    form, _ = load_form("d", "title: D\nfields:\n  - {name: d, label: D, type: date, default: '2026-03-31'}\n")
    assert initial_values(form) == {"d": "31-03-2026"}
    assert WIDGETS["date"].input_type == "text"          # a browser date field drops text it cannot read
    data, problems = read_form(form, {"d": "31-02-2026"})
    assert problems == {"d": "Vul een datum in als dag-maand-jaar, bijvoorbeeld 31-03-2026."}


def test_read_form_checks_date_limits_with_today():
    form, _ = load_form("d", "title: D\nfields:\n  - {name: geboren, label: G, type: date, latest: today}\n")
    from datetime import date

    assert read_form(form, {"geboren": "01-01-2030"}, today=date(2026, 3, 10))[1] == {
        "geboren": "Deze datum ligt in de toekomst. Vul een datum in tot en met vandaag."}
    assert read_form(form, {"geboren": "10-03-2026"}, today=date(2026, 3, 10)) == ({"geboren": "2026-03-10"}, {})
