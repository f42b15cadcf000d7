"""Typed settings, read once per container from the function's environment.

Every variable is documented in the README ("Function environment"); the CDK construct in
``infra/`` is the only place that sets them in a deployment, and the end-to-end tests check
that both sides use the same names.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

OBJECTIVES = ("cost", "latency", "throughput")
NOTIFY_STATUSES = ("COMPLETED", "FAILED", "STOPPED")


class SettingsError(ValueError):
    """A variable is missing or malformed: the function cannot run until it is fixed."""


@dataclass(frozen=True, kw_only=True)
class Settings:
    state_table_name: str
    topic_arn: str | None
    slack_secret_name: str | None
    name_contains: str | None
    job_names: tuple[str, ...]
    discover_jobs: bool
    objective: str
    top_recommendations: int
    chatbot_format: bool
    notify_started: bool
    max_delivery_attempts: int
    list_overlap_seconds: int
    reconcile_batch_size: int
    reconcile_interval_seconds: int
    describe_concurrency: int
    record_ttl_days: int
    tick_safety_margin_seconds: int
    lease_seconds: int
    region: str

    @property
    def channels(self) -> tuple[str, ...]:
        """The delivery channels this deployment has configured, in delivery order."""
        enabled = []
        if self.topic_arn:
            enabled.append("email")
        if self.slack_secret_name:
            enabled.append("slack")
        return tuple(enabled)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        reader = _Reader(env)
        settings = cls(
            state_table_name=reader.required("STATE_TABLE_NAME"),
            topic_arn=reader.optional("TOPIC_ARN"),
            slack_secret_name=reader.optional("SLACK_WEBHOOK_SECRET_NAME"),
            name_contains=reader.optional("NAME_CONTAINS"),
            job_names=reader.names("JOB_NAMES"),
            discover_jobs=reader.flag("DISCOVER_JOBS", default=True),
            objective=reader.choice("RANKING_OBJECTIVE", OBJECTIVES, default="cost"),
            top_recommendations=reader.integer("TOP_RECOMMENDATIONS", default=3, low=1, high=10),
            chatbot_format=reader.flag("CHATBOT_FORMAT", default=False),
            notify_started=reader.flag("NOTIFY_STARTED", default=False),
            max_delivery_attempts=reader.integer("MAX_DELIVERY_ATTEMPTS", default=24, low=1, high=1000),
            list_overlap_seconds=reader.integer("LIST_OVERLAP_SECONDS", default=900, low=0, high=86400),
            reconcile_batch_size=reader.integer("RECONCILE_BATCH_SIZE", default=10, low=0, high=100),
            reconcile_interval_seconds=reader.integer(
                "RECONCILE_INTERVAL_SECONDS", default=1800, low=60, high=7 * 86400
            ),
            describe_concurrency=reader.integer("DESCRIBE_CONCURRENCY", default=8, low=1, high=32),
            record_ttl_days=reader.integer("RECORD_TTL_DAYS", default=90, low=1, high=3650),
            tick_safety_margin_seconds=reader.integer(
                "TICK_SAFETY_MARGIN_SECONDS", default=15, low=1, high=600
            ),
            lease_seconds=reader.integer("DELIVERY_LEASE_SECONDS", default=900, low=30, high=86400),
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        )
        if not settings.channels:
            raise SettingsError("no channel configured: set TOPIC_ARN, SLACK_WEBHOOK_SECRET_NAME or both")
        if not settings.discover_jobs and not settings.job_names:
            raise SettingsError("DISCOVER_JOBS is false and JOB_NAMES is empty: there is nothing to watch")
        return settings


class _Reader:
    """Parses one environment, naming the variable in every error."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def optional(self, name: str) -> str | None:
        value = self._env.get(name, "").strip()
        return value or None

    def required(self, name: str) -> str:
        value = self.optional(name)
        if value is None:
            raise SettingsError(f"{name} is required")
        return value

    def names(self, name: str) -> tuple[str, ...]:
        raw = self.optional(name) or ""
        return tuple(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))

    def flag(self, name: str, *, default: bool) -> bool:
        value = self.optional(name)
        if value is None:
            return default
        lowered = value.lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
        raise SettingsError(f"{name} must be true or false, got {value!r}")

    def choice(self, name: str, allowed: tuple[str, ...], *, default: str) -> str:
        value = (self.optional(name) or default).lower()
        if value not in allowed:
            raise SettingsError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
        return value

    def integer(self, name: str, *, default: int, low: int, high: int) -> int:
        value = self.optional(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise SettingsError(f"{name} must be a whole number, got {value!r}") from None
        if not low <= number <= high:
            raise SettingsError(f"{name} must be between {low} and {high}, got {number}")
        return number
