"""Routing: which channels are owed a status, and which Slack channel a job's thread goes to."""

from __future__ import annotations

import pytest
from job_monitor.domain import (
    COMPLETED,
    FAILED,
    HOME,
    IN_PROGRESS,
    PENDING,
    STOPPED,
    STOPPING,
    JobReport,
    Origin,
)
from job_monitor.routing import Route, RouteError, SlackRouter, owed_channels, parse_routes

HUB, MEMBER, OTHER = "111111111111", "222222222222", "333333333333"
ROUTER = SlackRouter(
    default_channel="C0DEFAULT01",
    routes=parse_routes(
        "bert-*=C0BERT0TEAM, llama-?b-*=C0LLAMA0TEAM,*-prod=G0PROD00001,bert-prod=C0NEVER0001"
    ),
    home_account=HUB,
)


def job(name: str, *, origin: Origin = HOME, region: str = "us-east-1") -> JobReport:
    return JobReport(name=name, status=COMPLETED, region=region, origin=origin)


@pytest.mark.parametrize(
    ("name", "channel"),
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
def test_the_first_matching_route_wins_else_the_default(name: str, channel: str) -> None:
    assert ROUTER.channel_for(job(name)) == channel


def test_a_route_on_the_name_alone_matches_in_every_account_and_region() -> None:
    assert ROUTER.channel_for(job("bert-1", origin=Origin(MEMBER, "eu-west-1"), region="eu-west-1")) == (
        "C0BERT0TEAM"
    )


PLACES = SlackRouter(
    default_channel="C0DEFAULT01",
    routes=parse_routes(
        f"{HUB}/*/*=C0TEAMA0001,*/eu-west-1/*=C0EUROPE01,bert-*=C0BERT0TEAM,{MEMBER}/us-*/gpt?-*=C0GPT0TEAM1"
    ),
    home_account=HUB,
)


@pytest.mark.parametrize(
    ("report", "channel"),
    [
        # the function's own account: its origin names no account, the router knows its ID
        (job("t5-small"), "C0TEAMA0001"),
        (job("bert-1", origin=Origin("", "eu-west-1"), region="eu-west-1"), "C0TEAMA0001"),
        (job("t5-small", origin=Origin(MEMBER, "eu-west-1"), region="eu-west-1"), "C0EUROPE01"),
        (job("bert-1", origin=Origin(MEMBER, "eu-west-1"), region="eu-west-1"), "C0EUROPE01"),  # first wins
        (job("bert-1", origin=Origin(MEMBER, "")), "C0BERT0TEAM"),  # the home region, by its name
        (job("gpt2-sizing", origin=Origin(MEMBER, "us-west-2"), region="us-west-2"), "C0GPT0TEAM1"),
        (job("gpt2-sizing", origin=Origin(OTHER, "us-west-2"), region="us-west-2"), "C0DEFAULT01"),
        (job("gpt2-sizing", origin=Origin(MEMBER, "ap-south-1"), region="ap-south-1"), "C0DEFAULT01"),
    ],
)
def test_a_route_with_slashes_selects_by_account_region_and_name(report: JobReport, channel: str) -> None:
    assert PLACES.channel_for(report) == channel


def test_the_channels_a_job_can_reach_start_with_the_default_and_name_their_routes() -> None:
    router = SlackRouter(
        default_channel="C0DEFAULT01",
        routes=parse_routes("a*=C0AAAAAAAA,b*=C0BBBBBBBB,c*=C0AAAAAAAA,d*=C0DEFAULT01"),
    )
    assert router.channels == {"C0DEFAULT01": ("d*",), "C0AAAAAAAA": ("a*", "c*"), "C0BBBBBBBB": ("b*",)}


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
        ("bert prod=C0BERT0TEAM", "'bert prod' may hold only job-name characters"),
        ("a*=C0AAAAAAAA,a*=C0BBBBBBBB", r"the pattern 'a\*' already has an earlier rule"),
        ("eu-west-1/bert-*=C0BERT0TEAM", r"has 2 parts; a pattern with '/' is ACCOUNT/REGION/NAME"),
        ("1/2/3/4=C0BERT0TEAM", "has 4 parts"),
        ("team-a/*/*=C0BERT0TEAM", r"the account part 'team-a' of 'team-a/\*/\*' may hold only digits"),
        ("*/EU-WEST-1/*=C0BERT0TEAM", "the region part 'EU-WEST-1' .* may hold only region-name characters"),
        ("*/*/=C0BERT0TEAM", "the name part '' .* may hold only job-name characters"),
        ("1111111111111/*/*=C0BERT0TEAM", "may hold only digits and the globs \\* \\? \\[...\\], at most 12"),
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
