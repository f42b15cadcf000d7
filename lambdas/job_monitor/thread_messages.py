"""A job's parent message in its Slack thread: posted when the job starts, updated in place when it ends.

The parent stays short (what, where, since when, its state); the full summary is the reply that
:func:`job_monitor.messages.render_slack` renders. Pure, like every renderer.
"""

from __future__ import annotations

from typing import Any

from job_monitor.domain import JobReport, is_terminal
from job_monitor.markup import MessageOptions, escape_slack, mrkdwn, trim, when
from job_monitor.messages import (
    _STATUS_ICON,
    SLACK_FALLBACK_LIMIT,
    SLACK_HEADER_LIMIT,
    _console_hint,
    _headline,
    _sanitized,
    _status_word,
    _summary,
    console_url,
    duration,
)

RUNNING_ICON = "⏳"


def render_parent(report: JobReport, options: MessageOptions) -> dict[str, Any]:
    """The thread's parent: for a running job, what runs since when; for a finished one, its final state."""
    report = _sanitized(report)
    finished = is_terminal(report.status)
    if finished:
        icon, word = _STATUS_ICON.get(report.status, "🔔"), _status_word(report)
        timing = mrkdwn(f"*Duration*\n{duration(report)}")
        note = f"Finished {when(report.finished_at)}. The summary is in this thread."
        fallback = f"{icon} {_headline(report, options)}"
    else:
        icon, word = RUNNING_ICON, "RUNNING"
        timing = mrkdwn(f"*Running since*\n{when(report.created_at)}")
        note = "Load tests are running; the summary follows in this thread when the job finishes."
        fallback = f"{icon} RUNNING: {report.name}"
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": trim(f"{icon} {word}: {report.name}", SLACK_HEADER_LIMIT),
                "emoji": True,
            },
        },
        {
            "type": "section",
            "fields": [
                *(
                    mrkdwn(f"*{label}*\n{escape_slack(value)}")
                    for label, value in _summary(report).facts(report)
                ),
                timing,
                mrkdwn(f"*Region*\n{escape_slack(report.region)}"),
            ],
        },
        {"type": "section", "text": mrkdwn(note)},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Open the SageMaker console"},
                    "url": console_url(report),
                }
            ],
        },
        {
            "type": "context",
            "elements": [
                mrkdwn(f"jobwatch · in the console: {escape_slack(_console_hint(report))}"),
            ],
        },
    ]
    return {"text": trim(escape_slack(fallback), SLACK_FALLBACK_LIMIT), "blocks": blocks}
