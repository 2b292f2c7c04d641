"""What the evaluator says when it refuses or fails: Dutch (B1), for policy staff and functioneel beheer."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from .limits import MAX_ITEMS, MAX_ROUNDS


def _dutch_number(number: int) -> str:
    return f"{number:,}".replace(",", ".")


# --- Reasons (Dutch, B1). Shown to policy staff and functioneel beheer. ---------------------------

TOO_LONG_SOURCE = "de tekst is te lang ({length} tekens). Het maximum is {limit} tekens."
EMPTY = "de expressie is leeg. Vul een voorwaarde of berekening in."
TOO_DEEP = "de expressie is te diep genest (te veel haakjes of lagen). Maak hem eenvoudiger."
DATA_TOO_DEEP = "de gegevens zijn te diep genest om mee te rekenen."
NUMBER_TOO_BIG = "het getal wordt te groot. Gebruik kleinere getallen."
VALUE_TOO_LONG = (
    f"de tekst of lijst wordt te lang (meer dan {_dutch_number(MAX_ITEMS)} tekens of onderdelen)."
)
TOO_MUCH_WORK = "de expressie doet te veel werk en is gestopt. Maak hem eenvoudiger."
TOO_MANY_ROUNDS = (
    f"een lijst-constructie (for ... in ...) mag samen hoogstens {_dutch_number(MAX_ROUNDS)} "
    "keer herhalen."
)
PERCENT_TEXT = "'%' met tekst is niet toegestaan. Gebruik + om tekst samen te voegen."
NO_IMPORT = "'{name}' is niet toegestaan: modellen mogen geen code importeren."
NO_CODE = "'{name}' is niet toegestaan: modellen mogen geen code uitvoeren."
NO_FILES = "'{name}' is niet toegestaan: modellen mogen geen bestanden openen."
NO_INSIDE = "'{name}' is niet toegestaan: modellen mogen niet bij de binnenkant van gegevens komen."
NO_FORMAT = (
    "'{name}' is niet toegestaan: tekst opmaken kan bij de binnenkant van gegevens komen. "
    "Gebruik + of str(...) om tekst samen te voegen."
)
PRIVATE_NAME = "'{name}' is niet toegestaan: namen die met '_' beginnen zijn afgeschermd."
PRIVATE_ATTRIBUTE = (
    "'.{name}' is niet toegestaan: onderdelen die met '_' beginnen zijn afgeschermd."
)
UNKNOWN_FUNCTION = "de functie '{name}' bestaat niet of is niet toegestaan. U kunt gebruiken: {allowed}."
UNKNOWN_METHOD = "de methode '.{name}()' is niet toegestaan. U kunt gebruiken: {allowed}."
UNKNOWN_NAME = "'{name}' is onbekend: dit gegeven bestaat niet (of is nog niet ingevuld) in de zaak."
NOT_CALLABLE = "alleen toegestane functies en methoden kunnen worden aangeroepen."
NO_CLOCK = "'{name}()' werkt hier niet: er is geen klok ingesteld."


class Refusal(Exception):
    """Internal: something is not allowed or failed; ``reason`` is the Dutch text for the user.

    Raised during the static check it becomes ``UnsafeExpression``; during a run ``ExpressionFailed``.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _shown(text: Any) -> str:
    text = str(text)
    return text if len(text) <= 300 else text[:300] + "…"


_KIND_NAMES = {
    str: "tekst", int: "een getal", float: "een getal", bool: "ja/nee (True/False)",
    type(None): "None (leeg)", list: "een lijst", tuple: "een reeks", dict: "een groep velden",
    set: "een verzameling", date: "een datum", datetime: "een datum met tijd",
    timedelta: "een tijdsduur",
}


def _kind(value: Any) -> str:
    return _KIND_NAMES.get(type(value), "dit soort gegeven")


def _runtime_reason(exc: BaseException) -> str:
    """Dutch reason for an error raised while running a checked expression on a case's data."""
    if isinstance(exc, Refusal):
        return exc.reason
    if isinstance(exc, KeyError):
        key = _shown(repr(exc.args[0]) if exc.args else "?")[:80]
        return f"de sleutel {key} bestaat niet. Gebruik .get({key}) als hij kan ontbreken."
    for kind, reason in _RUNTIME_REASONS:
        if isinstance(exc, kind):
            return reason.format(detail=_shown(exc)[:200])
    return f"er ging iets mis bij het uitrekenen (technisch: {type(exc).__name__}: {_shown(exc)})."


_RUNTIME_REASONS: list[tuple[type[BaseException], str]] = [
    (ZeroDivisionError, "u deelt door nul; dat kan niet."),
    (IndexError, "de lijst of tekst is korter dan de plaats die u vraagt."),
    (OverflowError, "een getal of datum wordt te groot."),
    (RecursionError, DATA_TOO_DEEP),
    (MemoryError, "de expressie vraagt te veel geheugen."),
    (TypeError, "de soort gegevens past niet, bijvoorbeeld tekst waar een getal nodig is "
                "(technisch: {detail})."),
    (ValueError, "een waarde is niet geldig (technisch: {detail})."),
]
