"""The summary of an AI recommendation job: the deployments it recommends, ranked by the job's own
goal, with their expected performance as the service states it, the optimizations applied,
copies per instance and adapters.

The API gives every performance figure as strings (metric, statistic, value, unit) and documents
none of their names; they are shown as given, never converted. The job's goal
(PerformanceTarget's first constraint: ``ttft-ms``, ``throughput`` or ``cost``) ranks the
recommendations by the figure that measures it; without one they keep the service's order. Any
cost is the service's own figure: the API gives no hourly price.

Everything the job or the service wrote is untrusted and unbounded by the API: each piece is
bounded here (FIGURE_LIMIT, FIGURES_SHOWN, TEXT_LIMIT, ENVIRONMENT_LIMIT) so every message stays
within its form's limits.
"""

from __future__ import annotations

from typing import Any

from job_monitor.domain import AIRecommendation, AIRecommendationDetails, JobReport, PerformanceFigure
from job_monitor.markup import (
    SLACK_TEXT_LIMIT,
    MessageOptions,
    bounded_environment,
    code_block,
    defang,
    environment_text,
    escape_slack,
    mrkdwn,
    one_line,
    trim,
)

NOUN = "AI recommendation job"
CONSOLE_SECTION = "AI recommendation jobs"
EVENT_TYPE = "AIRecommendationJob"
STARTED = "The job has started benchmarking; another message follows when it finishes."
STARTED_EMAIL = STARTED

FIGURE_LIMIT = 40  # characters of each part of a performance figure
FIGURES_SHOWN = 12  # performance figures per recommendation
OPTIMIZATIONS_SHOWN = 5
ADAPTERS_SHOWN = 10  # the API allows 10 per source, two sources
TEXT_LIMIT = 300  # a description, an image URI, an ARN

_GOAL_TITLE = {
    "ttft-ms": "lowest time to first token",
    "throughput": "highest throughput",
    "cost": "lowest cost",
}
_NO_DETAILS = AIRecommendationDetails()


def _details(report: JobReport) -> AIRecommendationDetails:
    return report.details or _NO_DETAILS


def _goal(report: JobReport) -> str:
    return ", ".join(_details(report).goals) or "none given"


def _top(report: JobReport, options: MessageOptions) -> list[AIRecommendation]:
    return _details(report).ranked()[: options.top_n]


def _figure(figure: PerformanceFigure) -> str:
    """``TTFT p50 212 ms``: the figure as the service gives it, each part on one line and bounded."""
    parts = (figure.metric, figure.stat, figure.value, figure.unit)
    return " ".join(trim(one_line(part), FIGURE_LIMIT) for part in parts if part)


def _figures(item: AIRecommendation) -> str:
    shown = [_figure(figure) for figure in item.expected_performance[:FIGURES_SHOWN]]
    hidden = len(item.expected_performance) - len(shown)
    return "; ".join(shown + ([f"{hidden} more"] if hidden > 0 else [])) or "none given"


def _optimizations(item: AIRecommendation) -> str:
    shown = []
    for optimization in item.optimizations[:OPTIMIZATIONS_SHOWN]:
        config = environment_text(optimization.config) if optimization.config else ""
        kind = trim(one_line(optimization.kind), FIGURE_LIMIT)
        shown.append(f"{kind} ({config})" if config else kind)
    return "; ".join(shown) or "none"


def _adapters(item: AIRecommendation) -> str | None:
    if not item.adapters:
        return None
    shown = ", ".join(trim(one_line(adapter), FIGURE_LIMIT) for adapter in item.adapters[:ADAPTERS_SHOWN])
    hidden = len(item.adapters) - ADAPTERS_SHOWN
    return shown + (f" and {hidden} more" if hidden > 0 else "")


def _configuration(item: AIRecommendation) -> str:
    return trim(one_line(item.configuration), TEXT_LIMIT)


def _ranking_title(report: JobReport, top: list[AIRecommendation]) -> str:
    details = _details(report)
    shown = f"Top {len(top)} of {len(details.recommendations)} recommendations"
    goal = details.goals[0] if details.goals else None
    if goal is None:
        return f"{shown}, in the service's order (the job set no goal)"
    if not any(item.figure(goal) for item in top):
        return f"{shown}, in the service's order (no figure measures the goal {one_line(goal)})"
    return f"{shown} by the job's goal, {one_line(goal)}: {_GOAL_TITLE.get(goal, 'best first')}"


def _lines(item: AIRecommendation) -> list[tuple[str, str]]:
    """One recommendation, beyond its configuration: (label, text) for every form."""
    lines = [("Expected", _figures(item)), ("Optimized", _optimizations(item))]
    adapters = _adapters(item)
    if adapters is not None:
        lines.append(("Adapters", adapters))
    if item.description:
        lines.append(("About", trim(one_line(item.description), TEXT_LIMIT)))
    return lines


def _deployment(item: AIRecommendation) -> list[tuple[str, str]]:
    """What deploying it takes: image, environment, model package, the benchmark behind it."""
    lines = [
        ("Image", trim(one_line(item.image_uri or "n/a"), TEXT_LIMIT)),
        ("Environment", environment_text(item.environment)),
    ]
    if item.model_package:
        lines.append(("Model package", trim(one_line(item.model_package), TEXT_LIMIT)))
    if item.benchmark_job_arn:
        lines.append(("Benchmark job", trim(one_line(item.benchmark_job_arn), TEXT_LIMIT)))
    return lines


# --- the KindSummary interface ------------------------------------------------------------------


def facts(report: JobReport) -> list[tuple[str, str]]:
    return [
        ("Goal", _goal(report)),
        ("Model", report.model or "n/a"),
        ("Framework", _details(report).framework or "n/a"),
    ]


def email_heading(report: JobReport) -> list[str]:
    lines = [
        f"Job        {one_line(report.name)}",
        f"Goal       {one_line(_goal(report))}",
        f"Model      {one_line(report.model or 'n/a')} ({one_line(_details(report).framework or 'n/a')})",
    ]
    tags = _details(report).tags
    if tags:
        lines.append(f"Tags       {environment_text(tags)}")
    return lines


def keywords(report: JobReport) -> list[str]:
    return [trim(one_line(goal), FIGURE_LIMIT) for goal in _details(report).goals]


def notes(report: JobReport) -> list[str]:
    return []


def headline_details(report: JobReport, options: MessageOptions) -> list[str]:
    """What to deploy, then the figure the job's goal is judged by."""
    top = _top(report, options)
    if not top:
        return ["no recommendations"]
    best = top[0]
    details = [_configuration(best)]
    goals = _details(report).goals
    figure = best.figure(goals[0]) if goals else None
    if figure is not None:
        details.append(_figure(figure))
    return details


def email_completed(report: JobReport, options: MessageOptions) -> list[str]:
    top = _top(report, options)
    if not top:
        return ["The AI recommendation job returned no recommendations.", ""]
    lines = [_ranking_title(report, top) + ":", ""]
    for number, item in enumerate(top, 1):
        lines.append(f"#{number} {_configuration(item)}")
        lines += [f"   {label:<13} {text}" for label, text in (*_lines(item), *_deployment(item))]
        lines.append("")
    return lines


def slack_completed(report: JobReport, options: MessageOptions) -> list[dict[str, Any]]:
    top = _top(report, options)
    if not top:
        return [{"type": "section", "text": mrkdwn("The AI recommendation job returned no recommendations.")}]
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": mrkdwn(f"*{escape_slack(_ranking_title(report, top))}*")}
    ]
    for number, item in enumerate(top, 1):
        title = f"*#{number} {escape_slack(_configuration(item))}*\n"
        # Everything else is the job's or the service's text: in a code block, so no *bold*, no
        # auto-linked URL, no forged line.
        details = "\n".join(f"{label}: {value}" for label, value in (*_lines(item), *_deployment(item)))
        blocks.append(
            {"type": "section", "text": mrkdwn(title + code_block(details, SLACK_TEXT_LIMIT - len(title)))}
        )
    return blocks


def chatbot_completed(report: JobReport, options: MessageOptions) -> list[str]:
    top = _top(report, options)
    if not top:
        return ["No recommendations were returned."]
    lines = [defang(_ranking_title(report, top))]
    for number, item in enumerate(top, 1):
        lines.append(f"*#{number} {defang(_configuration(item))}*")
        lines += [f"• {label}: {defang(value)}" for label, value in _lines(item)]
    return lines


def summary_json(report: JobReport, options: MessageOptions, *, completed: bool) -> dict[str, Any]:
    details = _details(report)
    top = _top(report, options) if completed else []
    return {
        "goals": list(details.goals),
        "framework": details.framework,
        "optimize_model": details.optimize_model,
        "tags": dict(bounded_environment(details.tags)),
        "recommendations_total": len(details.recommendations),
        "top_recommendations": [
            {
                "rank": number,
                "configuration": _configuration(item),
                "instance_type": item.instance_type,
                "instance_count": item.instance_count,
                "copies_per_instance": item.copies_per_instance,
                "expected_performance": [
                    {
                        "metric": trim(figure.metric, FIGURE_LIMIT),
                        "stat": None if figure.stat is None else trim(figure.stat, FIGURE_LIMIT),
                        "value": trim(figure.value, FIGURE_LIMIT),
                        "unit": None if figure.unit is None else trim(figure.unit, FIGURE_LIMIT),
                    }
                    for figure in item.expected_performance[:FIGURES_SHOWN]
                ],
                "optimizations": [
                    {
                        "type": trim(optimization.kind, FIGURE_LIMIT),
                        "config": dict(bounded_environment(optimization.config)),
                    }
                    for optimization in item.optimizations[:OPTIMIZATIONS_SHOWN]
                ],
                "adapters": [trim(adapter, FIGURE_LIMIT) for adapter in item.adapters[:ADAPTERS_SHOWN]],
                "image_uri": None if item.image_uri is None else trim(item.image_uri, TEXT_LIMIT),
                "environment": dict(bounded_environment(item.environment)),
                "model_package": None if item.model_package is None else trim(item.model_package, TEXT_LIMIT),
                "benchmark_job_arn": None
                if item.benchmark_job_arn is None
                else trim(item.benchmark_job_arn, TEXT_LIMIT),
                "description": None if item.description is None else trim(item.description, TEXT_LIMIT),
            }
            for number, item in enumerate(top, 1)
        ],
    }
