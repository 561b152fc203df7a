"""Grading throughput: stock ``nbgrader autograde`` against ``python -m autograder grade``.

Builds one cohort of submissions (honest, wrong and partly wrong) of one assignment, copies it
into two identical scratch courses, grades one with stock nbgrader and the other with our
grader, and prints both wall-clock times and the ratio. Timings on a shared machine are noisy:
``--repeat N`` grades fresh copies N times (alternating the two) and also prints the medians.

    .venv/bin/python benchmarks/grading_throughput.py [--students 24] [--workers N] [--repeat N]
"""

from __future__ import annotations

import argparse
import csv
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from harness import FIXTURES, REPO, load

COHORT_FILE = FIXTURES / "cohort.py"


def _timed(cohort, argv: list[str], course: Path, env: dict, what: str):
    """Run one grading command; returns (wall seconds, the finished process). Stops on failure."""
    started = time.perf_counter()
    done = cohort.run(argv, course, env, timeout=3600)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        print(done.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"{what} failed (exit {done.returncode})")
    return seconds, done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=24)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--assignment", default=None)
    parser.add_argument("--keep", action="store_true", help="keep the scratch courses")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of both runs (medians)")
    parser.add_argument(
        "--also-no-verify",
        action="store_true",
        help="also time `grade --no-verify` (the cost of the independent verification)",
    )
    args = parser.parse_args()
    if args.students < 1:
        parser.error("--students must be at least 1")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    cohort = load("calcml_grade_cohort", COHORT_FILE)
    conftest = load("tests_conftest", REPO / "tests" / "conftest.py")
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
        extra = ["--no-progress"]
        if args.workers:
            extra += ["--workers", str(args.workers)]
        print(f"assignment {assignment}, {args.students} submissions, scratch {scratch}")
        rounds: list[tuple[float, float]] = []
        for round_number in range(1, args.repeat + 1):
            stock_course = scratch / f"stock-{round_number}"
            ours_course = scratch / f"ours-{round_number}"
            shutil.copytree(base, stock_course)
            shutil.copytree(base, ours_course)
            stock_seconds, _ = _timed(
                cohort,
                [str(cohort.BIN / "nbgrader"), "autograde", assignment],
                stock_course,
                env,
                "stock nbgrader autograde",
            )
            ours_seconds, ours = _timed(
                cohort,
                cohort.grade_command(ours_course, assignment, *extra),
                ours_course,
                env,
                "autograder grade",
            )
            isolation = next(
                (line for line in ours.stderr.splitlines() if line.startswith("isolation:")), "?"
            )
            with (ours_course / "reports" / assignment / "grades.csv").open() as handle:
                rows = list(csv.DictReader(handle))
            graded = sum(1 for r in rows if r["status"] == "graded")
            rounds.append((stock_seconds, ours_seconds))
            if args.repeat > 1:
                print(f"round {round_number}:")
            n = args.students
            print(
                f"stock nbgrader autograde : {stock_seconds:7.1f} s  ({stock_seconds / n:.2f} s/submission)"
            )
            print(
                f"python -m autograder grade: {ours_seconds:7.1f} s  ({ours_seconds / n:.2f} s/submission, {isolation}, {graded} graded)"
            )
            print(f"speed-up: {stock_seconds / ours_seconds:.2f}x")
            if not args.keep:
                shutil.rmtree(stock_course, ignore_errors=True)
                shutil.rmtree(ours_course, ignore_errors=True)
        if args.repeat > 1:
            stock_median = statistics.median(r[0] for r in rounds)
            ours_median = statistics.median(r[1] for r in rounds)
            ratios = sorted(r[0] / r[1] for r in rounds)
            print(
                f"median over {args.repeat} rounds: stock {stock_median:.1f} s, "
                f"ours {ours_median:.1f} s, speed-up {stock_median / ours_median:.2f}x "
                f"(per-round speed-ups {', '.join(f'{r:.2f}' for r in ratios)})"
            )
        if args.also_no_verify:
            course = scratch / "ours-no-verify"
            shutil.copytree(base, course)
            seconds, _ = _timed(
                cohort,
                cohort.grade_command(course, assignment, *extra, "--no-verify"),
                course,
                env,
                "autograder grade --no-verify",
            )
            stock_seconds = statistics.median(r[0] for r in rounds)
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
