"""The short story of jobs that the demo plays and the end-to-end tests assert on.

Inference Recommender jobs and AI recommendation jobs both play. Each job is scripted on the
simulator's clock; ``expected`` says which (job, status) messages a
correct monitor delivers on every channel, so the demo and the tests share one definition.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from local.simulator import SERVERLESS, InferenceRecommenderSimulator, SimulatedClock

TICK_SECONDS = 300
STORY_START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
HOSTILE_FAILURE = (
    "<!channel> ClientError: An error occurred (ValidationException) when calling the "
    "CreateEndpoint operation: <https://evil.example/login|Click here to re-authenticate> @here "
    "*urgent* `rm -rf` — the model container exited with code 137 (OOMKilled) while loading "
    "s3://ml-artifacts/llama/model.tar.gz. " + "Traceback line. " * 200
)
OUT_OF_MEMORY = (
    "Benchmark failed: the model container was killed for exceeding the instance's memory (exit code 137)."
)


INFERENCE_RECOMMENDER = "inference-recommender"
AI_RECOMMENDATION = "ai-recommendation"


@dataclass(frozen=True, kw_only=True)
class ScriptedJob:
    name: str
    outcome: str  # COMPLETED | FAILED | STOPPED
    kind: str = INFERENCE_RECOMMENDER
    created_after_ticks: float  # when the job is created, in ticks after the monitor's first run
    runs_for_ticks: float
    job_type: str = "Default"
    failure_reason: str | None = None
    endpoints: tuple[str, ...] = ()
    serverless: bool = False
    compiled: bool = False
    failed_benchmarks: tuple[tuple[str, str], ...] = ()
    goal: str = "ttft-ms"  # an AI recommendation job's PerformanceTarget metric
    adapters: tuple[str, ...] = ()  # an AI recommendation job's LoRA adapters
    note: str = ""


STORY: tuple[ScriptedJob, ...] = (
    ScriptedJob(
        name="bert-base-uncased-sweep",
        outcome="COMPLETED",
        created_after_ticks=-0.5,
        runs_for_ticks=1.5,
        note="running when jobwatch starts, completes on tick 2",
    ),
    ScriptedJob(
        name="resnet50-vs-production",
        outcome="COMPLETED",
        created_after_ticks=-0.2,
        runs_for_ticks=2.6,
        job_type="Advanced",
        endpoints=("resnet50-prod",),
        note="an Advanced job compared with an existing endpoint",
    ),
    ScriptedJob(
        name="llama-7b-int8",
        outcome="FAILED",
        created_after_ticks=0.3,
        runs_for_ticks=1.4,
        failure_reason=HOSTILE_FAILURE,
        note="fails with a failure reason that tries to ping the channel and forge a link",
    ),
    ScriptedJob(
        name="xgboost-churn-nightly",
        outcome="STOPPED",
        created_after_ticks=0.1,
        runs_for_ticks=2.2,
        note="stopped by its owner",
    ),
    ScriptedJob(
        name="distilbert-quick",
        outcome="COMPLETED",
        created_after_ticks=1.2,
        runs_for_ticks=0.6,
        note="created and finished between two ticks",
    ),
    ScriptedJob(
        name="distilbert-serverless",
        outcome="COMPLETED",
        created_after_ticks=0.5,
        runs_for_ticks=1.8,
        serverless=True,
        note="recommends serverless configurations next to instances",
    ),
    ScriptedJob(
        name="resnet18-neo",
        outcome="COMPLETED",
        created_after_ticks=0.8,
        runs_for_ticks=1.5,
        compiled=True,
        note="a Neo-compiled recommendation next to its uncompiled twin",
    ),
    ScriptedJob(
        name="gpt2-medium-sizing",
        outcome="COMPLETED",
        created_after_ticks=1.0,
        runs_for_ticks=2.0,
        failed_benchmarks=(
            ("ml.c5.large", OUT_OF_MEMORY),
            ("ml.c5.xlarge", OUT_OF_MEMORY),
            (
                SERVERLESS,
                "Benchmark failed: the model exceeds the serverless endpoint's 10 GB container limit.",
            ),
        ),
        note="completes although 3 of its benchmarks failed",
    ),
    ScriptedJob(
        name="llama31-8b-chat-sizing",
        kind=AI_RECOMMENDATION,
        outcome="COMPLETED",
        created_after_ticks=-0.4,
        runs_for_ticks=1.8,
        goal="ttft-ms",
        note="an AI recommendation job for an LLM endpoint, ranked by time to first token",
    ),
    ScriptedJob(
        name="mistral-7b-lora-adapters",
        kind=AI_RECOMMENDATION,
        outcome="COMPLETED",
        created_after_ticks=0.6,
        runs_for_ticks=2.1,
        goal="cost",
        adapters=("support-bot", "sql-bot"),
        note="an AI recommendation job with LoRA adapters, ranked by cost",
    ),
    ScriptedJob(
        name="llama31-70b-capacity",
        kind=AI_RECOMMENDATION,
        outcome="FAILED",
        created_after_ticks=1.1,
        runs_for_ticks=1.2,
        failure_reason="No capacity for the requested instance types (ml.p4d.24xlarge) in eu-west-1.",
        note="an AI recommendation job that fails",
    ),
)
HISTORY = ("legacy-sweep-2025-01", "legacy-sweep-2025-02", "legacy-failed-2025-03")
AI_HISTORY = ("llm-sizing-2026-03", "llm-sizing-2026-04")
TICKS = 5


def expected() -> set[tuple[str, str]]:
    """Every (job, status) a correct monitor announces: the story's endings, never the history."""
    return {(job.name, job.outcome) for job in STORY}


def build_world(seed: int = 7) -> tuple[SimulatedClock, InferenceRecommenderSimulator]:
    """A simulator with months of finished history of both kinds and the story's jobs scheduled on its clock."""
    clock = SimulatedClock(start=STORY_START)
    simulator = InferenceRecommenderSimulator(clock=clock, seed=seed)
    for index, name in enumerate(HISTORY):
        simulator.add_job(
            name,
            outcome="FAILED" if "failed" in name else "COMPLETED",
            created_at=STORY_START - timedelta(days=300 - 30 * index),
            pending_seconds=60,
            run_seconds=3600,
            failure_reason="legacy failure" if "failed" in name else None,
        )
    for index, name in enumerate(AI_HISTORY):
        simulator.add_ai_job(name, created_at=STORY_START - timedelta(days=60 - 20 * index), run_seconds=3600)
    for job in STORY:
        if job.kind == AI_RECOMMENDATION:
            simulator.add_ai_job(
                job.name,
                outcome=job.outcome,
                created_at=STORY_START + timedelta(seconds=job.created_after_ticks * TICK_SECONDS),
                run_seconds=job.runs_for_ticks * TICK_SECONDS,
                failure_reason=job.failure_reason,
                goal=job.goal,
                adapters=job.adapters,
            )
            continue
        simulator.add_job(
            job.name,
            outcome=job.outcome,
            created_at=STORY_START + timedelta(seconds=job.created_after_ticks * TICK_SECONDS),
            pending_seconds=30,
            run_seconds=job.runs_for_ticks * TICK_SECONDS - 30,
            job_type=job.job_type,
            failure_reason=job.failure_reason,
            endpoints=job.endpoints,
            serverless=job.serverless,
            compiled=job.compiled,
            failed_benchmarks=job.failed_benchmarks,
        )
    return clock, simulator
