"""Case data as people read it: labels, option labels, Dutch dates, conditions in words."""

from __future__ import annotations

from datetime import date

import pytest

from engine.forms import load_form
from engine.labels import Labels, dutch_date, readable

FORM, _ = load_form("t", """
title: T
fields:
  - name: contact_uitkomst
    label: Wat is de uitkomst van het gesprek?
    type: choice
    choices: [{value: hulp_gewenst, label: De ouder wil extra hulp}, {value: geen_hulp, label: Geen hulp}]
  - {name: akkoord, label: 'Wil de bewoner hulp?', type: yesno}
  - {name: bedrag, label: Bedrag, type: number}
  - {name: crisis, label: Crisis, type: multichoice, choices: [{value: dreigende_huisuitzetting, label: Dreigende huisuitzetting}, {value: andere_crisis, label: Een andere crisis}]}
  - {name: datum, label: Datum, type: date}
""")
LABELS = Labels.of([FORM])


def test_labels_and_value_labels():
    assert LABELS.rows({"contact_uitkomst": "hulp_gewenst", "akkoord": False, "bedrag": 12.5,
                        "crisis": ["dreigende_huisuitzetting", "andere_crisis"], "datum": "2026-03-31",
                        "crisis_acties": "bellen"}) == [
        ("Wat is de uitkomst van het gesprek?", "De ouder wil extra hulp"),
        ("Wil de bewoner hulp?", "nee"),
        ("Bedrag", "12,50"),
        ("Crisis", "Dreigende huisuitzetting, Een andere crisis"),
        ("Datum", "31-03-2026"),
        ("Crisis acties", "bellen"),
    ]


@pytest.mark.parametrize("expression, words", [
    ('contact_uitkomst == "hulp_gewenst"', "‘Wat is de uitkomst van het gesprek?’ is ‘De ouder wil extra hulp’"),
    ("akkoord == True and bedrag < 1000", "‘Wil de bewoner hulp?’ is ja en ‘Bedrag’ is kleiner dan 1000"),
    ("${akkoord == false || bedrag >= 2.5}", "‘Wil de bewoner hulp?’ is nee of ‘Bedrag’ is minstens 2,50"),
    ("'andere_crisis' in crisis", "‘andere_crisis’ is een van ‘Crisis’"),
    ("not akkoord", "niet ‘Wil de bewoner hulp?’"),
])
def test_conditions_in_words(expression, words):
    assert LABELS.condition(expression) == words


def test_readable_values():
    assert readable(None) == "–" and readable(True) == "ja" and readable(3.0) == "3"
    assert readable(date(2026, 3, 31)) == "31-03-2026"
    assert dutch_date("2026-03-31T14:05:00+02:00") == "31-03-2026 14:05"
    # A stored moment (UTC) in the municipality's time, like every other time on the page; the day too.
    assert dutch_date("2026-12-01T22:10:48.874368+00:00") == "01-12-2026 23:10"
    assert dutch_date("2026-12-31T23:30:00+00:00") == "01-01-2027 00:30"
    assert dutch_date("2026-07-01T09:00") == "01-07-2026 09:00"                # no offset: as written
    assert readable("geen datum") == "geen datum"
