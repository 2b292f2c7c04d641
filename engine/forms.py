"""Task forms: YAML definitions compiled to JSON Schema and validated with ``jsonschema``.

A form is data (``forms/<key>.yaml``), referenced from a user task by ``camunda:formKey``. The same
definition drives the web widgets and the engine's server-side check, so a value the web app accepts
is a value the engine accepts. The format is described in ``docs/forms.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any

import yaml
from jsonschema import Draft202012Validator, FormatChecker

from .errors import FieldProblem, InvalidData, ModelProblem
from .models.safety import load_yaml
from .region import local

FIELD_TYPES: dict[str, dict[str, Any]] = {
    "text": {"type": "string", "maxLength": 500},
    "textarea": {"type": "string", "maxLength": 20000},
    "number": {"type": "number"},
    "integer": {"type": "integer"},
    "date": {"type": "string", "format": "date"},
    "yesno": {"type": "boolean"},
    "choice": {"type": "string"},
    "multichoice": {"type": "array", "uniqueItems": True},
    "email": {"type": "string", "maxLength": 254, "pattern": r"^[^@\s]+@[^@\s]+\.[^@\s]+$"},
    "phone": {"type": "string", "maxLength": 30, "pattern": r"^[0-9 +()\-]{6,30}$"},
    # A file sent with the form (engine/uploads.py): the case data holds only this reference to it.
    "file": {
        "type": "object",
        "required": ["id", "name", "size", "type", "sha256"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "maxLength": 36},
            "name": {"type": "string", "maxLength": 200},
            "size": {"type": "integer", "minimum": 1},
            "type": {"enum": ["application/pdf", "image/png", "image/jpeg"]},
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        },
    },
}

# What a caseworker reads when a value has the wrong type, by field type.
TYPE_MESSAGES = {
    "text": "Vul tekst in.",
    "textarea": "Vul tekst in.",
    "number": "Vul een getal in, bijvoorbeeld 12 of 12,50.",
    "integer": "Vul een heel getal in, bijvoorbeeld 3.",
    "date": "Vul een datum in als jaar-maand-dag, bijvoorbeeld 2026-03-31.",   # JSON; the web app asks 31-03-2026
    "yesno": "Kies ja of nee.",
    "choice": "Kies een van de opties.",
    "multichoice": "Kies een of meer van de opties.",
    "email": "Vul een e-mailadres in, bijvoorbeeld naam@voorbeeld.nl.",
    "phone": "Vul een telefoonnummer in, alleen cijfers, spaties, + of -.",
    "file": "Kies een bestand (PDF, PNG of JPG).",
}

# Personal-data categories a form field can carry (``category:``); the processing register
# (``engine.privacy.register``) and the data-subject export name them. ``health`` is a special
# category in the sense of art. 9 AVG; ``financial`` is not, but is treated as sensitive here.
CATEGORIES: dict[str, str] = {
    "identifying": "identificerend (naam, geboortedatum)",
    "contact": "contactgegevens (adres, telefoon, e-mail)",
    "health": "gezondheid (bijzonder persoonsgegeven)",
    "financial": "financiële gegevens (schulden, inkomen)",
    "free_text": "vrije tekst (kan persoonsgegevens bevatten)",
    "none": "geen persoonsgegeven",
}

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# A date field's ``earliest``/``latest``: 'today' (the local date when the form is sent) or a fixed date.
DATE_LIMIT = r"^(today|\d{4}-\d{2}-\d{2})$"

# The schema a form definition itself must satisfy (checked at validate/deploy time).
FORM_SCHEMA = {
    "type": "object",
    "required": ["title", "fields"],
    "additionalProperties": False,
    "properties": {
        "title": {"type": "string", "minLength": 1},
        "intro": {"type": "string"},
        "tips": {"type": "array", "items": {"type": "string"}},
        "fields": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "label", "type"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "pattern": r"^[a-z_][a-z0-9_]*$"},
                    "label": {"type": "string", "minLength": 1},
                    "type": {"enum": sorted(FIELD_TYPES)},
                    "required": {"type": "boolean"},
                    "help": {"type": "string"},
                    "placeholder": {"type": "string"},
                    "default": {},
                    "subject": {"type": "boolean"},
                    "category": {"enum": list(CATEGORIES)},
                    "section": {"type": "string"},
                    "min": {"type": "number"},
                    "max": {"type": "number"},
                    "max_length": {"type": "integer", "minimum": 1},
                    "earliest": {"type": "string", "pattern": DATE_LIMIT},
                    "latest": {"type": "string", "pattern": DATE_LIMIT},
                    "choices": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["value", "label"],
                            "additionalProperties": False,
                            "properties": {"value": {"type": "string"}, "label": {"type": "string"}},
                        },
                    },
                    "when": {
                        "type": "object",
                        "required": ["field"],
                        "additionalProperties": False,
                        "properties": {
                            "field": {"type": "string"},
                            "equals": {},
                            "in": {"type": "array"},
                            "contains": {},
                        },
                    },
                },
            },
        },
    },
}
_FORM_VALIDATOR = Draft202012Validator(FORM_SCHEMA)


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    type: str
    required: bool = False
    help: str = ""
    placeholder: str = ""
    default: Any = None
    subject: bool = False
    category: str | None = None      # a key of CATEGORIES; None: not marked (a test keeps shipped forms marked)
    section: str = ""
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    earliest: str | None = None
    latest: str | None = None
    choices: tuple[tuple[str, str], ...] = ()
    when: dict[str, Any] | None = None

    def shown(self, values: dict[str, Any]) -> bool:
        """Whether this field applies, given the other values of the form."""
        if not self.when:
            return True
        other = values.get(self.when["field"])
        if "equals" in self.when:
            return other == self.when["equals"]
        if "in" in self.when:
            return other in self.when["in"]
        if "contains" in self.when:
            return isinstance(other, list) and self.when["contains"] in other
        return other not in (None, "", [], False)

    @property
    def personal(self) -> bool:
        """Whether the field holds personal data (unmarked fields count as personal: the safe side)."""
        return self.category != "none"

    def choice_label(self, value: Any) -> str:
        return dict(self.choices).get(value, str(value))


@dataclass(frozen=True)
class Form:
    key: str
    title: str
    fields: tuple[FormField, ...]
    intro: str = ""
    tips: tuple[str, ...] = ()
    source: str = field(default="", compare=False)

    @cached_property
    def schema(self) -> dict[str, Any]:
        return compile_schema(self)

    @cached_property
    def _validator(self) -> Draft202012Validator:
        return Draft202012Validator(self.schema, format_checker=FormatChecker())

    def field(self, name: str) -> FormField | None:
        return next((f for f in self.fields if f.name == name), None)

    def validate(self, data: dict[str, Any], today: date | None = None) -> None:
        """Raise ``InvalidData`` naming every field that is wrong, with what to do; else return.

        All problems come in one answer (every missing field, every wrong value), so a person fixes the
        form in one round. ``today`` (the local date) checks the ``earliest``/``latest`` of date fields.
        """
        if not isinstance(data, dict):
            raise InvalidData([FieldProblem("-", "Geef de gegevens als een lijst van velden en waarden.")], self.key)
        problems: dict[str, str] = {}
        for error in self._validator.iter_errors(data):
            for name, message in self._explain(error, data):
                problems.setdefault(name, message)
        for name, message in self._date_limits(data, today):
            problems.setdefault(name, message)
        if problems:
            ordered = [f.name for f in self.fields if f.name in problems]
            ordered += [n for n in problems if n not in ordered]
            raise InvalidData([FieldProblem(n, problems[n]) for n in ordered], self.key)

    def _date_limits(self, data: dict[str, Any], today: date | None) -> list[tuple[str, str]]:
        """Dates before a field's ``earliest`` or after its ``latest`` (a birth date in the future)."""
        found = []
        for f in self.fields:
            value = data.get(f.name)
            if f.type != "date" or not isinstance(value, str) or not (f.earliest or f.latest):
                continue
            try:
                day = date.fromisoformat(value)
            except ValueError:
                continue     # the schema's format check already names it
            latest = _limit(f.latest, today)
            earliest = _limit(f.earliest, today)
            if latest and day > latest:
                found.append((f.name, "Deze datum ligt in de toekomst. Vul een datum in tot en met vandaag."
                              if f.latest == "today" else f"Vul een datum in tot en met {_dutch(latest)}."))
            elif earliest and day < earliest:
                found.append((f.name, "Deze datum ligt in het verleden. Vul vandaag of een latere datum in."
                              if f.earliest == "today" else f"Vul {_dutch(earliest)} of een latere datum in."))
        return found

    def _explain(self, error, data) -> list[tuple[str, str]]:
        """Every (field, what to do) one schema error stands for: one 'required' error names all missing."""
        if error.validator == "additionalProperties":
            extra = sorted(set(data) - {f.name for f in self.fields})
            return [(name, "Dit veld hoort niet bij dit formulier.") for name in extra or ["-"]]
        if error.validator == "required":
            missing = [m for m in error.validator_value if m not in data] or ["-"]
            return [(name, "Vul dit veld in.") for name in missing]
        if error.validator == "not":
            # 'else: not required' of a conditional field that does not apply
            name = error.validator_value.get("required", ["-"])[0]
            return [(name, "Dit veld hoort niet bij uw antwoorden. Laat het leeg.")]
        name = str(error.absolute_path[0]) if error.absolute_path else "-"
        spec = self.field(name)
        kind = spec.type if spec else "text"
        messages = {
            "minimum": f"Vul een waarde in van minimaal {spec.min if spec else ''}.",
            "maximum": f"Vul een waarde in van maximaal {spec.max if spec else ''}.",
            "maxLength": f"Dit is te lang. Gebruik hoogstens {error.validator_value} tekens.",
            "minLength": "Vul dit veld in.",
            "uniqueItems": "Kies elke optie maar een keer.",
        }
        return [(name, messages.get(error.validator, TYPE_MESSAGES[kind]))]


def local_date(moment: datetime) -> date:
    """The municipality's date at ``moment`` (what 'today' means for a form's date limits)."""
    return local(moment).date()


def _limit(value: str | None, today: date | None) -> date | None:
    """The date a limit stands for; 'today' only counts when the caller said what day it is."""
    if not value:
        return None
    return today if value == "today" else date.fromisoformat(value)


def _dutch(day: date) -> str:
    return f"{day.day:02d}-{day.month:02d}-{day.year}"


def compile_schema(form: Form) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) for a form's submitted data."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    conditions: list[dict[str, Any]] = []
    for f in form.fields:
        prop = dict(FIELD_TYPES[f.type])
        if f.type == "choice":
            prop["enum"] = [value for value, _ in f.choices]
        if f.type == "multichoice":
            prop["items"] = {"enum": [value for value, _ in f.choices]}
            if f.required:
                prop["minItems"] = 1
        if f.type in ("text", "textarea") and f.required:
            prop["minLength"] = 1
        if f.min is not None:
            prop["minimum"] = f.min
        if f.max is not None:
            prop["maximum"] = f.max
        if f.max_length is not None:
            prop["maxLength"] = f.max_length
        properties[f.name] = prop
        if not f.when:
            if f.required:
                required.append(f.name)
            continue
        conditions.append({
            "if": _condition_schema(f.when),
            "then": {"required": [f.name]} if f.required else {},
            "else": {"not": {"required": [f.name]}},
        })
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }
    if conditions:
        schema["allOf"] = conditions
    return schema


def _condition_schema(when: dict[str, Any]) -> dict[str, Any]:
    other = when["field"]
    if "equals" in when:
        test: dict[str, Any] = {"const": when["equals"]}
    elif "in" in when:
        test = {"enum": when["in"]}
    elif "contains" in when:
        test = {"type": "array", "contains": {"const": when["contains"]}}
    else:
        test = {"not": {"enum": [None, "", [], False]}}
    return {"properties": {other: test}, "required": [other]}


def load_form(key: str, text: str, filename: str = "") -> tuple[Form | None, list[ModelProblem]]:
    """Parse one YAML form. Returns the form, or None and the problems that say what to fix."""
    where = filename or f"{key}.yaml"
    if not KEY_PATTERN.match(key):
        return None, [ModelProblem(where, key, "Gebruik voor de bestandsnaam alleen kleine letters, cijfers, - en _.")]
    try:
        raw = load_yaml(text)   # safe_load without aliases (no "billion laughs")
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f" (regel {mark.line + 1})" if mark else ""
        return None, [ModelProblem(where, key, f"Dit is geen geldige YAML{line}: {getattr(err, 'problem', err)}.")]
    problems = [
        ModelProblem(where, key, f"{'/'.join(map(str, e.absolute_path)) or 'formulier'}: {_explain_definition(e)}")
        for e in _FORM_VALIDATOR.iter_errors(raw)
    ]
    if problems:
        return None, problems
    fields = []
    names: set[str] = set()
    for item in raw["fields"]:
        if item["name"] in names:
            problems.append(ModelProblem(where, key, f"Het veld '{item['name']}' staat er twee keer in."))
        names.add(item["name"])
        if item["type"] in ("choice", "multichoice") and not item.get("choices"):
            problems.append(ModelProblem(where, key, f"Het veld '{item['name']}' heeft keuzes nodig (choices)."))
        fields.append(FormField(
            **{k: v for k, v in item.items() if k not in ("choices",)},
            choices=tuple((c["value"], c["label"]) for c in item.get("choices", ())),
        ))
    for f in fields:
        if f.when and f.when["field"] not in names:
            problems.append(ModelProblem(where, key, f"Het veld '{f.name}' hangt af van '{f.when['field']}', maar dat veld bestaat niet."))
    if problems:
        return None, problems
    return Form(key, raw["title"], tuple(fields), raw.get("intro", ""), tuple(raw.get("tips", ())), text), []


def _explain_definition(error) -> str:
    """A policy officer's reading of what is wrong in a form definition."""
    if error.validator == "required":
        missing = [m for m in error.validator_value if not isinstance(error.instance, dict) or m not in error.instance]
        return f"'{missing[0] if missing else error.validator_value[0]}' ontbreekt."
    if error.validator == "enum":
        return f"'{error.instance}' kan niet. Kies uit: {', '.join(map(str, error.validator_value))}."
    if error.validator == "additionalProperties":
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        return f"onbekend onderdeel. Toegestaan: {allowed}."
    if error.validator == "type":
        return f"verkeerd soort waarde (verwacht: {error.validator_value})."
    if error.validator == "pattern":
        return f"'{error.instance}' kan niet: gebruik kleine letters, cijfers en _."
    return error.message


def form_key(value: str | None) -> str | None:
    """Normalise a ``camunda:formKey`` (``embedded:app:forms/x.form``, ``x.yaml``, ``x``) to a form key."""
    if not value:
        return None
    name = value.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
    for suffix in (".yaml", ".yml", ".form", ".html"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name
