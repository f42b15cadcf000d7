"""Clients per account and region: assumed reader roles through moto's STS, aliases through its IAM."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.config import Config
from botocore.credentials import RefreshableCredentials
from botocore.exceptions import ClientError
from job_monitor.adapters.accounts import AccountClients
from job_monitor.domain import HOME, Origin
from moto import mock_aws

from local.refused_roles import allow_assume_role, refuse_assume_role

HOME_ACCOUNT = "123456789012"  # moto's default account: the function's own
MEMBER = Origin("222222222222", "eu-west-1")
CONFIG = Config(retries={"max_attempts": 1})


@pytest.fixture
def accounts() -> Iterator[AccountClients]:
    with mock_aws():
        yield AccountClients(
            home_account=HOME_ACCOUNT, home_region="us-east-1", role_name="jobwatch-reader", sts_config=CONFIG
        )


def test_a_member_account_is_read_through_its_reader_role(accounts: AccountClients) -> None:
    sts = accounts.client("sts", MEMBER, config=CONFIG)

    identity = sts.get_caller_identity()

    assert identity["Account"] == MEMBER.account
    assert identity["Arn"] == f"arn:aws:sts::{MEMBER.account}:assumed-role/jobwatch-reader/jobwatch"
    assert sts.meta.region_name == "eu-west-1"
    credentials = sts._request_signer._credentials
    assert isinstance(credentials, RefreshableCredentials)  # assumed again before they expire
    assert credentials.method == "assume-role"


def test_the_functions_own_account_uses_its_own_credentials(accounts: AccountClients) -> None:
    sts = accounts.client("sts", HOME, config=CONFIG)

    assert sts.get_caller_identity()["Account"] == HOME_ACCOUNT
    assert sts.meta.region_name == "us-east-1"
    home = {"home_account": HOME_ACCOUNT, "home_region": "us-east-1"}
    assert Origin.of(HOME_ACCOUNT, "us-east-1", **home) == HOME
    assert Origin.of(MEMBER.account, "us-east-1", **home) == Origin(MEMBER.account, "")
    assert Origin.of("", "eu-west-1", **home) == Origin("", "eu-west-1")


def test_endpoints_come_from_the_standard_variables(
    accounts: AccountClients, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER", "http://127.0.0.1:9")

    assert accounts.client("sagemaker", MEMBER, config=CONFIG).meta.endpoint_url == "http://127.0.0.1:9"


def test_an_account_is_named_by_its_alias_when_readable_else_its_id(accounts: AccountClients) -> None:
    accounts.client("iam", MEMBER, config=CONFIG).create_account_alias(AccountAlias="ml-research")

    assert accounts.account_name(MEMBER) == "ml-research (222222222222)"
    assert accounts.account_name(HOME) == HOME_ACCOUNT
    # Asked once per container: a later alias shows after a restart, never mid-container.
    accounts.client("iam", HOME, config=CONFIG).create_account_alias(AccountAlias="hub")
    assert accounts.account_name(HOME) == HOME_ACCOUNT


def _error(code: str, operation: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "no"}}, operation)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            _error("AccessDenied", "AssumeRole"),
            "may not assume arn:aws:iam::222222222222:role/jobwatch-reader: deploy the reader role",
        ),
        (_error("UnrecognizedClientException", "ListInferenceRecommendationsJobs"), "remove it from REGIONS"),
        (
            _error("ThrottlingException", "ListInferenceRecommendationsJobs"),
            "watch fewer sources per function",
        ),
        (
            _error("AccessDeniedException", "ListInferenceRecommendationsJobs"),
            "may not call ListInferenceRecommendationsJobs",
        ),
        (_error("ThrottlingException", "BatchGetItem"), "the state table failed BatchGetItem"),
    ],
)
def test_an_unreadable_source_says_what_to_fix(
    accounts: AccountClients, error: ClientError, expected: str
) -> None:
    assert expected in accounts.hint(MEMBER, "inference-recommender")(error)


def test_a_role_sts_refuses_fails_the_read_as_sts_does_and_the_hint_says_to_deploy_it(
    accounts: AccountClients,
) -> None:
    role_arn = accounts.role_arn(MEMBER.account)
    refuse_assume_role(role_arn)
    try:
        with pytest.raises(ClientError) as refused:
            accounts.client("sagemaker", MEMBER, config=CONFIG).list_inference_recommendations_jobs()
        # Another member's role is still granted.
        other = Origin("333333333333", "")
        assert accounts.client("sts", other, config=CONFIG).get_caller_identity()["Account"] == "333333333333"
    finally:
        allow_assume_role(role_arn)

    error = refused.value
    assert error.operation_name == "AssumeRole"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error.response["Error"]["Code"] == "AccessDenied"
    assert error.response["Error"]["Message"] == (
        f"User: arn:aws:sts::{HOME_ACCOUNT}:user/moto is not authorized to perform: "
        f"sts:AssumeRole on resource: {role_arn}"
    )
    assert "deploy the reader role to account 222222222222" in accounts.hint(MEMBER, "inference-recommender")(
        error
    )
