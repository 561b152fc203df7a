"""The trusted side of verification: runs the source notebook's test cells against a student.

Run as ``python -m autograder.verify.trusted JOB.json RESULTS.json`` by :mod:`autograder.verify.launch`.
This process never runs student code. It starts the student's process in the sandbox
(:mod:`autograder.verify.wire.student`, driven by :mod:`autograder.verify.student_process`), and in its own namespace each contract function is a proxy
that forwards calls over the pipe protocol. The test cells, hidden tests included, run here with
the pristine ``builtins``, ``math`` and ``numpy``; the student's process only ever hands back
data. A student cell that crashes or hangs the student's process is skipped on a restart, so the
other functions are still judged; a call that crashes or hangs fails its test cell and the next
test cell gets a fresh student process.
"""

from __future__ import annotations

import builtins
import io
import json
import os
import re
import signal
import sys
import time
from pathlib import Path

from autograder import sandbox
from autograder.reports.misconceptions import TAG_SYNTAX
from autograder.verify.student_process import GRACE_SECONDS, StudentProcess
from autograder.verify.wire.common import MAX_MESSAGE, CallTimeout, PeerGone, ProtocolError


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
