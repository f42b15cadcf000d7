"""The Slack app channel: a bot token and the Web API, one thread per job, its parent updated in place.

The bot token lives in Secrets Manager and is treated like the webhook URL: never logged, never
in an error message, read only at run time. It travels only in the Authorization header, so it
is checked to be one header-safe word before any request is built (an HTTP library's error about
a bad header value would quote it).

Slack answers most errors with HTTP 200 and ``{"ok": false, "error": "<code>"}``, so every answer's
body is read; rate limits come as HTTP 429 (or ``ratelimited``) with ``Retry-After``.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from job_monitor.adapters.slack import _OPENER, _SLACK_ERROR_CODE, WebhookConfigError, _retry_after
from job_monitor.domain import IN_PROGRESS, JobReport
from job_monitor.messages import MessageOptions, render_slack
from job_monitor.ports import DeliveryFailed, Thread
from job_monitor.routing import SlackRouter
from job_monitor.thread_messages import render_parent

_BOT_TOKEN = re.compile(r"xox[a-z]-[A-Za-z0-9-]{1,250}")
_MAX_ANSWER_BYTES = 1_000_000
_RATE_LIMITED = frozenset({"ratelimited", "rate_limited"})
_TRANSIENT = frozenset({"internal_error", "fatal_error", "service_unavailable", "request_timeout"})
# A parent that cannot be updated any more: the conversation goes on in a new message.
_PARENT_LOST = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})
# Codes whose fix is the token: the secret is read afresh on the next attempt.
_TOKEN_CODES = frozenset({"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"})
# What an operator must do, per permanent code Slack documents for chat.postMessage and chat.update.
_FIXES = {
    "channel_not_found": "the channel ID does not exist or the app cannot see it: check slack_channel and slack_routes",
    "not_in_channel": "the app is not a member of the channel: invite it there, or grant it chat:write.public for public channels",
    "is_archived": "the channel is archived: route the job to a live channel (slack_channel, slack_routes)",
    "invalid_auth": "the bot token is not valid: store the app's Bot User OAuth Token (xoxb-...) in the secret",
    "not_authed": "no bot token reached Slack: store the app's Bot User OAuth Token (xoxb-...) in the secret",
    "token_revoked": "the bot token was revoked (the app was removed?): reinstall the app and store its new token",
    "token_expired": "the bot token expired: store a fresh Bot User OAuth Token in the secret",
    "account_inactive": "the bot token belongs to a deleted user or workspace: reinstall the app and store its new token",
    "missing_scope": "the app lacks a scope: add chat:write (and chat:write.public) to the app, reinstall it, store the new token",
}


class SlackApiError(DeliveryFailed):
    """Slack refused a call; ``code`` is Slack's own error code (None when the answer had none)."""

    def __init__(self, message: str, *, code: str | None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.code = code


def parse_bot_token_secret(secret_value: str) -> str:
    """Accept the bare token or JSON ``{"bot_token": "xoxb-..."}``; no message quotes any of it."""
    text = secret_value.strip()
    if text.startswith("{"):
        try:
            document = json.loads(text)
        except json.JSONDecodeError:
            raise WebhookConfigError(
                "the Slack bot token secret looks like JSON but does not parse"
            ) from None
        token = document.get("bot_token") if isinstance(document, dict) else None
        if not isinstance(token, str):
            raise WebhookConfigError('the Slack bot token secret is JSON without a string "bot_token" key')
        text = token.strip()
    if not _BOT_TOKEN.fullmatch(text):
        raise WebhookConfigError(
            "the Slack bot token secret does not hold a bot token (xoxb- then letters, digits and "
            "hyphens, on one line): store the app's Bot User OAuth Token"
        )
    return text


class SlackAppNotifier:
    """Implements ports.Notifier for the ``slack`` channel in app mode.

    A running job's message is its thread's parent (``chat.postMessage``); the thread is returned
    so the store records it. Any other status (a finished job, an operator's test message) ends the
    conversation: the parent is updated in place (``chat.update``, which
    is idempotent and so safe to repeat on a retry), then the summary is replied in the thread
    and broadcast to the channel. Without a thread, or when the parent is gone, the summary is one
    new message in the job's routed channel.

    ``api_url`` is the Web API's base (``https://slack.com/api/``). ``bot_token`` returns the validated token; called with ``refresh=True`` after Slack refused
    it, so an operator's fix to the secret takes effect on the next attempt.
    """

    channel = "slack"
    keeps_threads = True

    def __init__(
        self,
        *,
        bot_token: Callable[[bool], str],
        router: SlackRouter,
        options: MessageOptions,
        api_url: str,
        timeout_seconds: float = 5.0,
    ) -> None:
        self._bot_token = bot_token
        self._router = router
        self._options = options
        self._api_url = api_url if api_url.endswith("/") else api_url + "/"
        self._timeout = timeout_seconds
        self._refresh = False

    def deliver(self, report: JobReport, *, thread: Thread | None = None) -> Thread | None:
        if report.status == IN_PROGRESS:
            if thread is not None:  # posted by an earlier attempt that crashed before it counted as sent
                return thread
            answer = self._call(
                "chat.postMessage",
                {"channel": self._router.channel_for(report), **render_parent(report, self._options)},
            )
            channel_id, ts = answer.get("channel"), answer.get("ts")
            if not isinstance(channel_id, str) or not isinstance(ts, str):
                raise SlackApiError("Slack posted the parent but named no channel and ts for it", code=None)
            return Thread(channel_id=channel_id, ts=ts)
        if thread is not None:
            try:
                self._call(
                    "chat.update",
                    {"channel": thread.channel_id, "ts": thread.ts, **render_parent(report, self._options)},
                )
            except SlackApiError as error:
                if error.code not in _PARENT_LOST:
                    raise
                thread = None
        summary = render_slack(report, self._options)
        if thread is None:
            self._call("chat.postMessage", {"channel": self._router.channel_for(report), **summary})
            return None
        self._call(
            "chat.postMessage",
            {"channel": thread.channel_id, "thread_ts": thread.ts, "reply_broadcast": True, **summary},
        )
        return thread

    def destinations(self) -> dict[str, tuple[str, ...]]:
        """Every channel a job can go to, the default first, with the route patterns that lead there."""
        return self._router.channels

    def deliver_to(self, destination: str, report: JobReport) -> None:
        """One new message in ``destination`` whatever the routes say: an operator's test of that channel."""
        self._call("chat.postMessage", {"channel": destination, **render_slack(report, self._options)})

    def _call(self, method: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        """One Web API call; the answer when Slack says ``ok``, else SlackApiError saying what to fix."""
        try:
            token = self._bot_token(self._refresh)
        except WebhookConfigError as error:
            self._refresh = True
            raise SlackApiError(str(error), code=None, permanent=True) from error
        body = json.dumps({**payload, "unfurl_links": False, "unfurl_media": False}, ensure_ascii=False)
        request = urllib.request.Request(
            self._api_url + method,
            data=body.encode("utf-8"),
            headers={"Content-Type": "application/json; charset=utf-8", "Authorization": f"Bearer {token}"},
            method="POST",
        )
        try:
            with _OPENER.open(request, timeout=self._timeout) as response:
                answer = _json(response.read(_MAX_ANSWER_BYTES))
                retry_after = _retry_after(response)
        except urllib.error.HTTPError as error:
            raise self._http_failure(method, error) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            reason = getattr(error, "reason", error)
            raise SlackApiError(
                f"Slack could not be reached for {method}: {type(reason).__name__}", code=None
            ) from None
        except Exception as error:  # e.g. InvalidURL: only its type leaves, never its text
            raise SlackApiError(
                f"the Slack {method} request could not be made: {type(error).__name__}", code=None
            ) from None
        if answer is None:
            raise SlackApiError(f"Slack answered {method} with a body that is not a JSON object", code=None)
        if answer.get("ok") is True:
            self._refresh = False
            return answer
        raise self._refusal(method, answer.get("error"), retry_after)

    def _http_failure(self, method: str, error: urllib.error.HTTPError) -> SlackApiError:
        if 300 <= error.code < 400:
            return SlackApiError(
                f"Slack answered {method} with a redirect (HTTP {error.code}), which jobwatch never "
                "follows; check SLACK_API_URL",
                code=None,
                permanent=True,
            )
        try:
            answer = _json(error.read(_MAX_ANSWER_BYTES))
        except OSError:
            answer = None
        code = answer.get("error") if answer else None
        if error.code == 429:
            return SlackApiError(
                f"Slack rate-limited {method} (HTTP 429)", code="ratelimited", retry_after=_retry_after(error)
            )
        if code is not None:
            return self._refusal(method, code, _retry_after(error), status=error.code)
        return SlackApiError(
            f"Slack failed {method} (HTTP {error.code})", code=None, permanent=400 <= error.code < 500
        )

    def _refusal(
        self, method: str, code: object, retry_after: float | None, *, status: int = 200
    ) -> SlackApiError:
        named = code if isinstance(code, str) and _SLACK_ERROR_CODE.fullmatch(code) else None
        shown = named or "an unexpected error"
        if named in _RATE_LIMITED:
            return SlackApiError(
                f"Slack rate-limited {method} ({named})", code=named, retry_after=retry_after
            )
        if named in _TRANSIENT or status >= 500:
            return SlackApiError(f"Slack failed {method} ({shown})", code=named, retry_after=retry_after)
        if named in _TOKEN_CODES:
            self._refresh = True
        fix = _FIXES.get(named or "")
        message = f"Slack refused {method} ({shown})" + (f": {fix}" if fix else "")
        return SlackApiError(message, code=named, permanent=True)


def _json(raw: bytes) -> dict[str, Any] | None:
    try:
        answer = json.loads(raw.decode("utf-8", "replace"))
    except ValueError:
        return None
    return answer if isinstance(answer, dict) else None
