"""The CloudWatch dashboard an operator opens first: is jobwatch ticking, finding, and delivering?"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.alarms import METRICS_NAMESPACE, service_metric

PERIOD = Duration.minutes(5)
WIDTH = 8  # three graphs to a row of 24
NOTIFICATION_METRICS = ("NotificationsSent", "NotificationsFailed", "NotificationsAbandoned")


def sources_search(service: str) -> str:
    """Every source's own SourcesUnreachable series of this deployment (dimensions service and
    source, handler.py ``_publish_sources``), found by a search when the dashboard is viewed: a
    source added to ACCOUNTS or REGIONS, or a new account of a StackSet's units, appears without a
    redeploy. The exact ``service`` match leaves out another deployment's sources."""
    return (
        f'SEARCH(\'{{{METRICS_NAMESPACE},service,source}} service="{service}" '
        f"MetricName=\"SourcesUnreachable\"', 'Sum', {int(PERIOD.to_seconds())})"
    )


def create_dashboard(
    scope: Construct,
    *,
    function: lambda_.IFunction,
    dead_letter_queue: sqs.IQueue,
    channels: Sequence[str],
    alarms: Sequence[cloudwatch.IAlarm],
    service: str,
    many_sources: bool = False,
) -> cloudwatch.Dashboard:
    """Jobs finished and started, ticks, then one graph per channel, then (when the monitor watches
    more than its own account and region) which sources could not be read, then the alarms' states."""
    dashboard = cloudwatch.Dashboard(scope, "Dashboard", default_interval=Duration.days(1))
    dashboard.add_widgets(
        cloudwatch.GraphWidget(
            title="Jobs finished and started",
            left=[
                service_metric("TransitionsDetected", PERIOD, service=service).with_(
                    label="finished (COMPLETED, FAILED, STOPPED)"
                ),
                service_metric("JobsStarted", PERIOD, service=service).with_(
                    label="started (thread opened or start announced)"
                ),
            ],
            width=WIDTH,
        ),
        cloudwatch.GraphWidget(
            title="Tick errors and deferred work",
            left=[
                service_metric("TickErrors", PERIOD, service=service),
                service_metric("TickDeferred", PERIOD, service=service),
                service_metric("ImplausibleTimestamps", PERIOD, service=service),
            ],
            width=WIDTH,
        ),
        cloudwatch.GraphWidget(
            title="Tick duration (ms)",
            left=[
                function.metric_duration(period=PERIOD, statistic="Average", label="average"),
                function.metric_duration(period=PERIOD, statistic="Maximum", label="maximum"),
            ],
            right=[function.metric_errors(period=PERIOD, statistic="Sum", label="function errors")],
            width=WIDTH,
        ),
    )
    dashboard.add_widgets(
        *(
            cloudwatch.GraphWidget(
                title=f"Notifications: {channel}",
                left=[
                    service_metric(name, PERIOD, service=service, channel=channel)
                    for name in NOTIFICATION_METRICS
                ],
                width=WIDTH,
            )
            for channel in channels
        ),
        cloudwatch.GraphWidget(
            title="Dead-letter queue (ticks that failed or never ran)",
            left=[
                dead_letter_queue.metric_approximate_number_of_messages_visible(
                    period=PERIOD, statistic="Maximum", label="messages"
                )
            ],
            width=WIDTH,
        ),
    )
    if many_sources:
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Sources unreachable, per source (account/region/kind; 1 = its read failed)",
                left=[
                    cloudwatch.SearchExpression(expression=sources_search(service), label="", period=PERIOD)
                ],
                left_y_axis=cloudwatch.YAxisProps(min=0, show_units=False),
                legend_position=cloudwatch.LegendPosition.RIGHT,
                width=24,
            )
        )
    dashboard.add_widgets(cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(alarms), width=24))
    return dashboard
