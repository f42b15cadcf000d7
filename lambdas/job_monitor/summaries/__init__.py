"""One module per kind of job: what its summary says about the job's findings.

messages.py draws the frame every message shares and asks the report's kind's module, through
``messages.SUMMARIES``, for the rest. A module is a KindSummary: a new kind of job adds one module
with these names and one line in SUMMARIES. Every function is pure; text it returns for Slack is
already escaped (and for Chatbot defanged) where it carries job text, since only the module knows
which of its text the job wrote.
"""

from __future__ import annotations

from typing import Any, Protocol

from job_monitor.domain import JobReport
from job_monitor.markup import MessageOptions


class KindSummary(Protocol):
    NOUN: str  # "Inference Recommender job", in "jobwatch: <NOUN> COMPLETED"
    CONSOLE_SECTION: str  # where the console lists such jobs, before "> <job name>"
    EVENT_TYPE: str  # the Chatbot eventType's prefix, before the status word
    STARTED: str  # what a started job's Slack message says
    STARTED_EMAIL: str  # and its email

    def facts(self, report: JobReport) -> list[tuple[str, str]]:
        """What the job is, beside its name: (label, raw value) pairs every form escapes its way."""
        ...

    def email_heading(self, report: JobReport) -> list[str]:
        """The email's first labelled lines, the job's name among them."""
        ...

    def keywords(self, report: JobReport) -> list[str]: ...

    def headline_details(self, report: JobReport, options: MessageOptions) -> list[str]:
        """For a completed job: what to deploy and what it costs, most important first."""
        ...

    def email_completed(self, report: JobReport, options: MessageOptions) -> list[str]: ...

    def slack_completed(self, report: JobReport, options: MessageOptions) -> list[dict[str, Any]]: ...

    def chatbot_completed(self, report: JobReport, options: MessageOptions) -> list[str]: ...

    def notes(self, report: JobReport) -> list[str]:
        """Lines said after the status's own text (Inference Recommender: the failed benchmarks)."""
        ...

    def summary_json(self, report: JobReport, options: MessageOptions, *, completed: bool) -> dict[str, Any]:
        """The kind's own keys of the JSON summary."""
        ...
