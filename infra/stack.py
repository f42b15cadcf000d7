"""The deployable stack: composes the monitor, tags it, and nothing else."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack, Tags
from constructs import Construct

from infra.config import MonitorProps
from infra.monitor import JobStatusMonitor


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
        }
        for name, (value, description) in outputs.items():
            CfnOutput(self, name, value=value, description=description)
