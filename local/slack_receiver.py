"""A local Slack incoming-webhook receiver that records what it is sent and can misbehave on cue."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from local.loopback import Answer, LoopbackServer

WEBHOOK_PATH = "/services/T0JOBWATCH/B0LOCAL/xoxLocalWebhookToken"
_LONGEST_HOLD_SECONDS = 30.0  # a held answer never outlives a test that forgot to release it
REDIRECT_PATH = "/elsewhere"

# What Slack answers, by status: the body text is what its webhooks really say.
_BODIES = {
    200: "ok",
    400: "invalid_payload",
    403: "action_prohibited",
    404: "no_service",
    410: "channel_is_archived",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}


@dataclass(frozen=True)
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class ScriptedResponse:
    status: int = 200
    retry_after: int | None = None
    delay_seconds: float = 0.0
    held: bool = False  # answered only once the test calls ``release_held``
    location: str | None = None  # a redirect's target


@dataclass
class ReceiverFaults:
    """Random failures at a rate per request, decided with a seeded generator."""

    server_error_rate: float = 0.0
    rate_limit_rate: float = 0.0
    gone_rate: float = 0.0
    timeout_rate: float = 0.0
    redirect_rate: float = 0.0
    timeout_seconds: float = 6.0
    retry_after: int = 1
    redirect_to: str = "http://127.0.0.1:9/elsewhere"
    seed: int = 0
    _random: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def draw(self) -> ScriptedResponse | None:
        roll = self._random.random()
        for rate, response in (
            (self.server_error_rate, ScriptedResponse(status=503)),
            (self.rate_limit_rate, ScriptedResponse(status=429, retry_after=self.retry_after)),
            (self.gone_rate, ScriptedResponse(status=404)),
            (self.timeout_rate, ScriptedResponse(delay_seconds=self.timeout_seconds)),
            (self.redirect_rate, ScriptedResponse(status=302, location=self.redirect_to)),
        ):
            if roll < rate:
                return response
            roll -= rate
        return None


class SlackReceiver:
    """Accepts webhook posts on loopback; ``requests`` holds the ones it posted to the channel.

    ``attempts`` holds every request, answered or not, so tests can tell a retry from a duplicate.
    A scripted redirect points at ``redirect_url`` (``/elsewhere`` on this server), where a GET
    is answered 200 and recorded in ``followed``: what a client that follows redirects would do.
    """

    def __init__(self) -> None:
        self.requests: list[ReceivedRequest] = []
        self.attempts: list[tuple[ReceivedRequest, int]] = []
        self.slow_posts: list[ReceivedRequest] = []  # posted, but answered after a delay
        self.followed: list[ReceivedRequest] = []  # requests that followed a redirect
        self.faults = ReceiverFaults()
        self._script: list[ScriptedResponse] = []
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server = LoopbackServer(self._answer_post, self._answer_get)
        self.url = ""

    def fail_next(self, count: int = 1, *, status: int = 503, retry_after: int | None = None) -> None:
        with self._lock:
            self._script.extend(
                ScriptedResponse(status=status, retry_after=retry_after) for _ in range(count)
            )

    def redirect_next(self, count: int = 1, *, status: int = 302, location: str | None = None) -> None:
        with self._lock:
            self._script.extend(
                ScriptedResponse(status=status, location=location or self.redirect_url) for _ in range(count)
            )

    @property
    def redirect_url(self) -> str:
        return self.url.replace(WEBHOOK_PATH, REDIRECT_PATH)

    def hold_next(self, count: int = 1) -> None:
        """Post the next messages but answer only after ``release_held``, as a Slack slower than any timeout.

        Waiting on an event instead of a delay makes "the client gave up first" certain, not a race
        between two sleeps on a busy machine.
        """
        with self._lock:
            self._release.clear()
            self._script.extend(ScriptedResponse(held=True) for _ in range(count))

    def release_held(self) -> None:
        self._release.set()

    def recover(self) -> None:
        with self._lock:
            self._script.clear()
            self.faults = ReceiverFaults()

    def _respond(self, request: ReceivedRequest) -> ScriptedResponse:
        with self._lock:
            scripted = self._script.pop(0) if self._script else self.faults.draw()
            response = scripted or ScriptedResponse()
        if response.held:
            self._release.wait(timeout=_LONGEST_HOLD_SECONDS)
        elif response.delay_seconds:
            time.sleep(response.delay_seconds)
        with self._lock:
            self.attempts.append((request, response.status))
            if response.status == 200:  # a slow answer was still posted, as Slack does
                self.requests.append(request)
                if response.delay_seconds or response.held:
                    self.slow_posts.append(request)
        return response

    def _answer_post(self, path: str, headers: Mapping[str, str], body: bytes) -> Answer:
        request = ReceivedRequest(path, dict(headers), body)
        response = ScriptedResponse(status=404) if path != WEBHOOK_PATH else self._respond(request)
        data = _BODIES.get(response.status, "error").encode()
        if response.location is not None:  # as some servers do: the request's own path echoed
            data = f"Redirecting {path} to {response.location}".encode()
        return Answer(response.status, data, "text/plain", response.retry_after, response.location)

    def _answer_get(self, path: str, headers: Mapping[str, str]) -> int:
        with self._lock:
            self.followed.append(ReceivedRequest(path, dict(headers), b""))
        return 200 if path == REDIRECT_PATH else 404

    def __enter__(self) -> SlackReceiver:
        self.url = self._server.start() + WEBHOOK_PATH
        return self

    def __exit__(self, *exc: object) -> None:
        self.release_held()
        self._server.close()
