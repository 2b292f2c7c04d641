"""Limits on data that comes in from outside (start data, task data, JSON on the command line).

Data is checked before anything else touches it: a value nested deeper than ``MAX_DEPTH`` or larger than
``MAX_BYTES`` as JSON is refused with ``InvalidData``, so it can never reach the event log, where a replay
or a later step would fail on it for good. The check walks the value with a stack of its own (never
recursion), so hostile input cannot exhaust Python's stack here either.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import FieldProblem, InvalidData

MAX_DEPTH = 32                 # a form has fields, lists of fields, maybe a table inside; 32 is generous
MAX_BYTES = 1_000_000          # as compact JSON; a form with long notes is a few kilobytes
MAX_ITEMS = 100_000            # values (dict entries + list items) in one piece of data


def check_input(data: Any, what: str = "-") -> Any:
    """Return ``data`` unchanged when it is within the limits; else raise ``InvalidData`` saying which."""
    stack = [(data, 1)]
    items = 0
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = list(value.values())
        elif isinstance(value, list | tuple):
            children = list(value)
        else:
            continue
        if depth > MAX_DEPTH:
            raise InvalidData([FieldProblem(what, f"De gegevens zijn te diep genest (meer dan {MAX_DEPTH} lagen). "
                                                  "Geef platte velden met waarden.")])
        items += len(children)
        if items > MAX_ITEMS:
            raise InvalidData([FieldProblem(what, f"De gegevens hebben te veel waarden (meer dan {MAX_ITEMS}). "
                                                  "Geef alleen de velden van het formulier.")])
        stack.extend((child, depth + 1) for child in children)
    size = len(json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8"))
    if size > MAX_BYTES:
        raise InvalidData([FieldProblem(what, f"De gegevens zijn te groot ({size // 1000} kB; de grens is "
                                              f"{MAX_BYTES // 1000} kB). Bewaar grote bestanden buiten Regie.")])
    return data


def parse_json_text(text: str, what: str = "--data") -> Any:
    """``json.loads`` of text from outside, with the limits above; ``InvalidData`` instead of a crash."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise InvalidData([FieldProblem(what, f"De JSON is te groot (de grens is {MAX_BYTES // 1000} kB).")])
    try:
        value = json.loads(text)
    except RecursionError as err:
        raise InvalidData([FieldProblem(what, f"De gegevens zijn te diep genest (meer dan {MAX_DEPTH} lagen). "
                                              "Geef platte velden met waarden.")]) from err
    return check_input(value, what)
