"""Forms drawn in the model: ``camunda:formData`` (Camunda 7) and Camunda Forms (Zeebe) as Regie forms."""

from __future__ import annotations

import keyword
import re
from typing import Any

from engine.forms import Form, FormField

from .bpmn import _b, _c
from .feel import feel_name
from .parser import Refusal

# camunda:formField type -> Regie field type
FORM_DATA_TYPES = {"string": "text", "long": "integer", "integer": "integer", "short": "integer",
                   "double": "number", "boolean": "yesno", "date": "date", "enum": "choice",
                   "file": "file", "FileUpload": "file"}     # custom types modelers use for an upload
# Camunda Forms component type -> Regie field type (text, image, buttons and the like show nothing)
CAMUNDA_FORM_TYPES = {"textfield": "text", "textarea": "textarea", "number": "number",
                      "checkbox": "yesno", "radio": "choice", "select": "choice",
                      "checklist": "multichoice", "taglist": "multichoice", "datetime": "date",
                      "filepicker": "file"}   # stored safely by engine/uploads.py (PDF, PNG, JPEG)
CAMUNDA_FORM_DISPLAY = frozenset({"text", "image", "button", "spacer", "separator", "html", "iframe",
                                  "table", "documentPreview", "expression"})


def slug(text: str) -> str:
    """Lowercase letters, digits and '-' only: usable as a form key."""
    value = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return value or "x"


def field_name(key: str) -> str:
    """The case field a Camunda form field id stands for: ``jaar-omzet`` and ``jaar.omzet`` are ``jaar_omzet``."""
    return re.sub(r"[-.]", "_", key.strip())


def form_from_form_data(element, title: str) -> tuple[Form | None, list[str]]:
    """A Regie form from ``camunda:formData`` (None when there is none); also what was refused."""
    fields, refused = [], []
    for item in element.iterfind(f"{_b('extensionElements')}/{_c('formData')}/{_c('formField')}"):
        name, kind = item.get("id", ""), item.get("type", "string")
        constraints = {c.get("name"): c.get("config") for c in item.iterfind(f"{_c('validation')}/{_c('constraint')}")}
        if "readonly" in constraints:
            continue   # shown to the person, never submitted
        name = field_name(name)
        if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
            refused.append(f"het veld '{item.get('id', '')}' heeft geen bruikbare naam (letters, cijfers en _).")
            continue
        if kind not in FORM_DATA_TYPES:
            refused.append(f"het veld '{name}' heeft type '{kind}'; Regie kent: {', '.join(sorted(FORM_DATA_TYPES))}.")
            continue
        choices = tuple((v.get("id", ""), v.get("name") or v.get("id", "")) for v in item.iterfind(_c("value")))
        fields.append(FormField(
            name=name, label=item.get("label") or name, type=FORM_DATA_TYPES[kind],
            required="required" in constraints, default=_default(FORM_DATA_TYPES[kind], item.get("defaultValue")),
            choices=choices,
            min=_number(constraints.get("min")), max=_number(constraints.get("max")),
            max_length=_integer(constraints.get("maxlength")),
        ))
    found = element.find(f"{_b('extensionElements')}/{_c('formData')}")
    if found is None:
        return None, refused
    return Form(f"formdata-{slug(element.get('id', ''))}", title, tuple(fields)), refused


def form_from_camunda_form(form_id: str, schema: dict[str, Any], title: str) -> tuple[Form, list[str]]:
    """A Regie form from a Camunda Forms (Zeebe) JSON schema; also what was refused."""
    fields: list[FormField] = []
    refused: list[str] = []
    for component in _components(schema):
        kind, key = component.get("type", ""), component.get("key")
        if kind in CAMUNDA_FORM_DISPLAY or not key or component.get("disabled") or component.get("readonly"):
            continue
        if kind not in CAMUNDA_FORM_TYPES:
            refused.append(f"het formulierveld '{key}' heeft type '{kind}'; dat kan Regie niet tonen.")
            continue
        if kind == "filepicker" and component.get("multiple"):
            refused.append(f"het formulierveld '{key}' vraagt om meerdere bestanden; Regie neemt één bestand per veld.")
            continue
        if "." in key:
            refused.append(f"het formulierveld '{key}' vult een veld binnen een groep; dat kan Regie niet.")
            continue
        try:
            name = feel_name(key)
        except Refusal as err:
            refused.append(err.reason)
            continue
        rules = component.get("validate") or {}
        choices = tuple((str(v.get("value")), str(v.get("label", v.get("value"))))
                        for v in component.get("values") or ())
        if CAMUNDA_FORM_TYPES[kind] in ("choice", "multichoice") and not choices:
            refused.append(f"het formulierveld '{key}' haalt zijn keuzes uit de zaak; noem de keuzes in het formulier.")
            continue
        fields.append(FormField(
            name=name, label=component.get("label") or key, type=CAMUNDA_FORM_TYPES[kind],
            required=bool(rules.get("required")), help=component.get("description", ""),
            choices=choices, min=_number(rules.get("min")), max=_number(rules.get("max")),
            max_length=_integer(rules.get("maxLength")),
        ))
    return Form(f"zeebe-{slug(form_id)}", title, tuple(fields)), refused


def _default(kind: str, value: str | None) -> Any:
    """A formField's defaultValue as the value its field holds."""
    if value is None or "${" in value:
        return None
    if kind == "yesno":
        return value.strip().lower() == "true"
    if kind == "integer":
        return int(value) if value.strip().lstrip("-").isdigit() else None
    if kind == "number":
        return _number(value)
    return value


def _components(schema: dict[str, Any]):
    for component in schema.get("components") or ():
        if component.get("type") in ("group", "dynamiclist"):
            yield from _components(component)
        else:
            yield component


def _number(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _integer(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None and number >= 1 else None
