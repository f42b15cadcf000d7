"""``jobwatch preview JOB``: what each channel would receive about a real job, sending nothing.

JOB is a job name (an Inference Recommender job) or ``kind/name`` (``ai-recommendation/NAME``).
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from job_monitor.adapters.sns import message_attributes
from job_monitor.adapters.sources import job_source
from job_monitor.domain import IN_PROGRESS, JobKey, is_terminal
from job_monitor.messages import SUMMARIES, MessageOptions, render_slack, sns_publication

from jobwatch_cli import slack_preview
from jobwatch_cli.deployment import Deployment, OperatorError


def gather(deployment: Deployment, job_name: str) -> dict[str, Any]:
    """Describe the job with the operator's credentials and render it with the function's settings."""
    settings = deployment.settings
    try:
        key = JobKey.parse(job_name)
    except ValueError as error:
        raise OperatorError(str(error)) from None
    source = job_source(key.kind, deployment.client("sagemaker"), region=deployment.region)
    report = source.describe(key.name)
    if report is None:
        raise OperatorError(f"no {SUMMARIES[key.kind].NOUN} named {key.name} in {deployment.region}")
    options = MessageOptions(
        objective=settings.objective,
        top_n=settings.top_recommendations,
        chatbot_format=settings.chatbot_format,
    )
    announced = is_terminal(report.status) or (report.status == IN_PROGRESS and settings.notify_started)
    router = settings.slack_router and replace(
        settings.slack_router, home_account=deployment.function_arn.split(":")[4]
    )
    channels: dict[str, Any] = {}
    if settings.topic_arn:
        publication = sns_publication(report, options)
        per_protocol = json.loads(publication.message)
        channels["email"] = {
            "topic_arn": settings.topic_arn,
            "subject": publication.subject,
            "body": per_protocol["email"],
            "message_attributes": message_attributes(publication, report, router),
            "message": per_protocol,
        }
    if "slack" in settings.channels:
        channels["slack"] = {"payload": render_slack(report, options)}
        if router is not None:  # app mode: the channel its thread goes to
            channels["slack"]["channel"] = router.channel_for(report)
    return {
        "job_name": report.name,
        "job_kind": report.kind,
        "status": report.status,
        "announced": announced,
        "channels": channels,
    }


def render(preview: dict[str, Any]) -> str:
    lines = [f"Preview for {preview['job_name']} ({preview['status']}); nothing was sent or recorded."]
    if not preview["announced"]:
        lines.append(
            f"jobwatch announces COMPLETED, FAILED and STOPPED (and a start with NOTIFY_STARTED); "
            f"this job is {preview['status']}, so it sends nothing about it now. The messages it would send:"
        )
    email = preview["channels"].get("email")
    if email:
        attributes = ", ".join(f"{name}={value}" for name, value in email["message_attributes"].items())
        lines += [
            "",
            "── email ──",
            f"Subject: {email['subject']}",
            f"SNS message attributes (subscription filter policies match these): {attributes}",
            "",
            email["body"].rstrip(),
        ]
    slack = preview["channels"].get("slack")
    if slack:
        where = f" in {slack['channel']}" if "channel" in slack else ""
        lines += ["", f"── Slack{where} (as the channel shows it) ──", slack_preview.render(slack["payload"])]
    return "\n".join(lines)
