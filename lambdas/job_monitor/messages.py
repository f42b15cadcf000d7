"""What people receive: Slack Block Kit, plain-text email, AWS Chatbot cards and a JSON summary.

Pure functions of a JobReport: no clock, no I/O, so golden files pin every word. Each message
answers: what finished, is it good, what should I deploy, what does it cost, where do I look next.

Job text is untrusted (whoever creates a job writes its description, environment and, through
the model, its failure reason): every entry point first passes the report through
``_sanitized``, and each form escapes what it shows, trimming by the escaped length.

Assumptions, stated once: CostPerHour is the cost of the whole recommended configuration, all
its instances together (the developer guide: "the estimated cost per hour for your real-time
endpoint"; real responses agree: CostPerInference = CostPerHour / (MaxInvocations x 60)); a month
is 730 hours. A serverless configuration bills per use, so it gets no around-the-clock figure.
Times are UTC: the report holds them converted.
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
    HOURS_PER_MONTH,
    IN_PROGRESS,
    STOPPED,
    JobReport,
    Recommendation,
    rank,
)

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
SUBJECT_NAME_MIN = 24  # a job name is shortened to no less than this to keep the headline's details
BENCHMARK_REASONS_SHOWN = 5
BENCHMARK_REASON_LIMIT = 300

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


def _configuration(item: Recommendation) -> str:
    """The configuration as the table shows it; a Neo-compiled model is marked."""
    return f"{item.configuration} Neo" if item.compiled else item.configuration


def _hourly(item: Recommendation) -> str:
    """$/hour for the table: a serverless configuration bills per use, not per hour."""
    return "per use" if item.serverless is not None else _na(item.cost_per_hour, ".4f")


def _duration(report: JobReport) -> str:
    seconds = report.duration_seconds
    if seconds is None:
        return "n/a"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {secs:02d}s"


def _when(moment: datetime | None) -> str:
    return "n/a" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


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
    return f"Inference recommender jobs > {report.name}"


def _top(report: JobReport, options: MessageOptions) -> list[Recommendation]:
    return rank(report.recommendations, options.objective)[: options.top_n]


def _threshold_lines(report: JobReport, best: Recommendation) -> list[str]:
    """The job's latency threshold next to what the service reports, without a verdict.

    The threshold is a percentile; ModelLatency is one value at the maximum invocations, so
    calling the threshold met or not would compare two different things.
    """
    if best.model_latency_ms is None:
        reported = "#1 reports no usable model latency"
    else:
        reported = f"#1 reports a model latency of {best.model_latency_ms} ms at its maximum invocations"
    return [
        f"Latency threshold given to the job: {threshold.percentile} <= {threshold.value_ms} ms; "
        f"{reported} (one value, not a {threshold.percentile})"
        for threshold in report.latency_thresholds
    ]


def _target_line(report: JobReport, top: list[Recommendation]) -> str | None:
    """Whether each shown recommendation sustains the invocations per minute the job asked for."""
    target = report.max_invocations_target
    if target is None:
        return None
    verdicts = []
    for number, item in enumerate(top, 1):
        meets = item.meets_invocations(target)
        verdict = {True: "meets it", False: "does NOT meet it", None: "unknown"}[meets]
        verdicts.append(f"#{number} {verdict} ({_na(item.max_invocations, ',')}/min)")
    return f"Requested {target:,} invocations/min: " + ", ".join(verdicts)


def _monthly_line(best: Recommendation) -> str | None:
    """What running #1 costs: a month around the clock, or per inference for serverless."""
    if best.serverless is not None:
        if best.cost_per_inference is None:
            return None
        return f"#1 is serverless and billed per use: about ${_per_million(best)} per 1M inferences"
    monthly = best.monthly_cost
    if monthly is None or best.cost_per_hour is None:
        return None
    return (
        f"Running #1 around the clock: about ${monthly:,.2f}/month "
        f"(${best.cost_per_hour:.4f}/h for the whole configuration x {HOURS_PER_MONTH} h)"
    )


def _detail(item: Recommendation) -> str:
    """What deploying a recommendation means beyond its table row."""
    parts = []
    if item.serverless is not None:
        parts.append(
            f"serverless, {_na(item.serverless.memory_mb, 'd', ' MB')} memory, "
            f"max concurrency {_na(item.serverless.max_concurrency, 'd')}"
            + (
                f", provisioned concurrency {item.serverless.provisioned_concurrency}"
                if item.serverless.provisioned_concurrency is not None
                else ""
            )
        )
    if item.compilation_job is not None:
        parts.append(f"compiled with SageMaker Neo (compilation job {item.compilation_job})")
    if item.inference_specification is not None:
        parts.append(f"inference specification {item.inference_specification}")
    parts.append(f"environment {_environment(item)}")
    return "; ".join(parts)


def _benchmark_lines(report: JobReport) -> list[str]:
    """For a failed or partly failed job: how many benchmarks failed, why, and on what."""
    outcome = report.benchmarks
    if outcome is None or (report.status != FAILED and outcome.failed == 0):
        return []
    if outcome.total == 0:
        return ["No benchmark ran."]
    lines = [f"{outcome.failed} of {outcome.total} benchmarks failed" + (":" if outcome.failures else ".")]
    for failure in outcome.failures[:BENCHMARK_REASONS_SHOWN]:
        reason = _trim(failure.reason, BENCHMARK_REASON_LIMIT)
        where = f" on {', '.join(failure.configurations)}" if failure.configurations else ""
        lines.append(f"{failure.count} x{where}: {reason}")
    hidden = outcome.failures[BENCHMARK_REASONS_SHOWN:]
    if hidden:
        lines.append(f"{sum(failure.count for failure in hidden)} more, for {len(hidden)} other reasons")
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
    header = f"{'#':<2} {'Configuration':<22} {'$/hour':>7} {'$/1M inf':>8} {'Inv/min':>8} {'Latency':>8} {'CPU':>6} {'Mem':>6}"
    lines = [header]
    for number, item in enumerate(rows, 1):
        lines.append(
            f"{number:<2} {_configuration(item):<22} {_hourly(item):>7} {_per_million(item):>8} "
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


def _headline_details(report: JobReport, options: MessageOptions) -> list[str]:
    """The facts after the job's name, most important first: what to deploy, then its cost."""
    if report.status != COMPLETED:
        return []
    top = _top(report, options)
    if not top:
        return ["no recommendations"]
    best = top[0]
    details = [_configuration(best)]
    if best.serverless is None:
        details.append(f"${_na(best.cost_per_hour, '.3f')}/h")
    details.append(f"${_per_million(best)}/1M inf")
    return details


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
    lines = [
        f"jobwatch: Inference Recommender job {_status_word(report)}",
        "",
        f"Job        {_one_line(report.name)} ({_one_line(report.job_type or 'n/a')})",
        f"Model      {_one_line(report.model or 'n/a')}",
        f"Region     {_one_line(report.region)}",
        f"Created    {_when(report.created_at)}",
    ]
    if report.status != IN_PROGRESS:
        lines.append(f"Finished   {_when(report.finished_at)} (took {_duration(report)})")
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
    elif report.status == SEND_TEST:
        lines += [SEND_TEST_NOTE, ""]
    else:
        lines += ["The job has started its load tests; another message follows when it finishes.", ""]
    benchmarks = _benchmark_lines(report)
    if benchmarks:
        lines += [benchmarks[0], *(f"  {line}" for line in benchmarks[1:]), ""]
    lines += [f"Open the SageMaker console ({_console_hint(report)}):", console_url(report), ""]
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
    lines += [
        "$/hour is for the whole configuration, all its instances.",
        "",
        "What each recommendation sets:",
    ]
    lines += [f"#{number} {_detail(item)}" for number, item in enumerate(top, 1)]
    lines.append("")
    lines += [line for line in (_monthly_line(best), _target_line(report, top)) if line]
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
    elif report.status == SEND_TEST:
        blocks.append({"type": "section", "text": _mrkdwn(SEND_TEST_NOTE)})
    else:
        blocks.append(
            {
                "type": "section",
                "text": _mrkdwn("Load tests have started; another message follows when it finishes."),
            }
        )
    benchmarks = _benchmark_lines(report)
    if benchmarks:
        text = f"*{escape_slack(benchmarks[0])}*\n" + "\n".join(
            f"• {escape_slack(line)}" for line in benchmarks[1:]
        )
        blocks.append({"type": "section", "text": _mrkdwn(text.rstrip())})
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
                _mrkdwn(
                    f"jobwatch · created {_when(report.created_at)} · finished {_when(report.finished_at)}"
                    f" · in the console: {escape_slack(_console_hint(report))}"
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
    # Details are job text (environment, compilation job): in a code block, so no *bold*, no
    # auto-linked URL, no forged line.
    details = "\n".join(f"#{number} {_detail(item)}" for number, item in enumerate(top, 1))
    label = "$/hour is for the whole configuration, all its instances.\n"
    blocks.append(
        {
            "type": "context",
            "elements": [_mrkdwn(label + _code_block(details, SLACK_TEXT_LIMIT - len(label)))],
        }
    )
    facts = []
    monthly = _monthly_line(best)
    if monthly is not None:
        facts.append(f"💰 {monthly}")
    target = _target_line(report, top)
    if target is not None:
        facts.append(f"🎯 {target}")
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
        "created_at": _iso(report.created_at),
        "completed_at": _iso(report.completed_at),
        "finished_at": _iso(report.finished_at),
        "duration_seconds": report.duration_seconds,
        "failure_reason": _trim(report.failure_reason, EMAIL_FAILURE_LIMIT)
        if report.failure_reason
        else None,
        "objective": options.objective,
        "max_invocations_target": report.max_invocations_target,
        "latency_thresholds": [
            {"percentile": threshold.percentile, "value_ms": threshold.value_ms}
            for threshold in report.latency_thresholds
        ],
        "recommendations_total": len(report.recommendations),
        "top_recommendations": [
            {
                "rank": number,
                "configuration": item.configuration,
                "instance_type": item.instance_type,
                "instance_count": item.instance_count,
                "serverless": None
                if item.serverless is None
                else {
                    "memory_mb": item.serverless.memory_mb,
                    "max_concurrency": item.serverless.max_concurrency,
                    "provisioned_concurrency": item.serverless.provisioned_concurrency,
                },
                "compilation_job": item.compilation_job,
                "inference_specification": item.inference_specification,
                "cost_per_hour": item.cost_per_hour,
                "cost_per_inference": item.cost_per_inference,
                "max_invocations": item.max_invocations,
                "model_latency_ms": item.model_latency_ms,
                "cpu_utilization": item.cpu_utilization,
                "memory_utilization": item.memory_utilization,
                "meets_max_invocations_target": item.meets_invocations(report.max_invocations_target),
                "monthly_cost_estimate": item.monthly_cost,
                "environment": dict(_bounded_environment(item)),
            }
            for number, item in enumerate(top, 1)
        ],
        "benchmarks": _benchmarks_json(report),
        "console_url": console_url(report),
    }


def _benchmarks_json(report: JobReport) -> dict[str, Any] | None:
    outcome = report.benchmarks
    if outcome is None:
        return None
    return {
        "total": outcome.total,
        "failed": outcome.failed,
        "failures": [
            {
                "reason": _trim(failure.reason, BENCHMARK_REASON_LIMIT),
                "count": failure.count,
                "configurations": list(failure.configurations),
            }
            for failure in outcome.failures[:BENCHMARK_REASONS_SHOWN]
        ],
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
            description_lines += [line for line in (_monthly_line(top[0]), _target_line(report, top)) if line]
            description_lines += _threshold_lines(report, top[0])
        else:
            description_lines.append("No recommendations were returned.")
    elif report.status == FAILED:
        reason = _trim(report.failure_reason or "(none given)", SLACK_FAILURE_LIMIT)
        description_lines.append("*Failure reason:* " + _defang(reason))
    elif report.status == SEND_TEST:
        description_lines.append(SEND_TEST_NOTE)
    description_lines += [_defang(line) for line in _benchmark_lines(report)]
    return {
        "version": "1.0",
        "source": "custom",
        "content": {
            "textType": "client-markdown",
            "title": _trim(
                f"{_STATUS_ICON.get(report.status, '')} {_headline(report, options)}", CHATBOT_TITLE_LIMIT
            ),
            "description": _trim("\n".join(description_lines), CHATBOT_DESCRIPTION_LIMIT),
            "nextSteps": [f"Open the SageMaker console ({_console_hint(report)}): {console_url(report)}"],
            "keywords": [report.status, report.job_type or "unknown", "inference-recommender"],
        },
        "metadata": {
            "threadId": report.name,
            "summary": _headline(report, options),
            "eventType": f"InferenceRecommendationsJob{_status_word(report).title().replace('_', '').replace(' ', '')}",
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
