"""Model files are untrusted input: refuse content a browser would execute, and YAML that explodes.

A BPMN or DMN file comes from an editor in someone's browser and is later served to other people's
browsers (the diagram viewer on a case page). XML may carry elements from other vocabularies in
extension elements; those that a browser runs or renders as a document (XHTML, SVG, MathML, XSLT,
XInclude), event-handler attributes, ``javascript:`` links, style-sheet processing instructions and a
DOCTYPE with its own entity declarations are refused, each with the element it sits in. Other foreign
extension elements (Signavio, Zeebe, colours) stay: they are data.

YAML forms may not use anchors and aliases: 427 bytes of nested aliases ("billion laughs") expand
into gigabytes. ``load_yaml`` refuses an alias as soon as the parser meets it, before anything grows.
"""

from __future__ import annotations

import re

import yaml
from lxml import etree

from ..errors import ModelProblem

# Vocabularies whose elements a browser executes or renders as a live document.
EXECUTABLE_NAMESPACES = {
    "http://www.w3.org/1999/xhtml": "HTML",
    "http://www.w3.org/2000/svg": "SVG",
    "http://www.w3.org/1998/Math/MathML": "MathML",
    "http://www.w3.org/1999/XSL/Transform": "XSLT",
    "http://www.w3.org/2001/XInclude": "XInclude",
}
_SCRIPT_URL = re.compile(r"^\s*(javascript|vbscript|data)\s*:", re.IGNORECASE)
_IN_EXECUTABLE = " or ".join(f"namespace-uri()='{ns}'" for ns in EXECUTABLE_NAMESPACES)
_FOREIGN = etree.XPath(f"//*[{_IN_EXECUTABLE}]")
_HANDLERS = etree.XPath(f"//*[not({_IN_EXECUTABLE})]/@*[({_IN_EXECUTABLE}) and "
                        "starts-with(translate(local-name(), 'ON', 'on'), 'on')]", smart_strings=True)
_LINKS = etree.XPath("//@*[local-name()='href' or local-name()='src' or local-name()='action' or "
                     "local-name()='formaction']", smart_strings=True)
_STYLESHEETS = etree.XPath("//processing-instruction('xml-stylesheet')")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def check_xml(name: str, text: str) -> list[ModelProblem]:
    """Problems for executable content in one BPMN or DMN file (empty when there is none).

    A file that is not well-formed XML is left to the parser, which reports it with its line.
    """
    try:
        root = etree.fromstring(text.encode("utf-8"), parser=_PARSER)
    except etree.XMLSyntaxError:
        return []
    problems = []
    tree = root.getroottree()
    if tree.docinfo.internalDTD is not None:
        problems.append(ModelProblem(name, "", (
            "Dit bestand heeft een eigen DOCTYPE met definities. Dat kan Regie niet veilig lezen. "
            "Haal de <!DOCTYPE ...>-regel weg.")))
    for node in root.itersiblings(preceding=True):
        if isinstance(node, etree._ProcessingInstruction) and node.target.lower() == "xml-stylesheet":
            problems.append(ModelProblem(name, "", (
                "Dit bestand verwijst naar een stylesheet (<?xml-stylesheet?>). Die kan code uitvoeren in de "
                "browser. Haal die regel weg.")))
    # What the text does not mention cannot be there (character references could hide it: then look).
    lower = text.lower()
    hidden = "&#" in text
    foreign = hidden or any(ns in text for ns in EXECUTABLE_NAMESPACES)
    links = hidden or "script:" in lower or "data:" in lower
    for pi in _STYLESHEETS(root):
        problems.append(ModelProblem(name, _owner(pi), "Haal de regel <?xml-stylesheet?> weg."))
    for element in _FOREIGN(root) if foreign else ():
        qname = etree.QName(element)
        problems.append(ModelProblem(name, _owner(element), (
            f"Het model bevat een {EXECUTABLE_NAMESPACES[qname.namespace]}-element <{qname.localname}>. Dat kan "
            "code uitvoeren in de browser van een collega en hoort niet in een procesmodel. Haal het weg.")))
    for attr in _HANDLERS(root) if foreign else ():
        problems.append(ModelProblem(name, _owner(attr.getparent()), (
            f"Het attribuut '{attr.attrname.rsplit('}', 1)[-1]}' voert code uit in de browser. Haal het weg.")))
    for attr in _LINKS(root) if links else ():
        if _SCRIPT_URL.match(str(attr)):
            problems.append(ModelProblem(name, _owner(attr.getparent()), (
                f"Het attribuut '{attr.attrname.rsplit('}', 1)[-1]}' bevat een script-link ({str(attr).strip()[:30]}). "
                "Haal die weg.")))
    return problems


def check_sources(sources) -> list[ModelProblem]:
    """``check_xml`` for every BPMN and DMN file among ``sources`` (``engine.definitions.SourceFile``)."""
    problems = []
    for src in sources:
        if src.kind in ("bpmn", "dmn"):
            problems.extend(check_xml(src.name, src.text))
    return problems


def _owner(element) -> str:
    """The id of the nearest model element around ``element`` (what a marker is drawn on)."""
    node = element
    while node is not None:
        if isinstance(node.tag, str) and node.get("id"):
            return node.get("id")
        node = node.getparent()
    return ""


class AliasRefused(yaml.YAMLError):
    """A YAML alias (``*name``) or anchor (``&name``): refused, see the module docstring."""

    def __init__(self, mark):
        super().__init__()
        self.problem = ("verwijzingen (&anker en *alias) zijn in formulieren niet toegestaan. Schrijf de "
                        "waarden gewoon uit")
        self.problem_mark = mark

    def __str__(self) -> str:
        return self.problem


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # libyaml when installed: ten times faster


def load_yaml(text: str):
    """``yaml.safe_load`` without anchors and aliases (raises ``yaml.YAMLError`` for them).

    The events are read first and the first anchor or alias stops it, so nothing is ever expanded.
    """
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise AliasRefused(event.start_mark)
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
