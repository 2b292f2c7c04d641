"""Need-to-know on the command line (AVG, issue #14): a command that shows a case's personal data names who
reads it (``--as``) and applies the web app's rules — the case team reads it, anyone else only by breaking
the glass with a reason (``--reden``), which is logged and shown to the coordinator and the privacy officer.

The acting user's roles come from their Regie account. Someone without an account (the default
``os:<system account>`` of an operator on the server) belongs to no case team: they read a case only with
``--reden``, every read logged with their system account and reason (docs/teams.md).
"""

from __future__ import annotations

import getpass

import click

from ..errors import PermissionDenied


class NoCaseAccess(PermissionDenied):
    def __init__(self, label: str, actor: str):
        super().__init__(f"Geen toegang tot zaak {label}: {actor} werkt niet aan deze zaak (AVG). Moet u de zaak "
                         "toch inzien? Geef met --reden op waarom (minstens 10 tekens); dat komt in het inzagelog "
                         "en de coördinator en de privacyfunctionaris zien het.")


def reader():
    """``--as``: who reads the personal data (default: the operating-system account)."""
    return click.option("--as", "actor", default=lambda: f"os:{getpass.getuser()}",
                        help="Wie de gegevens bekijkt: uw Regie-gebruikersnaam (komt in het inzagelog; standaard "
                             "uw systeemaccount, dat geen zaken mag inzien zonder --reden).")


def reason():
    """``--reden`` (also ``--reason``): why; for someone outside the case team this breaks the glass."""
    return click.option("--reden", "--reason", "reason", default=None,
                        help="Waarom u de gegevens bekijkt (komt in het inzagelog). Buiten het zaakteam: "
                             "doorbraak, minstens 10 tekens.")


def open_case(eng, case_ref: str, actor: str, reason: str | None, page: str, also: tuple[str, ...] = ()) -> str:
    """The case's id once ``actor`` may read it, with the read written to the access log; ``also``: roles that
    read every case on this command as on the web (auditors on the audit commands). Outside the case team
    only with ``reason``: a logged break-the-glass access. Raises ``NoCaseAccess`` and writes nothing."""
    case_id = eng.resolve_case(case_ref)
    account = eng.colleague(actor)
    roles = [r for r in account.roles.split(",") if r] if account is not None and account.active else []
    if account is not None and not account.active:
        raise PermissionDenied(f"Het account {actor} staat uit en kan geen zaken inzien.")
    if not set(roles) & set(also) and eng.case_access(case_id, actor, roles) is None:
        if not reason:
            raise NoCaseAccess(eng.case_numbers([case_id]).get(case_id) or case_id[:8], actor)
        eng.break_glass(case_id, actor, reason)
    eng.record_access(actor, case_id, page, reason)
    return case_id
