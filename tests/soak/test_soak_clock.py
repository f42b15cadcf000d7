"""The soak's function clock keeps the skew it claims, however long each tick takes in wall time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from benchmarks.clocks import next_tick
from local.simulator import SimulatedClock
from local.story import TICK_SECONDS


def test_each_tick_starts_with_the_function_clock_exactly_the_skew_ahead(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wall_ns = [0]  # the machine's real clock, moved by hand: each tick takes 20 s of wall time
    monkeypatch.setattr(time_machine._time_machine, "original_time_ns", lambda: wall_ns[0])
    service = SimulatedClock()
    skew = timedelta(seconds=90)
    ahead = []
    with time_machine.travel(service.now() + skew, tick=True) as traveller:
        for _ in range(60):
            next_tick(service, traveller, skew)
            ahead.append(datetime.now(UTC) - service.now())
            wall_ns[0] += 20 * 10**9

    assert service.now() == SimulatedClock().now() + timedelta(seconds=60 * TICK_SECONDS)
    assert set(ahead) == {skew}
