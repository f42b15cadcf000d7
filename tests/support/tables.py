"""The state table's schema for moto-backed tests; the e2e tests build it from the template instead."""

from __future__ import annotations

from typing import Any

STATE_TABLE_SCHEMA: dict[str, Any] = {
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    "AttributeDefinitions": [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "outbox_shard", "AttributeType": "S"},
        {"AttributeName": "outbox_due", "AttributeType": "N"},
        {"AttributeName": "active_shard", "AttributeType": "S"},
        {"AttributeName": "reconciled_at", "AttributeType": "N"},
    ],
    "GlobalSecondaryIndexes": [
        {
            "IndexName": "outbox-index",
            "KeySchema": [
                {"AttributeName": "outbox_shard", "KeyType": "HASH"},
                {"AttributeName": "outbox_due", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        },
        {
            "IndexName": "active-index",
            "KeySchema": [
                {"AttributeName": "active_shard", "KeyType": "HASH"},
                {"AttributeName": "reconciled_at", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        },
    ],
    "BillingMode": "PAY_PER_REQUEST",
}


def create_state_table(client: Any, name: str) -> None:
    client.create_table(TableName=name, **STATE_TABLE_SCHEMA)
