"""What jobwatch calls to watch each kind of job: the hub's function and every reader role grant it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Stack
from aws_cdk import aws_iam as iam


@dataclass(frozen=True, kw_only=True)
class JobReads:
    """What the function calls to watch one kind of job, for a least-privilege grant."""

    sid: str
    list_actions: tuple[str, ...]
    describe_action: str
    resource_type: str  # the describe action's resource type (its ARN's resource part)

    def statements(self, stack: Stack, *, regions: Sequence[str]) -> list[iam.PolicyStatement]:
        """Its list actions on ``*`` (no list action supports a resource-level permission), its
        describe action on this kind's jobs in the stack's account, in ``regions`` (``*``: any)."""
        return [
            iam.PolicyStatement(sid=f"List{self.sid}", actions=list(self.list_actions), resources=["*"]),
            iam.PolicyStatement(
                sid=f"Describe{self.sid}",
                actions=[self.describe_action],
                resources=[
                    stack.format_arn(
                        service="sagemaker", region=region, resource=self.resource_type, resource_name="*"
                    )
                    for region in regions
                ],
            ),
        ]


# Per kind (infra.config.JOB_KINDS): the Service Authorization Reference's actions, and the
# resource type of each job's ARN as the API model spells it.
JOB_READS = {
    "inference-recommender": JobReads(
        sid="InferenceRecommendationsJobs",
        list_actions=(
            "sagemaker:ListInferenceRecommendationsJobs",
            "sagemaker:ListInferenceRecommendationsJobSteps",
        ),
        describe_action="sagemaker:DescribeInferenceRecommendationsJob",
        resource_type="inference-recommendations-job",
    ),
    "ai-recommendation": JobReads(
        sid="AIRecommendationJobs",
        list_actions=("sagemaker:ListAIRecommendationJobs",),
        describe_action="sagemaker:DescribeAIRecommendationJob",
        resource_type="ai-recommendation-job",
    ),
}
# How messages name an account other than the function's own (its alias); it has no resource type.
ACCOUNT_ALIAS_ACTION = "iam:ListAccountAliases"
