#!/usr/bin/env python3
"""The CDK app: reads context (cdk.json, then -c key=value), validates it, builds the stack.

Synthesizes offline with no credentials: the stack is environment-agnostic.
"""

from __future__ import annotations

import sys

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra.config import DEPLOY_TARGETS, ConfigError, props_from_context, reader_props_from_context
from infra.reader import ReaderStack
from infra.stack import JobwatchStack


def build(app: cdk.App) -> cdk.Stack:
    """The hub stack, or with ``-c deploy=reader`` the reader stack of one member account."""
    deploy = str(app.node.try_get_context("deploy") or "monitor")
    if deploy not in DEPLOY_TARGETS:
        raise ConfigError(f"deploy: must be one of {', '.join(DEPLOY_TARGETS)}, got {deploy!r}")
    stack: cdk.Stack
    if deploy == "reader":
        role_name, job_kinds = reader_props_from_context(app.node.get_all_context())
        stack = ReaderStack(
            app,
            app.node.try_get_context("stack_name") or "JobwatchReader",
            role_name=role_name,
            job_kinds=job_kinds,
        )
    else:
        props = props_from_context(app.node.get_all_context())
        stack = JobwatchStack(app, app.node.try_get_context("stack_name") or "Jobwatch", props=props)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stack


def main() -> None:
    app = cdk.App()
    try:
        build(app)
    except ConfigError as error:
        sys.exit(f"jobwatch: invalid context: {error}")
    app.synth()


if __name__ == "__main__":
    main()
