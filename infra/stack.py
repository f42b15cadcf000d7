"""The deployable stack: composes the monitor, tags it, and nothing else."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnMapping, CfnOutput, Stack, Tags
from constructs import Construct

from infra.config import MonitorProps
from infra.monitor import JobStatusMonitor

# The AWS console's host in each partition this app targets (cdk.json's target-partitions, and GovCloud).
CONSOLE_HOSTS = {
    "aws": "console.aws.amazon.com",
    "aws-cn": "console.amazonaws.cn",
    "aws-us-gov": "console.amazonaws-us-gov.com",
}


class JobwatchStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, props: MonitorProps, **kwargs: Any) -> None:
        super().__init__(
            scope, construct_id, description="jobwatch: SageMaker Inference Recommender job alerts", **kwargs
        )
        self.monitor = JobStatusMonitor(self, "Monitor", props=props)
        Tags.of(self).add("application", "jobwatch")
        outputs = {
            "TopicArn": (self.monitor.topic.topic_arn, "SNS topic with the job summaries"),
            "TableName": (self.monitor.table.table_name, "DynamoDB table with the monitor's state"),
            "FunctionName": (self.monitor.function.function_name, "The monitor function"),
            "DeadLetterQueueUrl": (
                self.monitor.dead_letter_queue.queue_url,
                "Ticks that failed or never ran",
            ),
            "AlarmTopicArn": (self.monitor.alarm_topic.topic_arn, "SNS topic the alarms notify"),
            "DashboardName": (self.monitor.dashboard.dashboard_name, "CloudWatch dashboard of the monitor"),
            "DashboardUrl": (self._dashboard_url(), "The dashboard in the AWS console"),
        }
        if props.accounts:
            outputs["FunctionRoleArn"] = (
                self.monitor.function_role.role_arn,
                "The role each member account's reader role trusts (the reader stack's HubRoleArn)",
            )
        for name, (value, description) in outputs.items():
            CfnOutput(self, name, value=value, description=description)

    def _dashboard_url(self) -> str:
        """The console's host differs per partition; the stack is environment-agnostic, so it is looked up."""
        hosts = CfnMapping(
            self,
            "ConsoleHosts",
            mapping={partition: {"host": host} for partition, host in CONSOLE_HOSTS.items()},
        )
        return (
            f"https://{hosts.find_in_map(self.partition, 'host')}/cloudwatch/home?region={self.region}"
            f"#dashboards/dashboard/{self.monitor.dashboard.dashboard_name}"
        )
