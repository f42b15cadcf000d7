"""Fault-injection soak: the real handler, for many ticks, while everything around it misbehaves.

    ./jobwatch soak                       # the long run: 2,000 jobs over 500 ticks
    ./jobwatch soak --jobs 200 --ticks 60 # a short one (tests/soak runs 150 jobs over 45 ticks in CI)
    ./jobwatch soak --clock-skew -300     # the function's clock 5 minutes behind the service's
    ./jobwatch soak --slack-app           # Slack's app mode: threads through the local Web API

It synthesizes the stack, runs the synthesized function against moto, the Inference Recommender
simulator and the Slack receiver, injects faults at the configured rates, then drains (more ticks
with no faults) and checks the delivery invariants. It prints what it survived and exits non-zero
if an invariant broke.

Faults: SageMaker throttling, 5xx, slow answers, malformed describe responses, jobs that vanish,
jobs whose times come from a clock an hour or a year ahead, listings read from a stale replica;
Slack 5xx, 429 with Retry-After, timeouts (Slack posts the message but answers too late), a 404
that means the webhook is gone, redirects; a Slack secret replaced for a while by a wrapped paste
or a URL with a user name and password; SNS and DynamoDB throttling and 5xx (before botocore's
retries); the function dying before a DynamoDB write, after one, and between a channel accepting
a message and its record; overlapping invocations and the same event delivered twice; the
monitor's clock skewed from the service's.

With ``--slack-app`` Slack is the app mode instead: a bot token against the local Web API, whose
faults are the same (5xx, 429 and ``ratelimited`` with Retry-After, timeouts, ``channel_not_found``,
redirects) and whose secret turns now and then into a wrapped or a revoked token. Each job seen
running gets a thread's parent (at most one, outside the same windows), and each ending exactly one
summary, in the thread or as a new message.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import re
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import botocore.endpoint
import time_machine
from botocore.awsrequest import AWSResponse
from moto.sns.models import sns_backends

from benchmarks.clocks import next_tick
from local.organization import SimulatedOrganization, account_of_key
from local.sandbox import (
    ACCOUNT_ID,
    REGION,
    LocalCloud,
    LocalFunction,
    endpoint_variables,
    provision,
    synthesize,
)
from local.simulator import InferenceRecommenderSimulator, SimulatedClock
from local.slack_api import BOT_TOKEN, SlackApi
from local.slack_receiver import ReceiverFaults, SlackReceiver
from local.story import TICK_SECONDS

BROKEN_SECRET_TICKS = 2
FUTURE_OFFSETS_SECONDS = (3600.0, 365 * 86400.0)  # an hour ahead, a year ahead
LEASE_TICKS = 900 // TICK_SECONDS  # the stack's DELIVERY_LEASE_SECONDS default, in ticks
TERMINAL = ("COMPLETED", "FAILED", "STOPPED")
AI_JOB_EVERY = 4  # one job in four is an AI recommendation job
AI_JOB_PREFIX = "soak-ai-"
CONTEXT = {"notify_emails": "soak@example.com", "slack_webhook_secret_name": "jobwatch/soak-slack"}
# With member accounts: four sources of each kind, the hub's account and three members. Two fail on
# every tick, the two ways an organization fails first: STS refuses the reader role of one (it was
# never deployed there), and the other never enabled the region.
MEMBER_ACCOUNT, NO_ROLE_ACCOUNT, NO_REGION_ACCOUNT = "222222222222", "333333333333", "444444444444"
MEMBER_SUFFIX = "-m"  # a member account's jobs, so every job's name stays unique in the tally
APP_CONTEXT = {
    "notify_emails": "soak@example.com",
    "slack_bot_token_secret_name": "jobwatch/soak-slack-bot",
    "slack_channel": "C0SOAKDFLT1",
    "slack_routes": "soak-0*=C0SOAKTEAM1",
}
_SLACK_HEADER = re.compile(r"(COMPLETED|FAILED|STOPPED|STARTED|RUNNING): ([A-Za-z0-9-]+)")


class LambdaCrash(BaseException):
    """The function dying mid-invocation: a BaseException, so no ``except Exception`` catches it."""


@dataclass(frozen=True, kw_only=True)
class Faults:
    sagemaker_throttle: float = 0.02
    sagemaker_server_error: float = 0.02
    sagemaker_latency_seconds: float = 0.002
    malformed_describe: float = 0.05
    vanish: float = 0.01
    future_timestamps: float = 0.02  # share of jobs whose times come from a clock ahead
    stale_listing: float = 0.02
    slack_server_error: float = 0.05
    slack_rate_limited: float = 0.03
    slack_timeout: float = 0.005
    slack_gone: float = 0.01
    slack_redirect: float = 0.01
    broken_secret_every_ticks: float = 20  # the secret turns unusable for BROKEN_SECRET_TICKS (0: never)
    aws_error: float = 0.05
    crash: float = 0.01
    overlap: float = 0.05
    duplicate_event: float = 0.05
    clock_skew_seconds: float = 90.0

    @classmethod
    def none(cls) -> Faults:
        return cls(**{name: 0.0 for name in cls.__dataclass_fields__})


@dataclass
class SoakResult:
    jobs: int = 0
    ticks: int = 0
    drain_ticks: int = 0
    transitions: int = 0
    ai_transitions: int = 0  # of which AI recommendation jobs
    member_transitions: int = 0  # of which jobs in a member account
    faults: Counter[str] = field(default_factory=Counter)
    delivered: Counter[str] = field(default_factory=Counter)
    lost: Counter[str] = field(default_factory=Counter)
    duplicates: Counter[str] = field(default_factory=Counter)
    crashes_in_window: int = 0  # crashes between a channel accepting a message and its record
    max_delay_ticks: dict[str, int] = field(default_factory=dict)
    tick_errors: Counter[str] = field(default_factory=Counter)
    secret_in_logs: bool = False
    secret_in_table: bool = False
    redirects_followed: int = 0
    slack_mode: str = "webhook"
    parents_left_running: int = 0  # app mode: jobs that ended whose thread's parent still says running
    clock_ahead_seconds: float = 0.0  # the most the function's clock ran ahead of the service's
    error_logs: Counter[str] = field(default_factory=Counter)
    unreadable: Counter[tuple[str, str]] = field(default_factory=Counter)  # (source, fix): ticks
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        unexplained = self.duplicates.get("unexplained", 0)
        bad_data = self.tick_errors.get("unexpected", 0)
        # each crash in the window may cost one resend, never more
        bounded = self.duplicates.get("crash between send and record", 0) <= self.crashes_in_window
        return (
            not sum(self.lost.values())
            and not unexplained
            and bounded
            and not bad_data
            and not self.secret_in_logs
            and not self.secret_in_table
            and not self.redirects_followed
        )

    def table(self) -> str:
        secret = "bot token" if self.slack_mode == "app" else "webhook secret"
        rows = [
            ("Slack mode", self.slack_mode),
            ("jobs", self.jobs),
            ("terminal transitions (expected per channel)", self.transitions),
            ("  of which AI recommendation jobs", self.ai_transitions),
            ("  of which jobs in a member account", self.member_transitions),
            ("ticks (+ drain ticks without faults)", f"{self.ticks} (+{self.drain_ticks})"),
            *((f"fault injected: {kind}", count) for kind, count in sorted(self.faults.items())),
            *((f"delivered: {channel}", count) for channel, count in sorted(self.delivered.items())),
            *((f"lost: {channel}", self.lost.get(channel, 0)) for channel in ("email", "slack")),
            *((f"duplicates: {cause}", count) for cause, count in sorted(self.duplicates.items())),
            ("crashes inside the send-to-record window", self.crashes_in_window),
            *(
                (f"max delay in ticks: {channel}", delay)
                for channel, delay in sorted(self.max_delay_ticks.items())
            ),
            *((f"ticks that raised: {kind}", count) for kind, count in sorted(self.tick_errors.items())),
            *((f"error log lines: {message}", count) for message, count in sorted(self.error_logs.items())),
            *(
                (f"source not read: {source}", f"{count} times; fix: {fix}")
                for (source, fix), count in sorted(self.unreadable.items())
            ),
            *(
                [("ended jobs whose thread's parent still says running", self.parents_left_running)]
                if self.slack_mode == "app"
                else []
            ),
            (f"{secret} found in logs", "yes" if self.secret_in_logs else "no"),
            (f"{secret} found in the state table", "yes" if self.secret_in_table else "no"),
            ("Slack redirects followed", self.redirects_followed),
            ("function clock ahead of the service's, at most", f"{self.clock_ahead_seconds:.1f} s"),
            ("wall time", f"{self.seconds:.1f} s"),
            ("verdict", "PASS" if self.ok else "FAIL"),
        ]
        width = max(len(label) for label, _ in rows)
        return "\n".join(f"{label:<{width}}  {value}" for label, value in rows)


class _FastSleep:
    """Stands in for the ``time`` module inside botocore.endpoint: retry back-off 100x shorter."""

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    @staticmethod
    def sleep(seconds: float) -> None:
        time.sleep(seconds / 100)


class _FakeRaw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def _job_of(params: dict[str, Any]) -> str:
    """The job a state write is for: ``job#<name>``, ``job#<kind>#<name>`` or, in a member account,
    ``job#<kind>#<name>#<account>#<region>`` (soak names are unique across kinds and accounts)."""
    parts = params["Key"]["pk"]["S"].split("#")
    return parts[2] if len(parts) > 2 else parts[1]


class Injector:
    """Decides, with one seeded generator, where each fault strikes, and remembers the crash window."""

    def __init__(self, faults: Faults, seed: int, result: SoakResult) -> None:
        self.faults = faults
        self.random = random.Random(seed)
        self.result = result
        self.lock = threading.Lock()
        self.crash_window: Counter[tuple[str, str, str]] = Counter()  # crashes per message in the window
        self.writes: defaultdict[str, list[str]] = defaultdict(list)  # state writes by job
        self.enabled = True

    def roll(self, rate: float, kind: str) -> bool:
        if not self.enabled or rate <= 0:
            return False
        with self.lock:
            hit = self.random.random() < rate
            if hit:
                self.result.faults[kind] += 1
        return hit

    # botocore event hooks on the default session, so the function's own clients carry them

    def aws_error(self, event_name: str, **_: Any) -> AWSResponse | None:
        service = event_name.split(".")[1]
        if not self.roll(self.faults.aws_error, f"{service} throttled or 5xx"):
            return None
        if service == "dynamodb":
            body = (
                b'{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate exceeded"}'
            )
            return AWSResponse("https://soak", 400, {}, _FakeRaw(body))
        body = b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>"
        return AWSResponse("https://soak", 400, {}, _FakeRaw(body))

    def crash_before_write(self, params: dict[str, Any], **_: Any) -> None:
        job = _job_of(params)
        with self.lock:  # kept to explain an unexpected duplicate, should one appear
            self.writes[job].append(
                f"{params.get('UpdateExpression', '')[:60]} {json.dumps(params.get('ExpressionAttributeValues', {}))[:200]}"
            )
        if self.roll(self.faults.crash, "crash before a DynamoDB write"):
            with self.lock:
                self.writes[job].append("crashed before this write")
            self._note_window(params)
            raise LambdaCrash("before a state write")

    def crash_after_write(self, context: dict[str, Any], **_: Any) -> None:
        if self.roll(self.faults.crash, "crash after a DynamoDB write"):
            raise LambdaCrash("after a state write")

    @staticmethod
    def remember_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["soak_params"] = params

    def crash_after_publish(self, context: dict[str, Any], **_: Any) -> None:
        if self.roll(self.faults.crash, "crash after SNS accepted, before the record"):
            attributes = context["soak_params"].get("MessageAttributes", {})
            key = (attributes["job_name"]["StringValue"], attributes["status"]["StringValue"], "email")
            self._crashed_in_window(key)
            raise LambdaCrash("after publish")

    def _note_window(self, params: dict[str, Any]) -> None:
        """A crash just before ``mark_sent`` leaves a sent message unrecorded: the documented window.

        In app mode, so does a crash just before a thread's parent is recorded (``record_thread``).
        """
        if "#threads.#ch" in params.get("UpdateExpression", ""):
            channel = params["ExpressionAttributeNames"]["#ch"]
            self._crashed_in_window((_job_of(params), "IN_PROGRESS", channel))
            return
        if "settled_at" not in params.get("UpdateExpression", ""):
            return
        values = params.get("ExpressionAttributeValues", {})
        if values.get(":state", {}).get("S") != "sent":
            return
        job = _job_of(params)
        channel = params["ExpressionAttributeNames"]["#ch"]
        self._crashed_in_window((job, values[":status"]["S"], channel))

    def _crashed_in_window(self, key: tuple[str, str, str]) -> None:
        with self.lock:
            self.crash_window[key] += 1
            self.result.crashes_in_window += 1

    def wrap_open(self, original: Any, is_post: Callable[[str], bool]) -> Any:
        """Wraps ``OpenerDirector.open``, which every urllib request passes through, the Slack one included.

        ``is_post`` tells a request that posts a message (the webhook, ``chat.postMessage``) from others.
        """

        def open_url(opener: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
            response = original(opener, request, *args, **kwargs)
            to_slack = isinstance(request, urllib.request.Request) and is_post(request.full_url)
            if to_slack and self.roll(self.faults.crash, "crash after Slack accepted, before the record"):
                key = _slack_key(json.loads(request.data))
                if key:
                    self._crashed_in_window(key)
                raise LambdaCrash("after Slack accepted")
            return response

        return open_url


class _SlackSecret:
    """The Slack secret, which an operator now and then replaces with something unusable for a
    while (two kinds, alternating), then repairs."""

    def __init__(self, cloud: LocalCloud, name: str, good: str, broken: tuple[tuple[str, str], ...]) -> None:
        self._client = cloud.client("secretsmanager")
        self._name = name
        self._good = good
        self._broken = broken  # (label, value)
        self._broken_until = 0

    def maybe_break(self, injector: Injector, tick: int) -> None:
        """Every ``broken_secret_every_ticks``, at a fixed phase, so a short run meets it too."""
        if self._broken_until and tick >= self._broken_until:
            self.repair()
        every = int(injector.faults.broken_secret_every_ticks)
        if self._broken_until or not every or tick % every != every // 2:
            return
        label, value = self._broken[(tick // every) % len(self._broken)]
        self._put(value)
        self._broken_until = tick + BROKEN_SECRET_TICKS
        with injector.lock:
            injector.result.faults[f"Slack secret: {label}"] += 1

    def repair(self) -> None:
        if self._broken_until:
            self._put(self._good)
            self._broken_until = 0

    def _put(self, value: str) -> None:
        self._client.put_secret_value(SecretId=self._name, SecretString=value)


class _WebhookSlack:
    """Slack by incoming webhook: the receiver, its secret and what reached the channel."""

    mode = "webhook"
    context = CONTEXT
    stored_in = "SLACK_WEBHOOK_SECRET_NAME"

    def __init__(self) -> None:
        self.server = SlackReceiver()

    def __enter__(self) -> _WebhookSlack:
        self.server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.__exit__(*exc)

    @property
    def secret(self) -> str:
        return self.server.url.rsplit("/", 1)[-1]

    def secret_value(self, url: str | None = None) -> str:
        return json.dumps({"webhook_url": url or self.server.url})

    def broken_secrets(self) -> tuple[tuple[str, str], ...]:
        url = self.server.url
        path_end = url.rfind("/") + 1
        token = url[path_end:]
        wrapped = url[:path_end] + "\n" + token  # the token intact on its own line
        with_password = url.replace("http://", f"http://jobwatch:{token}@", 1)
        return (
            ("URL wrapped onto two lines", self.secret_value(wrapped)),
            ("URL with a password", self.secret_value(with_password)),
        )

    def endpoints(self) -> dict[str, str]:
        return {}

    def set_faults(self, faults: ReceiverFaults) -> None:
        faults.redirect_to = self.server.redirect_url
        self.server.faults = faults

    def recover(self) -> None:
        self.server.recover()

    def is_post(self, url: str) -> bool:
        return url == self.server.url

    def posted(self) -> list[dict[str, Any]]:
        """Every message the channel shows, as posted."""
        return [request.json for request in self.server.requests]

    def slow(self) -> list[dict[str, Any]]:
        return [request.json for request in self.server.slow_posts]

    def answered_faults(self) -> Counter[str]:
        return Counter(f"slack HTTP {status}" for _, status in self.server.attempts if status != 200)

    def redirects_followed(self) -> int:
        return len(self.server.followed)

    def parents_left_running(self, ended: set[str]) -> int:
        return 0


class _AppSlack:
    """Slack's app mode: the local Web API, the bot token secret, and the threads it holds."""

    mode = "app"
    context = APP_CONTEXT
    stored_in = "SLACK_BOT_TOKEN_SECRET_NAME"
    secret = BOT_TOKEN

    def __init__(self) -> None:
        self.server = SlackApi(channels=(APP_CONTEXT["slack_channel"], "C0SOAKTEAM1"))

    def __enter__(self) -> _AppSlack:
        self.server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.__exit__(*exc)

    def secret_value(self, token: str = BOT_TOKEN) -> str:
        return json.dumps({"bot_token": token})

    def broken_secrets(self) -> tuple[tuple[str, str], ...]:
        wrapped = BOT_TOKEN[:20] + "\n" + BOT_TOKEN[20:]
        return (
            ("token wrapped onto two lines", self.secret_value(wrapped)),
            ("a revoked token", self.secret_value("xoxb-0000000000-revoked")),
        )

    def endpoints(self) -> dict[str, str]:
        return {"SLACK_API_URL": self.server.url}

    def set_faults(self, faults: ReceiverFaults) -> None:
        faults.redirect_to = self.server.url + "elsewhere"
        self.server.faults = faults

    def recover(self) -> None:
        self.server.recover()

    def is_post(self, url: str) -> bool:
        return url == self.server.url + "chat.postMessage"

    def posted(self) -> list[dict[str, Any]]:
        return [
            call.payload
            for call in self.server.calls
            if call.method == "chat.postMessage" and call.answer == "ok"
        ]

    def slow(self) -> list[dict[str, Any]]:
        return [call.payload for call in self.server.slow_calls if call.method == "chat.postMessage"]

    def answered_faults(self) -> Counter[str]:
        return Counter(
            f"slack {call.method} {call.answer}" for call in self.server.calls if call.answer != "ok"
        )

    def redirects_followed(self) -> int:
        return len(self.server.followed)

    def parents_left_running(self, ended: set[str]) -> int:
        """Threads of jobs that ended whose parent was never updated to the final state."""
        return sum(
            1
            for parent in self.server.parents()
            if parent.header.startswith("⏳") and parent.header.rsplit(": ", 1)[-1] in ended
        )


SlackSide = _WebhookSlack | _AppSlack


def _schedule_jobs(
    simulator: InferenceRecommenderSimulator,
    jobs: int,
    ticks: int,
    rng: random.Random,
    faults: Faults,
    suffix: str = "",
) -> None:
    """Jobs created across the run; a few already running or finished before the first tick, and
    a few whose every time comes from a clock an hour or a year ahead."""
    start = simulator.clock.now()
    for index in range(jobs):
        created = start + timedelta(seconds=rng.uniform(-2, ticks * 0.9) * TICK_SECONDS)
        if index % AI_JOB_EVERY == AI_JOB_EVERY - 1:
            simulator.add_ai_job(
                f"{AI_JOB_PREFIX}{index:05d}{suffix}",
                outcome=rng.choices(TERMINAL, weights=(70, 20, 10))[0],
                created_at=created,
                run_seconds=rng.uniform(60, 20 * TICK_SECONDS),
                failure_reason="no capacity <!channel> @here" if rng.random() < 0.5 else None,
                goal=rng.choice(("ttft-ms", "throughput", "cost")),
            )
            continue
        ahead = rng.choice(FUTURE_OFFSETS_SECONDS) if rng.random() < faults.future_timestamps else 0.0
        simulator.add_job(
            f"soak-{index:05d}{suffix}",
            outcome=rng.choices(TERMINAL, weights=(70, 20, 10))[0],
            created_at=created,
            pending_seconds=rng.uniform(10, 400),
            run_seconds=rng.uniform(60, 20 * TICK_SECONDS),
            job_type=rng.choice(("Default", "Default", "Advanced")),
            failure_reason="CUDA out of memory <!channel> @here" if rng.random() < 0.5 else None,
            clock_offset_seconds=ahead,
        )
        if ahead:
            simulator.fault_counts["job times from a clock ahead"] += 1


def run_soak(
    *,
    jobs: int,
    ticks: int,
    seed: int,
    faults: Faults,
    drain_limit: int = 60,
    progress_every: int = 50,
    slack_app: bool = False,
    member_accounts: bool = False,
) -> SoakResult:
    """With ``member_accounts``, a third of the jobs run in a member account and two more member
    accounts cannot be read at all (see MEMBER_ACCOUNT)."""
    slack: SlackSide = _AppSlack() if slack_app else _WebhookSlack()
    result = SoakResult(jobs=jobs, ticks=ticks, slack_mode=slack.mode)
    started = time.monotonic()
    rng = random.Random(seed)
    injector = Injector(faults, seed + 1, result)
    with tempfile.TemporaryDirectory(prefix="jobwatch-soak-") as workdir:
        members = (
            {"accounts": f"{MEMBER_ACCOUNT},{NO_ROLE_ACCOUNT},{NO_REGION_ACCOUNT}"} if member_accounts else {}
        )
        stack = synthesize(slack.context | members, Path(workdir) / "cdk.out")
        clock = SimulatedClock()
        cloud = LocalCloud()
        org = SimulatedOrganization(
            clock=clock, account_of=lambda key: account_of_key(cloud.endpoint_url)(key), seed=seed
        )
        simulator = (
            org.at(ACCOUNT_ID, REGION)
            if member_accounts
            else InferenceRecommenderSimulator(clock=clock, seed=seed)
        )
        worlds = [simulator]
        if member_accounts:
            worlds.append(org.at(MEMBER_ACCOUNT, REGION))
            org.refuse_assume_role(NO_ROLE_ACCOUNT)
            org.disabled.add((NO_REGION_ACCOUNT, REGION))
            _schedule_jobs(worlds[1], jobs // 3, ticks, rng, faults, suffix=MEMBER_SUFFIX)
            jobs -= jobs // 3
        _schedule_jobs(simulator, jobs, ticks, rng, faults)
        for world in worlds:
            world.faults.throttle_rate = faults.sagemaker_throttle
            world.faults.server_error_rate = faults.sagemaker_server_error
            world.faults.latency_seconds = faults.sagemaker_latency_seconds
            world.faults.malformed_rate = faults.malformed_describe
            world.faults.stale_listing_rate = faults.stale_listing
            world.faults.stale_seconds = 2 * TICK_SECONDS
        log_stream = io.StringIO()
        skew = timedelta(seconds=faults.clock_skew_seconds)
        with (
            cloud,
            org if member_accounts else simulator,
            slack,
            time_machine.travel(clock.now() + skew, tick=True) as traveller,
            contextlib.redirect_stdout(log_stream),
        ):
            slack.set_faults(
                ReceiverFaults(
                    server_error_rate=faults.slack_server_error,
                    rate_limit_rate=faults.slack_rate_limited,
                    gone_rate=faults.slack_gone,
                    timeout_rate=faults.slack_timeout,
                    redirect_rate=faults.slack_redirect,
                    timeout_seconds=6.0,
                    retry_after=60,
                    seed=seed + 2,
                )
            )
            provisioned = provision(stack, cloud, slack_secret_value=slack.secret_value())
            secret = _SlackSecret(
                cloud,
                provisioned.environment[slack.stored_in],
                slack.secret_value(),
                slack.broken_secrets(),
            )
            boto3.setup_default_session()
            events = boto3.DEFAULT_SESSION.events
            events.register("before-send.dynamodb.*", injector.aws_error)
            events.register("before-send.sns.*", injector.aws_error)
            # before-parameter-build sees the API parameters (before-call sees the serialized request)
            events.register("before-parameter-build.dynamodb.UpdateItem", injector.crash_before_write)
            events.register("after-call.dynamodb.UpdateItem", injector.crash_after_write)
            events.register("before-parameter-build.sns.Publish", injector.remember_params)
            events.register("after-call.sns.Publish", injector.crash_after_publish)
            original_sleep = botocore.endpoint.time
            botocore.endpoint.time = _FastSleep()  # back-off waits scaled down; attempts unchanged
            original_open = urllib.request.OpenerDirector.open
            urllib.request.OpenerDirector.open = injector.wrap_open(original_open, slack.is_post)
            sagemaker_url = org.endpoint_url if member_accounts else simulator.endpoint_url
            endpoints = {**endpoint_variables(cloud, sagemaker_url), **slack.endpoints()}
            ended: dict[str, tuple[int, str]] = {}
            vanished: set[str] = set()
            history: set[str] = set()
            first_delivery: dict[tuple[str, str, str], int] = {}
            settled = 0
            try:
                with LocalFunction.of_stack(
                    stack,
                    provisioned,
                    endpoints=endpoints,
                    log_stream=log_stream,
                    capture_stdout=False,
                ) as function:
                    injector.enabled = False  # the first run records history; faults start after it
                    _guarded(function.invoke, result)
                    _note_endings(worlds, {}, set(), 0)
                    history = {name for name, status in _statuses(worlds).items() if status in TERMINAL}
                    injector.enabled = True
                    for tick in range(1, ticks + drain_limit):
                        next_tick(clock, traveller, skew)
                        draining = tick >= ticks
                        if tick == ticks:
                            _stop_faults(injector, worlds, slack)
                            secret.repair()
                        if not draining:
                            for world in worlds:
                                _vanish_some(world, injector, vanished, tick)
                            secret.maybe_break(injector, tick)
                        _invoke(function, injector, result)
                        result.clock_ahead_seconds = max(
                            result.clock_ahead_seconds, (datetime.now(UTC) - clock.now()).total_seconds()
                        )
                        _note_endings(worlds, ended, vanished | history, tick)
                        for key in _deliveries(slack):
                            first_delivery.setdefault(key, tick)
                        if tick % progress_every == 0:
                            _progress(tick, ticks, ended, first_delivery, started)
                        if draining:
                            result.drain_ticks += 1
                            settled += int(_everything_delivered(ended, first_delivery))
                            if settled > LEASE_TICKS:  # past the lease: a crash-window resend shows
                                break
                    token = slack.secret
                    result.secret_in_logs = token in log_stream.getvalue()
                    result.secret_in_table = token in json.dumps(
                        cloud.client("dynamodb").scan(TableName=provisioned.table_name)["Items"]
                    )
                    result.error_logs, result.unreadable = _error_logs(log_stream.getvalue())
            finally:
                botocore.endpoint.time = original_sleep
                urllib.request.OpenerDirector.open = original_open
                boto3.setup_default_session()
            _tally(result, ended, history, first_delivery, slack, injector)
            for world in worlds:
                for kind, count in world.fault_counts.items():
                    result.faults[f"sagemaker {kind}"] += count
            result.faults.update(slack.answered_faults())
            result.faults["slack answered after the client's timeout"] += len(slack.slow())
            result.redirects_followed = slack.redirects_followed()
            result.parents_left_running = slack.parents_left_running(set(ended))
    result.seconds = time.monotonic() - started
    return result


def _progress(
    tick: int,
    ticks: int,
    ended: dict[str, tuple[int, str]],
    first_delivery: dict[tuple[str, str, str], int],
    started: float,
) -> None:
    """A line on stderr now and then: a long soak should not look hung."""
    print(
        f"soak: tick {tick}/{ticks}, {len(ended)} jobs ended, {len(first_delivery)} first deliveries, "
        f"{time.monotonic() - started:.0f} s",
        file=sys.stderr,
        flush=True,
    )


def _error_logs(text: str) -> tuple[Counter[str], Counter[tuple[str, str]]]:
    """The function's ERROR log lines by message, what an operator would see; and of them, the
    sources that could not be read, with the fix each line gave."""
    counts: Counter[str] = Counter()
    unreadable: Counter[tuple[str, str]] = Counter()
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and record.get("level") == "ERROR":
            counts[str(record.get("message"))[:80]] += 1
            if "source" in record and "fix" in record:
                unreadable[(str(record["source"]), str(record["fix"]))] += 1
            if "exception" in record and os.environ.get("JOBWATCH_SOAK_DEBUG"):
                print(record["exception"][-1500:], file=sys.stderr)
    return counts, unreadable


def _everything_delivered(ended: dict[str, tuple[int, str]], first: dict[tuple[str, str, str], int]) -> bool:
    return all(
        (job, status, channel) in first
        for job, (_, status) in ended.items()
        for channel in ("email", "slack")
    )


def _stop_faults(injector: Injector, worlds: list[InferenceRecommenderSimulator], slack: SlackSide) -> None:
    injector.enabled = False
    for world in worlds:
        world.faults.throttle_rate = world.faults.server_error_rate = 0.0
        world.faults.malformed_rate = world.faults.latency_seconds = 0.0
        world.faults.stale_listing_rate = 0.0
    slack.recover()


def _vanish_some(
    simulator: InferenceRecommenderSimulator, injector: Injector, vanished: set[str], tick: int
) -> None:
    for name in simulator.job_names():
        if name in vanished or simulator.status_of(name) not in ("PENDING", "IN_PROGRESS"):
            continue
        if injector.roll(injector.faults.vanish / 20, "job vanished mid-run"):
            simulator.delete_job(name)
            vanished.add(name)


def _invoke(function: LocalFunction, injector: Injector, result: SoakResult) -> None:
    """One scheduled tick; sometimes overlapping with a second invocation, or delivered twice.

    The overlapping one runs the same Monitor from another thread: in Lambda it would be another
    container, and what matters is that both race on the same state table.
    """
    runs = 2 if injector.roll(injector.faults.duplicate_event, "same event delivered twice") else 1
    for _ in range(runs):
        if injector.roll(injector.faults.overlap, "overlapping invocations"):
            monitor, _ = function.module._monitor(ACCOUNT_ID)
            other = threading.Thread(target=_guarded, args=(monitor.run_tick, result))
            other.start()
            _guarded(function.invoke, result)
            other.join()
        else:
            _guarded(function.invoke, result)


def _guarded(run: Callable[[], Any], result: SoakResult) -> None:
    try:
        run()
    except LambdaCrash:
        result.tick_errors["injected crash"] += 1
    except Exception as error:  # the soak's job is to count what escaped, by kind
        kind = "AWS error after retries" if type(error).__name__ == "ClientError" else "unexpected"
        result.tick_errors[kind] += 1
        if kind == "unexpected":
            print(f"soak: the tick raised {type(error).__name__}: {error}", file=sys.stderr)


def _statuses(worlds: list[InferenceRecommenderSimulator]) -> dict[str, str]:
    """Every job of both kinds in every account by name (unique across kinds and accounts here)."""
    statuses: dict[str, str] = {}
    for world in worlds:
        statuses.update({name: world.status_of(name) for name in world.job_names()})
        statuses.update({name: world.ai_status_of(name) for name in world.ai_job_names()})
    return statuses


def _note_endings(
    worlds: list[InferenceRecommenderSimulator], ended: dict[str, tuple[int, str]], skip: set[str], tick: int
) -> None:
    for name, status in _statuses(worlds).items():
        if name not in ended and name not in skip and status in TERMINAL:
            ended[name] = (tick, status)


def _deliveries(slack: SlackSide) -> Counter[tuple[str, str, str]]:
    """Every message that reached a person, by (job, status, channel); a thread's parent is IN_PROGRESS."""
    counts: Counter[tuple[str, str, str]] = Counter()
    for topic in sns_backends[ACCOUNT_ID][REGION].topics.values():
        for _, _, _, attributes, _ in topic.sent_notifications:
            counts[(attributes["job_name"]["Value"], attributes["status"]["Value"], "email")] += 1
    for payload in slack.posted():
        key = _slack_key(payload)
        if key:
            counts[key] += 1
    return counts


def _slack_key(payload: dict[str, Any]) -> tuple[str, str, str] | None:
    match = _SLACK_HEADER.search(payload.get("text", ""))
    if not match:
        return None
    status = "IN_PROGRESS" if match.group(1) in ("STARTED", "RUNNING") else match.group(1)
    return match.group(2), status, "slack"


def _tally(
    result: SoakResult,
    ended: dict[str, tuple[int, str]],
    history: set[str],
    first_delivery: dict[tuple[str, str, str], int],
    slack: SlackSide,
    injector: Injector,
) -> None:
    counts = _deliveries(slack)
    slow = Counter(key for payload in slack.slow() if (key := _slack_key(payload)))
    result.transitions = len(ended)
    result.ai_transitions = sum(1 for job in ended if job.startswith(AI_JOB_PREFIX))
    result.member_transitions = sum(1 for job in ended if job.endswith(MEMBER_SUFFIX))
    delays: dict[str, list[int]] = defaultdict(list)
    for job, (tick, status) in ended.items():
        for channel in ("email", "slack"):
            key = (job, status, channel)
            if key not in first_delivery:
                result.lost[channel] += 1
                print(f"soak: LOST {key}", file=sys.stderr)
            else:
                delays[channel].append(first_delivery[key] - tick)
                if first_delivery[key] - tick > 3 and os.environ.get("JOBWATCH_SOAK_DEBUG"):
                    print(
                        f"soak: SLOW {key} ended at tick {tick}, delivered at {first_delivery[key]}",
                        file=sys.stderr,
                    )
    result.duplicates["crash between send and record"] += 0
    result.duplicates["Slack accepted but answered after the timeout"] += 0
    for key, count in counts.items():
        job, status, channel = key
        parent = slack.mode == "app" and channel == "slack" and status == "IN_PROGRESS"
        if parent and job not in history:  # a thread's parent: at most one, like any message
            channel = "slack parents"
        elif job in history or ended.get(job, (0, ""))[1] != status:
            result.duplicates["unexplained"] += count  # history announced, or a wrong status
            print(f"soak: UNEXPECTED {key} x{count}", file=sys.stderr)
            continue
        result.delivered[channel] += count
        if count == 1:
            continue
        # Each cause explains at most one resend per time it struck this message: a message can be
        # resent once after a crash in the window and once more after a late Slack answer.
        after_crash = min(count - 1, injector.crash_window[key])
        after_timeout = min(count - 1 - after_crash, slow[key])
        result.duplicates["crash between send and record"] += after_crash
        result.duplicates["Slack accepted but answered after the timeout"] += after_timeout
        unexplained = count - 1 - after_crash - after_timeout
        if unexplained:
            result.duplicates["unexplained"] += unexplained
            print(f"soak: DUPLICATE {key} x{count}", file=sys.stderr)
            for write in injector.writes[job]:
                print(f"    state write: {write}", file=sys.stderr)
    result.max_delay_ticks = {channel: max(values) for channel, values in delays.items() if values}


def main() -> int:
    parser = argparse.ArgumentParser(prog="./jobwatch soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--ticks", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-faults", action="store_true", help="a control run with every fault off")
    parser.add_argument(
        "--slack-app", action="store_true", help="Slack's app mode (threads) instead of the webhook"
    )
    parser.add_argument(
        "--member-accounts",
        action="store_true",
        help="a third of the jobs in a member account, and two member accounts that cannot be read "
        "(STS refuses the reader role of one, the other never enabled the region)",
    )
    parser.add_argument(
        "--clock-skew",
        type=float,
        default=Faults.clock_skew_seconds,
        help="seconds the function's clock runs ahead of the service's (negative: behind)",
    )
    arguments = parser.parse_args()
    faults = Faults.none() if arguments.no_faults else Faults()
    faults = replace(faults, clock_skew_seconds=arguments.clock_skew)
    result = run_soak(
        jobs=arguments.jobs,
        ticks=arguments.ticks,
        seed=arguments.seed,
        faults=faults,
        slack_app=arguments.slack_app,
        member_accounts=arguments.member_accounts,
    )
    print(result.table())
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
