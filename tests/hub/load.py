"""Many students at once on the class hub: log in, start a server, fetch, work, submit (HTTP).

Used by tests/hub/test_load.py (every submission arrives, none mixed up) and by
benchmarks/hub_load.py (spawn times and memory per student).
"""

from __future__ import annotations

import json
import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from .classhub import ClassHub, server_pids
from .client import HubSession

ASSIGNMENT = "ps1_derivatives"
COURSE = "calculus-for-ml"


@dataclass
class StudentRun:
    student: str
    spawn_seconds: float = 0.0
    marker: str = ""
    error: str = ""
    submitted: bool = False
    memory_kib: dict[str, int] = field(default_factory=dict)


def marker_for(student: str) -> str:
    return f"# written by {student} for the load test"


def one_student(hub: ClassHub, student: str) -> StudentRun:
    """What one student's browser does, over HTTP: log in, spawn, fetch, edit, save, submit."""
    run = StudentRun(student, marker=marker_for(student))
    session = HubSession(hub.base, student, hub.password)
    try:
        session.login()
        run.spawn_seconds = session.spawn()
        session.assignment_action("fetch", ASSIGNMENT, COURSE)
        path = f"api/contents/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
        model = session.get(path).json()
        notebook = model["content"]
        notebook["cells"][1]["source"] = notebook["cells"][1]["source"] + "\n" + run.marker
        saved = session.put(path, data=json.dumps({"type": "notebook", "content": notebook}))
        saved.raise_for_status()
        result = session.assignment_action("submit", ASSIGNMENT, COURSE)
        run.submitted = bool(result.get("success"))
        if not run.submitted:
            run.error = str(result)[:300]
    except Exception as exc:  # one student's failure is reported, the others go on
        run.error = f"{type(exc).__name__}: {exc}"
    finally:
        session.stop()
    return run


def run_class(hub: ClassHub, students: list[str], workers: int | None = None) -> list[StudentRun]:
    """Every student at once (one thread each, or ``workers``)."""
    with ThreadPoolExecutor(max_workers=workers or len(students)) as pool:
        return list(pool.map(lambda s: one_student(hub, s), students))


def memory_of(user: str) -> dict[str, int]:
    """RSS and PSS (KiB) of the user's single-user server and everything it started."""
    total = {"rss": 0, "pss": 0}
    pids = set(server_pids(user))
    for pid in list(pids):
        pids.update(_children(pid))
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as rollup:
                for line in rollup:
                    key, _, value = line.partition(":")
                    if key in ("Rss", "Pss"):
                        total[key.lower()] += int(value.split()[0])
        except OSError:
            pass
    return total


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                for child in handle.read().split():
                    found.add(int(child))
                    found |= _children(int(child))
    except OSError:
        pass
    return found


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def summary(runs: list[StudentRun], seconds: float) -> str:
    spawns = [r.spawn_seconds for r in runs if not r.error]
    lines = [
        f"students: {len(runs)}, submitted: {sum(r.submitted for r in runs)}, "
        f"failed: {sum(bool(r.error) for r in runs)}, wall time {seconds:.1f} s",
    ]
    if spawns:
        lines.append(
            f"spawn time: median {statistics.median(spawns):.1f} s, p95 {percentile(spawns, 0.95):.1f} s, "
            f"max {max(spawns):.1f} s"
        )
    memory = [r.memory_kib for r in runs if r.memory_kib.get("rss")]
    if memory:
        rss = [m["rss"] / 1024 for m in memory]
        pss = [m["pss"] / 1024 for m in memory]
        lines.append(
            f"memory per idle student server (no kernel): RSS median {statistics.median(rss):.0f} MiB, "
            f"PSS median {statistics.median(pss):.0f} MiB (max {max(pss):.0f} MiB)"
        )
    return "\n".join(lines)


def timed_class(hub: ClassHub, students: list[str]) -> tuple[list[StudentRun], float]:
    start = time.monotonic()
    runs = run_class(hub, students)
    elapsed = time.monotonic() - start
    for run in runs:
        run.memory_kib = memory_of(run.student)
    return runs, elapsed
