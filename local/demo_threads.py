"""The demo's second part: the same story in Slack's app mode, one thread per job in its team's channel.

The function reads a bot token from (moto's) Secrets Manager and talks to the local Web API; an
operator's send-test follows the story. The preview shows each thread as Slack would: the parent as it reads now (it was updated in place),
what it said first, and its broadcast reply.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jobwatch_cli import slack_preview
from local.sandbox import LocalCloud, LocalFunction, collect_email, endpoint_variables, provision, synthesize
from local.slack_api import BOT_TOKEN, SlackApi, SlackMessage
from local.story import STORY, build_world, expected

DEFAULT_CHANNEL = "C0MLPLATFRM"
LLM_CHANNEL = "C0LLMTEAM01"
CHANNEL_NAMES = {DEFAULT_CHANNEL: "#ml-platform", LLM_CHANNEL: "#llm-team"}
APP_CONTEXT = {
    "notify_emails": "ml-team@example.com",
    "slack_bot_token_secret_name": "jobwatch/slack-bot",
    "slack_channel": DEFAULT_CHANNEL,
    "slack_routes": f"llama-*={LLM_CHANNEL},gpt2-*={LLM_CHANNEL}",
}

RunTicks = Callable[[LocalFunction, Any], None]


def run(*, run_ticks: RunTicks, output: Path, quiet: bool, say: Callable[..., None]) -> bool:
    """Play the story in app mode, then an operator's send-test; show and write the threads.

    True when every check passes.
    """
    output.mkdir(parents=True, exist_ok=True)
    log_path = output / "function.log"
    with tempfile.TemporaryDirectory(prefix="jobwatch-demo-app-") as workdir:
        say("[1/3] synthesizing the stack with slack_bot_token_secret_name, slack_channel, slack_routes")
        stack = synthesize(APP_CONTEXT, Path(workdir) / "cdk.out")
        clock, simulator = build_world()
        with LocalCloud() as cloud, simulator, SlackApi(channels=tuple(CHANNEL_NAMES)) as api:
            provisioned = provision(stack, cloud, slack_secret_value=json.dumps({"bot_token": BOT_TOKEN}))
            endpoints = {**endpoint_variables(cloud, simulator.endpoint_url), "SLACK_API_URL": api.url}
            say("[2/3] running the handler over the same story, against a local Slack Web API")
            with (
                log_path.open("w") as log_stream,
                LocalFunction.of_stack(
                    stack, provisioned, endpoints=endpoints, log_stream=log_stream
                ) as function,
            ):
                run_ticks(function, clock)
                emails = [message for inbox in provisioned.inboxes for message in collect_email(cloud, inbox)]
                story_posts = len(api.messages)
                test = function.invoke({"action": "send-test"})
            test_messages = api.messages[story_posts:]
            threads = [
                (parent, api.replies(parent)) for parent in api.parents() if parent not in test_messages
            ]
            post_count = sum(
                1 for call in api.calls if call.method == "chat.postMessage" and call.answer == "ok"
            ) - len(test_messages)
    say("[3/3] what the channels show")
    previews = [_preview(parent, replies) for parent, replies in threads]
    shutil.rmtree(output / "threads", ignore_errors=True)
    (output / "threads").mkdir()
    for number, ((parent, _), preview) in enumerate(zip(threads, previews, strict=True), 1):
        (output / "threads" / f"{number:02d}-{_job(parent)}.preview.txt").write_text(preview + "\n")
    if not quiet:
        for number, preview in enumerate(previews, 1):
            say()
            say(f"── Slack conversation {number}/{len(previews)} (preview) ──")
            say(preview)
    slack_results = [outcome for channel, outcome in test["channels"].items() if channel.startswith("slack ")]
    test_ok = (
        len(slack_results) == 2
        and all(outcome["delivered"] for outcome in slack_results)
        and sorted(message.channel for message in test_messages) == sorted((DEFAULT_CHANNEL, LLM_CHANNEL))
    )
    say(f"      send-test in app mode: {test['channels']}")
    return _verdict(threads, emails, post_count, BOT_TOKEN in log_path.read_text(), test_ok, say)


def _job(message: SlackMessage) -> str:
    return next((job.name for job in STORY if message.header.endswith(f": {job.name}")), "?")


def _status(message: SlackMessage) -> str:
    return message.header.split(" ", 1)[-1].split(":", 1)[0]


def _preview(parent: SlackMessage, replies: list[SlackMessage]) -> str:
    lines = [f"in {CHANNEL_NAMES.get(parent.channel, parent.channel)}", slack_preview.render(parent.content)]
    if len(parent.versions) > 1:
        first = parent.versions[0]["blocks"][0]["text"]["text"]
        lines.append(f"   (edited: posted as “{first}” when the job started, updated in place when it ended)")
    for reply in replies:
        also = ", also sent to the channel" if reply.broadcast else ""
        lines.append(f"   ↳ reply in the thread{also}:")
        lines.extend("     " + line for line in slack_preview.render(reply.content).splitlines())
    return "\n".join(lines)


def _verdict(
    threads: list[tuple[SlackMessage, list[SlackMessage]]],
    emails: list[dict[str, Any]],
    post_count: int,
    token_leaked: bool,
    test_ok: bool,
    say: Callable[..., None],
) -> bool:
    wanted = expected()
    finals = Counter((_job(parent), _status(parent)) for parent, _ in threads)
    threaded = [(parent, replies) for parent, replies in threads if len(parent.versions) > 1]
    channel_of = {_job(parent): parent.channel for parent, _ in threads}
    routed = all(
        email["attributes"].get("slack_channel") == channel_of.get(email["attributes"]["job_name"])
        for email in emails
    )
    checks = [
        (
            f"slack: every job's conversation ends in its final state, {len(wanted)} of {len(wanted)}",
            set(finals) == wanted and max(finals.values(), default=0) == 1,
        ),
        (
            f"slack: {len(threaded)} jobs seen running have a thread whose parent was updated and whose "
            "summary was replied once, broadcast",
            bool(threaded) and all(len(replies) == 1 and replies[0].broadcast for _, replies in threaded),
        ),
        (
            "slack: jobs never seen running got one message and no thread",
            all(not replies for parent, replies in threads if len(parent.versions) == 1),
        ),
        (
            "slack: llama-* and gpt2-* went to #llm-team, the rest to #ml-platform",
            all(
                (channel == LLM_CHANNEL) == name.startswith(("llama-", "gpt2-"))
                for name, channel in channel_of.items()
            ),
        ),
        (
            f"slack: {post_count} chat.postMessage calls = {len(wanted)} summaries + {len(threaded)} parents",
            post_count == len(wanted) + len(threaded),
        ),
        (
            "email: each message carries the job's channel as the slack_channel attribute",
            bool(emails) and routed,
        ),
        ("the bot token appears nowhere in the function's logs", not token_leaked),
        ("send-test posted one test message in each channel, #ml-platform and #llm-team", test_ok),
    ]
    say()
    for label, passed in checks:
        say(f"      {'PASS' if passed else 'FAIL'}  {label}")
    return all(passed for _, passed in checks)
