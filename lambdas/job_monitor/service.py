"""One tick of the monitor: deliver what is owed, discover changes, decide, claim, deliver, record.

Exactly-once per (job, status, channel) rests on two conditional writes in the state store:
``open_transition`` lets one tick, and only one, own a transition; ``claim`` leases each
channel's message to one sender. The only window for a duplicate is a crash between a channel
accepting a message and ``mark_sent`` recording it: the lease then expires and a later tick
sends again. Nothing is lost: a transition is recorded only after it is owed on every channel,
and the discovery cursor never passes a job that was not fully processed.

A channel that keeps threads (Slack in app mode) is owed a job's running status too: its
message is the thread's parent. The thread it returns is recorded with the job before the
message counts as sent, and every later claim hands it back, so the finished job's summary
goes into that thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from job_monitor.domain import (
    Action,
    Decision,
    JobReport,
    JobSummary,
    KnownJob,
    TickReport,
    decide,
    is_terminal,
    with_status,
)
from job_monitor.ports import Cursor, Delivery, DeliveryFailed, JobSource, Notifier, StateStore
from job_monitor.routing import owed_channels
from job_monitor.settings import Settings, SettingsError

OUTBOX_BATCH = 100
_CURSOR_EPSILON = timedelta(microseconds=1)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class _Observation:
    """A job to decide on, with the report when a describe call already produced one."""

    summary: JobSummary
    report: JobReport | None = None


class Monitor:
    """Runs ticks over injected ports; holds no state between ticks but its collaborators."""

    def __init__(
        self,
        *,
        source: JobSource,
        store: StateStore,
        notifiers: Sequence[Notifier],
        settings: Settings,
        logger: logging.Logger | logging.LoggerAdapter,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._source = source
        self._store = store
        self._notifiers = {notifier.channel: notifier for notifier in notifiers}
        self._threading = tuple((notifier.channel, notifier.keeps_threads) for notifier in notifiers)
        # A job that starts is news when asked for, and always where it opens a thread.
        self._announce_starts = settings.notify_started or any(threaded for _, threaded in self._threading)
        self._settings = settings
        self._log = logger
        self._clock = clock
        self._lock = threading.Lock()

    def run_tick(self, *, deadline: float | None = None) -> TickReport:
        """One scheduled invocation. ``deadline`` is a ``time.monotonic()`` value to stop before.

        A deadline already past at the start can only mean a safety margin as long as the
        function's timeout: every tick would defer everything, so it fails loudly instead.
        """
        if _past(deadline):
            raise SettingsError(
                f"TICK_SAFETY_MARGIN_SECONDS ({self._settings.tick_safety_margin_seconds}) leaves this "
                "invocation no time: make it shorter than the function's timeout"
            )
        report = TickReport()
        for channel in self._notifiers:
            report.channel(channel)
        now = self._clock()
        with ThreadPoolExecutor(max_workers=self._settings.describe_concurrency) as pool:
            self._deliver_owed(pool, report, now, deadline)
            cursor = self._store.load_cursor()
            report.baseline = cursor is None
            handled: set[str] = set()
            try:
                observations = self._discover(cursor, report, now)
            except Exception:
                # Throttled past botocore's retries, or the service is down: nothing is lost, the
                # cursor stays where it is and the next tick lists the same window again.
                self._log.exception("could not list jobs; discovery waits for the next tick")
                self._count(report, "errors")
                observations = None
            if observations is not None:
                handled = self._handle(pool, observations, report, now, deadline)
            if not report.baseline:
                seen = {obs.summary.name for obs in observations or ()}
                self._reconcile(pool, seen, report, now, deadline)
        if observations is not None:
            self._advance_cursor(cursor, observations, handled, now)
        return report

    # --- discovery ----------------------------------------------------------------------------

    def _discover(self, cursor: Cursor | None, report: TickReport, now: datetime) -> list[_Observation]:
        settings = self._settings
        skew = timedelta(seconds=settings.list_overlap_seconds)
        observations: dict[str, _Observation] = {}
        if settings.discover_jobs:
            since = None
            if cursor is not None and cursor.modified_after is not None:
                # A cursor a bad timestamp once put in the future still reads as no later than now.
                since = min(cursor.modified_after, now) - skew
            for summary in self._source.list_jobs(modified_after=since, name_contains=settings.name_contains):
                observations[summary.name] = _Observation(summary=summary)
        report.listed = len(observations)
        explicit = [name for name in settings.job_names if name not in observations]
        if explicit:
            known = self._store.known_jobs(explicit)
            for name in explicit:
                if name in known and is_terminal(known[name].status):
                    continue
                described = self._describe_explicit(name, report)
                if described is not None:
                    observations[name] = _Observation(summary=described.summary(), report=described)
        for obs in observations.values():
            if obs.summary.last_modified > now + skew:
                self._log.warning(
                    "implausible LastModifiedTime, later than now plus the allowed clock skew; "
                    "the discovery cursor will not follow it",
                    extra={
                        "job_name": obs.summary.name,
                        "last_modified": obs.summary.last_modified.isoformat(),
                    },
                )
                self._count(report, "implausible_timestamps")
        if cursor is None:
            return _baseline_window(list(observations.values()), settings.list_overlap_seconds, now)
        return list(observations.values())

    def _describe_explicit(self, name: str, report: TickReport) -> JobReport | None:
        """One ``JOB_NAMES`` job; its failure is its own, never the other jobs' (retried next tick)."""
        try:
            described = self._source.describe(name)
        except Exception:
            self._log.exception(
                "could not describe a tracked job; it will be retried next tick", extra={"job_name": name}
            )
            self._count(report, "errors")
            return None
        if described is None:
            self._log.warning("tracked job does not exist", extra={"job_name": name})
        return described

    # --- deciding and acting on observations --------------------------------------------------

    def _handle(
        self,
        pool: ThreadPoolExecutor,
        observations: list[_Observation],
        report: TickReport,
        now: datetime,
        deadline: float | None,
    ) -> set[str]:
        """Act on each observation; returns the names fully handled this tick."""
        if not observations:
            return set()
        known = self._store.known_jobs(obs.summary.name for obs in observations)
        futures = {}
        for obs in observations:
            decision = decide(
                obs.summary,
                known.get(obs.summary.name),
                baseline=report.baseline,
                notify_started=self._announce_starts,
            )
            futures[obs.summary.name] = pool.submit(self._act, decision, obs.report, report, now, deadline)
        return {name for name, future in futures.items() if future.result()}

    def _act(
        self,
        decision: Decision,
        described: JobReport | None,
        report: TickReport,
        now: datetime,
        deadline: float | None,
    ) -> bool:
        """Carry out one decision; False leaves the job for a later tick."""
        summary = decision.summary
        context = {"job_name": summary.name, "status": summary.status}
        if decision.action is Action.UNCHANGED:
            return True
        if _past(deadline):
            self._count(report, "deferred")
            return False
        try:
            if decision.action is Action.DROP:
                self._drop(summary.name, decision.reason, report)
            elif decision.action is Action.TRACK:
                if self._store.track(summary, previous=decision.previous, now=now):
                    self._count(report, "tracked")
            else:
                self._notify(decision, described, report, now)
        except Exception:
            self._log.exception("could not process job; it will be retried next tick", extra=context)
            self._count(report, "errors")
            return False
        return True

    def _notify(
        self, decision: Decision, described: JobReport | None, report: TickReport, now: datetime
    ) -> None:
        summary = decision.summary
        job_report = described
        if job_report is None and decision.needs_details:
            job_report = self._source.describe(summary.name)
            if job_report is None:
                self._drop(summary.name, "job vanished before it could be described", report)
                return
        if job_report is None:
            job_report = JobReport.from_summary(summary, region=self._settings.region)
        job_report = with_status(job_report, summary)
        channels = owed_channels(
            summary.status, self._threading, notify_started=self._settings.notify_started
        )
        if not self._store.open_transition(
            job_report, previous=decision.previous, channels=channels, now=now
        ):
            self._log.info(
                "transition already claimed by another invocation", extra={"job_name": summary.name}
            )
            return
        self._count(report, "transitions")
        self._log.info(
            "transition detected",
            extra={
                "job_name": summary.name,
                "status": summary.status,
                "previous_status": decision.previous.status if decision.previous else None,
            },
        )
        for channel in channels:
            self._deliver(
                Delivery(
                    job_name=summary.name,
                    status=summary.status,
                    channel=channel,
                    attempts=0,
                    report=job_report,
                ),
                report,
                now,
            )

    def _drop(self, name: str, reason: str, report: TickReport) -> None:
        self._store.drop(name)
        self._count(report, "dropped")
        self._log.info("job no longer tracked", extra={"job_name": name, "reason": reason})

    # --- delivery -----------------------------------------------------------------------------

    def _deliver_owed(
        self, pool: ThreadPoolExecutor, report: TickReport, now: datetime, deadline: float | None
    ) -> None:
        """Retry messages earlier ticks could not send (channel outage, or a crash mid-delivery)."""
        owed = [
            d for d in self._store.due_deliveries(now=now, limit=OUTBOX_BATCH) if d.channel in self._notifiers
        ]
        futures = [
            pool.submit(self._deliver_unless_late, delivery, report, now, deadline) for delivery in owed
        ]
        for future in futures:
            future.result()

    def _deliver_unless_late(
        self, delivery: Delivery, report: TickReport, now: datetime, deadline: float | None
    ) -> None:
        if _past(deadline):
            self._count(report, "deferred")
            return
        try:
            self._deliver(delivery, report, now)
        except Exception:
            self._log.exception(
                "could not retry delivery; it stays owed",
                extra={"job_name": delivery.job_name, "channel": delivery.channel},
            )
            self._count(report, "errors")

    def _deliver(self, delivery: Delivery, report: TickReport, now: datetime) -> None:
        context = {"job_name": delivery.job_name, "status": delivery.status, "channel": delivery.channel}
        claimed = self._store.claim(delivery, now=now, lease_seconds=self._settings.lease_seconds)
        if claimed is None:
            return
        try:
            thread = self._notifiers[delivery.channel].deliver(claimed.report, thread=claimed.thread)
        except Exception as error:  # one channel failing must never block the others
            self._record_failure(delivery, error, report, now, context)
            return
        if thread is not None and thread != claimed.thread:
            self._store.record_thread(claimed, thread)
        self._store.mark_sent(delivery, now=self._clock())
        with self._lock:
            report.channel(delivery.channel).sent += 1
        self._log.info("notification sent", extra={**context, "attempt": delivery.attempts + 1})

    def _record_failure(
        self, delivery: Delivery, error: Exception, report: TickReport, now: datetime, context: dict
    ) -> None:
        attempts = delivery.attempts + 1
        give_up = attempts >= self._settings.max_delivery_attempts
        retry_after = error.retry_after if isinstance(error, DeliveryFailed) else None
        retry_at = now + timedelta(seconds=retry_after or 0)
        self._store.mark_failed(delivery, now=now, retry_at=retry_at, give_up=give_up, error=str(error)[:500])
        with self._lock:
            outcome = report.channel(delivery.channel)
            outcome.failed += 1
            outcome.abandoned += int(give_up)
        details = {**context, "attempt": attempts, "error": str(error)[:500]}
        if give_up:
            self._log.error("notification abandoned after the last allowed attempt", extra=details)
        elif isinstance(error, DeliveryFailed):
            level = logging.ERROR if error.permanent else logging.WARNING
            self._log.log(level, "notification failed; it will be retried next tick", extra=details)
        else:
            self._log.exception("notifier raised unexpectedly; it will be retried next tick", extra=details)

    # --- reconciliation -----------------------------------------------------------------------

    def _reconcile(
        self,
        pool: ThreadPoolExecutor,
        seen: set[str],
        report: TickReport,
        now: datetime,
        deadline: float | None,
    ) -> None:
        """Confirm a bounded batch of long-unconfirmed running jobs by describing them.

        Discovery trusts the service's LastModifiedTime; this catches a job whose change never
        showed in a listing, at a cost of at most ``reconcile_batch_size`` describes per tick.
        """
        settings = self._settings
        if settings.reconcile_batch_size == 0 or _past(deadline):
            return
        stale = [
            job
            for job in self._store.due_for_reconciliation(
                checked_before=now - timedelta(seconds=settings.reconcile_interval_seconds),
                limit=settings.reconcile_batch_size,
            )
            if job.name not in seen
        ]
        futures = [pool.submit(self._reconcile_one, job, report, now, deadline) for job in stale]
        for future in futures:
            future.result()

    def _reconcile_one(
        self, job: KnownJob, report: TickReport, now: datetime, deadline: float | None
    ) -> None:
        if _past(deadline):
            return
        try:
            described = self._source.describe(job.name)
        except Exception:
            self._log.exception("could not reconcile job", extra={"job_name": job.name})
            self._count(report, "errors")
            return
        if described is None:
            self._drop(job.name, "job vanished", report)
            return
        decision = decide(described.summary(), job, baseline=False, notify_started=self._announce_starts)
        if self._act(decision, described, report, now, deadline):
            self._count(report, "reconciled")
            if not is_terminal(described.status) and decision.action is not Action.DROP:
                self._store.mark_reconciled(job.name, now=now)

    # --- cursor -------------------------------------------------------------------------------

    def _advance_cursor(
        self, cursor: Cursor | None, observations: Iterable[_Observation], handled: set[str], now: datetime
    ) -> None:
        """Move discovery past every job handled, but never past one left for a later tick, nor past now.

        A timestamp in the future (a service clock gone wrong) would otherwise carry the cursor
        there and hide every job that changes before that moment.
        """
        done = [obs.summary.last_modified for obs in observations if obs.summary.name in handled]
        left = [obs.summary.last_modified for obs in observations if obs.summary.name not in handled]
        previous = cursor.modified_after if cursor else None
        candidate = max(done) if done else previous
        if left:
            candidate = (
                min(left) - _CURSOR_EPSILON
                if candidate is None
                else min(candidate, min(left) - _CURSOR_EPSILON)
            )
        if candidate is not None:
            candidate = min(candidate, now)
        if cursor is None or (candidate is not None and (previous is None or candidate > previous)):
            self._store.save_cursor(Cursor(modified_after=candidate))

    def _count(self, report: TickReport, attribute: str) -> None:
        with self._lock:
            setattr(report, attribute, getattr(report, attribute) + 1)


def _past(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() >= deadline


def _baseline_window(
    observations: list[_Observation], overlap_seconds: int, now: datetime
) -> list[_Observation]:
    """On the first tick, keep what later overlapping listings will show again; skip older history.

    Running jobs are all kept (they will change); finished ones only if a later tick's listing,
    which reaches back ``overlap_seconds`` before the cursor (never later than now), could still
    return them. Recording those silently is what stops them from looking new.
    """
    finished = [obs.summary.last_modified for obs in observations if is_terminal(obs.summary.status)]
    if not finished:
        return observations
    newest = min(max(obs.summary.last_modified for obs in observations), now)
    horizon = newest - timedelta(seconds=overlap_seconds * 2)
    return [
        obs
        for obs in observations
        if not is_terminal(obs.summary.status) or obs.summary.last_modified >= horizon
    ]
