"""A short soak in the suite: every fault at once, then the delivery invariants.

The long run (2,000 jobs, 500 ticks) is ``./jobwatch soak``; its figures are in docs/soak.md.
"""

from __future__ import annotations

from collections import Counter

import pytest

from benchmarks.soak import NO_REGION_ACCOUNT, NO_ROLE_ACCOUNT, Faults, SoakResult, run_soak
from local.sandbox import REGION

pytestmark = pytest.mark.slow


def assert_delivery_invariants(result: SoakResult) -> None:
    """Nothing lost, twice only in the documented crash window, no unexpected error, no secret, no redirect."""
    assert sum(result.lost.values()) == 0
    assert result.duplicates.get("unexplained", 0) == 0
    assert result.duplicates["crash between send and record"] <= result.crashes_in_window
    assert result.tick_errors.get("unexpected", 0) == 0
    assert not result.secret_in_logs
    assert not result.secret_in_table
    assert result.redirects_followed == 0
    assert result.ok


def test_short_soak_loses_nothing_and_duplicates_only_in_the_documented_windows() -> None:
    result = run_soak(jobs=150, ticks=45, seed=3, faults=Faults())
    print(result.table())

    assert result.transitions > 100
    assert result.ai_transitions > 20  # both kinds of job, under the same faults
    assert_delivery_invariants(result)
    injected = {kind for kind, count in result.faults.items() if count}
    assert {
        "dynamodb throttled or 5xx",
        "sagemaker malformed describe",
        "crash before a DynamoDB write",
        "sagemaker job times from a clock ahead",
        "sagemaker stale listing entry",
        "Slack secret: URL wrapped onto two lines",
        "Slack secret: URL with a password",
    } <= injected
    assert result.delivered["email"] >= result.transitions
    assert result.delivered["slack"] >= result.transitions


def test_short_soak_over_four_sources_two_unreadable_loses_nothing_and_says_what_to_fix() -> None:
    """Per kind: the hub's account, a member account, a member account whose reader role STS
    refuses, and one that never enabled the region."""
    ticks = 30
    result = run_soak(jobs=90, ticks=ticks, seed=5, faults=Faults(), member_accounts=True)
    print(result.table())

    assert result.member_transitions > 10
    assert result.transitions > result.member_transitions
    assert sum(result.lost.values()) == 0
    assert result.duplicates.get("unexplained", 0) == 0
    assert result.tick_errors.get("unexpected", 0) == 0
    assert result.ok
    # Each kind's source in the two unreadable accounts fails on every tick that reaches it (one an
    # injected crash ended first may not), and every time says what to fix.
    times: Counter[str] = Counter()
    fixes: dict[str, set[str]] = {}
    for (source, fix), count in result.unreadable.items():
        times[source] += count
        fixes.setdefault(source.split("/")[0], set()).add(fix)
    for account in (NO_ROLE_ACCOUNT, NO_REGION_ACCOUNT):
        for kind in ("inference-recommender", "ai-recommendation"):
            assert times[f"{account}/{REGION}/{kind}"] >= ticks * 0.8
    [refused] = fixes[NO_ROLE_ACCOUNT]
    assert refused.startswith(
        f"the function may not assume arn:aws:iam::{NO_ROLE_ACCOUNT}:role/jobwatch-reader: "
        f"deploy the reader role to account {NO_ROLE_ACCOUNT}"
    )
    [no_region] = fixes[NO_REGION_ACCOUNT]
    assert no_region.startswith(f"region {REGION} is not enabled in account {NO_REGION_ACCOUNT}")


def test_short_soak_in_slack_app_mode_keeps_the_same_invariants_and_threads_the_jobs() -> None:
    result = run_soak(jobs=100, ticks=35, seed=5, faults=Faults(), slack_app=True)
    print(result.table())

    assert result.slack_mode == "app"
    assert result.transitions > 60
    assert_delivery_invariants(result)
    injected = {kind for kind, count in result.faults.items() if count}
    assert {"Slack secret: token wrapped onto two lines", "Slack secret: a revoked token"} <= injected
    assert any(kind.startswith("slack chat.update ") for kind in injected)  # the update is retried too
    assert any(kind.endswith(" ratelimited") for kind in injected)
    assert result.delivered["slack parents"] > result.transitions / 2  # most jobs were seen running
    assert result.delivered["slack"] >= result.transitions
    assert result.delivered["email"] >= result.transitions
