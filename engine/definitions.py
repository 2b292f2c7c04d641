"""Model files in, immutable content-addressed process versions out.

``compile_models`` reads BPMN, DMN and form files, parses them with SpiffWorkflow, checks every
expression with the restricted evaluator and every form reference, and returns one ``ProcessVersion``
per executable process — or the list of problems (file, element id, reason) that stop it. A version's
id is the SHA-256 of its *bundle*: the exact text of every file the process needs. The stored bundle is
all a later process needs to rebuild the version, so a case keeps running on what it started on.
"""

from __future__ import annotations

import ast
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.camunda.specs.business_rule_task import BusinessRuleTask
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from .errors import ExpressionError, ModelError, ModelProblem
from .forms import Form, form_key, load_form
from .spiff import ISO_TIMER, RegieParser

BPMN_SUFFIXES = (".bpmn", ".bpmn20.xml")
DMN_SUFFIXES = (".dmn",)
FORM_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class SourceFile:
    name: str          # file name without folders: part of the content hash
    kind: str          # "bpmn", "dmn" or "form"
    text: str


@dataclass(frozen=True)
class UserTaskInfo:
    """What the engine and the inbox need to know about one user task element."""

    element_id: str
    title: str
    form: str | None
    lane: str | None
    candidate_groups: tuple[str, ...]
    candidate_users: tuple[str, ...]
    assignee: str | None
    due: str | None
    follow_up: str | None

    @property
    def role(self) -> str | None:
        """The role whose team sees the task: the first candidate group, else the lane name."""
        return self.candidate_groups[0] if self.candidate_groups else self.lane


@dataclass
class ProcessVersion:
    """One deployed, immutable version of a process, with everything needed to run it."""

    process_id: str
    id: str                       # sha256 of the bundle
    name: str
    bundle: dict[str, Any]
    spec: Any = field(repr=False)
    subprocess_specs: dict[str, Any] = field(repr=False)
    forms: dict[str, Form] = field(repr=False)
    user_tasks: dict[str, UserTaskInfo] = field(repr=False)

    def start_form(self) -> Form | None:
        key = self.bundle.get("start_form")
        return self.forms.get(key) if key else None


def read_sources(paths: Iterable[str | Path]) -> list[SourceFile]:
    """Read model files from files and folders (folders are searched recursively, sorted by name)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and _kind(p.name)))
        elif path.is_file():
            found.append(path)
        else:
            raise ModelError([ModelProblem(str(path), "", "Dit bestand of deze map bestaat niet.")])
    sources = []
    for path in found:
        kind = _kind(path.name)
        if kind is None:
            raise ModelError([ModelProblem(str(path), "", "Onbekend soort bestand. Gebruik .bpmn, .dmn of .yaml.")])
        sources.append(SourceFile(path.name, kind, path.read_text(encoding="utf-8")))
    return sources


def _kind(name: str) -> str | None:
    lower = name.lower()
    if lower.endswith(BPMN_SUFFIXES):
        return "bpmn"
    if lower.endswith(DMN_SUFFIXES):
        return "dmn"
    if lower.endswith(FORM_SUFFIXES):
        return "form"
    return None


def compile_models(sources: list[SourceFile], evaluator, known_forms: dict[str, Form] | None = None) -> list[ProcessVersion]:
    """Parse and check ``sources``; return a version per executable process or raise ``ModelError``.

    ``known_forms`` are forms deployed earlier, used when a model refers to a form not in ``sources``.
    """
    problems: list[ModelProblem] = []
    forms: dict[str, Form] = dict(known_forms or {})
    form_texts: dict[str, str] = {k: f.source for k, f in forms.items()}
    broken: set[str] = set()   # forms with problems of their own: not reported again as missing
    for src in sources:
        if src.kind != "form":
            continue
        key = src.name.rsplit(".", 1)[0]
        form, found = load_form(key, src.text, src.name)
        problems.extend(found)
        if found:
            broken.add(key)
        if form:
            forms[key], form_texts[key] = form, src.text

    parser, file_of, parse_problems = _parse(sources)
    problems.extend(parse_problems)
    versions = []
    for process_id in sorted(parser.process_parsers) if parser else []:
        process_parser = parser.process_parsers[process_id]
        if not process_parser.process_executable:
            continue
        try:
            spec = parser.get_spec(process_id)
            subprocess_specs = parser.get_subprocess_specs(process_id)
        except (ValidationException, SpiffWorkflowException, KeyError, ValueError) as err:
            problems.append(_problem_from(err, file_of.get(process_id, "")))
            continue
        specs = [spec, *subprocess_specs.values()]
        where = {s.name: file_of.get(s.name, file_of.get(process_id, "")) for s in specs}
        problems.extend(_check_expressions(specs, where, evaluator))
        user_tasks, used_forms, form_problems = _user_tasks(specs, where, forms, broken)
        problems.extend(form_problems)
        start_form = _start_form(spec)
        if start_form and start_form not in forms and start_form not in broken:
            problems.append(ModelProblem(where[spec.name], spec.start.outputs[0].bpmn_id,
                                         f"Het startformulier '{start_form}' bestaat niet. Maak forms/{start_form}.yaml."))
        elif start_form in forms:
            used_forms.add(start_form)
        bundle = {
            "process_id": process_id,
            "bpmn": {n: t for n, t in _files_for(sources, "bpmn", {where[s.name] for s in specs})},
            "dmn": {n: t for n, t in _files_for(sources, "dmn", {file_of[d] for d in _dmn_refs(specs)})},
            "forms": {k: form_texts[k] for k in sorted(used_forms)},
            "start_form": start_form,
        }
        versions.append(ProcessVersion(
            process_id, bundle_hash(bundle), process_parser.get_name() or process_id, bundle,
            spec, subprocess_specs, {k: forms[k] for k in used_forms}, user_tasks,
        ))
    if problems:
        raise ModelError(problems)
    if not versions and any(s.kind == "bpmn" for s in sources):
        names = ", ".join(s.name for s in sources if s.kind == "bpmn")
        raise ModelError([ModelProblem(names, "", "Er staat geen uitvoerbaar proces in (isExecutable=\"true\").")])
    return versions


def load_version(bundle: dict[str, Any], evaluator) -> ProcessVersion:
    """Rebuild a stored version from its bundle (what every later process does on first use)."""
    sources = [SourceFile(n, "bpmn", t) for n, t in bundle["bpmn"].items()]
    sources += [SourceFile(n, "dmn", t) for n, t in bundle["dmn"].items()]
    sources += [SourceFile(f"{k}.yaml", "form", t) for k, t in bundle["forms"].items()]
    for version in compile_models(sources, evaluator):
        if version.process_id == bundle["process_id"]:
            return version
    raise ModelError([ModelProblem("", bundle["process_id"], "Deze versie bevat het proces niet meer.")])


def bundle_hash(bundle: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(bundle, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _parse(sources: list[SourceFile]):
    parser = RegieParser()
    file_of: dict[str, str] = {}
    problems: list[ModelProblem] = []
    for src in sources:
        if src.kind not in ("bpmn", "dmn"):
            continue
        try:
            xml = etree.fromstring(src.text.encode("utf-8"), parser=etree.XMLParser(resolve_entities=False, no_network=True))
            if src.kind == "dmn":
                parser.add_dmn_xml(xml, filename=src.name)
                continue
            before = set(parser.process_parsers)
            parser.add_bpmn_xml(xml, filename=src.name)
            file_of.update({pid: src.name for pid in set(parser.process_parsers) - before})
        except etree.XMLSyntaxError as err:
            problems.append(ModelProblem(src.name, "", f"Dit is geen geldige XML (regel {err.lineno}): {err.msg}."))
        except (ValidationException, SpiffWorkflowException, KeyError, ValueError) as err:
            problems.append(_problem_from(err, src.name))
    for decision_id, dmn_parser in parser.dmn_parsers.items():
        file_of[decision_id] = dmn_parser.filename
    return parser, file_of, problems


def _problem_from(err: Exception, filename: str) -> ModelProblem:
    element = getattr(err, "id", "") or getattr(err, "task_spec", None) and err.task_spec.bpmn_id or ""
    message = str(err.args[0]) if err.args else err.__class__.__name__
    return ModelProblem(getattr(err, "file_name", "") or filename, element, message)


def _files_for(sources: list[SourceFile], kind: str, names: set[str]) -> list[tuple[str, str]]:
    return sorted((s.name, s.text) for s in sources if s.kind == kind and s.name in names)


def _dmn_refs(specs) -> set[str]:
    return {ts.decision_ref for s in specs for ts in s.task_specs.values() if isinstance(ts, BusinessRuleTask)}


def _start_form(spec) -> str | None:
    """The form of the process's (first) plain start event, filled in when a case is started."""
    for start in spec.start.outputs if spec.start else ():
        if getattr(start, "form_key", None):
            return form_key(start.form_key)
    return None


def _user_tasks(specs, where, forms, broken):
    infos: dict[str, UserTaskInfo] = {}
    used: set[str] = set()
    problems: list[ModelProblem] = []
    for spec in specs:
        for ts in spec.task_specs.values():
            if not getattr(ts, "manual", False) or not hasattr(ts, "candidate_groups"):
                continue
            key = form_key(getattr(getattr(ts, "form", None), "key", None))
            if key and key not in forms and key not in broken:
                problems.append(ModelProblem(
                    where[spec.name], ts.bpmn_id,
                    f"Het formulier '{key}' bestaat niet. Maak forms/{key}.yaml of pas camunda:formKey aan.",
                ))
            elif key in forms:
                used.add(key)
            infos[ts.bpmn_id] = UserTaskInfo(
                ts.bpmn_id, ts.bpmn_name or ts.bpmn_id, key, ts.lane, ts.candidate_groups,
                ts.candidate_users, ts.assignee_expression, ts.due_date_expression, ts.follow_up_expression,
            )
    return infos, used, problems


def _check_expressions(specs, where, evaluator) -> list[ModelProblem]:
    problems = []
    for spec in specs:
        for element_id, kind, text in _expressions(spec):
            try:
                evaluator.check_script(text) if kind == "script" else evaluator.check(text)
            except ExpressionError as err:
                problems.append(ModelProblem(where[spec.name], element_id, f"'{text}': {err.reason}"))
    return problems


def _expressions(spec) -> Iterator[tuple[str, str, str]]:
    """Every expression and script in a process spec, as (element id, kind, text)."""
    for ts in spec.task_specs.values():
        element = getattr(ts, "bpmn_id", None) or ts.name
        for condition, _target in getattr(ts, "cond_task_specs", ()):
            text = condition.args[0] if hasattr(condition, "args") else condition
            if text:
                yield element, "condition", text
        if getattr(ts, "script", None):
            yield element, "script", ts.script
        if getattr(ts, "condition", None) and isinstance(ts.condition, str):
            yield element, "condition", ts.condition
        event = getattr(ts, "event_definition", None)
        if isinstance(event, TimerEventDefinition) and not _is_iso_literal(event.expression):
            yield element, "timer", event.expression
        for attr in ("assignee_expression", "due_date_expression", "follow_up_expression"):
            value = getattr(ts, attr, None)
            if value and not _is_iso_literal(value):
                yield element, attr.split("_")[0], value
        if isinstance(ts, BusinessRuleTask):
            yield from _dmn_expressions(element, ts.dmnEngine.decision_table)


def _dmn_expressions(element: str, table) -> Iterator[tuple[str, str, str]]:
    for column in table.inputs:
        if column.expression:
            yield f"{element}/{column.id}", "dmn", column.expression
    for rule in table.rules:
        for entry in rule.inputEntries:
            for lhs in entry.lhs:
                if lhs and lhs.strip() not in ("-", ""):
                    yield f"{element}/{rule.id}", "dmn", _dmn_cell(entry.input.expression or "x", lhs)
        for entry in rule.outputEntries:
            if entry.text:
                yield f"{element}/{rule.id}", "dmn", entry.text


def _dmn_cell(input_expr: str, cell: str) -> str:
    """The expression SpiffWorkflow's DMN engine will evaluate for one input cell."""
    if "?" in cell:
        return cell.replace("?", "dmninputexpr")
    try:
        ast.parse(cell)
        return f"({input_expr}) == ({cell})"
    except SyntaxError:
        return f"{input_expr} {cell}"


def _is_iso_literal(text: str) -> bool:
    """Plain ISO-8601 timer values (``P3M``, ``R5/P1D``, dates) as Camunda Modeler writes them."""
    return bool(ISO_TIMER.match(text.strip()))
