"""One tick of the monitor: deliver what is owed, then for each source (a kind of job in one account
and region), in parallel: discover, decide, claim, deliver, record.

Delivery itself (leases, retries, recording each attempt) is the outbox's (outbox.py).
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
from datetime import UTC, datetime, timedelta

from job_monitor.domain import (
    Action,
    Decision,
    JobKey,
    JobReport,
    KnownJob,
    SourceKey,
    TickReport,
    decide,
    is_terminal,
    with_status,
)
from job_monitor.outbox import Outbox
from job_monitor.ports import Cursor, Delivery, JobSource, Notifier, Observation, StateStore
from job_monitor.routing import owed_channels
from job_monitor.settings import Settings, SettingsError
from job_monitor.sources import LocatedSource

# Sources read at once; each source's describes share the tick's describe pool.
SOURCE_CONCURRENCY = 16
_CURSOR_EPSILON = timedelta(microseconds=1)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Monitor:
    """Runs ticks over injected ports; holds no state between ticks but its collaborators.

    ``sources`` holds one source per kind of job and place watched (a bare JobSource reads the
    function's own account and region); each is discovered from its own cursor, and one failing
    never holds back another.
    """

    def __init__(
        self,
        *,
        sources: Sequence[JobSource | LocatedSource],
        store: StateStore,
        notifiers: Sequence[Notifier],
        settings: Settings,
        logger: logging.Logger | logging.LoggerAdapter,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        located = [
            source if isinstance(source, LocatedSource) else LocatedSource(source, region=settings.region)
            for source in sources
        ]
        self._sources = {source.key: source for source in located}
        self._store = store
        self._notifiers = {notifier.channel: notifier for notifier in notifiers}
        self._threading = tuple((notifier.channel, notifier.keeps_threads) for notifier in notifiers)
        # A job that starts is news when asked for, and always where it opens a thread.
        self._announce_starts = settings.notify_started or any(threaded for _, threaded in self._threading)
        self._settings = settings
        self._log = logger
        self._clock = clock
        self._lock = threading.Lock()
        self._outbox = Outbox(
            store=store,
            notifiers=self._notifiers,
            settings=settings,
            logger=logger,
            clock=clock,
            lock=self._lock,
        )

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
            self._outbox.send_owed(pool, report, now, lambda: _past(deadline))
            sources = list(self._sources.values())
            with ThreadPoolExecutor(max_workers=min(len(sources), SOURCE_CONCURRENCY) or 1) as readers:
                for future in [
                    readers.submit(self._watch, pool, source, report, now, deadline) for source in sources
                ]:
                    future.result()
        return report

    def _watch(
        self,
        pool: ThreadPoolExecutor,
        source: LocatedSource,
        report: TickReport,
        now: datetime,
        deadline: float | None,
    ) -> None:
        """One source: discover since its cursor, decide, claim, deliver, then move its cursor."""
        context = {"job_kind": source.kind, "source": source.name}
        if _past(deadline):
            self._log.warning("source not read: the tick ran out of time", extra=context)
            self._count(report, "deferred")
            return
        try:
            state = self._store.load_source(source.kind, source.origin)
            cursor = state.cursor
            observations = self._discover(source, cursor, report, now)
        except Exception as error:
            # Throttled past botocore's retries, the service down, the account's role or the region
            # unusable: nothing is lost, the cursor stays where it is and the next tick lists the
            # same window again. Other sources go on.
            fix, text = source.hint(error), _error_text(error)
            self._log.exception(
                "could not list jobs; discovery waits for the next tick", extra={**context, "fix": fix}
            )
            self._count(report, "errors")
            with self._lock:
                report.sources[source.name] = 1
            self._note_health(
                source,
                lambda: self._store.record_source_failure(
                    source.kind, source.origin, error=text, fix=fix, now=now
                ),
            )
            return
        with self._lock:
            report.sources[source.name] = 0
        if state.health is not None and state.health.failing:
            self._note_health(
                source, lambda: self._store.record_source_recovery(source.kind, source.origin, now=now)
            )
        baseline = cursor is None
        if baseline:
            report.baseline = True
        handled = self._handle(pool, observations, baseline, report, now, deadline)
        if not baseline and not source.confirms_running:
            seen = {obs.summary.name for obs in observations}
            self._reconcile(pool, source, seen, report, now, deadline)
        self._advance_cursor(source.key, cursor, observations, handled, now)

    def _note_health(self, source: LocatedSource, write: Callable[[], None]) -> None:
        """Record a source's change of health for ``jobwatch status``; a failure to record it is
        logged and never stops the tick (the next failed or good read records it again)."""
        try:
            write()
        except Exception:
            self._log.warning(
                "could not record the source's health in the state table",
                exc_info=True,
                extra={"job_kind": source.kind, "source": source.name},
            )

    # --- discovery ----------------------------------------------------------------------------

    def _discover(
        self, source: LocatedSource, cursor: Cursor | None, report: TickReport, now: datetime
    ) -> list[Observation]:
        settings = self._settings
        skew = timedelta(seconds=settings.list_overlap_seconds)
        observations: dict[str, Observation] = {}
        if settings.discover_jobs:
            since = None
            if cursor is not None and cursor.after is not None:
                # A cursor a bad timestamp once put in the future still reads as no later than now.
                since = min(cursor.after, now) - skew
            running: list[str] = []
            if source.confirms_running and cursor is not None:
                running = [job.name for job in self._store.running_jobs(source.kind, source.origin)]
            for obs in source.changes(since=since, running=running, name_contains=settings.name_contains):
                observations[obs.summary.name] = obs
        with self._lock:
            report.listed += len(observations)
        explicit = [
            key
            for key in settings.job_names
            if key.kind == source.kind and key.origin == source.origin and key.name not in observations
        ]
        if explicit:
            known = self._store.known_jobs(explicit)
            for key in explicit:
                if key in known and is_terminal(known[key].status):
                    continue
                described = self._describe_explicit(source, key, report)
                if described is not None:
                    observations[key.name] = Observation(summary=described.summary(), report=described)
        for obs in observations.values():
            if obs.summary.last_modified > now + skew:
                self._log.warning(
                    "implausible LastModifiedTime, later than now plus the allowed clock skew; "
                    "the discovery cursor will not follow it",
                    extra={
                        "job_name": obs.summary.name,
                        "job_kind": obs.summary.kind,
                        "last_modified": obs.summary.last_modified.isoformat(),
                    },
                )
                self._count(report, "implausible_timestamps")
        if cursor is None:
            return _baseline_window(list(observations.values()), settings.list_overlap_seconds, now)
        return list(observations.values())

    def _describe_explicit(self, source: LocatedSource, key: JobKey, report: TickReport) -> JobReport | None:
        """One ``JOB_NAMES`` job; its failure is its own, never the other jobs' (retried next tick)."""
        context = {"job_name": key.name, "job_kind": key.kind}
        try:
            described = source.describe(key.name)
        except Exception:
            self._log.exception(
                "could not describe a tracked job; it will be retried next tick", extra=context
            )
            self._count(report, "errors")
            return None
        if described is None:
            self._log.warning("tracked job does not exist", extra=context)
        return described

    # --- deciding and acting on observations --------------------------------------------------

    def _handle(
        self,
        pool: ThreadPoolExecutor,
        observations: list[Observation],
        baseline: bool,
        report: TickReport,
        now: datetime,
        deadline: float | None,
    ) -> set[str]:
        """Act on each observation of one kind; returns the names fully handled this tick."""
        if not observations:
            return set()
        known = self._store.known_jobs(obs.summary.key for obs in observations)
        futures = {}
        for obs in observations:
            decision = decide(
                obs.summary,
                known.get(obs.summary.key),
                baseline=baseline,
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
        context = {"job_name": summary.name, "job_kind": summary.kind, "status": summary.status}
        if decision.action is Action.UNCHANGED:
            return True
        if _past(deadline):
            self._count(report, "deferred")
            return False
        try:
            if decision.action is Action.DROP:
                self._drop(summary.key, decision.reason, report)
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
        source = self._sources[SourceKey(summary.kind, summary.origin)]
        job_report = described
        if job_report is None and decision.needs_details:
            job_report = source.describe(summary.name)
            if job_report is None:
                self._drop(summary.key, "job vanished before it could be described", report)
                return
        if job_report is None:
            job_report = JobReport.from_summary(
                summary, region=source.region, account_name=source.account_name()
            )
        job_report = with_status(job_report, summary)
        channels = owed_channels(
            summary.status, self._threading, notify_started=self._settings.notify_started
        )
        if not self._store.open_transition(
            job_report, previous=decision.previous, channels=channels, now=now
        ):
            self._log.info(
                "transition already claimed by another invocation",
                extra={"job_name": summary.name, "job_kind": summary.kind},
            )
            return
        # A start (a thread's parent, or NOTIFY_STARTED's message) is counted apart: "transitions"
        # are the ends, COMPLETED, FAILED or STOPPED, that every channel is owed a summary of.
        self._count(report, "transitions" if is_terminal(summary.status) else "started")
        self._log.info(
            "transition detected",
            extra={
                "job_name": summary.name,
                "job_kind": summary.kind,
                "status": summary.status,
                "previous_status": decision.previous.status if decision.previous else None,
            },
        )
        for channel in channels:
            self._outbox.send(
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

    def _drop(self, key: JobKey, reason: str, report: TickReport) -> None:
        self._store.drop(key)
        self._count(report, "dropped")
        self._log.info(
            "job no longer tracked", extra={"job_name": key.name, "job_kind": key.kind, "reason": reason}
        )

    # --- reconciliation -----------------------------------------------------------------------

    def _reconcile(
        self,
        pool: ThreadPoolExecutor,
        source: LocatedSource,
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
                source.kind,
                checked_before=now - timedelta(seconds=settings.reconcile_interval_seconds),
                limit=settings.reconcile_batch_size,
                origin=source.origin,
            )
            if job.name not in seen
        ]
        futures = [pool.submit(self._reconcile_one, source, job, report, now, deadline) for job in stale]
        for future in futures:
            future.result()

    def _reconcile_one(
        self, source: LocatedSource, job: KnownJob, report: TickReport, now: datetime, deadline: float | None
    ) -> None:
        if _past(deadline):
            return
        try:
            described = source.describe(job.name)
        except Exception:
            self._log.exception("could not reconcile job", extra={"job_name": job.name, "job_kind": job.kind})
            self._count(report, "errors")
            return
        if described is None:
            self._drop(job.key, "job vanished", report)
            return
        decision = decide(described.summary(), job, baseline=False, notify_started=self._announce_starts)
        if self._act(decision, described, report, now, deadline):
            self._count(report, "reconciled")
            if not is_terminal(described.status) and decision.action is not Action.DROP:
                self._store.mark_reconciled(job.key, now=now)

    # --- cursor -------------------------------------------------------------------------------

    def _advance_cursor(
        self,
        source: SourceKey,
        cursor: Cursor | None,
        observations: Iterable[Observation],
        handled: set[str],
        now: datetime,
    ) -> None:
        """Move the source's cursor past every job handled, but never past one left for a later tick,
        nor past now. Only listed jobs have a place on the cursor (``cursor_time``).

        A timestamp in the future (a service clock gone wrong) would otherwise carry the cursor
        there and hide every job that changes before that moment.
        """
        placed = [obs.summary for obs in observations if obs.summary.cursor_time is not None]
        done = [summary.cursor_time for summary in placed if summary.name in handled]
        left = [summary.cursor_time for summary in placed if summary.name not in handled]
        previous = cursor.after if cursor else None
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
            self._store.save_cursor(source.kind, Cursor(after=candidate), source.origin)

    def _count(self, report: TickReport, attribute: str) -> None:
        with self._lock:
            setattr(report, attribute, getattr(report, attribute) + 1)


def _error_text(error: Exception) -> str:
    """A read's error as an operator reads it; botocore's text names the code, the call and the message."""
    return f"{type(error).__name__}: {error}"


def _past(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() >= deadline


def _position(obs: Observation) -> datetime:
    """Where a job sits for the baseline: its place on the cursor, else its last change."""
    return obs.summary.cursor_time or obs.summary.last_modified


def _baseline_window(
    observations: list[Observation], overlap_seconds: int, now: datetime
) -> list[Observation]:
    """On the first tick, keep what later overlapping listings will show again; skip older history.

    Running jobs are all kept (they will change); finished ones only if a later tick's listing,
    which reaches back ``overlap_seconds`` before the cursor (never later than now), could still
    return them. Recording those silently is what stops them from looking new.
    """
    finished = [_position(obs) for obs in observations if is_terminal(obs.summary.status)]
    if not finished:
        return observations
    newest = min(max(_position(obs) for obs in observations), now)
    horizon = newest - timedelta(seconds=overlap_seconds * 2)
    return [obs for obs in observations if not is_terminal(obs.summary.status) or _position(obs) >= horizon]
