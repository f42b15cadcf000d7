"""``./jobwatch demo``: the real stack and handler, a short story of jobs, and what people receive.

Everything runs on this machine: the CDK app is synthesized, moto's server stands in for DynamoDB,
SNS, SQS and Secrets Manager (and holds the stack, schedule and alarms an operator's tools look
at), the simulator for SageMaker (Inference Recommender and AI recommendation jobs), and a local
receiver for Slack. It ends with the operator's commands (status, preview, send-test) against that
local deployment. A second part plays the same story in Slack's app mode (one thread per job,
routed by team). Exits non-zero if a message that should have arrived did not, or arrived twice,
or a command failed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jobwatch_cli import slack_preview
from jobwatch_cli.cli import main as jobwatch
from local import demo_threads
from local.deployed import deploy
from local.sandbox import (
    ROOT,
    LocalCloud,
    LocalFunction,
    collect_email,
    endpoint_variables,
    provision,
    synthesize,
)
from local.slack_receiver import SlackReceiver
from local.story import AI_HISTORY, HISTORY, STORY, TICK_SECONDS, TICKS, build_world, expected

DEMO_CONTEXT = {
    "notify_emails": "ml-team@example.com",
    "slack_webhook_secret_name": "jobwatch/slack",
}
PREVIEWED_JOB = "distilbert-quick"


@dataclass
class OperatorRun:
    """One ``jobwatch`` command as the demo ran it, with what it printed."""

    command: str
    exit_code: int
    output: str


def _say(text: str = "") -> None:
    print(text, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(prog="./jobwatch demo", description=__doc__)
    parser.add_argument(
        "--output", type=Path, default=ROOT / "demo-output", help="where to write what was delivered"
    )
    parser.add_argument("--quiet", action="store_true", help="only the progress lines and the verdict")
    parser.add_argument(
        "--webhook-only", action="store_true", help="skip the second part, Slack's app mode with threads"
    )
    arguments = parser.parse_args()
    started = time.monotonic()

    with tempfile.TemporaryDirectory(prefix="jobwatch-demo-") as workdir:
        _say("[1/5] synthesizing the CDK stack (python app.py) ...")
        stack = synthesize(DEMO_CONTEXT, Path(workdir) / "cdk.out")
        _say(
            f"      {len(stack.template['Resources'])} resources; function code from {stack.asset_dir().name}/"
        )

        clock, simulator = build_world()
        with LocalCloud() as cloud, simulator, SlackReceiver() as slack:
            _say(
                "[2/5] standing up what the function's environment points at (moto, simulator, Slack receiver)"
            )
            provisioned = provision(stack, cloud, slack_secret_value=json.dumps({"webhook_url": slack.url}))
            deployment = deploy(stack, cloud, provisioned)
            _say(
                f"      and what the operator's commands look at: stack {deployment.stack_name}, "
                f"{len(deployment.schedule_names)} schedule, {len(deployment.alarm_names)} alarms"
            )
            endpoints = endpoint_variables(cloud, simulator.endpoint_url)
            _say(
                f"      history: {len(HISTORY)} Inference Recommender and {len(AI_HISTORY)} AI recommendation "
                "jobs finished long ago (must not be announced)"
            )
            for job in STORY:
                _say(f"      story:   {job.name:<26} → {job.outcome:<9} {job.kind}: {job.note}")

            _say(f"[3/5] running the handler for {TICKS} ticks, {TICK_SECONDS // 60} simulated minutes apart")
            log_path = arguments.output / "function.log"
            arguments.output.mkdir(parents=True, exist_ok=True)
            with (
                log_path.open("w") as log_stream,
                LocalFunction.of_stack(
                    stack,
                    provisioned,
                    endpoints=endpoints,
                    log_stream=log_stream,
                ) as function,
            ):
                run_story_ticks(function, clock)
                log_stream.flush()
                deployment.publish_metrics(cloud, _log_records(log_path))
                emails = [message for inbox in provisioned.inboxes for message in collect_email(cloud, inbox)]
                posts = [request.json for request in slack.requests]

                _say(
                    "[4/5] the operator's commands against this deployment (your AWS credentials, in real life)"
                )
                runs = [
                    _run_jobwatch(function, "status"),
                    _run_jobwatch(function, "preview", PREVIEWED_JOB),
                    _run_jobwatch(function, "send-test"),
                ]
                test_emails = [m for inbox in provisioned.inboxes for m in collect_email(cloud, inbox)]
                test_posts = [request.json for request in slack.requests[len(posts) :]]
                for run in runs:
                    _say(f"      $ ./jobwatch {run.command}   (exit {run.exit_code})")
                    if not arguments.quiet:
                        _say(run.output)
            log_text = log_path.read_text()
            secret_leaked = slack.url in log_text or slack.url.rsplit("/", 1)[-1] in log_text

    _say("[5/5] what people received")
    _write_output(arguments.output, emails, posts)
    if not arguments.quiet:
        _show(emails, posts)
    ok = _verdict(emails, posts, secret_leaked) & _operator_verdict(runs, test_emails, test_posts)
    if not arguments.webhook_only:
        _say()
        _say("Part 2: Slack's app mode: one thread per job, routed to the team's channel")
        threads_ok = demo_threads.run(
            run_ticks=run_story_ticks, output=arguments.output / "slack-app", quiet=arguments.quiet, say=_say
        )
        ok = ok and threads_ok
    _say(
        f"      files in {arguments.output.relative_to(ROOT) if arguments.output.is_relative_to(ROOT) else arguments.output}/"
    )
    _say(f"      finished in {time.monotonic() - started:.1f} s")
    return 0 if ok else 1


def run_story_ticks(function: LocalFunction, clock: Any) -> None:
    """The story's ticks, one progress line each."""
    for tick in range(1, TICKS + 1):
        summary = function.invoke()
        sent = {channel: outcome["sent"] for channel, outcome in summary["channels"].items()}
        _say(
            f"      tick {tick}/{TICKS}  [{clock.now():%H:%M}]  listed {summary['listed']:>2}  "
            f"transitions {summary['transitions']}  sent {sent}"
            + ("  (first run: history recorded silently)" if summary["baseline"] else "")
        )
        clock.advance(TICK_SECONDS)


def _log_records(log_path: Path) -> list[dict[str, Any]]:
    records = []
    for line in log_path.read_text().splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            records.append(json.loads(line))
    return records


def _run_jobwatch(function: LocalFunction, *arguments: str) -> OperatorRun:
    """``./jobwatch COMMAND`` in this process; send-test runs the handler here instead of lambda.invoke."""
    out = io.StringIO()
    code = jobwatch(list(arguments), invoke=lambda _name, event: function.invoke(event), out=out, err=out)
    return OperatorRun(command=" ".join(arguments), exit_code=code, output=out.getvalue().rstrip())


def _operator_verdict(
    runs: list[OperatorRun], emails: list[dict[str, Any]], posts: list[dict[str, Any]]
) -> bool:
    failed = [run.command for run in runs if run.exit_code != 0]
    test_email = [m["subject"] for m in emails if m["attributes"].get("status") == "TEST"]
    test_slack = [p["text"] for p in posts if "TEST MESSAGE" in p.get("text", "")]
    checks = [
        ("jobwatch status, preview and send-test succeeded", not failed, failed),
        (
            "send-test's message arrived once by email and once in Slack, labelled TEST MESSAGE",
            len(test_email) == 1 and len(test_slack) == 1 and len(emails) == 1 and len(posts) == 1,
            [],
        ),
    ]
    for label, passed, details in checks:
        _say(f"      {'PASS' if passed else 'FAIL'}  {label}" + (f": {details}" if details else ""))
    return all(passed for _, passed, _ in checks)


def _key(attributes: dict[str, str]) -> tuple[str, str]:
    return attributes.get("job_name", "?"), attributes.get("status", "?")


def _slack_key(payload: dict[str, Any]) -> tuple[str, str]:
    text = payload.get("text", "")
    for job in STORY:
        if job.name in text:
            for status in ("COMPLETED", "FAILED", "STOPPED", "IN_PROGRESS"):
                if status in text:
                    return job.name, status
    return "?", "?"


def _show(emails: list[dict[str, Any]], posts: list[dict[str, Any]]) -> None:
    for number, email in enumerate(emails, 1):
        _say()
        _say(f"── email {number}/{len(emails)} ─ to ml-team@example.com ─ attributes {email['attributes']}")
        _say(f"Subject: {email['subject']}")
        _say()
        _say(email["body"])
    for number, payload in enumerate(posts, 1):
        _say()
        _say(f"── Slack message {number}/{len(posts)} (preview) ──")
        _say(slack_preview.render(payload))


def _write_output(output: Path, emails: list[dict[str, Any]], posts: list[dict[str, Any]]) -> None:
    for folder in ("email", "slack"):
        shutil.rmtree(output / folder, ignore_errors=True)
        (output / folder).mkdir(parents=True)
    for number, email in enumerate(emails, 1):
        name = "-".join(_key(email["attributes"]))
        (output / "email" / f"{number:02d}-{name}.txt").write_text(
            f"Subject: {email['subject']}\n\n{email['body']}\n"
        )
    for number, payload in enumerate(posts, 1):
        name = "-".join(_slack_key(payload))
        (output / "slack" / f"{number:02d}-{name}.json").write_text(
            json.dumps(payload, indent=2, ensure_ascii=False)
        )
        (output / "slack" / f"{number:02d}-{name}.preview.txt").write_text(
            slack_preview.render(payload) + "\n"
        )


def _verdict(emails: list[dict[str, Any]], posts: list[dict[str, Any]], secret_leaked: bool) -> bool:
    wanted = expected()
    checks = []
    for channel, keys in (
        ("email", [_key(email["attributes"]) for email in emails]),
        ("slack", [_slack_key(payload) for payload in posts]),
    ):
        counts = Counter(keys)
        missing = sorted(wanted - set(counts))
        unexpected = sorted(set(counts) - wanted)
        doubled = sorted(key for key, count in counts.items() if count > 1)
        checks.append((f"{channel}: all {len(wanted)} expected messages arrived", not missing, missing))
        checks.append((f"{channel}: nothing unexpected (no history announced)", not unexpected, unexpected))
        checks.append((f"{channel}: nothing arrived twice", not doubled, doubled))
    kinds = {email["attributes"].get("job_kind") for email in emails}
    checks.append(
        ("email: both kinds of job announced, each with its job_kind", len(kinds) == 2, sorted(kinds))
    )
    checks.append(("the Slack webhook URL appears nowhere in the function's logs", not secret_leaked, []))
    _say()
    for label, passed, details in checks:
        _say(f"      {'PASS' if passed else 'FAIL'}  {label}" + (f": {details}" if details else ""))
    return all(passed for _, passed, _ in checks)


if __name__ == "__main__":
    sys.exit(main())
