"""Hostile files cost the class nothing: a run with bad submissions among honest ones takes as
long as without them.

Builds ``--students`` honest submissions (default 24) of one assignment in a scratch course, then
grades fresh copies of it: the honest class alone, and the class plus one submission holding each
file attack of ``tests/autograder/fixtures/grade/file_attacks.py`` that must be refused (a FIFO, a
socket, a device, a 1 GiB sparse file, 90 MiB of sparse parts, 1100 nested folders, a path past
PATH_MAX, 20001 files, hard links, a FIFO for a notebook or a timestamp, a link to /dev/zero as
timestamp). With ``--each`` it also grades the class plus each attack alone. Prints wall times,
the ratio to the honest run, and checks that every honest student was graded and every attacker
refused. Timings on a shared machine are noisy: ``--repeat N`` grades each case N times.

    .venv/bin/python benchmarks/hostile_files.py [--students 24] [--each] [--repeat N]
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

from autograder import files


def _grade(cohort, course: Path, assignment: str, env: dict, quota: int) -> tuple[float, dict]:
    """Grade ``course`` once; returns the wall time and student -> status from grades.csv."""
    command = cohort.grade_command(course, assignment, "--no-progress", "--disk-quota", str(quota))
    started = time.perf_counter()
    done = cohort.run(command, course, env, timeout=3600)
    seconds = time.perf_counter() - started
    path = course / "reports" / assignment / "grades.csv"
    if not path.is_file():
        print(done.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"the run in {course} wrote no grades.csv (exit {done.returncode})")
    with path.open() as handle:
        return seconds, {row["student"]: row["status"] for row in csv.DictReader(handle)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=24)
    parser.add_argument("--assignment", default=None)
    parser.add_argument("--each", action="store_true", help="also one run per attack")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    cohort = load("calcml_grade_cohort", FIXTURES / "cohort.py")
    attacks = load("calcml_file_attacks", FIXTURES / "file_attacks.py")
    conftest = load("tests_conftest", REPO / "tests" / "conftest.py")
    assignment = args.assignment or cohort.default_assignment()
    scratch = Path(tempfile.mkdtemp(prefix="hostile-files-"))
    env = conftest.isolated_jupyter_env(scratch / "home")
    refused = sorted(s for s in attacks.REFUSED if s != "files-hardlink-victim")
    try:
        base = cohort.make_course(scratch / "base", assignment, env)
        builder = cohort.Builder(base, assignment)
        honest = [f"student{index:03d}" for index in range(args.students)]
        for student in honest:
            builder.submit(student, builder.notebook("honest"))
        cases: list[tuple[str, list[str]]] = [
            ("honest class alone", []),
            ("+ every attack", refused),
        ]
        if args.each:
            cases += [(f"+ {student}", [student]) for student in refused]
        print(f"assignment {assignment}, {args.students} honest submissions, scratch {scratch}")
        times: dict[str, list[float]] = {label: [] for label, _ in cases}
        for round_number in range(args.repeat):
            for index, (label, students) in enumerate(cases):
                course = scratch / f"run-{round_number}-{index}"
                shutil.copytree(base, course, symlinks=True)
                builder.course = course
                attacks.build_file_attacks(builder, students)
                seconds, statuses = _grade(cohort, course, assignment, env, attacks.DISK_QUOTA_MIB)
                wrong = [s for s in honest if statuses.get(s) != "graded"]
                wrong += [s for s in students if statuses.get(s) != "broken-notebook"]
                if wrong:
                    raise SystemExit(f"{label}: unexpected statuses for {wrong}: {statuses}")
                times[label].append(seconds)
                files.remove_tree(course)  # deeper than shutil.rmtree can go
        alone = statistics.median(times["honest class alone"])
        for label, values in times.items():
            median = statistics.median(values)
            print(
                f"{label:<34} {median:6.1f} s  ({median / alone:.2f}x the honest run; "
                f"{', '.join(f'{v:.1f}' for v in values)})"
            )
    finally:
        files.remove_tree(scratch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
