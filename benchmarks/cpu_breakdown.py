"""Where grading's CPU goes: CPU seconds per submission, by part, measured by the Linux scheduler.

Grades the same cohort as ``grading_throughput.py`` (honest, wrong and partly wrong submissions)
once with ``python -m autograder grade`` (and, with ``--stock``, once with ``nbgrader autograde``)
while ``perf record`` traces the scheduler system-wide: every task's run time
(``sched:sched_stat_runtime``), every fork and every exec. The processes of the grading command are
then sorted into parts by their place in the process tree:

* grader: the main process and the pool's workers (nbgrader's preprocessors, the gradebook, the
  kernel client, the disk watch...);
* kernel sandbox: everything a worker starts through the sandbox for the kernel (the limits
  wrapper, bubblewrap, the ipykernel and its threads);
* fork server: the verification's warm parent (``autograder._forkserver``);
* trusted runner: the test processes the fork server forks (one per submission);
* verify student: the sandboxed student process a trusted runner starts;
* probe: the one-off bubblewrap probes.

Needs root (or a permissive ``perf_event_paranoid``) and ``perf``. Other users' processes are
traced too but not counted; the machine's load still slows everything, so the script also prints
the load average.

    .venv/bin/python benchmarks/cpu_breakdown.py [--students 24] [--workers N] [--stock]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from harness import FIXTURES, REPO, load

EVENTS = "sched:sched_stat_runtime,sched:sched_process_fork,sched:sched_process_exec"
HEADER = re.compile(
    r"^\s*(?P<comm>.*?)\s+(?P<pid>-?\d+)/(?P<tid>-?\d+)\s+(?P<event>sched:\w+):(?P<rest>.*)$"
)
FIELD = re.compile(r"(\w+)=(\S+)")


class Trace:
    """The grading command's processes, their parents, execs and run times, from perf script."""

    def __init__(self) -> None:
        self.tgid: dict[int, int] = {}  # tid -> its process
        self.forks: list[tuple[int, int]] = []  # (parent tid, child tid) in order
        self.execs: dict[int, list[str]] = defaultdict(list)  # process -> programs, in order
        self.runtime: dict[int, int] = defaultdict(int)  # tid -> ns
        self.segment_runtime: dict[tuple[int, int], int] = defaultdict(int)  # (pid, exec no.) -> ns
        self.names: dict[int, set[str]] = defaultdict(set)  # process -> the names it ran under

    def read(self, lines) -> None:
        for line in lines:
            match = HEADER.match(line)
            if not match:
                continue
            pid, tid = int(match["pid"]), int(match["tid"])
            if pid > 0:
                self.tgid.setdefault(tid, pid)
            fields = dict(FIELD.findall(match["rest"]))
            event = match["event"]
            if event == "sched:sched_stat_runtime":
                runtime = int(fields.get("runtime", "0"))
                task = int(fields.get("pid", tid))
                self.runtime[task] += runtime
                owner = self.tgid.get(task, pid)
                # The accounted task's name (the header's task may be another one).
                self.names[self.tgid.get(task, task)].add(fields.get("comm", ""))
                self.segment_runtime[(owner, len(self.execs.get(owner, ())))] += runtime
            elif event == "sched:sched_process_fork":
                self.forks.append((int(fields["pid"]), int(fields["child_pid"])))
            elif event == "sched:sched_process_exec":
                self.execs[pid].append(fields.get("filename", "?"))

    def processes(self, root: int) -> dict[int, int | None]:
        """Every process descended from ``root``: process -> parent process."""
        parent: dict[int, int | None] = {root: None}
        for parent_tid, child_tid in self.forks:
            owner = self.tgid.get(parent_tid, parent_tid)
            child = self.tgid.get(child_tid, child_tid)
            if owner in parent and child != owner and child not in parent:
                parent[child] = owner
        return parent


def _program(path: str) -> str:
    name = os.path.basename(path)
    return "python" if name.startswith("python") else name


def classify(trace: Trace, root: int, kind: str) -> dict[int, str]:
    """process -> part of the grading run."""
    parents = trace.processes(root)
    roles: dict[int, str] = {}

    def role(process: int) -> str:
        if process in roles:
            return roles[process]
        programs = [_program(p) for p in trace.execs.get(process, [])]
        parent = parents[process]
        above = role(parent) if parent is not None else None
        if "calcml-zygote" in trace.names.get(process, ()) or above == "kernel zygote":
            # The worker's zygote and its joiners; a joiner's child is a submission's kernel.
            joined = "calcml-joiner" in trace.names.get(parent, ()) and above == "kernel zygote"
            roles[process] = "kernel (joined)" if joined else "kernel zygote"
            return roles[process]
        if above == "kernel (joined)":
            roles[process] = above
            return above
        if parent is None:
            result = "nbgrader" if kind == "stock" else "grader"
        else:
            if kind == "stock":
                result = "nbgrader" if above == "nbgrader" and not programs else "kernel"
            elif above in ("kernel sandbox", "verify student", "probe", "other"):
                result = above
            elif programs[:1] == ["bwrap"]:
                result = "probe"
            elif above == "grader":
                if not programs:
                    result = "grader"
                elif "bwrap" in programs:
                    result = "kernel sandbox"
                else:
                    result = "fork server"
            elif above == "fork server":
                result = "trusted runner" if not programs else "other"
            elif above == "trusted runner":
                result = "verify student" if "bwrap" in programs else "trusted runner"
            else:
                result = "other"
        roles[process] = result
        return result

    for process in parents:
        role(process)
    return roles


def summarise(trace: Trace, root: int, kind: str) -> tuple[dict[str, float], dict[str, int]]:
    roles = classify(trace, root, kind)
    seconds: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    for part in roles.values():
        counts[part] += 1
    for tid, ns in trace.runtime.items():
        process = trace.tgid.get(tid, tid)
        if process in roles:
            seconds[roles[process]] += ns / 1e9
    return seconds, counts


def programs(trace: Trace, root: int, kind: str) -> dict[tuple[str, str], float]:
    """(part, program) -> CPU-s: each process's time split by the program it was running.

    A process's time before its first exec is its parent's program, forked ("fork of ...");
    within a sandbox the Python before bwrap is the limits wrapper, the one under it the payload.
    """
    roles = classify(trace, root, kind)
    out: dict[tuple[str, str], float] = defaultdict(float)
    for (process, segment), ns in trace.segment_runtime.items():
        part = roles.get(process)
        if part is None:
            continue
        execs = [_program(p) for p in trace.execs.get(process, [])]
        if segment == 0:
            name = "before exec (fork)"
        else:
            name = execs[segment - 1]
            if name == "python" and "bwrap" in execs[segment:]:
                name = "python (limits wrapper)"
        out[(part, name)] += ns / 1e9
    return out


def traced(argv: list[str], cwd: Path, env: dict, data: Path) -> tuple[int, float, int]:
    """Run ``argv`` under a system-wide scheduler trace; returns (pid, wall seconds, exit code)."""
    perf = subprocess.Popen(
        ["perf", "record", "-a", "-q", "-e", EVENTS, "-o", str(data)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    time.sleep(1.0)  # perf needs a moment before it records (no event to wait for)
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = process.communicate(timeout=3600)
    wall = time.perf_counter() - started
    perf.send_signal(signal.SIGINT)
    _out, perf_err = perf.communicate(timeout=120)
    if perf.returncode not in (0, -signal.SIGINT):
        raise SystemExit(f"perf record failed: {perf_err.decode(errors='replace')[-2000:]}")
    if process.returncode != 0:
        sys.stderr.write(err.decode(errors="replace")[-3000:])
    return process.pid, wall, process.returncode


def read_trace(data: Path) -> Trace:
    trace = Trace()
    script = subprocess.Popen(
        ["perf", "script", "-i", str(data), "-F", "comm,pid,tid,event,trace"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        errors="replace",
    )
    trace.read(script.stdout)
    script.wait()
    return trace


PARTS = (
    "grader",
    "kernel sandbox",
    "kernel zygote",
    "kernel (joined)",
    "verify student",
    "trusted runner",
    "fork server",
    "probe",
    "other",
)


def report(title: str, seconds: dict[str, float], counts: dict[str, int], n: int, wall: float):
    total = sum(seconds.values())
    print(
        f"\n{title}: {wall:.1f} s wall, {total:.1f} CPU-s in all, {total / n:.3f} CPU-s per submission"
    )
    print(f"  {'part':<16} {'CPU-s':>8} {'per sub':>8} {'share':>6} {'processes':>9}")
    for part in [*PARTS, "nbgrader", "kernel"]:
        if part not in seconds and part not in counts:
            continue
        value = seconds.get(part, 0.0)
        print(
            f"  {part:<16} {value:8.2f} {value / n:8.3f} {100 * value / max(total, 1e-9):5.1f}% "
            f"{counts.get(part, 0):9d}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=24)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--assignment", default=None)
    parser.add_argument("--stock", action="store_true", help="also trace `nbgrader autograde`")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument(
        "--detail", action="store_true", help="also split each part by the program it ran"
    )
    args = parser.parse_args()
    if shutil.which("perf") is None:
        raise SystemExit("cpu_breakdown: needs `perf` (Debian: linux-perf)")

    cohort = load("calcml_grade_cohort", FIXTURES / "cohort.py")
    conftest = load("tests_conftest", REPO / "tests" / "conftest.py")
    assignment = args.assignment or cohort.default_assignment()
    scratch = Path(tempfile.mkdtemp(prefix="cpu-breakdown-"))
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
        extra = ["--no-progress"] + (["--workers", str(args.workers)] if args.workers else [])
        n = args.students
        print(f"assignment {assignment}, {n} submissions; load average before: {_load()}")
        runs = [("ours", cohort.grade_command(scratch / "ours", assignment, *extra))]
        if args.stock:
            runs.append(("stock", [str(cohort.BIN / "nbgrader"), "autograde", assignment]))
        for kind, argv in runs:
            course = scratch / kind
            shutil.copytree(base, course)
            data = scratch / f"{kind}.perf"
            root, wall, code = traced(argv, course, env, data)
            trace = read_trace(data)
            seconds, counts = summarise(trace, root, kind)
            title = "python -m autograder grade" if kind == "ours" else "nbgrader autograde"
            report(title + ("" if code == 0 else f" (exit {code})"), seconds, counts, n, wall)
            if args.detail:
                print(f"  {'part / program':<44} {'per sub':>8}")
                for (part, name), value in sorted(programs(trace, root, kind).items()):
                    if value / n >= 0.0005:
                        print(f"  {part + ' / ' + name:<44} {value / n:8.3f}")
            data.unlink()
        print(f"\nload average after: {_load()}")
    finally:
        if args.keep:
            print(f"kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


if __name__ == "__main__":
    sys.exit(main())
