"""The monitor's pure core: job snapshots, transition decisions and recommendation ranking.

Nothing here performs I/O. Adapters turn SageMaker responses into these types; the service
decides what to do with them.
"""

from __future__ import annotations

import json
import math
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from datetime import UTC, datetime
from enum import Enum
from typing import Any

PENDING = "PENDING"
IN_PROGRESS = "IN_PROGRESS"
COMPLETED = "COMPLETED"
FAILED = "FAILED"
STOPPING = "STOPPING"
STOPPED = "STOPPED"
DELETING = "DELETING"
DELETED = "DELETED"

TERMINAL_STATUSES = frozenset({COMPLETED, FAILED, STOPPED})
GONE_STATUSES = frozenset({DELETING, DELETED})
# Statuses whose summary needs the full describe response (recommendations, endpoint results).
DETAILED_STATUSES = frozenset({COMPLETED, FAILED})
# How far along its life a status is; a real job only ever moves forward (terminal is last).
_LIFECYCLE_STEP = {PENDING: 0, IN_PROGRESS: 1, STOPPING: 2}


def is_terminal(status: str) -> bool:
    return status in TERMINAL_STATUSES


# The kinds of job jobwatch watches. Each has one JobSource adapter and one summary renderer;
# nothing else in the monitor tells them apart.
INFERENCE_RECOMMENDER = "inference-recommender"
AI_RECOMMENDATION = "ai-recommendation"
JOB_KINDS = (INFERENCE_RECOMMENDER, AI_RECOMMENDATION)


@dataclass(frozen=True, order=True)
class Origin:
    """Where a job runs: an account and a region.

    The empty values mean "the function's own" account and region; those jobs keep the state keys
    they had before jobwatch watched other accounts and regions, so an upgrade changes nothing.
    """

    account: str = ""
    region: str = ""

    @property
    def is_home(self) -> bool:
        return not self.account and not self.region

    def __str__(self) -> str:
        return f"{self.account or 'own account'}/{self.region or 'own region'}"

    @classmethod
    def of(cls, account: str, region: str, *, home_account: str, home_region: str) -> Origin:
        """The origin of an account and region as seen from the function's own: empty parts at home."""
        return cls(
            account="" if account in ("", home_account) else account,
            region="" if region == home_region else region,
        )


HOME = Origin()


@dataclass(frozen=True, order=True)
class JobKey:
    """A job's full identity: what state, exactly-once, the outbox and messages key on.

    Two kinds, accounts or regions may have jobs of the same name, so the bare name never
    identifies a job.
    """

    kind: str
    name: str
    origin: Origin = HOME

    def __str__(self) -> str:
        where = "" if self.origin.is_home else f"{self.origin}/"
        return f"{where}{self.kind}/{self.name}"

    @classmethod
    def parse(cls, text: str) -> JobKey:
        """``kind/name``, or a bare name: an Inference Recommender job, as before kinds existed."""
        kind, _, name = text.strip().rpartition("/")
        kind = kind or INFERENCE_RECOMMENDER
        if kind not in JOB_KINDS:
            raise ValueError(f"{text!r} names an unknown kind {kind!r}; known: {', '.join(JOB_KINDS)}")
        return cls(kind, name)


@dataclass(frozen=True, order=True)
class SourceKey:
    """One source of jobs: a kind of job in one account and region, with its own cursor."""

    kind: str
    origin: Origin = HOME

    def __str__(self) -> str:
        return f"{self.origin}/{self.kind}"


@dataclass(frozen=True, kw_only=True)
class JobSummary:
    """What the list API says of one job: enough to detect a transition."""

    name: str
    status: str
    last_modified: datetime
    kind: str = INFERENCE_RECOMMENDER
    created_at: datetime | None = None
    completed_at: datetime | None = None
    job_type: str | None = None
    model: str | None = None
    failure_reason: str | None = None
    # Where the job sits on its kind's discovery cursor: the time that kind's listing filters on
    # (Inference Recommender: LastModifiedTime; AI recommendation: CreationTime). None for a job
    # found another way (named in JOB_NAMES, a tracked job described), which never moves the cursor.
    cursor_time: datetime | None = None
    origin: Origin = HOME

    @property
    def key(self) -> JobKey:
        return JobKey(self.kind, self.name, self.origin)


# A real-time or serverless invocation times out after 60 seconds, so a ModelLatency above this
# cannot be milliseconds (the documented unit): it is shown as not available, never as a number.
MAX_PLAUSIBLE_LATENCY_MS = 60_000
HOURS_PER_MONTH = 730


@dataclass(frozen=True, kw_only=True)
class ServerlessConfig:
    """A serverless endpoint configuration: billed per use, so it has no around-the-clock cost."""

    memory_mb: int | None = None
    max_concurrency: int | None = None
    provisioned_concurrency: int | None = None


@dataclass(frozen=True, kw_only=True)
class Recommendation:
    """One recommended endpoint configuration; a metric the service gave as NaN is None.

    ``cost_per_hour`` prices the whole configuration (all its instances), as real responses do:
    ``CostPerInference == CostPerHour / (MaxInvocations x 60)`` holds in every one of them.
    """

    instance_type: str | None = None
    instance_count: int | None = None
    serverless: ServerlessConfig | None = None
    compilation_job: str | None = None
    inference_specification: str | None = None
    cost_per_hour: float | None = None
    cost_per_inference: float | None = None
    max_invocations: int | None = None
    model_latency_ms: int | None = None
    cpu_utilization: float | None = None
    memory_utilization: float | None = None
    environment: tuple[tuple[str, str], ...] = ()
    recommendation_id: str | None = None

    @property
    def configuration(self) -> str:
        """What to deploy, in a few words: ``ml.c5.xlarge x2``, ``serverless 2048 MB``."""
        return configuration_label(self.instance_type, self.instance_count, self.serverless)

    @property
    def compiled(self) -> bool:
        return self.compilation_job is not None

    @property
    def monthly_cost(self) -> float | None:
        """Running the configuration around the clock; None for serverless, which bills per use."""
        if self.serverless is not None or self.cost_per_hour is None:
            return None
        return self.cost_per_hour * HOURS_PER_MONTH

    def meets_invocations(self, target: int | None) -> bool | None:
        """Whether it sustains the job's requested invocations per minute; None when unknown."""
        if target is None or self.max_invocations is None:
            return None
        return self.max_invocations >= target


def configuration_label(
    instance_type: str | None, instance_count: int | None, serverless: ServerlessConfig | None
) -> str:
    if serverless is not None:
        memory = "n/a" if serverless.memory_mb is None else f"{serverless.memory_mb}"
        return f"serverless {memory} MB"
    if instance_type is None:
        return "configuration n/a"
    return f"{instance_type} x{'n/a' if instance_count is None else instance_count}"


@dataclass(frozen=True, kw_only=True)
class BenchmarkFailure:
    """Benchmarks that failed for one reason, and the configurations they ran on."""

    reason: str
    count: int
    configurations: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class BenchmarkOutcome:
    """What ListInferenceRecommendationsJobSteps says of a job's benchmarks."""

    total: int
    failed: int
    failures: tuple[BenchmarkFailure, ...] = ()  # grouped by reason, the most frequent first


@dataclass(frozen=True, kw_only=True)
class EndpointPerformance:
    """An existing endpoint measured by an Advanced job, for comparison with the recommendations."""

    endpoint_name: str
    max_invocations: int | None = None
    model_latency_ms: int | None = None


@dataclass(frozen=True, kw_only=True)
class LatencyThreshold:
    percentile: str
    value_ms: int


@dataclass(frozen=True, kw_only=True)
class PerformanceFigure:
    """One expected-performance figure of an AI recommendation, exactly as the service gives it.

    The API gives every part as a string and documents no metric names or units, so jobwatch
    shows them as given and reads a number only to rank.
    """

    metric: str
    value: str
    stat: str | None = None
    unit: str | None = None

    @property
    def number(self) -> float | None:
        return _number(self.value)


@dataclass(frozen=True, kw_only=True)
class Optimization:
    """An optimization the recommendation applies (``SpeculativeDecoding``, ``KernelTuning``)."""

    kind: str
    config: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, kw_only=True)
class AIRecommendation:
    """One deployment an AI recommendation job recommends, with its expected performance."""

    description: str | None = None
    instance_type: str | None = None
    instance_count: int | None = None
    copies_per_instance: int | None = None
    image_uri: str | None = None
    model_package: str | None = None
    environment: tuple[tuple[str, str], ...] = ()
    optimizations: tuple[Optimization, ...] = ()
    expected_performance: tuple[PerformanceFigure, ...] = ()
    adapters: tuple[str, ...] = ()
    benchmark_job_arn: str | None = None

    @property
    def configuration(self) -> str:
        """What to deploy: ``ml.g6e.2xlarge x1, 2 copies each``."""
        label = configuration_label(self.instance_type, self.instance_count, None)
        if self.copies_per_instance is None:
            return label
        copies = "copy" if self.copies_per_instance == 1 else "copies"
        return f"{label}, {self.copies_per_instance} {copies} each"

    def figure(self, goal: str) -> PerformanceFigure | None:
        """The expected-performance figure that measures ``goal`` (a PerformanceTarget metric)."""
        words = _GOAL_WORDS.get(goal, (goal,))
        for figure in self.expected_performance:
            name = figure.metric.lower()
            if any(word in name for word in words) and figure.number is not None:
                return figure
        return None


# A PerformanceTarget metric, and the words an ExpectedPerformance metric measuring it contains.
# The API documents the goals (ttft-ms, throughput, cost) but not the figures' metric names.
_GOAL_WORDS = {
    "ttft-ms": ("ttft", "time-to-first-token", "time to first token"),
    "throughput": ("throughput",),
    "cost": ("cost",),
}
# Lower is better for these goals; for the others (throughput) higher is.
_LOWER_IS_BETTER = frozenset({"ttft-ms", "cost"})


@dataclass(frozen=True, kw_only=True)
class AIRecommendationDetails:
    """What DescribeAIRecommendationJob says beyond the common report: the goal and the deployments."""

    goals: tuple[str, ...] = ()
    framework: str | None = None
    optimize_model: bool | None = None
    instance_types: tuple[str, ...] = ()
    recommendations: tuple[AIRecommendation, ...] = ()
    tags: tuple[tuple[str, str], ...] = ()

    def ranked(self) -> list[AIRecommendation]:
        """Best first by the job's own goal (its first constraint); the service's order otherwise.

        A recommendation without a figure for the goal keeps its place after those with one.
        """
        if not self.goals:
            return list(self.recommendations)
        goal = self.goals[0]
        sign = 1.0 if goal in _LOWER_IS_BETTER else -1.0

        def key(indexed: tuple[int, AIRecommendation]) -> tuple[bool, float, int]:
            index, item = indexed
            figure = item.figure(goal)
            number = None if figure is None else figure.number
            return (number is None, 0.0 if number is None else sign * number, index)

        return [item for _, item in sorted(enumerate(self.recommendations), key=key)]


# Each kind whose report carries details names their type here, so the outbox can read them back.
_DETAILS_TYPES: dict[str, type] = {AI_RECOMMENDATION: AIRecommendationDetails}


@dataclass(frozen=True, kw_only=True)
class JobReport:
    """Everything a notification says about a job, frozen at the moment of its transition.

    The common facts are fields of their own. Inference Recommender's findings (recommendations,
    endpoint performances, thresholds, benchmarks) are fields too, as they have been since before
    jobwatch knew other kinds (the outbox of an upgraded deployment holds them so); any other
    kind's findings are its ``details``, serialised with the kind as their tag.
    """

    name: str
    status: str
    region: str
    kind: str = INFERENCE_RECOMMENDER
    job_type: str | None = None
    model: str | None = None
    description: str | None = None
    created_at: datetime | None = None
    completed_at: datetime | None = None
    last_modified: datetime | None = None
    failure_reason: str | None = None
    recommendations: tuple[Recommendation, ...] = ()
    endpoint_performances: tuple[EndpointPerformance, ...] = ()
    latency_thresholds: tuple[LatencyThreshold, ...] = ()
    max_invocations_target: int | None = None
    benchmarks: BenchmarkOutcome | None = None  # None: not asked for, or the call failed
    details: AIRecommendationDetails | None = None
    origin: Origin = HOME
    # How messages name the job's account (its alias, else its ID); None when jobwatch watches
    # only its own account, whose messages name none.
    account_name: str | None = None

    @property
    def key(self) -> JobKey:
        return JobKey(self.kind, self.name, self.origin)

    @property
    def finished_at(self) -> datetime | None:
        """CompletionTime, or for a finished job without it (older jobs) its LastModifiedTime."""
        return self.completed_at or (self.last_modified if is_terminal(self.status) else None)

    @property
    def duration_seconds(self) -> float | None:
        end = self.finished_at
        if self.created_at is None or end is None:
            return None
        return max(0.0, (end - self.created_at).total_seconds())

    def to_json(self) -> str:
        """A compact, JSON-only form for the outbox, so a retry renders the same message."""
        return json.dumps(asdict(self), default=_encode_datetime, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> JobReport:
        """Read a report back; one stored before kinds existed (no ``kind``) is Inference Recommender's."""
        data = json.loads(text)
        data["kind"] = data.get("kind") or INFERENCE_RECOMMENDER
        for key in ("created_at", "completed_at", "last_modified"):
            data[key] = _parse_datetime(data.get(key))
        data["recommendations"] = tuple(
            _recommendation_from_json(item) for item in data.get("recommendations", ())
        )
        data["endpoint_performances"] = tuple(
            EndpointPerformance(**item) for item in data.get("endpoint_performances", ())
        )
        data["latency_thresholds"] = tuple(
            LatencyThreshold(**item) for item in data.get("latency_thresholds", ())
        )
        benchmarks = data.get("benchmarks")
        if benchmarks is not None:
            data["benchmarks"] = BenchmarkOutcome(
                total=benchmarks["total"],
                failed=benchmarks["failed"],
                failures=tuple(
                    BenchmarkFailure(**{**item, "configurations": tuple(item["configurations"])})
                    for item in benchmarks["failures"]
                ),
            )
        details = data.get("details")
        details_type = _DETAILS_TYPES.get(data["kind"])
        data["details"] = (
            None if details is None or details_type is None else _from_plain(details_type, details)
        )
        data["origin"] = Origin(**data.get("origin") or {})
        return cls(**data)

    @classmethod
    def from_summary(cls, summary: JobSummary, *, region: str, account_name: str | None = None) -> JobReport:
        """A report for a transition that needs no describe call (STOPPED, started)."""
        return cls(
            account_name=account_name,
            name=summary.name,
            status=summary.status,
            region=region,
            kind=summary.kind,
            job_type=summary.job_type,
            model=summary.model,
            created_at=summary.created_at,
            completed_at=summary.completed_at,
            last_modified=summary.last_modified,
            failure_reason=summary.failure_reason,
            origin=summary.origin,
        )

    def summary(self) -> JobSummary:
        return JobSummary(
            name=self.name,
            status=self.status,
            kind=self.kind,
            origin=self.origin,
            last_modified=self.last_modified or self.completed_at or self.created_at or _EPOCH,
            created_at=self.created_at,
            completed_at=self.completed_at,
            job_type=self.job_type,
            model=self.model,
            failure_reason=self.failure_reason,
        )


def _from_plain(cls: type, data: Any) -> Any:
    """A frozen dataclass from its ``asdict`` form: nested dataclasses and tuples restored by type hint."""
    hints = typing.get_type_hints(cls, globalns=globals())  # this module's types, however it was loaded
    values = {}
    for item in fields(cls):
        if item.name in data:
            values[item.name] = _restore(hints[item.name], data[item.name])
    return cls(**values)


def _restore(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    arguments = typing.get_args(hint)
    if origin is tuple:
        if len(arguments) == 2 and arguments[1] is Ellipsis:
            return tuple(_restore(arguments[0], item) for item in value)
        return tuple(_restore(argument, item) for argument, item in zip(arguments, value, strict=True))
    if origin in (types.UnionType, typing.Union):
        real = [argument for argument in arguments if argument is not type(None)]
        return _restore(real[0], value) if len(real) == 1 else value
    if is_dataclass(hint):
        return _from_plain(hint, value)
    return value


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _recommendation_from_json(item: dict[str, Any]) -> Recommendation:
    serverless = item.get("serverless")
    return Recommendation(
        **{
            **item,
            "environment": tuple(tuple(pair) for pair in item["environment"]),
            "serverless": None if serverless is None else ServerlessConfig(**serverless),
        }
    )


def _encode_datetime(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


def _parse_datetime(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# --- Reading SageMaker's response shapes (plain dicts, as boto3 returns them) ----------------


def _number(value: Any) -> float | None:
    """A metric as a float, or None where the API gave NaN, nothing, or something unreadable."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number


def _whole(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else round(number)


def _latency(value: Any) -> int | None:
    """ModelLatency in milliseconds; a value no real-time invocation can take is another unit."""
    latency = _whole(value)
    return None if latency is None or not 0 <= latency <= MAX_PLAUSIBLE_LATENCY_MS else latency


def _text(value: Any) -> str | None:
    return str(value) if value else None


def _utc(value: Any) -> datetime | None:
    """A moment in UTC. boto3 gives the machine's local zone (tzlocal), which is UTC only on Lambda."""
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return None


def summary_from_listing(item: Mapping[str, Any]) -> JobSummary:
    """One entry of ListInferenceRecommendationsJobs; its LastModifiedTime is its place on the cursor."""
    last_modified = _utc(item.get("LastModifiedTime")) or _utc(item.get("CreationTime")) or _EPOCH
    return JobSummary(
        name=item["JobName"],
        status=str(item.get("Status") or "UNKNOWN"),
        last_modified=last_modified,
        cursor_time=last_modified,
        created_at=_utc(item.get("CreationTime")),
        completed_at=_utc(item.get("CompletionTime")),
        job_type=item.get("JobType"),
        model=item.get("ModelName") or item.get("ModelPackageVersionArn"),
        failure_reason=item.get("FailureReason"),
    )


def report_from_description(response: Mapping[str, Any], *, region: str) -> JobReport:
    """DescribeInferenceRecommendationsJob, tolerant of missing optional fields and NaN metrics."""
    input_config = response.get("InputConfig") or {}
    stopping = response.get("StoppingConditions") or {}
    return JobReport(
        name=response["JobName"],
        status=str(response.get("Status") or "UNKNOWN"),
        region=region,
        job_type=response.get("JobType"),
        model=input_config.get("ModelName") or input_config.get("ModelPackageVersionArn"),
        description=response.get("JobDescription") or None,
        created_at=_utc(response.get("CreationTime")),
        completed_at=_utc(response.get("CompletionTime")),
        last_modified=_utc(response.get("LastModifiedTime")),
        failure_reason=response.get("FailureReason"),
        recommendations=tuple(
            _recommendation(item) for item in response.get("InferenceRecommendations") or () if item
        ),
        endpoint_performances=tuple(
            _endpoint_performance(item, input_config)
            for item in response.get("EndpointPerformances") or ()
            if item
        ),
        latency_thresholds=tuple(
            LatencyThreshold(percentile=str(item["Percentile"]), value_ms=int(item["ValueInMilliseconds"]))
            for item in stopping.get("ModelLatencyThresholds") or ()
            if item and "Percentile" in item and _whole(item.get("ValueInMilliseconds")) is not None
        ),
        max_invocations_target=_whole(stopping.get("MaxInvocations")),
    )


def _endpoint_performance(item: Mapping[str, Any], input_config: Mapping[str, Any]) -> EndpointPerformance:
    """An existing endpoint's benchmark. A job names at most one endpoint (InputConfig.Endpoints),
    so when the result does not carry the name, the job's own request says which endpoint it was."""
    metrics = item.get("Metrics") or {}
    requested = [endpoint.get("EndpointName") for endpoint in input_config.get("Endpoints") or () if endpoint]
    name = (item.get("EndpointInfo") or {}).get("EndpointName")
    if not name and len(requested) == 1:
        name = requested[0]
    return EndpointPerformance(
        endpoint_name=str(name or "existing endpoint (name not given)"),
        max_invocations=_whole(metrics.get("MaxInvocations")),
        model_latency_ms=_latency(metrics.get("ModelLatency")),
    )


def _serverless(endpoint: Mapping[str, Any]) -> ServerlessConfig | None:
    config = endpoint.get("ServerlessConfig")
    if not config:
        return None
    return ServerlessConfig(
        memory_mb=_whole(config.get("MemorySizeInMB")),
        max_concurrency=_whole(config.get("MaxConcurrency")),
        provisioned_concurrency=_whole(config.get("ProvisionedConcurrency")),
    )


def _configuration(endpoint: Mapping[str, Any]) -> str | None:
    """The configuration a benchmark ran on, without a count: ``ml.c5.large``, ``serverless 2048 MB``."""
    serverless = _serverless(endpoint)
    if serverless is not None:
        return configuration_label(None, None, serverless)
    return _text(endpoint.get("InstanceType"))


def _recommendation(item: Mapping[str, Any]) -> Recommendation:
    metrics = item.get("Metrics") or {}
    endpoint = item.get("EndpointConfiguration") or {}
    model = item.get("ModelConfiguration") or {}
    return Recommendation(
        instance_type=_text(endpoint.get("InstanceType")),
        instance_count=_whole(endpoint.get("InitialInstanceCount")),
        serverless=_serverless(endpoint),
        compilation_job=_text(model.get("CompilationJobName")),
        inference_specification=_text(model.get("InferenceSpecificationName")),
        cost_per_hour=_number(metrics.get("CostPerHour")),
        cost_per_inference=_number(metrics.get("CostPerInference")),
        max_invocations=_whole(metrics.get("MaxInvocations")),
        model_latency_ms=_latency(metrics.get("ModelLatency")),
        cpu_utilization=_number(metrics.get("CpuUtilization")),
        memory_utilization=_number(metrics.get("MemoryUtilization")),
        environment=tuple(
            (str(param.get("Key")), str(param.get("Value")))
            for param in model.get("EnvironmentParameters") or ()
            if param and param.get("Key") is not None
        ),
        recommendation_id=item.get("RecommendationId"),
    )


def benchmarks_from_steps(steps: Iterable[Mapping[str, Any]]) -> BenchmarkOutcome:
    """ListInferenceRecommendationsJobSteps' BENCHMARK steps: how many ran, which failed and why.

    Failures are grouped by their exact reason, each with the configurations it hit, so a
    reader sees "2 x out of memory on ml.c5.large, ml.c5.xlarge" rather than a list of steps.
    """
    total = 0
    groups: dict[str, list[str | None]] = {}
    for step in steps:
        if not step or step.get("StepType", "BENCHMARK") != "BENCHMARK":
            continue
        total += 1
        if step.get("Status") != FAILED:
            continue
        benchmark = step.get("InferenceBenchmark") or {}
        reason = " ".join(str(benchmark.get("FailureReason") or "no reason given").split())
        groups.setdefault(reason, []).append(_configuration(benchmark.get("EndpointConfiguration") or {}))
    failures = sorted(
        (
            BenchmarkFailure(
                reason=reason,
                count=len(configurations),
                configurations=tuple(dict.fromkeys(item for item in configurations if item is not None)),
            )
            for reason, configurations in groups.items()
        ),
        key=lambda failure: -failure.count,
    )
    return BenchmarkOutcome(
        total=total, failed=sum(failure.count for failure in failures), failures=tuple(failures)
    )


# --- Ranking ------------------------------------------------------------------------------------


def rank(recommendations: Iterable[Recommendation], objective: str) -> list[Recommendation]:
    """Best first for the objective; a recommendation missing the objective's metric sorts last.

    cost: lowest cost per inference; latency: lowest model latency; throughput: most invocations
    per minute. Ties fall back to the lower hourly cost, then the configuration, so the order is stable.
    """

    def key(item: Recommendation) -> tuple[bool, float, float, str]:
        if objective == "latency":
            primary = item.model_latency_ms
        elif objective == "throughput":
            primary = None if item.max_invocations is None else -item.max_invocations
        else:
            primary = item.cost_per_inference
        hourly = item.cost_per_hour
        return (
            primary is None,
            0.0 if primary is None else float(primary),
            math.inf if hourly is None else hourly,
            item.configuration,
        )

    return sorted(recommendations, key=key)


# --- Transition decisions -----------------------------------------------------------------------


class Action(Enum):
    UNCHANGED = "unchanged"  # nothing new: no write, no message
    TRACK = "track"  # record the status silently
    NOTIFY = "notify"  # record the status and send one message per channel
    DROP = "drop"  # the job is going away: forget it


@dataclass(frozen=True, kw_only=True)
class KnownJob:
    """What the state table remembers of a job."""

    name: str
    status: str
    kind: str = INFERENCE_RECOMMENDER
    last_modified: datetime | None = None
    created_at: datetime | None = None
    origin: Origin = HOME

    @property
    def key(self) -> JobKey:
        return JobKey(self.kind, self.name, self.origin)


@dataclass(frozen=True, kw_only=True)
class Decision:
    action: Action
    summary: JobSummary
    previous: KnownJob | None = None
    reason: str = ""

    @property
    def needs_details(self) -> bool:
        return self.action is Action.NOTIFY and self.summary.status in DETAILED_STATUSES


def decide(
    summary: JobSummary, known: KnownJob | None, *, baseline: bool, notify_started: bool = False
) -> Decision:
    """What one observation of a job means, given what was seen of it before.

    ``baseline`` is true while the monitor records its first view of the account: what had
    already happened by then is history, not news.
    """
    status = summary.status
    if status in GONE_STATUSES:
        action = Action.UNCHANGED if known is None else Action.DROP
        return Decision(action=action, summary=summary, previous=known, reason=f"job is {status}")
    if known is not None and known.status == status:
        return Decision(action=Action.UNCHANGED, summary=summary, previous=known)
    if known is not None and _moves_back(known.status, status):
        return Decision(
            action=Action.UNCHANGED,
            summary=summary,
            previous=known,
            reason=f"stale read: {known.status} before",
        )
    if baseline:
        return Decision(action=Action.TRACK, summary=summary, previous=known, reason="baseline")
    if is_terminal(status):
        return Decision(action=Action.NOTIFY, summary=summary, previous=known, reason="finished")
    was_waiting = known is None or known.status == PENDING
    if status == IN_PROGRESS and notify_started and was_waiting:
        return Decision(action=Action.NOTIFY, summary=summary, previous=known, reason="started")
    return Decision(action=Action.TRACK, summary=summary, previous=known, reason="still running")


def _moves_back(known: str, observed: str) -> bool:
    """A status a job cannot reach from ``known``: a stale read, never news.

    A finished job never leaves its terminal status (a describe would still say it), and a
    running job never waits again; believing such a listing would announce the finish twice.
    """
    if is_terminal(known):
        return True
    return (
        observed in _LIFECYCLE_STEP
        and known in _LIFECYCLE_STEP
        and _LIFECYCLE_STEP[observed] < _LIFECYCLE_STEP[known]
    )


def with_status(report: JobReport, summary: JobSummary) -> JobReport:
    """Pin a described report to the status the transition was detected at.

    The describe call comes after the list call; if the job moved on in between, the message
    still names the status that was claimed, so the exactly-once key stays consistent.
    """
    if report.status == summary.status:
        return report
    return replace(report, status=summary.status)


@dataclass(kw_only=True)
class ChannelOutcome:
    sent: int = 0
    failed: int = 0
    abandoned: int = 0


@dataclass(kw_only=True)
class TickReport:
    """What one tick did, for logs, metrics and tests."""

    listed: int = 0
    transitions: int = 0  # to COMPLETED, FAILED or STOPPED, claimed by this tick
    started: int = 0  # jobs seen running whose start was announced (a thread opened, NOTIFY_STARTED)
    tracked: int = 0
    dropped: int = 0
    reconciled: int = 0
    errors: int = 0
    deferred: int = 0
    implausible_timestamps: int = 0
    baseline: bool = False
    channels: dict[str, ChannelOutcome] = field(default_factory=dict)
    # Per source (account/region/kind): 1 when it could not be read this tick, else 0.
    sources: dict[str, int] = field(default_factory=dict)

    def channel(self, name: str) -> ChannelOutcome:
        return self.channels.setdefault(name, ChannelOutcome())
