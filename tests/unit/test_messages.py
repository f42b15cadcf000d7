"""What people receive, pinned by golden files, plus the limits every message must respect.

Regenerate after an intended wording change with:
    JOBWATCH_UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/test_messages.py
and review the diff: it is exactly what changes for a person.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from job_monitor.domain import COMPLETED, JobReport, report_from_description
from job_monitor.messages import (
    SLACK_HEADER_LIMIT,
    MessageOptions,
    escape_slack,
    render_chatbot,
    render_email_body,
    render_email_subject,
    render_slack,
    sns_publication,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "describe"
GOLDEN = Path(__file__).resolve().parent.parent / "golden"
UPDATE = os.environ.get("JOBWATCH_UPDATE_GOLDEN") == "1"
CASES = sorted(path.stem for path in FIXTURES.glob("*.json"))
OPTIONS = MessageOptions()


def load(case: str) -> JobReport:
    response = json.loads((FIXTURES / f"{case}.json").read_text())
    for key in ("CreationTime", "CompletionTime", "LastModifiedTime"):
        if key in response:
            response[key] = datetime.fromisoformat(response[key])
    return report_from_description(response, region="eu-west-1")


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
    }


@pytest.mark.parametrize("case", CASES)
def test_slack_golden(case: str) -> None:
    golden(f"{case}.slack.json", pretty(render_slack(load(case), OPTIONS)))


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
