"""The sandbox's command line (exec wrapper, then bwrap or the fallback), and a runner for it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from autograder.sandbox.bwrap import _bwrap_args, _bwrap_path, _sandbox_path, isolation_method
from autograder.sandbox.cgroups import (
    _CGROUP_PREFIX,
    _PIDS_ROOT,
    MEMORY_CGROUP_MARGIN,
    _cgroup_available,
    _cpu_twin,
    _kill_cgroup,
    _memory_twin,
    _sweep_cgroups,
    cpu_settings,
)
from autograder.sandbox.fallback import SandboxUser, _hand_over, _user_note, fallback_user
from autograder.sandbox.policy import BUBBLEWRAP, RLIMITS, Limits, _note

# The exec wrapper that applies the limits, run by path with ``python -I -S`` (stdlib only).
_LIMITS_SCRIPT = Path(__file__).resolve().parent / "limits_exec.py"


@dataclass
class SandboxResult:
    returncode: int
    stdout: bytes
    stderr: bytes
    timed_out: bool
    truncated: bool
    isolation: str
    elapsed_seconds: float = field(default=0.0)


def _limit_options(
    limits: Limits, cgroup: str | None, *, fallback: bool, user: SandboxUser | None = None
) -> list[str]:
    options = []
    if limits.memory_bytes is not None:
        options += ["--memory", str(int(limits.memory_bytes))]
    if limits.max_processes is not None:
        nproc = int(limits.max_processes)
        if cgroup is None and (fallback or os.geteuid() != 0):
            # Without a cgroup, RLIMIT_NPROC counts every task of the user, a user namespace
            # (bubblewrap) included: an instructor grading on a class hub already runs a Lab.
            nproc += _count_tasks(user.uid if user is not None else os.getuid())
        options += ["--nproc", str(nproc)]
    if limits.file_size_bytes is not None:
        options += ["--fsize", str(int(limits.file_size_bytes))]
    if limits.open_files is not None:
        options += ["--nofile", str(int(limits.open_files))]
    if limits.cpu_seconds is not None:
        options += ["--cpu", str(int(limits.cpu_seconds))]
    if cgroup is not None:
        options += ["--pids-cgroup", cgroup]
        memory = _memory_twin(cgroup)
        if memory is not None and limits.memory_bytes is not None:
            options += ["--memory-cgroup", memory]
            options += [
                "--memory-cgroup-limit",
                str(int(limits.memory_bytes) + MEMORY_CGROUP_MARGIN),
            ]
        cpu = _cpu_twin(cgroup) if limits.cpu_cores is not None else None
        if cpu is not None:
            options += ["--cpu-cgroup", cpu]
            for name, value in cpu_settings(limits, cpu).items():
                options += ["--cpu-cgroup-set", f"{name}={value}"]
    return options


def _count_tasks(uid: int) -> int:
    """Processes and threads of ``uid`` (what RLIMIT_NPROC counts)."""
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry}/task"))
            except OSError:
                pass
    return count


def _build(
    argv: Sequence[str],
    *,
    workdir: str | os.PathLike,
    readonly: Sequence[str | os.PathLike] = (),
    writable: Sequence[str | os.PathLike] = (),
    limits: Limits | None = None,
    network: bool = False,
    isolation: str | None = None,
) -> tuple[list[str], str, str | None]:
    limits = limits if limits is not None else Limits()
    argv = [os.fspath(a) for a in argv]
    if not argv:
        raise ValueError("sandbox: empty command")
    workdir = os.path.abspath(os.fspath(workdir))
    if not os.path.isdir(workdir):
        raise ValueError(f"sandbox: working directory {workdir} does not exist")
    for path in [*readonly, *writable]:
        if not os.path.exists(path):
            raise ValueError(f"sandbox: path {os.fspath(path)} to share does not exist")
    method = isolation or isolation_method()
    if method not in (BUBBLEWRAP, RLIMITS):
        raise ValueError(f"sandbox: unknown isolation {method!r}")
    if method == RLIMITS:
        _note("WARNING: running with resource limits only (no file-system or network isolation)")
    cgroup = None
    if limits.max_processes is not None and _cgroup_available():
        _sweep_cgroups()
        cgroup = str(_PIDS_ROOT / f"{_CGROUP_PREFIX}{uuid.uuid4().hex}")
    user = None
    if method == RLIMITS:
        user = fallback_user()
        reason = None
        if user is not None:
            reason = _hand_over(
                user,
                argv,
                workdir,
                [os.fspath(p) for p in readonly],
                [os.fspath(p) for p in writable],
            )
        _user_note(user, reason)  # raises SandboxRefused rather than run as root unasked
        if reason is not None:
            user = None
    command = [sys.executable, "-I", "-S", str(_LIMITS_SCRIPT)]
    command += _limit_options(limits, cgroup, fallback=method == RLIMITS, user=user)
    if user is not None:
        command += ["--user", f"{user.uid}:{user.gid}"]
    if method == BUBBLEWRAP:
        command += ["--ignore-sigint", "1", "--", _bwrap_path() or "bwrap"]
        command += _bwrap_args(
            workdir,
            [os.fspath(p) for p in readonly],
            [os.fspath(p) for p in writable],
            network=network,
        )
        command += argv
    else:
        command += [
            "--chdir",
            workdir,
            "--setenv",
            f"HOME={workdir}",
            "--setenv",
            f"TMPDIR={workdir}",
        ]
        command += [
            "--setenv",
            "MPLBACKEND=Agg",
            "--setenv",
            f"PATH={_sandbox_path()}",
            "--",
            *argv,
        ]
    return command, method, cgroup


def sandbox_command(
    argv: Sequence[str],
    *,
    workdir: str | os.PathLike,
    readonly: Sequence[str | os.PathLike] = (),
    writable: Sequence[str | os.PathLike] = (),
    limits: Limits | None = None,
    network: bool = False,
    isolation: str | None = None,
) -> list[str]:
    """A command line that runs ``argv`` with cwd ``workdir`` inside the sandbox."""
    command, _method, _cgroup = _build(
        argv,
        workdir=workdir,
        readonly=readonly,
        writable=writable,
        limits=limits,
        network=network,
        isolation=isolation,
    )
    return command


class _Capture(threading.Thread):
    """Drain a pipe, keeping at most ``limit`` bytes."""

    def __init__(self, stream, limit: int) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.limit = limit
        self.chunks: list[bytes] = []
        self.size = 0
        self.truncated = False

    def run(self) -> None:
        read = getattr(self.stream, "read1", self.stream.read)
        while True:
            try:
                chunk = read(65536)
            except (OSError, ValueError):
                break
            if not chunk:
                break
            room = self.limit - self.size
            if room > 0:
                self.chunks.append(chunk[:room])
                self.size += min(room, len(chunk))
            if len(chunk) > room:
                self.truncated = True

    def data(self) -> bytes:
        return b"".join(self.chunks)


def run_sandboxed(
    argv: Sequence[str],
    *,
    workdir: str | os.PathLike,
    timeout: float,
    input: bytes | None = None,
    max_output: int = 1_048_576,
    env: dict[str, str] | None = None,
    **kw,
) -> SandboxResult:
    """Run ``argv`` in the sandbox; kill the whole process tree at ``timeout`` seconds.

    ``stdout`` and ``stderr`` are each capped at ``max_output`` bytes (``truncated`` says so).
    Extra keywords (``readonly``, ``writable``, ``limits``, ``network``, ``isolation``) go to
    :func:`sandbox_command`.
    """
    command, method, cgroup = _build(argv, workdir=workdir, **kw)
    started = time.monotonic()
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env=env,
    )
    out = _Capture(process.stdout, max_output)
    err = _Capture(process.stderr, max_output)
    out.start()
    err.start()
    if input is not None:

        def feed() -> None:
            try:
                process.stdin.write(input)
            except OSError:
                pass
            finally:
                try:
                    process.stdin.close()
                except OSError:
                    pass

        threading.Thread(target=feed, daemon=True).start()
    timed_out = False
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
    finally:
        # Whatever is left of the tree goes: the session, then anything that left it.
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except OSError:
            pass
        _kill_cgroup(cgroup)
        process.wait()
    out.join(timeout=5)
    err.join(timeout=5)
    return SandboxResult(
        returncode=process.returncode,
        stdout=out.data(),
        stderr=err.data(),
        timed_out=timed_out,
        truncated=out.truncated or err.truncated,
        isolation=method,
        elapsed_seconds=time.monotonic() - started,
    )
