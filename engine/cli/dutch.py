"""Click's own words (usage, missing option, aborted, …) in Dutch, like the rest of the command line.

Click marks its texts for gettext but ships no translations, and each of its modules binds
``gettext``/``ngettext`` at import time. ``install()`` points those names at a lookup in the table
below; a text that is not in the table stays as click wrote it (so a click upgrade never breaks).
"""

from __future__ import annotations

import importlib

TEXTS = {
    "Usage:": "Gebruik:",
    "Options": "Opties",
    "Commands": "Opdrachten",
    "Positional arguments": "Argumenten",
    "Show this message and exit.": "Toon deze hulp en stop.",
    "Show the version and exit.": "Toon de versie en stop.",
    "%(prog)s, version %(version)s": "%(prog)s, versie %(version)s",
    "Aborted!": "Afgebroken.",
    "Error: {message}": "Fout: {message}",
    "Try '{command} {option}' for help.": "Typ '{command} {option}' voor hulp.",
    "Missing argument": "Argument ontbreekt",
    "Missing option": "Optie ontbreekt",
    "Missing parameter": "Gegeven ontbreekt",
    "Missing {param_type}": "{param_type} ontbreekt",
    "Missing parameter: {param_name}": "Gegeven ontbreekt: {param_name}",
    "Missing command.": "Geef een opdracht.",
    "argument": "Argument",
    "option": "Optie",
    "parameter": "Gegeven",
    "No such command {name!r}.": "De opdracht {name!r} bestaat niet.",
    "No such option {name!r}.": "De optie {name!r} bestaat niet.",
    "Option {name!r} does not take a value.": "De optie {name!r} neemt geen waarde.",
    "Invalid value for {param_hint}: {message}": "Ongeldige waarde voor {param_hint}: {message}",
    "Invalid value: {message}": "Ongeldige waarde: {message}",
    "{value!r} is not a valid {number_type}.": "{value!r} is geen geldig {number_type}.",
    "integer": "geheel getal",
    "float": "getal",
    "{value} is not in the range {range}.": "{value} ligt niet tussen {range}.",
    "Do you want to continue?": "Wilt u doorgaan?",
    "Repeat for confirmation": "Herhaal ter controle",
    "Error: The two entered values do not match.": "Fout: de twee waarden zijn niet gelijk.",
    "Error: invalid input": "Fout: ongeldige invoer",
    "Confirm the action without prompting.": "Bevestig zonder te vragen.",
    "default: {default}": "standaard: {default}",
    "required": "verplicht",
    "env var: {var}": "omgevingsvariabele: {var}",
    "{name} {filename!r} does not exist.": "{name} {filename!r} bestaat niet.",
    "file": "Bestand",
    "directory": "Map",
    "path": "Pad",
    "Path": "Pad",
    "File": "Bestand",
    "Directory": "Map",
}
PLURALS = {
    "Got unexpected extra argument ({args})": ("Onverwacht extra argument ({args})",
                                               "Onverwachte extra argumenten ({args})"),
    "Did you mean {possibility}?": ("Bedoelt u {possibility}?", "(Bedoelt u een van: {possibilities}?)"),
    "Option {name!r} requires an argument.": ("De optie {name!r} heeft een waarde nodig.",
                                              "De optie {name!r} heeft {nargs} waarden nodig."),
    "{value!r} is not {choice}.": ("{value!r} kan niet; kies {choice}.", "{value!r} kan niet; kies uit {choices}."),
}
MODULES = ("core", "exceptions", "formatting", "parser", "types", "termui", "decorators", "utils")


def gettext(message: str) -> str:
    return TEXTS.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    found = PLURALS.get(singular)
    if found is None:
        return singular if n == 1 else plural
    return found[0] if n == 1 else found[1]


def install() -> None:
    """Make click speak Dutch (idempotent)."""
    for name in MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            setattr(module, "_", gettext)  # noqa: B010 - click's modules bind their own `_`
        if hasattr(module, "ngettext"):
            setattr(module, "ngettext", ngettext)  # noqa: B010


def relabel(command) -> None:
    """'[OPTIONS]' and 'COMMAND [ARGS]...' in usage lines, in Dutch, for a command and all below it."""
    command.options_metavar = "[OPTIES]"
    if hasattr(command, "commands"):
        command.subcommand_metavar = "OPDRACHT [ARGUMENTEN]..."
        for sub in command.commands.values():
            relabel(sub)
