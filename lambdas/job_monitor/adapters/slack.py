"""The Slack channel: an incoming webhook whose URL lives in Secrets Manager.

The URL is a credential (anyone holding it can post to the channel), so it is never logged,
never put in an error message, and only ever read from the secret at run time.
"""

from __future__ import annotations

import ipaddress
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from urllib.parse import urlsplit

from job_monitor.domain import JobReport
from job_monitor.messages import MessageOptions, render_slack
from job_monitor.ports import DeliveryFailed

# Slack answers these when the webhook itself is revoked, its channel archived or deleted.
_GONE = {403: "action_prohibited", 404: "no_service or channel_not_found", 410: "channel_is_archived"}


class WebhookConfigError(ValueError):
    """The secret does not hold a usable webhook URL."""


def parse_webhook_secret(secret_value: str) -> str:
    """Accept the bare URL or JSON ``{"webhook_url": "..."}``; refuse anything else clearly."""
    text = secret_value.strip()
    if text.startswith("{"):
        try:
            document = json.loads(text)
        except json.JSONDecodeError:
            raise WebhookConfigError("the Slack secret looks like JSON but does not parse") from None
        url = document.get("webhook_url") if isinstance(document, dict) else None
        if not isinstance(url, str):
            raise WebhookConfigError('the Slack secret is JSON without a string "webhook_url" key')
        text = url.strip()
    return validate_webhook_url(text)


def validate_webhook_url(url: str) -> str:
    """Only https, except http on a loopback host (local runs and tests)."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise WebhookConfigError("the Slack webhook URL has no host")
    if parts.scheme == "https":
        return url
    if parts.scheme == "http" and _is_loopback(parts.hostname):
        return url
    raise WebhookConfigError(
        f"the Slack webhook URL must use https:// (http:// is allowed only on loopback), got {parts.scheme}://"
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SlackNotifier:
    """Implements ports.Notifier for the ``slack`` channel.

    ``webhook_url`` returns the validated URL; called with ``refresh=True`` after Slack says the
    webhook is gone, so an operator's fix to the secret takes effect on the next attempt.
    """

    channel = "slack"

    def __init__(
        self, *, webhook_url: Callable[[bool], str], options: MessageOptions, timeout_seconds: float = 5.0
    ) -> None:
        self._webhook_url = webhook_url
        self._options = options
        self._timeout = timeout_seconds
        self._refresh = False

    def deliver(self, report: JobReport) -> None:
        try:
            url = self._webhook_url(self._refresh)
        except WebhookConfigError as error:
            self._refresh = True
            raise DeliveryFailed(str(error), permanent=True) from error
        body = json.dumps(render_slack(report, self._options)).encode("utf-8")
        request = urllib.request.Request(
            url, data=body, headers={"Content-Type": "application/json; charset=utf-8"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                response.read()
        except urllib.error.HTTPError as error:
            raise self._failure(error) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            reason = getattr(error, "reason", error)
            raise DeliveryFailed(f"Slack could not be reached: {type(reason).__name__}") from None
        self._refresh = False

    def _failure(self, error: urllib.error.HTTPError) -> DeliveryFailed:
        detail = _short_body(error)
        if error.code == 429:
            return DeliveryFailed(
                f"Slack rate-limited the webhook ({detail})", retry_after=_retry_after(error)
            )
        if error.code in _GONE:
            self._refresh = True
            return DeliveryFailed(
                f"Slack says the webhook is gone (HTTP {error.code} {detail}); "
                "update the Slack secret with a working webhook URL",
                permanent=True,
            )
        if 400 <= error.code < 500:
            return DeliveryFailed(f"Slack rejected the message (HTTP {error.code} {detail})", permanent=True)
        return DeliveryFailed(f"Slack failed (HTTP {error.code} {detail})")


def _short_body(error: urllib.error.HTTPError) -> str:
    try:
        return error.read(200).decode("utf-8", "replace").strip() or "no body"
    except OSError:
        return "no body"


def _retry_after(error: urllib.error.HTTPError) -> float | None:
    value = error.headers.get("Retry-After") if error.headers else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
