"""Spawn time and memory per student on the class hub: N students log in, start their servers,
fetch, edit and submit at the same time over HTTP on loopback (needs root: real accounts).

    .venv/bin/python benchmarks/hub_load.py [--students 30]

Prints the spawn time (median, p95, max) and the RSS and PSS of each student's single-user server
(idle, no kernel running). Numbers on a shared 2-core machine are noisy.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.hub.classhub import ClassHub  # noqa: E402
from tests.hub.load import summary, timed_class  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=30)
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("hub_load: needs root (it creates real accounts)", file=sys.stderr)
        return 2
    hub = ClassHub(load_students=args.students)
    try:
        start = time.monotonic()
        hub.start()
        print(f"hub ready in {time.monotonic() - start:.1f} s (accounts, course copy, hub)")
        released = hub.instructor_run(
            [str(Path(sys.executable).parent / "nbgrader"), "release_assignment", "ps1_derivatives"]
        )
        if released.returncode != 0:
            print(released.stderr, file=sys.stderr)
            return 1
        runs, elapsed = timed_class(hub, hub.load_students)
        print(summary(runs, elapsed))
        hub_rss = memory_of_hub(hub)
        print(f"the hub and its proxy: RSS {hub_rss / 1024:.0f} MiB")
        for run in runs:
            if run.error:
                print(f"  {run.student}: {run.error}")
        return 0 if all(r.submitted for r in runs) else 1
    finally:
        hub.stop()


def memory_of_hub(hub: ClassHub) -> int:
    total = 0
    for name in ("jupyterhub.pid", "jupyterhub-proxy.pid"):
        try:
            pid = int((hub.state / name).read_text())
            with open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except (OSError, ValueError):
            pass
    return total


if __name__ == "__main__":
    sys.exit(main())
