"""Data-subject requests (AVG art. 15 and 16): what Regie holds about one resident, and corrections.

``export`` gathers every case of one resident — found by the name the cases carry (``subject``) and,
when given, the birth date, which leaves out a namesake with another birth date — with each case's
data (labelled, with its category from the forms), its history (the data each step recorded, the
corrections) and who looked at it (the access log). Every case read is written to the access log. It
comes as JSON (``to_json``) and as a readable, self-contained HTML page (``to_html``).

``rectify`` corrects one field of one case as an event (``data_rectified``: the correction, who, why),
applied to the workflow by ``engine.cases`` like any command, so replay and verify follow it; its values
are sealed with the case key like all personal values.

Who may: the coordinator (on behalf of the privacy officer, FG), in the web app at ``/privacy``; the CLI
is for the application manager who runs the request for them.
"""

from __future__ import annotations

import html
import json
from datetime import date
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from ..audit import Event
from ..errors import FieldProblem, InvalidData, PrivacyError
from ..forms import CATEGORIES, FIELD_TYPES, TYPE_MESSAGES, FormField
from ..labels import Labels, dutch_date, humane

RECTIFIED = "data_rectified"
EXPORT_PAGE = "privacy-inzage"
BIRTH_DATE = "geboortedatum"


def _fields(version) -> dict[str, FormField]:
    """Field name -> its definition, over every form of the version (the start form first)."""
    found: dict[str, FormField] = {}
    forms = list(version.forms.values())
    start = version.start_form()
    for form in ([start] if start else []) + forms:
        for f in form.fields:
            found.setdefault(f.name, f)
    return found


def find(engine, name: str, birth_date: str | None = None) -> list[str]:
    """Ids of the resident's cases: same name; with ``birth_date``, cases that record another birth date
    are left out (cases that record none are kept: the name is all they hold)."""
    from ..store.subjects import cases_named

    if not name or not name.strip():
        raise PrivacyError("Vul de naam van de inwoner in, zoals die op de zaak staat.")
    if birth_date:
        try:
            date.fromisoformat(birth_date)
        except ValueError as err:
            raise PrivacyError("Vul de geboortedatum in als jaar-maand-dag, bijvoorbeeld 1984-03-31.") from err
    with engine.store.read() as tx:
        rows = cases_named(tx, name)
    found = []
    for row in rows:
        recorded = json.loads(row.data or "{}").get(BIRTH_DATE)
        if birth_date and recorded and recorded != birth_date:
            continue
        found.append(row.id)
    return found


def export(engine, actor: str, name: str, birth_date: str | None = None) -> dict[str, Any]:
    """Everything held about the resident, across their cases (see the module docstring)."""
    case_ids = find(engine, name, birth_date)
    cases = [_case(engine, actor, case_id) for case_id in case_ids]
    return {"inwoner": {"naam": " ".join(name.split()), "geboortedatum": birth_date},
            "gemaakt_op": engine.clock.now().isoformat(), "gemaakt_door": actor, "zaken": cases}


def _case(engine, actor: str, case_id: str) -> dict[str, Any]:
    state = engine.state(case_id)
    version = engine.version(state.version_id)
    fields = _fields(version)
    engine.record_access(actor, case_id, EXPORT_PAGE, "inzageverzoek van de inwoner")
    history = engine.history(case_id)
    removed = next((e for e in history if e.type == "personal_data_removed"), None)
    steps = []
    for e in history:
        data = e.payload.get("data") if e.type in ("case_started", "task_completed") else None
        step: dict[str, Any] = {"event": e.seq, "soort": e.type, "wanneer": e.at.isoformat(), "wie": e.actor,
                                "stap": e.payload.get("title") or e.payload.get("element") or ""}
        if data:
            step["gegevens"] = [_value(fields, k, v) for k, v in data.items()]
        if e.type == RECTIFIED:
            step["correctie"] = [_value(fields, k, v) for k, v in (e.payload.get("correction") or {}).items()]
            step["reden"] = e.payload.get("reason", "")
        steps.append(step)
    looked = [{"wanneer": a.at.isoformat(), "wie": a.actor, "pagina": a.page_label, "reden": a.reason}
              for a in engine.access_log(case_id=case_id, limit=None)]
    return {
        "zaak": state.number or case_id, "id": case_id, "proces": version.name, "status": state.status,
        "gestart": history[0].at.isoformat() if history else None, "casemanager": getattr(state, "casemanager", None),
        "gegevens": [_value(fields, k, v) for k, v in state.data.items()],
        "verloop": steps, "inzage": looked,
        "persoonsgegevens_verwijderd_op": removed.at.isoformat() if removed else None,
    }


def _value(fields: dict[str, FormField], name: str, value: Any) -> dict[str, Any]:
    """The stored value (``waarde``) and, for the resident to read, ``tekst``: the form's option labels,
    ja/nee, 31-03-2026, 12,50 (not a code like 'eigen_initiatief')."""
    spec = fields.get(name)
    category = (spec.category if spec else None) or ("free_text" if spec else "none")
    return {"veld": name, "label": spec.label if spec else humane(name), "soort": category, "waarde": value,
            "tekst": "" if value is None else Labels(fields).value(name, value)}


def to_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False)


def to_html(data: dict[str, Any]) -> str:
    """A readable page of the export: one section per case (self-contained, prints well)."""
    e = html.escape
    person = data["inwoner"]
    parts = [
        "<!doctype html><html lang=\"nl\"><head><meta charset=\"utf-8\">",
        f"<title>Inzage: {e(person['naam'])}</title>",
        "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;line-height:1.5}"
        "table{border-collapse:collapse;width:100%;margin-bottom:1rem}th,td{border:1px solid #999;padding:.3rem;"
        "text-align:left;vertical-align:top}h2{margin-top:2rem}</style></head><body>",
        f"<h1>Wat de gemeente over {e(person['naam'])} bewaart</h1>",
        f"<p>Gemaakt op {e(_when(data['gemaakt_op']))} door {e(data['gemaakt_door'])}. "
        f"{len(data['zaken'])} {'zaak' if len(data['zaken']) == 1 else 'zaken'} gevonden"
        + (f" (geboortedatum {e(person['geboortedatum'])})" if person.get("geboortedatum") else "") + ".</p>",
    ]
    for case in data["zaken"]:
        parts.append(f"<h2>Zaak {e(case['zaak'])}: {e(case['proces'])}</h2>")
        parts.append(f"<p>Status: {'afgerond' if case['status'] == 'completed' else 'loopt'}. "
                     f"Gestart: {e(_when(case['gestart'])[:10])}. Casemanager: {e(case['casemanager'] or '-')}.</p>")
        if case["persoonsgegevens_verwijderd_op"]:
            parts.append(f"<p>De persoonsgegevens van deze zaak zijn verwijderd op "
                         f"{e(_when(case['persoonsgegevens_verwijderd_op'])[:10])} (bewaartermijn).</p>")
        parts.append("<h3>Gegevens</h3>" + _table(["Gegeven", "Soort", "Waarde"],
                     [[v["label"], CATEGORIES.get(v["soort"], v["soort"]), _text(v)] for v in case["gegevens"]]))
        rows = []
        for step in case["verloop"]:
            values = step.get("gegevens") or step.get("correctie") or []
            text = "; ".join(f"{v['label']}: {_text(v)}" for v in values)
            if step.get("reden"):
                text += f" (reden: {step['reden']})"
            rows.append([_when(step["wanneer"]), step["wie"], step["stap"] or step["soort"], text])
        parts.append("<h3>Verloop</h3>" + _table(["Wanneer", "Wie", "Stap", "Vastgelegd"], rows))
        parts.append("<h3>Wie keek in deze zaak</h3>" + _table(
            ["Wanneer", "Wie", "Waar", "Reden"],
            [[_when(a["wanneer"]), a["wie"], a["pagina"], a["reden"] or ""] for a in case["inzage"]]))
    parts.append("</body></html>")
    return "\n".join(parts)


def _when(moment: str | None) -> str:
    """A stored moment for the resident: '05-01-2026 10:00' in the municipality's time (not UTC)."""
    return dutch_date(moment) if moment else "-"


def _text(value: dict[str, Any]) -> str:
    """A value as the resident reads it (an export made before ``tekst`` existed: the stored value)."""
    return value["tekst"] if "tekst" in value else shown(value["waarde"])


def shown(value: Any) -> str:
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return "" if value is None else str(value)


def _table(head: list[str], rows: list[list[Any]]) -> str:
    e = html.escape
    if not rows:
        return "<p>Niets.</p>"
    out = ["<table><thead><tr>", *(f"<th>{e(h)}</th>" for h in head), "</tr></thead><tbody>"]
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


# --- rectification ---------------------------------------------------------------------------------

def parse_value(spec: FormField | None, text: str) -> Any:
    """A typed value for the field from what a person typed (the CLI and the web form give text)."""
    kind = spec.type if spec else "text"
    raw = text.strip()
    if kind == "number":
        try:
            return float(raw.replace(",", "."))
        except ValueError:
            return raw
    if kind == "integer":
        try:
            return int(raw)
        except ValueError:
            return raw
    if kind == "yesno":
        return {"ja": True, "nee": False, "true": True, "false": False}.get(raw.lower(), raw)
    if kind == "multichoice":
        return [part.strip() for part in raw.split(",") if part.strip()]
    if kind == "date" and len(raw) == 10 and raw[2] == "-" and raw[5] == "-":     # 31-03-2026 as on screen
        return f"{raw[6:]}-{raw[3:5]}-{raw[:2]}"
    return raw


def rectify(engine, case_id: str, field: str, text: str, reason: str, actor: str) -> None:
    """Correct ``field`` of the case to the value ``text`` stands for, with ``reason``; an event records it."""
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise PrivacyError("Schrijf waarom het gegeven wordt gecorrigeerd (minstens 5 tekens): dat komt in de log.")
    state = engine.state(case_id)
    case_id = state.id
    if field not in state.data:
        known = ", ".join(sorted(state.data)) or "geen"
        raise PrivacyError(f"Het gegeven '{field}' staat niet in zaak {state.number or case_id}. Kies uit: {known}.")
    spec = _fields(engine.version(state.version_id)).get(field)
    value = parse_value(spec, text)
    if spec is not None:
        schema = dict(FIELD_TYPES[spec.type])
        if spec.type == "choice":
            schema["enum"] = [v for v, _ in spec.choices]
        if spec.type == "multichoice":
            schema["items"] = {"enum": [v for v, _ in spec.choices]}
        if spec.max_length:
            schema["maxLength"] = spec.max_length
        if next(Draft202012Validator(schema, format_checker=FormatChecker()).iter_errors(value), None) is not None:
            raise InvalidData([FieldProblem(field, TYPE_MESSAGES[spec.type])])
    now = engine.clock.now()
    payload = {"field": field, "correction": {field: value}, "reason": reason}
    with engine.commands.step(actor) as step:
        case = step.lock_case(case_id)
        events = step.apply(Event(RECTIFIED, payload), now)
        if spec is not None and spec.subject and value:
            case.subject = str(value)[:300]
        step.persist(events, now)
