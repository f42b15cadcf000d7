"""jobwatch's operator commands: see and prove what a deployed monitor does, with your own AWS credentials.

Every command finds the deployment by ``--stack`` (default Jobwatch) or ``--function``, reads its
configuration from the function, prints a table (or ``--json``), and exits non-zero with one
sentence when something is wrong.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TextIO

from jobwatch_cli import doctor, preview, retry, send_test, status
from jobwatch_cli.deployment import (
    DEFAULT_STACK,
    Deployment,
    OperatorError,
    locate,
    plain_errors,
    session_for,
)

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    where = common.add_argument_group("which deployment")
    where.add_argument("--stack", help=f"the CloudFormation stack (default {DEFAULT_STACK})")
    where.add_argument("--function", help="the monitor function's name or ARN, instead of --stack")
    where.add_argument("--region", help="AWS region (default: AWS_REGION or your profile's)")
    where.add_argument("--profile", help="a profile from your AWS config files")
    common.add_argument("--json", action="store_true", help="print JSON instead of a table")
    common.add_argument("--debug", action="store_true", help="show a traceback on unexpected errors")

    parser = argparse.ArgumentParser(prog="jobwatch", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser(
        "status",
        parents=[common],
        help="tracked jobs, messages owed or abandoned, the last tick, the alarms",
    )
    commands.add_parser(
        "preview", parents=[common], help="what each channel would receive about a job; sends nothing"
    ).add_argument("job_name", metavar="JOB", help="a job name, or kind/name: ai-recommendation/NAME")
    commands.add_parser(
        "send-test", parents=[common], help="the function sends a labelled test message on every channel"
    )
    retry_parser = commands.add_parser(
        "retry-abandoned",
        parents=[common],
        help="owe abandoned messages again; the next tick sends each once",
    )
    retry_parser.add_argument(
        "job_name", metavar="JOB", nargs="?", help="only this job's messages (a name, or kind/name)"
    )
    retry_parser.add_argument("--channel", choices=["email", "slack"], help="only this channel")
    commands.add_parser(
        "doctor", parents=[common], help="every check that needs no side effect, with its fix"
    )
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    invoke: send_test.Invoker | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run one command; ``invoke`` replaces lambda.invoke (the local demo and tests run the handler)."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        arguments = _parser().parse_args(argv)
    except SystemExit as exit_:  # argparse printed the usage and its own sentence
        return int(exit_.code or 0)
    try:
        with plain_errors(profile=arguments.profile):
            session = session_for(region=arguments.region, profile=arguments.profile)
            deployment = locate(session, stack=arguments.stack, function=arguments.function)
            result, text, ok = _run(arguments, deployment, invoke)
    except OperatorError as error:
        return _fail(arguments, f"jobwatch: {error}", out, err)
    except Exception as error:  # never a traceback unless asked: one sentence and a way to see more
        if arguments.debug:
            traceback.print_exc(file=err)
        return _fail(
            arguments, f"jobwatch: unexpected {type(error).__name__}: {error} (--debug shows where)", out, err
        )
    print(json.dumps(result, indent=2, default=str, ensure_ascii=False) if arguments.json else text, file=out)
    return EXIT_OK if ok else EXIT_PROBLEM


def _run(
    arguments: argparse.Namespace, deployment: Deployment, invoke: send_test.Invoker | None
) -> tuple[Any, str, bool]:
    """(what --json prints, the table, whether everything is fine)."""
    now = datetime.now(UTC)
    if arguments.command == "status":
        result = status.gather(deployment, now=now)
        return result, status.render(result, now=now), True
    if arguments.command == "preview":
        result = preview.gather(deployment, arguments.job_name)
        return result, preview.render(result), True
    if arguments.command == "send-test":
        result = send_test.run(deployment, invoke or send_test.lambda_invoker(deployment))
        return result, send_test.render(result), send_test.succeeded(result)
    if arguments.command == "retry-abandoned":
        result = retry.run(deployment, job_name=arguments.job_name, channel=arguments.channel, now=now)
        return result, retry.render(result), all(m["requeued"] for m in result["messages"])
    checks = doctor.run(deployment, now=now)
    return doctor.as_json(checks), doctor.render(checks), doctor.healthy(checks)


def _fail(arguments: argparse.Namespace, sentence: str, out: TextIO, err: TextIO) -> int:
    if arguments.json:
        print(json.dumps({"error": sentence.removeprefix("jobwatch: ")}), file=out)
    print(sentence, file=err)
    return EXIT_PROBLEM


def run() -> None:
    """The console script's entry point."""
    sys.exit(main())
