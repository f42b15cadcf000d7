"""Routing: which channels are owed a status, and which Slack channel a job's thread goes to."""

from __future__ import annotations

import pytest
from job_monitor.domain import COMPLETED, FAILED, IN_PROGRESS, PENDING, STOPPED, STOPPING
from job_monitor.routing import Route, RouteError, SlackRouter, owed_channels, parse_routes

ROUTER = SlackRouter(
    default_channel="C0DEFAULT01",
    routes=parse_routes(
        "bert-*=C0BERT0TEAM, llama-?b-*=C0LLAMA0TEAM,*-prod=G0PROD00001,bert-prod=C0NEVER0001"
    ),
)


@pytest.mark.parametrize(
    ("job", "channel"),
    [
        ("bert-sweep-7", "C0BERT0TEAM"),
        ("bert-prod", "C0BERT0TEAM"),  # the first matching rule wins, not the most specific
        ("llama-7b-sizing", "C0LLAMA0TEAM"),
        ("llama-70b-sizing", "C0DEFAULT01"),  # ? is one character
        ("t5-prod", "G0PROD00001"),
        ("Bert-sweep", "C0DEFAULT01"),  # case matters, as in job names' own comparisons
        ("t5-small", "C0DEFAULT01"),
    ],
)
def test_the_first_matching_route_wins_else_the_default(job: str, channel: str) -> None:
    assert ROUTER.channel_for(job) == channel


def test_routes_keep_their_order() -> None:
    assert parse_routes("a*=C0AAAAAAAA,b*=C0BBBBBBBB") == (
        Route(pattern="a*", channel_id="C0AAAAAAAA"),
        Route(pattern="b*", channel_id="C0BBBBBBBB"),
    )
    assert parse_routes(None) == parse_routes(" , ") == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("bert-*", r"'bert-\*' is not a rule of the form pattern=channelID"),
        ("=C0BERT0TEAM", "not a rule of the form"),
        ("bert-*=#ml-bert", r"'#ml-bert' is not a Slack channel ID"),
        ("bert-*=C0BERT", r"'C0BERT' is not a Slack channel ID"),
        ("bert prod=C0BERT0TEAM", "may hold only job-name characters"),
        ("a*=C0AAAAAAAA,a*=C0BBBBBBBB", r"the pattern 'a\*' already has an earlier rule"),
    ],
)
def test_malformed_routes_are_refused_naming_the_rule(text: str, message: str) -> None:
    with pytest.raises(RouteError, match=message):
        parse_routes(text)


CHANNELS = (("email", False), ("slack", True))


def test_a_finished_job_is_owed_on_every_channel() -> None:
    for status in (COMPLETED, FAILED, STOPPED):
        assert owed_channels(status, CHANNELS, notify_started=False) == ("email", "slack")


def test_a_started_job_is_owed_where_it_opens_a_thread_and_where_starts_are_asked_for() -> None:
    assert owed_channels(IN_PROGRESS, CHANNELS, notify_started=False) == ("slack",)
    assert owed_channels(IN_PROGRESS, CHANNELS, notify_started=True) == ("email", "slack")
    assert owed_channels(IN_PROGRESS, (("email", False), ("slack", False)), notify_started=False) == ()


def test_waiting_and_stopping_are_owed_nowhere() -> None:
    for status in (PENDING, STOPPING):
        assert owed_channels(status, CHANNELS, notify_started=True) == ()
