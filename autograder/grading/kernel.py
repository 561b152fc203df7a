"""A Jupyter kernel that runs inside the sandbox (:mod:`autograder.sandbox`).

The kernel has no network, so it talks to the grader over jupyter_client's ``ipc`` transport:
the connection file and the ZeroMQ socket files live in a directory that is bound writable into
the sandbox. Interrupts are sent as ``interrupt_request`` messages (a signal to the sandbox
launcher would not reach the kernel inside its PID namespace).

A kernel can be started ahead of time (constructing a :class:`SandboxedKernel` returns once the
sandbox's process is launched; the kernel boots in the background), so a worker can have the next
submission's kernel ready while it still post-processes the previous one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

from autograder.files import remove_tree
from autograder.sandbox import (
    Limits,
    kill_sandbox,
    sandbox_command,
    sandbox_processes,
    submission_env,
)

KERNEL_LAUNCHER = Path(__file__).resolve().parent / "kernel_launcher.py"


class SandboxedKernelManager(AsyncKernelManager):
    """An ipykernel launched through :func:`autograder.sandbox.sandbox_command`."""

    sandbox_workdir: Path
    sandbox_writable: tuple[str, ...] = ()
    sandbox_readonly: tuple[str, ...] = ()
    sandbox_limits: Limits

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        argv = [
            sys.executable,
            str(KERNEL_LAUNCHER),
            "-f",
            str(self.connection_file),
            *(extra_arguments or []),
        ]
        command = sandbox_command(
            argv,
            workdir=str(self.sandbox_workdir),
            readonly=(*self.sandbox_readonly, str(KERNEL_LAUNCHER)),
            writable=self.sandbox_writable,
            limits=self.sandbox_limits,
            network=False,
        )
        # Remembered so that shutdown can kill every process left in the sandbox's pids cgroup,
        # even one that left the session (the PID namespace does that with bwrap; with resource
        # limits only, the cgroup is what catches a double-forked daemon).
        self.sandbox_cmd = command
        return command

    sandbox_cmd: list[str] | None = None


class SandboxedKernel:
    """One sandboxed kernel and its private scratch folder (working directory + sockets)."""

    def __init__(
        self,
        scratch_root: Path,
        *,
        limits: Limits | None = None,
        extra_arguments: list[str] | None = None,
    ) -> None:
        # ipc socket paths must stay short (AF_UNIX paths are limited to ~107 bytes).
        self.scratch = Path(tempfile.mkdtemp(prefix="k", dir=scratch_root))
        self.workdir = self.scratch / "work"
        self.conn_dir = self.scratch / "c"
        self.workdir.mkdir()
        self.conn_dir.mkdir()
        km = SandboxedKernelManager(transport="ipc", ip=str(self.conn_dir / "s"))
        km.connection_file = str(self.conn_dir / "kernel.json")
        km._kernel_spec = KernelSpec(
            argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            display_name="Python 3 (sandboxed)",
            language="python",
            interrupt_mode="message",
        )
        km.sandbox_workdir = self.workdir
        km.sandbox_writable = (str(self.conn_dir),)
        km.sandbox_limits = limits or Limits()
        self.km = km
        self.started_at = time.monotonic()
        run_sync(km.start_kernel)(
            extra_arguments=list(extra_arguments or []),
            env=submission_env(self.workdir),
            cwd=str(self.workdir),
            # The kernel's own console chatter is not the grader's output.
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    @property
    def pid(self) -> int | None:
        process = getattr(self.km.provisioner, "process", None)
        return getattr(process, "pid", None)

    def kill(self) -> None:
        """Kill the sandbox launcher (which takes every process of the sandbox with it)."""
        pid = self.pid
        if pid is None:
            return
        for sig_target in (
            lambda: os.killpg(pid, signal.SIGKILL),
            lambda: os.kill(pid, signal.SIGKILL),
        ):
            try:
                sig_target()
            except (ProcessLookupError, PermissionError):
                pass

    def _reap(self) -> None:
        """Wait for the killed launcher to exit (at once, it got SIGKILL).

        jupyter_client's shutdown polls a kernel that is still alive every 0.1 s: without this
        wait each submission's worker sat idle for about 60 ms at that point.
        """
        process = getattr(self.km.provisioner, "process", None)
        if process is None:
            return
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # shutdown_kernel kills and waits again
            pass

    def processes(self) -> list[int]:
        """The PIDs of this kernel's sandbox (the launcher, the kernel, what it started)."""
        return sandbox_processes(getattr(self.km, "sandbox_cmd", None), self.pid)

    def kill_leftovers(self) -> None:
        """SIGKILL whatever is left in the sandbox's pids cgroup, then remove the group."""
        kill_sandbox(getattr(self.km, "sandbox_cmd", None) or [])

    def shutdown(self) -> None:
        """Stop the kernel and every process it started, and delete its scratch folder."""
        self.kill()
        self._reap()
        try:
            run_sync(self.km.shutdown_kernel)(now=True)
        except Exception:  # noqa: BLE001 - the kernel may already be gone
            pass
        try:
            run_sync(self.km.cleanup_resources)()
        except Exception:  # noqa: BLE001
            pass
        self.kill_leftovers()
        remove_tree(self.scratch)  # however deep the kernel's code made it
