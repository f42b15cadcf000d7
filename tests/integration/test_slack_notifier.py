"""The Slack notifier against a real local webhook receiver."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator

import pytest
from job_monitor.adapters.slack import (
    SlackNotifier,
    WebhookConfigError,
    parse_webhook_secret,
    validate_webhook_url,
)
from job_monitor.domain import COMPLETED, FAILED
from job_monitor.messages import MessageOptions
from job_monitor.ports import MAX_RETRY_AFTER_SECONDS, DeliveryFailed

from local.slack_receiver import WEBHOOK_PATH, SlackReceiver
from tests.support.reports import sample_report

TOKEN = WEBHOOK_PATH.rsplit("/", 1)[-1]


@pytest.fixture(scope="module")
def shared_receiver() -> Iterator[SlackReceiver]:
    with SlackReceiver() as receiver:
        yield receiver


@pytest.fixture
def receiver(shared_receiver: SlackReceiver) -> SlackReceiver:
    """One server for the module (each shutdown costs a 0.5 s poll), reset for every test."""
    shared_receiver.recover()
    shared_receiver.requests.clear()
    shared_receiver.attempts.clear()
    shared_receiver.slow_posts.clear()
    shared_receiver.followed.clear()
    return shared_receiver


class UrlProvider:
    """Stands in for the Secrets Manager read; records each ``refresh`` flag it is called with."""

    def __init__(self, url: str | Callable[[], str]) -> None:
        self.url = url
        self.calls: list[bool] = []

    def __call__(self, refresh: bool) -> str:
        self.calls.append(refresh)
        return self.url() if callable(self.url) else self.url


def notifier_for(url: str | UrlProvider, timeout_seconds: float = 2.0) -> SlackNotifier:
    provider = url if isinstance(url, UrlProvider) else (lambda refresh: url)
    return SlackNotifier(webhook_url=provider, options=MessageOptions(), timeout_seconds=timeout_seconds)


def assert_no_secret(message: str, url: str) -> None:
    assert url not in message
    assert WEBHOOK_PATH not in message
    assert TOKEN not in message
    assert "/services/" not in message


def wait_for_attempts(receiver: SlackReceiver, count: int, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while len(receiver.attempts) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(receiver.attempts) >= count


# --- delivery -----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [COMPLETED, FAILED])
def test_delivers_text_and_blocks_as_json(receiver: SlackReceiver, status: str) -> None:
    notifier_for(receiver.url).deliver(sample_report(status))

    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request.path == WEBHOOK_PATH
    headers = {key.lower(): value for key, value in request.headers.items()}
    assert headers["content-type"].split(";")[0].strip() == "application/json"
    payload = request.json
    assert isinstance(payload["text"], str)
    assert "bert-sweep" in payload["text"]
    assert isinstance(payload["blocks"], list)
    assert payload["blocks"]
    assert all("type" in block for block in payload["blocks"])
    assert json.loads(request.body.decode("utf-8")) == payload


def test_notifier_channel_name() -> None:
    assert SlackNotifier.channel == "slack"


def test_one_post_per_delivery(receiver: SlackReceiver) -> None:
    notifier = notifier_for(receiver.url)
    notifier.deliver(sample_report(name="first"))
    notifier.deliver(sample_report(name="second"))
    assert len(receiver.requests) == 2
    assert len(receiver.attempts) == 2
    assert "first" in receiver.requests[0].json["text"]
    assert "second" in receiver.requests[1].json["text"]


# --- failures -----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_retryable(receiver: SlackReceiver, status: int) -> None:
    receiver.fail_next(1, status=status)
    with pytest.raises(DeliveryFailed) as error:
        notifier_for(receiver.url).deliver(sample_report())
    assert error.value.permanent is False
    assert error.value.retry_after is None
    assert str(status) in str(error.value)
    assert receiver.requests == []
    assert [status_code for _, status_code in receiver.attempts] == [status]


def test_retry_after_a_server_error_succeeds(receiver: SlackReceiver) -> None:
    receiver.fail_next(1, status=503)
    notifier = notifier_for(receiver.url)
    with pytest.raises(DeliveryFailed):
        notifier.deliver(sample_report())
    notifier.deliver(sample_report())
    assert len(receiver.requests) == 1
    assert len(receiver.attempts) == 2


def test_rate_limit_carries_retry_after(receiver: SlackReceiver) -> None:
    receiver.fail_next(1, status=429, retry_after=7)
    with pytest.raises(DeliveryFailed) as error:
        notifier_for(receiver.url).deliver(sample_report())
    assert error.value.retry_after == 7.0
    assert error.value.permanent is False
    assert "rate-limited" in str(error.value)


def test_rate_limit_without_retry_after(receiver: SlackReceiver) -> None:
    receiver.fail_next(1, status=429)
    with pytest.raises(DeliveryFailed) as error:
        notifier_for(receiver.url).deliver(sample_report())
    assert error.value.retry_after is None
    assert error.value.permanent is False


@pytest.mark.parametrize("status", [403, 404, 410])
def test_gone_webhook_is_permanent_and_refreshes_the_secret(receiver: SlackReceiver, status: int) -> None:
    provider = UrlProvider(receiver.url)
    notifier = notifier_for(provider)
    receiver.fail_next(1, status=status)

    with pytest.raises(DeliveryFailed) as error:
        notifier.deliver(sample_report())
    assert error.value.permanent is True
    assert f"HTTP {status}" in str(error.value)
    assert "update the Slack secret" in str(error.value)

    notifier.deliver(sample_report())
    notifier.deliver(sample_report())
    assert provider.calls == [False, True, False]
    assert len(receiver.requests) == 2


def test_refresh_picks_up_a_fixed_secret(receiver: SlackReceiver) -> None:
    """A revoked webhook (wrong path → 404) is replaced in the secret; the refresh reads the new one."""
    secret = {"value": receiver.url.replace("xoxLocalWebhookToken", "revokedToken")}
    provider = UrlProvider(lambda: secret["value"])
    notifier = notifier_for(provider)
    with pytest.raises(DeliveryFailed) as error:
        notifier.deliver(sample_report())
    assert error.value.permanent is True
    assert "revokedToken" not in str(error.value)

    secret["value"] = receiver.url
    notifier.deliver(sample_report())
    assert provider.calls == [False, True]
    assert len(receiver.requests) == 1


def test_bad_request_is_permanent_without_refresh(receiver: SlackReceiver) -> None:
    provider = UrlProvider(receiver.url)
    notifier = notifier_for(provider)
    receiver.fail_next(1, status=400)
    with pytest.raises(DeliveryFailed) as error:
        notifier.deliver(sample_report())
    assert error.value.permanent is True
    assert "rejected" in str(error.value)
    notifier.deliver(sample_report())
    assert provider.calls == [False, False]


def test_hang_beyond_timeout_is_unreachable(receiver: SlackReceiver) -> None:
    receiver.hold_next(1)  # no answer at all until released: only the client's timeout can end this
    with pytest.raises(DeliveryFailed) as error:
        notifier_for(receiver.url, timeout_seconds=0.5).deliver(sample_report())
    assert "could not be reached" in str(error.value)
    assert error.value.permanent is False
    assert_no_secret(str(error.value), receiver.url)
    # The slow answer still posts the message, as Slack does; settle it before the next test.
    receiver.release_held()
    wait_for_attempts(receiver, 1)
    assert len(receiver.slow_posts) == 1


def test_connection_refused_is_unreachable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
    with pytest.raises(DeliveryFailed) as error:
        notifier_for(url, timeout_seconds=0.5).deliver(sample_report())
    assert "could not be reached" in str(error.value)
    assert error.value.permanent is False
    assert_no_secret(str(error.value), url)


@pytest.mark.parametrize(
    "fault",
    [
        ("status", 400),
        ("status", 403),
        ("status", 404),
        ("status", 410),
        ("status", 429),
        ("status", 500),
        ("status", 503),
        ("hang", 0),
    ],
)
def test_errors_never_contain_the_webhook_url(receiver: SlackReceiver, fault: tuple[str, int]) -> None:
    kind, value = fault
    if kind == "status":
        receiver.fail_next(1, status=value, retry_after=3)
    else:
        receiver.hold_next(1)
    with pytest.raises(DeliveryFailed) as error:
        notifier_for(receiver.url, timeout_seconds=0.5).deliver(sample_report())
    receiver.release_held()
    assert_no_secret(str(error.value), receiver.url)
    assert_no_secret(repr(error.value), receiver.url)
    assert error.value.__cause__ is None
    assert error.value.__suppress_context__ is True
    wait_for_attempts(receiver, 1)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_a_failed_attempt_and_is_never_followed(receiver: SlackReceiver, status: int) -> None:
    provider = UrlProvider(receiver.url)
    receiver.redirect_next(1, status=status)

    notifier = notifier_for(provider)
    with pytest.raises(DeliveryFailed) as error:
        notifier.deliver(sample_report())

    assert receiver.followed == []
    assert receiver.requests == []
    assert error.value.permanent is True
    assert f"redirect (HTTP {status})" in str(error.value)
    assert receiver.redirect_url not in str(error.value)
    assert_no_secret(str(error.value), receiver.url)
    notifier.deliver(sample_report())  # the secret is read afresh: an operator may have fixed it
    assert provider.calls == [False, True]


def test_a_huge_retry_after_is_clamped(receiver: SlackReceiver) -> None:
    receiver.fail_next(1, status=429, retry_after=10**12)
    with pytest.raises(DeliveryFailed) as error:
        notifier_for(receiver.url).deliver(sample_report())
    assert error.value.retry_after == MAX_RETRY_AFTER_SECONDS


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (1e12, MAX_RETRY_AFTER_SECONDS),
        (float("inf"), MAX_RETRY_AFTER_SECONDS),
        (float("nan"), None),
        (-5, 0.0),
    ],
)
def test_delivery_failed_bounds_any_retry_hint(given: float, expected: float | None) -> None:
    assert DeliveryFailed("x", retry_after=given).retry_after == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/services/T0/B0/secret Token",
        "http://127.0.0.1:9/services/T0/B0/secretToken\nX-Injected: 1",
        "http://127.0.0.1:notaport/services/T0/B0/secretToken",
        "http://127.0.0.1:9/services/T0/B0/secretTokén",
    ],
)
def test_an_unusable_url_that_slipped_through_fails_without_its_text(url: str) -> None:
    with pytest.raises(DeliveryFailed) as error:
        notifier_for(url, timeout_seconds=0.5).deliver(sample_report())
    assert "secret" not in str(error.value)
    assert error.value.__cause__ is None
    assert error.value.__suppress_context__ is True


def test_config_error_from_provider_is_permanent_and_refreshes() -> None:
    calls: list[bool] = []

    def provider(refresh: bool) -> str:
        calls.append(refresh)
        return parse_webhook_secret('{"url": "https://hooks.slack.com/services/T0/B0/secretToken"}')

    notifier = SlackNotifier(webhook_url=provider, options=MessageOptions(), timeout_seconds=0.5)
    with pytest.raises(DeliveryFailed) as error:
        notifier.deliver(sample_report())
    assert error.value.permanent is True
    assert "webhook_url" in str(error.value)
    assert "secretToken" not in str(error.value)
    with pytest.raises(DeliveryFailed):
        notifier.deliver(sample_report())
    assert calls == [False, True]


# --- the secret's value -------------------------------------------------------------------------

SLACK_URL = "https://hooks.slack.com/services/T0AAAA/B0BBBB/secretToken123"


@pytest.mark.parametrize(
    ("secret", "expected"),
    [
        (SLACK_URL, SLACK_URL),
        (f"  {SLACK_URL}\n", SLACK_URL),
        (json.dumps({"webhook_url": SLACK_URL}), SLACK_URL),
        (json.dumps({"webhook_url": f" {SLACK_URL} ", "channel": "#ml"}), SLACK_URL),
        ("http://127.0.0.1:9/x", "http://127.0.0.1:9/x"),
        ("http://localhost/x", "http://localhost/x"),
        ("http://[::1]:8080/x", "http://[::1]:8080/x"),
    ],
)
def test_parse_webhook_secret_accepts(secret: str, expected: str) -> None:
    assert parse_webhook_secret(secret) == expected


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        (json.dumps({"url": SLACK_URL}), 'without a string "webhook_url" key'),
        (json.dumps({"webhook_url": 42}), 'without a string "webhook_url" key'),
        ("{not json", "does not parse"),
        ("http://hooks.slack.com/services/T0AAAA/B0BBBB/secretToken123", "must use https://"),
        ("ftp://hooks.slack.com/services/T0AAAA/B0BBBB/secretToken123", "must use https://"),
        ("http://10.0.0.5/services/T0AAAA/B0BBBB/secretToken123", "must use https://"),
        ("http://localhost.example.com/secretToken123", "must use https://"),
        ("hooks.slack.com/services/T0AAAA/B0BBBB/secretToken123", "has no host"),
        ("", "has no host"),
        # A wrapped paste, a stray space or control character: each would reach the HTTP layer,
        # whose error text quotes the URL.
        ("https://hooks.slack.com/services/T0AAAA/B0BBBB/\nsecretToken123", "on one line"),
        ("https://hooks.slack.com/services/T0AAAA/B0BBBB/ secretToken123", "on one line"),
        ("https://hooks.slack.com/services/T0AAAA/B0BBBB/secretToken123\tx", "on one line"),
        ("https://hooks.slack.com/services/T0AAAA/B0BBBB/secret\x00Token123", "on one line"),
        ("https://hooks.slack.com/services/T0AAAA/B0BBBB/secretToken123\u00e9", "on one line"),
        ("https://user:secretToken123@hooks.slack.com/services/T0AAAA/B0BBBB/x", "user name or password"),
        ("https://secretToken123@hooks.slack.com/services/T0AAAA/B0BBBB/x", "user name or password"),
        ("https://hooks.slack.com:secretToken123/services/x", "does not parse"),
        ("https://[secretToken123/services/x", "does not parse"),
        ("https://hooks_slack.com/services/T0AAAA/B0BBBB/secretToken123", "not a valid host name"),
        ("https://-secretToken123.com/services/x", "not a valid host name"),
        ("https://hooks..slack.com/services/secretToken123", "not a valid host name"),
    ],
)
def test_parse_webhook_secret_rejects_clearly(secret: str, message: str) -> None:
    with pytest.raises(WebhookConfigError) as error:
        parse_webhook_secret(secret)
    assert message in str(error.value)
    assert "secretToken123" not in str(error.value)


def test_scheme_error_names_a_well_known_scheme_only() -> None:
    with pytest.raises(WebhookConfigError) as error:
        validate_webhook_url("ftp://example.com/x")
    assert "got ftp://" in str(error.value)
    assert isinstance(error.value, ValueError)
    with pytest.raises(WebhookConfigError) as error:
        validate_webhook_url("secrettoken123://example.com/x")
    assert "secrettoken123" not in str(error.value)
