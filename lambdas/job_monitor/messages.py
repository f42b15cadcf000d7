"""What people receive: Slack Block Kit, plain-text email, AWS Chatbot cards and a JSON summary.

Pure functions of a JobReport: no clock, no I/O, so golden files pin every word. Each message
answers: what finished, is it good, what should I deploy, what does it cost, where do I look next.

Job text is untrusted (whoever creates a job writes its description, environment and, through
the model, its failure reason): every entry point first passes the report through
``_sanitized``, and each form escapes what it shows, trimming by the escaped length.

Assumptions, stated once: CostPerHour is per instance (the API: "the cost per hour for the
instance"), so a configuration costs CostPerHour x InitialInstanceCount; a month is 730 hours.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, fields, is_dataclass, replace
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

from job_monitor.domain import (
    COMPLETED,
    FAILED,
    IN_PROGRESS,
    STOPPED,
    JobReport,
    Recommendation,
    rank,
)

HOURS_PER_MONTH = 730
SUBJECT_LIMIT = 99  # SNS: "less than 100 characters", ASCII, no line breaks
SLACK_HEADER_LIMIT = 150
SLACK_TEXT_LIMIT = 3000
SLACK_FALLBACK_LIMIT = 3000
SLACK_FAILURE_LIMIT = 2500
EMAIL_FAILURE_LIMIT = 8000
CHATBOT_TITLE_LIMIT = 250
CHATBOT_DESCRIPTION_LIMIT = 8000
# Environment parameters shown per recommendation (keys and values together). The API bounds
# every other text a summary shows, but not these; with this bound every SNS message fits
# SNS_MESSAGE_LIMIT by design (test_every_sns_message_fits_the_limit_by_design checks the
# largest report the API allows, in the characters that cost the most bytes).
ENVIRONMENT_LIMIT = 500
ENVIRONMENT_KEY_LIMIT = 100
SNS_MESSAGE_LIMIT = 262_144  # bytes of UTF-8, message attributes and subject included
TRUNCATED = "… (truncated)"
LINE_BREAK_MARK = " ⏎ "

_STATUS_ICON = {COMPLETED: "✅", FAILED: "❌", STOPPED: "⏹️", IN_PROGRESS: "▶️"}
_STATUS_WORD = {COMPLETED: "COMPLETED", FAILED: "FAILED", STOPPED: "STOPPED", IN_PROGRESS: "STARTED"}
_OBJECTIVE_TITLE = {
    "cost": "lowest cost per inference",
    "latency": "lowest model latency",
    "throughput": "most invocations per minute",
}
_MENTION = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_CHATBOT_LINK_START = re.compile(r"<(?=[!@#]|https?:|mailto:)", re.IGNORECASE)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_Value = TypeVar("_Value")


@dataclass(frozen=True, kw_only=True)
class MessageOptions:
    objective: str = "cost"
    top_n: int = 3
    chatbot_format: bool = False


@dataclass(frozen=True, kw_only=True)
class SnsPublication:
    subject: str
    message: str
    message_structure: str | None
    attributes: dict[str, str]


# --- small formatters -------------------------------------------------------------------------


def _na(value: float | int | None, fmt: str, suffix: str = "") -> str:
    return "n/a" if value is None else f"{value:{fmt}}{suffix}"


def _per_million(item: Recommendation) -> str:
    return _na(None if item.cost_per_inference is None else item.cost_per_inference * 1_000_000, ".2f")


def _monthly(item: Recommendation) -> float | None:
    if item.cost_per_hour is None:
        return None
    return item.cost_per_hour * (item.instance_count or 1) * HOURS_PER_MONTH


def _duration(report: JobReport) -> str:
    seconds = report.duration_seconds
    if seconds is None:
        return "n/a"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {secs:02d}s"


def _when(moment: datetime | None) -> str:
    return "n/a" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


def _trim(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - len(TRUNCATED)].rstrip() + TRUNCATED


def _fit(text: str, limit: int, render: Callable[[str], str]) -> str:
    """``render(text)``, cutting the raw text so that the rendered form, escapes and all, fits ``limit``.

    Escaping can multiply a text's length (``&`` becomes ``&amp;``), so trimming before escaping
    lets the result outgrow its room, and a later cut would take the closing code fence with it.
    """
    rendered = render(text)
    if len(rendered) <= limit:
        return rendered
    low, high = 0, len(text)
    while low < high:  # the longest prefix whose rendered form still fits
        middle = (low + high + 1) // 2
        if len(render(text[:middle].rstrip())) + len(TRUNCATED) <= limit:
            low = middle
        else:
            high = middle - 1
    return render(text[:low].rstrip()) + TRUNCATED


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


def _one_line(text: str) -> str:
    """Untrusted text that must stay on its line: a line break shows as ⏎ and cannot forge a line."""
    return LINE_BREAK_MARK.join(text.splitlines()) if text else text


def _status_word(report: JobReport) -> str:
    return _STATUS_WORD.get(report.status, report.status)


def escape_slack(text: str) -> str:
    """Make untrusted text inert in Slack mrkdwn: no <!channel>, no forged <url|links>, no @here."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MENTION.sub(lambda match: "@\u2060" + match.group(1), escaped)


def _code(text: str) -> str:
    """Untrusted text for inside a Slack code block: escaped, and unable to close the block early."""
    return escape_slack(text).replace("```", "`\u200b`\u200b`")


def _code_block(text: str, limit: int) -> str:
    """A Slack code block of untrusted text, at most ``limit`` characters with both fences."""
    return "```" + _fit(text, limit - 6, _code) + "```"


def _defang(text: str) -> str:
    """Untrusted text for Chatbot markdown, which Slack and Teams render: no mentions, no links.

    ``<https://...|text>`` (any case) and ``[text](url)`` both stop being links.
    """
    text = _CHATBOT_LINK_START.sub("<\u2060", text).replace("](", "]\u2060(")
    return _MENTION.sub(lambda match: "@\u2060" + match.group(1), text)


def console_url(report: JobReport) -> str:
    region = report.region
    return (
        f"https://{region}.console.aws.amazon.com/sagemaker/home?region={region}"
        f"#/inference-recommender/{quote(report.name, safe='')}"
    )


def _top(report: JobReport, options: MessageOptions) -> list[Recommendation]:
    return rank(report.recommendations, options.objective)[: options.top_n]


def _threshold_lines(report: JobReport, best: Recommendation) -> list[str]:
    """Whether the best recommendation meets each latency threshold the job was given."""
    lines = []
    for threshold in report.latency_thresholds:
        if best.model_latency_ms is None:
            verdict = "not measured"
        elif best.model_latency_ms <= threshold.value_ms:
            verdict = f"met ({best.model_latency_ms} ms)"
        else:
            verdict = f"NOT met ({best.model_latency_ms} ms)"
        lines.append(f"Latency threshold {threshold.percentile} <= {threshold.value_ms} ms: {verdict}")
    return lines


def _endpoint_lines(report: JobReport, best: Recommendation) -> list[str]:
    """How the best recommendation compares with each existing endpoint an Advanced job measured."""
    lines = []
    for endpoint in report.endpoint_performances:
        parts = [
            f"{endpoint.endpoint_name}: {_na(endpoint.max_invocations, ',')} inv/min at "
            f"{_na(endpoint.model_latency_ms, 'd', ' ms')}"
        ]
        if endpoint.max_invocations and best.max_invocations is not None:
            change = (best.max_invocations - endpoint.max_invocations) / endpoint.max_invocations * 100
            parts.append(f"#1 handles {change:+.0f}% invocations")
        if endpoint.model_latency_ms is not None and best.model_latency_ms is not None:
            parts.append(f"latency {best.model_latency_ms - endpoint.model_latency_ms:+d} ms")
        lines.append(", ".join(parts))
    return lines


def _table(rows: list[Recommendation]) -> list[str]:
    """A fixed-width table that fits a Slack code block and an email without wrapping."""
    header = f"{'#':<2} {'Instance':<20} {'$/hour':>7} {'$/1M inf':>8} {'Inv/min':>8} {'Latency':>8} {'CPU':>6} {'Mem':>6}"
    lines = [header]
    for number, item in enumerate(rows, 1):
        instance = f"{item.instance_type} x{_na(item.instance_count, 'd')}"
        lines.append(
            f"{number:<2} {instance:<20} {_na(item.cost_per_hour, '.4f'):>7} {_per_million(item):>8} "
            f"{_na(item.max_invocations, ','):>8} {_na(item.model_latency_ms, 'd', ' ms'):>8} "
            f"{_na(item.cpu_utilization, '.1f', '%'):>6} {_na(item.memory_utilization, '.1f', '%'):>6}"
        )
    return lines


def _bounded_environment(item: Recommendation) -> list[tuple[str, str]]:
    """The environment as shown: one line per value, about ENVIRONMENT_LIMIT characters in all.

    The API bounds neither the keys nor the values; a value cut short, or the last one shown
    before others were left out, ends with the truncation mark.
    """
    shown: list[tuple[str, str]] = []
    room = ENVIRONMENT_LIMIT
    for raw_key, raw_value in item.environment:
        key, value = _trim(_one_line(raw_key), ENVIRONMENT_KEY_LIMIT), _one_line(raw_value)
        if len(key) + len(value) > room:
            shown.append((key, value[: max(0, room - len(key) - len(TRUNCATED))].rstrip() + TRUNCATED))
            break
        shown.append((key, value))
        room -= len(key) + len(value)
    return shown


def _environment(item: Recommendation) -> str:
    return ", ".join(f"{key}={value}" for key, value in _bounded_environment(item)) or "none"


def _headline(report: JobReport, options: MessageOptions) -> str:
    """One line: what happened and, for a completed job, what to deploy."""
    status = _status_word(report)
    if report.status == COMPLETED:
        top = _top(report, options)
        if not top:
            return f"{status}: {report.name} - no recommendations"
        best = top[0]
        return (
            f"{status}: {report.name} - {best.instance_type} x{_na(best.instance_count, 'd')}, "
            f"${_na(best.cost_per_hour, '.3f')}/h, ${_per_million(best)}/1M inf"
        )
    return f"{status}: {report.name}"


# --- email ------------------------------------------------------------------------------------


def render_email_subject(report: JobReport, options: MessageOptions | None = None) -> str:
    """ASCII, one line, under 100 characters; the job name is shortened, never the status."""
    report = _sanitized(report)
    subject = "[jobwatch] " + _headline(report, options or MessageOptions())
    subject = subject.encode("ascii", "replace").decode("ascii").replace("\n", " ").replace("\r", " ")
    if len(subject) <= SUBJECT_LIMIT:
        return subject
    prefix = f"[jobwatch] {_status_word(report)}: "
    room = SUBJECT_LIMIT - len(prefix)
    name = report.name if len(report.name) <= room else report.name[: room - 3] + "..."
    return prefix + name


def render_email_body(report: JobReport, options: MessageOptions) -> str:
    """Plain text; job text on a labelled line stays on that line, a failure reason is quoted."""
    report = _sanitized(report)
    lines = [
        f"jobwatch: Inference Recommender job {_status_word(report)}",
        "",
        f"Job        {_one_line(report.name)} ({_one_line(report.job_type or 'n/a')})",
        f"Model      {_one_line(report.model or 'n/a')}",
        f"Region     {_one_line(report.region)}",
        f"Created    {_when(report.created_at)}",
    ]
    if report.status != IN_PROGRESS:
        lines.append(f"Finished   {_when(report.completed_at)} (took {_duration(report)})")
    if report.description:
        lines.append(f"About      {_one_line(report.description)}")
    lines.append("")
    if report.status == COMPLETED:
        lines.extend(_email_recommendations(report, options))
    elif report.status == FAILED:
        reason = _trim(report.failure_reason or "(none given)", EMAIL_FAILURE_LIMIT)
        lines += ["Failure reason:", *(f"> {line}" for line in reason.splitlines()), ""]
    elif report.status == STOPPED:
        lines += ["The job was stopped before it finished; it published no recommendations.", ""]
    else:
        lines += ["The job has started its load tests; another message follows when it finishes.", ""]
    lines += ["Open in the SageMaker console:", console_url(report), ""]
    return "\n".join(lines)


def _email_recommendations(report: JobReport, options: MessageOptions) -> list[str]:
    top = _top(report, options)
    if not top:
        return ["Inference Recommender returned no recommendations for this job.", ""]
    best = top[0]
    lines = [
        f"Top {len(top)} of {len(report.recommendations)} recommendations by {_OBJECTIVE_TITLE[options.objective]}:"
    ]
    lines += _table(top)
    lines += ["", "Environment each recommendation sets:"]
    lines += [f"#{number} {_environment(item)}" for number, item in enumerate(top, 1)]
    lines.append("")
    monthly = _monthly(best)
    if monthly is not None:
        lines.append(
            f"Running #1 around the clock: about ${monthly:,.2f}/month "
            f"(${best.cost_per_hour:.4f}/h x {best.instance_count or 1} instance(s) x {HOURS_PER_MONTH} h)"
        )
    lines += _threshold_lines(report, best)
    endpoints = _endpoint_lines(report, best)
    if endpoints:
        lines += ["Compared with your existing endpoints:", *(f"  {line}" for line in endpoints)]
    lines.append("")
    return lines


# --- Slack ------------------------------------------------------------------------------------


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": _trim(text, SLACK_TEXT_LIMIT)}


def render_slack(report: JobReport, options: MessageOptions) -> dict[str, Any]:
    """An incoming-webhook payload: Block Kit blocks plus the fallback text notifications show."""
    report = _sanitized(report)
    icon = _STATUS_ICON.get(report.status, "🔔")
    header = f"{icon} {_status_word(report)}: {report.name}"
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": _trim(header, SLACK_HEADER_LIMIT), "emoji": True},
        },
        {
            "type": "section",
            "fields": [
                _mrkdwn(f"*Job type*\n{escape_slack(report.job_type or 'n/a')}"),
                _mrkdwn(f"*Model*\n{escape_slack(report.model or 'n/a')}"),
                _mrkdwn(f"*Duration*\n{_duration(report)}"),
                _mrkdwn(f"*Region*\n{escape_slack(report.region)}"),
            ],
        },
    ]
    if report.status == COMPLETED:
        blocks.extend(_slack_recommendations(report, options))
    elif report.status == FAILED:
        reason = _code_block(report.failure_reason or "(none given)", SLACK_FAILURE_LIMIT)
        blocks.append({"type": "section", "text": _mrkdwn(f"*Failure reason*\n{reason}")})
    elif report.status == STOPPED:
        blocks.append(
            {
                "type": "section",
                "text": _mrkdwn("The job was stopped before it finished; it published no recommendations."),
            }
        )
    else:
        blocks.append(
            {
                "type": "section",
                "text": _mrkdwn("Load tests have started; another message follows when it finishes."),
            }
        )
    blocks.append(
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Open in SageMaker console"},
                    "url": console_url(report),
                }
            ],
        }
    )
    blocks.append(
        {
            "type": "context",
            "elements": [
                _mrkdwn(
                    f"jobwatch · created {_when(report.created_at)} · finished {_when(report.completed_at)}"
                )
            ],
        }
    )
    return {
        "text": _trim(escape_slack(f"{icon} {_headline(report, options)}"), SLACK_FALLBACK_LIMIT),
        "blocks": blocks,
    }


def _slack_recommendations(report: JobReport, options: MessageOptions) -> list[dict[str, Any]]:
    top = _top(report, options)
    if not top:
        return [
            {
                "type": "section",
                "text": _mrkdwn("Inference Recommender returned no recommendations for this job."),
            }
        ]
    best = top[0]
    title = f"*Top {len(top)} of {len(report.recommendations)} by {_OBJECTIVE_TITLE[options.objective]}*"
    table = _code_block("\n".join(_table(top)), SLACK_TEXT_LIMIT - len(title) - 1)
    blocks: list[dict[str, Any]] = [{"type": "section", "text": _mrkdwn(f"{title}\n{table}")}]
    # Values are job text: in a code block, so no *bold*, no auto-linked URL, no forged line.
    environment = "\n".join(f"#{number} {_environment(item)}" for number, item in enumerate(top, 1))
    label = "Environment:\n"
    blocks.append(
        {
            "type": "context",
            "elements": [_mrkdwn(label + _code_block(environment, SLACK_TEXT_LIMIT - len(label)))],
        }
    )
    facts = []
    monthly = _monthly(best)
    if monthly is not None:
        facts.append(f"💰 Running #1 around the clock: about *${monthly:,.2f}/month*")
    facts += [f"⏱️ {line}" for line in _threshold_lines(report, best)]
    endpoints = _endpoint_lines(report, best)
    if endpoints:
        facts.append("📊 Compared with your existing endpoints:")
        facts += [f"• {escape_slack(line)}" for line in endpoints]
    if facts:
        blocks.append({"type": "section", "text": _mrkdwn("\n".join(facts))})
    return blocks


# --- JSON forms -------------------------------------------------------------------------------


def render_summary_json(report: JobReport, options: MessageOptions) -> dict[str, Any]:
    """The same facts for programs: stable keys, numbers as numbers, null where the API gave NaN."""
    report = _sanitized(report)
    top = _top(report, options) if report.status == COMPLETED else []
    return {
        "source": "jobwatch",
        "job_name": report.name,
        "status": report.status,
        "job_type": report.job_type,
        "model": report.model,
        "region": report.region,
        "created_at": report.created_at.isoformat() if report.created_at else None,
        "completed_at": report.completed_at.isoformat() if report.completed_at else None,
        "duration_seconds": report.duration_seconds,
        "failure_reason": _trim(report.failure_reason, EMAIL_FAILURE_LIMIT)
        if report.failure_reason
        else None,
        "objective": options.objective,
        "recommendations_total": len(report.recommendations),
        "top_recommendations": [
            {
                "rank": number,
                "instance_type": item.instance_type,
                "instance_count": item.instance_count,
                "cost_per_hour": item.cost_per_hour,
                "cost_per_inference": item.cost_per_inference,
                "max_invocations": item.max_invocations,
                "model_latency_ms": item.model_latency_ms,
                "cpu_utilization": item.cpu_utilization,
                "memory_utilization": item.memory_utilization,
                "monthly_cost_estimate": _monthly(item),
                "environment": dict(_bounded_environment(item)),
            }
            for number, item in enumerate(top, 1)
        ],
        "console_url": console_url(report),
    }


def render_chatbot(report: JobReport, options: MessageOptions) -> dict[str, Any]:
    """An AWS Chatbot / Amazon Q Developer custom notification (schema version 1.0)."""
    report = _sanitized(report)
    description_lines = [
        f"*Job type:* {_defang(report.job_type or 'n/a')} · *Model:* {_defang(report.model or 'n/a')} "
        f"· *Duration:* {_duration(report)}"
    ]
    if report.status == COMPLETED:
        top = _top(report, options)
        if top:
            description_lines.append("```\n" + "\n".join(_table(top)) + "\n```")
            monthly = _monthly(top[0])
            if monthly is not None:
                description_lines.append(f"Running #1 around the clock: about ${monthly:,.2f}/month")
            description_lines += _threshold_lines(report, top[0])
        else:
            description_lines.append("No recommendations were returned.")
    elif report.status == FAILED:
        reason = _trim(report.failure_reason or "(none given)", SLACK_FAILURE_LIMIT)
        description_lines.append("*Failure reason:* " + _defang(reason))
    return {
        "version": "1.0",
        "source": "custom",
        "content": {
            "textType": "client-markdown",
            "title": _trim(
                f"{_STATUS_ICON.get(report.status, '')} {_headline(report, options)}", CHATBOT_TITLE_LIMIT
            ),
            "description": _trim("\n".join(description_lines), CHATBOT_DESCRIPTION_LIMIT),
            "nextSteps": [f"Open the job in the SageMaker console: {console_url(report)}"],
            "keywords": [report.status, report.job_type or "unknown", "inference-recommender"],
        },
        "metadata": {
            "threadId": report.name,
            "summary": _headline(report, options),
            "eventType": f"InferenceRecommendationsJob{_status_word(report).title().replace('_', '')}",
            "additionalContext": {"job_name": report.name, "status": report.status, "region": report.region},
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
        attributes={"status": report.status, "job_name": report.name},
    )
