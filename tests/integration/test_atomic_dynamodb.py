"""The test world's DynamoDB must be as atomic as the real one, or every race test is luck.

See ``local/atomic_dynamodb.py`` for why. These tests race conditional puts on one item and
count the winners: exactly one, every time, with the lock; and, with a forced interleaving that
plain moto allows, two winners without it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models import table as moto_table_module
from moto.dynamodb.responses import DynamoHandler

from local.atomic_dynamodb import is_atomic, unlocked_call_action
from local.sandbox import LocalCloud
from tests.support.tables import create_state_table

TABLE = "race"


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb")
        create_state_table(client, TABLE)
        yield client


def _put_if_absent(client: Any, key: str, writer: int) -> bool:
    try:
        client.put_item(
            TableName=TABLE,
            Item={"pk": {"S": key}, "writer": {"N": str(writer)}},
            ConditionExpression="attribute_not_exists(pk)",
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        return False
    return True


def _race(client: Any, key: str, threads: int) -> int:
    """``threads`` writers released together on one key; returns how many of them won."""
    start = threading.Barrier(threads)
    wins: list[bool] = []

    def writer(number: int) -> None:
        start.wait()
        won = _put_if_absent(client, key, number)
        wins.append(won)

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(wins) == threads
    return sum(wins)


def _hold_after_condition(monkeypatch: pytest.MonkeyPatch, parties: int, timeout: float) -> None:
    """Make each put wait, after its condition passed and before it writes, for the other writers.

    That is the interleaving two real threads hit only sometimes; forcing it makes the race
    deterministic. With the lock, no second writer can reach its condition while the first one
    waits here, so the wait times out and the first writer goes on alone.
    """
    meeting = threading.Barrier(parties, timeout=timeout)
    evaluate = moto_table_module.get_filter_expression

    class HeldCondition:
        def __init__(self, condition: Any) -> None:
            self._condition = condition

        def expr(self, item: Any) -> bool:
            passed = self._condition.expr(item)
            with contextlib.suppress(threading.BrokenBarrierError):
                meeting.wait()
            return passed

    def held(*args: Any, **kwargs: Any) -> HeldCondition:
        return HeldCondition(evaluate(*args, **kwargs))

    monkeypatch.setattr(moto_table_module, "get_filter_expression", held)


def test_the_whole_suite_runs_on_atomic_dynamodb() -> None:
    assert is_atomic()


def test_many_writers_racing_one_absent_item_leave_exactly_one_winner(dynamodb: Any) -> None:
    winners = [_race(dynamodb, f"job#{round_}", threads=16) for round_ in range(25)]

    assert winners == [1] * 25


def test_a_forced_interleaving_still_has_one_winner(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _hold_after_condition(monkeypatch, parties=2, timeout=0.3)

    assert _race(dynamodb, "job#forced", threads=2) == 1


def test_without_the_lock_the_same_interleaving_lets_both_writers_win(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why the lock exists: plain moto checks the condition and writes in two unguarded steps."""
    monkeypatch.setattr(DynamoHandler, "call_action", unlocked_call_action())
    _hold_after_condition(monkeypatch, parties=2, timeout=30)

    assert _race(dynamodb, "job#forced", threads=2) == 2


def test_the_local_moto_server_is_atomic_too() -> None:
    with LocalCloud() as cloud:
        client = cloud.client("dynamodb")
        create_state_table(client, TABLE)
        winners = [_race(client, f"job#{round_}", threads=8) for round_ in range(10)]

    assert winners == [1] * 10
