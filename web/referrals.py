"""Warm referrals on the case page: the cases this case referred the resident to, and the case it came from
(``CasePage.links``, read with the rest of the page; the partial ``cases/_links.html``). Opening a linked case
is checked like any case page."""

from __future__ import annotations

from flask import Blueprint

from engine import referrals

from .views import process_names

bp = Blueprint("doorverwijzingen", __name__)


def named_links(found: list[referrals.Link]) -> list[tuple[referrals.Link, str]]:
    """(link, the other case's process name) for the case page."""
    names = process_names() if found else {}
    return [(link, names.get(link.process_id, link.process_id)) for link in found]
