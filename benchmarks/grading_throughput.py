"""Grading throughput: stock ``nbgrader autograde`` against ``python -m autograder grade``.

Builds one cohort of submissions (honest, wrong and partly wrong) of one assignment, copies it
into two identical scratch courses, grades one with stock nbgrader and the other with our
grader, and prints both wall-clock times and the ratio. Timings on a shared machine are noisy.

    .venv/bin/python benchmarks/grading_throughput.py [--students 24] [--workers N] [--keep]
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COHORT_FILE = REPO / "tests" / "autograder" / "fixtures" / "grade" / "cohort.py"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=24)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--assignment", default=None)
    parser.add_argument("--keep", action="store_true", help="keep the scratch courses")
    parser.add_argument(
        "--also-no-verify",
        action="store_true",
        help="also time `grade --no-verify` (the cost of the independent verification)",
    )
    args = parser.parse_args()
    if args.students < 1:
        parser.error("--students must be at least 1")

    cohort = _load("calcml_grade_cohort", COHORT_FILE)
    conftest = _load("tests_conftest", REPO / "tests" / "conftest.py")
    assignment = args.assignment or cohort.default_assignment()
    scratch = Path(tempfile.mkdtemp(prefix="grading-throughput-"))
    env = conftest.isolated_jupyter_env(scratch / "home")
    try:
        base = cohort.make_course(scratch / "base", assignment, env)
        builder = cohort.Builder(base, assignment)
        for i in range(args.students):
            kind = i % 4
            if kind in (0, 1):
                nb = builder.notebook("honest")
            elif kind == 2:
                nb = builder.notebook("wrong")
            else:
                nb = builder.notebook("honest", wrong=tuple(builder.functions[::2]))
            builder.submit(f"student{i:03d}", nb)
        stock_course = scratch / "stock"
        ours_course = scratch / "ours"
        shutil.copytree(base, stock_course)
        shutil.copytree(base, ours_course)
        if args.also_no_verify:
            shutil.copytree(base, scratch / "ours-no-verify")

        print(f"assignment {assignment}, {args.students} submissions, scratch {scratch}")
        started = time.perf_counter()
        stock = cohort.run(
            [str(cohort.BIN / "nbgrader"), "autograde", assignment], stock_course, env, timeout=3600
        )
        stock_seconds = time.perf_counter() - started
        if stock.returncode != 0:
            print(stock.stderr[-3000:], file=sys.stderr)
            print(f"stock nbgrader autograde failed (exit {stock.returncode})", file=sys.stderr)
            return 1

        extra = ["--no-progress"]
        if args.workers:
            extra += ["--workers", str(args.workers)]
        started = time.perf_counter()
        ours = cohort.run(
            cohort.grade_command(ours_course, assignment, *extra), ours_course, env, timeout=3600
        )
        ours_seconds = time.perf_counter() - started
        if ours.returncode != 0:
            print(ours.stderr[-3000:], file=sys.stderr)
            print(f"autograder grade failed (exit {ours.returncode})", file=sys.stderr)
            return 1
        isolation = next(
            (line for line in ours.stderr.splitlines() if line.startswith("isolation:")), "?"
        )

        with (ours_course / "reports" / assignment / "grades.csv").open() as handle:
            rows = list(csv.DictReader(handle))
        graded = sum(1 for r in rows if r["status"] == "graded")

        print(
            f"stock nbgrader autograde : {stock_seconds:7.1f} s  ({stock_seconds / args.students:.2f} s/submission)"
        )
        print(
            f"python -m autograder grade: {ours_seconds:7.1f} s  ({ours_seconds / args.students:.2f} s/submission, {isolation}, {graded} graded)"
        )
        print(f"speed-up: {stock_seconds / ours_seconds:.2f}x")
        if args.also_no_verify:
            course = scratch / "ours-no-verify"
            started = time.perf_counter()
            cohort.run(
                cohort.grade_command(course, assignment, *extra, "--no-verify"),
                course,
                env,
                timeout=3600,
            )
            seconds = time.perf_counter() - started
            print(
                f"grade --no-verify         : {seconds:7.1f} s  (speed-up {stock_seconds / seconds:.2f}x)"
            )
    finally:
        if args.keep:
            print(f"kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
