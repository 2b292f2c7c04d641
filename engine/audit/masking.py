"""Which case data is personal, and how an auditor sees it before asking to see it.

Auditors read histories with names, birth dates, contact details and free-text notes masked; showing
them needs a reason, which the access log records. What counts as personal is decided per field: the
field that names the resident (``subject: true``), free text (``textarea``), e-mail and phone fields,
and fields whose name or label says name, address, birth date, BSN or contact. Data that no form asked
for is judged by its name alone.
"""

from __future__ import annotations

import re
from typing import Any

from ..forms import FormField

MASK = "•••• (afgeschermd)"
PERSONAL_TYPES = {"textarea", "email", "phone"}
_PERSONAL_NAME = re.compile(
    r"naam|adres|straat|postcode|woonplaats|geboort|bsn|burgerservice|telefoon|mobiel|e_?mail|contactgegevens"
    r"|notitie|toelichting|opmerking|verslag|omschrijving|iban", re.I)


def is_personal(name: str, spec: FormField | None = None) -> bool:
    """Whether a data field holds personal data (see the module docstring)."""
    if spec is not None:
        if spec.subject or spec.type in PERSONAL_TYPES or spec.category not in (None, "none"):
            return True
        if _PERSONAL_NAME.search(spec.label or ""):
            return True
    return bool(_PERSONAL_NAME.search(name))


def initials(subject: str | None) -> str:
    """'Fictieve Bewoner' -> 'F. B.': enough to tell two cases apart in a list, not to identify someone."""
    words = [w for w in re.split(r"\s+", subject or "") if w]
    return " ".join(f"{w[0].upper()}." for w in words[:3]) if words else "–"


def masked(value: Any) -> str:
    return "–" if value in (None, "", []) else MASK
