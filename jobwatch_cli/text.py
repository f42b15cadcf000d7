"""Plain-text output: aligned tables and times an operator reads at a glance."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

WRAP_LIMIT = 80


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Columns padded to their widest cell; the last column is left ragged."""
    cells = [[str(cell) for cell in row] for row in [headers, *rows]]
    widths = [max(len(row[index]) for row in cells) for index in range(len(headers))]
    lines = []
    for row in cells:
        padded = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=False)]
        lines.append("  ".join([*padded, row[-1]]).rstrip())
    return "\n".join(lines)


def when(moment: datetime | None, now: datetime) -> str:
    """``2026-11-02 09:25 UTC (3 min ago)``, or ``never``."""
    if moment is None:
        return "never"
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 3600:
        ago = f"{seconds // 60} min ago"
    elif seconds < 2 * 86400:
        ago = f"{seconds // 3600} h ago"
    else:
        ago = f"{seconds // 86400} days ago"
    return f"{moment:%Y-%m-%d %H:%M} UTC ({ago})"


def short(text: str | None, limit: int = WRAP_LIMIT) -> str:
    if not text:
        return ""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
