"""The operations alarms and the metrics they share with the dashboard.

The function publishes its figures with Powertools under the ``jobwatch`` namespace: totals with
the dimension ``service=<stack name>`` (what the alarms watch), and per-channel figures with
``service=<stack name>, channel=email|slack`` (lambdas/job_monitor/handler.py ``_publish_metrics``).
The stack name keeps two deployments in one account and region (staging and production, two hubs)
apart: each one's alarms and dashboard see its own function's figures only.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

METRICS_NAMESPACE = "jobwatch"


def service_metric(
    name: str, period: Duration, *, service: str, channel: str | None = None
) -> cloudwatch.Metric:
    """One of the figures of the function publishing as ``service``, summed over ``period``; per
    channel when one is named."""
    dimensions = {"service": service} | ({"channel": channel} if channel else {})
    return cloudwatch.Metric(
        namespace=METRICS_NAMESPACE,
        metric_name=name,
        dimensions_map=dimensions,
        statistic="Sum",
        period=period,
    )


def create_alarms(
    scope: Construct,
    *,
    function: lambda_.IFunction,
    dead_letter_queue: sqs.IQueue,
    topic: sns.ITopic,
    service: str,
    many_sources: bool = False,
) -> list[cloudwatch.Alarm]:
    """Each alarm fires at its threshold or above and notifies ``topic``; SourcesUnreachable only
    when the monitor watches more than its own account and region."""
    # name: (metric, threshold, periods in a row, description)
    definitions = {
        "FunctionErrors": (
            function.metric_errors(period=Duration.minutes(5), statistic="Sum"),
            1,
            1,
            "A jobwatch tick failed; transitions wait for the next successful tick",
        ),
        "TickErrors": (
            service_metric("TickErrors", Duration.hours(1), service=service),
            3,
            1,
            "jobwatch could not list or process jobs three times in an hour (throttling past "
            "retries, a permission, the service down); see the function's ERROR log lines",
        ),
        "TickDeferred": (
            service_metric("TickDeferred", Duration.hours(1), service=service),
            1,
            3,
            "jobwatch ran out of time and left work for the next tick in each of the last three hours; "
            "a backlog that does not clear, or TICK_SAFETY_MARGIN_SECONDS too close to the function timeout",
        ),
        "ImplausibleTimestamps": (
            service_metric("ImplausibleTimestamps", Duration.hours(1), service=service),
            1,
            1,
            "SageMaker reported a job modified later than now plus the allowed clock skew; jobwatch "
            "ignored that time for its cursor. A job's clock (or this account's) is wrong: see the "
            "function's WARNING log lines for the job name",
        ),
        "NotificationsFailed": (
            service_metric("NotificationsFailed", Duration.minutes(5), service=service),
            1,
            1,
            "A jobwatch notification could not be delivered; it is retried each tick",
        ),
        "NotificationsAbandoned": (
            service_metric("NotificationsAbandoned", Duration.minutes(5), service=service),
            1,
            1,
            "A jobwatch notification was abandoned after its last allowed attempt",
        ),
        "DeadLetters": (
            dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(5), statistic="Maximum"
            ),
            1,
            1,
            "A scheduled jobwatch tick could not be delivered or failed asynchronously",
        ),
    }
    if many_sources:
        definitions["SourcesUnreachable"] = (
            service_metric("SourcesUnreachable", Duration.hours(1), service=service),
            3,
            1,
            "jobwatch could not read a source (account/region/kind) three times in an hour: its role "
            "cannot be assumed, its region is not enabled, or it is throttled; the function's "
            "'could not list jobs' log lines name the source and what to fix",
        )
    alarms = []
    for name, (metric, threshold, periods, description) in definitions.items():
        alarm = metric.create_alarm(
            scope,
            f"{name}Alarm",
            alarm_description=description,
            threshold=threshold,
            evaluation_periods=periods,
            datapoints_to_alarm=periods,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(cloudwatch_actions.SnsAction(topic))
        alarms.append(alarm)
    return alarms
