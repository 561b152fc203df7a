"""The trusted side of verification: runs the source notebook's test cells against a student.

Run as ``python -m autograder._test_runner JOB.json RESULTS.json`` by :mod:`autograder.verify`.
This process never runs student code. It starts the student's process in the sandbox
(:mod:`autograder._student_runner`), and in its own namespace each contract function is a proxy
that forwards calls over the pipe protocol. The test cells, hidden tests included, run here with
the pristine ``builtins``, ``math`` and ``numpy``; the student's process only ever hands back
data. A student cell that crashes or hangs the student's process is skipped on a restart, so the
other functions are still judged; a call that crashes or hangs fails its test cell and the next
test cell gets a fresh student process.
"""

from __future__ import annotations

import builtins
import ctypes
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from autograder import sandbox
from autograder._student_runner import (
    MAX_MESSAGE,
    CallTimeout,
    Channel,
    PeerGone,
    ProtocolError,
    RemoteCallable,
    build_signature,
)
from autograder.misconceptions import TAG_SYNTAX

STUDENT_RUNNER = Path(__file__).resolve().parent / "_student_runner.py"
STARTUP_SECONDS = 60.0
GRACE_SECONDS = 1.0


def _die_with_parent() -> None:
    """In the child before exec: get SIGKILL when the test runner dies."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class StudentProcess:
    """The sandboxed student process, restarted (skipping the guilty cell) when it misbehaves."""

    def __init__(self, job: dict, workdir: str) -> None:
        self.cells: list[str] = job["student_cells"]
        self.names: list[str] = job["functions"]
        self.cell_timeout = float(job["cell_timeout"])
        self.limits = sandbox.Limits(**job["limits"])
        self.isolation = job.get("isolation")
        self.workdir = workdir
        self.skip: dict[int, str] = {}
        self.cell_errors: dict[int, str | None] = {}
        self.process: subprocess.Popen | None = None
        self.command: list[str] | None = None
        self.channel: Channel | None = None
        self.names_report: dict = {}
        self.generation = 0
        self.isolation_used = ""
        self.starts = 0
        self.ready = False
        self.refused: str | None = None  # why no student process may start any more
        self.target = 0  # the student cells that must have run (those before the current test)
        self.reached = 0  # the student cells the running process has been through

    @property
    def alive(self) -> bool:
        return (
            self.ready
            and self.process is not None
            and self.process.poll() is None
            and self.channel is not None
            and not self.channel.broken
        )

    def processes(self) -> list[int]:
        """The PIDs of the student's sandbox (for the disk watch)."""
        process = self.process
        return sandbox.sandbox_processes(self.command, process.pid if process else None)

    def kill(self) -> None:
        if self.process is not None:
            # SIGKILL to the sandbox launcher: bwrap's --die-with-parent takes the PID namespace
            # down with it; kill_sandbox() then clears the pids cgroup (the fallback's daemons).
            try:
                self.process.kill()
            except OSError:
                pass
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            if self.command is not None:
                sandbox.kill_sandbox(self.command)
        if self.channel is not None:
            for fd in (self.channel.fd_in, self.channel.fd_out):
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.process = None
        self.channel = None

    def shutdown(self) -> None:
        if self.alive:
            try:
                self.channel.send({"op": "shutdown"})
                self.process.wait(timeout=2)
            except (PeerGone, subprocess.TimeoutExpired, OSError):
                pass
        self.kill()

    def _launch(self) -> None:
        to_student_r, to_student_w = os.pipe()
        from_student_r, from_student_w = os.pipe()
        argv = [sys.executable, str(STUDENT_RUNNER), str(to_student_r), str(from_student_w)]
        command, method, _cgroup = sandbox._build(
            argv,
            workdir=self.workdir,
            readonly=[STUDENT_RUNNER],
            limits=self.limits,
            isolation=self.isolation,
        )
        self.command = command
        self.isolation_used = method
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=sandbox.submission_env(self.workdir),
            pass_fds=(to_student_r, from_student_w),
            preexec_fn=_die_with_parent,
        )
        os.close(to_student_r)
        os.close(from_student_w)
        os.set_inheritable(from_student_r, False)
        os.set_inheritable(to_student_w, False)
        self.generation += 1
        self.channel = Channel(from_student_r, to_student_w)
        self.channel.generation = self.generation
        self.starts += 1

    def launch(self) -> None:
        """Start the student's process and send it its cells; :meth:`wait_ready` collects it."""
        self.kill()
        self._launch()
        self.channel.deadline = time.monotonic() + STARTUP_SECONDS
        self.channel.send(
            {
                "op": "start",
                "cells": self.cells,
                "skip": sorted(self.skip),
                "names": self.names,
                "cell_timeout": self.cell_timeout,
                "until": self.target,
            }
        )
        self.ready = False
        self.reached = 0

    def ensure(self, until: int) -> None:
        """Have the student's cells before ``until`` run (in order), restarting when needed."""
        self.target = max(self.target, until)
        if not self.alive:
            self.wait_ready()  # collects the start in flight, or starts afresh up to the target
        if self.reached < self.target:
            self.channel.deadline = time.monotonic() + self.cell_timeout + GRACE_SECONDS
            self.channel.send({"op": "advance", "until": self.target})
            self.ready = False
            self.wait_ready()

    def wait_ready(self) -> None:
        """Wait until the student's cells have run; restart without a cell that kills or hangs it."""
        for _attempt in range(len(self.cells) + 2):
            if self.refused:
                self.kill()
                raise RuntimeError(self.refused)
            if self.channel is None or not self.process or self.process.poll() is not None:
                self.launch()
            channel = self.channel
            current: int | None = None
            try:
                while True:
                    message = channel.receive()
                    op = message["op"]
                    index = message.get("index")
                    if op == "cell-start" and type(index) is int and 0 <= index < len(self.cells):
                        current = index
                        channel.deadline = time.monotonic() + self.cell_timeout + GRACE_SECONDS
                    elif op == "cell-end" and type(index) is int:
                        error = message.get("error")
                        self.cell_errors[index] = error if isinstance(error, str) else None
                        current = None
                        channel.deadline = time.monotonic() + self.cell_timeout + GRACE_SECONDS
                    elif op == "call":
                        # A thread the student left running calls one of the test's functions
                        # while the cells run: answer it, as the kernel's Python would.
                        channel.serve(message)
                    elif op == "ready" and isinstance(message.get("names"), dict):
                        self.names_report = message["names"]
                        done = message.get("done")
                        self.reached = done if type(done) is int else len(self.cells)
                        channel.deadline = None
                        self.ready = True
                        return
                    else:
                        raise ProtocolError(f"unexpected {op!r} message during start-up")
            except CallTimeout:
                reason = f"did not finish within {self.cell_timeout:g} s"
            except (PeerGone, ProtocolError) as error:
                code = self.process.poll() if self.process else None
                reason = f"stopped the student's process ({error}; exit status {code})"
            self.kill()
            if current is None:
                # Not inside a cell: the process itself failed (start-up, or a lie about cells).
                raise RuntimeError(f"the student's process failed outside any cell: {reason}")
            self.skip[current] = reason
        self.kill()
        raise RuntimeError("the student's process kept failing")

    def bindings(self) -> dict[str, object]:
        """The contract names for the test namespace: proxies for functions, data for values."""
        result: dict[str, object] = {}
        for name in self.names:
            entry = self.names_report.get(name)
            if not isinstance(entry, dict):
                continue
            if entry.get("kind") == "callable":
                proxy = RemoteCallable(self.channel, name, name)
                signature = build_signature(self.channel, entry.get("params"))
                if signature is not None:
                    proxy.__signature__ = signature
                if isinstance(entry.get("doc"), str):
                    proxy.__doc__ = entry["doc"][:MAX_MESSAGE]
                result[name] = proxy
            elif entry.get("kind") == "value":
                try:
                    result[name] = self.channel.decode(entry.get("value"))
                except ProtocolError:
                    pass
        return result


class _CellTimeout(BaseException):
    pass


def _alarm(signum, frame) -> None:
    raise _CellTimeout()


def _message(error: BaseException) -> str:
    try:
        text = str(error)
    except Exception:
        text = ""
    name = type(error).__name__
    return (f"{name}: {text}" if text else name)[:MAX_MESSAGE]


def _misconception(error: BaseException | None) -> str | None:
    """The tag a trusted test attached to its failure (``error.misconception``), if well formed.

    Only the test's own code sets this attribute: an exception from the student's process is
    rebuilt here as a fresh built-in or library exception with a message and nothing else, so no
    text of the student's can pose as a tag.
    """
    if error is None:
        return None
    try:
        tag = error.__dict__.get("misconception")
    except Exception:  # noqa: BLE001 - an exception without a plain __dict__ carries no tag
        return None
    if isinstance(tag, str) and TAG_SYNTAX.fullmatch(tag):
        return tag
    return None


def _raised_not_implemented(error: BaseException | None) -> bool:
    """Whether the failure came from a NotImplementedError (the release stub of a function)."""
    seen = 0
    while error is not None and seen < 20:
        if isinstance(error, NotImplementedError):
            return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False


def run_job(job: dict, results_path: Path) -> None:
    results: dict = {"cells": {}, "student_cells": {}, "isolation": "", "error": None}

    def save() -> None:
        results["student_cells"] = {
            str(index): {"error": error, "skipped": index in student.skip}
            for index, error in student.cell_errors.items()
        }
        for index, reason in student.skip.items():
            results["student_cells"][str(index)] = {"error": reason, "skipped": True}
        results["isolation"] = student.isolation_used
        results["student_starts"] = student.starts
        temporary = results_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(results))
        temporary.replace(results_path)

    student = StudentProcess(job, job["workdir"])
    namespace: dict[str, object] = {"__name__": "__main__", "__builtins__": builtins}
    signal.signal(signal.SIGALRM, _alarm)

    def stop_student() -> None:  # from the disk watch's thread: the main thread cleans up
        student.refused = f"the student's code wrote {disk.exceeded} into its working folder"
        process = student.process
        if process is not None:
            try:
                process.kill()
            except OSError:
                pass

    # The folder was empty before the grader copied the submission's files in: they count too.
    disk = sandbox.DiskWatch(
        job["workdir"], stop_student, processes=student.processes, baseline=(0, 0)
    )
    with disk:
        _run_cells(job, student, namespace, results, save, disk)
    student.shutdown()
    save()


def _run_cells(job, student, namespace, results, save, disk) -> None:
    cell_timeout = float(job["cell_timeout"])
    real_stdout, real_stderr = sys.stdout, sys.stderr
    failure_reason: str | None = None
    names_pattern = re.compile(r"\b(" + "|".join(map(re.escape, student.names)) + r")\b")
    clock = time.monotonic()
    timings = results.setdefault("timings", {})
    # Boots in the sandbox while the first set-up cells run here, with the cells the first test needs.
    student.target = next((c["until"] for c in job["cells"] if c["kind"] == "test"), 0)
    student.launch()
    for cell in job["cells"]:
        is_test = cell["kind"] == "test"
        needs_student = is_test or (student.names and names_pattern.search(cell["source"]))
        if student.refused and failure_reason is None:
            failure_reason = student.refused
        until = cell["until"]
        if (
            needs_student
            and failure_reason is None
            and (not student.alive or student.reached < until)
        ):
            try:
                started = time.monotonic()
                student.ensure(until)
                timings[f"student-ready-wait-{student.starts}"] = time.monotonic() - started
                for name in student.names:
                    namespace.pop(name, None)
                namespace.update(student.bindings())
            except RuntimeError as error:
                failure_reason = str(error)
        if failure_reason is not None:
            if is_test:
                results["cells"][cell["grade_id"]] = {
                    "passed": False,
                    "message": f"RuntimeError: {failure_reason}"[:MAX_MESSAGE],
                }
                save()
            continue
        captured = io.StringIO()
        sys.stdout, sys.stderr = io.StringIO(), captured
        error: BaseException | None = None
        if student.alive:
            student.channel.deadline = time.monotonic() + cell_timeout + 1.0
        signal.setitimer(signal.ITIMER_REAL, cell_timeout + GRACE_SECONDS)
        try:
            code = compile(cell["source"], f"<{cell.get('grade_id') or 'cell'}>", "exec")
            exec(code, namespace)
        except _CellTimeout:
            error = TimeoutError(f"the test cell did not finish within {cell_timeout:g} s")
        except CallTimeout:
            error = TimeoutError(f"the student's code did not answer within {cell_timeout:g} s")
        except PeerGone:
            error = RuntimeError("the student's process died while the test was running")
        except ProtocolError as problem:
            error = RuntimeError(f"the student's process sent invalid data: {problem}")
        except BaseException as problem:  # the test cell's verdict
            error = problem
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            sys.stdout, sys.stderr = real_stdout, real_stderr
        if student.alive:
            student.channel.deadline = None
        if needs_student and (not student.alive or isinstance(error, TimeoutError)):
            # The student's process may be stuck or half-way through a message: start afresh.
            student.kill()
        timings[cell.get("grade_id") or f"setup-{len(timings)}"] = time.monotonic() - clock
        clock = time.monotonic()
        if not is_test:
            continue
        if error is None and captured.getvalue():
            first = captured.getvalue().strip().splitlines()
            error = RuntimeError("the test wrote to stderr: " + (first[-1] if first else ""))
        results["cells"][cell["grade_id"]] = {
            "passed": error is None,
            "message": "" if error is None else _message(error),
            "tag": _misconception(error),
            "not_written": _raised_not_implemented(error),
        }
        save()


def main(argv: list[str]) -> int:
    job_path, results_path = Path(argv[0]), Path(argv[1])
    job = json.loads(job_path.read_text())
    os.chdir(job_path.parent)
    run_job(job, results_path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
