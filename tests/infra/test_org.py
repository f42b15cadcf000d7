"""Hub and spoke: the reader role, its stack and StackSet, and what the hub may assume."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template
from cfnlint.api import lint_file

from app import build as build_app
from infra.config import ConfigError, MonitorProps, props_from_context
from infra.monitor import JobStatusMonitor
from infra.permissions import JOB_READS
from infra.reader import ReaderRole
from local.sandbox import cli_context

pytestmark = pytest.mark.slow

HUB_ROLE = "arn:aws:iam::111111111111:role/Jobwatch-MonitorFunctionRole-ABC"
ORG = MonitorProps(
    notify_emails=("ml-team@example.com",),
    regions=("us-east-1", "eu-west-1"),
    accounts=("222222222222", "333333333333"),
    reader_org_units=("ou-ab12-cdef3456",),
)


def hub(props: MonitorProps) -> Template:
    stack = cdk.Stack(cdk.App(), "Bare")
    JobStatusMonitor(stack, "Monitor", props=props)
    return Template.from_stack(stack)


def reader(job_kinds: tuple[str, ...]) -> Template:
    stack = cdk.Stack(cdk.App(), "Bare")
    ReaderRole(stack, "Reader", role_name="jobwatch-reader", hub_role_arn=HUB_ROLE, job_kinds=job_kinds)
    return Template.from_stack(stack)


def statements(template: Template) -> list[dict[str, Any]]:
    return [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def actions(template: Template) -> set[str]:
    found: set[str] = set()
    for statement in statements(template):
        value = statement["Action"]
        found.update([value] if isinstance(value, str) else value)
    return found


@pytest.mark.parametrize(
    "job_kinds", [("inference-recommender", "ai-recommendation"), ("ai-recommendation",)]
)
def test_the_reader_role_may_only_list_and_describe_the_watched_kinds(job_kinds: tuple[str, ...]) -> None:
    template = reader(job_kinds)

    expected = {"iam:ListAccountAliases"}
    for kind in job_kinds:
        expected |= {*JOB_READS[kind].list_actions, JOB_READS[kind].describe_action}
    assert actions(template) == expected
    assert all(statement["Effect"] == "Allow" for statement in statements(template))


def test_the_reader_role_trusts_only_the_hubs_function_role() -> None:
    template = reader(("inference-recommender",))

    template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "RoleName": "jobwatch-reader",
            "MaxSessionDuration": 3600,
            "AssumeRolePolicyDocument": {
                "Statement": [
                    {
                        "Action": "sts:AssumeRole",
                        "Effect": "Allow",
                        "Condition": {"ArnEquals": {"aws:PrincipalArn": HUB_ROLE}},
                        "Principal": {"AWS": Match.any_value()},
                    }
                ]
            },
        },
    )
    [role] = template.find_resources("AWS::IAM::Role").values()
    principal = json.dumps(role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"])
    assert ":iam::111111111111:root" in principal


def test_the_hub_may_assume_only_the_reader_role_in_the_listed_accounts() -> None:
    template = hub(ORG)

    [assume] = [statement for statement in statements(template) if statement["Action"] == "sts:AssumeRole"]
    resources = json.dumps(assume["Resource"])
    assert "iam::222222222222:role/jobwatch-reader" in resources
    assert "iam::333333333333:role/jobwatch-reader" in resources
    assert len(assume["Resource"]) == 2
    variables = template.find_resources("AWS::Lambda::Function")
    [environment] = [
        function["Properties"]["Environment"]["Variables"]
        for function in variables.values()
        if "Environment" in function["Properties"]
    ]
    assert environment["REGIONS"] == "us-east-1,eu-west-1"
    assert environment["ACCOUNTS"] == "222222222222,333333333333"
    assert environment["READER_ROLE_NAME"] == "jobwatch-reader"
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm", {"MetricName": "SourcesUnreachable", "Threshold": 3}
    )


def test_the_stack_set_deploys_the_reader_to_the_org_units_and_new_accounts() -> None:
    template = hub(ORG)

    [stack_set] = template.find_resources("AWS::CloudFormation::StackSet").values()
    properties = stack_set["Properties"]
    assert properties["PermissionModel"] == "SERVICE_MANAGED"
    assert properties["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False}
    assert properties["Capabilities"] == ["CAPABILITY_NAMED_IAM"]
    [group] = properties["StackInstancesGroup"]
    assert group["DeploymentTargets"] == {"OrganizationalUnitIds": ["ou-ab12-cdef3456"]}
    [parameter] = properties["Parameters"]
    assert parameter["ParameterKey"] == "HubRoleArn"
    assert "FunctionRole" in json.dumps(parameter["ParameterValue"])  # the hub's own function role
    body = json.loads(properties["TemplateBody"])
    assert "BootstrapVersion" not in body.get("Parameters", {})
    [role] = [r for r in body["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    assert role["Properties"]["RoleName"] == "jobwatch-reader"


@pytest.mark.parametrize(
    ("call_as", "expected"),
    [
        (None, None),
        ("self", "SELF"),
        ("delegated_admin", "DELEGATED_ADMIN"),
        ("DELEGATED_ADMIN", "DELEGATED_ADMIN"),
    ],
)
def test_the_stack_set_is_created_as_the_management_account_or_a_delegated_administrator(
    call_as: str | None, expected: str | None
) -> None:
    context = {
        "notify_emails": "ml-team@example.com",
        "accounts": "222222222222",
        "reader_org_units": "ou-ab12-cdef3456",
    }
    if call_as is not None:
        context["reader_stackset_call_as"] = call_as

    template = hub(props_from_context(context))

    [stack_set] = template.find_resources("AWS::CloudFormation::StackSet").values()
    # Left out, CloudFormation's default (SELF) applies and an existing hub's template is unchanged
    assert stack_set["Properties"].get("CallAs") == expected
    assert stack_set["Properties"]["PermissionModel"] == "SERVICE_MANAGED"


def source_graphs(template: Template) -> list[dict[str, Any]]:
    [dashboard] = template.find_resources("AWS::CloudWatch::Dashboard").values()
    parts = dashboard["Properties"]["DashboardBody"]["Fn::Join"][1]
    widgets = json.loads("".join(part if isinstance(part, str) else "REF" for part in parts))["widgets"]
    return [w["properties"] for w in widgets if "per source" in w["properties"].get("title", "")]


def test_the_dashboard_graphs_every_source_found_by_a_search_so_new_sources_need_no_redeploy() -> None:
    [graph] = source_graphs(hub(ORG))

    [[query]] = graph["metrics"]
    assert query == {
        "expression": 'SEARCH(\'{jobwatch,service,source} service="Bare" '
        "MetricName=\"SourcesUnreachable\"', 'Sum', 300)"
    }
    assert "Sources unreachable" in graph["title"]


def test_without_the_new_keys_the_hub_is_as_before() -> None:
    template = hub(MonitorProps(notify_emails=("ml-team@example.com",)))

    assert source_graphs(template) == []  # one source: the tick graphs say it all

    assert not template.find_resources("AWS::CloudFormation::StackSet")
    assert "sts:AssumeRole" not in actions(template)
    assert "iam:ListAccountAliases" not in actions(template)
    assert not template.find_resources(
        "AWS::CloudWatch::Alarm", {"Properties": {"MetricName": "SourcesUnreachable"}}
    )


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"regions": "Europe"}, "regions: 'Europe' is not a region name"),
        ({"accounts": "12345"}, "accounts: '12345' is not a 12-digit account ID"),
        ({"reader_role_name": "no spaces"}, "reader_role_name: must be an IAM role name"),
        ({"accounts": "222222222222", "reader_org_units": "sales"}, "reader_org_units: 'sales' is not"),
        ({"reader_org_units": "ou-ab12-cdef3456"}, "accounts lists no member account"),
        (
            {"accounts": "222222222222", "reader_stackset_call_as": "DELEGATED_ADMIN"},
            "reader_stackset_call_as: .* reader_org_units names no organizational unit",
        ),
        (
            {
                "accounts": "222222222222",
                "reader_org_units": "ou-ab12-cdef3456",
                "reader_stackset_call_as": "ADMIN",
            },
            "reader_stackset_call_as: must be one of SELF, DELEGATED_ADMIN .* got 'ADMIN'",
        ),
        ({"reader_stackset_call_as": " "}, "reader_stackset_call_as: is empty"),
    ],
)
def test_each_bad_source_key_is_named(context: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        props_from_context({"notify_emails": "a@example.com", **context})


@pytest.mark.parametrize(
    "context",
    [
        {
            "notify_emails": "a@example.com",
            "regions": "us-east-1,eu-west-1",
            "accounts": "222222222222",
            "reader_org_units": "ou-ab12-cdef3456",
        },
        {"deploy": "reader", "job_kinds": "ai-recommendation"},
    ],
)
def test_cdk_nag_accepts_the_hub_and_the_reader_stack(context: dict[str, str]) -> None:
    app = cdk.App(context=cli_context(context))
    build_app(app)
    app.synth()  # raises on any unacknowledged cdk-nag finding


def test_an_unknown_deploy_target_is_refused() -> None:
    with pytest.raises(ConfigError, match="deploy: must be one of monitor, reader"):
        build_app(cdk.App(context={"deploy": "spoke"}))


@pytest.mark.parametrize("call_as", [None, "DELEGATED_ADMIN"])
def test_cfn_lint_finds_no_error_in_the_hub_or_the_stack_set_body(
    tmp_path: Path, call_as: str | None
) -> None:
    template = hub(dataclasses.replace(ORG, reader_stackset_call_as=call_as)).to_json()
    [stack_set] = [r for r in template["Resources"].values() if r["Type"] == "AWS::CloudFormation::StackSet"]
    for name, document in (
        ("hub", template),
        ("reader", json.loads(stack_set["Properties"]["TemplateBody"])),
    ):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(document))
        assert [str(match) for match in lint_file(path) if match.rule.id.startswith("E")] == []
