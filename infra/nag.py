"""cdk-nag findings we reviewed and accept, each with the reason it is right for jobwatch.

cdk-nag v3 reports through CDK's validation plugins: an unacknowledged error fails synthesis.
Each acknowledgment names one exact finding, so a new wildcard or managed policy fails again.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, CfnResource, Stack, Validations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import IConstruct


def _logical_id(construct: IConstruct) -> str:
    stack = Stack.of(construct)
    resource = construct.node.default_child
    assert isinstance(resource, CfnResource)
    return str(stack.resolve(stack.get_logical_id(resource)))


def acknowledge_monitor_findings(
    *, function: lambda_.Function, function_role: iam.IRole, table: dynamodb.Table, schedule_role: iam.IRole
) -> None:
    """Called by JobStatusMonitor on its own parts, so apps that embed it inherit the reviewed reasons."""
    function_id = _logical_id(function)
    table_id = _logical_id(table)
    Validations.of(function_role).acknowledge(
        Acknowledgment(
            id="AwsSolutions-IAM5[Resource::*]",
            reason="sagemaker:ListInferenceRecommendationsJobs, ListInferenceRecommendationsJobSteps, "
            "ListAIRecommendationJobs and the X-Ray trace writes support no resource-level permissions.",
        ),
        Acknowledgment(
            id="AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:inference-recommendations-job/*]",
            reason="The monitor describes every Inference Recommender job in its account and region; it cannot know their names in advance.",
        ),
        Acknowledgment(
            id="AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:ai-recommendation-job/*]",
            reason="The monitor describes every AI recommendation job in its account and region; it cannot know their names in advance.",
        ),
        Acknowledgment(
            id=f"AwsSolutions-IAM5[Resource::<{table_id}.Arn>/index/*]",
            reason="dynamodb:Query on the state table's own two GSIs (outbox and active jobs), the only queries the function makes.",
        ),
        Acknowledgment(
            id="AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
            reason="Publishing to the KMS-encrypted topic needs GenerateDataKey* on that one key, as SNS documents (and, with kms_key, writing the dead-letter queue and the table).",
        ),
        Acknowledgment(
            id="AwsSolutions-IAM5[Action::kms:ReEncrypt*]",
            reason="With kms_key, the function reads and writes the table encrypted with that one key: CDK's encrypt/decrypt grant, as DynamoDB documents for a customer-managed key.",
        ),
    )
    Validations.of(schedule_role).acknowledge(
        Acknowledgment(
            id=f"AwsSolutions-IAM5[Resource::<{function_id}.Arn>:*]",
            reason="The scheduler may invoke any version or alias of the monitor function, and only that function.",
        ),
        Acknowledgment(
            id="AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
            reason="With kms_key, the scheduler writes undeliverable ticks to the dead-letter queue encrypted with that one key, as SQS documents.",
        ),
    )
