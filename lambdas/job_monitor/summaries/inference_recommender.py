"""The summary of an Inference Recommender job: its recommendations ranked by the deployment's
objective, what they cost, how they perform, and what its benchmarks say.

Assumptions, stated once: CostPerHour is the cost of the whole recommended configuration, all
its instances together (the developer guide: "the estimated cost per hour for your real-time
endpoint"; real responses agree: CostPerInference = CostPerHour / (MaxInvocations x 60)); a month
is 730 hours. A serverless configuration bills per use, so it gets no around-the-clock figure.
"""

from __future__ import annotations

from typing import Any

from job_monitor.domain import FAILED, HOURS_PER_MONTH, JobReport, Recommendation, rank
from job_monitor.markup import (
    SLACK_TEXT_LIMIT,
    MessageOptions,
    bounded_environment,
    code_block,
    environment_text,
    escape_slack,
    mrkdwn,
    na,
    one_line,
    trim,
)

NOUN = "Inference Recommender job"
CONSOLE_SECTION = "Inference recommender jobs"
EVENT_TYPE = "InferenceRecommendationsJob"
STARTED = "Load tests have started; another message follows when it finishes."
STARTED_EMAIL = "The job has started its load tests; another message follows when it finishes."
BENCHMARK_REASONS_SHOWN = 5

BENCHMARK_REASON_LIMIT = 300
_OBJECTIVE_TITLE = {
    "cost": "lowest cost per inference",
    "latency": "lowest model latency",
    "throughput": "most invocations per minute",
}


def _per_million(item: Recommendation) -> str:
    return na(None if item.cost_per_inference is None else item.cost_per_inference * 1_000_000, ".2f")


def _configuration(item: Recommendation) -> str:
    """The configuration as the table shows it; a Neo-compiled model is marked."""
    return f"{item.configuration} Neo" if item.compiled else item.configuration


def _hourly(item: Recommendation) -> str:
    """$/hour for the table: a serverless configuration bills per use, not per hour."""
    return "per use" if item.serverless is not None else na(item.cost_per_hour, ".4f")


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
        verdicts.append(f"#{number} {verdict} ({na(item.max_invocations, ',')}/min)")
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
            f"serverless, {na(item.serverless.memory_mb, 'd', ' MB')} memory, "
            f"max concurrency {na(item.serverless.max_concurrency, 'd')}"
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
    parts.append(f"environment {environment_text(item.environment)}")
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
        reason = trim(failure.reason, BENCHMARK_REASON_LIMIT)
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
            f"{endpoint.endpoint_name}: {na(endpoint.max_invocations, ',')} inv/min at "
            f"{na(endpoint.model_latency_ms, 'd', ' ms')}"
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
            f"{na(item.max_invocations, ','):>8} {na(item.model_latency_ms, 'd', ' ms'):>8} "
            f"{na(item.cpu_utilization, '.1f', '%'):>6} {na(item.memory_utilization, '.1f', '%'):>6}"
        )
    return lines


def facts(report: JobReport) -> list[tuple[str, str]]:
    """What the job is, beside its name: (label, untrusted value)."""
    return [("Job type", report.job_type or "n/a"), ("Model", report.model or "n/a")]


def email_heading(report: JobReport) -> list[str]:
    return [
        f"Job        {one_line(report.name)} ({one_line(report.job_type or 'n/a')})",
        f"Model      {one_line(report.model or 'n/a')}",
    ]


def keywords(report: JobReport) -> list[str]:
    return [report.job_type or "unknown"]


def notes(report: JobReport) -> list[str]:
    """Said after the status's own text, whatever it is: what the benchmarks say."""
    return _benchmark_lines(report)


def headline_details(report: JobReport, options: MessageOptions) -> list[str]:
    """For a completed job, most important first: what to deploy, then its cost."""
    top = _top(report, options)
    if not top:
        return ["no recommendations"]
    best = top[0]
    details = [_configuration(best)]
    if best.serverless is None:
        details.append(f"${na(best.cost_per_hour, '.3f')}/h")
    details.append(f"${_per_million(best)}/1M inf")
    return details


def email_completed(report: JobReport, options: MessageOptions) -> list[str]:
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


def slack_completed(report: JobReport, options: MessageOptions) -> list[dict[str, Any]]:
    top = _top(report, options)
    if not top:
        return [
            {
                "type": "section",
                "text": mrkdwn("Inference Recommender returned no recommendations for this job."),
            }
        ]
    best = top[0]
    title = f"*Top {len(top)} of {len(report.recommendations)} by {_OBJECTIVE_TITLE[options.objective]}*"
    table = code_block("\n".join(_table(top)), SLACK_TEXT_LIMIT - len(title) - 1)
    blocks: list[dict[str, Any]] = [{"type": "section", "text": mrkdwn(f"{title}\n{table}")}]
    # Details are job text (environment, compilation job): in a code block, so no *bold*, no
    # auto-linked URL, no forged line.
    details = "\n".join(f"#{number} {_detail(item)}" for number, item in enumerate(top, 1))
    label = "$/hour is for the whole configuration, all its instances.\n"
    blocks.append(
        {
            "type": "context",
            "elements": [mrkdwn(label + code_block(details, SLACK_TEXT_LIMIT - len(label)))],
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
        blocks.append({"type": "section", "text": mrkdwn("\n".join(facts))})
    return blocks


def chatbot_completed(report: JobReport, options: MessageOptions) -> list[str]:
    """Chatbot's markdown: the table, the cost of #1 and the job's targets (none of it job text)."""
    top = _top(report, options)
    if not top:
        return ["No recommendations were returned."]
    lines = ["```\n" + "\n".join(_table(top)) + "\n```"]
    lines += [line for line in (_monthly_line(top[0]), _target_line(report, top)) if line]
    return lines + _threshold_lines(report, top[0])


def summary_json(report: JobReport, options: MessageOptions, *, completed: bool) -> dict[str, Any]:
    """The kind's keys of the JSON summary: stable, numbers as numbers, null where the API gave NaN."""
    top = _top(report, options) if completed else []
    return {
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
                "environment": dict(bounded_environment(item.environment)),
            }
            for number, item in enumerate(top, 1)
        ],
        "benchmarks": _benchmarks_json(report),
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
                "reason": trim(failure.reason, BENCHMARK_REASON_LIMIT),
                "count": failure.count,
                "configurations": list(failure.configurations),
            }
            for failure in outcome.failures[:BENCHMARK_REASONS_SHOWN]
        ],
    }
