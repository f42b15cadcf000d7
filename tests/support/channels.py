"""The Slack channels the app mode's tests route to: the default one, and the team of ``bert-*`` jobs."""

from __future__ import annotations

DEFAULT = "C0DEFAULT01"
BERT = "C0BERT0TEAM"
