"""What people receive, pinned by golden files, plus the limits every message must respect.

Fixtures are response bodies as the service sends them (epoch timestamps, NaN metrics), read by
botocore's own JSON parser exactly as boto3 would: keys the service model lacks are dropped and
timestamps arrive in the machine's local zone. A fixture in tests/fixtures/steps adds the job's
ListInferenceRecommendationsJobSteps response. tests/fixtures/ai_describe holds
DescribeAIRecommendationJob responses; their cases are named ``ai_<fixture>``.

Regenerate after an intended wording change with:
    JOBWATCH_UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/test_messages.py
and review the diff: it is exactly what changes for a person.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.parsers import create_parser
from job_monitor.adapters.sagemaker_ai import report_from_description as ai_report_from_description
from job_monitor.domain import (
    COMPLETED,
    FAILED,
    IN_PROGRESS,
    STOPPED,
    JobReport,
    Origin,
    Recommendation,
    benchmarks_from_steps,
    report_from_description,
)
from job_monitor.messages import (
    SLACK_HEADER_LIMIT,
    MessageOptions,
    console_url,
    escape_slack,
    render_chatbot,
    render_email_body,
    render_email_subject,
    render_slack,
    render_summary_json,
    sns_publication,
)
from job_monitor.thread_messages import render_parent
from slack_sdk.models.blocks import Block

TESTS = Path(__file__).resolve().parent.parent
FIXTURES = TESTS / "fixtures" / "describe"
AI_FIXTURES = TESTS / "fixtures" / "ai_describe"
STEPS = TESTS / "fixtures" / "steps"
GOLDEN = TESTS / "golden"
UPDATE = os.environ.get("JOBWATCH_UPDATE_GOLDEN") == "1"
IR_CASES = sorted(path.stem for path in FIXTURES.glob("*.json"))
AI_CASES = sorted(f"ai_{path.stem}" for path in AI_FIXTURES.glob("*.json"))
# A job in a member account and another region, as jobwatch reports it when it watches several:
# (the fixture it is read from, where it runs, how messages name its account).
MEMBER_CASES = {
    "member_account": (
        "default_completed",
        Origin("210987654321", "ap-southeast-2"),
        "ml-research (210987654321)",
    ),
    "ai_member_account": ("ai_completed_ttft", Origin("210987654321", "eu-central-1"), "210987654321"),
}
CASES = IR_CASES + AI_CASES + sorted(MEMBER_CASES)
OPTIONS = MessageOptions()
_SERVICE_MODEL = botocore.session.get_session().get_service_model("sagemaker")


def parse(operation: str, body: bytes) -> dict[str, Any]:
    """A response body as boto3 returns it, through botocore's JSON protocol parser."""
    shape = _SERVICE_MODEL.operation_model(operation).output_shape
    return create_parser("json").parse({"body": body, "headers": {}, "status_code": 200}, shape)


def described(case: str) -> dict[str, Any]:
    return parse("DescribeInferenceRecommendationsJob", (FIXTURES / f"{case}.json").read_bytes())


def load(case: str) -> JobReport:
    if case in MEMBER_CASES:
        fixture, origin, account_name = MEMBER_CASES[case]
        return replace(load(fixture), origin=origin, region=origin.region, account_name=account_name)
    if case in AI_CASES:
        body = (AI_FIXTURES / f"{case.removeprefix('ai_')}.json").read_bytes()
        return ai_report_from_description(parse("DescribeAIRecommendationJob", body), region="eu-west-1")
    report = report_from_description(described(case), region="eu-west-1")
    steps = STEPS / f"{case}.json"
    if steps.exists():
        listed = parse("ListInferenceRecommendationsJobSteps", steps.read_bytes())
        report = replace(report, benchmarks=benchmarks_from_steps(listed["Steps"]))
    return report


def golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(actual)
    assert path.exists(), f"missing golden file {path.name}: run with JOBWATCH_UPDATE_GOLDEN=1"
    assert actual == path.read_text(), f"{path.name} changed; if intended, regenerate and review the diff"


def pretty(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def test_every_case_has_a_fixture() -> None:
    assert set(CASES) >= {
        "default_completed",
        "advanced_with_endpoints",
        "failed_hostile",
        "nan_metrics",
        "no_recommendations",
        "long_name",
        "stopped",
        "started",
        "serverless",
        "neo_compiled",
        "older_without_completion_time",
        "partly_failed",
        "failed_benchmarks",
        "endpoint_unexpected_keys",
        "latency_in_microseconds",
        "ai_completed_ttft",
        "ai_completed_throughput",
        "ai_adapters_cost_goal",
        "ai_goal_without_figure",
        "ai_failed",
        "ai_failed_hostile",
        "ai_hostile_figures",
        "ai_stopped",
        "ai_started",
        "ai_no_recommendations",
    }
    assert {path.stem for path in STEPS.glob("*.json")} <= set(CASES)


@pytest.mark.parametrize("case", CASES)
def test_slack_golden(case: str) -> None:
    golden(f"{case}.slack.json", pretty(render_slack(load(case), OPTIONS)))


@pytest.mark.parametrize("case", CASES)
def test_slack_blocks_are_valid_block_kit(case: str) -> None:
    """slack_sdk's Block Kit models judge every block: known types, fields and limits, nothing dropped."""
    for block in render_slack(load(case), OPTIONS)["blocks"]:
        model = Block.parse(block)
        assert model is not None, block
        model.validate_json()
        assert model.to_dict() == block


def _running(case: str) -> JobReport:
    """The job as its thread's parent first shows it: running, nothing finished yet."""
    return replace(load(case), status=IN_PROGRESS, completed_at=None, recommendations=(), failure_reason=None)


THREAD_CASES = ("default_completed", "failed_hostile", "stopped", "long_name")


@pytest.mark.parametrize("case", THREAD_CASES)
def test_slack_thread_parent_golden(case: str) -> None:
    """The parent posted when the job starts, and the same message updated in place when it ends."""
    golden(f"{case}.parent-running.json", pretty(render_parent(_running(case), OPTIONS)))
    golden(f"{case}.parent-final.json", pretty(render_parent(load(case), OPTIONS)))


@pytest.mark.parametrize("case", THREAD_CASES)
def test_slack_thread_parent_is_valid_block_kit(case: str) -> None:
    for report in (_running(case), load(case)):
        message = render_parent(report, OPTIONS)
        assert message["text"]
        for block in message["blocks"]:
            model = Block.parse(block)
            assert model is not None, block
            model.validate_json()
            assert model.to_dict() == block


def test_slack_thread_parent_keeps_job_text_inert() -> None:
    report = replace(load("failed_hostile"), name="x", model="<!channel> @here <https://evil.example|ok>")
    text = json.dumps(render_parent(report, OPTIONS))
    assert "<!channel>" not in text
    assert "@here" not in text
    assert "<https://evil" not in text


@pytest.mark.parametrize("case", IR_CASES)
def test_fixture_costs_are_whole_configuration_costs(case: str) -> None:
    """The invariant of real responses: CostPerInference = CostPerHour / (MaxInvocations x 60)."""
    recommendations = described(case).get("InferenceRecommendations", [])
    steps = STEPS / f"{case}.json"
    if steps.exists():
        listed = parse("ListInferenceRecommendationsJobSteps", steps.read_bytes())["Steps"]
        recommendations += [
            step["InferenceBenchmark"] for step in listed if "Metrics" in step["InferenceBenchmark"]
        ]
    checked = 0
    for item in recommendations:
        metrics = item["Metrics"]
        values = [metrics.get(key) for key in ("CostPerHour", "CostPerInference", "MaxInvocations")]
        if any(value is None or math.isnan(value) for value in values):
            continue
        hourly, per_inference, invocations = values
        assert per_inference == pytest.approx(hourly / (invocations * 60), rel=1e-6), item
        checked += 1
    assert checked or not recommendations or case == "nan_metrics"


@pytest.mark.parametrize("case", CASES)
def test_email_golden(case: str) -> None:
    report = load(case)
    golden(
        f"{case}.email.txt",
        f"Subject: {render_email_subject(report)}\n\n{render_email_body(report, OPTIONS)}",
    )


@pytest.mark.parametrize("case", CASES)
def test_chatbot_golden(case: str) -> None:
    golden(f"{case}.chatbot.json", pretty(render_chatbot(load(case), OPTIONS)))


@pytest.mark.parametrize("case", CASES)
def test_sns_publication_golden(case: str) -> None:
    publication = sns_publication(load(case), OPTIONS)
    document = {
        "Subject": publication.subject,
        "MessageStructure": publication.message_structure,
        "MessageAttributes": publication.attributes,
        "Message": json.loads(publication.message),
    }
    golden(f"{case}.sns.json", pretty(document))


def _texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [text for value in node.values() for text in _texts(value)]
    if isinstance(node, list):
        return [text for value in node for text in _texts(value)]
    return [node] if isinstance(node, str) else []


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("chatbot", [False, True])
def test_limits_and_no_leaked_nan_or_none(case: str, chatbot: bool) -> None:
    report = load(case)
    options = MessageOptions(chatbot_format=chatbot)
    subject = render_email_subject(report)
    assert len(subject) < 100
    assert subject.isascii()
    assert "\n" not in subject
    slack = render_slack(report, options)
    assert len(slack["blocks"]) <= 50
    for block in slack["blocks"]:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= SLACK_HEADER_LIMIT
        if "text" in block and block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        assert len(block.get("fields", [])) <= 10
        for field in block.get("fields", []):
            assert len(field["text"]) <= 2000
    assert len(slack["text"]) <= 3000
    publication = sns_publication(report, options)
    assert len(publication.message.encode()) <= 256 * 1024
    structure = json.loads(publication.message)
    assert {"default", "email"} <= set(structure)
    assert all(isinstance(value, str) for value in structure.values())
    everything = [
        *_texts(slack),
        subject,
        render_email_body(report, options),
        *_texts(render_chatbot(report, options)),
    ]
    for text in everything:
        assert not re.search(r"\bnan\b|\bNone\b", text, re.IGNORECASE), text[:200]


def test_untrusted_text_cannot_ping_or_forge_links_in_slack() -> None:
    report = load("failed_hostile")
    raw = json.dumps(render_slack(report, OPTIONS), ensure_ascii=False)
    assert "<!" not in raw
    assert "<http" not in raw
    assert "<mailto" not in raw
    assert not re.search(r"@(channel|here|everyone)\b", raw)
    assert "(truncated)" in raw
    failure_block = render_slack(report, OPTIONS)["blocks"][2]["text"]["text"]
    assert failure_block.count("```") == 2, "the reason cannot close its code block early"
    chatbot = json.dumps(render_chatbot(report, OPTIONS), ensure_ascii=False)
    assert "<!" not in chatbot
    assert "<http" not in chatbot


def test_escape_slack() -> None:
    assert escape_slack("a & b <!here> <https://x|y>") == "a &amp; b &lt;!here&gt; &lt;https://x|y&gt;"
    assert escape_slack("@channel hi @Here") == "@\u2060channel hi @\u2060Here"
    assert escape_slack("user@example.com") == "user@example.com"


@pytest.mark.parametrize(
    ("objective", "column"),
    [("cost", "cost_per_inference"), ("latency", "model_latency_ms"), ("throughput", "max_invocations")],
)
def test_the_objective_decides_the_first_row(objective: str, column: str) -> None:
    report = load("default_completed")
    body = render_email_body(report, MessageOptions(objective=objective))
    first_row = next(line for line in body.splitlines() if line.startswith("1 "))
    values = [getattr(item, column) for item in report.recommendations if getattr(item, column) is not None]
    best = max(values) if objective == "throughput" else min(values)
    winner = next(item for item in report.recommendations if getattr(item, column) == best)
    assert first_row.split()[1] == winner.instance_type


def test_top_n_is_honoured() -> None:
    report = load("advanced_with_endpoints")
    for top_n in (1, 3, 5):
        body = render_email_body(report, MessageOptions(top_n=top_n))
        rows = [line for line in body.splitlines() if re.match(r"^\d+ +ml\.", line)]
        assert len(rows) == min(top_n, len(report.recommendations))


def test_subject_shortens_a_long_name_but_keeps_the_status() -> None:
    report = JobReport(name="x" * 63, status=COMPLETED, region="us-east-1")
    subject = render_email_subject(report)
    assert subject.startswith("[jobwatch] COMPLETED: ")
    assert len(subject) < 100


# --- hostile job text ---------------------------------------------------------------------------

SNS_LIMIT_BYTES = 256 * 1024


def _outside_code(text: str) -> str:
    """What Slack renders as live mrkdwn: everything outside ``` code blocks."""
    return "".join(text.split("```")[0::2])


def test_the_failure_reason_code_block_keeps_its_closing_fence_however_much_escaping_grows_it() -> None:
    report = JobReport(name="job", status=FAILED, region="us-east-1", failure_reason="<&>" * 2000 + " *live*")
    text = render_slack(report, OPTIONS)["blocks"][2]["text"]["text"]
    assert len(text) <= 3000
    assert text.endswith("```")
    assert text.count("```") == 2
    assert "(truncated)" in text


def test_a_table_with_hostile_instance_types_keeps_its_closing_fence() -> None:
    rows = tuple(Recommendation(instance_type="<&>" * 300 + f"{n}") for n in range(10))
    report = JobReport(name="job", status=COMPLETED, region="us-east-1", recommendations=rows)
    for block in render_slack(report, MessageOptions(top_n=10))["blocks"]:
        text = (block.get("text") or {}).get("text", "")
        if "```" in text:
            assert len(text) <= 3000
            assert text.endswith("```")
            assert text.count("```") == 2


def test_environment_values_never_reach_live_mrkdwn() -> None:
    environment = (("MODE", "*bold* _italic_ ~strike~ https://evil.example/steal"), ("X", "a\n#2 FORGED=1"))
    report = JobReport(
        name="job",
        status=COMPLETED,
        region="us-east-1",
        recommendations=(Recommendation(instance_type="ml.c5.xlarge", environment=environment),),
    )
    slack = render_slack(report, OPTIONS)
    live = " ".join(_outside_code(text) for text in _texts(slack["blocks"]))
    assert "*bold*" not in live
    assert "evil.example" not in live
    everything = json.dumps(slack, ensure_ascii=False)
    assert "FORGED" in everything
    assert "\n#2 FORGED" not in everything.replace("\\n", "\n")


def test_a_description_with_line_breaks_cannot_forge_lines_in_the_email() -> None:
    forged = (
        "Nightly sizing\nOpen the SageMaker console (here):\r\nhttps://evil.example/login\u2028Region     x"
    )
    report = JobReport(name="job", status=STOPPED, region="us-east-1", description=forged)
    body = render_email_body(report, OPTIONS)
    lines = body.splitlines()
    assert sum(line.startswith("Open the SageMaker console") for line in lines) == 1
    assert not any(line.startswith("https://evil") for line in lines)
    assert [line for line in lines if line.startswith("Region")] == ["Region     us-east-1"]


def test_a_failure_reason_with_line_breaks_cannot_forge_the_console_link() -> None:
    forged = "OOM\n\nOpen the SageMaker console (here):\nhttps://evil.example/login"
    report = JobReport(name="job", status=FAILED, region="us-east-1", failure_reason=forged)
    lines = render_email_body(report, OPTIONS).splitlines()
    assert sum(line.startswith("Open the SageMaker console") for line in lines) == 1
    assert not any(line.startswith("https://evil") for line in lines)
    assert "evil.example" in "\n".join(lines)


@pytest.mark.parametrize(
    "link",
    [
        "<HTTPS://evil.example|click>",
        "<Https://evil.example|x>",
        "<MAILTO:a@b.c|x>",
        "[click](https://evil.example)",
    ],
)
def test_chatbot_defang_catches_every_link_form(link: str) -> None:
    report = JobReport(name="job", status=FAILED, region="us-east-1", failure_reason=f"see {link}")
    description = render_chatbot(report, OPTIONS)["content"]["description"]
    assert link not in description
    assert not re.search(r"<(https?|mailto):", description, re.IGNORECASE)
    assert "](" not in description


def test_a_lone_surrogate_renders_everywhere() -> None:
    report = JobReport(
        name="job",
        status=FAILED,
        region="us-east-1",
        description="bad \ud800 text",
        failure_reason="reason \udfff",
    )
    for options in (OPTIONS, MessageOptions(chatbot_format=True)):
        publication = sns_publication(report, options)
        publication.message.encode("utf-8")
        publication.subject.encode("utf-8")
        assert "\ufffd" in publication.message
        json.dumps(render_slack(report, options), ensure_ascii=False).encode("utf-8")


def _worst_case_report(status: str) -> JobReport:
    """The largest report the API allows, in the characters that cost the most bytes once in SNS's JSON."""
    costly = '\x01"\\é😀'
    text = costly * 40_000
    return JobReport(
        name="j" * 63,
        status=status,
        region="ap-southeast-1",
        job_type="Advanced",
        model="arn:aws:sagemaker:ap-southeast-1:123456789012:model-package/" + text[:1980],
        description=text[:128],
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        completed_at=datetime(2026, 1, 2, tzinfo=UTC),
        failure_reason=text[:1024],
        recommendations=tuple(
            Recommendation(
                instance_type="ml.p4de.24xlarge",
                instance_count=10,
                cost_per_hour=12345.6789,
                cost_per_inference=0.0123,
                max_invocations=123456,
                model_latency_ms=12345,
                cpu_utilization=99.9,
                memory_utilization=99.9,
                environment=tuple((f"K{n}" + text[:200], text) for n in range(10)),
            )
            for _ in range(10)
        ),
    )


@pytest.mark.parametrize("status", [COMPLETED, FAILED])
@pytest.mark.parametrize("chatbot", [False, True])
def test_every_sns_message_fits_the_limit_by_design(status: str, chatbot: bool) -> None:
    report = _worst_case_report(status)
    publication = sns_publication(report, MessageOptions(top_n=10, chatbot_format=chatbot))
    size = (
        len(publication.message.encode("utf-8"))
        + len(publication.subject.encode("utf-8"))
        + sum(
            len(name.encode()) + len(value.encode()) + len("String")
            for name, value in publication.attributes.items()
        )
    )
    assert size <= SNS_LIMIT_BYTES
    structure = json.loads(publication.message)
    assert console_url(report) in structure["email"]
    json.loads(structure["default"])


def test_a_long_name_keeps_the_headlines_details_in_the_subject() -> None:
    report = replace(
        load("default_completed"), name="bert-base-uncased-imdb-sentiment-sweep-ml-c7g-g4dn-inf1-2026-11-02"
    )
    subject = render_email_subject(report)
    assert len(subject) <= 99
    assert subject.startswith("[jobwatch] COMPLETED: bert-base-uncase...")
    assert subject.endswith("2026-11-02 - ml.c7g.xlarge x1, $0.174/h, $0.50/1M inf")


def test_details_give_way_one_by_one_from_the_end() -> None:
    big = Recommendation(
        instance_type="ml.p4de.24xlarge",
        instance_count=10,
        compilation_job="neo",
        cost_per_hour=327.706,
        cost_per_inference=1.23456e-3,
    )
    report = JobReport(name="n" * 64, status=COMPLETED, region="us-east-1", recommendations=(big,))
    subject = render_email_subject(report)
    assert (
        subject
        == "[jobwatch] COMPLETED: " + "n" * 18 + "..." + "n" * 17 + " - ml.p4de.24xlarge x10 Neo, $327.706/h"
    )
    assert len(subject) <= 99


@pytest.mark.parametrize(
    ("region", "host"),
    [
        ("eu-west-1", "https://eu-west-1.console.aws.amazon.com/"),
        ("cn-north-1", "https://console.amazonaws.cn/"),
        ("us-gov-west-1", "https://console.amazonaws-us-gov.com/"),
    ],
)
def test_the_console_link_is_in_the_regions_partition(region: str, host: str) -> None:
    url = console_url(JobReport(name="job", status=COMPLETED, region=region))
    assert url == f"{host}sagemaker/home?region={region}"


def test_serverless_gets_no_around_the_clock_month() -> None:
    report = load("serverless")
    body = render_email_body(report, OPTIONS)
    assert "around the clock" not in body
    assert "#1 is serverless and billed per use" in body
    assert render_summary_json(report, OPTIONS)["top_recommendations"][0]["monthly_cost_estimate"] is None


def test_a_month_of_a_two_instance_configuration_is_not_doubled() -> None:
    top = render_summary_json(load("default_completed"), MessageOptions(objective="throughput"))[
        "top_recommendations"
    ]
    assert top[0]["instance_count"] == 2
    assert top[0]["monthly_cost_estimate"] == pytest.approx(top[0]["cost_per_hour"] * 730)


def test_the_benchmark_part_is_left_out_when_it_is_unknown() -> None:
    report = replace(load("partly_failed"), benchmarks=None)
    assert "benchmarks failed" not in render_email_body(report, OPTIONS)
    assert render_summary_json(report, OPTIONS)["benchmarks"] is None


@pytest.mark.parametrize("instance", ["ml.c5.xlarge", "ml.p4de.24xlarge"])
def test_every_name_length_gives_a_subject_that_fits_and_keeps_what_it_can(instance: str) -> None:
    best = Recommendation(
        instance_type=instance,
        instance_count=10,
        compilation_job="neo",
        cost_per_hour=327.7,
        cost_per_inference=1e-3,
    )
    for length in range(1, 65):
        name = "j" * length
        report = JobReport(name=name, status=COMPLETED, region="us-east-1", recommendations=(best,))
        subject = render_email_subject(report)
        assert len(subject) <= 99, subject
        assert subject.startswith("[jobwatch] COMPLETED: j")
        assert f" - {instance} x10 Neo, $327.700/h" in subject, subject
        if name in subject:
            continue
        assert len(subject) == 99, "a name is shortened only when the subject would not fit"


# --- AI recommendation jobs ---------------------------------------------------------------------


@pytest.mark.parametrize("case", ["ai_hostile_figures", "ai_failed_hostile"])
def test_ai_job_text_cannot_ping_link_or_format_in_slack_or_chatbot(case: str) -> None:
    slack = render_slack(load(case), OPTIONS)
    raw = json.dumps(slack, ensure_ascii=False)
    assert "<!" not in raw
    assert "<http" not in raw
    assert not re.search(r"@(channel|here|everyone)\b", raw)
    for block in slack["blocks"][2:-2]:  # between the facts and the console link: the job's findings
        text = block.get("text", {}).get("text", "")
        live = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
        assert "evil.example" not in live, "job text outside a code block could auto-link"
        assert text.count("```") % 2 == 0
    chatbot = json.dumps(render_chatbot(load(case), OPTIONS), ensure_ascii=False)
    assert "<!" not in chatbot
    assert "<http" not in chatbot
    assert "](http" not in chatbot


def test_ai_recommendations_are_ranked_by_the_jobs_own_goal() -> None:
    def first(case: str) -> str:
        return render_summary_json(load(case), OPTIONS)["top_recommendations"][0]["configuration"]

    assert first("ai_completed_ttft") == "ml.p4d.24xlarge x1, 8 copies each"  # 95 ms to first token
    assert first("ai_completed_throughput") == "ml.g6e.2xlarge x1, 2 copies each"  # 2240 tokens/s
    assert first("ai_adapters_cost_goal") == "ml.g6e.2xlarge x1, 2 copies each"  # 0.28 USD
    assert first("ai_goal_without_figure") == "ml.g5.2xlarge x1, 1 copy each"  # the service's order


def test_ai_summary_shows_figures_as_given_with_units_and_statistics() -> None:
    body = render_email_body(load("ai_completed_ttft"), OPTIONS)
    assert "TTFT p90 142 ms" in body
    assert "Throughput avg 15800 tokens/s" in body
    assert "CostPerMillionTokens 0.66 USD" in body
    assert "SpeculativeDecoding (draft-model=eagle3-llama31-8b, num-speculative-tokens=4)" in body
    assert "8 copies each" in body


def test_sns_messages_carry_the_job_kind() -> None:
    assert sns_publication(load("ai_failed"), OPTIONS).attributes == {
        "status": "FAILED",
        "job_name": "llama31-70b-sizing",
        "job_kind": "ai-recommendation",
    }
    assert (
        sns_publication(load("default_completed"), OPTIONS).attributes["job_kind"] == "inference-recommender"
    )


def test_an_ai_report_survives_the_outbox_round_trip() -> None:
    for case in AI_CASES:
        report = load(case)
        assert JobReport.from_json(report.to_json()) == report


def test_an_ai_report_reads_back_even_when_its_module_is_no_longer_loaded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The sandbox unloads the function's modules after a run; a retry in a warm process still reads."""
    report = load("ai_adapters_cost_goal")
    monkeypatch.delitem(sys.modules, "job_monitor.domain", raising=False)  # gone already after the e2e tests
    assert JobReport.from_json(report.to_json()) == report
