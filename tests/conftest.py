"""Every test runs with fake credentials and no route to real AWS."""

from __future__ import annotations

import os

import pytest

from local.atomic_dynamodb import make_dynamodb_atomic

_FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_DEV": "false",
    "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
}

# Set at import so that clients built while collecting tests are fake too.
os.environ.update(_FAKE_AWS)
for _variable in [name for name in os.environ if name.startswith("AWS_ENDPOINT_URL")] + ["AWS_PROFILE"]:
    os.environ.pop(_variable, None)

# Tests race overlapping invocations on moto; real DynamoDB applies a conditional write atomically.
make_dynamodb_atomic()


@pytest.fixture(autouse=True)
def _fake_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in _FAKE_AWS.items():
        monkeypatch.setenv(name, value)
