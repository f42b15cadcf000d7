"""The synthesized stacks the end-to-end tests deploy into moto, each synthesized once per run or module."""

from __future__ import annotations

import pytest

from local.sandbox import SynthesizedStack, synthesize
from tests.support.operator_world import CONTEXT


@pytest.fixture(scope="session")
def operator_stack(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedStack:
    return synthesize(CONTEXT, tmp_path_factory.mktemp("operator-cdk") / "cdk.out")


@pytest.fixture(scope="module")
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> SynthesizedStack:
    """The stack synthesized with the requesting test module's own ``CONTEXT``."""
    return synthesize(request.module.CONTEXT, tmp_path_factory.mktemp("cdk") / "cdk.out")
