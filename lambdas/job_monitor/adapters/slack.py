"""The Slack channel: an incoming webhook whose URL lives in Secrets Manager.

The URL is a credential (anyone holding it can post to the channel), so it is never logged,
never put in an error message, and only ever read from the secret at run time. Error text from
the HTTP layer can quote the URL, so no exception text from a request ever leaves this module:
only its type, the status code and Slack's own short error code do.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from urllib.parse import urlsplit

from job_monitor.domain import JobReport
from job_monitor.messages import MessageOptions, render_slack
from job_monitor.ports import DeliveryFailed, Thread

# Slack answers these when the webhook itself is revoked, its channel archived or deleted.
_GONE = {403: "action_prohibited", 404: "no_service or channel_not_found", 410: "channel_is_archived"}
# Slack's error bodies are short codes such as ``invalid_payload``; any other body is not quoted.
_SLACK_ERROR_CODE = re.compile(r"[a-z0-9_]{1,64}")
_HOST_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
# Schemes safe to name in an error; anything else may be part of a mangled secret.
_KNOWN_SCHEMES = frozenset({"http", "ftp", "ftps", "ws", "wss", "file", "mailto"})


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is answered as an error: the message is never re-sent (as a GET) elsewhere."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


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
    """The webhook URL, checked by :func:`validate_url`."""
    return validate_url(url, what="the Slack webhook URL")


def validate_url(url: str, *, what: str) -> str:
    """A URL the HTTP layer will send as it is: one line of printable ASCII, no user name or
    password, a valid host, and https (http only on a loopback host, for local runs and tests).

    Refusing here, once per secret read, keeps the HTTP layer from ever raising an error that
    quotes the URL. No message names any part of the URL; ``what`` names the URL itself.
    """
    if not url.isascii() or any(character.isspace() or not character.isprintable() for character in url):
        raise WebhookConfigError(
            f"{what} contains a space, a line break or a character a URL cannot hold "
            "(a wrapped paste?): store it on one line, exactly as Slack shows it"
        )
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        raise WebhookConfigError(f"{what} does not parse (check its host and port)") from None
    if "@" in parts.netloc:
        raise WebhookConfigError(f"{what} must not contain a user name or password")
    if not host:
        raise WebhookConfigError(f"{what} has no host")
    if not _is_valid_host(host):
        raise WebhookConfigError(f"{what}'s host is not a valid host name")
    if parts.scheme == "https":
        return url
    if parts.scheme == "http" and _is_loopback(host):
        return url
    named = f"{parts.scheme}://" if parts.scheme in _KNOWN_SCHEMES else "another scheme"
    raise WebhookConfigError(f"{what} must use https:// (http:// is allowed only on loopback), got {named}")


def _is_valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.removesuffix(".").split(".")
    return len(host) <= 253 and all(_HOST_LABEL.fullmatch(label) for label in labels)


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
    keeps_threads = False  # a webhook cannot thread: no message id comes back

    def __init__(
        self, *, webhook_url: Callable[[bool], str], options: MessageOptions, timeout_seconds: float = 5.0
    ) -> None:
        self._webhook_url = webhook_url
        self._options = options
        self._timeout = timeout_seconds
        self._refresh = False

    def deliver(self, report: JobReport, *, thread: Thread | None = None) -> None:
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
            with _OPENER.open(request, timeout=self._timeout) as response:
                response.read()
        except urllib.error.HTTPError as error:
            raise self._failure(error) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            reason = getattr(error, "reason", error)
            raise DeliveryFailed(f"Slack could not be reached: {type(reason).__name__}") from None
        except Exception as error:  # e.g. InvalidURL, whose text quotes the URL: only its type leaves
            raise DeliveryFailed(f"the Slack request could not be made: {type(error).__name__}") from None
        self._refresh = False

    def _failure(self, error: urllib.error.HTTPError) -> DeliveryFailed:
        if 300 <= error.code < 400:
            self._refresh = True
            return DeliveryFailed(
                f"the Slack webhook answered with a redirect (HTTP {error.code}), which jobwatch never "
                "follows; check the webhook URL in the Slack secret",
                permanent=True,
            )
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
    """Slack's error code; any other body (a proxy's page may quote the URL) is not repeated."""
    try:
        body = error.read(200).decode("utf-8", "replace").strip()
    except OSError:
        return "no body"
    if not body:
        return "no body"
    return body if _SLACK_ERROR_CODE.fullmatch(body) else "an unexpected body"


def _retry_after(answer: urllib.error.HTTPError | http.client.HTTPResponse) -> float | None:
    """Seconds to wait; DeliveryFailed bounds the value, however large the header says."""
    value = answer.headers.get("Retry-After") if answer.headers else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
