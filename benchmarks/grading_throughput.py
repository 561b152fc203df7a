"""Grading throughput: stock ``nbgrader autograde`` against ``python -m autograder grade``.

Builds one cohort of submissions (honest, wrong and partly wrong) of one assignment, copies it
into two identical scratch courses, grades one with stock nbgrader and the other with our
grader, and prints both wall-clock times and the ratio. Timings on a shared machine are noisy:
``--repeat N`` grades fresh copies N times (alternating the two) and also prints the medians.

``--dask-local N`` also grades a third copy with ``grade --dask-local N`` (a local Dask cluster
of N worker processes) and prints its time against the local pool's (target: within 10 %);
``--skip-stock`` leaves stock nbgrader out. ``--scaling 24,240,1000`` instead grades generated
cohorts of those sizes with the local pool and prints, per size, the wall time per submission,
the CPU seconds per submission (the coordinator, its workers, the kernels and the verification
processes together) and the coordinator's peak RSS.

    .venv/bin/python benchmarks/grading_throughput.py [--students 24] [--workers N] [--repeat N]
    .venv/bin/python benchmarks/grading_throughput.py --skip-stock --dask-local 2 --repeat 3
    .venv/bin/python benchmarks/grading_throughput.py --scaling 24,240,1000
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import statistics
import subprocess
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


# Runs the grader's command line in this interpreter and prints the coordinator's own peak RSS
# and CPU seconds (of the process itself: its worker processes are not counted) on its last line.
PEAK_WRAPPER = """\
import atexit, resource, runpy, sys
def _report():
    own = resource.getrusage(resource.RUSAGE_SELF)
    print("coordinator-peak-rss-kib", own.ru_maxrss, own.ru_utime + own.ru_stime, file=sys.stderr)
atexit.register(_report)
sys.argv = ["autograder", *sys.argv[1:]]
runpy.run_module("autograder", run_name="__main__")
"""


def fill(builder, count: int, prefix: str = "student") -> None:
    """``count`` submissions: half honest, a quarter wrong, a quarter partly wrong."""
    notebooks = [
        builder.notebook("honest"),
        builder.notebook("honest"),
        builder.notebook("wrong"),
        builder.notebook("honest", wrong=tuple(builder.functions[::2])),
    ]
    for i in range(count):
        builder.submit(f"{prefix}{i:04d}", notebooks[i % 4])


CPUACCT = Path("/sys/fs/cgroup/cpuacct")


class CpuMeter:
    """CPU seconds of a process and everything it starts.

    The sandboxed kernels are not reaped by the grader itself (bubblewrap's own init reaps them),
    so ``RUSAGE_CHILDREN`` misses them: where the cgroup-v1 ``cpuacct`` hierarchy is writable
    (root), the command runs in a ``cpuacct`` group of its own, which the sandbox never moves
    processes out of, and the group's usage counts every process of the tree.
    """

    def __init__(self) -> None:
        self.group = None
        if self.available():
            group = CPUACCT / f"calcml-bench-{os.getpid()}-{time.monotonic_ns()}"
            try:
                group.mkdir()
                self.group = group
            except OSError:
                pass
        self.before = resource.getrusage(resource.RUSAGE_CHILDREN)

    @staticmethod
    def available() -> bool:
        return os.geteuid() == 0 and (CPUACCT / "cpuacct.usage").exists()

    @classmethod
    def method(cls) -> str:
        return "a cpuacct cgroup" if cls.available() else "rusage (sandboxed kernels not counted)"

    def enter(self) -> None:
        """In the child, before exec (preexec_fn)."""
        if self.group is not None:
            (self.group / "cgroup.procs").write_text(str(os.getpid()))

    def seconds(self) -> float:
        if self.group is not None:
            used = int((self.group / "cpuacct.usage").read_text()) / 1e9
            for _ in range(100):  # the last sandboxes may still be exiting
                try:
                    self.group.rmdir()
                    break
                except OSError:
                    time.sleep(0.1)
            return used
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        b = self.before
        return (after.ru_utime - b.ru_utime) + (after.ru_stime - b.ru_stime)


def measured_run(argv: list[str], course: Path, env: dict) -> dict:
    """Run the grader (argv after ``-m autograder``): wall s, CPU s of the whole tree, peak RSS."""
    meter = CpuMeter()
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PEAK_WRAPPER, *argv],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=6 * 3600,
        preexec_fn=meter.enter,
    )
    wall = time.perf_counter() - started
    cpu = meter.seconds()
    if done.returncode != 0:
        print(done.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"grading failed (exit {done.returncode})")
    last = next(
        line.split()
        for line in reversed(done.stderr.splitlines())
        if line.startswith("coordinator-peak-rss-kib")
    )
    return {
        "wall": wall,
        "cpu": cpu,
        "peak_kib": int(last[1]),
        "coordinator_cpu": float(last[2]),
        "stderr": done.stderr,
    }


def scaling(
    cohort, env, scratch: Path, assignment: str, sizes: list[int], extra: list[str]
) -> None:
    print(f"assignment {assignment}, local pool, sizes {sizes}, scratch {scratch}")
    print(f"CPU seconds counted with {CpuMeter.method()}")
    print(
        f"{'submissions':>11} {'wall s':>8} {'s/sub':>7} {'CPU s/sub':>9} {'coordinator peak RSS':>21}"
    )
    for size in sizes:
        course = cohort.make_course(scratch / f"scale-{size}", assignment, env)
        fill(cohort.Builder(course, assignment), size)
        args = ["--course-dir", str(course), "grade", assignment, *extra]
        run = measured_run(args, course, env)
        with (course / "reports" / assignment / "grades.csv").open() as handle:
            graded = sum(1 for r in csv.DictReader(handle) if r["status"] == "graded")
        if graded != size:
            raise SystemExit(f"only {graded} of {size} submissions were graded")
        print(
            f"{size:>11} {run['wall']:>8.1f} {run['wall'] / size:>7.3f} {run['cpu'] / size:>9.3f} "
            f"{run['peak_kib'] / 1024:>17.1f} MiB",
            flush=True,
        )
        shutil.rmtree(course, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=24)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--assignment", default=None)
    parser.add_argument("--keep", action="store_true", help="keep the scratch courses")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of both runs (medians)")
    parser.add_argument(
        "--dask-local",
        type=int,
        default=None,
        metavar="N",
        help="also grade with `grade --dask-local N` and compare it with the local pool",
    )
    parser.add_argument("--skip-stock", action="store_true", help="leave stock nbgrader out")
    parser.add_argument(
        "--scaling",
        default=None,
        metavar="SIZES",
        help="comma-separated cohort sizes graded with the local pool (e.g. 24,240,1000)",
    )
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
    env["PATH"] = f"{cohort.BIN}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}"
    extra = ["--no-progress"]
    if args.workers:
        extra += ["--workers", str(args.workers)]
    if args.scaling:
        try:
            sizes = [int(part) for part in args.scaling.split(",")]
        except ValueError:
            parser.error("--scaling takes comma-separated numbers, e.g. 24,240,1000")
        try:
            scaling(cohort, env, scratch, assignment, sizes, extra)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        return 0
    try:
        base = cohort.make_course(scratch / "base", assignment, env)
        fill(cohort.Builder(base, assignment), args.students)
        print(f"assignment {assignment}, {args.students} submissions, scratch {scratch}")
        rounds: list[tuple[float, float]] = []
        dask_rounds: list[tuple[float, float]] = []
        for round_number in range(1, args.repeat + 1):
            stock_course = scratch / f"stock-{round_number}"
            ours_course = scratch / f"ours-{round_number}"
            shutil.copytree(base, ours_course)
            stock_seconds = float("nan")
            if not args.skip_stock:
                shutil.copytree(base, stock_course)
                stock_seconds, _ = _timed(
                    cohort,
                    [str(cohort.BIN / "nbgrader"), "autograde", assignment],
                    stock_course,
                    env,
                    "stock nbgrader autograde",
                )
            ours = measured_run(
                ["--course-dir", str(ours_course), "grade", assignment, *extra], ours_course, env
            )
            ours_seconds = ours["wall"]
            isolation = next(
                (line for line in ours["stderr"].splitlines() if line.startswith("isolation:")),
                "?",
            )
            with (ours_course / "reports" / assignment / "grades.csv").open() as handle:
                rows = list(csv.DictReader(handle))
            graded = sum(1 for r in rows if r["status"] == "graded")
            rounds.append((stock_seconds, ours_seconds))
            if args.repeat > 1:
                print(f"round {round_number}:")
            n = args.students
            if not args.skip_stock:
                print(
                    f"stock nbgrader autograde : {stock_seconds:7.1f} s  ({stock_seconds / n:.2f} s/submission)"
                )
            print(
                f"python -m autograder grade: {ours_seconds:7.1f} s  ({ours_seconds / n:.2f} s/submission, {isolation}, {graded} graded)"
            )
            if not args.skip_stock:
                print(f"speed-up: {stock_seconds / ours_seconds:.2f}x")
            if args.dask_local:
                dask_course = scratch / f"dask-{round_number}"
                shutil.copytree(base, dask_course)
                # (a Dask cluster has its own workers: no --workers)
                dask_argv = ["--no-progress", "--dask-local", str(args.dask_local)]
                dask = measured_run(
                    ["--course-dir", str(dask_course), "grade", assignment, *dask_argv],
                    dask_course,
                    env,
                )
                dask_seconds = dask["wall"]
                same = (dask_course / "reports" / assignment / "grades.csv").read_text() == (
                    ours_course / "reports" / assignment / "grades.csv"
                ).read_text()
                dask_rounds.append((ours_seconds, dask_seconds))
                print(
                    f"grade --dask-local {args.dask_local}     : {dask_seconds:7.1f} s  "
                    f"({dask_seconds / n:.2f} s/submission, {dask_seconds / ours_seconds:.3f}x the "
                    f"local pool's time, grades.csv {'identical' if same else 'DIFFERENT'})"
                )
                print(
                    f"  CPU s/submission (whole tree, {CpuMeter.method()}): local pool "
                    f"{ours['cpu'] / n:.3f}, --dask-local {dask['cpu'] / n:.3f}; coordinator peak "
                    f"RSS: local pool {ours['peak_kib'] / 1024:.0f} MiB, --dask-local "
                    f"{dask['peak_kib'] / 1024:.0f} MiB; the coordinator's own CPU s/submission: "
                    f"local pool {ours['coordinator_cpu'] / n:.3f}, --dask-local "
                    f"{dask['coordinator_cpu'] / n:.3f}"
                )
                if not args.keep:
                    shutil.rmtree(dask_course, ignore_errors=True)
            if not args.keep:
                shutil.rmtree(stock_course, ignore_errors=True)
                shutil.rmtree(ours_course, ignore_errors=True)
        if args.repeat > 1 and not args.skip_stock:
            stock_median = statistics.median(r[0] for r in rounds)
            ours_median = statistics.median(r[1] for r in rounds)
            ratios = sorted(r[0] / r[1] for r in rounds)
            print(
                f"median over {args.repeat} rounds: stock {stock_median:.1f} s, "
                f"ours {ours_median:.1f} s, speed-up {stock_median / ours_median:.2f}x "
                f"(per-round speed-ups {', '.join(f'{r:.2f}' for r in ratios)})"
            )
        if len(dask_rounds) > 1:
            pool = statistics.median(r[0] for r in dask_rounds)
            dask = statistics.median(r[1] for r in dask_rounds)
            print(
                f"median over {len(dask_rounds)} rounds: local pool {pool:.1f} s, "
                f"--dask-local {args.dask_local} {dask:.1f} s ({dask / pool:.3f}x; per round "
                f"{', '.join(f'{r[1] / r[0]:.3f}' for r in dask_rounds)})"
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
