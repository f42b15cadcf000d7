"""cdk-nag findings we reviewed and accept, each with the reason it is right for jobwatch.

cdk-nag v3 reports through CDK's validation plugins: an unacknowledged error fails synthesis.
Each acknowledgment names one exact finding, so a new wildcard or managed policy fails again.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, CfnResource, Stack, Validations
from constructs import IConstruct


def _logical_id(construct: IConstruct) -> str:
    stack = Stack.of(construct)
    resource = construct.node.default_child
    assert isinstance(resource, CfnResource)
    return str(stack.resolve(stack.get_logical_id(resource)))


def acknowledge_monitor_findings(monitor: IConstruct) -> None:
    """Called by JobStatusMonitor on itself, so apps that embed it inherit the reviewed reasons."""
    from infra.monitor import JobStatusMonitor

    assert isinstance(monitor, JobStatusMonitor)
    function_role = monitor.function.role
    assert function_role is not None
    function_id = _logical_id(monitor.function)
    table_id = _logical_id(monitor.table)
    Validations.of(function_role).acknowledge(
        Acknowledgment(
            id="AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
            reason="AWSLambdaBasicExecutionRole grants only CloudWatch Logs writes, which every Lambda function needs.",
        ),
        Acknowledgment(
            id="AwsSolutions-IAM5[Resource::*]",
            reason="sagemaker:ListInferenceRecommendationsJobs and the X-Ray trace writes support no resource-level permissions.",
        ),
        Acknowledgment(
            id="AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:inference-recommendations-job/*]",
            reason="The monitor describes every Inference Recommender job in its account and region; it cannot know their names in advance.",
        ),
        Acknowledgment(
            id=f"AwsSolutions-IAM5[Resource::<{table_id}.Arn>/index/*]",
            reason="Read access to the state table's own two GSIs (outbox and active jobs), granted by grant_read_write_data.",
        ),
        Acknowledgment(
            id="AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
            reason="Publishing to the KMS-encrypted topic needs GenerateDataKey* on that one key, as SNS documents.",
        ),
    )
    Validations.of(monitor.schedule_role).acknowledge(
        Acknowledgment(
            id=f"AwsSolutions-IAM5[Resource::<{function_id}.Arn>:*]",
            reason="The scheduler may invoke any version or alias of the monitor function, and only that function.",
        )
    )
