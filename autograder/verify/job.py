"""Judge a submission's test cells again, outside the student's kernel.

A plain nbgrader run trusts whatever the student's kernel reports, and a student's kernel can lie
(a replaced ``builtins.abs``, a patched ``numpy.allclose``, a custom exception handler, objects
whose ``__eq__`` always says yes...). :func:`verify_submission` runs the student's code cells in a
sandboxed process and the trusted source notebook's test cells, hidden tests included, in a
separate fresh process that holds no student code: there every contract function is a proxy
that sends its arguments to the student's process and receives plain data back
(:mod:`autograder._student_runner` describes the protocol). The student's code can only lie with
numbers, and the test cells judge the numbers.

The trusted test process is forked, one per submission, from a warm fork server
(:mod:`autograder._forkserver`, one per grading process, started on first use) that has already
imported NumPy and the test runner; it only ever receives job file paths from here. When the
server cannot start, or with ``CALCML_VERIFY_FORKSERVER=0``, each test process is a fresh
``python -m autograder._test_runner`` instead; verdicts are the same either way.
"""

from __future__ import annotations

import atexit
import json
import os
import resource
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from autograder import files
from autograder.sandbox import WORKDIR_QUOTA_FILES, Limits, workdir_quota_bytes

TEST_PROCESS_MEMORY = 4 * 1024**3
# CALCML_VERIFY_FORKSERVER=0 starts every test process afresh (slower, same verdicts).
ENV_FORKSERVER = "CALCML_VERIFY_FORKSERVER"
FORKSERVER_START_SECONDS = 30.0
FORKSERVER_REPLY_SECONDS = 30.0
MAX_IDLE_SERVERS = 2


@dataclass
class CellCheck:
    """The verdict on one autograder-test cell of the source notebook."""

    grade_id: str
    passed: bool
    message: str
    #: Set by the trusted test itself (the raised error's ``misconception``), never read from text.
    tags: list[str] = field(default_factory=list)
    #: The failure came from a NotImplementedError: the function is still the release stub.
    not_written: bool = False


def _nbgrader(cell) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def _is_test_cell(cell) -> bool:
    meta = _nbgrader(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def _is_answer_cell(cell) -> bool:
    meta = _nbgrader(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("solution")) and not meta.get("grade")


def _read(notebook, role: str):
    if isinstance(notebook, nbformat.NotebookNode):
        return notebook
    path = Path(notebook)
    try:
        return nbformat.read(path, as_version=4)
    except Exception as error:  # nbformat raises many types for broken files
        raise ValueError(f"{role} notebook {path}: cannot be read ({error})") from None


def contract_functions(source_nb) -> list[str]:
    """The grade_ids of the autograded-answer code cells of the source notebook, in order."""
    notebook = _read(source_nb, "source")
    names = []
    for cell in notebook.cells:
        grade_id = _nbgrader(cell).get("grade_id")
        if _is_answer_cell(cell) and isinstance(grade_id, str) and grade_id not in names:
            names.append(grade_id)
    return names


def _copy_files(folder: Path, workdir: Path) -> None:
    """The files beside the notebook, by the kernel's copy rule, within the sandbox's quota."""
    quota = files.Budget(workdir_quota_bytes(), WORKDIR_QUOTA_FILES)
    try:
        files.copy_folder(folder, workdir, quota)
    except files.FileProblem as problem:
        # A folder the grader did not check (a direct call): the student's process gets nothing.
        sys.stderr.write(f"autograder.verify: files of {folder} not copied: {problem}\n")


def build_job(student, source, *, cell_timeout: float, limits: Limits) -> dict:
    """What the test runner needs: the student's code cells, the source's setup and test cells."""
    test_ids = {_nbgrader(cell).get("grade_id") for cell in source.cells if _is_test_cell(cell)}
    student_cells = []
    # For each test: how many of the student's cells come before it in the student's notebook.
    # The test runs against the notebook as it stood there, as in the kernel (nbgrader runs the
    # cells in order), not against definitions made further down.
    before_test: dict[str, int] = {}
    for cell in student.cells:
        if cell.get("cell_type") != "code":
            continue
        grade_id = _nbgrader(cell).get("grade_id")
        if _is_test_cell(cell) or grade_id in test_ids:
            before_test.setdefault(grade_id, len(student_cells))
        else:
            student_cells.append(cell.source)
    cells = []
    for cell in source.cells:
        if cell.get("cell_type") != "code" or _is_answer_cell(cell):
            continue
        if _is_test_cell(cell):
            grade_id = _nbgrader(cell)["grade_id"]
            until = before_test.get(grade_id, len(student_cells))
            cells.append(
                {"kind": "test", "grade_id": grade_id, "source": cell.source, "until": until}
            )
        else:
            cells.append({"kind": "setup", "grade_id": None, "source": cell.source, "until": None})
    # A set-up cell needs what the next test needs; the student's process only ever moves on.
    following = len(student_cells)
    for entry in reversed(cells):
        if entry["until"] is None:
            entry["until"] = following
        following = entry["until"]
    reached = 0
    for entry in cells:
        reached = entry["until"] = max(reached, entry["until"])
    return {
        "functions": contract_functions(source),
        "student_cells": student_cells,
        "cells": cells,
        "cell_timeout": float(cell_timeout),
        "limits": asdict(limits),
    }


def verify_submission(
    student_nb,
    source_nb,
    *,
    timeout: float = 120.0,
    limits: Limits | None = None,
    cell_timeout: float = 30.0,
    isolation: str | None = None,
    files_from: str | os.PathLike | None = None,
) -> dict[str, CellCheck]:
    """Re-run every test cell of ``source_nb`` against the code of ``student_nb``.

    Returns one :class:`CellCheck` per autograder-test cell of the trusted source notebook.
    ``timeout`` bounds the whole verification; ``cell_timeout`` each student cell, each test cell
    and each call into the student's code. Cells left unjudged when time runs out fail.
    ``files_from``: the folder whose files (notebooks aside) the student's process gets, by the
    same rule as the kernel's folder (:func:`autograder.files.copy_folder`); the grader passes
    ``autograded/<student>/<assignment>/``. By default, the folder of ``student_nb``.
    """
    limits = limits if limits is not None else Limits()
    source = _read(source_nb, "source")
    student = _read(student_nb, "student")
    test_ids = [_nbgrader(c)["grade_id"] for c in source.cells if _is_test_cell(c)]
    job = build_job(student, source, cell_timeout=min(cell_timeout, timeout), limits=limits)
    if isolation is not None:
        job["isolation"] = isolation
    scratch_path = Path(tempfile.mkdtemp(prefix="calcml-verify-"))
    try:
        # The student sees only `workdir`; the job (with the hidden tests) stays outside it.
        workdir = scratch_path / "student"
        private = scratch_path / "trusted"
        workdir.mkdir()
        private.mkdir(mode=0o700)
        if files_from is None and not isinstance(student_nb, nbformat.NotebookNode):
            files_from = Path(student_nb).resolve().parent
        if files_from is not None:
            _copy_files(Path(files_from), workdir)
        job["workdir"] = str(workdir)
        job_path = private / "job.json"
        results_path = private / "results.json"
        job_path.write_text(json.dumps(job))
        memory = max(TEST_PROCESS_MEMORY, 2 * (limits.memory_bytes or 0))
        outcome = _run_test_runner(job_path, results_path, timeout, memory)
        results: dict = {}
        report: dict = {}
        if results_path.exists():
            try:
                report = json.loads(results_path.read_text())
                results = report.get("cells", {})
            except ValueError:
                results = {}
            if os.environ.get("CALCML_VERIFY_DEBUG"):  # timings and the student's cell errors
                sys.stderr.write(f"autograder.verify: {json.dumps(report)}\n")
    finally:
        files.remove_tree(scratch_path)  # however deep the student's process made it
    checks: dict[str, CellCheck] = {}
    for grade_id in test_ids:
        entry = results.get(grade_id)
        if isinstance(entry, dict):
            passed = entry.get("passed") is True
            tag = entry.get("tag")
            checks[grade_id] = CellCheck(
                grade_id,
                passed,
                str(entry.get("message", "")),
                [tag] if isinstance(tag, str) and not passed else [],
                not passed and entry.get("not_written") is True,
            )
        else:
            message = f"RuntimeError: verification did not reach this cell ({outcome})"
            checks[grade_id] = CellCheck(grade_id, False, message)
    return checks


def _run_test_runner(job_path: Path, results_path: Path, timeout: float, memory: int) -> str:
    """Run the trusted test process; return a one-line account of how it ended."""
    log_path = job_path.parent / "runner.log"
    returncode = None
    # A new fork server's start-up (once per grading process) is not the student's time.
    server = _acquire_server() if os.environ.get(ENV_FORKSERVER, "1") != "0" else None
    started = time.monotonic()
    if server is not None:
        try:
            returncode = server.run(job_path, results_path, log_path, started + timeout, memory)
        except _ServerFailed:
            server.stop()
            server = None  # the job never started there: run it the plain way
        else:
            _release_server(server)
    if server is None:
        returncode = _run_subprocess(job_path, results_path, log_path, started + timeout, memory)
    elapsed = time.monotonic() - started
    if elapsed >= timeout:
        return f"the verification ran out of its {timeout:g} s"
    if returncode != 0:
        try:
            tail = log_path.read_text(errors="replace").strip().splitlines()
        except OSError:  # the forked child died before it opened its log
            tail = []
        return f"the test process failed: {tail[-1] if tail else returncode}"
    return "the test process ended early"


def _run_subprocess(
    job_path: Path, results_path: Path, log_path: Path, deadline: float, memory: int
) -> int | None:
    """The test process as a fresh ``python -m autograder._test_runner``."""

    def limit_memory() -> None:
        # The test process rebuilds whatever data the student sends (a sympy power can be
        # enormous): cap it so that a hostile payload fails the cell, not the grader's machine.
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard == resource.RLIM_INFINITY or memory < hard:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "autograder._test_runner", str(job_path), str(results_path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
            cwd=job_path.parent,
            start_new_session=True,
            preexec_fn=limit_memory,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        finally:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except OSError:
                pass
            process.wait()
    return process.returncode


# --------------------------------------------------------------------------------------------
# The fork server (autograder._forkserver): one warm test-runner parent per grading process


class _ServerFailed(Exception):
    """The fork server failed before it started the job."""


class _ForkServer:
    """A running ``python -m autograder._forkserver``, used by one thread at a time."""

    def __init__(self) -> None:
        requests_r, requests_w = os.pipe()
        answers_r, answers_w = os.pipe()
        self.owner = os.getpid()
        self.to_server, self.from_server = requests_w, answers_r
        _all_servers.add(self)
        self.buffer = b""
        command = [sys.executable]
        if sys.version_info >= (3, 11):
            command.append("-P")  # no working directory on sys.path
        command += ["-m", "autograder._forkserver", str(requests_r), str(answers_w)]
        try:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=(requests_r, answers_w),
                cwd="/",
                start_new_session=True,
                env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
            )
        except OSError as error:
            self._close()
            raise _ServerFailed(f"cannot start: {error}") from None
        finally:
            os.close(requests_r)
            os.close(answers_w)
        reply = self._receive(time.monotonic() + FORKSERVER_START_SECONDS)
        if reply is None or "ready" not in reply:
            self.stop()
            raise _ServerFailed("did not start")

    def _close(self) -> None:
        for fd in (self.to_server, self.from_server):
            try:
                os.close(fd)
            except OSError:
                pass
        self.to_server = self.from_server = -1

    def stop(self) -> None:
        """Close the pipes (the server kills a running job and exits) and reap it."""
        self._close()
        process = getattr(self, "process", None)
        if process is not None and os.getpid() == self.owner:
            try:
                process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    @property
    def alive(self) -> bool:
        return self.from_server >= 0 and self.process.poll() is None

    def _receive(self, deadline: float) -> dict | None:
        """The server's next message; None at end-of-file or when the deadline passes."""
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([self.from_server], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(self.from_server, 65536)
            if not chunk:
                return None
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        try:
            message = json.loads(line)
        except ValueError:
            return None
        return message if isinstance(message, dict) else None

    def run(
        self, job_path: Path, results_path: Path, log_path: Path, deadline: float, memory: int
    ) -> int | None:
        """Run one job in a forked child; its return code (None when it could not be known)."""
        request = {
            "job": str(job_path.resolve()),
            "results": str(results_path.resolve()),
            "log": str(log_path.resolve()),
            "memory": int(memory),
            "env": {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        }
        data = (json.dumps(request) + "\n").encode()
        try:
            while data:
                data = data[os.write(self.to_server, data) :]
        except OSError as error:
            raise _ServerFailed(f"cannot send the job: {error}") from None
        reply = self._receive(time.monotonic() + FORKSERVER_REPLY_SECONDS)
        if reply is None or type(reply.get("pid")) is not int or reply["pid"] <= 0:
            # Closing the pipes makes the server kill the child, if it has forked one.
            raise _ServerFailed("did not start the job")
        pid = reply["pid"]
        reply = self._receive(deadline)
        if reply is None:
            # Out of time (or the server died, and its child with it): kill the job's group.
            # The server has not reaped the child unless it ended: the group ID is still its own.
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
            reply = self._receive(time.monotonic() + FORKSERVER_REPLY_SECONDS)
        if reply is None or type(reply.get("status")) is not int:
            self._close()  # unusable from now on; _release_server() stops it
            return None
        return reply["status"]


_servers_lock = threading.Lock()
_idle_servers: list[_ForkServer] = []
_all_servers: weakref.WeakSet[_ForkServer] = weakref.WeakSet()
_servers_owner = os.getpid()
_server_disabled = False


def _acquire_server() -> _ForkServer | None:
    """An idle fork server of this process, a new one, or None when none can be started."""
    global _servers_owner, _server_disabled
    with _servers_lock:
        if _servers_owner != os.getpid():  # forked: the servers belong to the parent
            _idle_servers.clear()
            _servers_owner, _server_disabled = os.getpid(), False
        while _idle_servers:
            server = _idle_servers.pop()
            if server.alive:
                return server
            server.stop()
        if _server_disabled:
            return None
    try:
        return _ForkServer()
    except _ServerFailed as error:
        with _servers_lock:
            _server_disabled = True
        sys.stderr.write(
            f"autograder.verify: the fork server {error}; starting each test process afresh\n"
        )
        return None


def _release_server(server: _ForkServer) -> None:
    with _servers_lock:
        if server.alive and server.owner == os.getpid():
            if len(_idle_servers) < MAX_IDLE_SERVERS:
                _idle_servers.append(server)
                return
    server.stop()


def _close_inherited_servers() -> None:
    """In a forked child: close the parent's pipes to its servers, so that they still end when
    the parent does, and never use them (another thread may have held the lock at the fork)."""
    global _servers_lock
    _servers_lock = threading.Lock()
    for server in list(_all_servers):
        server._close()
    _all_servers.clear()
    _idle_servers.clear()


def _stop_servers() -> None:
    with _servers_lock:
        servers = list(_idle_servers) if _servers_owner == os.getpid() else []
        _idle_servers.clear()
    for server in servers:
        server.stop()


os.register_at_fork(after_in_child=_close_inherited_servers)
atexit.register(_stop_servers)
