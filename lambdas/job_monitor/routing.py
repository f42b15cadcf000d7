"""Where a job's messages go: which channels are owed a status, and which Slack channel a job goes to.

Pure functions over names and statuses, so that the tick, every notifier and the tests agree on
one answer. Routing keys on the job's name today: a route is a glob on it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from job_monitor.domain import IN_PROGRESS, is_terminal

# A Slack conversation ID: C (public), G (private) or D (direct), then upper-case letters and digits.
SLACK_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{8,12}")
# A glob on a job name: the name's own characters plus *, ? and [...] classes.
_ROUTE_PATTERN = re.compile(r"[A-Za-z0-9*?\[\]!-]{1,64}")


class RouteError(ValueError):
    """A route rule is malformed; the message names the rule."""


@dataclass(frozen=True, kw_only=True)
class Route:
    pattern: str
    channel_id: str


@dataclass(frozen=True, kw_only=True)
class SlackRouter:
    """The ordered routes and the default channel: the first route whose glob matches wins."""

    default_channel: str
    routes: tuple[Route, ...] = ()

    def channel_for(self, job_name: str) -> str:
        for route in self.routes:
            if fnmatchcase(job_name, route.pattern):
                return route.channel_id
        return self.default_channel


def parse_routes(text: str | None) -> tuple[Route, ...]:
    """``bert-*=C0BERT0001,llama-*=C0LLAMA001``: ordered, comma-separated ``glob=channel ID`` rules."""
    routes: list[Route] = []
    for rule in (part.strip() for part in (text or "").split(",")):
        if not rule:
            continue
        pattern, separator, channel_id = (piece.strip() for piece in rule.partition("="))
        if not separator or not pattern or not channel_id:
            raise RouteError(f"{rule!r} is not a rule of the form pattern=channelID")
        if not _ROUTE_PATTERN.fullmatch(pattern):
            raise RouteError(
                f"{rule!r}: the pattern may hold only job-name characters and the globs * ? [...], at most 64"
            )
        if not SLACK_CHANNEL_ID.fullmatch(channel_id):
            raise RouteError(f"{rule!r}: {channel_id!r} is not a Slack channel ID (C0123ABCDEF)")
        if any(route.pattern == pattern for route in routes):
            raise RouteError(f"{rule!r}: the pattern {pattern!r} already has an earlier rule, which wins")
        routes.append(Route(pattern=pattern, channel_id=channel_id))
    return tuple(routes)


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
