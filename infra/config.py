"""The monitor's deployment settings: typed, validated at synth time, read from CDK context.

Each field of ``MonitorProps`` is also the name of the context key that sets it, so every error
names the key to fix (``cdk deploy -c notify_emails=...``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from infra.schedule import schedule_problem

NOTIFIABLE_STATUSES = ("COMPLETED", "FAILED", "STOPPED", "IN_PROGRESS")
OBJECTIVES = ("cost", "latency", "throughput")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[A-Za-z]{2,}$")
_SECRET_NAME = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")
# The kinds of job the function can watch (lambdas/job_monitor/domain.py JOB_KINDS), and the
# job-name pattern of each kind's describe call (botocore's model).
JOB_KINDS = ("inference-recommender", "ai-recommendation")
_JOB_NAME = {
    "inference-recommender": re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,63}"),
    "ai-recommendation": re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"),
}
# A Slack conversation ID (C public, G private, D direct), as the channel's details show it
_SLACK_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{8,12}")
# A route's pattern: a glob on the job name, or ACCOUNT/REGION/NAME, each part made of its own
# characters plus * ? [...] (lambdas/job_monitor/routing.py matches them)
_ROUTE_PARTS = (
    ("account", re.compile(r"[0-9*?\[\]!-]{1,12}"), "digits", 12),
    ("region", re.compile(r"[a-z0-9*?\[\]!-]{1,32}"), "region-name characters", 32),
    ("name", re.compile(r"[A-Za-z0-9*?\[\]!-]{1,64}"), "job-name characters", 64),
)
# ListInferenceRecommendationsJobs' NameContains: pattern [a-zA-Z0-9\-]+, at most 63 (botocore's model)
_NAME_CONTAINS = re.compile(r"[a-zA-Z0-9-]{1,63}")
# Lambda's LayerVersionArn, the published form (botocore's model), for powertools_layer_arn
_LAYER_VERSION_ARN = re.compile(
    r"arn:aws[a-zA-Z-]*:lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d:\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+"
)
# A KMS key ARN (not an alias: IAM policies grant on keys); key ids are UUIDs or mrk-<hex>
_KMS_KEY_ARN = re.compile(r"arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:\d{12}:key/[a-zA-Z0-9-]+")
# The places a deployment watches: regions, member accounts, the role it assumes in them, and the
# organizational units a StackSet deploys that role to (CloudFormation's OrganizationalUnitIds pattern).
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
_ACCOUNT = re.compile(r"\d{12}")
_ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}")
_ORG_UNIT = re.compile(r"r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}")
DEFAULT_READER_ROLE_NAME = "jobwatch-reader"
# CloudFormation's CallAs for the StackSet: SELF from the organization's management account,
# DELEGATED_ADMIN from a member account registered as a delegated administrator for StackSets
STACKSET_CALLERS = ("SELF", "DELEGATED_ADMIN")
CREATE_KEY = "create"
NO_ALARM_EMAIL = "none"
# A context key in jobwatch's own style; CDK's keys (@aws-cdk/..., aws:cdk:..., lookups) never look like this
_OWN_STYLE_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_HYPHENATED_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")  # notify-emails: checked only if close to a key


class ConfigError(ValueError):
    """A context value is wrong; the message names the key and says what would be right."""


@dataclass(frozen=True, kw_only=True)
class MonitorProps:
    """What a JobStatusMonitor needs; validated on construction, so embedders get the same checks."""

    notify_emails: tuple[str, ...] = ()
    slack_webhook_secret_name: str | None = None
    slack_bot_token_secret_name: str | None = None  # Slack's app mode: one thread per job
    slack_channel: str | None = None  # app mode: the default channel ID
    slack_routes: tuple[tuple[str, str], ...] = ()  # app mode: ordered (pattern, channel ID), see README
    schedule: str = "rate(5 minutes)"
    email_statuses: tuple[str, ...] = ()
    name_contains: str | None = None
    job_names: tuple[str, ...] = ()
    job_kinds: tuple[str, ...] = JOB_KINDS
    discover_jobs: bool = True
    objective: str = "cost"
    top_n: int = 3
    chatbot_format: bool = False
    notify_started: bool = False
    max_delivery_attempts: int = 24
    log_level: str = "INFO"
    alarm_emails: tuple[str, ...] | None = None  # None: the notify_emails addresses; (): no one, on purpose
    reserved_concurrency: int | None = None
    powertools_layer_arn: str | None = None  # None: the public SSM parameter for POWERTOOLS_VERSION
    slack_secret_kms_key_arn: str | None = None  # the customer-managed key the Slack secret is encrypted with
    kms_key: str | None = None  # None: AWS-managed encryption at rest; "create" or a key ARN: that key
    regions: tuple[str, ...] = ()  # (): the stack's own region
    accounts: tuple[str, ...] = ()  # member accounts read through their reader role
    reader_role_name: str = DEFAULT_READER_ROLE_NAME
    reader_org_units: tuple[str, ...] = ()  # a service-managed StackSet deploys the reader role there
    reader_stackset_call_as: str | None = None  # None: CloudFormation's default, SELF

    def __post_init__(self) -> None:
        for address in (*self.notify_emails, *(self.alarm_emails or ())):
            if not _EMAIL.match(address):
                key = "notify_emails" if address in self.notify_emails else "alarm_emails"
                raise ConfigError(f"{key}: {address!r} is not an email address")
        for key in ("slack_webhook_secret_name", "slack_bot_token_secret_name"):
            value = getattr(self, key)
            if value is not None and not _SECRET_NAME.match(value):
                raise ConfigError(
                    f"{key}: must be the name of an existing Secrets Manager secret "
                    f"(letters, digits and /_+=.@-), got {value!r}"
                )
        if not self.notify_emails and not self.slack_secret_name:
            raise ConfigError(
                "no channel configured: set notify_emails (comma-separated addresses), "
                "slack_webhook_secret_name (a Secrets Manager secret holding the webhook URL) or "
                "slack_bot_token_secret_name with slack_channel (Slack's app mode), or email and one Slack mode"
            )
        self._check_slack_app()
        self._check_alarm_recipients()
        problem = schedule_problem(self.schedule)
        if problem:
            raise ConfigError(f"schedule: {self.schedule!r}: {problem}")
        if self.name_contains is not None and not _NAME_CONTAINS.fullmatch(self.name_contains):
            raise ConfigError(
                "name_contains: the list API accepts only letters, digits and hyphens, at most 63 "
                f"(Inference Recommender job names cannot contain anything else), got {self.name_contains!r}"
            )
        for status in self.email_statuses:
            if status not in NOTIFIABLE_STATUSES:
                raise ConfigError(
                    f"email_statuses: {status!r} is not one of {', '.join(NOTIFIABLE_STATUSES)}"
                )
        if self.email_statuses and not self.notify_emails:
            raise ConfigError("email_statuses: set notify_emails too, it filters their subscriptions")
        self._check_kinds()
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
        self._check_keys()
        self._check_sources()

    @property
    def many_sources(self) -> bool:
        """True when the deployment watches more than its own account and region."""
        return bool(self.regions or self.accounts)

    def _check_sources(self) -> None:
        for key, values, pattern, expected in (
            ("regions", self.regions, _REGION, "a region name such as eu-west-1"),
            ("accounts", self.accounts, _ACCOUNT, "a 12-digit account ID"),
            (
                "reader_org_units",
                self.reader_org_units,
                _ORG_UNIT,
                "an organizational unit ID (ou-...) or root ID (r-...)",
            ),
        ):
            for value in values:
                if not pattern.fullmatch(value):
                    raise ConfigError(f"{key}: {value!r} is not {expected}")
        if not _ROLE_NAME.fullmatch(self.reader_role_name):
            raise ConfigError(
                f"reader_role_name: must be an IAM role name (up to 64 letters, digits and +=,.@_-), "
                f"got {self.reader_role_name!r}"
            )
        if self.reader_org_units and not self.accounts:
            raise ConfigError(
                "reader_org_units: deploys the reader role, but accounts lists no member account to read; "
                "list the accounts whose jobs jobwatch watches"
            )
        self._check_stackset_call_as()

    def _check_stackset_call_as(self) -> None:
        """Who creates the StackSet matters only when there is one; a stray key is a mistake to name."""
        call_as = self.reader_stackset_call_as
        if call_as is None:
            return
        if call_as not in STACKSET_CALLERS:
            raise ConfigError(
                f"reader_stackset_call_as: must be one of {', '.join(STACKSET_CALLERS)} (SELF from the "
                f"organization's management account, DELEGATED_ADMIN from a delegated administrator "
                f"account for StackSets), got {call_as!r}"
            )
        if not self.reader_org_units:
            raise ConfigError(
                "reader_stackset_call_as: says who creates the reader StackSet, but reader_org_units names "
                "no organizational unit, so there is none; set reader_org_units too, or leave the key out"
            )

    def _check_kinds(self) -> None:
        if not self.job_kinds:
            raise ConfigError(f"job_kinds: is empty; name one or more of {', '.join(JOB_KINDS)}")
        for kind in self.job_kinds:
            if kind not in JOB_KINDS:
                raise ConfigError(f"job_kinds: {kind!r} is not one of {', '.join(JOB_KINDS)}")
        for entry in self.job_names:
            kind, _, name = entry.rpartition("/")
            kind = kind or "inference-recommender"
            if kind not in JOB_KINDS:
                raise ConfigError(
                    f"job_names: {entry!r} names an unknown kind {kind!r}; known: {', '.join(JOB_KINDS)}"
                )
            if kind not in self.job_kinds:
                raise ConfigError(f"job_names: {entry!r} is a {kind} job, a kind job_kinds leaves out")
            if not _JOB_NAME[kind].fullmatch(name):
                raise ConfigError(f"job_names: {entry!r} is not a valid {kind} job name")

    @property
    def slack_secret_name(self) -> str | None:
        """The one Slack secret the function may read, whichever mode is configured."""
        return self.slack_webhook_secret_name or self.slack_bot_token_secret_name

    def _check_slack_app(self) -> None:
        if self.slack_webhook_secret_name and self.slack_bot_token_secret_name:
            raise ConfigError(
                "slack_bot_token_secret_name: Slack's app mode replaces the webhook; set it or "
                "slack_webhook_secret_name, not both"
            )
        if not self.slack_bot_token_secret_name:
            if self.slack_channel or self.slack_routes:
                key = "slack_channel" if self.slack_channel else "slack_routes"
                raise ConfigError(f"{key}: is for Slack's app mode; set slack_bot_token_secret_name too")
            return
        if not self.slack_channel:
            raise ConfigError(
                "slack_channel: required with slack_bot_token_secret_name: the channel ID a job goes to "
                "when no route matches (C0123ABCDEF, from the channel's details)"
            )
        for channel in (self.slack_channel, *(channel for _, channel in self.slack_routes)):
            if not _SLACK_CHANNEL_ID.fullmatch(channel):
                key = "slack_channel" if channel == self.slack_channel else "slack_routes"
                raise ConfigError(
                    f"{key}: {channel!r} is not a Slack channel ID (C, G or D then 8 to 12 upper-case "
                    "letters and digits, as the channel's details show it; not its name)"
                )
        patterns = [pattern for pattern, _ in self.slack_routes]
        for pattern in patterns:
            _check_route_pattern(pattern)
            if patterns.count(pattern) > 1:
                raise ConfigError(
                    f"slack_routes: the pattern {pattern!r} has two rules; only the first would ever match"
                )

    def _check_alarm_recipients(self) -> None:
        """Alarms that email no one must be a decision, not a fallback to an empty notify_emails."""
        if self.alarm_emails is None and not self.notify_emails:
            raise ConfigError(
                "alarm_emails: the operations alarms would email no one (notify_emails is empty, so "
                "there is no default): set alarm_emails=oncall@example.com, or alarm_emails=none if "
                "you watch the alarms another way"
            )

    def _check_keys(self) -> None:
        if self.powertools_layer_arn is not None and not _LAYER_VERSION_ARN.fullmatch(
            self.powertools_layer_arn
        ):
            raise ConfigError(
                "powertools_layer_arn: must be a Lambda layer version ARN, "
                "arn:<partition>:lambda:<region>:<account>:layer:<name>:<version>, "
                f"got {self.powertools_layer_arn!r}"
            )
        if self.slack_secret_kms_key_arn is not None:
            if not self.slack_secret_name:
                raise ConfigError(
                    "slack_secret_kms_key_arn: set slack_webhook_secret_name or slack_bot_token_secret_name "
                    "too, it is that secret's key"
                )
            _check_key_arn("slack_secret_kms_key_arn", self.slack_secret_kms_key_arn)
        if self.kms_key is not None and self.kms_key != CREATE_KEY:
            _check_key_arn("kms_key", self.kms_key, alternative=f"or {CREATE_KEY!r}")

    @property
    def alarm_addresses(self) -> tuple[str, ...]:
        return self.notify_emails if self.alarm_emails is None else self.alarm_emails


def _check_route_pattern(pattern: str) -> None:
    """A glob on the job name (any account and region), or three globs ACCOUNT/REGION/NAME."""
    parts = pattern.split("/")
    if len(parts) not in (1, 3):
        raise ConfigError(
            f"slack_routes: {pattern!r} has {len(parts)} parts; a pattern with '/' is ACCOUNT/REGION/NAME, "
            "each a glob (* for any)"
        )
    for (part_name, allowed, described, longest), part in zip(
        _ROUTE_PARTS[-len(parts) :], parts, strict=True
    ):
        if not allowed.fullmatch(part):
            where = f"{pattern!r}" if len(parts) == 1 else f"the {part_name} part {part!r} of {pattern!r}"
            raise ConfigError(
                f"slack_routes: {where} may hold only {described} and the globs * ? [...], at most {longest}"
            )


def _check_key_arn(key: str, value: str, *, alternative: str = "") -> None:
    if not _KMS_KEY_ARN.fullmatch(value):
        raise ConfigError(
            f"{key}: must be a KMS key ARN, arn:<partition>:kms:<region>:<account>:key/<key id> "
            f"(not an alias){' ' + alternative if alternative else ''}, got {value!r}"
        )


def _check_range(key: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise ConfigError(f"{key}: must be between {low} and {high}, got {value}")


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


def _routes(key: str, value: Any) -> tuple[tuple[str, str], ...]:
    """``bert-*=C0BERT0TEAM,*/eu-west-1/*=C0EUROPE01``: ordered ``pattern=channel ID`` rules."""
    routes = []
    for rule in _list(key, value):
        pattern, separator, channel = (piece.strip() for piece in rule.partition("="))
        if not separator or not pattern or not channel:
            raise ConfigError(f"{key}: {rule!r} is not a rule of the form pattern=channelID")
        routes.append((pattern, channel))
    return tuple(routes)


def _number(key: str, value: Any) -> int:
    try:
        return int(_text(key, value))
    except ValueError:
        raise ConfigError(f"{key}: must be a whole number, got {value!r}") from None


def _alarm_emails(key: str, value: Any) -> tuple[str, ...]:
    """Addresses, or ``none``: the explicit choice of alarms that email no one."""
    if isinstance(value, str) and value.strip().lower() == NO_ALARM_EMAIL:
        return ()
    addresses = _list(key, value)
    if not addresses:
        raise ConfigError(
            f"{key}: is empty; give addresses, or {NO_ALARM_EMAIL} for alarms that email no one"
        )
    return addresses


def _optional_text(key: str, value: Any) -> str:
    text = _text(key, value)
    if not text:
        raise ConfigError(f"{key}: is empty; give a value, or leave the key out")
    return text


def _kms_key(key: str, value: Any) -> str:
    text = _optional_text(key, value)
    return CREATE_KEY if text.lower() == CREATE_KEY else text


def _secret_name(key: str, value: Any) -> str:
    text = _text(key, value)
    if not text:
        raise ConfigError(f"{key}: is empty; name an existing Secrets Manager secret, or leave the key out")
    return text


_PARSERS: dict[str, Callable[[str, Any], Any]] = {
    "notify_emails": _list,
    "slack_webhook_secret_name": _secret_name,
    "slack_bot_token_secret_name": _secret_name,
    "slack_channel": _optional_text,
    "slack_routes": _routes,
    "schedule": lambda key, value: normalise_schedule(_text(key, value)),
    "email_statuses": lambda key, value: tuple(item.upper() for item in _list(key, value)),
    "name_contains": _optional_text,
    "job_names": _list,
    "job_kinds": lambda key, value: tuple(dict.fromkeys(item.lower() for item in _list(key, value))),
    "discover_jobs": _flag,
    "objective": lambda key, value: _text(key, value).lower(),
    "top_n": _number,
    "chatbot_format": _flag,
    "notify_started": _flag,
    "max_delivery_attempts": _number,
    "log_level": lambda key, value: _text(key, value).upper(),
    "alarm_emails": _alarm_emails,
    "reserved_concurrency": _number,
    "powertools_layer_arn": _optional_text,
    "slack_secret_kms_key_arn": _optional_text,
    "kms_key": _kms_key,
    "regions": _list,
    "accounts": _list,
    "reader_role_name": _optional_text,
    "reader_org_units": _list,
    "reader_stackset_call_as": lambda key, value: _optional_text(key, value).upper(),
}
CONTEXT_KEYS = tuple(field.name for field in fields(MonitorProps))
assert set(_PARSERS) == set(CONTEXT_KEYS), "every MonitorProps field is a context key"
APP_CONTEXT_KEYS = ("stack_name", "deploy")  # read by app.py, not by the construct
DEPLOY_TARGETS = (
    "monitor",
    "reader",
)  # -c deploy=...: the hub stack, or the reader stack of a member account


def props_from_context(context: Mapping[str, Any]) -> MonitorProps:
    """Build MonitorProps from the app's whole context; unset keys keep their defaults.

    A key in jobwatch's style that jobwatch does not know is a typo (``notify_email``): it is
    refused with the nearest known key, instead of being ignored and leaving a setting at its default.
    """
    _refuse_unknown_keys(context)
    values = {}
    for key in CONTEXT_KEYS:
        raw = context.get(key)
        if raw is not None:
            values[key] = _PARSERS[key](key, raw)
    return MonitorProps(**values)


def reader_props_from_context(context: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    """The reader stack's settings: ``reader_role_name`` and ``job_kinds``, checked as the hub checks them.

    The reader stack sends nothing, so no channel is asked for: a placeholder stands in for one.
    """
    _refuse_unknown_keys(context)
    values = {
        key: _PARSERS[key](key, context[key]) for key in ("reader_role_name", "job_kinds") if key in context
    }
    props = MonitorProps(notify_emails=("reader@example.com",), **values)
    return props.reader_role_name, props.job_kinds


def _refuse_unknown_keys(context: Mapping[str, Any]) -> None:
    known = (*CONTEXT_KEYS, *APP_CONTEXT_KEYS)
    for key in context:
        if key in known:
            continue
        nearest = difflib.get_close_matches(key.replace("-", "_"), known, n=1, cutoff=0.75)
        if not (_OWN_STYLE_KEY.fullmatch(key) or (nearest and _HYPHENATED_KEY.fullmatch(key))):
            continue  # CDK's own keys: feature flags, aws:cdk:..., context lookups
        hint = f"; did you mean {nearest[0]}?" if nearest else ""
        raise ConfigError(f"{key}: is not a jobwatch context key{hint} (the README lists them all)")
