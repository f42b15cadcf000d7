"""``jobwatch doctor``: every check that can be made without side effects, each with its fix.

Nothing here writes, sends or invokes; reading the Slack secret is the most it does, and the URL
or bot token it holds is never printed (anyone holding it can post to the channel).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import ClientError
from job_monitor.adapters.slack import WebhookConfigError, parse_webhook_secret
from job_monitor.adapters.slack_app import parse_bot_token_secret

from jobwatch_cli.deployment import Deployment, OperatorError, error_code, plain_errors
from jobwatch_cli.text import table, when

OK, PROBLEM, UNCHECKED = "ok", "PROBLEM", "not checked"
CLOUDWATCH = "cloudwatch.amazonaws.com"
TICK_WINDOW_HOURS = 24


@dataclass(frozen=True, kw_only=True)
class Check:
    name: str
    verdict: str
    detail: str
    fix: str = ""


def run(deployment: Deployment, *, now: datetime) -> list[Check]:
    checks: list[Check] = []
    steps: list[tuple[str, Callable[[], list[Check]]]] = [
        ("function", lambda: [_function(deployment)]),
        ("schedule", lambda: [_schedule(deployment)]),
        ("Slack secret", lambda: [_secret(deployment)] if "slack" in deployment.settings.channels else []),
        ("email subscriptions", lambda: [_email(deployment)] if deployment.settings.topic_arn else []),
        ("alarms", lambda: _alarms(deployment)),
        ("recent ticks", lambda: [_ticks(deployment, now)]),
    ]
    for name, step in steps:
        try:
            with plain_errors():
                checks.extend(step())
        except OperatorError as error:  # e.g. no permission to look: say so, and carry on
            checks.append(Check(name=name, verdict=UNCHECKED, detail=str(error)))
    return checks


def healthy(checks: list[Check]) -> bool:
    return all(check.verdict == OK for check in checks)


def _function(deployment: Deployment) -> Check:
    configuration = deployment.configuration
    state = configuration.get("State", "Active")
    update = configuration.get("LastUpdateStatus", "Successful")
    if state == "Active" and update == "Successful":
        return Check(name="function", verdict=OK, detail=f"{deployment.function_name} is Active")
    reason = (
        configuration.get("StateReason") or configuration.get("LastUpdateStatusReason") or "no reason given"
    )
    return Check(
        name="function",
        verdict=PROBLEM,
        detail=f"{deployment.function_name} is {state} (last update {update}): {reason}",
        fix="redeploy the stack (cdk deploy); if it recurs, read the reason in the Lambda console",
    )


def _schedule(deployment: Deployment) -> Check:
    schedules = deployment.schedules()
    if not schedules:
        return Check(
            name="schedule",
            verdict=PROBLEM,
            detail="no EventBridge schedule or rule invokes the function, so no tick ever runs",
            fix="redeploy the stack (cdk deploy) to recreate its Tick schedule",
        )
    disabled = [schedule for schedule in schedules if schedule["state"] != "ENABLED"]
    names = ", ".join(f"{s['kind']} {s['name']} ({s['state']})" for s in schedules)
    if disabled:
        return Check(
            name="schedule",
            verdict=PROBLEM,
            detail=f"not enabled: {names}",
            fix="enable it (aws scheduler update-schedule ... --state ENABLED) or redeploy the stack",
        )
    return Check(name="schedule", verdict=OK, detail=names)


def _secret(deployment: Deployment) -> Check:
    """The webhook URL, or in app mode the bot token: present, text, and usable as the function parses it."""
    settings = deployment.settings
    if settings.slack_bot_token_secret_name:
        name = settings.slack_bot_token_secret_name
        example, parse = "xoxb-...", parse_bot_token_secret
        fix = f'put the bare bot token or {{"bot_token": "xoxb-..."}} in the secret {name}'
    else:
        assert settings.slack_secret_name is not None
        name = settings.slack_secret_name
        example, parse = "https://hooks.slack.com/...", parse_webhook_secret
        fix = f'put the bare webhook URL or {{"webhook_url": "https://hooks.slack.com/..."}} in the secret {name}'
    try:
        value = deployment.client("secretsmanager").get_secret_value(SecretId=name)
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return Check(
                name="Slack secret",
                verdict=PROBLEM,
                detail=f"the secret {name} does not exist in {deployment.region}",
                fix=f"aws secretsmanager create-secret --name {name} --secret-string '{example}'",
            )
        raise
    if "SecretString" not in value:
        return Check(name="Slack secret", verdict=PROBLEM, detail=f"{name} holds binary, not text", fix=fix)
    try:
        parsed = parse(value["SecretString"])
    except WebhookConfigError as error:  # its message never contains the URL or the token
        return Check(name="Slack secret", verdict=PROBLEM, detail=f"{name} is malformed: {error}", fix=fix)
    if settings.slack_bot_token_secret_name:
        return Check(name="Slack secret", verdict=OK, detail=f"{name} holds a bot token")
    return Check(
        name="Slack secret", verdict=OK, detail=f"{name} holds a webhook URL on {urlsplit(parsed).hostname}"
    )


def _email(deployment: Deployment) -> Check:
    assert deployment.settings.topic_arn is not None
    subscriptions = deployment.subscriptions(deployment.settings.topic_arn)
    if not subscriptions:
        return Check(
            name="email subscriptions",
            verdict=PROBLEM,
            detail="the summaries topic has no subscription: no email reaches anyone",
            fix="deploy with -c notify_emails=you@example.com, or subscribe an address to the topic",
        )
    pending = [s["endpoint"] for s in subscriptions if not s["confirmed"]]
    if pending:
        return Check(
            name="email subscriptions",
            verdict=PROBLEM,
            detail=f"waiting for confirmation: {', '.join(pending)}",
            fix="each address must click the link in its 'Subscription Confirmation' email from AWS",
        )
    confirmed = ", ".join(f"{s['protocol']} {s['endpoint']}" for s in subscriptions)
    return Check(name="email subscriptions", verdict=OK, detail=f"all confirmed: {confirmed}")


def _alarms(deployment: Deployment) -> list[Check]:
    alarms = deployment.alarms()
    if not alarms:
        return [
            Check(
                name="alarms",
                verdict=PROBLEM,
                detail="no alarm watches the function",
                fix="redeploy the stack (cdk deploy) to recreate its alarms",
            )
        ]
    checks = []
    for topic in sorted(deployment.alarm_topics(alarms)):
        checks += _alarm_topic(deployment, topic)
    firing = [alarm for alarm in alarms if alarm.get("StateValue") == "ALARM"]
    if firing:
        checks.append(
            Check(
                name="alarms",
                verdict=PROBLEM,
                detail="firing: "
                + "; ".join(f"{a['AlarmName']} ({a.get('StateReason', '')})" for a in firing),
                fix="see each alarm's description, `jobwatch status` and the function's ERROR log lines",
            )
        )
    else:
        checks.append(Check(name="alarms", verdict=OK, detail=f"none of {len(alarms)} is firing"))
    return checks


def _alarm_topic(deployment: Deployment, topic: str) -> list[Check]:
    short = topic.rsplit(":", 1)[-1]
    subscriptions = deployment.subscriptions(topic)
    confirmed = [s["endpoint"] for s in subscriptions if s["confirmed"]]
    pending = [s["endpoint"] for s in subscriptions if not s["confirmed"]]
    if not confirmed:
        reach = Check(
            name="alarm topic subscribers",
            verdict=PROBLEM,
            detail=f"{short} has no confirmed subscriber, so alarms reach nobody"
            + (f" (waiting for confirmation: {', '.join(pending)})" if pending else ""),
            fix="deploy with -c alarm_emails=oncall@example.com and confirm the subscription email",
        )
    else:
        reach = Check(
            name="alarm topic subscribers",
            verdict=OK if not pending else PROBLEM,
            detail=f"{short}: confirmed {', '.join(confirmed)}"
            + (f"; waiting for confirmation: {', '.join(pending)}" if pending else ""),
            fix="each address must click the link in its confirmation email" if pending else "",
        )
    policy = deployment.client("sns").get_topic_attributes(TopicArn=topic)["Attributes"].get("Policy")
    if allows_cloudwatch(policy):
        publish = Check(name="alarm topic policy", verdict=OK, detail=f"{CLOUDWATCH} may publish to {short}")
    else:
        publish = Check(
            name="alarm topic policy",
            verdict=PROBLEM,
            detail=f"the policy of {short} does not let {CLOUDWATCH} publish: every alarm action fails "
            "with 'not authorized to perform: SNS:Publish'",
            fix=f"allow {CLOUDWATCH} sns:Publish on the topic (deploy the current jobwatch stack)",
        )
    return [reach, publish]


def allows_cloudwatch(policy_text: str | None) -> bool:
    """An Allow of sns:Publish to CloudWatch, or to any principal of the account (SNS's default policy)."""
    if not policy_text:
        return False
    for statement in _as_list(json.loads(policy_text).get("Statement")):
        if statement.get("Effect") != "Allow":
            continue
        actions = {action.lower() for action in _as_list(statement.get("Action"))}
        if not actions & {"sns:publish", "sns:*", "*"}:
            continue
        principal = statement.get("Principal")
        if principal == "*":
            return True
        if isinstance(principal, dict) and (
            CLOUDWATCH in _as_list(principal.get("Service")) or "*" in _as_list(principal.get("AWS"))
        ):
            return True
    return False


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _ticks(deployment: Deployment, now: datetime) -> Check:
    history = deployment.tick_history(now=now, hours=TICK_WINDOW_HOURS)
    if history.last_tick is None:
        return Check(
            name="recent ticks",
            verdict=PROBLEM,
            detail=f"no tick published metrics in the last {TICK_WINDOW_HOURS} hours",
            fix="check the schedule above and the function's log group for errors before the first log line",
        )
    errors = history.tick_errors_last_hour + history.function_errors_last_hour
    detail = (
        f"{history.ticks_last_hour} in the last hour, the last {when(history.last_tick, now)}; "
        f"{history.tick_errors_last_hour} tick errors and {history.function_errors_last_hour} function errors"
    )
    if errors:
        return Check(
            name="recent ticks",
            verdict=PROBLEM,
            detail=detail,
            fix=f"read the ERROR lines in the log group /aws/lambda/{deployment.function_name}",
        )
    return Check(name="recent ticks", verdict=OK, detail=detail)


def as_json(checks: list[Check]) -> dict[str, Any]:
    return {"healthy": healthy(checks), "checks": [asdict(check) for check in checks]}


def render(checks: list[Check]) -> str:
    rows = []
    for check in checks:
        rows.append([check.verdict, check.name, check.detail])
        if check.fix:
            rows.append(["", "", f"fix: {check.fix}"])
    verdict = "all checks passed" if healthy(checks) else "something needs fixing (exit status 1)"
    return table(["VERDICT", "CHECK", "DETAIL"], rows) + f"\n\n{verdict}"
