"""The reader role of a member account: what the hub's function assumes to watch jobs there.

One construct, ``ReaderRole``; a small stack, ``ReaderStack``, deploys it on its own (``-c
deploy=reader``, one account at a time) and is the template of the hub's optional service-managed
StackSet (``reader_org_units``), which deploys it to whole organizational units.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from aws_cdk import (
    Acknowledgment,
    App,
    BootstraplessSynthesizer,
    CfnOutput,
    CfnParameter,
    Duration,
    Fn,
    Stack,
    Tags,
    Validations,
)
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.permissions import ACCOUNT_ALIAS_ACTION, JOB_READS

HUB_ROLE_PARAMETER = "HubRoleArn"
# IAM's role ARN, as the hub's function role has it.
_HUB_ROLE_PATTERN = r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+"


class ReaderRole(Construct):
    """A role that may only list and describe the watched kinds' jobs (in any region of its account)
    and read the account's alias, assumable only by the hub's function role."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        role_name: str,
        hub_role_arn: str,
        job_kinds: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        hub_account = Fn.select(4, Fn.split(":", hub_role_arn))
        # The hub's account is the principal; the condition narrows it to the one function role.
        self.role = iam.Role(
            self,
            "Role",
            role_name=role_name,
            description="jobwatch: lets the hub's monitor function list and describe SageMaker jobs here",
            assumed_by=iam.AccountPrincipal(hub_account).with_conditions(
                {"ArnEquals": {"aws:PrincipalArn": hub_role_arn}}
            ),
            max_session_duration=Duration.hours(1),
        )
        for kind in job_kinds:
            for statement in JOB_READS[kind].statements(stack, regions=["*"]):
                self.role.add_to_policy(statement)
        self.role.add_to_policy(
            iam.PolicyStatement(sid="ReadAccountAlias", actions=[ACCOUNT_ALIAS_ACTION], resources=["*"])
        )
        Validations.of(self.role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="The SageMaker list actions and iam:ListAccountAliases support no resource-level permissions.",
            ),
            *(
                Acknowledgment(
                    id=f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sagemaker:*:<AWS::AccountId>:{JOB_READS[kind].resource_type}/*]",
                    reason="The hub describes every job of the kind in this account, in each region it watches; it cannot know their names in advance.",
                )
                for kind in job_kinds
            ),
        )


class ReaderStack(Stack):
    """The reader role alone, for one member account; the hub's function role ARN is its parameter."""

    def __init__(
        self, scope: Construct, construct_id: str, *, role_name: str, job_kinds: Sequence[str], **kwargs: Any
    ) -> None:
        super().__init__(
            scope, construct_id, description="jobwatch: the reader role of a member account", **kwargs
        )
        hub_role_arn = CfnParameter(
            self,
            HUB_ROLE_PARAMETER,
            description="The hub stack's FunctionRoleArn output: the only role that may assume the reader role",
            allowed_pattern=_HUB_ROLE_PATTERN,
        )
        self.reader = ReaderRole(
            self,
            "Reader",
            role_name=role_name,
            hub_role_arn=hub_role_arn.value_as_string,
            job_kinds=job_kinds,
        )
        Tags.of(self).add("application", "jobwatch")
        CfnOutput(
            self, "ReaderRoleArn", value=self.reader.role.role_arn, description="The role the hub assumes"
        )


def reader_template(*, role_name: str, job_kinds: Sequence[str]) -> str:
    """The ReaderStack's template as a StackSet body: synthesized on its own, with no bootstrap
    resources to rely on in the member accounts."""
    app = App()
    ReaderStack(
        app, "Reader", role_name=role_name, job_kinds=job_kinds, synthesizer=BootstraplessSynthesizer()
    )
    return json.dumps(app.synth().get_stack_by_name("Reader").template, sort_keys=True)
