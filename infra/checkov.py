"""checkov findings we reviewed and accept, written into the template with the reason for each.

A security team's checkov scan of the synthesized template then reports each of them as skipped,
with its reason, instead of failed. Checks that ``kms_key`` or ``reserved_concurrency`` would fix
are acknowledged only while they are not set, so the template never skips a check that passes.
"""

from __future__ import annotations

from aws_cdk import CfnResource
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import IConstruct

_NO_KMS_KEY = (
    "Encrypted at rest with an AWS managed key; set the kms_key context key for a customer-managed key."
)


def acknowledge_checkov_findings(
    *,
    function: lambda_.Function,
    table: dynamodb.Table,
    dead_letter_queue: sqs.Queue,
    log_group: logs.LogGroup,
    customer_managed_key: bool,
    reserved_concurrency: bool,
) -> None:
    """Called by JobStatusMonitor on its own parts, like the cdk-nag acknowledgments."""
    skips: dict[IConstruct, dict[str, str]] = {
        function: {
            "CKV_AWS_117": "The function calls only public AWS endpoints and a Slack webhook; a VPC would add "
            "NAT gateways or endpoints and no protection.",
        }
    }
    if not reserved_concurrency:
        skips[function]["CKV_AWS_115"] = (
            "Overlapping ticks are safe (conditional writes) and one tick needs one execution; reserving "
            "concurrency fails in accounts whose limit is 10. Set reserved_concurrency to reserve some."
        )
    if not customer_managed_key:
        skips[function]["CKV_AWS_173"] = (
            "The environment holds no secret (the Slack URL is read from Secrets Manager at run time) and "
            f"is encrypted with Lambda's AWS managed key. {_NO_KMS_KEY}"
        )
        skips[table] = {"CKV_AWS_119": _NO_KMS_KEY}
        skips[dead_letter_queue] = {
            "CKV_AWS_27": "Encrypted with SQS-managed keys (SqsManagedSseEnabled), which this check does not "
            f"recognise. {_NO_KMS_KEY}"
        }
        skips[log_group] = {
            "CKV_AWS_158": "CloudWatch Logs encrypts every log group at rest by default, and the function logs "
            f"no secret. {_NO_KMS_KEY}"
        }
    for construct, reasons in skips.items():
        resource = construct.node.default_child
        assert isinstance(resource, CfnResource)
        resource.add_metadata(
            "checkov", {"skip": [{"id": check, "comment": reason} for check, reason in reasons.items()]}
        )
