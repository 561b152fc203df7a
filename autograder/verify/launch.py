"""Starting the trusted test process: forked from a warm fork server, or as a fresh process."""

from __future__ import annotations

import atexit
import json
import os
import resource
import select
import signal
import subprocess
import sys
import threading
import time
import weakref
from pathlib import Path

# CALCML_VERIFY_FORKSERVER=0 starts every test process afresh (slower, same verdicts).
ENV_FORKSERVER = "CALCML_VERIFY_FORKSERVER"
FORKSERVER_START_SECONDS = 30.0
FORKSERVER_REPLY_SECONDS = 30.0
MAX_IDLE_SERVERS = 2


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
    """The test process as a fresh ``python -m autograder.verify.trusted``."""

    def limit_memory() -> None:
        # The test process rebuilds whatever data the student sends (a sympy power can be
        # enormous): cap it so that a hostile payload fails the cell, not the grader's machine.
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard == resource.RLIM_INFINITY or memory < hard:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "autograder.verify.trusted", str(job_path), str(results_path)],
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


class _ServerFailed(Exception):
    """The fork server failed before it started the job."""


class _ForkServer:
    """A running ``python -m autograder.verify.forkserver``, used by one thread at a time."""

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
        command += ["-m", "autograder.verify.forkserver", str(requests_r), str(answers_w)]
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
