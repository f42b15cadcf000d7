"""Run in a fresh interpreter by the polling-cost benchmark: a Lambda cold start, then one tick.

It imports only what the function imports (the asset folder is on PYTHONPATH), so its figures are
the handler's own: import time, and peak resident memory after the import and after a tick.
Prints one JSON line.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace


def _peak_rss_mib() -> float:
    """This process's high-water resident set (``VmHWM``): unlike ``ru_maxrss`` it starts afresh at
    exec, so the parent's footprint at fork does not count."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status: the probe needs Linux, as Lambda is")


def main() -> None:
    started = time.perf_counter()
    import job_monitor.handler as function  # the import is what is measured

    figures = {"import_seconds": time.perf_counter() - started, "rss_after_import_mib": _peak_rss_mib()}
    if "--tick" in sys.argv:
        deadline = time.monotonic() + 120
        context = SimpleNamespace(
            function_name="jobwatch-monitor",
            memory_limit_in_mb=512,
            invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:jobwatch-monitor",
            aws_request_id=str(uuid.uuid4()),
            get_remaining_time_in_millis=lambda: int((deadline - time.monotonic()) * 1000),
        )
        ticked = time.perf_counter()
        function.handler({"source": "aws.scheduler"}, context)
        figures["tick_seconds"] = time.perf_counter() - ticked
        figures["peak_rss_mib"] = _peak_rss_mib()
    print(json.dumps(figures), file=sys.__stderr__)


if __name__ == "__main__":
    main()
