"""The trusted side's handle on the sandboxed student process: start, restart, proxies."""

from __future__ import annotations

import ctypes
import os
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from autograder import sandbox
from autograder.sandbox.command import _build
from autograder.verify.wire.channel import Channel
from autograder.verify.wire.codec import RemoteCallable
from autograder.verify.wire.common import MAX_MESSAGE, CallTimeout, PeerGone, ProtocolError
from autograder.verify.wire.signatures import build_signature

# The student's side, run by path in the sandbox; its folder (stdlib-only modules) is bound read-only.
WIRE = Path(__file__).resolve().parent / "wire"
STUDENT_RUNNER = WIRE / "student.py"
STARTUP_SECONDS = 60.0
GRACE_SECONDS = 1.0


def _die_with_parent() -> None:
    """In the child before exec: get SIGKILL when the test runner dies."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class _Room:
    """The student side a kernel's sandbox serves (see autograder/grading/kernel_launcher.py).

    It stands in for the ``Popen`` of a sandbox of its own: ``pid`` is the kernel sandbox's
    launcher, and killing it kills that whole sandbox (the grader then starts a fresh kernel).
    """

    def __init__(self, attach: dict, deadline: float) -> None:
        self.pid = int(attach["pid"])
        self.ended = False
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            while True:
                try:
                    connection.connect(attach["socket"])
                    break
                except (FileNotFoundError, ConnectionRefusedError):
                    # Still booting (a kernel started ahead of time): it listens within moments.
                    if not self._running() or time.monotonic() > deadline:
                        raise OSError("the kernel sandbox's student side did not answer") from None
                    time.sleep(0.002)
        except BaseException:
            connection.close()
            raise
        self.fd = connection.detach()
        self.watch = os.dup(self.fd)  # sees the end of the student's side, whoever reads fd

    def _running(self) -> bool:
        try:
            with open(f"/proc/{self.pid}/stat") as handle:
                return handle.read().rpartition(")")[2].split()[0] not in ("Z", "X")
        except (OSError, IndexError):
            return False

    def poll(self) -> int | None:
        if self.ended or not self._running():
            self.ended = True
            return -signal.SIGKILL
        return None

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the student's side to close its end (after ``shutdown``)."""
        deadline = time.monotonic() + (timeout if timeout is not None else 1e9)
        while not self.ended:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise subprocess.TimeoutExpired("verification room", timeout)
            try:
                ready, _, _ = select.select([self.watch], [], [], remaining)
                if ready and not os.read(self.watch, 1 << 16):
                    self.ended = True
            except OSError:
                self.ended = True
        return 0

    def kill(self) -> None:
        """Kill the kernel sandbox, unless the student's side already ended by itself."""
        if not self.ended:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except OSError:
                pass
        self.ended = True
        try:
            os.close(self.watch)
        except OSError:
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
        self.process: subprocess.Popen | _Room | None = None
        # The first process may be the one a kernel's sandbox serves; any restart is fresh.
        self.attach: dict | None = job.get("attach")
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
        self.used = False  # the running process has answered a test

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
            if self.command is not None and not isinstance(self.process, _Room):
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

    def _enter_room(self) -> bool:
        """Use the kernel sandbox's student side (once); False when it cannot be used."""
        attach, self.attach = self.attach, None
        try:
            room = _Room(attach, time.monotonic() + STARTUP_SECONDS)
        except (OSError, KeyError, TypeError, ValueError):
            return False
        self.command = list(attach.get("command") or [])
        self.isolation_used = sandbox.BUBBLEWRAP
        self.process = room
        self.generation += 1
        self.channel = Channel(room.fd, os.dup(room.fd))
        self.channel.generation = self.generation
        self.starts += 1
        return True

    def _launch(self) -> None:
        if self.attach is not None and self._enter_room():
            return
        to_student_r, to_student_w = os.pipe()
        from_student_r, from_student_w = os.pipe()
        argv = [sys.executable, str(STUDENT_RUNNER), str(to_student_r), str(from_student_w)]
        command, method, _cgroup = _build(
            argv,
            workdir=self.workdir,
            readonly=[WIRE],
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
        self.used = False

    def ensure(self, until: int) -> None:
        """Have the student's cells before ``until`` run (in order), restarting when needed."""
        self.target = max(self.target, until)
        if not self.alive:
            self.wait_ready()  # collects the start in flight, or starts afresh up to the target
        if self.reached < self.target:
            self.channel.deadline = time.monotonic() + self.cell_timeout + GRACE_SECONDS
            self.used = True  # it has answered a test: it may have left data on the pipe
            try:
                self.channel.send({"op": "advance", "until": self.target})
            except PeerGone:
                self.kill()
            self.ready = False
            self.wait_ready()

    def wait_ready(self) -> None:
        """Wait until the student's cells have run; restart without a cell that kills or hangs it."""
        afresh = False
        for _attempt in range(len(self.cells) + 2):
            used = self.used
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
            if current is None and used and not afresh:
                # A process that had answered tests (and may have left data on the pipe for the
                # next one, or broken off in the middle of an answer): start once afresh.
                afresh = True
                continue
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
