"""Fair share: honest students' grading time beside a neighbour who forks busy loops.

Three runs of ``python -m autograder grade`` with two workers on fresh copies of one scratch course:
``--honest`` honest submissions alone; the same beside a neighbour (graded first) whose notebook
forks as many busy loops as its process limit allows, in the kernel and again in the
verification, with the per-sandbox CPU groups switched off (``CALCML_SANDBOX_CPU=off``, the grader
as it was); and the same with them on (the default, root only). While the neighbour holds one
worker until its notebook time limit, the honest students go through the other. Prints, per case,
the honest students' statuses and grading times (each worker's ``elapsed_seconds``: median and
worst) and the wall time of the run. Timings on a shared machine are noisy: ``--repeat N``.

    .venv/bin/python benchmarks/fair_share.py [--repeat N] [--cell-timeout 10]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from harness import FIXTURES, REPO, load

COHORT_FILE = FIXTURES / "cohort.py"


def _grade(cohort, base: Path, target: Path, env: dict, args, students: list[str]) -> dict:
    """Grade a fresh copy of ``base`` with only ``students``; the honest result and wall time."""
    shutil.copytree(base, target)
    for folder in (target / "submitted").iterdir():
        if folder.name not in students:
            shutil.rmtree(folder)
    command = cohort.grade_command(
        target,
        args.assignment,
        "--no-progress",
        "--workers",
        "2",
        "--cell-timeout",
        str(args.cell_timeout),
        "--notebook-timeout",
        str(args.notebook_timeout),
    )
    started = time.perf_counter()
    done = cohort.run(command, target, env, timeout=3600)
    wall = time.perf_counter() - started
    folder = target / "reports" / args.assignment / "results"
    honest = [json.loads(p.read_text()) for p in sorted(folder.glob("honest-*.json"))]
    if len(honest) != sum(1 for s in students if s.startswith("honest-")):
        print(done.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"honest results missing in {target}")
    seconds = [float(r.get("elapsed_seconds") or 0.0) for r in honest]
    return {
        "statuses": sorted({r["status"] for r in honest}),
        "full": sum(1 for r in honest if r.get("score") == honest[0].get("score")),
        "median": statistics.median(seconds),
        "worst": max(seconds),
        "wall": wall,
        "count": len(honest),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--cell-timeout", type=int, default=10)
    parser.add_argument("--notebook-timeout", type=int, default=60)
    parser.add_argument("--assignment", default=None)
    parser.add_argument("--honest", type=int, default=6)
    args = parser.parse_args()
    cohort = load("calcml_grade_cohort", COHORT_FILE)
    conftest = load("tests_conftest", REPO / "tests" / "conftest.py")
    args.assignment = args.assignment or cohort.default_assignment()
    scratch = Path(tempfile.mkdtemp(prefix="fair-share-"))
    env = conftest.isolated_jupyter_env(scratch / "home")
    honest = [f"honest-{index}" for index in range(args.honest)]
    neighbour = ["a-neighbour", *honest]  # graded first: it holds one worker for its time limit
    cases = [
        ("honest alone", honest, {}),
        ("beside a busy neighbour, CPU groups off", neighbour, {"CALCML_SANDBOX_CPU": "off"}),
        ("beside a busy neighbour, CPU groups on", neighbour, {}),
    ]
    try:
        base = cohort.make_course(scratch / "base", args.assignment, env)
        builder = cohort.Builder(base, args.assignment)
        for student in honest:
            builder.submit(student, builder.notebook("honest"))
        busy = builder.insert_before_tests(builder.notebook("honest"), cohort.BUSY_NEIGHBOUR)
        builder.submit("a-neighbour", busy)
        print(
            f"assignment {args.assignment}, 2 workers, cell timeout {args.cell_timeout} s, "
            f"notebook timeout {args.notebook_timeout} s, {args.repeat} round(s)"
        )
        numbers: dict[str, list[dict]] = {label: [] for label, _s, _e in cases}
        for round_number in range(args.repeat):
            for index, (label, students, extra) in enumerate(cases):
                target = scratch / f"run-{round_number}-{index}"
                numbers[label].append(
                    _grade(cohort, base, target, {**env, **extra}, args, students)
                )
                shutil.rmtree(target, ignore_errors=True)
        for label, runs in numbers.items():
            for run in runs:
                print(
                    f"{label:<42} {run['count']} honest: {'/'.join(run['statuses'])}, "
                    f"{run['full']} with the same score; grading time median "
                    f"{run['median']:5.1f} s, worst {run['worst']:5.1f} s (run {run['wall']:6.1f} s)"
                )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
