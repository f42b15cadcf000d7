"""A local SageMaker Inference Recommender and AI recommendation service, speaking JSON 1.1.

moto has neither API, so jobwatch keeps this one. Real boto3 clients reach it
through ``AWS_ENDPOINT_URL_SAGEMAKER``; every response is shaped by botocore's own service model
(the tests validate them against it). Jobs move PENDING → IN_PROGRESS → COMPLETED / FAILED /
STOPPED on a clock the caller controls; their status is derived from that clock when asked, so
advancing time costs nothing and 20,000 jobs of history stay cheap. AI recommendation jobs
(``add_ai_job``) live in a namespace of their own, as in SageMaker, with that API's spelling of
the statuses (``InProgress``, ``Completed``, ...).
"""

from __future__ import annotations

import base64
import json
import math
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100
STOP_SECONDS = 60
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The AI recommendation API's spelling of a status (a pending job already reads InProgress).
AI_STATUS = {
    "PENDING": "InProgress",
    "IN_PROGRESS": "InProgress",
    "COMPLETED": "Completed",
    "FAILED": "Failed",
    "STOPPING": "Stopping",
    "STOPPED": "Stopped",
}
# Generative-AI instance types (from the API's enum) and their hourly on-demand prices.
AI_INSTANCE_PRICES: dict[str, float] = {
    "ml.g5.2xlarge": 1.515,
    "ml.g6e.2xlarge": 2.242,
    "ml.g6e.12xlarge": 10.493,
    "ml.p4d.24xlarge": 37.688,
}

# Hourly on-demand prices per instance (us-east-1, real-time inference) for the instance types the
# simulator recommends. A recommendation's CostPerHour is the whole configuration's (price x count)
# and CostPerInference = CostPerHour / (MaxInvocations x 60), as in real responses. GPU and
# Inferentia instances report no CPU utilisation, as the service gives NaN.
INSTANCE_PRICES: dict[str, float] = {
    "ml.m5.large": 0.115,
    "ml.m5.xlarge": 0.23,
    "ml.c5.xlarge": 0.204,
    "ml.c5.2xlarge": 0.408,
    "ml.c6i.2xlarge": 0.408,
    "ml.c7g.xlarge": 0.1741,
    "ml.g4dn.xlarge": 0.736,
    "ml.g5.xlarge": 1.408,
    "ml.inf1.xlarge": 0.297,
    "ml.inf2.xlarge": 0.99,
}
_ACCELERATED = ("ml.g4dn", "ml.g5", "ml.inf1", "ml.inf2")
# Serverless inference compute, per second and GB of memory (us-east-1).
SERVERLESS_PRICE_PER_GB_SECOND = 0.00002
SERVERLESS = "serverless"  # in ``failed_benchmarks``: a benchmark of a serverless configuration


class SimulatedClock:
    """The service's notion of now; only the caller moves it."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 1, tzinfo=UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)


@dataclass
class FaultPlan:
    """Faults injected at run time, each at a rate per call (0 disables it).

    ``operations`` limits them to the named operations (e.g. {"DescribeInferenceRecommendationsJob"});
    empty means every operation.
    """

    throttle_rate: float = 0.0
    server_error_rate: float = 0.0
    latency_seconds: float = 0.0
    malformed_rate: float = 0.0
    # A listing entry read from a replica ``stale_seconds`` behind: an earlier status, with the
    # earlier LastModifiedTime that went with it.
    stale_listing_rate: float = 0.0
    stale_seconds: float = 600.0
    operations: set[str] = field(default_factory=set)

    def applies_to(self, operation: str) -> bool:
        return not self.operations or operation in self.operations


class ServiceError(Exception):
    """An error the service answers with, in its own JSON 1.1 error shape."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


@dataclass
class _Job:
    name: str
    created_at: datetime
    pending_seconds: float
    run_seconds: float
    outcome: str
    job_type: str
    failure_reason: str | None
    endpoints: tuple[str, ...]
    model_name: str
    description: str
    region: str
    account_id: str
    serverless: bool = False
    compiled: bool = False
    failed_benchmarks: tuple[tuple[str, str], ...] = ()  # (instance type or SERVERLESS, reason)
    stop_requested_at: datetime | None = None
    deleted_at: datetime | None = None
    visible_when_deleted: bool = False
    clock_offset: timedelta = timedelta(0)  # added to every time the service reports for the job
    goal: str = "ttft-ms"  # an AI recommendation job's PerformanceTarget metric
    adapters: tuple[str, ...] = ()  # an AI recommendation job's LoRA adapters

    @property
    def arn(self) -> str:
        return f"arn:aws:sagemaker:{self.region}:{self.account_id}:inference-recommendations-job/{self.name.lower()}"

    def timeline(self) -> list[tuple[datetime, str]]:
        """Every status the job takes, with the moment it takes it."""
        started = self.created_at + timedelta(seconds=self.pending_seconds)
        ended = started + timedelta(seconds=self.run_seconds)
        steps = [(self.created_at, "PENDING"), (started, "IN_PROGRESS")]
        if self.stop_requested_at is not None and self.stop_requested_at < ended:
            stop = max(self.stop_requested_at, self.created_at)
            steps = [step for step in steps if step[0] <= stop]
            steps += [(stop, "STOPPING"), (stop + timedelta(seconds=STOP_SECONDS), "STOPPED")]
        elif self.outcome == "STOPPED":
            stopping = max(started, ended - timedelta(seconds=STOP_SECONDS))
            steps += [(stopping, "STOPPING"), (ended, "STOPPED")]
        else:
            steps.append((ended, self.outcome))
        if self.deleted_at is not None:
            steps = [step for step in steps if step[0] <= self.deleted_at] + [(self.deleted_at, "DELETED")]
        return steps

    def final_change(self) -> datetime:
        return self.timeline()[-1][0] + self.clock_offset

    def state(self, now: datetime) -> tuple[str, datetime]:
        """(status, LastModifiedTime) as the service reports them at ``now``."""
        status, changed = "PENDING", self.created_at
        for moment, step in self.timeline():
            if moment <= now:
                status, changed = step, moment
        return status, changed + self.clock_offset


class InferenceRecommenderSimulator:
    """The simulated service: an HTTP endpoint plus an in-process API to script jobs and faults."""

    def __init__(
        self,
        *,
        clock: SimulatedClock | None = None,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        seed: int = 0,
    ) -> None:
        self.clock = clock or SimulatedClock()
        self.region = region
        self.account_id = account_id
        self.seed = seed
        self.faults = FaultPlan()
        self.call_counts: Counter[str] = Counter()
        self.fault_counts: Counter[str] = Counter()
        self._jobs: dict[str, _Job] = {}
        self._ai_jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()
        # Bumped by every change to a job's script, so a cached listing is never stale.
        self._generation = 0
        self._listing_cache: tuple[Any, _Listing] | None = None
        self._random = random.Random(seed)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.endpoint_url = ""
        self.malformed_hook: Callable[[dict[str, Any]], None] | None = None

    # --- scripting ----------------------------------------------------------------------------

    def add_job(
        self,
        name: str,
        *,
        outcome: str = "COMPLETED",
        created_at: datetime | None = None,
        pending_seconds: float = 30,
        run_seconds: float = 600,
        job_type: str = "Default",
        failure_reason: str | None = None,
        endpoints: tuple[str, ...] = (),
        model_name: str | None = None,
        description: str = "",
        clock_offset_seconds: float = 0.0,
        serverless: bool = False,
        compiled: bool = False,
        failed_benchmarks: tuple[tuple[str, str], ...] = (),
    ) -> None:
        """Script a job. ``clock_offset_seconds`` skews every time the service reports for it
        (a year ahead: the broken clock a monitor must not follow). ``serverless`` adds serverless
        recommendations, ``compiled`` a Neo-compiled one next to its uncompiled twin,
        ``failed_benchmarks`` benchmarks that fail (with the reason) on a COMPLETED job, or all of a
        FAILED job's benchmarks."""
        if outcome not in ("COMPLETED", "FAILED", "STOPPED"):
            raise ValueError(f"outcome must be COMPLETED, FAILED or STOPPED, not {outcome}")
        with self._lock:
            if name in self._jobs:
                raise ServiceError("ResourceInUse", f"Job {name} already exists")
            self._generation += 1
            self._jobs[name] = _Job(
                name=name,
                created_at=created_at or self.clock.now(),
                pending_seconds=pending_seconds,
                run_seconds=max(1.0, run_seconds),
                outcome=outcome,
                job_type=job_type,
                failure_reason=failure_reason
                or (
                    "Benchmark failed: the model container did not respond to /ping"
                    if outcome == "FAILED"
                    else None
                ),
                endpoints=tuple(endpoints),
                model_name=model_name or f"{name.split('-')[0]}-model",
                description=description or f"Inference Recommender job {name}",
                region=self.region,
                account_id=self.account_id,
                clock_offset=timedelta(seconds=clock_offset_seconds),
                serverless=serverless,
                compiled=compiled,
                failed_benchmarks=tuple(failed_benchmarks),
            )

    def add_finished_jobs(
        self, count: int, *, prefix: str = "history", ended_before: datetime | None = None
    ) -> None:
        """Bulk history: ``count`` jobs that finished before ``ended_before`` (default: a day ago)."""
        end = ended_before or (self.clock.now() - timedelta(days=1))
        for index in range(count):
            created = end - timedelta(hours=2, minutes=index * 7)
            self.add_job(
                f"{prefix}-{index:05d}",
                outcome="FAILED" if index % 10 == 9 else "COMPLETED",
                created_at=created,
                pending_seconds=60,
                run_seconds=3600,
            )

    def add_ai_job(
        self,
        name: str,
        *,
        outcome: str = "COMPLETED",
        created_at: datetime | None = None,
        run_seconds: float = 1800,
        failure_reason: str | None = None,
        goal: str = "ttft-ms",
        adapters: tuple[str, ...] = (),
    ) -> None:
        """Script an AI recommendation job: InProgress from its creation, then ``outcome``."""
        if outcome not in ("COMPLETED", "FAILED", "STOPPED"):
            raise ValueError(f"outcome must be COMPLETED, FAILED or STOPPED, not {outcome}")
        with self._lock:
            if name in self._ai_jobs:
                raise ServiceError("ResourceInUse", f"Job {name} already exists")
            self._generation += 1
            self._ai_jobs[name] = _Job(
                name=name,
                created_at=created_at or self.clock.now(),
                pending_seconds=0,
                run_seconds=max(1.0, run_seconds),
                outcome=outcome,
                job_type="",
                failure_reason=failure_reason
                or (
                    "The benchmark could not start: no capacity for the requested instance types"
                    if outcome == "FAILED"
                    else None
                ),
                endpoints=(),
                model_name=f"s3://models-{self.account_id}/{name.split('-')[0]}/",
                description="",
                region=self.region,
                account_id=self.account_id,
                goal=goal,
                adapters=tuple(adapters),
            )

    def add_finished_ai_jobs(
        self, count: int, *, prefix: str = "ai-history", ended_before: datetime | None = None
    ) -> None:
        """Bulk AI recommendation history, like ``add_finished_jobs``."""
        end = ended_before or (self.clock.now() - timedelta(days=1))
        for index in range(count):
            self.add_ai_job(
                f"{prefix}-{index:05d}",
                outcome="FAILED" if index % 10 == 9 else "COMPLETED",
                created_at=end - timedelta(hours=2, minutes=index * 7),
                run_seconds=3600,
            )

    def delete_ai_job(self, name: str) -> None:
        """The AI recommendation job disappears (ResourceNotFound)."""
        with self._lock:
            del self._ai_jobs[name]
            self._generation += 1

    def ai_status_of(self, name: str) -> str:
        """The AI recommendation job's status in the common spelling (IN_PROGRESS, COMPLETED, ...)."""
        with self._lock:
            return self._ai_jobs[name].state(self.clock.now())[0]

    def ai_job_names(self) -> list[str]:
        with self._lock:
            return list(self._ai_jobs)

    def stop_job(self, name: str) -> None:
        with self._lock:
            job = self._visible(name)
            status, _ = job.state(self.clock.now())
            if status in ("PENDING", "IN_PROGRESS"):
                job.stop_requested_at = self.clock.now()
                self._generation += 1

    def delete_job(self, name: str, *, visible_as_deleted: bool = False) -> None:
        """The job disappears (ResourceNotFound), or stays listed as DELETED if asked."""
        with self._lock:
            job = self._jobs[name]
            job.deleted_at = self.clock.now()
            job.visible_when_deleted = visible_as_deleted
            self._generation += 1

    def status_of(self, name: str) -> str:
        with self._lock:
            return self._jobs[name].state(self.clock.now())[0]

    def job_names(self) -> list[str]:
        with self._lock:
            return list(self._jobs)

    # --- serving ------------------------------------------------------------------------------

    def __enter__(self) -> InferenceRecommenderSimulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> str:
        simulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b"{}"
                target = self.headers.get("X-Amz-Target", "")
                status, payload = simulator.handle(target, body)
                data = payload.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("x-amzn-RequestId", f"sim-{random.getrandbits(64):016x}")
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        host, port = self._server.server_address[:2]
        self.endpoint_url = f"http://{host}:{port}"
        return self.endpoint_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def handle(self, target: str, body: bytes) -> tuple[int, str]:
        """One request: (HTTP status, JSON body). Public so tests can call it without a socket."""
        operation = target.rpartition(".")[2]
        handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "CreateInferenceRecommendationsJob": self._create,
            "DescribeInferenceRecommendationsJob": self._describe,
            "ListInferenceRecommendationsJobs": self._list,
            "ListInferenceRecommendationsJobSteps": self._list_steps,
            "StopInferenceRecommendationsJob": self._stop,
            "DescribeAIRecommendationJob": self._describe_ai,
            "ListAIRecommendationJobs": self._list_ai,
        }
        self.call_counts[operation] += 1
        try:
            if operation not in handlers or not target.startswith("SageMaker."):
                raise ServiceError("UnknownOperationException", f"Unknown operation {target}")
            self._inject_faults(operation)
            request = json.loads(body or b"{}")
            response = handlers[operation](request)
        except ServiceError as error:
            return error.status, json.dumps({"__type": error.code, "Message": str(error)})
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
            return 400, json.dumps({"__type": "ValidationException", "Message": f"Invalid request: {error}"})
        return 200, json.dumps(response)  # NaN metrics go out as the JSON literal NaN

    def _inject_faults(self, operation: str) -> None:
        plan = self.faults
        if not plan.applies_to(operation):
            return
        with self._lock:
            roll_throttle, roll_error = self._random.random(), self._random.random()
        if plan.latency_seconds:
            time.sleep(plan.latency_seconds)
        if roll_throttle < plan.throttle_rate:
            self.fault_counts["throttled"] += 1
            raise ServiceError("ThrottlingException", "Rate exceeded", 400)
        if roll_error < plan.server_error_rate:
            self.fault_counts["5xx"] += 1
            raise ServiceError("InternalFailure", "We encountered an internal error. Please try again.", 500)

    # --- operations ---------------------------------------------------------------------------

    def _visible(self, name: str) -> _Job:
        job = self._jobs.get(name)
        now = self.clock.now()
        if job is None or job.created_at > now or (job.deleted_at is not None and job.deleted_at <= now):
            raise ServiceError("ResourceNotFound", f"Could not find inference recommendations job {name}")
        return job

    def _create(self, request: dict[str, Any]) -> dict[str, Any]:
        for key in ("JobName", "JobType", "RoleArn", "InputConfig"):
            if key not in request:
                raise ServiceError("ValidationException", f"{key} is required")
        endpoints = tuple(item["EndpointName"] for item in request["InputConfig"].get("Endpoints", []))
        self.add_job(
            request["JobName"],
            job_type=request["JobType"],
            endpoints=endpoints,
            model_name=request["InputConfig"].get("ModelName"),
            description=request.get("JobDescription", ""),
        )
        return {"JobArn": self._jobs[request["JobName"]].arn}

    def _stop(self, request: dict[str, Any]) -> dict[str, Any]:
        self.stop_job(request["JobName"])
        return {}

    def _describe(self, request: dict[str, Any]) -> dict[str, Any]:
        now = self.clock.now()
        with self._lock:
            job = self._visible(request["JobName"])
            with_faults = self.faults.applies_to("DescribeInferenceRecommendationsJob")
            malformed = with_faults and self._random.random() < self.faults.malformed_rate
        status, changed = job.state(now)
        response: dict[str, Any] = {
            **self._summary(job, status, changed),
            "InputConfig": self._input_config(job),
            "StoppingConditions": {
                "MaxInvocations": 3000,
                "ModelLatencyThresholds": [{"Percentile": "P95", "ValueInMilliseconds": 100}],
            },
        }
        if status == "COMPLETED":
            response["InferenceRecommendations"] = self._recommendations(job)
            if job.endpoints:
                response["EndpointPerformances"] = [
                    {
                        "Metrics": {"MaxInvocations": 1800 + 150 * index, "ModelLatency": 62 + 9 * index},
                        "EndpointInfo": {"EndpointName": endpoint},
                    }
                    for index, endpoint in enumerate(job.endpoints)
                ]
        if malformed:
            self.fault_counts["malformed describe"] += 1
            self._malform(response, job)
        return response

    def _malform(self, response: dict[str, Any], job: _Job) -> None:
        """A partial or surprising answer: missing optional fields, NaN, empty lists, new enum values."""
        rng = random.Random(
            f"{self.seed}:malformed:{job.name}:{self.call_counts['DescribeInferenceRecommendationsJob']}"
        )
        for key in ("InputConfig", "StoppingConditions", "JobDescription", "CompletionTime", "RoleArn"):
            if rng.random() < 0.5:
                response.pop(key, None)
        response["JobType"] = rng.choice([response.get("JobType"), "Serverless", "Unknown"])
        for recommendation in response.get("InferenceRecommendations", []):
            for metric in recommendation["Metrics"]:
                if rng.random() < 0.3:
                    recommendation["Metrics"][metric] = math.nan
            if rng.random() < 0.2:
                recommendation["EndpointConfiguration"]["InstanceType"] = "ml.x99.48xlarge"
            if rng.random() < 0.2:
                recommendation.pop("ModelConfiguration", None)
        if rng.random() < 0.3 and "InferenceRecommendations" in response:
            response["InferenceRecommendations"] = []
        if self.malformed_hook is not None:
            self.malformed_hook(response)

    def _summary(self, job: _Job, status: str, changed: datetime) -> dict[str, Any]:
        summary: dict[str, Any] = {
            "JobName": job.name,
            "JobDescription": job.description,
            "JobType": job.job_type,
            "JobArn": job.arn,
            "Status": status,
            "CreationTime": _epoch(job.created_at + job.clock_offset),
            "RoleArn": f"arn:aws:iam::{job.account_id}:role/SageMakerInferenceRecommender",
            "LastModifiedTime": _epoch(changed),
            "ModelName": job.model_name,
        }
        if status in ("COMPLETED", "FAILED", "STOPPED"):
            summary["CompletionTime"] = _epoch(changed)
        if status == "FAILED" and job.failure_reason:
            summary["FailureReason"] = job.failure_reason
        return summary

    def _input_config(self, job: _Job) -> dict[str, Any]:
        config: dict[str, Any] = {"ModelName": job.model_name, "JobDurationInSeconds": 7200}
        if job.job_type == "Advanced":
            config["TrafficPattern"] = {
                "TrafficType": "PHASES",
                "Phases": [{"InitialNumberOfUsers": 2, "SpawnRate": 2, "DurationInSeconds": 240}],
            }
            config["ResourceLimit"] = {"MaxNumberOfTests": 10, "MaxParallelOfTests": 3}
            config["EndpointConfigurations"] = [{"InstanceType": name} for name in list(INSTANCE_PRICES)[:3]]
        if job.endpoints:
            config["Endpoints"] = [{"EndpointName": endpoint} for endpoint in job.endpoints]
        return config

    def _recommendations(self, job: _Job) -> list[dict[str, Any]]:
        """Deterministic per (seed, job): several instance types, realistic prices and metrics."""
        rng = random.Random(f"{self.seed}:{job.name}")
        instances = rng.sample(sorted(INSTANCE_PRICES), k=rng.randint(3, 6))
        recommendations = []
        for index, instance in enumerate(instances):
            count = rng.choice([1, 1, 1, 2])
            hourly = INSTANCE_PRICES[instance] * count  # the whole configuration
            invocations = rng.randint(800, 9000) * count
            accelerated = instance.startswith(_ACCELERATED)
            recommendations.append(
                {
                    "Metrics": {
                        "CostPerHour": hourly,
                        "CostPerInference": hourly / (invocations * 60),
                        "MaxInvocations": invocations,
                        "ModelLatency": rng.randint(4, 60) if accelerated else rng.randint(15, 240),
                        "CpuUtilization": math.nan if accelerated else round(rng.uniform(35, 95), 2),
                        "MemoryUtilization": math.nan
                        if instance.startswith("ml.inf")
                        else round(rng.uniform(10, 80), 2),
                        "ModelSetupTime": rng.randint(60, 400),
                    },
                    "EndpointConfiguration": {
                        "EndpointName": f"sm-epc-{job.name[:40]}-{index}",
                        "VariantName": f"sm-epv-{index}",
                        "InstanceType": instance,
                        "InitialInstanceCount": count,
                    },
                    "ModelConfiguration": {
                        "EnvironmentParameters": [
                            {
                                "Key": "OMP_NUM_THREADS",
                                "ValueType": "string",
                                "Value": str(rng.choice([1, 2, 4])),
                            },
                            {
                                "Key": "SAGEMAKER_MODEL_SERVER_WORKERS",
                                "ValueType": "string",
                                "Value": str(rng.choice([1, 2, 4])),
                            },
                        ]
                    },
                    "RecommendationId": f"{job.name[:40]}/{rng.getrandbits(32):08x}",
                }
            )
        if job.compiled:
            recommendations.append(self._compiled_twin(job, recommendations[0], len(recommendations), rng))
        if job.serverless:
            for memory in (2048, 4096):
                recommendations.append(self._serverless(job, len(recommendations), memory, rng))
        return recommendations

    def _compiled_twin(
        self, job: _Job, original: dict[str, Any], index: int, rng: random.Random
    ) -> dict[str, Any]:
        """The same instance with a Neo-compiled model: same price, more invocations, less latency."""
        metrics = dict(original["Metrics"])
        metrics["MaxInvocations"] = int(metrics["MaxInvocations"] * rng.uniform(1.3, 2.2))
        metrics["CostPerInference"] = metrics["CostPerHour"] / (metrics["MaxInvocations"] * 60)
        metrics["ModelLatency"] = max(1, int(metrics["ModelLatency"] * 0.6))
        instance = original["EndpointConfiguration"]["InstanceType"]
        return {
            **original,
            "Metrics": metrics,
            "EndpointConfiguration": {
                **original["EndpointConfiguration"],
                "EndpointName": f"sm-epc-{job.name[:40]}-{index}",
                "VariantName": f"sm-epv-{index}",
            },
            "ModelConfiguration": {
                **original["ModelConfiguration"],
                "CompilationJobName": f"{job.name[:40]}-{instance.removeprefix('ml.').replace('.', '-')}-neo",
                "InferenceSpecificationName": f"{job.name[:40]}-compiled",
            },
            "RecommendationId": f"{job.name[:40]}/{rng.getrandbits(32):08x}",
        }

    def _serverless(self, job: _Job, index: int, memory: int, rng: random.Random) -> dict[str, Any]:
        """A serverless configuration: billed for each inference's duration and memory."""
        latency = rng.randint(8, 60)
        invocations = rng.randint(600, 4000)
        per_inference = latency / 1000 * memory / 1024 * SERVERLESS_PRICE_PER_GB_SECOND
        return {
            "Metrics": {
                "CostPerHour": per_inference * invocations * 60,
                "CostPerInference": per_inference,
                "MaxInvocations": invocations,
                "ModelLatency": latency,
                "ModelSetupTime": rng.randint(20, 90),
            },
            "EndpointConfiguration": {
                "EndpointName": f"sm-epc-{job.name[:40]}-{index}",
                "VariantName": f"sm-epv-{index}",
                "ServerlessConfig": {"MemorySizeInMB": memory, "MaxConcurrency": rng.choice([10, 20, 50])},
            },
            "ModelConfiguration": {
                "EnvironmentParameters": [{"Key": "OMP_NUM_THREADS", "ValueType": "string", "Value": "1"}]
            },
            "RecommendationId": f"{job.name[:40]}/{rng.getrandbits(32):08x}",
        }

    def _failed_steps(self, job: _Job) -> list[dict[str, Any]]:
        steps = []
        for index, (configuration, reason) in enumerate(job.failed_benchmarks):
            endpoint: dict[str, Any] = {
                "EndpointName": f"sm-epc-{job.name[:40]}-f{index}",
                "VariantName": f"sm-epv-f{index}",
            }
            if configuration == SERVERLESS:
                endpoint["ServerlessConfig"] = {"MemorySizeInMB": 6144, "MaxConcurrency": 10}
            else:
                endpoint.update(InstanceType=configuration, InitialInstanceCount=1)
            steps.append(
                _step(
                    job,
                    "FAILED",
                    {
                        "EndpointConfiguration": endpoint,
                        "ModelConfiguration": {},
                        "FailureReason": reason[:1024],
                    },
                )
            )
        return steps

    def _list(self, request: dict[str, Any]) -> dict[str, Any]:
        page_size = _page_size(request)
        sort_by = request.get("SortBy", "CreationTime")
        if sort_by not in ("Name", "CreationTime", "Status"):
            raise ServiceError(
                "ValidationException", f"SortBy must be Name, CreationTime or Status, not {sort_by}"
            )
        listing = self._listing(request, sort_by)
        start = 0
        if request.get("NextToken"):
            start = listing.resume_after(request["NextToken"], sort_by)
        page = listing.rows[start : start + page_size]
        response: dict[str, Any] = {
            "InferenceRecommendationsJobs": [
                self._list_entry(job, status, changed) for job, status, changed in page
            ]
        }
        if start + page_size < len(listing.rows):
            response["NextToken"] = _encode_token(sort_by, listing.keys[start + len(page) - 1])
        return response

    def _listing(
        self,
        request: dict[str, Any],
        sort_by: str,
        *,
        jobs: dict[str, _Job] | None = None,
        spell: Callable[[str], str] = str,
        operation: str = "ListInferenceRecommendationsJobs",
    ) -> _Listing:
        """Every job the request's filters select at this moment, sorted; the pages cut from it.

        The last listing is kept until the clock moves or a job changes, so paging through 20,000
        jobs costs one scan, not one per page (the benchmark's naive poller does exactly that).
        """
        now = self.clock.now()
        jobs = self._jobs if jobs is None else jobs
        filters = json.dumps({k: v for k, v in request.items() if k not in ("NextToken", "MaxResults")})
        cache_key = (operation, filters, now, self._generation)
        cached = self._listing_cache
        if cached is not None and cached[0] == cache_key:
            return cached[1]
        created_after = _time(request.get("CreationTimeAfter"))
        created_before = _time(request.get("CreationTimeBefore"))
        modified_after = _time(request.get("LastModifiedTimeAfter"))
        modified_before = _time(request.get("LastModifiedTimeBefore"))
        name_contains = request.get("NameContains")
        status_equals = request.get("StatusEquals")
        model_equals = request.get("ModelNameEquals")
        package_equals = request.get("ModelPackageVersionArnEquals")
        descending = request.get("SortOrder", "Descending") == "Descending"

        rows = []
        with self._lock:
            candidates = list(jobs.values())
        for job in candidates:
            if job.created_at > now:
                continue  # scheduled by a test, not created yet
            if created_after and job.created_at <= created_after:
                continue
            if created_before and job.created_at >= created_before:
                continue
            if modified_after and job.final_change() <= modified_after:
                continue  # cheap: its LastModifiedTime can never pass the filter
            if name_contains and name_contains not in job.name:
                continue
            if model_equals and job.model_name != model_equals:
                continue
            if package_equals:
                continue  # the simulator's jobs name models, not model packages
            status, changed = self._listed_state(job, now, operation)
            status = spell(status)
            if status == "DELETED" and not job.visible_when_deleted:
                continue
            if modified_after and changed <= modified_after:
                continue
            if modified_before and changed >= modified_before:
                continue
            if status_equals and status != status_equals:
                continue
            rows.append((job, status, changed))

        def sort_key(row: tuple[_Job, str, datetime]) -> tuple[Any, str]:
            job, status, _ = row
            primary: Any = {"Name": job.name, "CreationTime": job.created_at, "Status": status}[sort_by]
            return primary, job.name

        rows.sort(key=sort_key, reverse=descending)
        listing = _Listing(rows=rows, keys=[sort_key(row) for row in rows], descending=descending)
        self._listing_cache = (cache_key, listing)
        return listing

    def _listed_state(self, job: _Job, now: datetime, operation: str) -> tuple[str, datetime]:
        """The job's state as this listing reads it: now, or now minus the lag of a stale replica."""
        status, changed = job.state(now)
        plan = self.faults
        if not plan.stale_listing_rate or not plan.applies_to(operation):
            return status, changed
        then = now - timedelta(seconds=plan.stale_seconds)
        with self._lock:
            stale = self._random.random() < plan.stale_listing_rate
        if not stale or then < job.created_at:
            return status, changed
        earlier = job.state(then)
        if earlier[0] != status:
            self.fault_counts["stale listing entry"] += 1
        return earlier

    def _list_entry(self, job: _Job, status: str, changed: datetime) -> dict[str, Any]:
        entry = self._summary(job, status, changed)
        entry["SamplePayloadUrl"] = (
            f"s3://sagemaker-{self.region}-{self.account_id}/payloads/{job.name}.tar.gz"
        )
        return entry

    # --- AI recommendation jobs -----------------------------------------------------------------

    def _visible_ai(self, name: str) -> _Job:
        job = self._ai_jobs.get(name)
        if job is None or job.created_at > self.clock.now():
            raise ServiceError("ResourceNotFound", f"Could not find AI recommendation job {name}")
        return job

    def _ai_arn(self, job: _Job) -> str:
        return f"arn:aws:sagemaker:{self.region}:{self.account_id}:ai-recommendation-job/{job.name}"

    def _ai_summary(self, job: _Job, status: str, changed: datetime) -> dict[str, Any]:
        """The listing entry; ``status`` in either spelling."""
        spelled = AI_STATUS.get(status, status)
        summary: dict[str, Any] = {
            "AIRecommendationJobName": job.name,
            "AIRecommendationJobArn": self._ai_arn(job),
            "AIRecommendationJobStatus": spelled,
            "CreationTime": _epoch(job.created_at),
        }
        if spelled in ("Completed", "Failed", "Stopped"):
            summary["EndTime"] = _epoch(changed)
        return summary

    def _list_ai(self, request: dict[str, Any]) -> dict[str, Any]:
        page_size = _page_size(request)
        sort_by = request.get("SortBy", "CreationTime")
        if sort_by not in ("Name", "CreationTime", "Status"):
            raise ServiceError(
                "ValidationException", f"SortBy must be Name, CreationTime or Status, not {sort_by}"
            )
        status_equals = request.get("StatusEquals")
        if status_equals is not None and status_equals not in set(AI_STATUS.values()):
            raise ServiceError("ValidationException", f"StatusEquals {status_equals} is not a valid status")
        listing = self._listing(
            request,
            sort_by,
            jobs=self._ai_jobs,
            spell=lambda status: AI_STATUS.get(status, status),
            operation="ListAIRecommendationJobs",
        )
        start = listing.resume_after(request["NextToken"], sort_by) if request.get("NextToken") else 0
        page = listing.rows[start : start + page_size]
        response: dict[str, Any] = {
            "AIRecommendationJobs": [self._ai_summary(job, status, changed) for job, status, changed in page]
        }
        if start + page_size < len(listing.rows):
            response["NextToken"] = _encode_token(sort_by, listing.keys[start + len(page) - 1])
        return response

    def _describe_ai(self, request: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            job = self._visible_ai(request["AIRecommendationJobName"])
        status, changed = job.state(self.clock.now())
        response: dict[str, Any] = {
            **self._ai_summary(job, status, changed),
            "ModelSource": {"S3": {"S3Uri": job.model_name}},
            "OutputConfig": {
                "S3OutputLocation": f"s3://jobwatch-ai-{job.account_id}/recommendations/{job.name}/"
            },
            "InferenceSpecification": {"Framework": "VLLM"},
            "AIWorkloadConfigIdentifier": f"{job.name.split('-')[0]}-chat-workload",
            "OptimizeModel": True,
            "PerformanceTarget": {"Constraints": [{"Metric": job.goal}]},
            "RoleArn": f"arn:aws:iam::{job.account_id}:role/SageMakerAIRecommendations",
            "ComputeSpec": {"InstanceTypes": sorted(AI_INSTANCE_PRICES)[:3]},
            "StartTime": _epoch(job.created_at),
            "Tags": [{"Key": "team", "Value": "llm-platform"}],
        }
        if job.adapters:
            response["AdapterSource"] = {
                "S3Uris": [
                    {"AdapterId": adapter, "S3Uri": f"{job.model_name}adapters/{adapter}/"}
                    for adapter in job.adapters
                ]
            }
        if status == "FAILED" and job.failure_reason:
            response["FailureReason"] = job.failure_reason
        if status == "COMPLETED":
            response["Recommendations"] = self._ai_recommendations(job)
        return response

    def _ai_recommendations(self, job: _Job) -> list[dict[str, Any]]:
        """Deterministic per (seed, job): one deployment per instance type, figures as strings."""
        rng = random.Random(f"{self.seed}:ai:{job.name}")
        recommendations = []
        for index, instance in enumerate(sorted(AI_INSTANCE_PRICES)[: rng.randint(2, 4)]):
            copies = rng.choice([1, 2, 4])
            count = rng.choice([1, 1, 2])
            ttft = rng.randint(90, 900)
            throughput = rng.randint(400, 5000) * count
            cost = AI_INSTANCE_PRICES[instance] * count / (throughput * 3600) * 1_000_000
            speculative = rng.random() < 0.5
            recommendation: dict[str, Any] = {
                "RecommendationDescription": f"{instance} with {copies} model {'copy' if copies == 1 else 'copies'} per instance",
                "OptimizationDetails": [
                    {"OptimizationType": "KernelTuning", "OptimizationConfig": {"attention": "flash-attn-3"}}
                ]
                + (
                    [
                        {
                            "OptimizationType": "SpeculativeDecoding",
                            "OptimizationConfig": {"draft-model": "eagle3"},
                        }
                    ]
                    if speculative
                    else []
                ),
                "ModelDetails": {
                    "ModelPackageArn": f"arn:aws:sagemaker:{self.region}:{job.account_id}:model-package/{job.name}/{index + 1}",
                    "InstanceDetails": [
                        {"InstanceType": instance, "InstanceCount": count, "CopyCountPerInstance": copies}
                    ],
                },
                "DeploymentConfiguration": {
                    "ImageUri": f"763104351884.dkr.ecr.{self.region}.amazonaws.com/vllm:0.11-gpu-py312",
                    "InstanceType": instance,
                    "InstanceCount": count,
                    "CopyCountPerInstance": copies,
                    "EnvironmentVariables": {
                        "OPTION_TENSOR_PARALLEL_DEGREE": str(max(1, 4 // copies)),
                        "OPTION_MAX_MODEL_LEN": "8192",
                    },
                },
                "AIBenchmarkJobArn": f"arn:aws:sagemaker:{self.region}:{job.account_id}:ai-benchmark-job/{job.name[:50]}-b{index}",
                "ExpectedPerformance": [
                    {"Metric": "TTFT", "Stat": "p50", "Value": str(ttft), "Unit": "ms"},
                    {"Metric": "TTFT", "Stat": "p90", "Value": str(int(ttft * 1.6)), "Unit": "ms"},
                    {"Metric": "Throughput", "Stat": "avg", "Value": str(throughput), "Unit": "tokens/s"},
                    {"Metric": "CostPerMillionTokens", "Value": f"{cost:.2f}", "Unit": "USD"},
                ],
            }
            if job.adapters:
                recommendation["AdapterDetails"] = {
                    "ModelPackageArns": [
                        {
                            "AdapterId": adapter,
                            "ModelPackageArn": f"arn:aws:sagemaker:{self.region}:{job.account_id}:model-package/{adapter}/1",
                        }
                        for adapter in job.adapters
                    ],
                    "S3Uris": [
                        {"AdapterId": adapter, "S3Uri": f"{job.model_name}adapters/{adapter}/"}
                        for adapter in job.adapters
                    ],
                }
            recommendations.append(recommendation)
        return recommendations

    def _list_steps(self, request: dict[str, Any]) -> dict[str, Any]:
        now = self.clock.now()
        with self._lock:
            job = self._visible(request["JobName"])
        status, _ = job.state(now)
        steps = []
        if status == "COMPLETED":
            for recommendation in self._recommendations(job):
                benchmark = {
                    key: recommendation[key]
                    for key in ("Metrics", "EndpointConfiguration", "ModelConfiguration")
                }
                steps.append(_step(job, "COMPLETED", benchmark))
            steps += self._failed_steps(job)
        elif status == "FAILED" and job.failed_benchmarks:
            steps = self._failed_steps(job)
        elif status in ("IN_PROGRESS", "FAILED", "STOPPING", "STOPPED"):
            unfinished: dict[str, Any] = {"ModelConfiguration": {}}  # required by the model
            if status == "FAILED":
                unfinished["FailureReason"] = (job.failure_reason or "failed")[:1024]
            steps.append(_step(job, status, unfinished))
        if request.get("StepType", "BENCHMARK") != "BENCHMARK":
            steps = []
        if request.get("Status"):
            steps = [step for step in steps if step["Status"] == request["Status"]]
        page_size = _page_size(request)
        start = int(request.get("NextToken") or 0)
        response: dict[str, Any] = {"Steps": steps[start : start + page_size]}
        if start + page_size < len(steps):
            response["NextToken"] = str(start + page_size)
        return response


def _step(job: _Job, status: str, benchmark: dict[str, Any]) -> dict[str, Any]:
    return {"StepType": "BENCHMARK", "JobName": job.name, "Status": status, "InferenceBenchmark": benchmark}


def _epoch(moment: datetime) -> float:
    return (moment - _EPOCH).total_seconds()


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    return datetime.fromtimestamp(float(value), tz=UTC)


def _page_size(request: dict[str, Any]) -> int:
    size = request.get("MaxResults", DEFAULT_PAGE_SIZE)
    if not isinstance(size, int) or not 1 <= size <= MAX_PAGE_SIZE:
        raise ServiceError("ValidationException", f"MaxResults must be between 1 and {MAX_PAGE_SIZE}")
    return size


def _encode_token(sort_by: str, key: tuple[Any, str]) -> str:
    primary = _epoch(key[0]) if isinstance(key[0], datetime) else key[0]
    return base64.urlsafe_b64encode(json.dumps([sort_by, primary, key[1]]).encode()).decode()


@dataclass
class _Listing:
    """One listing's sorted rows and their sort keys, with where each key sits."""

    rows: list[tuple[_Job, str, datetime]]
    keys: list[tuple[Any, str]]
    descending: bool
    positions: dict[tuple[Any, str], int] = field(init=False)

    def __post_init__(self) -> None:
        self.positions = {key: index for index, key in enumerate(self.keys)}

    def resume_after(self, token: str, sort_by: str) -> int:
        """Resume after the last row returned, so jobs created meanwhile neither repeat nor vanish."""
        try:
            token_sort, primary, name = json.loads(base64.urlsafe_b64decode(token.encode()))
        except (ValueError, TypeError):
            raise ServiceError("ValidationException", "Invalid NextToken") from None
        if token_sort != sort_by:
            raise ServiceError("ValidationException", "NextToken does not match the request")
        last = (_time(primary) if sort_by == "CreationTime" else primary, name)
        if last in self.positions:
            return self.positions[last] + 1
        for index, key in enumerate(self.keys):
            if (key < last) if self.descending else (key > last):
                return index
        return len(self.keys)
