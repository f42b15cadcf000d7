"""The synthesized stack's own function deployed in moto, invoked once a tick on the simulated clock.

The end-to-end tests extend it with the world each one plays against (a Slack receiver, the local
Slack Web API, an organization of accounts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from local.sandbox import LocalCloud, LocalFunction, Provisioned, collect_email
from local.simulator import SimulatedClock
from local.story import TICK_SECONDS


@dataclass
class FunctionRun:
    cloud: LocalCloud
    provisioned: Provisioned
    function: LocalFunction
    clock: SimulatedClock

    def ticks(self, count: int) -> list[dict[str, Any]]:
        """Each tick's summary, as the schedule would run the function: once every TICK_SECONDS."""
        summaries = []
        for _ in range(count):
            summaries.append(self.function.invoke())
            self.clock.advance(TICK_SECONDS)
        return summaries

    def emails(self) -> list[dict[str, Any]]:
        """The email delivered since the last call, from every subscribed inbox."""
        return [message for inbox in self.provisioned.inboxes for message in collect_email(self.cloud, inbox)]
