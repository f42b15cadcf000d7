"""``jobwatch status`` on a hub: the story in the function's own account, a member account with a job
of its own, and a member account whose reader role STS refuses (it was never deployed there).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from local.refused_roles import allow_assume_role
from local.sandbox import ACCOUNT_ID, REGION, SynthesizedStack, synthesize
from local.story import TICK_SECONDS
from tests.support.operator_world import CONTEXT, World, deployed_world

pytestmark = pytest.mark.slow

MEMBER, NO_ROLE = "222222222222", "333333333333"
KIND = "inference-recommender"
REFUSED = f"{NO_ROLE}/{REGION}/{KIND}"
TICKS = 4


@pytest.fixture(scope="module")
def hub_stack(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedStack:
    context = {**CONTEXT, "accounts": f"{MEMBER},{NO_ROLE}", "job_kinds": KIND}
    return synthesize(context, tmp_path_factory.mktemp("hub-cdk") / "cdk.out")


@pytest.fixture
def hub(hub_stack: SynthesizedStack) -> Iterator[World]:
    with deployed_world(hub_stack, run_function=True, organization=True, refused_accounts=[NO_ROLE]) as world:
        assert world.org is not None
        world.org.at(MEMBER, REGION).add_job(
            "member-sweep", created_at=world.clock.now() + timedelta(seconds=TICK_SECONDS), run_seconds=300
        )
        yield world


def test_status_shows_each_source_its_cursor_and_what_to_fix_where_sts_refuses_the_role(hub: World) -> None:
    hub.ticks(TICKS)

    status = hub.cli("status", "--json").json

    sources = {source["source"]: source for source in status["sources"]}
    assert list(sources) == [f"{account}/{REGION}/{KIND}" for account in (ACCOUNT_ID, MEMBER, NO_ROLE)]
    for name in (f"{ACCOUNT_ID}/{REGION}/{KIND}", f"{MEMBER}/{REGION}/{KIND}"):
        healthy = sources[name]
        assert healthy["read"]
        assert not healthy["failing"]
        assert healthy["cursor"] is not None  # each listed a job
        assert healthy["last_read_ok"] == status["last_tick"]
        assert healthy["last_error"] is None
    refused = sources[REFUSED]
    assert (refused["account"], refused["region"], refused["kind"]) == (NO_ROLE, REGION, KIND)
    assert refused["failing"]
    assert not refused["read"]
    assert refused["cursor"] is None
    assert refused["last_read_ok"] is None
    assert refused["failures_in_a_row"] == TICKS
    assert refused["failing_since"] < refused["last_failure_at"]
    assert "AccessDenied" in refused["last_error"]
    assert "AssumeRole" in refused["last_error"]
    assert refused["fix"].startswith(
        f"the function may not assume arn:aws:iam::{NO_ROLE}:role/jobwatch-reader: "
        f"deploy the reader role to account {NO_ROLE}"
    )
    jobs = {(job["account"], job["name"]): job for job in status["jobs"]}
    assert jobs[(MEMBER, "member-sweep")]["region"] == REGION
    assert jobs[(MEMBER, "member-sweep")]["status"] == "COMPLETED"
    assert all(job["account"] in (ACCOUNT_ID, MEMBER) for job in status["jobs"])

    text = hub.cli("status").out

    assert "Sources: 3 watched (account/region/kind), 1 failing" in text
    [row] = [line for line in text.splitlines() if line.startswith(REFUSED)]
    assert "not read yet" in row
    assert "never" in row
    assert f"FAILING since {refused['failing_since'][:10]}" in row
    assert f"{TICKS} reads in a row" in row
    assert f"fix {REFUSED}: {refused['fix']}" in text
    [member_row] = [line for line in text.splitlines() if line.startswith("member-sweep ")]
    assert member_row.split()[1:3] == [f"{MEMBER}/{REGION}", KIND]


def test_status_shows_the_refused_source_recovered_once_the_role_is_deployed(hub: World) -> None:
    hub.ticks(2)
    allow_assume_role(f"arn:aws:iam::{NO_ROLE}:role/jobwatch-reader")  # the role deployed, trusting the hub
    hub.ticks(2)

    status = hub.cli("status", "--json").json

    recovered = next(source for source in status["sources"] if source["source"] == REFUSED)
    assert recovered["read"]
    assert not recovered["failing"]
    assert recovered["last_read_ok"] == status["last_tick"]
    assert recovered["recovered_at"] > recovered["last_failure_at"]
    assert "AccessDenied" in recovered["last_error"]  # the history stays
    [row] = [line for line in hub.cli("status").out.splitlines() if line.startswith(REFUSED)]
    assert "ok; recovered" in row
    assert "Sources: 3 watched (account/region/kind), 0 failing" in hub.cli("status").out
