"""Hub and spoke end to end: the synthesized function watching its own account and a member account in
two regions, against moto (STS, DynamoDB, SNS) and the simulator answering per account and region.

Sources fail throughout in the two ways an organization fails first: the member account has not
enabled eu-west-1, and a second member account never deployed the reader role, so STS refuses to
let the function assume it. The others are announced as usual, and each failing source is logged
with what to fix and counted as a source.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import pytest

from infra.dashboard import sources_search
from local.organization import SimulatedOrganization, account_of_key
from local.sandbox import (
    ACCOUNT_ID,
    LocalCloud,
    LocalFunction,
    SynthesizedStack,
    endpoint_variables,
    provision,
    synthesize,
)
from local.simulator import SimulatedClock
from local.slack_api import BOT_TOKEN, SlackApi
from local.story import TICK_SECONDS
from tests.support.function_run import FunctionRun

pytestmark = pytest.mark.slow

MEMBER = "222222222222"
NO_ROLE = "333333333333"  # the reader role was never deployed here: STS refuses AssumeRole
CONTEXT = {
    "notify_emails": "ml-team@example.com",
    "regions": "us-east-1,eu-west-1",
    "accounts": f"{MEMBER},{NO_ROLE}",
    "job_kinds": "inference-recommender",
}
FAILING = f"{MEMBER}/eu-west-1/inference-recommender"
REFUSED = [f"{NO_ROLE}/{region}/inference-recommender" for region in ("us-east-1", "eu-west-1")]


@dataclass
class Run(FunctionRun):
    org: SimulatedOrganization


@contextmanager
def _world(
    stack: SynthesizedStack, *, slack_api: SlackApi | None = None, endpoints: dict[str, str] | None = None
) -> Iterator[Run]:
    """The hub and both member accounts in both regions, the member account's eu-west-1 not enabled,
    the other member account without its reader role; Slack's app mode when a local Web API is given,
    and ``endpoints`` over the function's standard endpoint variables."""
    clock = SimulatedClock()
    with (
        LocalCloud() as cloud,
        SimulatedOrganization(clock=clock, account_of=account_of_key(cloud.endpoint_url)) as org,
    ):
        start = clock.now()
        for account in (ACCOUNT_ID, MEMBER, NO_ROLE):
            for region in ("us-east-1", "eu-west-1"):
                world = org.at(account, region)
                world.add_job(f"history-{region}", created_at=start - timedelta(days=30), run_seconds=600)
                world.add_job(f"sweep-{region}", created_at=start + timedelta(seconds=TICK_SECONDS))
        org.disabled.add((MEMBER, "eu-west-1"))
        org.refuse_assume_role(NO_ROLE)
        provisioned = provision(stack, cloud, slack_secret_value=BOT_TOKEN if slack_api else None)
        variables = endpoint_variables(cloud, org.endpoint_url) | (endpoints or {})
        if slack_api is not None:
            variables["SLACK_API_URL"] = slack_api.url
        with LocalFunction.of_stack(stack, provisioned, endpoints=variables) as function:
            yield Run(cloud, provisioned, function, clock, org)


@pytest.fixture
def run(stack: SynthesizedStack) -> Iterator[Run]:
    with _world(stack) as world:
        yield world


def test_every_reachable_source_is_announced_once_and_the_failing_one_holds_back_none(run: Run) -> None:
    summaries = run.ticks(8)

    announced = sorted(
        (m["attributes"]["account"], m["attributes"]["job_name"], m["attributes"]["status"])
        for m in run.emails()
    )
    assert announced == [
        (ACCOUNT_ID, "sweep-eu-west-1", "COMPLETED"),
        (ACCOUNT_ID, "sweep-us-east-1", "COMPLETED"),
        (MEMBER, "sweep-us-east-1", "COMPLETED"),
    ]
    assert summaries[0]["baseline"]
    for summary in summaries:
        assert summary["sources"] == {
            f"{ACCOUNT_ID}/us-east-1/inference-recommender": 0,
            f"{ACCOUNT_ID}/eu-west-1/inference-recommender": 0,
            f"{MEMBER}/us-east-1/inference-recommender": 0,
            FAILING: 1,
            **dict.fromkeys(REFUSED, 1),
        }
        assert summary["errors"] == 3
    # The member account's jobs ran under its reader role, in its own region's service.
    assert run.org.at(MEMBER, "us-east-1").call_counts["ListInferenceRecommendationsJobs"] == 8


def test_an_alias_that_cannot_be_read_is_a_warning_of_the_invocation_and_the_id_names_the_account(
    stack: SynthesizedStack,
) -> None:
    """IAM unreachable: messages name each account by its ID, and the function says so in its own
    structured log lines, with the invocation's context, not in a module's plain ones."""
    with _world(stack, endpoints={"AWS_ENDPOINT_URL_IAM": "http://127.0.0.1:9"}) as run:
        run.ticks(8)
        emails, records = run.emails(), run.function.log_records()

    assert {m["attributes"]["account"] for m in emails} == {ACCOUNT_ID, MEMBER}
    assert all(f"Account    {m['attributes']['account']}\n" in m["body"] for m in emails)
    warnings = [
        record
        for record in records
        if record.get("message") == "could not read the account alias; messages name the account by its ID"
    ]
    assert {warning["account"] for warning in warnings} == {ACCOUNT_ID, MEMBER}
    for warning in warnings:
        assert (warning["level"], warning["service"]) == ("WARNING", "Jobwatch")
        assert warning["function_name"] == "jobwatch-monitor"  # logged within the invocation's context


def test_messages_name_the_account_and_region_and_link_there(run: Run) -> None:
    run.ticks(8)

    emails = run.emails()
    member = next(m for m in emails if m["attributes"]["account"] == MEMBER)
    assert f"Account    {MEMBER}\n" in member["body"]
    assert "Region     us-east-1\n" in member["body"]
    eu = next(m for m in emails if m["attributes"]["job_name"] == "sweep-eu-west-1")
    assert "https://eu-west-1.console.aws.amazon.com/sagemaker/home?region=eu-west-1" in eu["body"]


def test_the_failing_source_says_what_to_fix_and_is_counted(run: Run) -> None:
    run.ticks(2)

    records = list(run.function.log_records())
    failures = [r for r in records if r.get("message", "").startswith("could not list jobs")]
    assert len(failures) == 2 * 3
    fixes = {r["source"]: r["fix"] for r in failures}
    assert set(fixes) == {FAILING, *REFUSED}
    assert "region eu-west-1 is not enabled in account 222222222222" in fixes[FAILING]
    for source in REFUSED:
        assert fixes[source].startswith(
            f"the function may not assume arn:aws:iam::{NO_ROLE}:role/jobwatch-reader: "
            f"deploy the reader role to account {NO_ROLE}"
        )
    refused = next(r for r in failures if r["source"] == REFUSED[0])
    assert "AccessDenied" in refused["exception"]
    assert "when calling the AssumeRole operation" in refused["exception"]
    per_source = [
        r["source"]
        for r in records
        if "SourcesUnreachable" in r and r.get("source") and r["SourcesUnreachable"] == [1.0]
    ]
    assert sorted(per_source) == sorted([FAILING, *REFUSED] * 2)
    # The dashboard's search finds exactly these series: their namespace, dimension names and
    # this stack's service.
    [emf] = {
        (directive["Namespace"], tuple(dimensions), r["service"])
        for r in records
        if "SourcesUnreachable" in r and r.get("source")
        for directive in r["_aws"]["CloudWatchMetrics"]
        for dimensions in directive["Dimensions"]
    }
    assert (
        f'{{{emf[0]},{",".join(emf[1])}}} service="Jobwatch" MetricName="SourcesUnreachable"'
        in sources_search(emf[2])
    )
    # No member job was read under a refused role.
    assert run.org.at(NO_ROLE, "us-east-1").call_counts["ListInferenceRecommendationsJobs"] == 0


# Slack's app mode with routes by account and region: the hub's own eu-west-1 jobs to one team,
# every job of the member account to another, the rest to the default channel.
DEFAULT_CHANNEL, HUB_EUROPE, MEMBER_TEAM = "C0DEFAULT01", "C0HUBEUROPE", "C0MEMBER001"
ROUTED_CONTEXT = {
    **CONTEXT,
    "slack_bot_token_secret_name": "jobwatch/slack-bot",
    "slack_channel": DEFAULT_CHANNEL,
    "slack_routes": f"{ACCOUNT_ID}/eu-west-1/*={HUB_EUROPE},{MEMBER}/*/*={MEMBER_TEAM}",
}


@pytest.fixture(scope="module")
def routed_stack(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedStack:
    return synthesize(ROUTED_CONTEXT, tmp_path_factory.mktemp("cdk") / "cdk.out")


def test_routes_by_account_and_region_send_each_job_to_its_team_in_slack_and_by_email(
    routed_stack: SynthesizedStack,
) -> None:
    with (
        SlackApi(channels=(DEFAULT_CHANNEL, HUB_EUROPE, MEMBER_TEAM)) as api,
        _world(routed_stack, slack_api=api) as run,
    ):
        run.ticks(8)
        emails = run.emails()

    in_slack = sorted(
        (message.channel, message.header) for message in api.messages if message.thread_ts is None
    )
    assert in_slack == [
        (DEFAULT_CHANNEL, "✅ COMPLETED: sweep-us-east-1"),  # the hub's own region: no route names it
        (HUB_EUROPE, "✅ COMPLETED: sweep-eu-west-1"),
        (MEMBER_TEAM, "✅ COMPLETED: sweep-us-east-1"),
    ]
    by_email = sorted(
        (m["attributes"]["account"], m["attributes"]["job_name"], m["attributes"]["slack_channel"])
        for m in emails
    )
    assert by_email == [
        (ACCOUNT_ID, "sweep-eu-west-1", HUB_EUROPE),
        (ACCOUNT_ID, "sweep-us-east-1", DEFAULT_CHANNEL),
        (MEMBER, "sweep-us-east-1", MEMBER_TEAM),
    ]
