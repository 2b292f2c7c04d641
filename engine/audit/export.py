"""Events of a period as CSV, for the accountant's check of the financial accountability."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import datetime
from typing import IO

COLUMNS = ("zaaknummer", "zaak_id", "proces", "volgnummer", "type", "tijd_utc", "actor", "element", "taak",
           "payload", "hash")


def write_csv(engine, since: datetime, until: datetime, out: IO[str],
              progress: Callable[[int], None] | None = None) -> int:
    """Write every event stored in [since, until) to ``out`` (one row each); returns how many."""
    from ..store.audit import events_in_period

    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    count = 0
    with engine.store.read() as tx:
        for event, number, process_id in events_in_period(tx, since, until):
            payload = json.loads(event.payload)
            writer.writerow((number or "", event.case_id, process_id, event.seq, event.type, event.at.isoformat(),
                             event.actor, payload.get("element", ""), payload.get("title", ""), event.payload,
                             event.hash))
            count += 1
            if progress is not None and count % 500 == 0:
                progress(500)
    return count
