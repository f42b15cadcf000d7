"""The shared vocabulary of every message form: escaping, trimming and formatting untrusted text.

Pure functions, used by the message frame (messages.py) and by each kind's summary
(summaries/). Job text is untrusted: whoever creates a job writes its description, environment
and, through the model, its failure reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

SLACK_TEXT_LIMIT = 3000
TRUNCATED = "… (truncated)"
LINE_BREAK_MARK = " ⏎ "
# Environment parameters shown per recommendation (keys and values together). The API bounds
# every other text a summary shows, but not these; with this bound every SNS message fits
# SNS_MESSAGE_LIMIT by design (test_every_sns_message_fits_the_limit_by_design checks the
# largest report the API allows, in the characters that cost the most bytes).
ENVIRONMENT_LIMIT = 500

ENVIRONMENT_KEY_LIMIT = 100
_MENTION = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)

_CHATBOT_LINK_START = re.compile(r"<(?=[!@#]|https?:|mailto:)", re.IGNORECASE)


@dataclass(frozen=True, kw_only=True)
class MessageOptions:
    objective: str = "cost"
    top_n: int = 3
    chatbot_format: bool = False


def na(value: float | int | None, fmt: str, suffix: str = "") -> str:
    return "n/a" if value is None else f"{value:{fmt}}{suffix}"


def when(moment: datetime | None) -> str:
    return "n/a" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def trim(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - len(TRUNCATED)].rstrip() + TRUNCATED


def fit(text: str, limit: int, render: Callable[[str], str]) -> str:
    """``render(text)``, cutting the raw text so that the rendered form, escapes and all, fits ``limit``.

    Escaping can multiply a text's length (``&`` becomes ``&amp;``), so trimming before escaping
    lets the result outgrow its room, and a later cut would take the closing code fence with it.
    """
    rendered = render(text)
    if len(rendered) <= limit:
        return rendered
    low, high = 0, len(text)
    while low < high:  # the longest prefix whose rendered form still fits
        middle = (low + high + 1) // 2
        if len(render(text[:middle].rstrip())) + len(TRUNCATED) <= limit:
            low = middle
        else:
            high = middle - 1
    return render(text[:low].rstrip()) + TRUNCATED


def one_line(text: str) -> str:
    """Untrusted text that must stay on its line: a line break shows as ⏎ and cannot forge a line."""
    return LINE_BREAK_MARK.join(text.splitlines()) if text else text


def escape_slack(text: str) -> str:
    """Make untrusted text inert in Slack mrkdwn: no <!channel>, no forged <url|links>, no @here."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MENTION.sub(lambda match: "@\u2060" + match.group(1), escaped)


def _code(text: str) -> str:
    """Untrusted text for inside a Slack code block: escaped, and unable to close the block early."""
    return escape_slack(text).replace("```", "`\u200b`\u200b`")


def code_block(text: str, limit: int) -> str:
    """A Slack code block of untrusted text, at most ``limit`` characters with both fences."""
    return "```" + fit(text, limit - 6, _code) + "```"


def defang(text: str) -> str:
    """Untrusted text for Chatbot markdown, which Slack and Teams render: no mentions, no links.

    ``<https://...|text>`` (any case) and ``[text](url)`` both stop being links.
    """
    text = _CHATBOT_LINK_START.sub("<\u2060", text).replace("](", "]\u2060(")
    return _MENTION.sub(lambda match: "@\u2060" + match.group(1), text)


def mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": trim(text, SLACK_TEXT_LIMIT)}


def bounded_environment(environment: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    """The environment as shown: one line per value, about ENVIRONMENT_LIMIT characters in all.

    The API bounds neither the keys nor the values; a value cut short, or the last one shown
    before others were left out, ends with the truncation mark.
    """
    shown: list[tuple[str, str]] = []
    room = ENVIRONMENT_LIMIT
    for raw_key, raw_value in environment:
        key, value = trim(one_line(raw_key), ENVIRONMENT_KEY_LIMIT), one_line(raw_value)
        if len(key) + len(value) > room:
            shown.append((key, value[: max(0, room - len(key) - len(TRUNCATED))].rstrip() + TRUNCATED))
            break
        shown.append((key, value))
        room -= len(key) + len(value)
    return shown


def environment_text(environment: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"{key}={value}" for key, value in bounded_environment(environment)) or "none"
