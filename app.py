#!/usr/bin/env python3
"""The CDK app: reads context (cdk.json, then -c key=value), validates it, builds the stack.

Synthesizes offline with no credentials: the stack is environment-agnostic.
"""

from __future__ import annotations

import sys

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra.config import ConfigError, props_from_context
from infra.stack import JobwatchStack


def build(app: cdk.App) -> JobwatchStack:
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
