"""Readable reports made from a case's data: pure functions, no storage, no web.

``startscan_report`` turns the answers of an Overheidsbrede Startscan case into one printable HTML
page: stap 1 per respondent and per part (A, B, C), then stap 2 and stap 3, every question with its
answer in the words of the form. Questions come from the forms, so a question a policy officer adds to
a form shows up in the report without touching this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, select_autoescape

from .forms import Form, FormField

STAP1_ROLES = ("teamleider", "beleidsmedewerker", "consulent", "kwaliteitsmedewerker", "frontoffice")
NOT_ANSWERED = "Niet beantwoord"


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    answered: bool


@dataclass(frozen=True)
class Part:
    title: str
    answers: list[Answer]


@dataclass(frozen=True)
class Chapter:
    title: str
    intro: str
    parts: list[Part]


def startscan_report(case_data: Mapping[str, Any], forms: Mapping[str, Form]) -> str:
    """Printable HTML (one page, print CSS) with every Startscan answer, by stap and section.

    ``forms`` maps form keys (``startscan-stap1-teamleider``, ``startscan-stap2``, …) to their ``Form``;
    forms that are missing are left out. Answers are escaped; empty answers read "Niet beantwoord".
    """
    chapters: list[Chapter] = []
    respondents = [r for r in STAP1_ROLES if r in (case_data.get("respondenten") or STAP1_ROLES)]
    stap1: list[Any] = []
    for role in respondents:
        form = forms.get(f"startscan-stap1-{role}")
        if form is None:
            continue
        who_field = form.field(f"{role}_respondent")
        who = _value(who_field, case_data) if who_field else NOT_ANSWERED
        heading = _role_title(form) + (f" ({who})" if who != NOT_ANSWERED else "")
        stap1.extend(Part(f"{heading} – {section}", answers)
                     for section, answers in _sections(form, case_data, skip={f"{role}_respondent"}))
    if stap1:
        chapters.append(Chapter("Stap 1. Huidige situatie",
                                "Wanneer signaleren medewerkers nu een inwoner, wanneer is er een eerste contact en "
                                "wanneer zijn er meerdere gesprekken met de inwoner?", stap1))
    for key, title in (("startscan-stap2", "Stap 2. Gewenste situatie"), ("startscan-stap3", "Stap 3. Conclusies")):
        form = forms.get(key)
        if form is not None:
            chapters.append(Chapter(title, form.intro, [Part(s, a) for s, a in _sections(form, case_data)]))
    return _TEMPLATE.render(
        gemeente=case_data.get("gemeente") or "", soort=_choice_label(forms.get("startscan-start"), "gemeente_type",
                                                                     case_data),
        chapters=chapters,
    )


def _role_title(form: Form) -> str:
    # "Startscan stap 1: huidige situatie (teamleider)" -> "Teamleider"
    inner = form.title.rsplit("(", 1)[-1].rstrip(")") if "(" in form.title else form.title
    return inner[:1].upper() + inner[1:]


def _sections(form: Form, data: Mapping[str, Any], skip: frozenset | set = frozenset()) -> list[tuple[str, list]]:
    order: list[str] = []
    grouped: dict[str, list[Answer]] = {}
    for field in form.fields:
        if field.name in skip:
            continue
        section = field.section or form.title
        if section not in grouped:
            order.append(section)
            grouped[section] = []
        value = _value(field, data)
        grouped[section].append(Answer(field.label, value, value != NOT_ANSWERED))
    return [(s, grouped[s]) for s in order]


def _value(field: FormField, data: Mapping[str, Any]) -> str:
    value = data.get(field.name)
    if value is None or value == "" or value == []:
        return NOT_ANSWERED
    if field.type == "yesno":
        return "Ja" if value else "Nee"
    if field.type == "multichoice":
        return ", ".join(field.choice_label(v) for v in value)
    if field.type == "choice":
        return field.choice_label(value)
    return str(value)


def _choice_label(form: Form | None, name: str, data: Mapping[str, Any]) -> str:
    field = form.field(name) if form else None
    return _value(field, data) if field else str(data.get(name) or "")


_TEMPLATE = Environment(autoescape=select_autoescape(default=True, default_for_string=True)).from_string("""\
<!DOCTYPE html>
<html lang="nl">
<head>
<meta charset="utf-8">
<title>Overheidsbrede Startscan{% if gemeente %} – {{ gemeente }}{% endif %}</title>
<style>
  body { font-family: Arial, Helvetica, sans-serif; font-size: 11pt; line-height: 1.45; color: #111;
         max-width: 50rem; margin: 2rem auto; padding: 0 1rem; }
  h1 { font-size: 18pt; margin-bottom: .2rem; }
  h2 { font-size: 14pt; border-bottom: 2px solid #154273; padding-bottom: .2rem; margin-top: 2rem; }
  h3 { font-size: 12pt; margin: 1.2rem 0 .4rem; color: #154273; }
  .intro { color: #444; font-style: italic; }
  dl { margin: 0; }
  dt { font-weight: bold; margin-top: .6rem; }
  dd { margin: .1rem 0 0 0; white-space: pre-wrap; }
  dd.open { color: #777; font-style: italic; }
  @media print {
    body { margin: 0; max-width: none; }
    h2 { break-before: page; }
    h2:first-of-type { break-before: avoid; }
    h3, dt { break-after: avoid; }
    dd { break-inside: avoid; }
  }
</style>
</head>
<body>
<h1>Overheidsbrede Startscan</h1>
{% if gemeente %}<p><strong>{{ gemeente }}</strong>{% if soort %} – {{ soort }}{% endif %}</p>{% endif %}
{% for chapter in chapters %}
<h2>{{ chapter.title }}</h2>
{% if chapter.intro %}<p class="intro">{{ chapter.intro }}</p>{% endif %}
{% for part in chapter.parts %}
<h3>{{ part.title }}</h3>
<dl>
{% for a in part.answers %}  <dt>{{ a.question }}</dt>
  <dd{% if not a.answered %} class="open"{% endif %}>{{ a.answer }}</dd>
{% endfor %}</dl>
{% endfor %}
{% endfor %}
</body>
</html>
""")
