"""The README says what the code does: its commands, context keys and environment variables."""

from __future__ import annotations

import re

from infra.config import APP_CONTEXT_KEYS, CONTEXT_KEYS
from local.sandbox import ROOT

README = (ROOT / "README.md").read_text()


def _table_keys(heading: str) -> set[str]:
    """The first-column names of the table under a README heading."""
    section = README.split(heading, 1)[1].split("\n#", 1)[0]
    return {match.group(1) for match in re.finditer(r"^\| `([A-Za-z_]+)`", section, re.MULTILINE)}


def test_readme_opens_with_the_demo_and_test_commands_ci_runs() -> None:
    opening = README.split("\n\n", 3)[:3]
    assert "./jobwatch demo" in "\n".join(opening)
    assert "./jobwatch test" in "\n".join(opening)
    assert "./jobwatch test" in (ROOT / ".ci" / "run").read_text()


def test_every_context_key_is_documented() -> None:
    assert set(CONTEXT_KEYS) | set(APP_CONTEXT_KEYS) == _table_keys("### Context keys")


def test_every_environment_variable_the_function_reads_is_documented() -> None:
    source = (ROOT / "lambdas" / "job_monitor" / "settings.py").read_text()
    read = set(re.findall(r'reader\.\w+\(\s*"([A-Z_]+)"', source))
    assert len(read) > 10, "the pattern still finds the variables settings.py reads"
    assert read <= _table_keys("## Configuration: the function's environment")
