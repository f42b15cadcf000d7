"""Sources: one kind of job in one account and region, the unit discovery works on.

A kind's adapter knows its API, not where it runs; ``LocatedSource`` places it, stamping every job
it reports with its origin (for state, exactly-once and routing) and how messages name its account.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import datetime

from job_monitor.domain import HOME, JobReport, Origin, SourceKey
from job_monitor.ports import JobSource, Observation
from job_monitor.settings import Settings


@dataclass(frozen=True, kw_only=True)
class SourcePlace:
    """One source the settings watch: its key (cursor, state) and the account and region it reads."""

    key: SourceKey
    account: str
    region: str

    @property
    def name(self) -> str:
        """How logs, metrics and ``jobwatch status`` name the source: ``account/region/kind``."""
        return f"{self.account}/{self.region}/{self.key.kind}"


def watched_sources(settings: Settings, home_account: str) -> list[SourcePlace]:
    """Every (account, region, kind) the settings watch: the function's own account first, then ACCOUNTS."""
    origins = dict.fromkeys(
        Origin.of(account, region, home_account=home_account, home_region=settings.region)
        for account in ("", *settings.accounts)
        for region in settings.watched_regions
    )
    return [
        SourcePlace(
            key=SourceKey(kind, origin),
            account=origin.account or home_account,
            region=origin.region or settings.region,
        )
        for origin in origins
        for kind in settings.job_kinds
    ]


def _no_hint(error: Exception) -> str:
    return ""


class LocatedSource:
    """A JobSource read in one account and region (its client already points there)."""

    def __init__(
        self,
        source: JobSource,
        *,
        region: str,
        origin: Origin = HOME,
        account_name: Callable[[], str | None] = lambda: None,
        hint: Callable[[Exception], str] = _no_hint,
        name: str | None = None,
    ) -> None:
        self._source = source
        self.kind = source.kind
        self.confirms_running = source.confirms_running
        self.origin = origin
        self.region = region
        self.key = SourceKey(source.kind, origin)
        # How logs and metrics name the source: account/region/kind.
        self.name = name or f"{origin.account or 'own account'}/{region}/{source.kind}"
        self._account_name = account_name
        self.hint = hint

    def account_name(self) -> str | None:
        """How messages name the account; None when jobwatch watches only its own account and region."""
        return self._account_name()

    def changes(
        self, *, since: datetime | None, running: Collection[str], name_contains: str | None
    ) -> list[Observation]:
        return [
            Observation(
                summary=replace(obs.summary, origin=self.origin),
                report=None if obs.report is None else self._stamp(obs.report),
            )
            for obs in self._source.changes(since=since, running=running, name_contains=name_contains)
        ]

    def describe(self, name: str) -> JobReport | None:
        report = self._source.describe(name)
        return None if report is None else self._stamp(report)

    def _stamp(self, report: JobReport) -> JobReport:
        return replace(report, origin=self.origin, region=self.region, account_name=self.account_name())
