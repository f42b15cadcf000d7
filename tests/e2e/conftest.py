"""The synthesized stack the operator CLI's tests deploy into moto, synthesized once per run."""

from __future__ import annotations

import pytest

from local.sandbox import SynthesizedStack, synthesize
from tests.support.operator_world import CONTEXT


@pytest.fixture(scope="session")
def operator_stack(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedStack:
    return synthesize(CONTEXT, tmp_path_factory.mktemp("operator-cdk") / "cdk.out")
