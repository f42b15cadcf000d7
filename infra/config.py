"""The monitor's deployment settings: typed, validated at synth time, read from CDK context.

Each field of ``MonitorProps`` is also the name of the context key that sets it, so every error
names the key to fix (``cdk deploy -c notify_emails=...``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

NOTIFIABLE_STATUSES = ("COMPLETED", "FAILED", "STOPPED", "IN_PROGRESS")
OBJECTIVES = ("cost", "latency", "throughput")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[A-Za-z]{2,}$")
_SECRET_NAME = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")
_JOB_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,63}$")
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\(\S+ \S+ \S+ \S+ \S+ \S+\)$")


class ConfigError(ValueError):
    """A context value is wrong; the message names the key and says what would be right."""


@dataclass(frozen=True, kw_only=True)
class MonitorProps:
    """What a JobStatusMonitor needs; validated on construction, so embedders get the same checks."""

    notify_emails: tuple[str, ...] = ()
    slack_webhook_secret_name: str | None = None
    schedule: str = "rate(5 minutes)"
    email_statuses: tuple[str, ...] = ()
    name_contains: str | None = None
    job_names: tuple[str, ...] = ()
    discover_jobs: bool = True
    objective: str = "cost"
    top_n: int = 3
    chatbot_format: bool = False
    notify_started: bool = False
    max_delivery_attempts: int = 24
    log_level: str = "INFO"
    alarm_emails: tuple[str, ...] | None = None  # None: the notify_emails addresses
    reserved_concurrency: int | None = None

    def __post_init__(self) -> None:
        for address in (*self.notify_emails, *(self.alarm_emails or ())):
            if not _EMAIL.match(address):
                key = "notify_emails" if address in self.notify_emails else "alarm_emails"
                raise ConfigError(f"{key}: {address!r} is not an email address")
        if self.slack_webhook_secret_name is not None and not _SECRET_NAME.match(
            self.slack_webhook_secret_name
        ):
            raise ConfigError(
                "slack_webhook_secret_name: must be the name of an existing Secrets Manager secret "
                f"(letters, digits and /_+=.@-), got {self.slack_webhook_secret_name!r}"
            )
        if not self.notify_emails and not self.slack_webhook_secret_name:
            raise ConfigError(
                "no channel configured: set notify_emails (comma-separated addresses), "
                "slack_webhook_secret_name (a Secrets Manager secret holding the webhook URL), or both"
            )
        _check_schedule(self.schedule)
        for status in self.email_statuses:
            if status not in NOTIFIABLE_STATUSES:
                raise ConfigError(
                    f"email_statuses: {status!r} is not one of {', '.join(NOTIFIABLE_STATUSES)}"
                )
        if self.email_statuses and not self.notify_emails:
            raise ConfigError("email_statuses: set notify_emails too, it filters their subscriptions")
        for name in self.job_names:
            if not _JOB_NAME.match(name):
                raise ConfigError(f"job_names: {name!r} is not a valid Inference Recommender job name")
        if not self.discover_jobs and not self.job_names:
            raise ConfigError("discover_jobs: false watches only job_names, which is empty")
        if self.objective not in OBJECTIVES:
            raise ConfigError(f"objective: must be one of {', '.join(OBJECTIVES)}, got {self.objective!r}")
        _check_range("top_n", self.top_n, 1, 10)
        _check_range("max_delivery_attempts", self.max_delivery_attempts, 1, 1000)
        if self.reserved_concurrency is not None:
            _check_range("reserved_concurrency", self.reserved_concurrency, 1, 10)
        if self.log_level not in LOG_LEVELS:
            raise ConfigError(f"log_level: must be one of {', '.join(LOG_LEVELS)}, got {self.log_level!r}")

    @property
    def alarm_addresses(self) -> tuple[str, ...]:
        return self.notify_emails if self.alarm_emails is None else self.alarm_emails


def _check_range(key: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise ConfigError(f"{key}: must be between {low} and {high}, got {value}")


def _check_schedule(schedule: str) -> None:
    rate = _RATE.match(schedule)
    if rate:
        amount, unit = int(rate.group(1)), rate.group(2)
        if amount < 1 or (amount == 1) != (not unit.endswith("s")):
            raise ConfigError(
                f"schedule: {schedule!r} is not a valid rate (e.g. rate(1 minute), rate(5 minutes))"
            )
        return
    if not _CRON.match(schedule):
        raise ConfigError(
            f"schedule: {schedule!r} is neither rate(N minutes|hours|days), cron(six fields) nor a number of minutes"
        )


def normalise_schedule(value: str) -> str:
    """Accept a bare number of minutes as well as EventBridge's own expressions."""
    value = value.strip()
    if value.isdigit():
        minutes = int(value)
        if minutes < 1:
            raise ConfigError("schedule: the number of minutes must be at least 1")
        return f"rate({minutes} {'minute' if minutes == 1 else 'minutes'})"
    return value


def _text(key: str, value: Any) -> str:
    if not isinstance(value, str | int | float | bool):
        raise ConfigError(f"{key}: expected text, got {type(value).__name__}")
    return str(value).strip()


def _list(key: str, value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list | tuple) else _text(key, value).split(",")
    return tuple(dict.fromkeys(str(item).strip() for item in items if str(item).strip()))


def _flag(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(key, value).lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise ConfigError(f"{key}: must be true or false, got {value!r}")


def _number(key: str, value: Any) -> int:
    try:
        return int(_text(key, value))
    except ValueError:
        raise ConfigError(f"{key}: must be a whole number, got {value!r}") from None


def _secret_name(key: str, value: Any) -> str:
    text = _text(key, value)
    if not text:
        raise ConfigError(f"{key}: is empty; name an existing Secrets Manager secret, or leave the key out")
    return text


_PARSERS: dict[str, Callable[[str, Any], Any]] = {
    "notify_emails": _list,
    "slack_webhook_secret_name": _secret_name,
    "schedule": lambda key, value: normalise_schedule(_text(key, value)),
    "email_statuses": lambda key, value: tuple(item.upper() for item in _list(key, value)),
    "name_contains": lambda key, value: _text(key, value) or None,
    "job_names": _list,
    "discover_jobs": _flag,
    "objective": lambda key, value: _text(key, value).lower(),
    "top_n": _number,
    "chatbot_format": _flag,
    "notify_started": _flag,
    "max_delivery_attempts": _number,
    "log_level": lambda key, value: _text(key, value).upper(),
    "alarm_emails": _list,
    "reserved_concurrency": _number,
}
CONTEXT_KEYS = tuple(field.name for field in fields(MonitorProps))
assert set(_PARSERS) == set(CONTEXT_KEYS), "every MonitorProps field is a context key"


def props_from_context(get: Callable[[str], Any]) -> MonitorProps:
    """Build MonitorProps from ``app.node.try_get_context``; unset keys keep their defaults."""
    values = {}
    for key in CONTEXT_KEYS:
        raw = get(key)
        if raw is not None:
            values[key] = _PARSERS[key](key, raw)
    return MonitorProps(**values)
