"""Many sources (account x region x kind) in one tick, over the real state store (moto DynamoDB)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import boto3
import pytest
from job_monitor.adapters.dynamodb_state import DynamoStateStore
from job_monitor.domain import (
    AI_RECOMMENDATION,
    COMPLETED,
    IN_PROGRESS,
    INFERENCE_RECOMMENDER,
    JobKey,
    JobReport,
    Origin,
)
from job_monitor.service import Monitor
from job_monitor.sources import LocatedSource
from moto import mock_aws

from tests.support.fakes import FakeJobSource, RecordingNotifier
from tests.support.monitor_world import START, TABLE, Clock, settings
from tests.support.tables import create_state_table

MEMBER = Origin("222222222222", "eu-west-1")
HOME_REGION = "us-east-1"


def _micros(minutes_ago: float) -> str:
    return str(int((START - timedelta(minutes=minutes_ago)).timestamp() * 1_000_000))


class Org:
    """The function's own account (two kinds) and one member account in another region."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.home_ir = FakeJobSource()
        self.home_ai = FakeJobSource(AI_RECOMMENDATION)
        self.member_ir = FakeJobSource()
        self.email = RecordingNotifier("email")
        self.store = DynamoStateStore(boto3.client("dynamodb"), table_name=TABLE, ttl_days=90)
        self.settings = settings(
            SLACK_WEBHOOK_SECRET_NAME="", ACCOUNTS=MEMBER.account, REGIONS=f"{HOME_REGION},{MEMBER.region}"
        )
        self.hints: list[Exception] = []

    def monitor(self) -> Monitor:
        home = {"region": HOME_REGION, "account_name": lambda: "hub (111111111111)"}
        return Monitor(
            sources=[
                LocatedSource(self.home_ir, **home),
                LocatedSource(self.home_ai, **home),
                LocatedSource(
                    self.member_ir,
                    region=MEMBER.region,
                    origin=MEMBER,
                    account_name=lambda: "ml-research (222222222222)",
                    hint=self._hint,
                    name="222222222222/eu-west-1/inference-recommender",
                ),
            ],
            store=self.store,
            notifiers=[self.email],
            settings=self.settings,
            logger=logging.getLogger("jobwatch-test"),
            clock=self.clock,
        )

    def _hint(self, error: Exception) -> str:
        self.hints.append(error)
        return "deploy the reader role"

    def tick(self):
        self.clock.tick()
        return self.monitor().run_tick()

    def job(self, source: FakeJobSource, name: str, status: str, *, minutes_ago: float = 1) -> None:
        at = self.clock.now - timedelta(minutes=minutes_ago)
        source.put(JobReport(name=name, status=status, region="?", created_at=at, last_modified=at))

    def finish(self, source: FakeJobSource, name: str) -> None:
        source.move(name, COMPLETED, self.clock.now, completed_at=self.clock.now)


@pytest.fixture
def org() -> Iterator[Org]:
    with mock_aws():
        create_state_table(boto3.client("dynamodb"), TABLE)
        yield Org()


def test_an_upgrade_keeps_todays_state_and_a_new_source_is_a_baseline_of_its_own(org: Org) -> None:
    """Items as today's deployment wrote them (an Inference Recommender job from before kinds
    existed, an AI recommendation job as kinds wrote it, both cursors) keep meaning the same."""
    client = boto3.client("dynamodb")
    active = {"reconciled_at": {"N": "0"}}
    for item in (
        {"pk": {"S": "cursor"}, "modified_after": {"N": _micros(10)}},
        {"pk": {"S": f"cursor#{AI_RECOMMENDATION}"}, "modified_after": {"N": _micros(10)}},
        {
            "pk": {"S": "job#ir-running"},
            "job_name": {"S": "ir-running"},
            "status": {"S": IN_PROGRESS},
            "last_modified": {"N": _micros(30)},
            "active_shard": {"S": "active"},
            **active,
        },
        {
            "pk": {"S": "job#ir-done"},
            "job_name": {"S": "ir-done"},
            "status": {"S": COMPLETED},
            "last_modified": {"N": _micros(5)},
        },
        {
            "pk": {"S": f"job#{AI_RECOMMENDATION}#ai-done"},
            "job_name": {"S": "ai-done"},
            "job_kind": {"S": AI_RECOMMENDATION},
            "status": {"S": COMPLETED},
            "last_modified": {"N": _micros(5)},
        },
    ):
        client.put_item(TableName=TABLE, Item=item)
    # Listed again within the overlap: already announced, never again.
    org.job(org.home_ir, "ir-done", COMPLETED, minutes_ago=5)
    org.job(org.home_ai, "ai-done", COMPLETED, minutes_ago=5)
    # Tracked as running by today's deployment; it finishes now: news, once.
    org.job(org.home_ir, "ir-running", IN_PROGRESS, minutes_ago=30)
    org.finish(org.home_ir, "ir-running")
    # The member account's history, seen for the first time: a baseline for that source alone.
    org.job(org.member_ir, "ir-done", COMPLETED, minutes_ago=2)
    org.job(org.member_ir, "member-running", IN_PROGRESS, minutes_ago=2)

    first = org.tick()

    assert [(report.key, report.status) for report in org.email.delivered] == [
        (JobKey(INFERENCE_RECOMMENDER, "ir-running"), COMPLETED)
    ]
    assert first.transitions == 1
    assert first.baseline
    # The home jobs kept their items; the member's went to keys of their own.
    keys = {item["pk"]["S"] for item in client.scan(TableName=TABLE)["Items"]}
    assert {"cursor", f"cursor#{AI_RECOMMENDATION}", "job#ir-done", "job#ir-running"} <= keys
    assert {
        f"cursor#{INFERENCE_RECOMMENDER}#222222222222#eu-west-1",
        f"job#{INFERENCE_RECOMMENDER}#ir-done#222222222222#eu-west-1",
        f"job#{INFERENCE_RECOMMENDER}#member-running#222222222222#eu-west-1",
    } <= keys

    org.finish(org.member_ir, "member-running")
    second = org.tick()

    assert not second.baseline
    member = org.email.delivered[-1]
    assert (member.key, member.status) == (JobKey(INFERENCE_RECOMMENDER, "member-running", MEMBER), COMPLETED)
    assert (member.region, member.account_name) == ("eu-west-1", "ml-research (222222222222)")
    assert len(org.email.delivered) == 2
    assert org.tick().transitions == 0


def test_the_same_name_in_two_accounts_is_two_jobs(org: Org) -> None:
    org.job(org.home_ir, "sweep", IN_PROGRESS)
    org.job(org.member_ir, "sweep", IN_PROGRESS)
    org.tick()
    org.finish(org.home_ir, "sweep")
    org.finish(org.member_ir, "sweep")

    org.tick()

    assert sorted(report.key for report in org.email.delivered) == [
        JobKey(INFERENCE_RECOMMENDER, "sweep"),
        JobKey(INFERENCE_RECOMMENDER, "sweep", MEMBER),
    ]
    both = [JobKey(INFERENCE_RECOMMENDER, "sweep"), JobKey(INFERENCE_RECOMMENDER, "sweep", MEMBER)]
    assert {key: job.status for key, job in org.store.known_jobs(both).items()} == dict.fromkeys(
        both, COMPLETED
    )
    assert org.tick().transitions == 0


def test_an_unreachable_source_holds_back_no_other_and_keeps_its_cursor(
    org: Org, caplog: pytest.LogCaptureFixture
) -> None:
    org.job(org.home_ir, "home-job", IN_PROGRESS)
    org.job(org.member_ir, "member-job", IN_PROGRESS)
    org.tick()
    cursor = org.store.load_cursor(INFERENCE_RECOMMENDER, MEMBER)
    org.member_ir.fail_list = True
    org.finish(org.home_ir, "home-job")
    org.finish(org.member_ir, "member-job")

    with caplog.at_level(logging.ERROR):
        report = org.tick()

    assert org.email.keys() == [("home-job", COMPLETED)]
    assert report.sources == {
        "own account/us-east-1/inference-recommender": 0,
        "own account/us-east-1/ai-recommendation": 0,
        "222222222222/eu-west-1/inference-recommender": 1,
    }
    assert org.store.load_cursor(INFERENCE_RECOMMENDER, MEMBER) == cursor
    failure = next(record for record in caplog.records if record.getMessage().startswith("could not list"))
    assert failure.source == "222222222222/eu-west-1/inference-recommender"
    assert failure.fix == "deploy the reader role"
    assert len(org.hints) == 1

    org.member_ir.fail_list = False
    recovered = org.tick()

    assert recovered.sources["222222222222/eu-west-1/inference-recommender"] == 0
    assert org.email.keys() == [("home-job", COMPLETED), ("member-job", COMPLETED)]


def test_a_source_added_later_announces_none_of_its_history(org: Org) -> None:
    org.job(org.home_ir, "home-job", IN_PROGRESS)
    org.member_ir.fail_list = True  # not reachable yet: as if the region were added later
    org.tick()
    org.finish(org.home_ir, "home-job")
    org.member_ir.fail_list = False
    org.job(org.member_ir, "old-finished", COMPLETED, minutes_ago=3)

    report = org.tick()

    assert report.baseline
    assert org.email.keys() == [("home-job", COMPLETED)]


def test_a_failing_source_is_remembered_apart_from_every_cursor_and_a_healthy_tick_writes_nothing_for_it(
    org: Org,
) -> None:
    writes: list[str] = []

    def record(params: dict, **_: object) -> None:
        writes.append((params.get("Key") or params["Item"])["pk"]["S"])

    for operation in ("PutItem", "UpdateItem", "DeleteItem"):
        org.store._client.meta.events.register(f"before-parameter-build.dynamodb.{operation}", record)
    member = (INFERENCE_RECOMMENDER, MEMBER)
    health_key = f"source#{INFERENCE_RECOMMENDER}#222222222222#eu-west-1"
    org.tick()
    assert org.store.load_source(*member).health is None
    cursors = {kind: org.store.load_cursor(kind) for kind in (INFERENCE_RECOMMENDER, AI_RECOMMENDATION)}
    org.member_ir.fail_list = True
    writes.clear()

    org.tick()
    failed_at = org.clock.now
    org.tick()

    assert writes == [health_key, health_key]  # nothing else: no cursor moved, no other source touched
    state = org.store.load_source(*member)
    assert state.health is not None
    assert state.health.failing
    assert (state.health.failing_since, state.health.last_failure_at) == (failed_at, org.clock.now)
    assert state.health.failures == 2
    assert state.health.last_error == "RuntimeError: ThrottlingException"
    assert state.health.fix == "deploy the reader role"
    assert {kind: org.store.load_cursor(kind) for kind in cursors} == cursors
    assert org.store.load_source(INFERENCE_RECOMMENDER).health is None

    org.member_ir.fail_list = False
    writes.clear()
    org.tick()

    assert writes == [health_key]  # the recovery, once
    recovered = org.store.load_source(*member).health
    assert recovered is not None
    assert not recovered.failing
    assert recovered.recovered_at == org.clock.now
    assert recovered.last_error == "RuntimeError: ThrottlingException"  # kept as history
    writes.clear()
    org.tick()
    assert writes == []  # a healthy tick with nothing new writes nothing at all
