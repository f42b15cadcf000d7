"""Where a job's messages go: which channels are owed a status, and which Slack channel a job goes to.

Pure functions over jobs and statuses, so that the tick, every notifier and the tests agree on one
answer. A route selects jobs by where they run and by name: ``ACCOUNT/REGION/NAME``, each part a
glob (``111111111111/*/*``, ``*/eu-west-1/*``); a pattern without ``/`` is a glob on the name
alone, in any account and region (``bert-*``), as routes were before jobwatch watched many.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from job_monitor.domain import IN_PROGRESS, JobReport, is_terminal

# A Slack conversation ID: C (public), G (private) or D (direct), then upper-case letters and digits.
SLACK_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{8,12}")
# Each part of a route's pattern: the characters of an account ID, a region name or a job name,
# plus the globs *, ? and [...] (infra/config.py checks the same at synth).
_ROUTE_PARTS = (
    ("account", re.compile(r"[0-9*?\[\]!-]{1,12}"), "digits", 12),
    ("region", re.compile(r"[a-z0-9*?\[\]!-]{1,32}"), "region-name characters", 32),
    ("name", re.compile(r"[A-Za-z0-9*?\[\]!-]{1,64}"), "job-name characters", 64),
)


class RouteError(ValueError):
    """A route rule is malformed; the message names the rule."""


@dataclass(frozen=True, kw_only=True)
class Route:
    """One rule: ``pattern`` as written (``bert-*`` or ``ACCOUNT/REGION/NAME``) and its channel."""

    pattern: str
    channel_id: str

    def matches(self, *, account: str, region: str, name: str) -> bool:
        *place, name_glob = self.pattern.split("/")
        account_glob, region_glob = place or ("*", "*")
        return (
            fnmatchcase(account, account_glob)
            and fnmatchcase(region, region_glob)
            and fnmatchcase(name, name_glob)
        )


@dataclass(frozen=True, kw_only=True)
class SlackRouter:
    """The ordered routes and the default channel: the first route that matches a job wins.

    ``home_account`` is the function's own account ID, where a job whose origin names no account
    runs (domain.Origin); only the handler knows it, from its invocation.
    """

    default_channel: str
    routes: tuple[Route, ...] = ()
    home_account: str = ""

    def channel_for(self, report: JobReport) -> str:
        account = report.origin.account or self.home_account
        for route in self.routes:
            if route.matches(account=account, region=report.region, name=report.name):
                return route.channel_id
        return self.default_channel

    @property
    def channels(self) -> dict[str, tuple[str, ...]]:
        """Every channel a job can go to, the default first, each with the patterns that lead there."""
        reached: dict[str, tuple[str, ...]] = {self.default_channel: ()}
        for route in self.routes:
            reached[route.channel_id] = (*reached.get(route.channel_id, ()), route.pattern)
        return reached


def parse_routes(text: str | None) -> tuple[Route, ...]:
    """``bert-*=C0BERT0001,*/eu-west-1/*=C0EUROPE01``: ordered, comma-separated ``pattern=channel ID`` rules."""
    routes: list[Route] = []
    for rule in (part.strip() for part in (text or "").split(",")):
        if not rule:
            continue
        pattern, separator, channel_id = (piece.strip() for piece in rule.partition("="))
        if not separator or not pattern or not channel_id:
            raise RouteError(f"{rule!r} is not a rule of the form pattern=channelID")
        problem = route_pattern_problem(pattern)
        if problem:
            raise RouteError(f"{rule!r}: {problem}")
        if not SLACK_CHANNEL_ID.fullmatch(channel_id):
            raise RouteError(f"{rule!r}: {channel_id!r} is not a Slack channel ID (C0123ABCDEF)")
        if any(route.pattern == pattern for route in routes):
            raise RouteError(f"{rule!r}: the pattern {pattern!r} already has an earlier rule, which wins")
        routes.append(Route(pattern=pattern, channel_id=channel_id))
    return tuple(routes)


def route_pattern_problem(pattern: str) -> str | None:
    """What is wrong with a route's pattern, or None: a glob on the name, or ACCOUNT/REGION/NAME."""
    parts = pattern.split("/")
    if len(parts) not in (1, 3):
        return f"{pattern!r} has {len(parts)} parts; a pattern with '/' is ACCOUNT/REGION/NAME, each a glob (* for any)"
    for (part_name, allowed, described, longest), part in zip(
        _ROUTE_PARTS[-len(parts) :], parts, strict=True
    ):
        if not allowed.fullmatch(part):
            where = f"{pattern!r}" if len(parts) == 1 else f"the {part_name} part {part!r} of {pattern!r}"
            return f"{where} may hold only {described} and the globs * ? [...], at most {longest}"
    return None


def owed_channels(
    status: str, channels: Iterable[tuple[str, bool]], *, notify_started: bool
) -> tuple[str, ...]:
    """The channels owed a message for ``status``, given each channel's name and whether it keeps threads.

    A finished job is news everywhere; a job that started is news where ``notify_started`` asks
    for it, and on a threaded channel, whose thread it opens.
    """
    if is_terminal(status):
        return tuple(name for name, _ in channels)
    if status == IN_PROGRESS:
        return tuple(name for name, threaded in channels if notify_started or threaded)
    return ()
