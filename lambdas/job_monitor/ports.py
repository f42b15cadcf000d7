"""The seams between the tick and the outside world; adapters implement them, tests swap them."""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from job_monitor.domain import HOME, INFERENCE_RECOMMENDER, JobKey, JobReport, JobSummary, KnownJob, Origin


@dataclass(frozen=True, kw_only=True)
class Observation:
    """A job to decide on, with the report when a describe call already produced one."""

    summary: JobSummary
    report: JobReport | None = None


class JobSource(Protocol):
    """One kind of SageMaker job, read-only: how to find what changed, and how to describe a job.

    Each kind's API filters differently, so each source owns its discovery: the monitor hands it
    the kind's cursor and, when ``confirms_running`` is true, the names of the jobs it tracks as
    running, and decides on whatever the source returns.
    """

    kind: str
    # True when ``changes`` learns the fate of every tracked running job it is given, so the
    # monitor need not reconcile them; false when its listing can miss a change (reconciled then).
    confirms_running: bool

    def changes(
        self, *, since: datetime | None, running: Collection[str], name_contains: str | None
    ) -> list[Observation]:
        """Every job that may have changed since ``since`` (None: the first run, every job).

        Each observation's ``summary.cursor_time`` places it on the kind's cursor; None leaves the
        cursor alone. Raises when a listing fails: the cursor then stays where it is.
        """
        ...

    def describe(self, name: str) -> JobReport | None:
        """The full description, or None when the job no longer exists.

        For an Inference Recommender job that COMPLETED or FAILED it also carries what its
        benchmark steps say, when they could be read in time; their absence never fails it.
        """
        ...


@dataclass(frozen=True, kw_only=True)
class Cursor:
    """Where a kind's discovery resumes: the newest cursor time fully processed (see JobSummary)."""

    after: datetime | None


@dataclass(frozen=True, kw_only=True)
class SourceHealth:
    """What the state table remembers of a source's failures; written only when a read fails and
    on the first good read after, so a healthy tick writes nothing for it.

    ``failing_since`` is set while the source fails: the first failed read of the current run of
    failures, ``failures`` how many reads in a row failed. ``last_error`` and ``fix`` are the last
    failure's, kept after recovery (``recovered_at``) as history.
    """

    failing_since: datetime | None = None
    failures: int = 0
    last_error: str | None = None
    fix: str | None = None
    last_failure_at: datetime | None = None
    recovered_at: datetime | None = None

    @property
    def failing(self) -> bool:
        return self.failing_since is not None


@dataclass(frozen=True, kw_only=True)
class SourceState:
    """A source's cursor (None before its first read) and its health (None if it never failed)."""

    cursor: Cursor | None
    health: SourceHealth | None = None


@dataclass(frozen=True, kw_only=True)
class Thread:
    """Where a channel keeps a job's conversation: the Slack channel ID and its parent message's ``ts``."""

    channel_id: str
    ts: str


@dataclass(frozen=True, kw_only=True)
class Delivery:
    """One (job, status, channel) message still owed, with the job's thread on that channel if any."""

    job_name: str
    status: str
    channel: str
    attempts: int
    report: JobReport
    thread: Thread | None = None

    @property
    def key(self) -> JobKey:
        return self.report.key


class StateStore(Protocol):
    """What the monitor remembers between ticks, with the conditional writes that make it exactly-once.

    Jobs are keyed by their full identity (JobKey); each source (a kind of job in one account and
    region, the function's own by default) has its own cursor.
    """

    def load_cursor(self, kind: str, origin: Origin = HOME) -> Cursor | None: ...

    def load_source(self, kind: str, origin: Origin = HOME) -> SourceState:
        """The source's cursor and health, in one request."""
        ...

    def save_cursor(self, kind: str, cursor: Cursor, origin: Origin = HOME) -> None:
        """Move the source's cursor; never backwards, whatever overlapping ticks do."""
        ...

    def record_source_failure(
        self, kind: str, origin: Origin, *, error: str, fix: str, now: datetime
    ) -> None:
        """Note a failed read of the source; touches no cursor and no other source."""
        ...

    def record_source_recovery(self, kind: str, origin: Origin, *, now: datetime) -> None:
        """Note the first good read after failures: the source is no longer failing."""
        ...

    def known_jobs(self, keys: Iterable[JobKey]) -> dict[JobKey, KnownJob]: ...

    def track(self, summary: JobSummary, *, previous: KnownJob | None, now: datetime) -> bool:
        """Record a status silently; False when another tick changed the record first."""
        ...

    def open_transition(
        self, report: JobReport, *, previous: KnownJob | None, channels: Iterable[str], now: datetime
    ) -> bool:
        """Record a notifiable status and owe one message per channel; False if another tick won."""
        ...

    def drop(self, key: JobKey) -> None: ...

    def due_deliveries(self, *, now: datetime, limit: int) -> list[Delivery]:
        """Messages owed and not leased by a running tick."""
        ...

    def claim(self, delivery: Delivery, *, now: datetime, lease_seconds: int) -> Delivery | None:
        """Lease one message for sending; None if it is sent, given up or leased elsewhere.

        The leased delivery carries the job's thread on its channel as recorded at that moment.
        """
        ...

    def record_thread(self, delivery: Delivery, thread: Thread) -> None:
        """Remember where the channel keeps the job's conversation, before the message counts as sent."""
        ...

    def mark_sent(self, delivery: Delivery, *, now: datetime) -> None: ...

    def mark_failed(
        self, delivery: Delivery, *, now: datetime, retry_at: datetime, give_up: bool, error: str
    ) -> None: ...

    def running_jobs(self, kind: str, origin: Origin = HOME) -> list[KnownJob]:
        """Every job of the source tracked as not yet finished."""
        ...

    def due_for_reconciliation(
        self, kind: str, *, checked_before: datetime, limit: int, origin: Origin = HOME
    ) -> list[KnownJob]:
        """The source's tracked running jobs whose status was last confirmed longest ago."""
        ...

    def mark_reconciled(self, key: JobKey, *, now: datetime) -> None: ...


# The longest wait a channel's hint may impose before the next attempt; hints come from the
# network (Slack's Retry-After) and are bounded here so that no hint can break date arithmetic.
MAX_RETRY_AFTER_SECONDS = 3600.0


@dataclass(frozen=True, kw_only=True)
class ChannelDelivery:
    """Where one channel's message about a job stands: ``pending``, ``sent`` or ``abandoned``."""

    channel: str
    state: str
    attempts: int
    last_error: str | None = None
    settled_at: str | None = None
    leased_until: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class JobRecord:
    """Everything the state table holds about one job, as an operator reads it."""

    name: str
    status: str
    last_modified: datetime | None
    updated_at: str | None
    running: bool
    kind: str = INFERENCE_RECOMMENDER
    notified_status: str | None = None
    deliveries: tuple[ChannelDelivery, ...] = ()
    report: JobReport | None = None
    origin: Origin = HOME

    @property
    def key(self) -> JobKey:
        return JobKey(self.kind, self.name, self.origin)


class OperatorStore(Protocol):
    """What ``jobwatch status`` and ``jobwatch retry-abandoned`` read and write; ticks never use it."""

    def load_source(self, kind: str, origin: Origin = HOME) -> SourceState: ...

    def job_records(self) -> list[JobRecord]:
        """Every job the table holds, with its deliveries; a full read, for an operator's command."""
        ...

    def requeue_abandoned(self, record: JobRecord, channel: str, *, report: JobReport, now: datetime) -> bool:
        """Owe an abandoned message again with a fresh attempt budget; False if it is no longer abandoned."""
        ...


class DeliveryFailed(Exception):
    """A channel refused or failed a message; ``retry_after`` is the channel's own hint in seconds.

    The hint is kept within 0..MAX_RETRY_AFTER_SECONDS (NaN is no hint at all).
    """

    def __init__(self, message: str, *, retry_after: float | None = None, permanent: bool = False) -> None:
        super().__init__(message)
        self.retry_after = _bounded(retry_after)
        self.permanent = permanent


def _bounded(seconds: float | None) -> float | None:
    if seconds is None or math.isnan(seconds):
        return None
    return min(max(0.0, float(seconds)), MAX_RETRY_AFTER_SECONDS)


class Notifier(Protocol):
    """One delivery channel. ``deliver`` raises DeliveryFailed; anything else is a bug.

    A channel that ``keeps_threads`` is owed a job's running status too (its thread's parent
    message); ``deliver`` then returns the thread it started, and is handed it back for the job's
    later statuses. Other channels ignore ``thread`` and return None.
    """

    channel: str
    keeps_threads: bool

    def deliver(self, report: JobReport, *, thread: Thread | None = None) -> Thread | None: ...


@runtime_checkable
class RoutedNotifier(Notifier, Protocol):
    """A channel whose messages go to one of several destinations: Slack's app mode, channels by route.

    An operator's test message reaches each destination, so a route to a channel that cannot take
    messages shows before a job needs it.
    """

    def destinations(self) -> Mapping[str, tuple[str, ...]]:
        """Each destination, the default first, with the route patterns that lead there."""
        ...

    def deliver_to(self, destination: str, report: JobReport) -> None:
        """One new message in ``destination``; raises DeliveryFailed like ``deliver``."""
        ...
