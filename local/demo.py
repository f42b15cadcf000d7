"""``./jobwatch demo``: the real stack and handler, a short story of jobs, and what people receive.

Everything runs on this machine: the CDK app is synthesized, moto's server stands in for DynamoDB,
SNS, SQS and Secrets Manager, the simulator for SageMaker Inference Recommender, and a local
receiver for Slack. Exits non-zero if a message that should have arrived did not, or arrived twice.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from local import demo_threads, slack_preview
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
from local.story import HISTORY, STORY, TICK_SECONDS, TICKS, build_world, expected

DEMO_CONTEXT = {
    "notify_emails": "ml-team@example.com",
    "slack_webhook_secret_name": "jobwatch/slack",
}


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
    arguments.output.mkdir(parents=True, exist_ok=True)

    _say("Part 1: Slack by incoming webhook, and email")
    with SlackReceiver() as slack:
        secret = json.dumps({"webhook_url": slack.url})
        emails, log_text = _play(DEMO_CONTEXT, secret, {}, arguments.output / "function.log")
        posts = [request.json for request in slack.requests]
        secret_leaked = slack.url in log_text or slack.url.rsplit("/", 1)[-1] in log_text

    _say("[4/4] what people received")
    _write_output(arguments.output, emails, posts)
    if not arguments.quiet:
        _show(emails, posts)
    ok = _verdict(emails, posts, secret_leaked)
    if not arguments.webhook_only:
        _say()
        _say("Part 2: Slack's app mode: one thread per job, routed to the team's channel")
        ok = (
            demo_threads.run(
                play=_play, output=arguments.output / "slack-app", quiet=arguments.quiet, say=_say
            )
            and ok
        )
    _say(
        f"      files in {arguments.output.relative_to(ROOT) if arguments.output.is_relative_to(ROOT) else arguments.output}/"
    )
    _say(f"      finished in {time.monotonic() - started:.1f} s")
    return 0 if ok else 1


def _play(
    context: dict[str, str], slack_secret: str, endpoints: dict[str, str], log_path: Path
) -> tuple[list[dict[str, Any]], str]:
    """Synthesize with ``context``, stand up the world, run the story's ticks: (emails, function log)."""
    with tempfile.TemporaryDirectory(prefix="jobwatch-demo-") as workdir:
        _say("[1/4] synthesizing the CDK stack (python app.py) ...")
        stack = synthesize(context, Path(workdir) / "cdk.out")
        _say(
            f"      {len(stack.template['Resources'])} resources; function code from {stack.asset_dir().name}/"
        )

        clock, simulator = build_world()
        with LocalCloud() as cloud, simulator:
            _say("[2/4] standing up what the function's environment points at (moto, simulator, Slack)")
            provisioned = provision(stack, cloud, slack_secret_value=slack_secret)
            endpoints = {**endpoint_variables(cloud, simulator.endpoint_url), **endpoints}
            _say(f"      history: {len(HISTORY)} jobs finished long ago (must not be announced)")
            for job in STORY:
                _say(f"      story:   {job.name:<26} → {job.outcome:<9} {job.note}")

            _say(f"[3/4] running the handler for {TICKS} ticks, {TICK_SECONDS // 60} simulated minutes apart")
            with (
                log_path.open("w") as log_stream,
                LocalFunction.of_stack(
                    stack,
                    provisioned,
                    endpoints=endpoints,
                    log_stream=log_stream,
                ) as function,
            ):
                for tick in range(1, TICKS + 1):
                    summary = function.invoke()
                    sent = {channel: outcome["sent"] for channel, outcome in summary["channels"].items()}
                    _say(
                        f"      tick {tick}/{TICKS}  [{clock.now():%H:%M}]  listed {summary['listed']:>2}  "
                        f"transitions {summary['transitions']}  sent {sent}"
                        + ("  (first run: history recorded silently)" if summary["baseline"] else "")
                    )
                    clock.advance(TICK_SECONDS)
            emails = [message for inbox in provisioned.inboxes for message in collect_email(cloud, inbox)]
    return emails, log_path.read_text()


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
    checks.append(("the Slack webhook URL appears nowhere in the function's logs", not secret_leaked, []))
    _say()
    for label, passed, details in checks:
        _say(f"      {'PASS' if passed else 'FAIL'}  {label}" + (f": {details}" if details else ""))
    return all(passed for _, passed, _ in checks)


if __name__ == "__main__":
    sys.exit(main())
