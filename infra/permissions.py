"""What jobwatch calls to watch each kind of job: the hub's function and every reader role grant it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class JobReads:
    """What the function calls to watch one kind of job, for a least-privilege grant."""

    sid: str
    list_actions: tuple[str, ...]
    describe_action: str
    resource_type: str  # the describe action's resource type (its ARN's resource part)


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
