"""Integration jobs of the scheduler (``engine.scheduler``): built-in connectors and webhook delivery.

Registered next to the timer job by ``add_integration_jobs``; each round survives any error (logged), so a
mail server or a receiver that is down never stops the timers.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def run_integration(scheduler) -> int:
    """One round of every integration job for ``scheduler``'s engine; returns how much work was done."""
    from .external import run_connectors
    from .outbox import deliver_due

    done = 0
    for name, job in (("connectors", lambda: run_connectors(scheduler.engine, f"connectors:{scheduler.name}")),
                      ("webhooks", lambda: deliver_due(scheduler.engine, scheduler.name))):
        try:
            done += job()
        except Exception:   # the job must survive an outage; the next round tries again
            log.exception("scheduler %s: %s round failed", scheduler.name, name)
    return done


def add_integration_jobs(scheduler, apscheduler) -> None:
    apscheduler.add_job(run_integration, "interval", args=[scheduler], seconds=scheduler.interval,
                        id="regie-integration", max_instances=1, coalesce=True, misfire_grace_time=None)


def run_once(scheduler) -> int:
    """One round for ``regie scheduler --once``; then the delivery lease goes back, so the next run need not
    wait for it to lapse."""
    from .outbox import release

    try:
        return run_integration(scheduler)
    finally:
        release(scheduler.engine, scheduler.name)
