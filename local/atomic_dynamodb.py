"""moto's DynamoDB, made as atomic as the real service, for every test and local run that races it.

Why this exists: moto evaluates a write's ``ConditionExpression`` and then applies the write as
separate steps with no lock, and it updates items in place. Two threads can therefore both pass
``attribute_not_exists(pk)`` or ``#status = :previous`` and both "win", and a reader can see half
of an update. Real DynamoDB never lets two conditional writes on one item both succeed, and
always returns an item whole. jobwatch's exactly-once delivery rests on that guarantee, so any
test, soak or benchmark that runs overlapping invocations against plain moto fails, or passes, by
luck.

What it does: every DynamoDB request moto serves is evaluated, applied and answered under one
process-wide lock, so each PutItem, UpdateItem and DeleteItem is applied with its condition in
one step, and each TransactWriteItems as a whole. This is the fake made faithful, not the product
made lenient: nothing in ``lambdas/`` knows about it. It is stricter than DynamoDB, which
serializes per item rather than per table, which no code here depends on.

Both moto front ends dispatch through ``DynamoHandler.call_action``: the in-process ``mock_aws``
and the threaded moto server that ``local.sandbox.LocalCloud`` runs in this process. Installing
the lock there covers both.
"""

from __future__ import annotations

import threading
from functools import wraps
from typing import Any

from moto.dynamodb.responses import DynamoHandler

_REQUEST_LOCK = threading.RLock()
_MARKER = "_jobwatch_atomic"


def make_dynamodb_atomic() -> None:
    """Serialize moto's DynamoDB requests; idempotent, and safe to call from any test or local run."""
    if is_atomic():
        return
    unlocked = DynamoHandler.call_action

    @wraps(unlocked)
    def call_action(self: DynamoHandler) -> Any:
        with _REQUEST_LOCK:
            return unlocked(self)

    setattr(call_action, _MARKER, unlocked)
    DynamoHandler.call_action = call_action  # type: ignore[method-assign]


def is_atomic() -> bool:
    return hasattr(DynamoHandler.call_action, _MARKER)


def unlocked_call_action() -> Any:
    """moto's own request handler, without the lock: only for the test that shows why the lock exists."""
    return getattr(DynamoHandler.call_action, _MARKER, DynamoHandler.call_action)
