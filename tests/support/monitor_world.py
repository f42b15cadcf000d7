"""A Monitor over the state table in moto and a fake SageMaker, ticked by hand on a clock of its own.

The service's tests give it recording channels; the app mode's tests, the real Slack app notifier.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from job_monitor.adapters.dynamodb_state import DynamoStateStore
from job_monitor.domain import JobReport, TickReport
from job_monitor.ports import JobSource, Notifier
from job_monitor.service import Monitor
from job_monitor.settings import Settings

from tests.support.fakes import FakeJobSource, RecordingNotifier

START = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
TABLE = "jobwatch-state"
# What every deployment's function has, whichever Slack mode it runs.
BASE_ENVIRONMENT = {
    "STATE_TABLE_NAME": TABLE,
    "TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:summaries",
    "AWS_REGION": "us-east-1",
}


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def tick(self, minutes: float = 5) -> datetime:
        self.now += timedelta(minutes=minutes)
        return self.now


def settings(**overrides: str) -> Settings:
    """A webhook-mode deployment's settings; ``overrides`` replace or add environment variables."""
    return Settings.from_env(
        {
            **BASE_ENVIRONMENT,
            "SLACK_WEBHOOK_SECRET_NAME": "jobwatch/slack",
            "MAX_DELIVERY_ATTEMPTS": "3",
            **overrides,
        }
    )


class MonitorWorld:
    """Email recorded in memory, ``slack`` the Slack notifier each world brings, one job source."""

    slack: Notifier

    def __init__(self, settings: Settings) -> None:
        self.clock = Clock()
        self.source = FakeJobSource()
        self.email = RecordingNotifier("email")
        self.settings = settings
        self.store: Any = DynamoStateStore(boto3.client("dynamodb"), table_name=TABLE, ttl_days=90)

    def sources(self) -> list[JobSource]:
        return [self.source]

    def monitor(self) -> Monitor:
        return Monitor(
            sources=self.sources(),
            store=self.store,
            notifiers=[self.email, self.slack],
            settings=self.settings,
            logger=logging.getLogger("jobwatch-test"),
            clock=self.clock,
        )

    def tick(self, minutes: float = 5) -> TickReport:
        self.clock.tick(minutes)
        return self.monitor().run_tick()

    def job(
        self,
        name: str,
        status: str,
        *,
        minutes_ago: float = 1,
        source: FakeJobSource | None = None,
        **extra: Any,
    ) -> None:
        """A job of ``source`` (default: ``self.source``) last modified ``minutes_ago``, created
        half an hour before that; ``extra`` overrides any other field (``job_type`` is Default)."""
        at = self.clock.now - timedelta(minutes=minutes_ago)
        (source or self.source).put(
            JobReport(
                name=name,
                status=status,
                region="us-east-1",
                created_at=at - timedelta(minutes=30),
                last_modified=at,
                **({"job_type": "Default"} | extra),
            )
        )
