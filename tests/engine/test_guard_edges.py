"""The edges of two guards, pinned exactly: the hash chain's check and the limits on data from outside.

Written from a mutation run (mutmut, README "Mutation score"): each test here failed a mutant that the
scenario tests let through — a boundary moved by one, a problem reported without its event or field, a set
hashed in whatever order the process happened to hold it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

import pytest

from engine.audit.chain import GENESIS, ChainProblem, canonical_json, check_chain, event_hash
from engine.errors import FieldProblem, InvalidData
from engine.limits import MAX_BYTES, MAX_DEPTH, MAX_ITEMS, check_input, parse_json_text

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Stored:
    seq: int
    type: str
    at: datetime
    actor: str
    payload: str
    prev_hash: str
    hash: str


def _chain(case_id: str, count: int) -> list[Stored]:
    events, prev = [], GENESIS
    for seq in range(1, count + 1):
        payload = canonical_json({"step": seq})
        digest = event_hash(prev, case_id, seq, "task_completed", AT, "anna", payload)
        events.append(Stored(seq, "task_completed", AT, "anna", payload, prev, digest))
        prev = digest
    return events


# --- canonical JSON: the one form that is hashed ---------------------------------------------------

def test_sets_are_hashed_in_sorted_order_whatever_order_the_process_holds_them_in():
    letters = set("qwertyuiopasdfghjklz")
    assert canonical_json({"s": letters, "f": frozenset({3, 1, 2})}) == (
        '{"f":[1,2,3],"s":' + json.dumps(sorted(letters), separators=(",", ":")) + "}")


def test_text_is_hashed_as_written_not_as_escapes():
    """The stored payload is what an auditor reads and hashes: 'Zoë', never 'Zo\\u00eb'."""
    assert canonical_json({"naam": "Zoë Çelik"}) == '{"naam":"Zoë Çelik"}'


def test_dates_and_tuples_have_one_form_and_anything_else_is_refused_by_name():
    assert canonical_json({"d": date(2026, 3, 31), "t": AT, "p": (2, 1)}) == (
        '{"d":"2026-03-31","p":[2,1],"t":"2026-01-05T09:00:00+00:00"}')

    class Unknown:
        pass

    with pytest.raises(TypeError, match="^Unknown is not JSON serialisable$"):
        canonical_json({"x": Unknown()})


def test_the_hash_of_an_event_is_the_documented_one():
    """docs/audit.md: sha256 over prev_hash, case id, seq, type, time, actor and payload, one per line.
    An outside auditor recomputes this by hand; the engine may never drift from it."""
    assert event_hash(GENESIS, "c1", 1, "case_started", AT, "anna", '{"naam":"Demo"}') == (
        "f8906dcd5c9dfac1b385ad5791a725c7fd15eb20d28597491072fcb13956f97b")
    text = "\n".join((GENESIS, "c1", "1", "case_started", "2026-01-05T09:00:00+00:00", "anna", '{"naam":"Demo"}'))
    assert event_hash(GENESIS, "c1", 1, "case_started", AT, "anna", '{"naam":"Demo"}') == (
        hashlib.sha256(text.encode()).hexdigest())


# --- the chain check -------------------------------------------------------------------------------

def test_an_intact_chain_has_no_problems():
    assert check_chain("c1", _chain("c1", 4)) == []


def test_a_missing_event_is_named_by_the_number_that_should_have_been_there():
    events = _chain("c1", 4)
    del events[1]
    assert check_chain("c1", events) == [ChainProblem(3, "event 2 ontbreekt of staat op de verkeerde plek")]


def test_a_changed_payload_is_named_at_its_event():
    events = _chain("c1", 3)
    events[1] = replace(events[1], payload=canonical_json({"step": 99}))
    assert check_chain("c1", events) == [
        ChainProblem(2, "de inhoud is gewijzigd na het opslaan (hash klopt niet)"),
    ]


def test_a_rewritten_link_is_named_and_so_is_every_hash_it_breaks():
    events = _chain("c1", 3)
    events[1] = replace(events[1], prev_hash="f" * 64)
    assert check_chain("c1", events) == [
        ChainProblem(2, "de verwijzing naar het vorige event klopt niet"),
    ]
    events = _chain("c1", 3)
    events[0] = replace(events[0], hash="e" * 64)     # the first hash rewritten: its own check and the next link
    assert check_chain("c1", events) == [
        ChainProblem(1, "de inhoud is gewijzigd na het opslaan (hash klopt niet)"),
        ChainProblem(2, "de verwijzing naar het vorige event klopt niet"),
        ChainProblem(2, "de inhoud is gewijzigd na het opslaan (hash klopt niet)"),
    ]


def test_the_chain_of_one_case_does_not_verify_as_another_case():
    assert check_chain("c2", _chain("c1", 2))[0] == ChainProblem(
        1, "de inhoud is gewijzigd na het opslaan (hash klopt niet)")


# --- limits on data from outside -------------------------------------------------------------------

def _nested(depth: int) -> object:
    value: object = "x"
    for _ in range(depth):
        value = [value]
    return value


def _refusal(call) -> FieldProblem:
    with pytest.raises(InvalidData) as refused:
        call()
    assert len(refused.value.problems) == 1
    return refused.value.problems[0]


def test_nesting_up_to_the_limit_passes_one_more_layer_is_refused_with_the_field():
    assert check_input(_nested(MAX_DEPTH), "gegevens") == _nested(MAX_DEPTH)
    assert _refusal(lambda: check_input(_nested(MAX_DEPTH + 1), "gegevens")) == FieldProblem(
        "gegevens", "De gegevens zijn te diep genest (meer dan 32 lagen). Geef platte velden met waarden.")


def test_plain_values_beside_a_deep_one_do_not_end_the_check_early():
    assert _refusal(lambda: check_input({"diep": _nested(MAX_DEPTH), "los": 1})).field == "-"   # the default name


def test_values_up_to_the_limit_pass_one_more_is_refused_with_the_field():
    assert len(check_input({"l": [0] * (MAX_ITEMS - 1)}, "x")["l"]) == MAX_ITEMS - 1
    assert _refusal(lambda: check_input({"l": [0] * MAX_ITEMS}, "lijst")) == FieldProblem(
        "lijst", "De gegevens hebben te veel waarden (meer dan 100000). Geef alleen de velden van het formulier.")


def test_size_up_to_the_limit_passes_one_byte_more_is_refused_with_the_size():
    room = MAX_BYTES - len('{"t":""}')
    assert check_input({"t": "a" * room}, "t") == {"t": "a" * room}
    problem = _refusal(lambda: check_input({"t": "é" * (room // 2 + 1)}, "notitie"))   # é is two bytes
    assert problem == FieldProblem("notitie", "De gegevens zijn te groot (1000 kB; de grens is 1000 kB). "
                                              "Bewaar grote bestanden buiten Regie.")


def test_json_text_at_the_byte_limit_is_read_one_byte_more_is_refused_unread():
    text = '"' + "a" * (MAX_BYTES - 2) + '"'
    assert len(parse_json_text(text, "--data")) == MAX_BYTES - 2
    assert _refusal(lambda: parse_json_text(text + " ")) == FieldProblem(   # --data: the default name
        "--data", "De JSON is te groot (de grens is 1000 kB).")


def test_json_text_too_deep_for_the_parser_is_a_problem_of_the_field_not_a_crash():
    assert _refusal(lambda: parse_json_text("[" * 100_000, "--vars")) == FieldProblem(
        "--vars", "De gegevens zijn te diep genest (meer dan 32 lagen). Geef platte velden met waarden.")
    assert _refusal(lambda: parse_json_text(json.dumps(_nested(MAX_DEPTH + 1)), "--vars")).field == "--vars"
