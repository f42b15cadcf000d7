"""The Slack app notifier against the local Web API: threads, updates in place, each class of answer."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from job_monitor.adapters.slack import WebhookConfigError
from job_monitor.adapters.slack_app import SlackApiError, SlackAppNotifier, parse_bot_token_secret
from job_monitor.domain import COMPLETED, FAILED, IN_PROGRESS
from job_monitor.messages import MessageOptions
from job_monitor.operations import send_test
from job_monitor.ports import MAX_RETRY_AFTER_SECONDS, Thread
from job_monitor.routing import SlackRouter, parse_routes
from slack_sdk.models.blocks import Block

from local.slack_api import BOT_TOKEN, SlackApi
from tests.support.channels import BERT, DEFAULT
from tests.support.reports import sample_report

ROUTER = SlackRouter(default_channel=DEFAULT, routes=parse_routes(f"bert-*={BERT}"))


class TokenProvider:
    """Stands in for the Secrets Manager read; records each ``refresh`` flag."""

    def __init__(self, token: str = BOT_TOKEN) -> None:
        self.token = token
        self.calls: list[bool] = []

    def __call__(self, refresh: bool) -> str:
        self.calls.append(refresh)
        return parse_bot_token_secret(self.token)


def notifier(api: SlackApi, tokens: TokenProvider | None = None, timeout: float = 2.0) -> SlackAppNotifier:
    return SlackAppNotifier(
        bot_token=tokens or TokenProvider(),
        router=ROUTER,
        options=MessageOptions(),
        api_url=api.url,
        timeout_seconds=timeout,
    )


def running(name: str = "bert-sweep"):
    return replace(sample_report(COMPLETED, name), status=IN_PROGRESS, completed_at=None, recommendations=())


def assert_block_kit(content: dict) -> None:
    for block in content["blocks"]:
        model = Block.parse(block)
        assert model is not None
        model.validate_json()


# --- the thread's lifecycle ---------------------------------------------------------------------


def test_a_running_job_opens_a_thread_in_its_routed_channel(api: SlackApi) -> None:
    thread = notifier(api).deliver(running("bert-sweep"))

    [parent] = api.messages
    assert thread == Thread(channel_id=BERT, ts=parent.ts)
    assert parent.channel == BERT
    assert parent.header == "⏳ RUNNING: bert-sweep"
    assert_block_kit(parent.content)


def test_the_finish_updates_the_parent_in_place_and_replies_broadcast_in_its_thread(api: SlackApi) -> None:
    slack = notifier(api)
    thread = slack.deliver(running())

    assert slack.deliver(sample_report(COMPLETED), thread=thread) == thread

    [parent, reply] = api.messages
    assert [version["blocks"][0]["text"]["text"] for version in parent.versions] == [
        "⏳ RUNNING: bert-sweep",
        "✅ COMPLETED: bert-sweep",
    ]
    assert (reply.thread_ts, reply.channel, reply.broadcast) == (parent.ts, BERT, True)
    assert "Top 2 of 2" in json.dumps(reply.content)
    assert_block_kit(parent.content)
    assert_block_kit(reply.content)
    assert [call.method for call in api.calls] == ["chat.postMessage", "chat.update", "chat.postMessage"]


def test_without_a_thread_the_summary_is_one_new_message_in_the_routed_channel(api: SlackApi) -> None:
    assert notifier(api).deliver(sample_report(FAILED, "t5-small")) is None

    [message] = api.messages
    assert (message.channel, message.thread_ts) == (DEFAULT, None)
    assert message.header == "❌ FAILED: t5-small"


def test_a_parent_already_posted_is_not_posted_again(api: SlackApi) -> None:
    """A retry after a crash that recorded the thread but not the delivery: nothing to send."""
    slack = notifier(api)
    thread = slack.deliver(running())

    assert slack.deliver(running(), thread=thread) == thread
    assert len(api.messages) == 1


def test_a_deleted_parent_falls_back_to_a_new_message(api: SlackApi) -> None:
    slack = notifier(api)
    thread = slack.deliver(running())
    api.delete(api.messages[0])

    assert slack.deliver(sample_report(COMPLETED), thread=thread) is None

    [message] = api.messages
    assert (message.channel, message.thread_ts) == (BERT, None)
    assert [call.answer for call in api.calls] == ["ok", "message_not_found", "ok"]


def test_a_failed_reply_is_retried_with_the_update_repeated_and_one_reply(api: SlackApi) -> None:
    slack = notifier(api)
    thread = slack.deliver(running())
    api.fail_next(1, error="internal_error", method="chat.postMessage")  # the update passes, the reply fails

    with pytest.raises(SlackApiError) as failed:
        slack.deliver(sample_report(COMPLETED), thread=thread)
    assert not failed.value.permanent
    assert slack.deliver(sample_report(COMPLETED), thread=thread) == thread

    [parent, reply] = api.messages
    assert reply.thread_ts == parent.ts
    assert len(parent.versions) == 3  # posted, then updated twice to the same final state
    assert parent.versions[1] == parent.versions[2]
    assert [(call.method, call.answer) for call in api.calls[1:]] == [
        ("chat.update", "ok"),
        ("chat.postMessage", "internal_error"),
        ("chat.update", "ok"),
        ("chat.postMessage", "ok"),
    ]


def test_a_failed_update_sends_no_reply_until_it_passes(api: SlackApi) -> None:
    slack = notifier(api)
    thread = slack.deliver(running())
    api.fail_next(1, error="service_unavailable", status=503, method="chat.update")

    with pytest.raises(SlackApiError):
        slack.deliver(sample_report(COMPLETED), thread=thread)
    assert len(api.messages) == 1


# --- Slack's answers ----------------------------------------------------------------------------


def test_http_429_honours_retry_after(api: SlackApi) -> None:
    api.fail_next(1, error="ratelimited", status=429, retry_after=30)
    with pytest.raises(SlackApiError) as error:
        notifier(api).deliver(running())
    assert (error.value.retry_after, error.value.permanent, error.value.code) == (30, False, "ratelimited")
    assert api.messages == []


def test_ratelimited_in_a_200_answer_honours_retry_after_too(api: SlackApi) -> None:
    api.fail_next(1, error="ratelimited", status=200, retry_after=7)
    with pytest.raises(SlackApiError) as error:
        notifier(api).deliver(running())
    assert (error.value.retry_after, error.value.permanent) == (7, False)


def test_a_huge_retry_after_is_bounded(api: SlackApi) -> None:
    api.fail_next(1, error="ratelimited", status=429, retry_after=10**12)
    with pytest.raises(SlackApiError) as error:
        notifier(api).deliver(running())
    assert error.value.retry_after == MAX_RETRY_AFTER_SECONDS


def test_ok_false_on_http_200_is_a_failure_not_a_delivery(api: SlackApi) -> None:
    """Slack says most errors with HTTP 200: the body decides."""
    api.fail_next(1, error="internal_error", status=200)
    with pytest.raises(SlackApiError) as error:
        notifier(api).deliver(running())
    assert not error.value.permanent
    assert api.messages == []


def test_a_server_error_is_transient(api: SlackApi) -> None:
    api.fail_next(1, error="service_unavailable", status=503)
    with pytest.raises(SlackApiError) as error:
        notifier(api).deliver(running())
    assert not error.value.permanent


@pytest.mark.parametrize(
    ("setup", "code", "fix"),
    [
        (lambda api: api.channels.discard(BERT), "channel_not_found", "check slack_channel and slack_routes"),
        (
            lambda api: api.outside.add(BERT),
            "not_in_channel",
            "invite it there, or grant it chat:write.public",
        ),
        (lambda api: setattr(api, "token", "xoxb-another-0000"), "invalid_auth", "Bot User OAuth Token"),
    ],
)
def test_permanent_refusals_say_what_to_fix(api: SlackApi, setup, code: str, fix: str) -> None:
    setup(api)
    try:
        with pytest.raises(SlackApiError) as error:
            notifier(api).deliver(running())
    finally:
        api.channels.add(BERT)
    assert error.value.permanent
    assert error.value.code == code
    assert code in str(error.value)
    assert fix in str(error.value)
    assert BOT_TOKEN not in str(error.value)


@pytest.mark.parametrize(
    ("code", "fix"),
    [
        ("token_revoked", "reinstall the app"),
        ("account_inactive", "reinstall the app"),
        ("missing_scope", "add chat:write"),
    ],
)
def test_token_and_scope_refusals_are_permanent_and_named(api: SlackApi, code: str, fix: str) -> None:
    api.fail_next(1, error=code)
    with pytest.raises(SlackApiError) as error:
        notifier(api).deliver(running())
    assert (error.value.permanent, error.value.code) == (True, code)
    assert fix in str(error.value)


def test_a_refused_token_is_read_afresh_on_the_next_attempt(api: SlackApi) -> None:
    tokens = TokenProvider()
    slack = notifier(api, tokens)
    api.fail_next(1, error="token_revoked")
    with pytest.raises(SlackApiError):
        slack.deliver(running())
    slack.deliver(running())
    assert tokens.calls == [False, True]


def test_an_unusable_secret_is_a_permanent_failure_that_quotes_nothing(api: SlackApi) -> None:
    tokens = TokenProvider("xoxb-has a space\nand-a-line")
    with pytest.raises(SlackApiError) as error:
        notifier(api, tokens).deliver(running())
    assert error.value.permanent
    assert "has a space" not in str(error.value)
    assert api.calls == []


def test_an_unknown_error_code_is_permanent_and_an_odd_one_is_not_quoted(api: SlackApi) -> None:
    api.fail_next(1, error="invalid_blocks")
    with pytest.raises(SlackApiError) as error:
        notifier(api).deliver(running())
    assert error.value.permanent
    assert "invalid_blocks" in str(error.value)
    api.fail_next(1, error="<script>secret xoxb-1</script>")
    with pytest.raises(SlackApiError) as odd:
        notifier(api).deliver(running())
    assert "script" not in str(odd.value)
    assert "an unexpected error" in str(odd.value)


def test_a_redirect_is_never_followed(api: SlackApi) -> None:
    api.fail_next(1, error="moved", status=302)
    with pytest.raises(SlackApiError) as error:
        notifier(api).deliver(running())
    assert error.value.permanent
    assert "redirect" in str(error.value)
    assert api.messages == []


def test_a_timeout_is_transient_and_names_no_secret(api: SlackApi) -> None:
    api.hold_next(1)
    try:
        with pytest.raises(SlackApiError) as error:
            notifier(api, timeout=0.3).deliver(running())
    finally:
        api.release_held()
    assert not error.value.permanent
    assert "could not be reached" in str(error.value)
    assert BOT_TOKEN not in str(error.value)


def test_the_token_travels_only_in_the_authorization_header(api: SlackApi) -> None:
    notifier(api).deliver(running())
    assert all(BOT_TOKEN not in json.dumps(call.payload) for call in api.calls)


# --- the secret -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        BOT_TOKEN,
        f"  {BOT_TOKEN}\n",
        json.dumps({"bot_token": BOT_TOKEN}),
        f'{{"bot_token": " {BOT_TOKEN} "}}',
    ],
)
def test_the_secret_may_hold_the_bare_token_or_json(value: str) -> None:
    assert parse_bot_token_secret(value) == BOT_TOKEN


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('{"bot_token": ', "looks like JSON but does not parse"),
        ('{"token": "xoxb-1"}', 'without a string "bot_token" key'),
        ("https://hooks.slack.com/services/T/B/X", "does not hold a bot token"),
        ("xoxb-abc\r\nX-Injected: 1", "does not hold a bot token"),
    ],
)
def test_an_unusable_secret_is_refused_without_quoting_it(value: str, message: str) -> None:
    with pytest.raises(WebhookConfigError, match=message) as error:
        parse_bot_token_secret(value)
    assert "hooks.slack.com" not in str(error.value)
    assert "Injected" not in str(error.value)


def test_send_test_posts_in_the_default_channel_and_each_routed_one_and_says_which_to_fix(
    api: SlackApi,
) -> None:
    router = SlackRouter(
        default_channel=DEFAULT,
        routes=parse_routes(f"bert-*={BERT},222222222222/*/*={BERT},gpt2-*={DEFAULT}"),
    )
    app = SlackAppNotifier(
        bot_token=TokenProvider(), router=router, options=MessageOptions(), api_url=api.url
    )
    api.outside.add(BERT)  # the app was never invited to the bert team's channel

    result = send_test([app], region="us-east-1", now=sample_report().created_at)

    assert result["channels"] == {
        f"slack {DEFAULT}": {"delivered": True, "error": None, "serves": "default channel; routes gpt2-*"},
        f"slack {BERT}": {
            "delivered": False,
            "error": "Slack refused chat.postMessage (not_in_channel): the app is not a member of the channel: "
            "invite it there, or grant it chat:write.public for public channels",
            "serves": "routes bert-*, 222222222222/*/*",
        },
    }
    [message] = api.messages
    assert (message.channel, message.thread_ts) == (DEFAULT, None)
    assert message.header.startswith("🧪 TEST MESSAGE")
