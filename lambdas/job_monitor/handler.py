"""Lambda entry point: builds the adapters once per container, then runs one tick per event.

An operator's event (``{"action": "send-test"}``, from ``jobwatch send-test``) is answered by
``operations`` instead; every other event is a scheduled tick.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, replace
from functools import cache, partial
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

from job_monitor.adapters.accounts import AccountClients
from job_monitor.adapters.dynamodb_state import DynamoStateStore
from job_monitor.adapters.slack import SlackNotifier, parse_webhook_secret
from job_monitor.adapters.slack_app import SlackAppNotifier, parse_bot_token_secret
from job_monitor.adapters.sns import SnsNotifier
from job_monitor.adapters.sources import job_source
from job_monitor.domain import TickReport
from job_monitor.messages import MessageOptions
from job_monitor.operations import SEND_TEST_ACTION, requested_action, send_test
from job_monitor.ports import Notifier
from job_monitor.service import Monitor, utc_now
from job_monitor.settings import Settings, log_level, service_name
from job_monitor.sources import LocatedSource, watched_sources

SECRET_MAX_AGE_SECONDS = 300
NAMESPACE = "jobwatch"
SERVICE_NAME = service_name()

logger = Logger(service=SERVICE_NAME, level=log_level())  # checked here: an unknown level names its variable
metrics = Metrics(namespace=NAMESPACE, service=SERVICE_NAME)
tracer = Tracer(service=SERVICE_NAME)

# SageMaker's read APIs are shared with everything else in the account: adaptive mode backs off
# client-side when throttled. The others use standard retries with jittered backoff.
_SAGEMAKER_CONFIG = Config(
    retries={"mode": "adaptive", "max_attempts": 6},
    connect_timeout=5,
    read_timeout=15,
    user_agent_extra="jobwatch",
)
_AWS_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 5},
    connect_timeout=5,
    read_timeout=10,
    user_agent_extra="jobwatch",
)


@cache
def _settings() -> Settings:
    return Settings.from_env()


def _sources(settings: Settings, home_account: str) -> list[LocatedSource]:
    """One source per (account, region, kind) watched: the function's own account first, then ACCOUNTS."""
    accounts = AccountClients(
        home_account=home_account,
        home_region=settings.region,
        role_name=settings.reader_role_name,
        sts_config=_AWS_CONFIG,
        logger=logger,
    )
    return [
        LocatedSource(
            job_source(
                place.key.kind,
                accounts.client("sagemaker", place.key.origin, config=_SAGEMAKER_CONFIG),
                region=place.region,
                logger=logger,
            ),
            region=place.region,
            origin=place.key.origin,
            account_name=partial(accounts.account_name, place.key.origin)
            if settings.many_sources
            else lambda: None,
            hint=accounts.hint(place.key.origin, place.key.kind),
            name=place.name,
        )
        for place in watched_sources(settings, home_account)
    ]


@cache
def _notifiers(home_account: str) -> tuple[Notifier, ...]:
    """One notifier per configured channel, shared by ticks and test messages.

    Routes may name accounts, so the router learns the function's own (``home_account``), where
    the jobs whose origin names no account run.
    """
    settings = _settings()
    router = settings.slack_router and replace(settings.slack_router, home_account=home_account)
    options = MessageOptions(
        objective=settings.objective,
        top_n=settings.top_recommendations,
        chatbot_format=settings.chatbot_format,
    )
    notifiers: list[Notifier] = []
    if settings.topic_arn:
        notifiers.append(
            SnsNotifier(
                boto3.client("sns", config=_AWS_CONFIG),
                topic_arn=settings.topic_arn,
                options=options,
                router=router,
            )
        )
    if settings.slack_secret_name:
        notifiers.append(
            SlackNotifier(
                webhook_url=_secret_reader(settings.slack_secret_name, parse_webhook_secret), options=options
            )
        )
    if settings.slack_bot_token_secret_name and router:
        notifiers.append(
            SlackAppNotifier(
                bot_token=_secret_reader(settings.slack_bot_token_secret_name, parse_bot_token_secret),
                router=router,
                options=options,
                api_url=settings.slack_api_url,
            )
        )
    return tuple(notifiers)


@cache
def _monitor(home_account: str) -> tuple[Monitor, Settings]:
    """Adapters and clients live for the container, so warm invocations reuse connections and caches."""
    settings = _settings()
    monitor = Monitor(
        sources=_sources(settings, home_account),
        store=DynamoStateStore(
            boto3.client("dynamodb", config=_AWS_CONFIG),
            table_name=settings.state_table_name,
            ttl_days=settings.record_ttl_days,
        ),
        notifiers=_notifiers(home_account),
        settings=settings,
        logger=logger,
    )
    return monitor, settings


def _secret_reader(secret_name: str, parse: Callable[[str], str]) -> Callable[[bool], str]:
    """The secret's parsed value, cached for a few minutes; ``refresh`` reads it afresh."""
    secrets = SecretsProvider(boto3_client=boto3.client("secretsmanager", config=_AWS_CONFIG))

    def read(refresh: bool) -> str:
        value = secrets.get(secret_name, max_age=SECRET_MAX_AGE_SECONDS, force_fetch=refresh)
        return parse(str(value))

    return read


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """One scheduled tick (its content is irrelevant: every tick looks afresh), or an operator's action."""
    home_account = context.invoked_function_arn.split(":")[4]
    action = requested_action(event)
    if action is not None:
        return _operator_action(action, home_account)
    monitor, settings = _monitor(home_account)
    deadline = (
        time.monotonic() + context.get_remaining_time_in_millis() / 1000 - settings.tick_safety_margin_seconds
    )
    report = monitor.run_tick(deadline=deadline)
    _publish_metrics(report, per_source=settings.many_sources)
    summary = asdict(report)
    if not settings.many_sources:  # one source: the summary a single-region deployment always gave
        del summary["sources"]
    logger.info("tick finished", extra={"tick": summary})
    return summary


def _operator_action(action: str, home_account: str) -> dict[str, Any]:
    """Answer ``jobwatch`` on the operator's terminal; nothing here touches the state table."""
    if action != SEND_TEST_ACTION:
        logger.warning("unknown operator action", extra={"action": action})
        return {
            "action": action,
            "error": f"unknown action {action!r}; the function knows {SEND_TEST_ACTION!r}",
        }
    result = send_test(_notifiers(home_account), region=_settings().region, now=utc_now())
    delivered = sum(outcome["delivered"] for outcome in result["channels"].values())
    metrics.add_metric(name="TestMessagesSent", unit=MetricUnit.Count, value=delivered)
    logger.info("test message sent", extra={"send_test": result})
    return result


def _publish_metrics(report: TickReport, *, per_source: bool) -> None:
    """Totals for alarms (service dimension only) and per-channel figures for dashboards; when
    jobwatch watches several accounts or regions, also which sources could not be read."""
    metrics.add_metric(name="TransitionsDetected", unit=MetricUnit.Count, value=report.transitions)
    metrics.add_metric(name="JobsStarted", unit=MetricUnit.Count, value=report.started)
    metrics.add_metric(name="TickErrors", unit=MetricUnit.Count, value=report.errors)
    metrics.add_metric(name="TickDeferred", unit=MetricUnit.Count, value=report.deferred)
    metrics.add_metric(
        name="ImplausibleTimestamps", unit=MetricUnit.Count, value=report.implausible_timestamps
    )
    totals = {"NotificationsSent": 0, "NotificationsFailed": 0, "NotificationsAbandoned": 0}
    for channel, outcome in report.channels.items():
        figures = {
            "NotificationsSent": outcome.sent,
            "NotificationsFailed": outcome.failed,
            "NotificationsAbandoned": outcome.abandoned,
        }
        for name, value in figures.items():
            totals[name] += value
            _publish_count_of(name, value, dimension="channel", of=channel)
    for name, value in totals.items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    if per_source:
        _publish_sources(report)


def _publish_sources(report: TickReport) -> None:
    """SourcesUnreachable in total (the alarm's) and per source (``account/region/kind``)."""
    metrics.add_metric(name="SourcesUnreachable", unit=MetricUnit.Count, value=sum(report.sources.values()))
    for source, unreachable in report.sources.items():
        _publish_count_of("SourcesUnreachable", unreachable, dimension="source", of=source)


def _publish_count_of(name: str, value: int, *, dimension: str, of: str) -> None:
    """A count for one channel or source: a metric of its own, so the totals keep the service dimension only."""
    with single_metric(
        name=name,
        unit=MetricUnit.Count,
        value=value,
        namespace=NAMESPACE,
        default_dimensions={"service": SERVICE_NAME},
    ) as metric:
        metric.add_dimension(name=dimension, value=of)
