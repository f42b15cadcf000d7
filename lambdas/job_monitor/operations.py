"""Actions an operator asks of the deployed function, besides the scheduled tick.

``{"action": "send-test"}`` sends one clearly labelled test message on every configured channel
(in Slack's app mode, in the default channel and every channel a route names), through the same
notifiers, client configuration and permissions a real message uses, so a success proves the path
a job's summary takes. It records nothing: no transition, no outbox entry, no metric that an alarm
watches.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from job_monitor.domain import JobReport
from job_monitor.messages import SEND_TEST
from job_monitor.ports import DeliveryFailed, Notifier, RoutedNotifier

SEND_TEST_ACTION = "send-test"
SEND_TEST_JOB_NAME = "jobwatch-test-message"
ERROR_LIMIT = 500


def requested_action(event: Any) -> str | None:
    """The operator action an event asks for, or None for a scheduled tick (whose content is ignored)."""
    if isinstance(event, Mapping) and isinstance(event.get("action"), str):
        return event["action"]
    return None


def send_test_report(*, region: str, now: datetime) -> JobReport:
    """The report every channel renders for a test message; its status makes each form say TEST."""
    return JobReport(
        name=SEND_TEST_JOB_NAME,
        status=SEND_TEST,
        region=region,
        job_type="test message",
        model="none",
        created_at=now,
        completed_at=now,
        last_modified=now,
    )


def send_test(notifiers: Sequence[Notifier], *, region: str, now: datetime) -> dict[str, Any]:
    """Deliver the test message on each channel; one channel failing never stops the others.

    A channel with several destinations (Slack's app mode: the default channel and each route's)
    is tested in every one, each reported as ``CHANNEL DESTINATION`` with the routes it serves.
    """
    report = send_test_report(region=region, now=now)
    channels: dict[str, dict[str, Any]] = {}
    for notifier in notifiers:
        if isinstance(notifier, RoutedNotifier):
            for index, (destination, patterns) in enumerate(notifier.destinations().items()):
                serves = ["default channel"] if index == 0 else []
                if patterns:
                    serves.append("routes " + ", ".join(patterns))
                channels[f"{notifier.channel} {destination}"] = {
                    **_attempt(partial(notifier.deliver_to, destination, report)),
                    "serves": "; ".join(serves),
                }
        else:
            channels[notifier.channel] = _attempt(partial(notifier.deliver, report))
    return {"action": SEND_TEST_ACTION, "sent_at": now.isoformat(), "channels": channels}


def _attempt(send: Callable[[], object]) -> dict[str, Any]:
    """``delivered`` and, when it failed, the channel's error (what to fix), cut to ERROR_LIMIT."""
    try:
        send()
    except DeliveryFailed as error:
        return {"delivered": False, "error": str(error)[:ERROR_LIMIT]}
    except Exception as error:  # e.g. the secret unreadable: report it like any failure
        return {"delivered": False, "error": f"{type(error).__name__}: {error}"[:ERROR_LIMIT]}
    return {"delivered": True, "error": None}
