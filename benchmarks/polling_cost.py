"""Polling cost: what one tick asks of SageMaker and DynamoDB as history and running jobs grow.

    ./jobwatch bench           # 3 history sizes x 2 running counts, 12 measured ticks per cell
    ./jobwatch bench --quick   # 4 measured ticks per cell
    ./jobwatch bench --sources # the sweep over sources (1, 4, 16 and 64 account x region pairs) instead

Each cell stands up the simulator with a history of finished jobs and a sweep of running jobs of
one kind (Inference Recommender or AI recommendation), five of which finish every tick (and five
new ones start), with a fixed latency on every SageMaker call. The synthesized function (the real
handler, with the stack's environment: both kinds watched) and a naive poller of that kind that
lists everything and describes every running job it tracks then take turns on the same simulated
clock, in the same process. Per tick it counts the HTTP requests each sends to
SageMaker and DynamoDB (retries included) and its wall time. Then a fresh interpreter imports the
handler and runs one tick, for the cold-start import time and the peak memory of a tick.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import time_machine
from botocore.config import Config

from benchmarks.clocks import next_tick
from local.organization import SimulatedOrganization, account_of_key
from local.sandbox import (
    FAKE_CREDENTIALS,
    LocalCloud,
    LocalFunction,
    Provisioned,
    SynthesizedStack,
    endpoint_variables,
    provision,
    synthesize,
)
from local.simulator import InferenceRecommenderSimulator, SimulatedClock
from local.slack_receiver import SlackReceiver
from local.story import TICK_SECONDS

KINDS = ("inference-recommender", "ai-recommendation")
HISTORY_SIZES = (0, 2_000, 20_000)
RUNNING_COUNTS = (10, 200)
TRANSITIONS_PER_TICK = 5
OUTCOMES = ("COMPLETED", "COMPLETED", "COMPLETED", "FAILED", "STOPPED")  # one tick's five endings
LATENCY_SECONDS = 0.020
WARMUP_TICKS = 2  # the baseline, and the first tick after it, which lists the baseline's overlap
CONTEXT = {"notify_emails": "bench@example.com", "slack_webhook_secret_name": "jobwatch/bench-slack"}
PROBE = Path(__file__).with_name("cold_start_probe.py")
# The sources sweep: (member accounts, regions) giving 1, 4, 16 and 64 sources of Inference
# Recommender jobs.
SOURCE_LAYOUTS = ((0, 1), (1, 2), (3, 4), (15, 4))
SWEEP_REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2")
SWEEP_RUNNING = 10  # per source
MEMBER_ACCOUNTS = tuple(f"{index:012d}" for index in range(222222222222, 222222222222 + 15))
# What one tick may take: the function's timeout (infra/monitor.py) less the default safety margin.
TICK_BUDGET_SECONDS = 120 - 15


@dataclass
class TickFigures:
    sagemaker: Counter[str] = field(default_factory=Counter)  # requests by operation
    dynamodb: int = 0
    seconds: float = 0.0
    transitions: int = 0
    reconciled: int = 0  # running jobs re-described by reconciliation (jobwatch only)


@dataclass(frozen=True, kw_only=True)
class KindApi:
    """One kind's list and describe calls, as the request counter and the naive poller see them."""

    list_operation: str
    describe_operation: str
    paginator: str
    jobs_key: str
    name_key: str
    status_key: str
    describe_method: str
    describe_argument: str
    terminal: frozenset[str]


API = {
    "inference-recommender": KindApi(
        list_operation="ListInferenceRecommendationsJobs",
        describe_operation="DescribeInferenceRecommendationsJob",
        paginator="list_inference_recommendations_jobs",
        jobs_key="InferenceRecommendationsJobs",
        name_key="JobName",
        status_key="Status",
        describe_method="describe_inference_recommendations_job",
        describe_argument="JobName",
        terminal=frozenset({"COMPLETED", "FAILED", "STOPPED", "DELETED"}),
    ),
    "ai-recommendation": KindApi(
        list_operation="ListAIRecommendationJobs",
        describe_operation="DescribeAIRecommendationJob",
        paginator="list_ai_recommendation_jobs",
        jobs_key="AIRecommendationJobs",
        name_key="AIRecommendationJobName",
        status_key="AIRecommendationJobStatus",
        describe_method="describe_ai_recommendation_job",
        describe_argument="AIRecommendationJobName",
        terminal=frozenset({"Completed", "Failed", "Stopped"}),
    ),
}


@dataclass
class CellResult:
    kind: str
    history: int
    running: int
    jobwatch: list[TickFigures] = field(default_factory=list)
    naive: list[TickFigures] = field(default_factory=list)


class RequestCounter:
    """Counts every HTTP request a botocore session sends, retries included, by service/operation."""

    def __init__(self) -> None:
        self.requests: Counter[tuple[str, str]] = Counter()

    def attach(self, session: boto3.session.Session) -> None:
        session.events.register("before-send", self._count)

    def _count(self, event_name: str, **_: Any) -> None:
        _, service, operation = event_name.split(".", 2)
        self.requests[(service, operation)] += 1

    @contextlib.contextmanager
    def measure(self, figures: TickFigures) -> Iterator[None]:
        before = self.requests.copy()
        started = time.perf_counter()
        yield
        figures.seconds = time.perf_counter() - started
        for (service, operation), count in (self.requests - before).items():
            if service == "sagemaker":
                figures.sagemaker[operation] += count
            elif service == "dynamodb":
                figures.dynamodb += count


class NaivePoller:
    """The poller jobwatch is not: every tick lists all history and describes every running job.

    Not a strawman: it pages at 100, reads its state in batches of 100 keys and describes with the
    same bounded pool as jobwatch. It sends no notifications, so its tick time is only polling.
    """

    def __init__(
        self, session: boto3.session.Session, *, api: KindApi, endpoints: dict[str, str], table_name: str
    ) -> None:
        self._api = api
        retries = Config(retries={"mode": "standard", "max_attempts": 5})
        self._sagemaker = session.client("sagemaker", endpoint_url=endpoints["sagemaker"], config=retries)
        self._dynamodb = session.client("dynamodb", endpoint_url=endpoints["dynamodb"], config=retries)
        self._table = table_name
        self._dynamodb.create_table(
            TableName=table_name,
            KeySchema=[{"AttributeName": "job_name", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "job_name", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )

    def tick(self) -> int:
        """One poll; returns the terminal transitions it saw."""
        listed: dict[str, str] = {}
        api = self._api
        paginator = self._sagemaker.get_paginator(api.paginator)
        for page in paginator.paginate(PaginationConfig={"PageSize": 100}):
            for job in page[api.jobs_key]:
                listed[job[api.name_key]] = job[api.status_key]
        known = self._load(list(listed))
        if not known:  # first poll: remember everything, announce nothing
            self._save(listed)
            return 0
        tracked = [name for name in listed if known.get(name) not in api.terminal]
        with ThreadPoolExecutor(max_workers=8) as pool:
            described = dict(zip(tracked, pool.map(self._status, tracked), strict=True))
        changed = {name: status for name, status in described.items() if status != known.get(name)}
        self._save(changed)
        return sum(status in self._api.terminal for status in changed.values())

    def _status(self, name: str) -> str:
        describe = getattr(self._sagemaker, self._api.describe_method)
        return describe(**{self._api.describe_argument: name})[self._api.status_key]

    def _load(self, names: list[str]) -> dict[str, str]:
        known: dict[str, str] = {}
        for start in range(0, len(names), 100):
            keys: list[dict[str, Any]] = [{"job_name": {"S": name}} for name in names[start : start + 100]]
            while keys:
                response = self._dynamodb.batch_get_item(RequestItems={self._table: {"Keys": keys}})
                for item in response["Responses"].get(self._table, []):
                    known[item["job_name"]["S"]] = item["status"]["S"]
                keys = response.get("UnprocessedKeys", {}).get(self._table, {}).get("Keys", [])
        return known

    def _save(self, statuses: dict[str, str]) -> None:
        items = [
            {"PutRequest": {"Item": {"job_name": {"S": name}, "status": {"S": status}}}}
            for name, status in statuses.items()
        ]
        for start in range(0, len(items), 25):
            batch = items[start : start + 25]
            while batch:
                response = self._dynamodb.batch_write_item(RequestItems={self._table: batch})
                batch = response.get("UnprocessedItems", {}).get(self._table, [])


def schedule_sweep(simulator: InferenceRecommenderSimulator, *, kind: str, running: int, ticks: int) -> None:
    """Jobs that keep ``running`` in flight, ``TRANSITIONS_PER_TICK`` of them finishing each tick."""
    start = simulator.clock.now()
    lifetime_ticks = running // TRANSITIONS_PER_TICK
    # Jobs that end during tick t (0-based) were created lifetime_ticks earlier; those that end in
    # the first lifetime_ticks are the ones already running at the start.
    for tick in range(ticks + lifetime_ticks):
        for index, outcome in enumerate(OUTCOMES):
            ends = start + timedelta(seconds=tick * TICK_SECONDS + 30 + index * 40)
            created = ends - timedelta(seconds=lifetime_ticks * TICK_SECONDS)
            if kind == "ai-recommendation":
                simulator.add_ai_job(
                    f"llm-t{tick + lifetime_ticks:04d}-{index}",
                    outcome=outcome,
                    created_at=created,
                    run_seconds=lifetime_ticks * TICK_SECONDS,
                )
                continue
            simulator.add_job(
                f"sweep-t{tick + lifetime_ticks:04d}-{index}",
                outcome=outcome,
                created_at=created,
                pending_seconds=30,
                run_seconds=lifetime_ticks * TICK_SECONDS - 30,
                job_type="Advanced" if index == 1 else "Default",
            )


def run_cell(
    stack: SynthesizedStack, *, kind: str, history: int, running: int, ticks: int, probe: bool
) -> tuple[CellResult, dict[str, Any] | None]:
    """One cell of the table; with ``probe``, the cold-start probe runs against this cell too."""
    result = CellResult(kind=kind, history=history, running=running)
    clock = SimulatedClock()
    simulator = InferenceRecommenderSimulator(clock=clock, seed=history + running)
    if kind == "ai-recommendation":
        simulator.add_finished_ai_jobs(history)
    else:
        simulator.add_finished_jobs(history)
    schedule_sweep(simulator, kind=kind, running=running, ticks=WARMUP_TICKS + ticks)
    simulator.faults.latency_seconds = LATENCY_SECONDS
    counter = RequestCounter()
    probe_figures = None
    with (
        LocalCloud() as cloud,
        simulator,
        SlackReceiver() as slack,
        time_machine.travel(clock.now(), tick=True) as traveller,
    ):
        provisioned = provision(stack, cloud, slack_secret_value=json.dumps({"webhook_url": slack.url}))
        boto3.setup_default_session()  # the function's clients come from the default session
        counter.attach(boto3.DEFAULT_SESSION)
        naive_session = cloud.session()
        counter.attach(naive_session)
        naive = NaivePoller(
            naive_session,
            api=API[kind],
            endpoints={"sagemaker": simulator.endpoint_url, "dynamodb": cloud.endpoint_url},
            table_name="naive-poller-state",
        )
        endpoints = endpoint_variables(cloud, simulator.endpoint_url)
        with LocalFunction.of_stack(stack, provisioned, endpoints=endpoints) as function:
            for measured in _ticks(clock, traveller, ticks):
                ours, theirs = TickFigures(), TickFigures()
                with counter.measure(ours):
                    report = function.invoke()
                ours.transitions, ours.reconciled = report["transitions"], report["reconciled"]
                with counter.measure(theirs):
                    theirs.transitions = naive.tick()
                if measured:
                    result.jobwatch.append(ours)
                    result.naive.append(theirs)
                    _progress(result, len(result.jobwatch), ticks)
        if probe:
            probe_figures = cold_start(stack.asset_dir(), provisioned, endpoints)
    boto3.setup_default_session()
    return result, probe_figures


@dataclass
class SourcesResult:
    sources: int
    ticks: list[TickFigures] = field(default_factory=list)


def run_sources_cell(workdir: Path, *, accounts: int, regions: int, ticks: int) -> SourcesResult:
    """One hub over ``(1 + accounts) x regions`` sources, each with its own sweep of running jobs.

    SageMaker requests are counted where they arrive, in each account's and region's simulator,
    so calls made with a member account's assumed credentials count too.
    """
    members = MEMBER_ACCOUNTS[:accounts]
    watched = SWEEP_REGIONS[:regions]
    context = {**CONTEXT, "job_kinds": "inference-recommender"}
    if accounts or regions > 1:
        context |= {"regions": ",".join(watched)} | ({"accounts": ",".join(members)} if members else {})
    stack = synthesize(context, workdir / f"cdk-{accounts}-{regions}.out")
    result = SourcesResult(sources=(1 + accounts) * regions)
    clock = SimulatedClock()
    with LocalCloud() as cloud, SlackReceiver() as slack:
        sts = cloud.client("sts")
        with (
            SimulatedOrganization(clock=clock, account_of=account_of_key(cloud.endpoint_url)) as org,
            time_machine.travel(clock.now(), tick=True) as traveller,
        ):
            worlds = []
            for account in (sts.get_caller_identity()["Account"], *members):
                for region in watched:
                    world = org.at(account, region)
                    schedule_sweep(
                        world, kind="inference-recommender", running=SWEEP_RUNNING, ticks=WARMUP_TICKS + ticks
                    )
                    world.faults.latency_seconds = LATENCY_SECONDS
                    worlds.append(world)
            provisioned = provision(stack, cloud, slack_secret_value=json.dumps({"webhook_url": slack.url}))
            endpoints = endpoint_variables(cloud, org.endpoint_url)
            with LocalFunction.of_stack(stack, provisioned, endpoints=endpoints) as function:
                for measured in _ticks(clock, traveller, ticks):
                    before = sum((world.call_counts for world in worlds), Counter())
                    started = time.perf_counter()
                    report = function.invoke()
                    figures = TickFigures(seconds=time.perf_counter() - started)
                    figures.sagemaker = sum((world.call_counts for world in worlds), Counter()) - before
                    figures.transitions = report["transitions"]
                    if measured:
                        result.ticks.append(figures)
    print(f"bench: {result.sources} sources: {ticks} ticks measured", file=sys.stderr, flush=True)
    return result


def sources_table(results: list[SourcesResult]) -> str:
    """Calls and tick time per number of sources, with the bound O(changes) promises."""
    lines = [
        "| sources | SageMaker req/tick p50 (max) | listings | describes + steps | bound: sources + changed jobs x 2"
        " | transitions/tick | tick ms p50 (max) | ms per source |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        requests = [sum(t.sagemaker.values()) for t in result.ticks]
        lists = statistics.median(t.sagemaker["ListInferenceRecommendationsJobs"] for t in result.ticks)
        details = statistics.median(
            t.sagemaker["DescribeInferenceRecommendationsJob"]
            + t.sagemaker["ListInferenceRecommendationsJobSteps"]
            for t in result.ticks
        )
        transitions = statistics.median(t.transitions for t in result.ticks)
        milliseconds = [t.seconds * 1000 for t in result.ticks]
        lines.append(
            f"| {result.sources} | {statistics.median(requests):.0f} ({max(requests)}) | {lists:.0f} "
            f"| {details:.0f} | {result.sources + 2 * transitions:.0f} | {transitions:.0f} "
            f"| {statistics.median(milliseconds):.0f} ({max(milliseconds):.0f}) "
            f"| {statistics.median(milliseconds) / result.sources:.0f} |"
        )
    return "\n".join(lines)


def sources_limit(results: list[SourcesResult]) -> str:
    """Where one tick stops covering every source: a straight line through the measured tick times."""
    first, last = results[0], results[-1]
    slope = (
        statistics.median(t.seconds for t in last.ticks) - statistics.median(t.seconds for t in first.ticks)
    ) / (last.sources - first.sources)
    fixed = statistics.median(t.seconds for t in first.ticks) - slope * first.sources
    limit = (TICK_BUDGET_SECONDS - fixed) / slope if slope > 0 else float("inf")
    return (
        f"tick time ~ {fixed:.2f} s + {slope * 1000:.0f} ms per source ({SWEEP_RUNNING} running, "
        f"{TRANSITIONS_PER_TICK} finishing per tick each); a {TICK_BUDGET_SECONDS} s tick covers "
        f"about {limit:,.0f} sources at that rate"
    )


def cold_start(asset_dir: Path, provisioned: Provisioned, endpoints: dict[str, str]) -> dict[str, Any]:
    """A fresh interpreter per run, as a new Lambda container; medians of five imports."""
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        **FAKE_CREDENTIALS,
        "PYTHONPATH": str(asset_dir),
        **endpoints,
        **provisioned.environment,
    }
    runs = [_probe(environment, tick=True) for _ in range(5)]
    heaviest = _import_breakdown(environment)
    return {
        "import_seconds": statistics.median(run["import_seconds"] for run in runs),
        "import_seconds_min": min(run["import_seconds"] for run in runs),
        "rss_after_import_mib": statistics.median(run["rss_after_import_mib"] for run in runs),
        "peak_rss_mib": max(run["peak_rss_mib"] for run in runs),
        "first_tick_seconds": statistics.median(run["tick_seconds"] for run in runs),
        "heaviest_imports": heaviest,
    }


def _probe(
    environment: dict[str, str], *, tick: bool, interpreter_options: tuple[str, ...] = ()
) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, *interpreter_options, str(PROBE), *(["--tick"] if tick else [])],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        cwd=tempfile.gettempdir(),
    )
    line = next(line for line in completed.stderr.splitlines() if line.startswith('{"import_seconds"'))
    figures = json.loads(line)
    figures["stderr"] = completed.stderr
    return figures


def _import_breakdown(environment: dict[str, str]) -> list[tuple[str, float]]:
    """Where the handler's import time goes, by top-level package (``python -X importtime``).

    Sums each module's own time into its top-level package, so nesting is not double counted.
    """
    stderr = _probe(environment, tick=False, interpreter_options=("-X", "importtime"))["stderr"]
    by_package: Counter[str] = Counter()
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        own, _, name = line.removeprefix("import time:").split("|")
        by_package[name.strip().split(".")[0]] += int(own) / 1e6
    return by_package.most_common(6)


def _ticks(clock: SimulatedClock, traveller: time_machine.Traveller, measured: int) -> Iterator[bool]:
    """The warm-up ticks then ``measured`` ticks, each saying whether it is measured.

    Between two ticks the service's clock and the function's both move one tick on.
    """
    for tick in range(WARMUP_TICKS + measured):
        if tick:
            next_tick(clock, traveller)
        yield tick >= WARMUP_TICKS


def _progress(result: CellResult, done: int, ticks: int) -> None:
    print(
        f"bench: {result.kind} history {result.history:>6,} running {result.running:>3}: tick {done}/{ticks}",
        file=sys.stderr,
        flush=True,
    )


def table(cells: list[CellResult]) -> str:
    """A Markdown table: readable here, and pasted as it is into docs/benchmarks.md.

    "SageMaker req/tick" counts every request, the other kind's (empty) listing included; "list
    pages" and "describes" count the cell's kind only.
    """
    lines = [
        "| kind | history | running | poller | SageMaker req/tick p50 (min-max) | list pages | describes"
        " (reconciliation) | DynamoDB req/tick p50 (max) | tick ms p50 (max) | transitions/tick |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for cell in cells:
        p50s = {}
        api = API[cell.kind]
        for name, ticks in (("jobwatch", cell.jobwatch), ("naive", cell.naive)):
            sagemaker = [sum(t.sagemaker.values()) for t in ticks]
            lists = statistics.median(t.sagemaker[api.list_operation] for t in ticks)
            describes = statistics.median(t.sagemaker[api.describe_operation] for t in ticks)
            reconciled = (
                f" ({statistics.median(t.reconciled for t in ticks):.0f})" if name == "jobwatch" else ""
            )
            dynamodb = [t.dynamodb for t in ticks]
            milliseconds = [t.seconds * 1000 for t in ticks]
            p50s[name] = [statistics.median(values) for values in (sagemaker, dynamodb, milliseconds)]
            lines.append(
                f"| {cell.kind} | {cell.history:,} | {cell.running} | {name} "
                f"| {statistics.median(sagemaker):.0f} ({min(sagemaker)}-{max(sagemaker)}) "
                f"| {lists:.0f} | {describes:.0f}{reconciled} "
                f"| {statistics.median(dynamodb):.0f} ({max(dynamodb)}) "
                f"| {statistics.median(milliseconds):.0f} ({max(milliseconds):.0f}) "
                f"| {statistics.median(t.transitions for t in ticks):.0f} |"
            )
        ratios = [_ratio(theirs, ours) for theirs, ours in zip(p50s["naive"], p50s["jobwatch"], strict=True)]
        lines.append(f"| | | | naive / jobwatch | {ratios[0]} | | | {ratios[1]} | {ratios[2]} | |")
    return "\n".join(lines)


def _ratio(theirs: float, ours: float) -> str:
    return f"x{theirs / ours:.1f}" if ours else "-"


def cold_start_report(figures: dict[str, Any]) -> str:
    heaviest = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in figures["heaviest_imports"])
    return "\n".join(
        [
            "cold start (fresh interpreter, the asset folder only; 5 runs)",
            f"  handler import      {figures['import_seconds']:.2f} s median, {figures['import_seconds_min']:.2f} s best",
            f"  heaviest imports    {heaviest}",
            f"  RSS after import    {figures['rss_after_import_mib']:.0f} MiB",
            f"  peak RSS of a tick  {figures['peak_rss_mib']:.0f} MiB (first tick {figures['first_tick_seconds']:.2f} s)",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(prog="./jobwatch bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="4 measured ticks per cell instead of 12")
    parser.add_argument(
        "--sources", action="store_true", help="the sweep over 1, 4, 16 and 64 sources instead"
    )
    arguments = parser.parse_args()
    ticks = 4 if arguments.quick else 12
    started = time.monotonic()
    if arguments.sources:
        with tempfile.TemporaryDirectory(prefix="jobwatch-bench-") as workdir:
            results = [
                run_sources_cell(Path(workdir), accounts=accounts, regions=regions, ticks=ticks)
                for accounts, regions in SOURCE_LAYOUTS
            ]
        print(
            f"polling cost per tick by sources: {ticks} measured ticks after 2 warm-up ticks, "
            f"{LATENCY_SECONDS * 1000:.0f} ms per SageMaker call"
        )
        print(sources_table(results))
        print(sources_limit(results))
        print(f"\nwall time {time.monotonic() - started:.0f} s")
        return 0
    cells = []
    probe_figures: dict[str, Any] | None = None
    with tempfile.TemporaryDirectory(prefix="jobwatch-bench-") as workdir:
        stack = synthesize(CONTEXT, Path(workdir) / "cdk.out")
        for kind in KINDS:
            for history in HISTORY_SIZES:  # LocalFunction keeps the function's logs and metrics
                for running in RUNNING_COUNTS:
                    probe = (
                        kind == KINDS[0] and history == HISTORY_SIZES[-1] and running == RUNNING_COUNTS[-1]
                    )
                    cell, figures = run_cell(
                        stack, kind=kind, history=history, running=running, ticks=ticks, probe=probe
                    )
                    cells.append(cell)
                    probe_figures = figures or probe_figures
    print(
        f"polling cost per tick: {ticks} measured ticks per cell after 2 warm-up ticks, "
        f"{TRANSITIONS_PER_TICK} jobs finishing per tick, {LATENCY_SECONDS * 1000:.0f} ms per SageMaker call"
    )
    print(table(cells))
    if probe_figures:
        print()
        print(cold_start_report(probe_figures))
    print(f"\nwall time {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
