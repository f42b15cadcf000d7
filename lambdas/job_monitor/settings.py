"""Typed settings, read once per container from the function's environment.

Every variable is documented in the README ("Function environment"); the CDK construct in
``infra/`` is the only place that sets them in a deployment, and the end-to-end tests check
that both sides use the same names.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from job_monitor.adapters.slack import WebhookConfigError, validate_url
from job_monitor.domain import AI_RECOMMENDATION, INFERENCE_RECOMMENDER, JOB_KINDS, JobKey
from job_monitor.routing import SLACK_CHANNEL_ID, RouteError, SlackRouter, parse_routes

OBJECTIVES = ("cost", "latency", "throughput")
NOTIFY_STATUSES = ("COMPLETED", "FAILED", "STOPPED")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
SLACK_API_URL = "https://slack.com/api/"
# The patterns of the APIs the values go to (botocore's service models), so that a value the
# API would refuse on every tick is refused once, here, by name.
_TOPIC_ARN = re.compile(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?")
_NAME_CONTAINS = re.compile(r"[a-zA-Z0-9-]{1,63}")  # ListInferenceRecommendationsJobs NameContains
# The job-name patterns of each kind's describe call (RecommendationJobName, AIEntityName).
_JOB_NAME = {
    INFERENCE_RECOMMENDER: (re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,63}"), 64),
    AI_RECOMMENDATION: (re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"), 63),
}
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
_ACCOUNT = re.compile(r"\d{12}")
_ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}")  # IAM role names
DEFAULT_READER_ROLE_NAME = "jobwatch-reader"
_SECRET_NAME = re.compile(r"[A-Za-z0-9/_+=.@-]{1,512}")
_SECRET_ARN = re.compile(r"arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}")


class SettingsError(ValueError):
    """A variable is missing or malformed: the function cannot run until it is fixed."""


@dataclass(frozen=True, kw_only=True)
class Settings:
    state_table_name: str
    topic_arn: str | None
    slack_secret_name: str | None
    slack_bot_token_secret_name: str | None
    slack_router: SlackRouter | None  # app mode: where each job's thread goes
    slack_api_url: str
    name_contains: str | None
    job_names: tuple[JobKey, ...]
    job_kinds: tuple[str, ...]
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
    # The regions and member accounts watched besides the function's own (see sources()).
    regions: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    reader_role_name: str = DEFAULT_READER_ROLE_NAME

    @property
    def watched_regions(self) -> tuple[str, ...]:
        """REGIONS, or the function's own region when it is unset."""
        return self.regions or (self.region,)

    @property
    def many_sources(self) -> bool:
        """True when jobwatch watches more than its own account and region: messages then name both."""
        return bool(self.accounts) or self.watched_regions != (self.region,)

    @property
    def channels(self) -> tuple[str, ...]:
        """The delivery channels this deployment has configured, in delivery order."""
        enabled = []
        if self.topic_arn:
            enabled.append("email")
        if self.slack_secret_name or self.slack_bot_token_secret_name:
            enabled.append("slack")
        return tuple(enabled)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        reader = _Reader(env)
        secret_name = (
            lambda value: bool(_SECRET_NAME.fullmatch(value) or _SECRET_ARN.fullmatch(value)),
            "a secret name (up to 512 letters, digits and /_+=.@-) or a Secrets Manager secret ARN",
        )
        bot_token_secret_name = reader.matching("SLACK_BOT_TOKEN_SECRET_NAME", *secret_name)
        settings = cls(
            state_table_name=reader.required("STATE_TABLE_NAME"),
            topic_arn=_topic_arn(reader.optional("TOPIC_ARN")),
            slack_secret_name=reader.matching("SLACK_WEBHOOK_SECRET_NAME", *secret_name),
            slack_bot_token_secret_name=bot_token_secret_name,
            slack_router=_slack_router(reader, app_mode=bot_token_secret_name is not None),
            slack_api_url=_api_url(reader.optional("SLACK_API_URL")),
            name_contains=reader.matching(
                "NAME_CONTAINS",
                lambda value: bool(_NAME_CONTAINS.fullmatch(value)),
                "letters, digits and hyphens, at most 63 (the list API's NameContains)",
            ),
            job_names=reader.job_keys("JOB_NAMES"),
            job_kinds=reader.choices("JOB_KINDS", JOB_KINDS),
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
            regions=reader.patterned("REGIONS", _REGION, "region names such as eu-west-1"),
            accounts=reader.patterned("ACCOUNTS", _ACCOUNT, "12-digit account IDs"),
            reader_role_name=reader.matching(
                "READER_ROLE_NAME",
                lambda value: bool(_ROLE_NAME.fullmatch(value)),
                "an IAM role name (up to 64 letters, digits and +=,.@_-)",
            )
            or DEFAULT_READER_ROLE_NAME,
        )
        if settings.slack_secret_name and settings.slack_bot_token_secret_name:
            raise SettingsError(
                "SLACK_WEBHOOK_SECRET_NAME and SLACK_BOT_TOKEN_SECRET_NAME are both set: Slack's webhook "
                "mode and app mode are alternatives, unset one"
            )
        if not settings.channels:
            raise SettingsError(
                "no channel configured: set TOPIC_ARN, SLACK_WEBHOOK_SECRET_NAME or "
                "SLACK_BOT_TOKEN_SECRET_NAME (with SLACK_CHANNEL)"
            )
        if not settings.discover_jobs and not settings.job_names:
            raise SettingsError("DISCOVER_JOBS is false and JOB_NAMES is empty: there is nothing to watch")
        unwatched = sorted({str(key) for key in settings.job_names if key.kind not in settings.job_kinds})
        if unwatched:
            raise SettingsError(
                f"JOB_NAMES names jobs of a kind JOB_KINDS leaves out: {', '.join(unwatched)}; "
                f"add their kind to JOB_KINDS ({','.join(settings.job_kinds)})"
            )
        log_level(env)
        return settings


def log_level(env: Mapping[str, str] | None = None) -> str:
    """The Powertools log level, checked before the Logger reads it.

    Powertools reads ``POWERTOOLS_LOG_LEVEL``, then ``LOG_LEVEL``, when the handler module
    creates its Logger; an unknown level there fails the import with no variable named. The
    handler passes this value instead, so the error names the variable.
    """
    env = os.environ if env is None else env
    for name in ("POWERTOOLS_LOG_LEVEL", "LOG_LEVEL"):
        value = env.get(name, "").strip()
        if value:
            if value.upper() not in LOG_LEVELS:
                raise SettingsError(f"{name} must be one of {', '.join(LOG_LEVELS)}, got {value!r}")
            return value.upper()
    return "INFO"


def service_name(env: Mapping[str, str] | None = None) -> str:
    """The ``service`` of the function's metrics and log lines: the stack's name, which it sets in
    ``POWERTOOLS_SERVICE_NAME`` so two deployments in one account and region keep their metrics
    apart; ``jobwatch`` when unset."""
    env = os.environ if env is None else env
    return env.get("POWERTOOLS_SERVICE_NAME", "").strip() or "jobwatch"


def _slack_router(reader: _Reader, *, app_mode: bool) -> SlackRouter | None:
    """App mode's routes; SLACK_CHANNEL is its default and required, and useless without it."""
    channel = reader.matching(
        "SLACK_CHANNEL",
        lambda value: bool(SLACK_CHANNEL_ID.fullmatch(value)),
        "a Slack channel ID (C, G or D then 8 to 12 upper-case letters and digits, as in the channel's details)",
    )
    routes_text = reader.optional("SLACK_ROUTES")
    try:
        routes = parse_routes(routes_text)
    except RouteError as error:
        raise SettingsError(f"SLACK_ROUTES: {error}") from None
    if not app_mode:
        if channel or routes:
            raise SettingsError(
                "SLACK_CHANNEL and SLACK_ROUTES are for Slack's app mode: set SLACK_BOT_TOKEN_SECRET_NAME too"
            )
        return None
    if channel is None:
        raise SettingsError(
            "SLACK_CHANNEL is required with SLACK_BOT_TOKEN_SECRET_NAME: the default channel ID"
        )
    return SlackRouter(default_channel=channel, routes=routes)


def _api_url(value: str | None) -> str:
    if value is None:
        return SLACK_API_URL
    try:
        return validate_url(value, what="SLACK_API_URL")
    except WebhookConfigError as error:
        raise SettingsError(str(error)) from None


def _topic_arn(value: str | None) -> str | None:
    if value is None:
        return None
    match = _TOPIC_ARN.fullmatch(value)
    if match is None:
        raise SettingsError(
            f"TOPIC_ARN must be an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<name>), got {value!r}"
        )
    if match.group(1):
        raise SettingsError("TOPIC_ARN names a FIFO topic; jobwatch publishes to a standard topic")
    return value


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

    def job_keys(self, name: str) -> tuple[JobKey, ...]:
        """``name`` (an Inference Recommender job) or ``kind/name``, comma-separated."""
        keys = []
        for part in self.listed(name):
            try:
                key = JobKey.parse(part)
            except ValueError as error:
                raise SettingsError(f"{name}: {error}") from None
            kind = key.kind
            pattern, longest = _JOB_NAME[kind]
            if not pattern.fullmatch(key.name):
                raise SettingsError(
                    f"{name}: {part!r} is not a valid job name for {kind} (letters, digits and single or "
                    f"repeated hyphens between them, at most {longest})"
                )
            keys.append(key)
        return tuple(dict.fromkeys(keys))

    def choices(self, name: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
        """A comma-separated subset of ``allowed``, in the given order; unset means all of them."""
        chosen = self.listed(name) or allowed
        unknown = [item for item in chosen if item not in allowed]
        if unknown:
            raise SettingsError(f"{name} must list some of {', '.join(allowed)}, got {', '.join(unknown)}")
        return tuple(dict.fromkeys(chosen))

    def patterned(self, name: str, pattern: re.Pattern[str], expected: str) -> tuple[str, ...]:
        """A comma-separated list whose every entry matches ``pattern``."""
        values = self.listed(name)
        wrong = [value for value in values if not pattern.fullmatch(value)]
        if wrong:
            raise SettingsError(f"{name} must list {expected}, got {', '.join(map(repr, wrong))}")
        return values

    def listed(self, name: str) -> tuple[str, ...]:
        raw = self.optional(name) or ""
        return tuple(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))

    def matching(self, name: str, accepts: Callable[[str], bool], expected: str) -> str | None:
        value = self.optional(name)
        if value is not None and not accepts(value):
            raise SettingsError(f"{name} must be {expected}, got {value!r}")
        return value

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
