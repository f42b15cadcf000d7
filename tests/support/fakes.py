"""In-memory stand-ins for the JobSource and Notifier ports, with scriptable failures."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime

from job_monitor.domain import INFERENCE_RECOMMENDER, JobReport, JobSummary
from job_monitor.ports import DeliveryFailed, Observation, Thread


class FakeJobSource:
    """Jobs of one kind held as JobReports; ``fail_describe`` / ``fail_list`` raise like a throttled API.

    It discovers like the Inference Recommender adapter: one listing by last modification.
    """

    confirms_running = False

    def __init__(self, kind: str = INFERENCE_RECOMMENDER) -> None:
        self.kind = kind
        self.jobs: dict[str, JobReport] = {}
        self.fail_describe: set[str] = set()
        self.fail_list = False
        self.calls: list[str] = []

    def put(self, report: JobReport) -> None:
        self.jobs[report.name] = replace(report, kind=self.kind)

    def move(self, name: str, status: str, at: datetime, **changes: object) -> None:
        self.jobs[name] = replace(self.jobs[name], status=status, last_modified=at, **changes)

    def changes(
        self, *, since: datetime | None, running: Collection[str], name_contains: str | None
    ) -> list[Observation]:
        return [
            Observation(summary=replace(summary, cursor_time=summary.last_modified))
            for summary in self.list_jobs(modified_after=since, name_contains=name_contains)
        ]

    def list_jobs(
        self, *, modified_after: datetime | None, name_contains: str | None
    ) -> Iterator[JobSummary]:
        self.calls.append("list")
        if self.fail_list:
            raise RuntimeError("ThrottlingException")
        for report in sorted(self.jobs.values(), key=lambda job: job.name):
            summary = report.summary()
            if modified_after is not None and summary.last_modified <= modified_after:
                continue
            if name_contains and name_contains not in report.name:
                continue
            yield summary

    def describe(self, name: str) -> JobReport | None:
        self.calls.append(f"describe:{name}")
        if name in self.fail_describe:
            raise RuntimeError("ThrottlingException")
        return self.jobs.get(name)


@dataclass
class RecordingNotifier:
    """Records delivered reports; ``failures`` queues DeliveryFailed to raise on the next calls."""

    channel: str
    delivered: list[JobReport] = field(default_factory=list)
    failures: list[DeliveryFailed] = field(default_factory=list)
    down: bool = False
    keeps_threads = False

    def deliver(self, report: JobReport, *, thread: Thread | None = None) -> None:
        if self.down:
            raise DeliveryFailed(f"{self.channel} is down")
        if self.failures:
            raise self.failures.pop(0)
        self.delivered.append(report)

    def keys(self) -> list[tuple[str, str]]:
        return [(report.name, report.status) for report in self.delivered]
