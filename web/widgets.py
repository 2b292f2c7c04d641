"""Form fields in the browser: field type -> widget macro and parser (lookup table, no if-chains).

A browser posts text. ``read_form`` turns the post into the typed JSON values the engine's form schema
expects (a number with a Dutch decimal comma, ja/nee -> bool, several choices -> list, a date ->
'YYYY-MM-DD'), drops the fields whose ``when`` condition does not hold, and says per field what is
wrong, in the same words the engine uses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from werkzeug.datastructures import MultiDict

from engine.errors import InvalidData
from engine.forms import TYPE_MESSAGES, Form, FormField
from engine.region import NotANumber, parse_number

# What a person reads in the browser: the same as the engine says, but dates the Dutch way round.
MESSAGES = {**TYPE_MESSAGES, "date": "Vul een datum in als dag-maand-jaar, bijvoorbeeld 31-03-2026."}

Raw = dict[str, Any]       # field name -> text (or list of texts) exactly as typed


class Unreadable(ValueError):
    """The text cannot be read as a value of the field's type; ``hint`` says what the writer may have meant."""

    def __init__(self, raw: Any, hint: str = ""):
        super().__init__(raw)
        self.hint = hint


def _meant(suggestions: list[str]) -> str:
    """'Bedoelt u 1,5 of 15?' for a number written the English way, or with a misplaced dot."""
    if not suggestions:
        return ""
    options = [f"'{s}'" for s in reversed(suggestions)]   # Babel lists the grouped reading first
    return f" Bedoelt u {' of '.join(options)}?"


def _text(raw: str) -> str:
    return raw.strip()


def _number(raw: str) -> int | float:
    """A number as the municipality writes it (engine/region.py: 1.234,56 in Dutch); never '1.5' as 15."""
    try:
        value = parse_number(raw)
    except NotANumber as err:
        raise Unreadable(raw, _meant(err.suggestions)) from None
    if not value.is_finite():
        raise Unreadable(raw)
    return int(value) if value == value.to_integral_value() else float(value)


def _integer(raw: str) -> int:
    value = _number(raw)
    if not isinstance(value, int):
        raise Unreadable(raw)
    return value


def _date(raw: str) -> str:
    text = raw.strip()
    dutch = re.fullmatch(r"(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{4})", text)
    try:
        if dutch:
            day, month, year = map(int, dutch.groups())
            return date(year, month, day).isoformat()
        return date.fromisoformat(text).isoformat()
    except ValueError as err:
        raise Unreadable(raw) from err


def _yesno(raw: str) -> bool:
    value = {"ja": True, "nee": False}.get(raw.strip().lower())
    if value is None:
        raise Unreadable(raw)
    return value


def _multichoice(raw: list[str]) -> list[str]:
    return [v for v in dict.fromkeys(raw) if v]


@dataclass(frozen=True)
class Widget:
    macro: str                                  # macro name in templates/macros/fields.html
    parse: Callable[[Any], Any]
    many: bool = False                          # posted as several values (checkboxes)
    input_type: str = "text"
    inputmode: str | None = None
    example: str = ""                           # shown under the label: how to type a value


WIDGETS: dict[str, Widget] = {
    "text": Widget("input", _text),
    "textarea": Widget("textarea", _text),
    "number": Widget("input", _number, inputmode="decimal"),
    "integer": Widget("input", _integer, inputmode="numeric"),
    # A text field, not <input type=date>: the browser's date field throws away what it cannot read,
    # so a mistyped date would vanish instead of staying in the field next to its error.
    "date": Widget("input", _date, example="Bijvoorbeeld 31-03-2026."),
    "yesno": Widget("yesno", _yesno),
    "choice": Widget("choice", _text),
    "multichoice": Widget("multichoice", _multichoice, many=True),
    "email": Widget("input", _text, input_type="email"),
    "phone": Widget("input", _text, input_type="tel", inputmode="tel"),
    # The file itself comes with the post's files (web/tasks.py); the engine checks it (engine/uploads.py).
    "file": Widget("file", _text, input_type="file", example="Een PDF, PNG of JPG (foto)."),
}

# What the form's schema sees for a file that was sent, while the web app checks the rest of the form; the
# engine puts the real reference in its place after checking the file's size and type.
_SENT_FILE = {"id": "-", "name": "-", "size": 1, "type": "application/pdf", "sha256": "0" * 64}


def raw_values(form: Form, post: MultiDict) -> Raw:
    """The post as typed, per field of the form (unknown names are ignored)."""
    return {f.name: post.getlist(f.name) if WIDGETS[f.type].many else post.get(f.name, "") for f in form.fields}


def initial_values(form: Form) -> Raw:
    """What a fresh form shows: the defaults of the form definition, as text."""
    return {f.name: _as_text(f, f.default) for f in form.fields if f.default is not None}


def _as_text(field: FormField, value: Any) -> Any:
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, list):
        return [str(v) for v in value]
    if field.type == "date":
        return dutch_date(str(value))
    return str(value)


def dutch_date(value: str) -> str:
    """'2026-03-31' -> '31-03-2026'; anything else as it is (what someone typed stays)."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return value
    return f"{day.day:02d}-{day.month:02d}-{day.year}"


def read_form(form: Form, raw: Raw, today: date | None = None,
              files: frozenset[str] | set[str] = frozenset()) -> tuple[dict[str, Any], dict[str, str]]:
    """Typed data for the engine and the problems per field (empty when the form is complete).

    Every problem at once: unreadable text, missing fields and out-of-range values together.
    ``today`` (the local date) checks date limits such as 'no birth date in the future'. ``files``: the
    file fields a file was sent for (the engine checks the files and fills in their references)."""
    data: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for field in form.fields:
        if not field.shown(data):
            continue
        if field.type == "file":
            continue
        value = raw.get(field.name)
        if value in (None, "", []) or (isinstance(value, str) and not value.strip()):
            continue
        try:
            data[field.name] = WIDGETS[field.type].parse(value)
        except Unreadable as err:
            problems[field.name] = MESSAGES[field.type] + err.hint
    sent = {f.name: _SENT_FILE for f in form.fields if f.type == "file" and f.name in files and f.shown(data)}
    try:
        form.validate({**data, **sent}, today=today)
    except InvalidData as err:
        problems = {**err.by_field(), **problems}
    return data, {f.name: problems[f.name] for f in form.fields if f.name in problems}


def shown_fields(form: Form, raw: Raw) -> set[str]:
    """Names of the fields that apply to what is typed now (for the first render, before any script)."""
    data: dict[str, Any] = {}
    shown = set()
    for field in form.fields:
        if not field.shown(data):
            continue
        shown.add(field.name)
        value = raw.get(field.name)
        try:
            if value not in (None, "", []):
                data[field.name] = WIDGETS[field.type].parse(value)
        except Unreadable:
            pass
    return shown


def sections(form: Form) -> list[tuple[str, list[FormField]]]:
    """The fields grouped by their ``section`` (in order of first appearance); '' for no section."""
    grouped: dict[str, list[FormField]] = {}
    for field in form.fields:
        grouped.setdefault(field.section or "", []).append(field)
    return list(grouped.items())
