"""send-test's real invocation path: lambda.invoke's answer, judged by botocore's own Stubber."""

from __future__ import annotations

import io
import json
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from jobwatch_cli.deployment import OperatorError
from jobwatch_cli.send_test import lambda_invoker

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:Jobwatch-Monitor"
EVENT = {"action": "send-test"}


def invoker_answering(response: dict[str, Any]) -> Any:
    client = boto3.client("lambda", region_name="us-east-1")
    stubber = Stubber(client)
    payload = json.dumps(response.pop("payload")).encode()
    stubber.add_response(
        "invoke",
        {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(payload), len(payload)), **response},
        {
            "FunctionName": FUNCTION,
            "InvocationType": "RequestResponse",
            "Payload": json.dumps(EVENT).encode(),
        },
    )
    stubber.activate()
    deployment = SimpleNamespace(session=SimpleNamespace(client=lambda *_args, **_kwargs: client))
    return lambda_invoker(deployment)  # type: ignore[arg-type]


def test_the_handler_answer_is_returned() -> None:
    answer = {"action": "send-test", "channels": {"email": {"delivered": True, "error": None}}}

    assert invoker_answering({"payload": answer})(FUNCTION, EVENT) == answer


def test_a_function_error_is_one_sentence() -> None:
    invoke = invoker_answering(
        {"payload": {"errorMessage": "STATE_TABLE_NAME is required"}, "FunctionError": "Unhandled"}
    )

    with pytest.raises(OperatorError, match="failed: STATE_TABLE_NAME is required"):
        invoke(FUNCTION, EVENT)
