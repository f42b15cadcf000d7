"""The two clocks of a run on one machine: the service's (simulated) and the function's (time-machine).

Both move one schedule tick at a time; the function's runs in real time within a tick, because
botocore's retry back-off needs it.
"""

from __future__ import annotations

from datetime import timedelta

import time_machine

from local.simulator import SimulatedClock
from local.story import TICK_SECONDS


def next_tick(
    clock: SimulatedClock, traveller: time_machine.Traveller, skew: timedelta = timedelta(0)
) -> None:
    """Both clocks one tick on, the function's exactly ``skew`` ahead of the service's again.

    The function's clock is set, not shifted: shifting kept every tick's wall time, so a long run's
    skew grew by its whole wall time, past LIST_OVERLAP_SECONDS, and the run lost jobs no deployment
    would.
    """
    clock.advance(TICK_SECONDS)
    traveller.move_to(clock.now() + skew)
