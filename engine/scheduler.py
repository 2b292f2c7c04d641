"""The timer scheduler: polls the timer table, claims due rows, fires each case in its own transaction.

Run it inside ``regie serve`` (a background thread) or on its own with ``regie scheduler`` — as many
as you like against one PostgreSQL database:

- **PostgreSQL.** Each round claims a batch of due rows with ``SELECT … FOR UPDATE SKIP LOCKED`` and
  marks them with its name and a lease end (``locked_by``, ``locked_until``), then commits and fires
  the claimed cases one by one. Another scheduler skips claimed rows. A scheduler that crashes leaves
  its claims behind; when the lease runs out another one takes them.
- **SQLite.** There are no row locks, so one scheduler at a time holds the lease row
  ``scheduler_leases['timers']`` and does the firing; the others wait until it lapses.

Exactly once does not depend on the claim: firing takes the case lock, and the fired timer's row is
deleted or moved on in the same commit as its events, so whoever comes second finds nothing due.
Every failure is recorded (``engine.timers``): an incident on the case, never a silent drop.
A scheduler that starts catches up at once: everything that came due while none ran fires, in order.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from zoneinfo import ZoneInfo

from .errors import ConflictError, SchedulerSettingError, StoreUnavailable
from .schedules import start_due
from .store import timers as sql
from .timers import PER_TRANSACTION, chunks, fire_case, fire_cases, record_failure

log = logging.getLogger(__name__)

LEASE_NAME = "timers"
ANCHOR_LEASE = "anchor"        # scheduler_leases row: until when the daily audit anchor is taken care of
ANCHOR_TIME = "02:00"          # default time of day (Europe/Amsterdam) of the daily audit anchor
CHECKPOINT_LEASE = "checkpoints"   # scheduler_leases row: until when the daily time-travel checkpoints are done
CHECKPOINT_CASES = 5           # cases per round of the checkpoints job (each a replay)
LOCAL = ZoneInfo("Europe/Amsterdam")


def _time_of_day(text: str) -> dt_time:
    try:
        hours, minutes = (int(part) for part in text.split(":"))
        return dt_time(hours, minutes)
    except (ValueError, TypeError) as err:
        raise SchedulerSettingError(f"'{text}' is geen tijd van de dag. Geef uren en minuten, bijvoorbeeld 02:00.") from err


class Scheduler:
    """Polls and fires due timers for one engine; ``poll`` is one round, ``start_background`` a loop."""

    def __init__(self, engine, name: str | None = None, batch: int = 100, lease_seconds: float = 60.0,
                 interval: float = 5.0, per_transaction: int = PER_TRANSACTION, anchor_key: str | None = None,
                 anchor_file: str | None = None, anchor_time: str = ANCHOR_TIME):
        self.engine = engine
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{engine.ids.new_id()[:8]}"
        self.batch = batch
        self.per_transaction = per_transaction   # claimed cases fired in one transaction
        self.lease = timedelta(seconds=lease_seconds)
        self.interval = interval
        self.claimed = 0           # rows claimed by the last round
        # The daily audit anchor (``engine.audit.anchors``): written by one scheduler per day, when a key is set.
        self.anchor_key, self.anchor_file = anchor_key, anchor_file
        self.anchor_time = _time_of_day(anchor_time)
        if anchor_key:
            from .audit import anchors

            anchors.load_private(anchor_key)      # a key that cannot be used is said at start, not at night
        self._busy = threading.Lock()
        self._background = None
        self._checkpoints_after: str | None = None     # while building checkpoints: the last case id done

    # --- one round -------------------------------------------------------------------------------

    def poll(self) -> int:
        """Claim a batch of due timers and fire them; returns how many fired (0 when not our turn)."""
        now = self.engine.clock.now()
        self.claimed = 0
        self.anchor_if_due(now)
        if self.engine.store.is_sqlite and not self._hold_lease(now):
            return 0
        fired = start_due(self.engine, now)
        with self.engine.store.write() as tx:
            case_ids = sql.claim_due(tx, now, self.name, now + self.lease, self.batch)
        self.claimed = len(case_ids)
        for chunk in chunks(case_ids, self.per_transaction):
            fired += self._fire(chunk, now)
        if fired:
            log.info("scheduler %s: %d timer(s) fired", self.name, fired)
        return fired

    def _fire(self, case_ids: list[str], now) -> int:
        """Fire a batch of claimed cases in one transaction (``fire_cases``); give busy ones back."""
        try:
            counts, busy = fire_cases(self.engine, case_ids, now, self._fire_one)
        except StoreUnavailable:    # the claims lapse and the cases are tried again
            log.exception("scheduler %s: the database is away; %d case(s) wait", self.name, len(case_ids))
            return 0
        if busy:
            with self.engine.store.write() as tx:   # busy: let any scheduler take them next round
                sql.release_cases(tx, busy, self.name)
        return sum(counts.values())

    def _fire_one(self, case_id: str, now) -> int:
        """One case on its own (after its batch failed): raises ``ConflictError`` when it is busy."""
        try:
            return fire_case(self.engine, case_id, now)
        except ConflictError:
            raise
        except Exception as err:   # not the model's fault (that is an incident already): record it
            log.exception("scheduler %s: firing case %s failed", self.name, case_id)
            try:
                record_failure(self.engine, case_id, err, now)
            except Exception:       # the store itself is away: the claim lapses and it is tried again
                log.exception("scheduler %s: could not record the failure of case %s", self.name, case_id)
            return 0

    # --- the daily audit anchor --------------------------------------------------------------------

    def anchor_if_due(self, now: datetime) -> bool:
        """Write the day's audit anchor when it is due and no other scheduler took it; True when written.

        Due: at the first round on or after ``anchor_time`` (Europe/Amsterdam) each day, and at once when
        no anchor was ever written by a scheduler. The lease row ``scheduler_leases['anchor']`` says until
        when the anchor is taken care of: a scheduler takes it for ``lease`` (SELECT … FOR UPDATE on
        PostgreSQL, one writer on SQLite), writes the anchor, then moves it on to the next day's time. A
        scheduler that dies in between leaves a lease that lapses, and another one writes the anchor.
        A failure (no key file, say) is logged and tried again when the lease has lapsed.
        """
        if not self.anchor_key or not self.anchor_file:
            return False
        try:
            with self.engine.store.write() as tx:
                if not sql.take_due(tx, ANCHOR_LEASE, self.name, now, now + self.lease):
                    return False
        except ConflictError:
            return False
        try:
            from .audit import anchors

            made = self.engine.anchor(anchors.load_private(self.anchor_key), self.anchor_file)
        except Exception:
            log.exception("scheduler %s: writing the audit anchor to %s failed", self.name, self.anchor_file)
            return False
        with self.engine.store.write() as tx:
            sql.hand_over(tx, ANCHOR_LEASE, self.name, self._next_anchor(now))
        log.info("scheduler %s: audit anchor %s written to %s (%d case(s))", self.name, made.at, self.anchor_file,
                 len(made.heads))
        return True

    # --- the daily time-travel checkpoints ------------------------------------------------------------

    def checkpoints_if_due(self, now: datetime, cases: int = CHECKPOINT_CASES) -> int:
        """Once a day (from ``anchor_time``), across all schedulers: store the time-travel checkpoints of every
        case with 50 or more events since its newest one (``engine.audit.checkpoints.build_missing``), a few
        cases per round, so the first view of a long case replays at most 50 events. The lease row
        ``scheduler_leases['checkpoints']`` is held while the work lasts and then moved on to the next day.
        Returns how many cases this round handled."""
        try:
            if self._checkpoints_after is None:     # most rounds: not due, and no write transaction to say so
                with self.engine.store.read() as tx:
                    row = sql.lease_holder(tx, CHECKPOINT_LEASE)
                    if row is not None and row.until > now:
                        return 0
            with self.engine.store.write() as tx:
                if self._checkpoints_after is None:
                    if not sql.take_due(tx, CHECKPOINT_LEASE, self.name, now, now + self.lease):
                        return 0
                    self._checkpoints_after = ""
                elif not sql.take_lease(tx, CHECKPOINT_LEASE, self.name, now, now + self.lease):
                    self._checkpoints_after = None       # another scheduler took over
                    return 0
        except (ConflictError, StoreUnavailable):
            return 0
        from .audit import checkpoints

        try:
            done, after = checkpoints.build_missing(self.engine, self._checkpoints_after, cases)
        except Exception:        # derived data: try again when the lease has lapsed
            log.exception("scheduler %s: building time-travel checkpoints failed", self.name)
            self._checkpoints_after = None
            return 0
        self._checkpoints_after = after
        if after is None:
            with self.engine.store.write() as tx:
                sql.hand_over(tx, CHECKPOINT_LEASE, self.name, self._next_anchor(now))
        return done

    def _checkpoints_round(self) -> int:
        try:
            return self.checkpoints_if_due(self.engine.clock.now())
        except Exception:   # the job must survive a database outage; the next round tries again
            log.exception("scheduler %s: checkpoints round failed", self.name)
            return 0

    def _next_anchor(self, now: datetime) -> datetime:
        """The first ``anchor_time`` (Europe/Amsterdam) after ``now``."""
        local = now.astimezone(LOCAL)
        at = datetime.combine(local.date(), self.anchor_time, tzinfo=LOCAL)
        if at <= local:
            at = datetime.combine(local.date() + timedelta(days=1), self.anchor_time, tzinfo=LOCAL)
        return at.astimezone(UTC)

    def _hold_lease(self, now) -> bool:
        try:
            with self.engine.store.write() as tx:
                return sql.take_lease(tx, LEASE_NAME, self.name, now, now + self.lease)
        except ConflictError:
            return False

    def release(self) -> None:
        """Give up this scheduler's SQLite lease (on shutdown), so another can take over at once."""
        if self.engine.store.is_sqlite:
            with self.engine.store.write() as tx:
                sql.drop_lease(tx, LEASE_NAME, self.name)

    # --- loops -----------------------------------------------------------------------------------

    def run_pending(self) -> int:
        """Poll until a round claims less than a full batch (so a backlog is worked off at once)."""
        if not self._busy.acquire(blocking=False):
            return 0      # the previous run is still going
        try:
            fired = self.poll()
            while self.claimed >= self.batch:
                fired += self.poll()
            return fired
        except Exception:   # the job must survive a database outage; the next round tries again
            log.exception("scheduler %s: round failed", self.name)
            return 0
        finally:
            self._busy.release()

    def run_until_idle(self, max_seconds: float | None = None) -> int:
        """Fire until nothing due is left, including claims of a scheduler that stopped; returns fired.

        For ``regie scheduler --once`` and catch-up after downtime. Waits (real time) for foreign
        claims to lapse; ``max_seconds`` bounds the whole run.
        """
        started = time.monotonic()
        fired = 0
        while True:
            fired += self.poll()
            if self.claimed:
                continue
            now = self.engine.clock.now()
            with self.engine.store.read() as tx:
                left, lease_end = sql.pending(tx, now)
            if not left:
                return fired
            if max_seconds is not None and time.monotonic() - started > max_seconds:
                log.warning("scheduler %s: stopped with %d timer(s) still due", self.name, left)
                return fired
            wait = (lease_end - now).total_seconds() if lease_end and lease_end > now else 0.0
            time.sleep(min(max(wait, 0.05), self.interval))

    def start_background(self):
        """Run ``run_pending`` every ``interval`` seconds in an APScheduler thread, starting now."""
        from apscheduler.schedulers.background import BackgroundScheduler

        self._background = BackgroundScheduler(timezone="UTC")
        self._add_job(self._background)
        self._background.start()
        return self._background

    def run_forever(self) -> None:
        """Run in the foreground until stopped (Ctrl+C or SIGTERM), then hand back the lease."""
        import signal

        from apscheduler.schedulers.blocking import BlockingScheduler

        blocking = BlockingScheduler(timezone="UTC")
        self._add_job(blocking)
        signal.signal(signal.SIGTERM, lambda *_: blocking.shutdown(wait=False))
        try:
            blocking.start()
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.release()

    def shutdown(self) -> None:
        if self._background is not None:
            self._background.shutdown(wait=True)
            self._background = None
        self.release()

    def _add_job(self, apscheduler) -> None:
        from .providers import SystemClock

        apscheduler.add_job(
            self.run_pending, "interval", seconds=self.interval, id="regie-timers", max_instances=1,
            coalesce=True, misfire_grace_time=None,
            next_run_time=SystemClock().now(),   # first round right away: catch up after downtime
        )
        apscheduler.add_job(     # a job of its own: its replays do not hold up the timers' rounds
            self._checkpoints_round, "interval", seconds=self.interval, id="regie-checkpoints", max_instances=1,
            coalesce=True, misfire_grace_time=None)
        from .jobs import add_integration_jobs  # connectors and webhooks (engine.jobs)

        add_integration_jobs(self, apscheduler)
