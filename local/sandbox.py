"""Run the synthesized stack's function on this machine, against moto and the local stand-ins.

The point is to exercise what a deployment really runs: the function's environment comes from
the synthesized template (so a variable named differently in ``infra/`` and ``lambdas/`` fails
here), its code is imported from the template's asset folder, and every AWS client reaches a
local endpoint only through boto3's standard ``AWS_ENDPOINT_URL*`` variables.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import logging
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import boto3
from aws_lambda_powertools.logging.constants import LOGGER_ATTRIBUTE_PRECONFIGURED
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

from local.atomic_dynamodb import make_dynamodb_atomic

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
MONITOR_HANDLER = "job_monitor.handler.handler"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
}


class SandboxError(RuntimeError):
    """The template asks for something the sandbox cannot stand up: infra and lambdas disagree."""


# --- synthesis ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SynthesizedStack:
    template: dict[str, Any]
    outdir: Path

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource
            for logical_id, resource in self.template.get("Resources", {}).items()
            if resource.get("Type") == resource_type
        }

    def monitor_function(self) -> tuple[str, dict[str, Any]]:
        found = [
            (logical_id, resource)
            for logical_id, resource in self.resources("AWS::Lambda::Function").items()
            if resource["Properties"].get("Handler") == MONITOR_HANDLER
        ]
        if len(found) != 1:
            raise SandboxError(f"expected one function with handler {MONITOR_HANDLER}, found {len(found)}")
        return found[0]

    def asset_dir(self) -> Path:
        _, function = self.monitor_function()
        relative = function.get("Metadata", {}).get("aws:asset:path")
        if not relative:
            raise SandboxError("the function has no aws:asset:path metadata: was asset metadata disabled?")
        return self.outdir / relative


def cli_context(overrides: Mapping[str, str]) -> dict[str, Any]:
    """The context the CDK CLI would give the app: cdk.json's, then the ``-c`` overrides."""
    settings = json.loads((ROOT / "cdk.json").read_text())
    cli_defaults = {"aws:cdk:enable-asset-metadata": True, "aws:cdk:enable-path-metadata": True}
    return {**cli_defaults, **settings.get("context", {}), **overrides}


def synthesize(context: Mapping[str, str], outdir: Path) -> SynthesizedStack:
    """Run ``python app.py`` as the CDK CLI would: context through CDK_CONTEXT_JSON, output to CDK_OUTDIR."""
    env = {
        **os.environ,
        "CDK_OUTDIR": str(outdir),
        "CDK_CONTEXT_JSON": json.dumps(cli_context(context)),
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
    }
    result = subprocess.run(
        [sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SandboxError(f"python app.py failed:\n{result.stderr[-4000:]}")
    templates = sorted(outdir.glob("*.template.json"))
    if len(templates) != 1:
        raise SandboxError(f"expected one stack template in {outdir}, found {[t.name for t in templates]}")
    return SynthesizedStack(template=json.loads(templates[0].read_text()), outdir=outdir)


# --- the local cloud ----------------------------------------------------------------------------


@dataclass
class EmailInbox:
    """Stands in for one email subscription: an SQS queue with the same filter policy."""

    address: str
    queue_url: str
    messages: list[dict[str, Any]] = field(default_factory=list)


class LocalCloud:
    """moto's server for DynamoDB, SNS, SQS and Secrets Manager, in this process, on loopback."""

    def __init__(self) -> None:
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.endpoint_url = ""

    def __enter__(self) -> LocalCloud:
        make_dynamodb_atomic()  # overlapping invocations must race the way they would on DynamoDB
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log per request
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        urllib.request.urlopen(
            urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        ).read()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()

    def client(self, service: str) -> Any:
        return self.session().client(service, endpoint_url=self.endpoint_url)

    @staticmethod
    def session() -> boto3.session.Session:
        """A session of its own with the sandbox's fake credentials, for callers that hook its events."""
        return boto3.session.Session(
            region_name=REGION,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )


@dataclass
class Provisioned:
    """What ``provision`` stood up for one stack, and the function environment that points at it."""

    environment: dict[str, str]
    table_name: str
    topic_arn: str
    inboxes: list[EmailInbox]
    timeout_seconds: int
    physical_ids: dict[str, str] = field(default_factory=dict)  # logical ID -> table name or topic ARN


def provision(stack: SynthesizedStack, cloud: LocalCloud, *, slack_secret_value: str | None) -> Provisioned:
    """Create in moto what the template's function environment refers to, and resolve that environment."""
    logical_id, function = stack.monitor_function()
    properties = function["Properties"]
    refs: dict[str, str] = {}

    dynamodb = cloud.client("dynamodb")
    table_name = ""
    for table_id, table in stack.resources("AWS::DynamoDB::Table").items():
        props = table["Properties"]
        table_name = props.get("TableName") or f"{table_id}-{uuid.uuid4().hex[:6]}"
        arguments = {
            key: props[key]
            for key in ("KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes", "BillingMode")
            if key in props
        }
        dynamodb.create_table(TableName=table_name, **arguments)
        refs[table_id] = table_name

    sns = cloud.client("sns")
    for topic_id, topic in stack.resources("AWS::SNS::Topic").items():
        arn = sns.create_topic(Name=topic["Properties"].get("TopicName") or topic_id)["TopicArn"]
        refs[topic_id] = arn

    environment = {
        name: _resolve(value, refs, where=f"{logical_id} environment variable {name}")
        for name, value in properties.get("Environment", {}).get("Variables", {}).items()
    }
    topic_arn = environment.get("TOPIC_ARN", "")
    inboxes = _email_inboxes(stack, cloud, refs)

    # Webhook mode or app mode: the one Slack secret the stack's function reads.
    secret_name = environment.get("SLACK_WEBHOOK_SECRET_NAME") or environment.get(
        "SLACK_BOT_TOKEN_SECRET_NAME"
    )
    if secret_name:
        if slack_secret_value is None:
            raise SandboxError("the stack reads a Slack secret but no value for it was given")
        cloud.client("secretsmanager").create_secret(Name=secret_name, SecretString=slack_secret_value)
    return Provisioned(
        environment=environment,
        table_name=table_name,
        topic_arn=topic_arn,
        inboxes=inboxes,
        timeout_seconds=int(properties.get("Timeout", 3)),
        physical_ids=refs,
    )


def endpoint_variables(cloud: LocalCloud, sagemaker_url: str) -> dict[str, str]:
    """boto3's standard variables that send every AWS client to moto, and SageMaker's to the simulator."""
    return {"AWS_ENDPOINT_URL": cloud.endpoint_url, "AWS_ENDPOINT_URL_SAGEMAKER": sagemaker_url}


def _resolve(value: Any, refs: Mapping[str, str], *, where: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in refs:
        return refs[value["Ref"]]
    if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] == "AWS::Region":
        return REGION
    raise SandboxError(f"cannot resolve {where}: {json.dumps(value)}")


def _email_inboxes(stack: SynthesizedStack, cloud: LocalCloud, refs: Mapping[str, str]) -> list[EmailInbox]:
    sns, sqs = cloud.client("sns"), cloud.client("sqs")
    inboxes = []
    for index, subscription in enumerate(stack.resources("AWS::SNS::Subscription").values()):
        props = subscription["Properties"]
        if props.get("Protocol") != "email":
            continue
        topic_arn = _resolve(props["TopicArn"], refs, where="email subscription topic")
        queue_url = sqs.create_queue(QueueName=f"inbox-{index}")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        attributes = {}
        if "FilterPolicy" in props:
            attributes["FilterPolicy"] = json.dumps(props["FilterPolicy"])
            attributes["FilterPolicyScope"] = props.get("FilterPolicyScope", "MessageAttributes")
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, Attributes=attributes)
        inboxes.append(EmailInbox(address=props["Endpoint"], queue_url=queue_url))
    return inboxes


def collect_email(cloud: LocalCloud, inbox: EmailInbox) -> list[dict[str, Any]]:
    """New messages for one address, each as the email SNS sends: subject, the ``email`` body, attributes."""
    from moto.sns.models import sns_backends

    sqs = cloud.client("sqs")
    raw_by_id = {
        message_id: message
        for topic in sns_backends[ACCOUNT_ID][REGION].topics.values()
        for message_id, message, *_ in topic.sent_notifications
    }
    fresh = []
    while True:
        received = sqs.receive_message(QueueUrl=inbox.queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not received:
            break
        for message in received:
            envelope = json.loads(message["Body"])
            raw = raw_by_id.get(envelope["MessageId"], envelope["Message"])
            fresh.append(
                {
                    "subject": envelope.get("Subject"),
                    "body": _email_body(raw),
                    "attributes": {
                        name: attribute["Value"]
                        for name, attribute in envelope.get("MessageAttributes", {}).items()
                    },
                }
            )
            sqs.delete_message(QueueUrl=inbox.queue_url, ReceiptHandle=message["ReceiptHandle"])
    inbox.messages.extend(fresh)
    return fresh


def _email_body(raw: str) -> str:
    """The ``email`` protocol's part of a per-protocol message, as SNS would send it."""
    try:
        document = json.loads(raw)
    except json.JSONDecodeError:
        return raw
    if isinstance(document, dict) and isinstance(document.get("email") or document.get("default"), str):
        return document.get("email") or document["default"]
    return raw


# --- the function -------------------------------------------------------------------------------


@dataclass
class FakeLambdaContext:
    """The parts of the Lambda context object that the handler and Powertools read."""

    function_name: str
    timeout_seconds: int
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _deadline: float = 0.0

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class LocalFunction:
    """Imports the handler from the synthesized asset folder with the template's environment.

    Its structured logs and EMF metrics go to ``log_stream`` instead of the terminal.
    """

    def __init__(
        self,
        asset_dir: Path,
        environment: Mapping[str, str],
        *,
        endpoints: Mapping[str, str],
        timeout_seconds: int,
        log_stream: TextIO | None = None,
        capture_stdout: bool = True,
    ) -> None:
        self._asset_dir = asset_dir
        self._environment = {
            **FAKE_CREDENTIALS,
            **endpoints,
            "POWERTOOLS_TRACE_DISABLED": "true",
            **environment,
        }
        self._timeout = timeout_seconds
        self.log_stream: TextIO = log_stream or io.StringIO()
        # EMF metrics are printed to stdout; invocations that overlap in threads must not each
        # swap sys.stdout, so a caller running them concurrently redirects once itself.
        self._capture = capture_stdout
        self._saved_env: dict[str, str | None] = {}
        self._handler: Callable[[dict[str, Any], Any], Any] | None = None
        self.module: Any = None

    @classmethod
    def of_stack(
        cls,
        stack: SynthesizedStack,
        provisioned: Provisioned,
        *,
        endpoints: Mapping[str, str],
        **options: Any,
    ) -> LocalFunction:
        """The stack's function as provisioned: its asset folder, environment and timeout."""
        return cls(
            stack.asset_dir(),
            provisioned.environment,
            endpoints=endpoints,
            timeout_seconds=provisioned.timeout_seconds,
            **options,
        )

    def __enter__(self) -> LocalFunction:
        names = set(self._environment) | {name for name in os.environ if name.startswith("AWS_ENDPOINT_URL")}
        self._saved_env = {name: os.environ.get(name) for name in names}
        for name in names:
            os.environ.pop(name, None)
        os.environ.update(self._environment)
        _forget_modules("job_monitor")
        _forget_logger(self._environment.get("POWERTOOLS_SERVICE_NAME", "jobwatch"))
        sys.path.insert(0, str(self._asset_dir))
        with contextlib.redirect_stdout(self.log_stream):
            module = importlib.import_module("job_monitor.handler")
        if not str(Path(module.__file__ or "").resolve()).startswith(str(self._asset_dir.resolve())):
            raise SandboxError(f"imported the handler from {module.__file__}, not from the asset folder")
        self._handler = module.handler
        self.module = module
        return self

    def __exit__(self, *exc: object) -> None:
        sys.path.remove(str(self._asset_dir))
        _forget_modules("job_monitor")
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    def invoke(self, event: dict[str, Any] | None = None) -> Any:
        assert self._handler is not None, "use LocalFunction as a context manager"
        context = FakeLambdaContext(
            function_name="jobwatch-monitor",
            timeout_seconds=self._timeout,
            _deadline=time.monotonic() + self._timeout,
        )
        if not self._capture:
            return self._handler(event or _schedule_event(), context)
        with contextlib.redirect_stdout(self.log_stream):
            return self._handler(event or _schedule_event(), context)

    def log_records(self) -> Iterator[dict[str, Any]]:
        """The structured log lines written so far (EMF metric blobs included)."""
        for line in self.log_stream.getvalue().splitlines():
            with contextlib.suppress(json.JSONDecodeError):
                yield json.loads(line)


def _forget_modules(package: str) -> None:
    for name in [name for name in sys.modules if name == package or name.startswith(f"{package}.")]:
        del sys.modules[name]


def _forget_logger(service: str) -> None:
    """Let the next import configure Powertools' logger afresh, writing to this function's stream.

    Powertools marks the standard logger it configures and leaves a marked logger alone, so a
    second LocalFunction in one process would otherwise log into the first one's stream.
    """
    logger = logging.getLogger(service)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    for attribute in [
        name
        for name in vars(logger)
        if name == LOGGER_ATTRIBUTE_PRECONFIGURED or name.startswith("powertools_")
    ]:
        delattr(logger, attribute)


def _schedule_event() -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "account": ACCOUNT_ID,
        "region": REGION,
        "resources": [],
        "detail": {},
    }
