"""The policy staff's workspace (``/modellen``): the model library, deploy with a change note, approval.

Every process with its versions (code, who deployed it, when, why, how many cases run on it), its
forms and decision tables, any version's diagram. Only the ``policy`` role works here.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for

from engine.definitions import SourceFile
from engine.errors import ModelError
from engine.models import library, markers
from engine.store import library as drafts

from .auth import roles_required
from .safe_xml import xml_download
from .services import engine
from .views import people

bp = Blueprint("modellen", __name__, url_prefix="/modellen")
POLICY = ("policy",)
DRY_RUN_PAGE = 100      # cases replayed per page view; the CLI (regie migrate --dry-run) looks at all
KINDS = {".bpmn": "bpmn", ".dmn": "dmn", ".yaml": "form", ".yml": "form"}


def _deployers() -> dict[str, str]:
    """Who deployed, by name; 'system' is ``regie deploy`` without ``--as`` (the version table read 'system')."""
    return {"system": "Beheer, via de opdrachtregel", **people()}


@bp.get("/")
@roles_required(*POLICY)
def index():
    return render_template("modellen/index.html", processes=library.catalogue(engine()), names=_deployers())


@bp.get("/<process_id>")
@roles_required(*POLICY)
def process(process_id: str):
    info = library.process(engine(), process_id)
    return render_template("modellen/process.html", process=info, names=_deployers(),
                           four_eyes=current_app.config.get("FOUR_EYES", False))


@bp.get("/<process_id>/versies/<version_id>")
@roles_required(*POLICY)
def version(process_id: str, version_id: str):
    info = library.resolve(engine(), process_id, version_id)
    compiled = engine().version(info.id)
    tasks = sorted(compiled.user_tasks.values(), key=lambda t: t.title.lower())
    return render_template("modellen/version.html", process=library.process(engine(), process_id), version=info,
                           tasks=tasks, bpmn=_main_file(info), names=_deployers())


@bp.get("/<process_id>/bewerken")
@roles_required(*POLICY)
def modeler(process_id: str):
    """The web modeler on the current version (or the user's draft of it)."""
    from engine.accounts import ROLES

    info = library.process(engine(), process_id)
    current = info.current or info.versions[-1]
    bpmn = _main_file(current)
    if bpmn is None:
        abort(404, description="Deze versie heeft geen BPMN-bestand om te bewerken.")
    panel = (Path(current_app.static_folder) / "vendor/regie-modeler/modeler.js").exists()
    return render_template("modellen/modeler.html", process=info, current=current, bpmn=bpmn,
                           roles=list(ROLES), forms=sorted(_all_forms()), HAS_PANEL=panel)


@bp.get("/<process_id>/vergelijk")
@roles_required(*POLICY)
def compare(process_id: str):
    """Two versions side by side in words, the changes drawn on the newer diagram."""
    info = library.process(engine(), process_id)
    newest = info.current or info.versions[-1]
    new_ref = request.args.get("naar") or str(newest.number)
    old_ref = request.args.get("van") or str(max(1, library.resolve(engine(), process_id, new_ref).number - 1))
    old, new, changes = library.compare(engine(), process_id, old_ref, new_ref)
    return render_template("modellen/compare.html", process=info, old=old, new=new, changes=changes,
                           bpmn=_main_file(new), names=_deployers())


@bp.route("/<process_id>/overzetten", methods=["GET", "POST"])
@roles_required(*POLICY)
def migrate(process_id: str):
    """Impact and migration: which running cases can move to a version (dry run), then move the chosen ones.

    Shows case numbers and steps only, no personal data.
    """
    from engine.models.migration import mapping_from_text

    info = library.process(engine(), process_id)
    target = request.values.get("naar") or str((info.current or info.versions[-1]).number)
    mapping_text = request.values.get("koppeling", "")
    mapping = mapping_from_text(mapping_text)
    if request.method == "POST":
        chosen = request.form.getlist("zaak")
        if not chosen:
            flash("Kies de zaken die over moeten.", "error")
        else:
            report = engine().migrate(process_id, target, chosen, mapping, dry_run=False, actor=g.user.username)
            flash(report.summary(), "success" if report.moved else "error")
        return redirect(url_for(".migrate", process_id=process_id, naar=target, koppeling=mapping_text or None))
    report = engine().migrate(process_id, target, None, mapping, dry_run=True, limit=DRY_RUN_PAGE)
    return render_template("modellen/migrate.html", process=info, report=report, target=target,
                           mapping_text=mapping_text, page=DRY_RUN_PAGE)


@bp.get("/<process_id>/formulieren/<key>")
@roles_required(*POLICY)
def form_editor(process_id: str, key: str):
    """A form's YAML next to a live preview drawn with the caseworkers' widgets (from the draft, if any)."""
    info = library.process(engine(), process_id)
    content = library.bundle(engine(), (info.current or info.versions[-1]).id)
    with engine().store.read() as tx:
        row = drafts.draft(tx, g.user.username, process_id)
    text = (json.loads(row.files) if row else {}).get(f"{key}.yaml") or content.get("forms", {}).get(key)
    if text is None:
        abort(404, description="Dit formulier hoort niet bij dit proces.")
    html, _problems = _preview(key, text)
    return render_template("modellen/form_editor.html", process=info, key=key, text=text, preview=html or "")


@bp.get("/<process_id>/beslistabellen/<name>")
@roles_required(*POLICY)
def decision_editor(process_id: str, name: str):
    """A decision table of the process in dmn-js; saved into the user's draft."""
    info = library.process(engine(), process_id)
    current = info.current or info.versions[-1]
    if name not in library.bundle(engine(), current.id).get("dmn", {}):
        abort(404, description="Deze beslistabel hoort niet bij dit proces.")
    return render_template("modellen/decision_editor.html", process=info, current=current, name=name)


@bp.post("/<process_id>/formulieren/<key>/voorbeeld")
@roles_required(*POLICY)
def form_preview(process_id: str, key: str):
    body = request.get_json(silent=True)
    text = body.get("yaml") if isinstance(body, dict) else None
    if not isinstance(text, str) or len(text) > 200_000:
        abort(400, description='Stuur de YAML als JSON: {"yaml": "..."}.')
    html, problems = _preview(key, text)
    return jsonify({"html": html, "problems": problems})


def _preview(key: str, text: str) -> tuple[str | None, list[str]]:
    from engine.forms import load_form

    from .widgets import WIDGETS, initial_values, sections, shown_fields

    form, problems = load_form(key, text)
    if form is None:
        return None, [p.message for p in problems]
    raw = initial_values(form)
    return render_template("modellen/form_preview.html", form=form, sections=sections(form), raw=raw,
                           shown=shown_fields(form, raw), widgets=WIDGETS), []


@bp.get("/<process_id>/versies/<version_id>/bestanden/<path:name>")
@roles_required(*POLICY)
def file(process_id: str, version_id: str, name: str):
    """One file of a version, as a download that a browser never runs (models are untrusted input)."""
    info = library.resolve(engine(), process_id, version_id)
    content = library.bundle(engine(), info.id)
    for group in ("bpmn", "dmn"):
        if name in content.get(group, {}):
            return xml_download(content[group][name], name, cache="private, max-age=86400, immutable")
    key = name.rsplit(".", 1)[0]
    if name.endswith(".yaml") and key in content.get("forms", {}):
        response = xml_download(content["forms"][key], name, cache="private, max-age=86400, immutable")
        response.mimetype = "text/plain"
        return response
    abort(404, description="Dit bestand hoort niet bij deze versie.")


@bp.post("/<process_id>/uitrollen")
@roles_required(*POLICY)
def deploy(process_id: str):
    """New files for a process (the rest is taken from its current version) with a change note."""
    info = library.process(engine(), process_id)
    note = request.form.get("toelichting", "").strip()
    from_draft = request.form.get("bron") == "concept"
    back = url_for(".process", process_id=process_id)
    uploads = _draft_files(process_id) if from_draft else [
        (f.filename, f.read()) for f in request.files.getlist("bestanden") if f and f.filename]
    if not note:
        flash("Schrijf in de toelichting wat u heeft veranderd en waarom.", "error")
        return redirect(back)
    if not uploads:
        flash("Kies een of meer bestanden (.bpmn, .dmn of .yaml) om uit te rollen." if not from_draft else
              "Er is geen concept om uit te rollen. Sla uw wijzigingen eerst op.", "error")
        return redirect(back)
    sources = None
    try:
        sources = _merge(info, uploads)
        stored = library.deploy(engine(), sources, g.user.username, note,
                                four_eyes=current_app.config.get("FOUR_EYES", False))
    except ModelError as err:
        problems = _precise(sources, err.problems) if sources else err.problems
        return render_template("modellen/process.html", process=info, names=_deployers(), problems=problems,
                               note=note, four_eyes=current_app.config.get("FOUR_EYES", False)), 422
    if from_draft:
        with engine().store.write() as tx:
            drafts.delete_draft(tx, g.user.username, process_id)
    for v in stored:
        if v.status == "pending":
            flash(f"Versie {v.number} van {v.name} staat klaar. Een andere beleidsmedewerker moet haar "
                  "goedkeuren voordat nieuwe zaken erop starten.", "success")
        else:
            flash(f"Versie {v.number} van {v.name} is uitgerold. Nieuwe zaken starten hierop; lopende zaken "
                  "blijven op hun eigen versie.", "success")
    if len(stored) == 1 and stored[0].number > 1:
        return redirect(url_for(".compare", process_id=process_id, van=stored[0].number - 1, naar=stored[0].number))
    return redirect(url_for(".process", process_id=process_id))


@bp.post("/<process_id>/versies/<version_id>/goedkeuren")
@roles_required(*POLICY)
def approve(process_id: str, version_id: str):
    info = library.resolve(engine(), process_id, version_id)
    approved = library.approve(engine(), info.id, g.user.username)
    flash(f"Versie {approved.number} is goedgekeurd en in gebruik.", "success")
    return redirect(url_for(".process", process_id=process_id))


@bp.post("/<process_id>/controleren")
@roles_required(*POLICY)
def validate(process_id: str):
    """The engine's validation of edited files as JSON markers (the modeler calls this as the user types).

    Body: ``{"files": {"name.bpmn": "<xml>", …}}``; files not sent are taken from the current version.
    """
    started = time.perf_counter()
    files = _posted_files()
    info = library.process(engine(), process_id)
    content = library.bundle(engine(), (info.current or info.versions[-1]).id)
    forms = markers.load_forms({k: t for k, t in content.get("forms", {}).items() if f"{k}.yaml" not in files})
    merged = {**content.get("bpmn", {}), **content.get("dmn", {}), **files}
    found = markers.check_files(merged, engine().evaluator, forms)
    return jsonify({
        "markers": [m.to_dict() for m in found],
        "errors": sum(m.severity == "error" for m in found),
        "warnings": sum(m.severity == "warning" for m in found),
        "ms": round((time.perf_counter() - started) * 1000, 1),
    })


@bp.route("/<process_id>/concept", methods=["GET", "PUT"])
@roles_required(*POLICY)
def draft(process_id: str):
    """The user's own draft of the process (server-side, per user); nothing runs until it is deployed."""
    library.process(engine(), process_id)
    if request.method == "PUT":
        files = _posted_files()
        note = str((request.get_json(silent=True) or {}).get("note", ""))[:2000]
        with engine().store.write() as tx:
            row = drafts.draft(tx, g.user.username, process_id)
            merged = {**(json.loads(row.files) if row else {}), **files}   # the modeler and form editor both add
            drafts.save_draft(tx, g.user.username, process_id, merged, note, engine().clock.now())
        return jsonify({"saved": True, "message": "Concept opgeslagen. Het is nog niet uitgerold."})
    with engine().store.read() as tx:
        row = drafts.draft(tx, g.user.username, process_id)
    if row is None:
        return jsonify({"files": {}, "note": "", "saved_at": None})
    return jsonify({"files": json.loads(row.files), "note": row.note, "saved_at": row.saved_at.isoformat()})


def _posted_files() -> dict[str, str]:
    body = request.get_json(silent=True)
    files = body.get("files") if isinstance(body, dict) else None
    if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        abort(400, description='Stuur de bestanden als JSON: {"files": {"naam.bpmn": "<xml>"}}.')
    if len(files) > 50:
        abort(400, description="Te veel bestanden in één keer.")
    return {k.rsplit("/", 1)[-1]: v for k, v in files.items()}


def _merge(info, uploads) -> list[SourceFile]:
    """The current version's files with the uploaded ones in place of (or next to) them."""
    current = info.current or info.versions[-1]
    files = {s.name: s for s in library.sources_of(library.bundle(engine(), current.id))}
    for filename, content in uploads:
        name = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
        kind = next((k for suffix, k in KINDS.items() if name.lower().endswith(suffix)), None)
        if kind is None:
            raise ModelError([_problem(name, "Onbekend soort bestand. Gebruik .bpmn, .dmn of .yaml.")])
        try:
            text = content.decode("utf-8") if isinstance(content, bytes) else content
        except UnicodeDecodeError:
            raise ModelError([_problem(name, "Dit bestand is geen tekst in UTF-8. Sla het op als UTF-8.")]) from None
        files[name] = SourceFile(name, kind, text)
    return list(files.values())


def _precise(sources, problems):
    """The problems on the element a person fixes (a condition's on its sequence flow), as markers place them."""
    from engine.errors import ModelProblem

    found = [m for m in markers.check(sources, engine().evaluator, engine()._deployed_forms()) if m.severity == "error"]
    return [ModelProblem(m.file, m.element, m.message) for m in found] or problems


def _all_forms() -> set[str]:
    keys: set[str] = set()
    for p in library.catalogue(engine()):
        if p.current:
            keys.update(p.current.forms)
    return keys


def _draft_files(process_id: str) -> list[tuple[str, str]]:
    with engine().store.read() as tx:
        row = drafts.draft(tx, g.user.username, process_id)
    return list(json.loads(row.files).items()) if row is not None else []


def _problem(name: str, message: str):
    from engine.errors import ModelProblem

    return ModelProblem(name, "", message)


def _main_file(info) -> str | None:
    """The BPMN file that holds the process itself (a version may include called processes' files)."""
    content = library.bundle(engine(), info.id)
    marker = f'id="{info.process_id}"'
    return next((n for n, t in content.get("bpmn", {}).items() if marker in t), next(iter(content.get("bpmn", {})), None))
