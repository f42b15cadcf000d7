"""Actions an operator asks of the deployed function, besides the scheduled tick.

``{"action": "send-test"}`` sends one clearly labelled test message on every configured channel,
through the same notifiers, client configuration and permissions a real message uses, so a
success proves the path a job's summary takes. It records nothing: no transition, no outbox
entry, no metric that an alarm watches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from job_monitor.domain import JobReport
from job_monitor.messages import SEND_TEST
from job_monitor.ports import DeliveryFailed, Notifier

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
    """Deliver the test message on each channel; one channel failing never stops the others."""
    report = send_test_report(region=region, now=now)
    channels: dict[str, dict[str, Any]] = {}
    for notifier in notifiers:
        try:
            notifier.deliver(report)
        except DeliveryFailed as error:
            channels[notifier.channel] = {"delivered": False, "error": str(error)[:ERROR_LIMIT]}
        except Exception as error:  # e.g. the secret unreadable: report it like any failure
            channels[notifier.channel] = {
                "delivered": False,
                "error": f"{type(error).__name__}: {error}"[:ERROR_LIMIT],
            }
        else:
            channels[notifier.channel] = {"delivered": True, "error": None}
    return {"action": SEND_TEST_ACTION, "sent_at": now.isoformat(), "channels": channels}
