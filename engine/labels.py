"""Case data as people read it: form labels instead of field names, value labels instead of codes,
Dutch dates and numbers, and gateway conditions in words.

One place for the lookup, used by the case page, the timeline, the CLI and the auditor's pages (which
show the raw form next to it). Built from the forms of a process version:

    labels = Labels.of(version.forms.values())
    labels.label("contact_uitkomst")                       # 'Wat is de uitkomst van het gesprek?'
    labels.value("contact_uitkomst", "hulp_gewenst")       # 'De ouder wil extra hulp'
    labels.condition('contact_uitkomst == "hulp_gewenst"') # "'Wat is de uitkomst …' is 'De ouder wil …'"
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from .forms import Form, FormField
from .region import local

EMPTY = "–"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")

# Operators and literals of the model's condition languages (Python-like, FEEL, JUEL) in words.
_WORDS = {
    "==": "is", "=": "is", "!=": "is niet", "<": "is kleiner dan", "<=": "is hoogstens", ">": "is groter dan",
    ">=": "is minstens", "and": "en", "&&": "en", "or": "of", "||": "of", "not": "niet", "!": "niet",
    "in": "is een van", "True": "ja", "true": "ja", "False": "nee", "false": "nee", "None": "leeg",
    "null": "leeg", "eq": "is", "ne": "is niet", "lt": "is kleiner dan", "le": "is hoogstens",
    "gt": "is groter dan", "ge": "is minstens", "empty": "leeg",
}
_TOKEN = re.compile(r"""
    (?P<string>"[^"]*"|'[^']*')
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|&&|\|\||[<>=!(),\[\]])
  | (?P<space>\s+)
  | (?P<other>.)
""", re.X)


class Labels:
    """Labels of the fields of some forms (the first form that asks for a field names it)."""

    def __init__(self, fields: dict[str, FormField]):
        self.fields = fields

    @classmethod
    def of(cls, forms: Iterable[Form]) -> Labels:
        fields: dict[str, FormField] = {}
        for form in forms:
            for f in form.fields:
                fields.setdefault(f.name, f)
        return cls(fields)

    def label(self, name: str) -> str:
        """The form's label for a field; for data no form asked for, the name made readable."""
        spec = self.fields.get(name)
        return spec.label if spec else humane(name)

    def value(self, name: str, value: Any) -> str:
        """A field's value as the form offered it: option labels, ja/nee, 31-03-2026, 12,50."""
        spec = self.fields.get(name)
        if spec is not None and spec.choices:
            if isinstance(value, str):
                return spec.choice_label(value)
            if isinstance(value, list):
                return ", ".join(spec.choice_label(v) for v in value) or EMPTY
        return readable(value)

    def rows(self, data: dict[str, Any]) -> list[tuple[str, str]]:
        """(label, value) for each field of ``data``, in the order given."""
        return [(self.label(name), self.value(name, value)) for name, value in data.items()]

    def condition(self, expression: str) -> str:
        """A gateway condition in words: field names become labels, codes become option labels."""
        text = expression.strip()
        if text.startswith(("${", "#{")) and text.endswith("}"):
            text = text[2:-1]
        out: list[str] = []
        field: str | None = None          # the field the next literal is compared with
        for match in _TOKEN.finditer(text):
            kind, token = match.lastgroup, match.group()
            if kind == "space":
                continue
            if kind == "string":
                out.append(f"‘{self.value(field, token[1:-1]) if field else token[1:-1]}’")
            elif kind == "number":
                out.append(readable(float(token)) if "." in token else token)
            elif kind == "name" and token in _WORDS:
                out.append(_WORDS[token])
            elif kind == "name" and token in self.fields:
                field = token
                out.append(f"‘{self.label(token)}’")
            elif kind == "op" and token in _WORDS:
                out.append(_WORDS[token])
            else:
                out.append(token)
        return _tidy(" ".join(out))


FILE_REFERENCE = frozenset({"id", "name", "size", "type", "sha256"})


def readable(value: Any) -> str:
    """Any stored value for reading: ja/nee, decimal comma, Dutch dates, lists with commas."""
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, float):
        return f"{value:.2f}".replace(".", ",") if value != int(value) else str(int(value))
    if isinstance(value, (date, datetime)):
        return dutch_date(value.isoformat())
    if isinstance(value, list):
        return ", ".join(readable(v) for v in value) or EMPTY
    if isinstance(value, dict) and set(value) == FILE_REFERENCE:     # a file sent with a form (engine.uploads)
        kind = {"application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPG"}.get(value["type"], value["type"])
        size = value["size"] if isinstance(value["size"], int) else 0
        return f"{value['name']} ({kind}, {max(1, round(size / 1000))} kB)"
    if isinstance(value, dict):
        return ", ".join(f"{humane(str(k))}: {readable(v)}" for k, v in value.items()) or EMPTY
    if isinstance(value, str) and (_ISO_DATE.match(value) or _ISO_MOMENT.match(value)):
        return dutch_date(value)
    return str(value)


def dutch_date(value: str) -> str:
    """'2026-03-31' -> '31-03-2026'; '2026-03-31T14:00:00+02:00' -> '31-03-2026 14:00'. A moment with an
    offset is shown in the municipality's time ('2026-12-01T22:10:00+00:00' -> '01-12-2026 23:10'); one
    without is that time already (as written)."""
    try:
        day = date.fromisoformat(value[:10])
    except ValueError:
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is not None and moment.tzinfo is not None:
        value = local(moment).isoformat()
        day = date.fromisoformat(value[:10])
    shown = f"{day.day:02d}-{day.month:02d}-{day.year}"
    return f"{shown} {value[11:16]}" if len(value) >= 16 and value[10] in "T " else shown


def humane(name: str) -> str:
    """'crisis_acties' -> 'Crisis acties' for data that no form asked for."""
    return name.replace("_", " ").strip().capitalize()


def _tidy(text: str) -> str:
    return (text.replace("( ", "(").replace(" )", ")").replace("[ ", "[").replace(" ]", "]")
            .replace(" ,", ","))
