"""The outbox: every (job, status, channel) message owed, leased to one sender, sent, recorded.

A transition's messages are owed from the moment ``open_transition`` records it. Each send first
leases its message (``claim``), so overlapping ticks never send it twice; the outcome is recorded
(``mark_sent`` / ``mark_failed``) and a failed message is retried on later ticks until it is sent
or its attempts are spent. One channel failing never blocks another.

A channel that keeps threads returns the thread its message started; it is recorded with the job
before the message counts as sent, and each later claim hands it back to the channel.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from job_monitor.domain import TickReport
from job_monitor.ports import Delivery, DeliveryFailed, Notifier, StateStore
from job_monitor.settings import Settings

OUTBOX_BATCH = 100


class Outbox:
    """Sends owed messages through the notifiers; counts into the tick's report under ``lock``."""

    def __init__(
        self,
        *,
        store: StateStore,
        notifiers: Mapping[str, Notifier],
        settings: Settings,
        logger: logging.Logger | logging.LoggerAdapter,
        clock: Callable[[], datetime],
        lock: threading.Lock,
    ) -> None:
        self._store = store
        self._notifiers = notifiers
        self._settings = settings
        self._log = logger
        self._clock = clock
        self._lock = lock

    def send_owed(
        self, pool: ThreadPoolExecutor, report: TickReport, now: datetime, late: Callable[[], bool]
    ) -> None:
        """Retry messages earlier ticks could not send (channel outage, or a crash mid-delivery)."""
        owed = [
            d for d in self._store.due_deliveries(now=now, limit=OUTBOX_BATCH) if d.channel in self._notifiers
        ]
        futures = [pool.submit(self._send_unless_late, delivery, report, now, late) for delivery in owed]
        for future in futures:
            future.result()

    def _send_unless_late(
        self, delivery: Delivery, report: TickReport, now: datetime, late: Callable[[], bool]
    ) -> None:
        if late():
            self._count(report, "deferred")
            return
        try:
            self.send(delivery, report, now)
        except Exception:
            self._log.exception(
                "could not retry delivery; it stays owed",
                extra={
                    "job_name": delivery.job_name,
                    "job_kind": delivery.key.kind,
                    "channel": delivery.channel,
                },
            )
            self._count(report, "errors")

    def send(self, delivery: Delivery, report: TickReport, now: datetime) -> None:
        """Lease, send and record one message; a channel's failure is recorded, never raised."""
        context = {
            "job_name": delivery.job_name,
            "job_kind": delivery.key.kind,
            "status": delivery.status,
            "channel": delivery.channel,
        }
        claimed = self._store.claim(delivery, now=now, lease_seconds=self._settings.lease_seconds)
        if claimed is None:
            return
        try:
            thread = self._notifiers[delivery.channel].deliver(claimed.report, thread=claimed.thread)
        except Exception as error:  # one channel failing must never block the others
            self._record_failure(delivery, error, report, now, context)
            return
        if thread is not None and thread != claimed.thread:  # recorded before the message counts as sent
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

    def _count(self, report: TickReport, attribute: str) -> None:
        with self._lock:
            setattr(report, attribute, getattr(report, attribute) + 1)
