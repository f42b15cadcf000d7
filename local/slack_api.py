"""A local Slack Web API (``chat.postMessage``, ``chat.update``) that keeps its channels' messages.

It answers as Slack documents: HTTP 200 with ``{"ok": false, "error": ...}`` for most errors, HTTP
429 with ``Retry-After`` for rate limits. It checks the bearer token, knows which channels exist
and which the app is in, and can fail on cue (``fail_next``) or at random (``faults``, the
webhook receiver's seeded ReceiverFaults: 503, 429, a timeout, a redirect; its "gone" answers
``channel_not_found``).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from local.loopback import Answer, LoopbackServer
from local.slack_receiver import _LONGEST_HOLD_SECONDS, ReceiverFaults, ScriptedResponse

BOT_TOKEN = "xoxb-0000000000-0000000000000-LocalJobwatchBotToken"  # noqa: S105 - a local stand-in
API_PATH = "/api/"
_METHODS = ("chat.postMessage", "chat.update")
# What Slack's Web API says, by the HTTP status a scripted or random fault asks for.
_FAULT_ERRORS = {
    429: "ratelimited",
    404: "channel_not_found",
    500: "internal_error",
    503: "service_unavailable",
}


@dataclass
class SlackMessage:
    """One message as the channel shows it now; ``versions`` holds every content it had, oldest first."""

    channel: str
    ts: str
    thread_ts: str | None
    broadcast: bool
    versions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def content(self) -> dict[str, Any]:
        return self.versions[-1]

    @property
    def header(self) -> str:
        """The header block's text, or the fallback text: what a person sees first."""
        for block in self.content.get("blocks", []):
            if block.get("type") == "header":
                return str(block["text"]["text"])
        return str(self.content.get("text", ""))


@dataclass(frozen=True)
class ApiCall:
    method: str
    payload: dict[str, Any]
    answer: str  # "ok" or Slack's error code


class SlackApi:
    """The Web API on loopback; ``url`` is the base to give SLACK_API_URL.

    ``channels`` exist; the app is a member of those not in ``outside`` (``not_in_channel``).
    ``calls`` records every call with its answer, so tests tell a retry from a duplicate.
    """

    def __init__(self, channels: tuple[str, ...] = ("C0DEFAULT01",), *, token: str = BOT_TOKEN) -> None:
        self.channels = set(channels)
        self.outside: set[str] = set()
        self.token = self._built_token = token
        self.messages: list[SlackMessage] = []
        self.calls: list[ApiCall] = []
        self.slow_calls: list[ApiCall] = []  # carried out, but answered after a delay
        self.followed: list[str] = []  # paths a client reached by following a redirect
        self.faults = ReceiverFaults()
        # (response, Slack's error code, the method it answers or None for any), first queued first
        self._script: list[tuple[ScriptedResponse, str, str | None]] = []
        self._release = threading.Event()
        self._lock = threading.Lock()
        self._clock = 1_764_400_000
        self._server = LoopbackServer(self._answer_post, self._answer_get)
        self.url = ""

    # --- cues -------------------------------------------------------------------------------------

    def fail_next(
        self,
        count: int = 1,
        *,
        error: str = "internal_error",
        status: int = 200,
        retry_after: int | None = None,
        method: str | None = None,
    ) -> None:
        """The next calls (of ``method``, or any) answer ``error`` with HTTP ``status``."""
        with self._lock:
            for _ in range(count):
                self._script.append((ScriptedResponse(status=status, retry_after=retry_after), error, method))

    def hold_next(self, count: int = 1) -> None:
        """Carry out the next calls but answer only after ``release_held``: a Slack slower than any timeout."""
        with self._lock:
            self._release.clear()
            self._script.extend((ScriptedResponse(held=True), "", None) for _ in range(count))

    def release_held(self) -> None:
        self._release.set()

    def delete(self, message: SlackMessage) -> None:
        """Someone deleted the message in Slack."""
        with self._lock:
            self.messages.remove(message)

    def recover(self) -> None:
        with self._lock:
            self._script.clear()
            self.faults = ReceiverFaults()

    def reset(self) -> None:
        """As built, for the next test: no messages, calls, cues or faults; in every channel; its first token."""
        self.recover()
        with self._lock:
            self.messages.clear()
            self.calls.clear()
            self.slow_calls.clear()
            self.followed.clear()
            self.outside.clear()
            self.token = self._built_token

    # --- what the channels show -----------------------------------------------------------------

    def parents(self) -> list[SlackMessage]:
        return [message for message in self.messages if message.thread_ts is None]

    def replies(self, parent: SlackMessage) -> list[SlackMessage]:
        return [m for m in self.messages if m.thread_ts == parent.ts and m.channel == parent.channel]

    # --- the API --------------------------------------------------------------------------------

    def _answer(
        self, method: str, authorization: str, payload: dict[str, Any]
    ) -> tuple[int, dict[str, Any], int | None, str | None]:
        """(HTTP status, body, Retry-After, Location) for one call, carrying it out when it succeeds."""
        with self._lock:
            cue = next((cue for cue in self._script if cue[2] in (None, method)), None)
            scripted, error = (None, "") if cue is None else cue[:2]
            if cue is not None:
                self._script.remove(cue)
            else:
                scripted = self.faults.draw()
                error = _FAULT_ERRORS.get(scripted.status, "") if scripted else ""
        response = scripted or ScriptedResponse()
        if response.delay_seconds:
            time.sleep(response.delay_seconds)
        with self._lock:
            status, body = self._outcome(method, authorization, payload, response, error)
            call = ApiCall(method, payload, "ok" if body.get("ok") else str(body.get("error")))
            self.calls.append(call)
            if response.delay_seconds or response.held:
                self.slow_calls.append(call)
        if response.held:
            self._release.wait(timeout=_LONGEST_HOLD_SECONDS)
        return status, body, response.retry_after, response.location

    def _outcome(
        self, method: str, authorization: str, payload: dict[str, Any], response: ScriptedResponse, error: str
    ) -> tuple[int, dict[str, Any]]:
        if error or response.status != 200:
            return response.status, {"ok": False, "error": error or "internal_error"}
        if authorization != f"Bearer {self.token}":
            return 200, {"ok": False, "error": "not_authed" if not authorization else "invalid_auth"}
        channel = payload.get("channel")
        if channel not in self.channels:
            return 200, {"ok": False, "error": "channel_not_found"}
        if channel in self.outside:
            return 200, {"ok": False, "error": "not_in_channel"}
        if not payload.get("text") and not payload.get("blocks"):
            return 200, {"ok": False, "error": "no_text"}
        content = {key: payload[key] for key in ("text", "blocks") if key in payload}
        if method == "chat.update":
            target = next(
                (m for m in self.messages if m.channel == channel and m.ts == payload.get("ts")), None
            )
            if target is None:
                return 200, {"ok": False, "error": "message_not_found"}
            target.versions.append(content)
            return 200, {"ok": True, "channel": channel, "ts": target.ts, "text": content.get("text", "")}
        thread_ts = payload.get("thread_ts")
        if thread_ts is not None and not any(
            m.channel == channel and m.ts == thread_ts for m in self.messages
        ):
            return 200, {"ok": False, "error": "thread_not_found"}
        self._clock += 1
        ts = f"{self._clock}.{len(self.messages) + 1:06d}"
        self.messages.append(
            SlackMessage(
                channel=channel,
                ts=ts,
                thread_ts=thread_ts,
                broadcast=bool(payload.get("reply_broadcast")),
                versions=[content],
            )
        )
        return 200, {"ok": True, "channel": channel, "ts": ts, "message": {"text": content.get("text", "")}}

    def _answer_post(self, path: str, headers: Mapping[str, str], raw: bytes) -> Answer:
        method = path.removeprefix(API_PATH)
        location = None
        if not path.startswith(API_PATH) or method not in _METHODS:
            status, body, retry_after = 404, {"ok": False, "error": "unknown_method"}, None
        else:
            try:
                payload = json.loads(raw)
            except ValueError:
                payload = None
            if not isinstance(payload, dict):
                status, body, retry_after = 200, {"ok": False, "error": "invalid_json"}, None
            else:
                status, body, retry_after, location = self._answer(
                    method, headers.get("Authorization", ""), payload
                )
        return Answer(
            status, json.dumps(body).encode(), "application/json; charset=utf-8", retry_after, location
        )

    def _answer_get(self, path: str, headers: Mapping[str, str]) -> int:
        """Only a client that follows a redirect comes here."""
        with self._lock:
            self.followed.append(path)
        return 200

    def __enter__(self) -> SlackApi:
        self.url = self._server.start() + API_PATH
        return self

    def __exit__(self, *exc: object) -> None:
        self.release_held()
        self._server.close()
