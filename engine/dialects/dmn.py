"""DMN files as Camunda Modeler writes them, in the shape SpiffWorkflow's DMN parser reads.

- A file with several decisions (Camunda's invoice example) becomes one document per decision, so
  every decision can be called, not only the first.
- Decision requirements (``informationRequirement/requiredDecision``) are kept: a decision that needs
  another's output gets it first (``engine.spiff``).
- ``hitPolicy="COLLECT"`` with ``aggregation`` (SUM, COUNT, MIN, MAX) is remembered per decision.
- Input cells in FEEL's unary-test syntax that Regie's language cannot read as they are — ranges
  (``[1..10]``, ``]0..5[``), lists of tests (``"a","b"``, ``< 3, > 10``) and ``not(...)`` — are
  rewritten into Regie's syntax with ``?`` for the input value; the model's own text is remembered for
  messages. Every other cell stays exactly as written.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

AGGREGATIONS = frozenset({"SUM", "COUNT", "MIN", "MAX"})
_RANGE = re.compile(r"^([\[\]\(])\s*(.+?)\s*\.\.\s*(.+?)\s*([\[\]\)])$", re.S)
_COMPARISON = re.compile(r"^(<=|>=|<|>|!=|=)\s*(.+)$", re.S)


@dataclass
class PreparedDmn:
    documents: list = field(default_factory=list)              # one DMN document per decision
    originals: dict[str, str] = field(default_factory=dict)    # rewritten cell -> the model's text
    aggregations: dict[str, str] = field(default_factory=dict)  # decision id -> SUM, COUNT, MIN or MAX
    required: dict[str, list[str]] = field(default_factory=dict)  # decision id -> decisions it needs first


def prepare_dmn(root) -> PreparedDmn:
    """Split ``root`` per decision and rewrite FEEL unary tests; ``root`` itself is not changed."""
    found = PreparedDmn()
    decisions = [d for d in root if isinstance(d.tag, str) and _local(d.tag) == "decision"]
    for decision in decisions:
        decision_id = decision.get("id", "")
        found.required[decision_id] = [
            (r.get("href") or "").lstrip("#") for r in decision.iter()
            if isinstance(r.tag, str) and _local(r.tag) == "requiredDecision" and r.get("href")]
        for table in (t for t in decision if isinstance(t.tag, str) and _local(t.tag) == "decisionTable"):
            aggregation = (table.get("aggregation") or "").upper()
            if aggregation in AGGREGATIONS and (table.get("hitPolicy") or "").upper() == "COLLECT":
                found.aggregations[decision_id] = aggregation
    if len(decisions) <= 1:
        document = copy.deepcopy(root)
        _rewrite_cells(document, found.originals)
        found.documents.append(document)
        return found
    for keep in range(len(decisions)):
        document = copy.deepcopy(root)
        own = [d for d in document if isinstance(d.tag, str) and _local(d.tag) == "decision"]
        for index, decision in enumerate(own):
            if index != keep:
                document.remove(decision)
        if any(isinstance(t.tag, str) and _local(t.tag) == "decisionTable" for t in own[keep]):
            _rewrite_cells(document, found.originals)
            found.documents.append(document)
    return found


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _rewrite_cells(document, originals: dict[str, str]) -> None:
    for entry in document.iter():
        if not isinstance(entry.tag, str) or _local(entry.tag) != "inputEntry":
            continue
        text = next((t for t in entry if isinstance(t.tag, str) and _local(t.tag) == "text"), None)
        if text is None or not (text.text or "").strip():
            continue
        cell = text.text.strip()
        rewritten = unary_tests(cell)
        if rewritten != cell:
            text.text = rewritten
            originals[rewritten] = cell


def unary_tests(cell: str) -> str:
    """A FEEL unary-test cell in Regie's syntax with ``?`` for the input; unchanged when not needed."""
    parts = _split(cell)
    needs = len(parts) > 1 or _RANGE.match(cell) or re.match(r"^not\s*\(", cell)
    if not needs or "?" in cell:
        return cell
    if re.match(r"^not\s*\(", cell) and cell.endswith(")"):
        return f"not ({_tests(cell[cell.index('(') + 1:-1].strip())})"
    return _tests(cell)


def _tests(cell: str) -> str:
    tests = [_test(part.strip()) for part in _split(cell)]
    return tests[0] if len(tests) == 1 else " or ".join(f"({t})" for t in tests)


def _test(part: str) -> str:
    found = _RANGE.match(part)
    if found:
        opening, low, high, closing = found.groups()
        low_op = "<=" if opening == "[" else "<"
        high_op = "<=" if closing == "]" else "<"
        return f"{low} {low_op} ? {high_op} {high}"
    found = _COMPARISON.match(part)
    if found:
        operator = "==" if found.group(1) == "=" else found.group(1)
        return f"? {operator} {found.group(2)}"
    return f"? == {part}"


def _split(text: str) -> list[str]:
    """``text`` split at commas outside quotes, brackets and parentheses."""
    parts, depth, quote, start = [], 0, "", 0
    for index, char in enumerate(text):
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts
