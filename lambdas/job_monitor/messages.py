"""What people receive: Slack Block Kit, plain-text email, AWS Chatbot cards and a JSON summary.

Pure functions of a JobReport: no clock, no I/O, so golden files pin every word. Each message
answers: what finished, is it good, what should I deploy, what does it cost, where do I look next.

This module is the frame every kind of job shares (headline, status, times, failure reason, the
console link, each form's limits); what a kind's summary says about its findings comes from that
kind's module in ``summaries/``, looked up in SUMMARIES by the report's kind.

Job text is untrusted (whoever creates a job writes its description, environment and, through
the model, its failure reason): every entry point first passes the report through
``_sanitized``, and each form escapes what it shows, trimming by the escaped length.
Times are UTC: the report holds them converted.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields, is_dataclass, replace
from typing import Any, TypeVar
from urllib.parse import quote

from job_monitor.domain import (
    AI_RECOMMENDATION,
    COMPLETED,
    FAILED,
    IN_PROGRESS,
    INFERENCE_RECOMMENDER,
    STOPPED,
    JobReport,
)
from job_monitor.markup import (
    ENVIRONMENT_LIMIT,
    MessageOptions,
    code_block,
    defang,
    escape_slack,
    iso,
    mrkdwn,
    one_line,
    trim,
    when,
)
from job_monitor.summaries import KindSummary, ai_recommendation, inference_recommender

__all__ = ["ENVIRONMENT_LIMIT", "SUMMARIES", "MessageOptions", "escape_slack"]

# One summary module per kind of job: the only place a kind's rendering is chosen.
SUMMARIES: dict[str, KindSummary] = {
    INFERENCE_RECOMMENDER: inference_recommender,
    AI_RECOMMENDATION: ai_recommendation,
}

SUBJECT_LIMIT = 99  # SNS: "less than 100 characters", ASCII, no line breaks
SLACK_HEADER_LIMIT = 150
SLACK_FALLBACK_LIMIT = 3000
SLACK_FAILURE_LIMIT = 2500
EMAIL_FAILURE_LIMIT = 8000
CHATBOT_TITLE_LIMIT = 250
CHATBOT_DESCRIPTION_LIMIT = 8000
SNS_MESSAGE_LIMIT = 262_144  # bytes of UTF-8, message attributes and subject included

SUBJECT_NAME_MIN = 24  # a job name is shortened to no less than this to keep the headline's details

# The status of jobwatch's own test message (``jobwatch send-test``): it proves a channel works
# and reports on no job, which every form says in words a receiver cannot mistake.
SEND_TEST = "TEST"
SEND_TEST_NOTE = (
    "This is a test message from jobwatch, sent by `jobwatch send-test` to prove this channel works. "
    "No Inference Recommender job changed; nothing needs doing."
)

_STATUS_ICON = {COMPLETED: "✅", FAILED: "❌", STOPPED: "⏹️", IN_PROGRESS: "▶️", SEND_TEST: "🧪"}
_STATUS_WORD = {
    COMPLETED: "COMPLETED",
    FAILED: "FAILED",
    STOPPED: "STOPPED",
    IN_PROGRESS: "STARTED",
    SEND_TEST: "TEST MESSAGE",
}

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

_Value = TypeVar("_Value")


@dataclass(frozen=True, kw_only=True)
class SnsPublication:
    subject: str
    message: str
    message_structure: str | None
    attributes: dict[str, str]


def _summary(report: JobReport) -> KindSummary:
    return SUMMARIES[report.kind]


# --- small formatters -------------------------------------------------------------------------


def duration(report: JobReport) -> str:
    seconds = report.duration_seconds
    if seconds is None:
        return "n/a"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {secs:02d}s"


def _sanitized(value: _Value) -> _Value:
    """A report every encoder accepts: a lone surrogate (valid in a Python string, refused by
    every UTF-8 encoder, SNS's included) becomes U+FFFD.

    Done here, where every message is rendered, rather than where SageMaker's answer is parsed:
    reports already waiting in the outbox are rendered again on each retry, and they pass here too.
    """
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)  # type: ignore[return-value]
    if isinstance(value, tuple):
        return tuple(_sanitized(item) for item in value)  # type: ignore[return-value]
    if is_dataclass(value) and not isinstance(value, type):
        changes = {item.name: _sanitized(getattr(value, item.name)) for item in fields(value) if item.init}
        return replace(value, **changes)  # type: ignore[return-value]
    return value


def _status_word(report: JobReport) -> str:
    return _STATUS_WORD.get(report.status, report.status)


def console_url(report: JobReport) -> str:
    """The SageMaker console of the job's region, in its partition.

    No AWS documentation gives a URL for one Inference Recommender job's page, so the link opens
    the documented console home ("https://console.aws.amazon.com/sagemaker/", the developer
    guide's entry point, with the region's host and ``region=``) and every message names the job
    next to the link. China and GovCloud regions have their own console hosts.
    """
    region = report.region
    if region.startswith("cn-"):
        host = "console.amazonaws.cn"
    elif region.startswith("us-gov-"):
        host = "console.amazonaws-us-gov.com"
    else:
        host = f"{region}.console.aws.amazon.com"
    return f"https://{host}/sagemaker/home?region={quote(region, safe='')}"


def _console_hint(report: JobReport) -> str:
    return f"{_summary(report).CONSOLE_SECTION} > {report.name}"


def _headline_details(report: JobReport, options: MessageOptions) -> list[str]:
    """The facts after the job's name: for a completed job, what to deploy and what it costs."""
    if report.status != COMPLETED:
        return []
    return _summary(report).headline_details(report, options)


def _headline(report: JobReport, options: MessageOptions) -> str:
    """One line: what happened and, for a completed job, what to deploy."""
    return _headline_of(_status_word(report), report.name, _headline_details(report, options))


def _headline_of(status: str, name: str, details: list[str]) -> str:
    return f"{status}: {name}" + (" - " + ", ".join(details) if details else "")


def _shorten(name: str, length: int) -> str:
    """Keep both ends of a long name: sweeps often differ only in their suffix."""
    if len(name) <= length:
        return name
    head = (length - 3 + 1) // 2
    return name[:head] + "..." + name[len(name) - (length - 3 - head) :]


# --- email ------------------------------------------------------------------------------------


def render_email_subject(report: JobReport, options: MessageOptions | None = None) -> str:
    """ASCII, one line, under 100 characters, keeping as much of the headline as fits.

    The status always stays. A long job name is shortened in the middle (to no less than
    SUBJECT_NAME_MIN characters) before a detail is dropped; details go from the last (cost) to
    the first (what to deploy).
    """

    report = _sanitized(report)

    def ascii_line(text: str) -> str:
        return text.encode("ascii", "replace").decode("ascii").replace("\n", " ").replace("\r", " ")

    status = _status_word(report)
    name = ascii_line(report.name)
    details = [ascii_line(detail) for detail in _headline_details(report, options or MessageOptions())]

    def excess(kept: int) -> int:
        return len("[jobwatch] " + _headline_of(status, name, details[:kept])) - SUBJECT_LIMIT

    kept = len(details)
    while kept and excess(kept) > 0 and len(name) - excess(kept) < SUBJECT_NAME_MIN:
        kept -= 1
    name = _shorten(name, len(name) - max(0, excess(kept)))
    return "[jobwatch] " + _headline_of(status, name, details[:kept])


def render_email_body(report: JobReport, options: MessageOptions) -> str:
    """Plain text; job text on a labelled line stays on that line, a failure reason is quoted."""
    report = _sanitized(report)
    summary = _summary(report)
    lines = [
        f"jobwatch: {summary.NOUN} {_status_word(report)}",
        "",
        *summary.email_heading(report),
        f"Region     {one_line(report.region)}",
        f"Created    {when(report.created_at)}",
    ]
    if report.status != IN_PROGRESS:
        lines.append(f"Finished   {when(report.finished_at)} (took {duration(report)})")
    if report.description:
        lines.append(f"About      {one_line(report.description)}")
    lines.append("")
    if report.status == COMPLETED:
        lines.extend(summary.email_completed(report, options))
    elif report.status == FAILED:
        reason = trim(report.failure_reason or "(none given)", EMAIL_FAILURE_LIMIT)
        lines += ["Failure reason:", *(f"> {line}" for line in reason.splitlines()), ""]
    elif report.status == STOPPED:
        lines += ["The job was stopped before it finished; it published no recommendations.", ""]
    elif report.status == SEND_TEST:
        lines += [SEND_TEST_NOTE, ""]
    else:
        lines += [summary.STARTED_EMAIL, ""]
    notes = summary.notes(report)
    if notes:
        lines += [notes[0], *(f"  {line}" for line in notes[1:]), ""]
    lines += [f"Open the SageMaker console ({_console_hint(report)}):", console_url(report), ""]
    return "\n".join(lines)


# --- Slack ------------------------------------------------------------------------------------


def render_slack(report: JobReport, options: MessageOptions) -> dict[str, Any]:
    """An incoming-webhook payload: Block Kit blocks plus the fallback text notifications show."""
    report = _sanitized(report)
    summary = _summary(report)
    icon = _STATUS_ICON.get(report.status, "🔔")
    header = f"{icon} {_status_word(report)}: {report.name}"
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": trim(header, SLACK_HEADER_LIMIT), "emoji": True},
        },
        {
            "type": "section",
            "fields": [
                *(mrkdwn(f"*{label}*\n{escape_slack(value)}") for label, value in summary.facts(report)),
                mrkdwn(f"*Duration*\n{duration(report)}"),
                mrkdwn(f"*Region*\n{escape_slack(report.region)}"),
            ],
        },
    ]
    if report.status == COMPLETED:
        blocks.extend(summary.slack_completed(report, options))
    elif report.status == FAILED:
        reason = code_block(report.failure_reason or "(none given)", SLACK_FAILURE_LIMIT)
        blocks.append({"type": "section", "text": mrkdwn(f"*Failure reason*\n{reason}")})
    elif report.status == STOPPED:
        blocks.append(
            {
                "type": "section",
                "text": mrkdwn("The job was stopped before it finished; it published no recommendations."),
            }
        )
    elif report.status == SEND_TEST:
        blocks.append({"type": "section", "text": mrkdwn(SEND_TEST_NOTE)})
    else:
        blocks.append({"type": "section", "text": mrkdwn(summary.STARTED)})
    notes = summary.notes(report)
    if notes:
        text = f"*{escape_slack(notes[0])}*\n" + "\n".join(f"• {escape_slack(line)}" for line in notes[1:])
        blocks.append({"type": "section", "text": mrkdwn(text.rstrip())})
    blocks.append(
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Open the SageMaker console"},
                    "url": console_url(report),
                }
            ],
        }
    )
    blocks.append(
        {
            "type": "context",
            "elements": [
                mrkdwn(
                    f"jobwatch · created {when(report.created_at)} · finished {when(report.finished_at)}"
                    f" · in the console: {escape_slack(_console_hint(report))}"
                )
            ],
        }
    )
    return {
        "text": trim(escape_slack(f"{icon} {_headline(report, options)}"), SLACK_FALLBACK_LIMIT),
        "blocks": blocks,
    }


# --- JSON forms -------------------------------------------------------------------------------


def render_summary_json(report: JobReport, options: MessageOptions) -> dict[str, Any]:
    """The same facts for programs: stable keys, numbers as numbers, null where the API gave NaN.

    The common keys come first, then the kind's own (``job_kind`` says which to expect).
    """
    report = _sanitized(report)
    return {
        "source": "jobwatch",
        "job_name": report.name,
        "job_kind": report.kind,
        "status": report.status,
        "job_type": report.job_type,
        "model": report.model,
        "region": report.region,
        "created_at": iso(report.created_at),
        "completed_at": iso(report.completed_at),
        "finished_at": iso(report.finished_at),
        "duration_seconds": report.duration_seconds,
        "failure_reason": trim(report.failure_reason, EMAIL_FAILURE_LIMIT) if report.failure_reason else None,
        **_summary(report).summary_json(report, options, completed=report.status == COMPLETED),
        "console_url": console_url(report),
    }


def render_chatbot(report: JobReport, options: MessageOptions) -> dict[str, Any]:
    """An AWS Chatbot / Amazon Q Developer custom notification (schema version 1.0)."""
    report = _sanitized(report)
    summary = _summary(report)
    description_lines = [
        " · ".join(
            [
                *(f"*{label}:* {defang(value)}" for label, value in summary.facts(report)),
                f"*Duration:* {duration(report)}",
            ]
        )
    ]
    if report.status == COMPLETED:
        description_lines += summary.chatbot_completed(report, options)
    elif report.status == FAILED:
        reason = trim(report.failure_reason or "(none given)", SLACK_FAILURE_LIMIT)
        description_lines.append("*Failure reason:* " + defang(reason))
    elif report.status == SEND_TEST:
        description_lines.append(SEND_TEST_NOTE)
    description_lines += [defang(line) for line in summary.notes(report)]
    return {
        "version": "1.0",
        "source": "custom",
        "content": {
            "textType": "client-markdown",
            "title": trim(
                f"{_STATUS_ICON.get(report.status, '')} {defang(_headline(report, options))}",
                CHATBOT_TITLE_LIMIT,
            ),
            "description": trim("\n".join(description_lines), CHATBOT_DESCRIPTION_LIMIT),
            "nextSteps": [f"Open the SageMaker console ({_console_hint(report)}): {console_url(report)}"],
            "keywords": [report.status, *summary.keywords(report), report.kind],
        },
        "metadata": {
            "threadId": report.name,
            "summary": defang(_headline(report, options)),
            "eventType": f"{summary.EVENT_TYPE}{_status_word(report).title().replace('_', '').replace(' ', '')}",
            "additionalContext": {
                "job_name": report.name,
                "job_kind": report.kind,
                "status": report.status,
                "region": report.region,
            },
        },
    }


def sns_publication(report: JobReport, options: MessageOptions) -> SnsPublication:
    """One SNS publish with a message per protocol: email reads text, programs read JSON.

    ``default`` (every protocol not named: SQS, Lambda, email-json, HTTP) carries the JSON
    summary; ``https`` carries the Chatbot card when that format is on. Each form appears once,
    so with ENVIRONMENT_LIMIT the message stays under SNS_MESSAGE_LIMIT.
    """
    report = _sanitized(report)
    per_protocol = {
        "default": json.dumps(render_summary_json(report, options), ensure_ascii=False),
        "email": render_email_body(report, options),
    }
    if options.chatbot_format:
        per_protocol["https"] = json.dumps(render_chatbot(report, options), ensure_ascii=False)
    return SnsPublication(
        subject=render_email_subject(report, options),
        message=json.dumps(per_protocol, ensure_ascii=False),
        message_structure="json",
        attributes={"status": report.status, "job_name": report.name, "job_kind": report.kind},
    )
