"""A terminal rendering of a Slack Block Kit message: roughly what a person sees in the channel."""

from __future__ import annotations

import html
import re
import textwrap
from typing import Any

WIDTH = 86
_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
_BARE_LINK = re.compile(r"<(https?://[^|>]+)>")


def _mrkdwn(text: str) -> str:
    """Show links as 'text (url)' and undo Slack's &amp; &lt; &gt; escaping, as the client displays them."""
    text = _LINK.sub(lambda match: f"{match.group(2)} ({match.group(1)})", text)
    text = _BARE_LINK.sub(lambda match: match.group(1), text)
    return html.unescape(text)


def _text(obj: dict[str, Any] | None) -> str:
    if not obj:
        return ""
    return _mrkdwn(obj.get("text", "")) if obj.get("type") == "mrkdwn" else html.unescape(obj.get("text", ""))


def _wrap(text: str, indent: str = "") -> list[str]:
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        if not paragraph.strip():
            lines.append(indent)
            continue
        lines.extend(
            textwrap.wrap(
                paragraph,
                WIDTH - 4,
                initial_indent=indent,
                subsequent_indent=indent,
                replace_whitespace=False,
            )
            or [indent]
        )
    return lines


def _block(block: dict[str, Any]) -> list[str]:
    kind = block.get("type")
    if kind == "header":
        title = _text(block.get("text"))
        return [title, "═" * min(WIDTH - 4, len(title) + 2)]
    if kind == "divider":
        return ["─" * (WIDTH - 4)]
    if kind == "section":
        lines = _wrap(_text(block.get("text"))) if block.get("text") else []
        fields = [_text(field) for field in block.get("fields", [])]
        for left, right in zip(fields[::2], [*fields[1::2], ""], strict=False):
            lines.append(f"{left.replace(chr(10), ' '):<36} {right.replace(chr(10), ' ')}")
        if block.get("accessory", {}).get("type") == "button":
            button = block["accessory"]
            lines.append(f"[ {_text(button.get('text'))} ] → {button.get('url', '')}")
        return lines
    if kind == "context":
        return _wrap("  ".join(_text(element) for element in block.get("elements", [])), indent="  ")
    if kind == "actions":
        return [
            f"[ {_text(element.get('text'))} ] → {element.get('url', '')}"
            for element in block.get("elements", [])
            if element.get("type") == "button"
        ]
    if kind == "rich_text":
        return ["(rich text)"]
    return [f"({kind} block)"]


def render(payload: dict[str, Any]) -> str:
    """A boxed preview of a webhook payload; the fallback text when it has no blocks."""
    lines: list[str] = []
    blocks = payload.get("blocks") or []
    if not blocks:
        lines = _wrap(_mrkdwn(payload.get("text", "")))
    for block in blocks:
        lines.extend(_block(block))
    inner = WIDTH - 4
    top = "┌" + "─" * (inner + 2) + "┐"
    bottom = "└" + "─" * (inner + 2) + "┘"
    body = [f"│ {line[:inner]:<{inner}} │" for line in lines]
    return "\n".join([top, *body, bottom])
