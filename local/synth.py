"""``./jobwatch synth -c key=value ...``: synthesize into cdk.out as ``cdk synth`` would, offline."""

from __future__ import annotations

import argparse
from pathlib import Path

from local.sandbox import ROOT, SandboxError, synthesize


def main() -> int:
    parser = argparse.ArgumentParser(prog="./jobwatch synth", description=__doc__)
    parser.add_argument("-c", "--context", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--outdir", type=Path, default=ROOT / "cdk.out")
    arguments = parser.parse_args()
    overrides = dict(item.partition("=")[::2] for item in arguments.context)
    try:
        stack = synthesize(overrides, arguments.outdir)
    except SandboxError as error:
        parser.exit(1, f"{error}\n")
    resources = stack.template.get("Resources", {})
    print(f"synthesized {len(resources)} resources into {arguments.outdir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
