"""Model files in, immutable content-addressed process versions out.

``compile_models`` reads BPMN, DMN and form files, prepares models from other tools
(``engine.dialects``), parses them with SpiffWorkflow, checks every expression with the restricted
evaluator and every form reference, and returns one ``ProcessVersion`` per executable process — or the
list of problems (file, element id, reason) that stop it. A version's id is the SHA-256 of its
*bundle*: the exact text of every file the process needs. The stored bundle is all a later process
needs to rebuild the version, so a case keeps running on what it started on. Forms a model describes
itself (``camunda:formData``, Camunda Forms, route choices) are derived from the BPMN again on load.

On request, processes that are not executable are kept as *documentation*: a version that holds the
diagram for viewing and cannot start cases.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition, TimerEventDefinition
from SpiffWorkflow.camunda.specs.business_rule_task import BusinessRuleTask
from SpiffWorkflow.exceptions import SpiffWorkflowException

from . import cron
from .cron import looks_like_cron
from .dialects import SYNTHETIC
from .errors import ExpressionError, ModelError, ModelProblem, RegieError
from .forms import Form, form_key, load_form
from .models.safety import check_sources
from .spiff import ISO_TIMER, RegieParser, RegieProcessSpec

_BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMN_SUFFIXES = (".bpmn", ".bpmn20.xml")
DMN_SUFFIXES = (".dmn",)
FORM_SUFFIXES = (".yaml", ".yml")
# Form keys that name a form of another system (a JSF page, an embedded HTML form, a Camunda 8 form):
# used when a YAML form of that name exists, otherwise the task has no form of its own.
FOREIGN_FORM_SUFFIXES = (".jsf", ".xhtml", ".html", ".htm")


class NotExecutable(RegieError):
    """The process was deployed as documentation only: it can be viewed, not started."""

    def __init__(self, process_id: str):
        super().__init__(
            f"Het proces '{process_id}' is alleen als documentatie uitgerold: u kunt het bekijken, maar er "
            "geen zaak mee starten. Zet isExecutable=\"true\" in het model en rol het opnieuw uit."
        )
        self.process_id = process_id


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
    role_expression: str | None = None   # candidate groups computed per case (Camunda ``${afdeling}``)

    @property
    def role(self) -> str | None:
        """The role whose team sees the task: the first candidate group, else the lane name (unless
        ``role_expression`` computes it per case, ``engine.commands``)."""
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
    documentation: bool = False   # a diagram to view; starts no cases (``spec`` is an empty process)
    notices: list[ModelProblem] = field(default_factory=list, repr=False)   # deploys, but will not run as drawn

    @property
    def external(self) -> bool:
        """Whether any service task of this version waits for a worker or a connector (``engine.external``)."""
        found = self.__dict__.get("_external")
        if found is None:
            specs = [self.spec, *self.subprocess_specs.values()]
            found = any(getattr(ts, "external_topic", None) for s in specs for ts in s.task_specs.values())
            self.__dict__["_external"] = found
        return found

    @property
    def initiator(self) -> str | None:
        """The case field that holds who started the case (``camunda:initiator``), or None."""
        for start in self.spec.start.outputs if self.spec.start else ():
            name = (getattr(start, "initiator", None) or "").strip()
            if name.isidentifier() and not name.startswith("_"):
                return name
        return None

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


def compile_models(sources: list[SourceFile], evaluator, known_forms: dict[str, Form] | None = None,
                   documentation: bool = False) -> list[ProcessVersion]:
    """Parse and check ``sources``; return a version per executable process or raise ``ModelError``.

    ``known_forms`` are forms deployed earlier, used when a model refers to a form not in ``sources``.
    ``documentation``: also return a documentation version for every process that is not executable.
    """
    problems: list[ModelProblem] = check_sources(sources)   # executable content: refused before parsing
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
    prepared = parser.prepared
    problems.extend(prepared.problems)
    top_level = dict(parser.process_parsers)   # subprocesses get parsers of their own while parsing
    recursive = _recursive_calls(top_level)
    problems.extend(recursive)
    versions = []
    for process_id in sorted(top_level):
        process_parser = top_level[process_id]
        if not process_parser.process_executable or any(p.file == file_of.get(process_id) for p in recursive):
            continue
        try:
            spec = parser.get_spec(process_id)
            subprocess_specs = parser.get_subprocess_specs(process_id)
        except (ValidationException, SpiffWorkflowException, KeyError, ValueError, TypeError, AttributeError) as err:
            problems.append(_caller(_problem_from(err, file_of.get(process_id, ""), prepared.synthetic), err, top_level))
            continue
        specs = [spec, *subprocess_specs.values()]
        where = {s.name: file_of.get(s.name, file_of.get(process_id, "")) for s in specs}
        problems.extend(_check_expressions(specs, where, evaluator, prepared))
        user_tasks, used_forms, own_forms, form_problems = _user_tasks(specs, where, forms, broken, prepared.forms)
        problems.extend(form_problems)
        raw_start_form = _start_form(spec)
        start_form = form_key(raw_start_form)
        start_element = spec.start.outputs[0].bpmn_id if spec.start and spec.start.outputs else ""
        if start_form and start_form not in forms and start_form not in broken and not _foreign(raw_start_form):
            problems.append(ModelProblem(where[spec.name], start_element,
                                         f"Het startformulier '{start_form}' bestaat niet. Maak forms/{start_form}.yaml."))
        elif start_form in forms:
            used_forms.add(start_form)
        elif start_element in prepared.forms:
            start_form = prepared.forms[start_element].key
            own_forms[start_form] = prepared.forms[start_element]
        else:
            start_form = start_form if start_form in broken else None
        if start_form in forms and not broken and not form_problems:   # a broken or missing form: reported already
            all_forms = [forms[k] for k in used_forms if k in forms] + list(own_forms.values())
            problems.extend(_unprovided_names(specs, where, all_forms, evaluator))
        bundle = {
            "process_id": process_id,
            "bpmn": {n: t for n, t in _files_for(sources, "bpmn", {where[s.name] for s in specs})},
            "dmn": {n: t for n, t in _files_for(sources, "dmn", {file_of[d] for d in _dmn_refs(specs)})},
            "forms": {k: form_texts[k] for k in sorted(used_forms) if k in form_texts},
            "start_form": start_form,
        }
        versions.append(ProcessVersion(
            process_id, bundle_hash(bundle), process_parser.get_name() or process_id, bundle,
            spec, subprocess_specs, {**own_forms, **{k: forms[k] for k in used_forms}}, user_tasks,
            notices=[n for n in prepared.notices if n.file in bundle["bpmn"]],
        ))
    if documentation:
        versions.extend(_documentation(top_level, file_of, sources))
    if problems:
        raise ModelError(problems, prepared.notices)
    if not versions and any(s.kind == "bpmn" for s in sources):
        raise ModelError(_not_executable(top_level, file_of, sources))
    return versions


def _recursive_calls(top_level) -> list[ModelProblem]:
    """Call activities through which a process calls itself again (directly or via others): a case
    would nest without end, so they are refused, at the call that closes the circle."""
    calls: dict[str, list[tuple[str, str]]] = {}
    for process_id, process_parser in top_level.items():
        for call in process_parser.node.iter(f"{{{_BPMN}}}callActivity"):
            calls.setdefault(process_id, []).append((call.get("id", ""), (call.get("calledElement") or "").strip()))
    problems = []
    for start in sorted(calls):
        path, todo, seen = {start: [start]}, [start], {start}
        while todo:
            current = todo.pop()
            for call_id, called in calls.get(current, ()):
                if called == start:
                    route = " → ".join([*path[current], start])
                    problems.append(ModelProblem(
                        top_level[current].filename or "", call_id,
                        f"Deze aanroep roept het proces '{start}' opnieuw aan ({route}). Zo komt de zaak nooit "
                        "aan een eind: Regie voert een proces dat zichzelf aanroept niet uit. Herhaal met een "
                        "lus (een pijl terug) in plaats van een aanroep."))
                elif called in top_level and called not in seen:
                    seen.add(called)
                    path[called] = [*path[current], called]
                    todo.append(called)
    return list({(p.file, p.element_id): p for p in problems}.values())


def _unprovided_names(specs, where, forms, evaluator) -> list[ModelProblem]:
    """Gateway conditions that read a field no form, script or decision table fills.

    Checked for processes with a start form, where every input of a case is declared; a process
    without one may be started with any data.
    """
    provided = {f.name for form in forms for f in form.fields}
    for spec in specs:
        for ts in spec.task_specs.values():
            script = getattr(ts, "script", None)
            if script:
                try:
                    tree = ast.parse(script)
                except SyntaxError:
                    continue
                provided |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
            if isinstance(ts, BusinessRuleTask):
                for engine in [ts.dmnEngine, *(e for _ref, e, _a in getattr(ts, "required", ()))]:
                    provided |= {o.name for o in engine.decision_table.outputs if o.name}
                provided.add(getattr(ts, "result_variable", None) or "")
            for attr in ("input_item", "output_item", "data_output"):
                item_id = getattr(getattr(ts, attr, None), "bpmn_id", None)
                if item_id:
                    provided.add(item_id)
    problems = []
    for spec in specs:
        for ts in spec.task_specs.values():
            for condition, _target in getattr(ts, "cond_task_specs", ()):
                text = condition.args[0] if hasattr(condition, "args") else condition
                if not text:
                    continue
                try:
                    missing = sorted(evaluator.names_used(text) - provided)
                except ExpressionError:
                    continue   # reported by the expression check
                if missing:
                    problems.append(ModelProblem(
                        where[spec.name], getattr(ts, "bpmn_id", None) or ts.name,
                        f"De voorwaarde '{text}' leest {', '.join(repr(m) for m in missing)}, maar geen formulier, "
                        "script of beslistabel vult dat veld. Voeg het veld toe aan een formulier of pas de voorwaarde aan.",
                    ))
    return problems


def _documentation(top_level, file_of, sources) -> list[ProcessVersion]:
    """A documentation version for each process that is not executable: its diagram, to view."""
    versions = []
    for process_id in sorted(top_level):
        process_parser = top_level[process_id]
        if process_parser.process_executable:
            continue
        bundle = {
            "process_id": process_id,
            "documentation": True,
            "bpmn": dict(_files_for(sources, "bpmn", {file_of.get(process_id, "")})),
            "dmn": {}, "forms": {}, "start_form": None,
        }
        versions.append(ProcessVersion(process_id, bundle_hash(bundle), _display_name(process_parser), bundle,
                                       RegieProcessSpec(name=process_id), {}, {}, {}, documentation=True))
    return versions


def _display_name(process_parser) -> str:
    """A process's name, else its pool's (participant's), else the diagram's, else its id."""
    node = process_parser.node
    if node.get("name"):
        return node.get("name")
    root = node.getroottree().getroot()
    for participant in root.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}participant"):
        if participant.get("processRef") == process_parser.bpmn_id and participant.get("name"):
            return " ".join(participant.get("name").split())
    return root.get("name") or process_parser.bpmn_id


def _not_executable(top_level, file_of, sources) -> list[ModelProblem]:
    if not top_level:
        names = ", ".join(s.name for s in sources if s.kind == "bpmn")
        return [ModelProblem(names, "", "Er staat geen proces in. Teken een proces (pool) met een startgebeurtenis.")]
    return [ModelProblem(
        file_of.get(process_id, ""), process_id,
        "Dit proces is niet uitvoerbaar: isExecutable staat niet op \"true\". Zet isExecutable=\"true\" als "
        "Regie het moet uitvoeren, of rol het uit als documentatie (regie deploy --documentation).",
    ) for process_id in sorted(top_level)]


def load_version(bundle: dict[str, Any], evaluator) -> ProcessVersion:
    """Rebuild a stored version from its bundle (what every later process does on first use).

    Everything is parsed and checked again, so a bundle altered in the database is refused here.
    """
    if bundle.get("documentation"):
        return ProcessVersion(bundle["process_id"], bundle_hash(bundle), bundle["process_id"], bundle,
                              RegieProcessSpec(name=bundle["process_id"]), {}, {}, {}, documentation=True)
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
        except (ValidationException, SpiffWorkflowException, KeyError, ValueError, TypeError, AttributeError) as err:
            problems.append(_problem_from(err, src.name))
    for decision_id, dmn_parser in parser.dmn_parsers.items():
        file_of[decision_id] = dmn_parser.filename
    return parser, file_of, problems


def _problem_from(err: Exception, filename: str, synthetic: dict[str, str] | None = None) -> ModelProblem:
    element = getattr(err, "id", "") or getattr(getattr(err, "task_spec", None), "bpmn_id", "") or ""
    message = str(err.args[0]) if err.args else err.__class__.__name__
    return ModelProblem(getattr(err, "file_name", "") or filename, _origin(element, synthetic or {}),
                        _in_dutch(message))


def _caller(problem: ModelProblem, err: Exception, top_level) -> ModelProblem:
    """A missing called process is reported at the call activity that calls it."""
    missing = re.search(r"The process '(.+?)' was not found", str(err))
    if problem.element_id or not missing:
        return problem
    for process_parser in top_level.values():
        for call in process_parser.node.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}callActivity"):
            if call.get("calledElement") == missing.group(1):
                return ModelProblem(process_parser.filename or problem.file, call.get("id", ""), problem.message)
    return problem


def _origin(element_id: str, synthetic: dict[str, str]) -> str:
    """The model's own element for an element Regie added while preparing the model."""
    return synthetic.get(element_id) or (element_id.split(SYNTHETIC)[0] if SYNTHETIC in element_id else element_id)


# SpiffWorkflow's parser messages, as a policy officer reads them: (pattern, Dutch, what to do).
_PARSER_MESSAGES: list[tuple[re.Pattern, str]] = [(re.compile(p, re.IGNORECASE | re.DOTALL), m) for p, m in [
    (r"Duplicate process ID: (.+)", "Het proces-id '{0}' komt twee keer voor. Geef elk proces een eigen id."),
    (r"The process '(.+?)' was not found",
     "Het aangeroepen proces '{0}' is niet gevonden. Rol het bestand met dat proces mee uit of pas calledElement aan."),
    (r"Process (.+) is not executable",
     "Het aangeroepen proces '{0}' is niet uitvoerbaar. Zet isExecutable=\"true\" in dat proces."),
    (r'No DMN Diagram available with id "(.*?)"',
     "De beslistabel '{0}' ontbreekt. Rol het DMN-bestand met deze beslissing mee uit of pas decisionRef aan."),
    (r"Multiple outgoing flows are not supported",
     "Dit element heeft meer dan één uitgaande pijl. Zet er een gateway achter om de route te splitsen."),
    (r"Non-default exclusive outgoing sequence flow without condition",
     "Een uitgaande pijl van deze gateway heeft geen voorwaarde. Geef elke pijl een voorwaarde of maak er een de standaardroute."),
    (r"There is no support implemented for this task type", "Dit soort element kan Regie niet uitvoeren."),
    (r"No start event found", "Dit proces heeft geen startgebeurtenis. Teken er een."),
    (r"Exactly one start event is required", "Een subproces mag maar één startgebeurtenis hebben."),
    (r"A multiinstance task must specify",
     "Een taak die meerdere keren loopt moet zeggen hoe vaak (loopCardinality) of over welke lijst (camunda:collection)."),
    (r'No "calledElement" attribute', "Deze aanroep noemt geen proces. Vul calledElement in."),
    (r"Invalid Script Task", "Deze scripttaak heeft geen script. Vul het script in."),
    (r"Cancel Events may only be used with transactions", "Een annuleer-gebeurtenis kan alleen aan een transactie hangen."),
    (r"Sequential ordering for ad hoc", "Een ad-hoc-subproces met vaste volgorde kan Regie niet uitvoeren."),
    (r"Ad hoc subprocesses may not contain start or end events",
     "Een ad-hoc-subproces heeft geen start- of eindgebeurtenis. Haal die weg."),
    (r"Unsupported Catch Event", "Deze tussengebeurtenis wacht nergens op. Geef haar een timer, bericht of signaal."),
    (r"Conditional event definition with missing condition",
     "Deze voorwaardelijke gebeurtenis heeft geen voorwaarde. Vul de voorwaarde (condition) in."),
    (r"loopMaximum or loopCondition", "Een herhaalde taak heeft loopMaximum of loopCondition nodig."),
    (r"When looking for a task spec, we found two items",
     "Een pijl wijst naar een element dat niet bestaat of waarvan het id twee keer voorkomt."),
    (r"Could not find messageRef|Message identifier is missing", "Een bericht-gebeurtenis noemt geen bericht (messageRef)."),
    (r"Expected 1 result\. Received 0 results",
     "Een element verwijst naar iets dat niet in het model staat (bijvoorbeeld een messageRef zonder "
     "bpmn:message). Controleer de verwijzingen van dit element."),
    (r"A SubWorkflow Must contain an End event", "Dit subproces heeft geen eindgebeurtenis. Teken er een."),
    (r"Unknown Time Specification",
     "Deze timer kan Regie niet lezen. Schrijf een ISO-8601-waarde, zoals P3D (drie dagen), R/P1W (elke week) "
     "of 2026-03-01T09:00, of een expressie die zo'n waarde geeft."),
    (r"Multiple decision tables are not current supported",
     "Een beslissing met meer dan één beslistabel kan Regie niet uitvoeren. Geef elke tabel een eigen beslissing."),
    (r"Malformed (?:Output|Input) Expression '(.*)'",
     "'{0}' in deze beslistabel is geen geldige expressie. Controleer de schrijfwijze."),
]]


def _shortened(text: str | None) -> str:
    text = text or ""
    return text if len(text) <= 120 else text[:120] + "…"


def _in_dutch(message: str) -> str:
    for pattern, dutch in _PARSER_MESSAGES:
        found = pattern.search(message)
        if found:
            return dutch.format(*(_shortened(g) for g in found.groups()))
    return f"Dit deel van het model kan Regie niet lezen (technisch: {message.strip()[:300]})."


def _files_for(sources: list[SourceFile], kind: str, names: set[str]) -> list[tuple[str, str]]:
    return sorted((s.name, s.text) for s in sources if s.kind == kind and s.name in names)


def _dmn_refs(specs) -> set[str]:
    tasks = [ts for s in specs for ts in s.task_specs.values() if isinstance(ts, BusinessRuleTask)]
    return {ts.decision_ref for ts in tasks} | {ref for ts in tasks for ref, *_ in getattr(ts, "required", ())}


def _start_form(spec) -> str | None:
    """The form key of the process's (first) plain start event, as the model writes it."""
    for start in spec.start.outputs if spec.start else ():
        if getattr(start, "form_key", None):
            return start.form_key
    return None


def _foreign(raw: str | None) -> bool:
    """A form key of another system (``app:x.jsf``, ``embedded:app:x.html``, ``camunda-forms:...``)."""
    return raw is not None and (":" in raw or raw.lower().endswith(FOREIGN_FORM_SUFFIXES))


def _user_tasks(specs, where, forms, broken, generated):
    """Task infos; the YAML forms they use; the forms the model describes itself; problems.

    A task's form: the YAML form its form key names, else the form its model describes, else none
    when the key names another system's form; a plain key without a YAML form is a problem.
    """
    infos: dict[str, UserTaskInfo] = {}
    used: set[str] = set()
    own: dict[str, Form] = {}
    problems: list[ModelProblem] = []
    for spec in specs:
        for ts in spec.task_specs.values():
            if not getattr(ts, "manual", False) or not hasattr(ts, "candidate_groups"):
                continue
            if getattr(ts, "external_topic", None):   # done by a worker (engine.external), not a person
                continue
            raw = getattr(getattr(ts, "form", None), "key", None)
            key = form_key(raw)
            if key in forms:
                used.add(key)
            elif ts.bpmn_id in generated:
                key = generated[ts.bpmn_id].key
                own[key] = generated[ts.bpmn_id]
            elif key and key not in broken and not _foreign(raw):
                problems.append(ModelProblem(
                    where[spec.name], ts.bpmn_id,
                    f"Het formulier '{key}' bestaat niet. Maak forms/{key}.yaml of pas camunda:formKey aan.",
                ))
            elif key not in broken:
                key = None
            infos[ts.bpmn_id] = UserTaskInfo(
                ts.bpmn_id, " ".join((ts.bpmn_name or ts.bpmn_id).split()), key, ts.lane, ts.candidate_groups,
                ts.candidate_users, ts.assignee_expression, ts.due_date_expression, ts.follow_up_expression,
                getattr(ts, "candidate_groups_expression", None),
            )
    return infos, used, own, problems


def _check_expressions(specs, where, evaluator, prepared) -> list[ModelProblem]:
    """Every expression checked by the evaluator; a problem names the model's element and its text."""
    problems = []
    for spec in specs:
        for element_id, kind, text, *written in _expressions(spec):
            shown = prepared.originals.get(written[0] if written else text, written[0] if written else text)
            reason = _timer_reason(text, kind == "cycle") if kind in ("timer", "cycle") else None
            if kind in ("timer", "cycle") and not text.strip():
                problems.append(ModelProblem(where[spec.name], _origin(element_id, prepared.synthetic), EMPTY_TIMER))
                continue
            if reason:
                problems.append(ModelProblem(where[spec.name], _origin(element_id, prepared.synthetic),
                                             f"'{shown}': {reason}"))
                continue
            try:
                evaluator.check_script(text) if kind == "script" else evaluator.check(text)
            except ExpressionError as err:
                problems.append(ModelProblem(where[spec.name], _origin(element_id, prepared.synthetic),
                                             f"'{shown}': {err.reason}"))
    return problems


def _expressions(spec) -> Iterator[tuple[str, ...]]:
    """Every expression and script in a process spec, as (element id, kind, text), and for a decision
    table's input cell also the cell as written (the text is what the DMN engine will evaluate)."""
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
        payload = getattr(event, "expression", None)
        if not isinstance(event, TimerEventDefinition) and isinstance(payload, str):
            yield element, "condition", payload   # a conditional event, or a thrown message's payload
        timers = (event, getattr(ts, "timer_definition", None))
        for event in (t for t in timers if isinstance(t, TimerEventDefinition)
                      and not _is_iso_literal(t.expression or "")):
            cycle = isinstance(event, CycleTimerEventDefinition)
            if not (cycle and _is_cron(event.expression or "")):
                yield element, "cycle" if cycle else "timer", event.expression or ""
        if getattr(ts, "output_element", None):
            yield element, "condition", ts.output_element    # Zeebe outputElement
        for attr in ("assignee_expression", "due_date_expression", "follow_up_expression",
                     "candidate_groups_expression"):
            value = getattr(ts, attr, None)
            if value and not _is_iso_literal(value):
                yield element, attr.split("_")[0], value
        if isinstance(ts, BusinessRuleTask):
            yield from _dmn_expressions(element, ts.dmnEngine.decision_table)
            for decision, engine, _aggregation in getattr(ts, "required", ()):
                yield from _dmn_expressions(f"{element}/{decision}", engine.decision_table)


def _dmn_expressions(element: str, table) -> Iterator[tuple[str, ...]]:
    for column in table.inputs:
        if column.expression:
            yield f"{element}/{column.id}", "dmn", column.expression
    for rule in table.rules:
        for entry in rule.inputEntries:
            for lhs in entry.lhs:
                if lhs and lhs.strip() not in ("-", ""):
                    yield f"{element}/{rule.id}", "dmn", _dmn_cell(entry.input.expression or "x", lhs), lhs
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


_ISO_ATTEMPT = re.compile(r"^(R\d*/)?P[0-9A-Z.]*$|^\d{4}-\d{2}-\d{2}")


EMPTY_TIMER = ("Deze timer heeft geen waarde. Schrijf een ISO-8601-waarde, zoals P3D (drie dagen), R/P1W (elke week) "
               "of 2026-03-01T09:00, of bij een herhaling een cron-schema zoals 0 0 9 ? * MON-FRI.")


def _is_cron(text: str) -> bool:
    """A valid Quartz cron schedule (``0 0 9 ? * MON-FRI``): it runs in a ``timeCycle``."""
    try:
        return looks_like_cron(text) and bool(cron.parse(text.strip()))
    except cron.CronError:
        return False


def _timer_reason(text: str, cycle: bool = False) -> str | None:
    """Why a timer value that is no valid ISO-8601 and no expression cannot run, or None."""
    stripped = text.strip()
    if _is_iso_literal(stripped):
        return None
    if looks_like_cron(stripped):
        if not cycle:
            return ("een cron-schema hoort in een herhaling (timeCycle), niet in een tijdstip of een duur. Kies bij "
                    "de timer 'Cycle', of schrijf een ISO-8601-waarde zoals P3D of 2026-03-01T09:00.")
        try:
            cron.parse(stripped)
        except cron.CronError as err:
            return f"dit cron-schema (Quartz, Camunda 7) klopt niet: {err}"
        return None
    if _ISO_ATTEMPT.match(stripped) and not stripped.isidentifier() or (
            stripped[:1] in "PR" and stripped.isupper() and any(c.isdigit() for c in stripped)):
        return ("deze tijd kan Regie niet lezen. Schrijf een ISO-8601-waarde, zoals P3D (drie dagen), PT2H "
                "(twee uur), R/P1W (elke week) of 2026-03-01T09:00.")
    return None


def _is_iso_literal(text: str) -> bool:
    """Plain ISO-8601 timer values (``P3M``, ``R5/P1D``, dates) as Camunda Modeler writes them."""
    return bool(ISO_TIMER.match(text.strip()))
