"""``jobwatch send-test``: the deployed function sends a labelled test message on every channel.

The function sends it, not this CLI, so a success proves the function's own permissions, its
secret and its network path, which are exactly what a real message needs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from botocore.config import Config
from job_monitor.messages import SEND_TEST
from job_monitor.operations import SEND_TEST_ACTION

from jobwatch_cli.deployment import Deployment, OperatorError
from jobwatch_cli.text import table

# (function ARN or name, event) -> the function's response; tests run the real handler locally.
Invoker = Callable[[str, dict[str, Any]], dict[str, Any]]
# Wait as long as the function may run, and never retry: a retried invoke sends a second message.
_INVOKE_CONFIG = Config(read_timeout=150, retries={"mode": "standard", "max_attempts": 1})


def lambda_invoker(deployment: Deployment) -> Invoker:
    """Invoke the deployed function synchronously and return what its handler returned."""

    def invoke(function: str, event: dict[str, Any]) -> dict[str, Any]:
        response = deployment.session.client("lambda", config=_INVOKE_CONFIG).invoke(
            FunctionName=function, InvocationType="RequestResponse", Payload=json.dumps(event).encode()
        )
        payload = json.loads(response["Payload"].read() or b"null")
        if response.get("FunctionError"):
            message = payload.get("errorMessage") if isinstance(payload, dict) else payload
            raise OperatorError(f"the function {function} failed: {message}")
        return payload

    return invoke


def run(deployment: Deployment, invoke: Invoker) -> dict[str, Any]:
    result = invoke(deployment.function_arn, {"action": SEND_TEST_ACTION})
    if not isinstance(result, dict) or not isinstance(result.get("channels"), dict):
        raise OperatorError(
            f"the function {deployment.function_name} does not know the send-test action "
            "(it answered without channel results): deploy this version of jobwatch"
        )
    return {
        "function": deployment.function_name,
        "channels": result["channels"],
        "email_filtered_out": _filtered_out(deployment) if "email" in result["channels"] else [],
    }


def _filtered_out(deployment: Deployment) -> list[str]:
    """Email subscribers whose status filter (``email_statuses``) keeps the test message from them."""
    assert deployment.settings.topic_arn is not None
    skipped = []
    for subscription in deployment.subscriptions(deployment.settings.topic_arn):
        policy = json.loads(subscription["filter_policy"] or "{}")
        if "status" in policy and SEND_TEST not in policy["status"]:
            skipped.append(subscription["endpoint"])
    return skipped


def succeeded(result: dict[str, Any]) -> bool:
    return bool(result["channels"]) and all(outcome["delivered"] for outcome in result["channels"].values())


def render(result: dict[str, Any]) -> str:
    lines = [f"{result['function']} sent a test message with its own permissions:"]
    lines.append(
        table(
            ["CHANNEL", "RESULT", "DETAIL"],
            [
                [channel, "delivered" if outcome["delivered"] else "FAILED", _detail(outcome)]
                for channel, outcome in result["channels"].items()
            ],
        )
    )
    if result["email_filtered_out"]:
        lines.append(
            "SNS accepted the email, but these subscriptions filter on status and will not receive it: "
            + ", ".join(result["email_filtered_out"])
        )
    if not succeeded(result):
        lines.append("Fix what the failed channel says, then run `jobwatch send-test` again.")
    return "\n".join(lines)


def _detail(outcome: dict[str, Any]) -> str:
    """What a Slack channel serves in app mode (the default, its routes), then the error if it failed."""
    return ": ".join(part for part in (outcome.get("serves"), outcome.get("error")) if part)
