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

import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
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
# The verification's student side (stdlib-only, run by path), bound read-only into a kernel's
# sandbox when that sandbox also serves the verification (see kernel_launcher.py).
WIRE = Path(__file__).resolve().parent.parent / "verify" / "wire"
ACK_SECONDS = 30.0


class SandboxedKernelManager(AsyncKernelManager):
    """An ipykernel launched through :func:`autograder.sandbox.sandbox_command`."""

    sandbox_workdir: Path
    sandbox_writable: tuple[str, ...] = ()
    sandbox_readonly: tuple[str, ...] = ()
    sandbox_limits: Limits

    sandbox_room: list[str] = []  # the launcher's --calcml-* options (see kernel_launcher.py)
    # With a zygote the sandbox runs only its holder; the kernel (this argv) joins it from outside.
    sandbox_holder: bool = False
    sandbox_kernel_argv: list[str] | None = None

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        argv = [
            sys.executable,
            str(KERNEL_LAUNCHER),
            "-f",
            str(self.connection_file),
            *self.sandbox_room,
            *(extra_arguments or []),
        ]
        if self.sandbox_holder:
            from autograder.sandbox.join import HOLDER

            self.sandbox_kernel_argv, argv = argv, [sys.executable, "-S", "-c", HOLDER]
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
    """One sandboxed kernel and its private scratch folder (working directory + sockets).

    With ``serve_verification=True`` (bubblewrap only) the sandbox first serves the
    verification's student side from ``room`` (:meth:`verification_room`), and the kernel itself
    starts only once :meth:`open_gate` says the verification is over.
    """

    def __init__(
        self,
        scratch_root: Path,
        *,
        limits: Limits | None = None,
        extra_arguments: list[str] | None = None,
        serve_verification: bool = False,
        zygote: Zygote | None = None,
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
        self.room: Path | None = None
        self._gate: int | None = None
        self._ack: int | None = None
        self._opened = True  # a kernel without a room has no gate to wait for
        self.joined: int | None = None  # the kernel's PID when it joined from the zygote
        pass_fds: tuple[int, ...] = ()
        stdin = stdout = subprocess.DEVNULL
        if serve_verification:
            self.room = self.scratch / "v"
            (self.room / "work").mkdir(parents=True)
            gate_r, self._gate = os.pipe()
            self._ack, ack_w = os.pipe()
            for fd in (self._gate, self._ack):
                os.set_inheritable(fd, False)
            pass_fds = (gate_r, ack_w)
            gate, ack = ("GATE", "ACK") if zygote else (str(gate_r), str(ack_w))
            km.sandbox_room = [
                "--calcml-room", str(self.room),
                "--calcml-wire", str(WIRE),
                "--calcml-gate", gate,
                "--calcml-ack", ack,
            ]  # fmt: skip
            km.sandbox_writable = (*km.sandbox_writable, str(self.room))
            km.sandbox_readonly = (str(WIRE),)
            if zygote is not None:  # the holder's stdin (its life) and stdout (it is ready)
                km.sandbox_holder = True
                hold_r, hold_w = os.pipe()
                ready_r, ready_w = os.pipe()
                stdin, stdout = hold_r, ready_w
                kept, pass_fds = (gate_r, ack_w, hold_w, ready_r), ()
        self.started_at = time.monotonic()
        try:
            run_sync(km.start_kernel)(
                extra_arguments=list(extra_arguments or []),
                env=submission_env(self.workdir),
                cwd=str(self.workdir),
                # The kernel's own console chatter is not the grader's output.
                stdin=stdin,
                stdout=stdout,
                stderr=subprocess.DEVNULL,
                pass_fds=pass_fds,
            )
            if km.sandbox_holder:
                os.close(hold_r)
                os.close(ready_w)
                self.joined = zygote.join(self, hold_w, ready_r, gate_r, ack_w)
        except BaseException:
            if km.sandbox_holder:
                self.shutdown()
            raise
        finally:
            for fd in pass_fds if not km.sandbox_holder else kept:
                os.close(fd)

    def verification_room(self) -> dict | None:
        """Where the trusted test process finds this sandbox's student side (None: it has none)."""
        if self.room is None or self._gate is None:
            return None
        return {
            "socket": str(self.room / "student.sock"),
            "workdir": str(self.room / "work"),
            "pid": self.pid,
            "command": list(getattr(self.km, "sandbox_cmd", None) or []),
        }

    def open_gate(self) -> bool:
        """End the verification's side and let the kernel start; False if it will not start.

        The kernel says so on its own pipe once every process of the verification is gone; a
        kernel that does not (the student's side of the verification killed or stopped it) is
        one to replace.
        """
        if self._gate is None:  # no room, or the gate is already open
            return self._opened
        for pid in self.processes():  # a stopped process (SIGSTOP) cannot hear the gate
            try:
                os.kill(pid, signal.SIGCONT)
            except OSError:
                pass
        try:
            os.write(self._gate, b"g")
        except OSError:
            pass
        os.close(self._gate)
        self._gate = None
        ack, self._ack = self._ack, None
        try:
            ready, _, _ = select.select([ack], [], [], ACK_SECONDS)
            self._opened = bool(ready) and os.read(ack, 1) == b"k"
        except OSError:
            self._opened = False
        finally:
            os.close(ack)
        return self._opened

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
        found = sandbox_processes(getattr(self.km, "sandbox_cmd", None), self.pid)
        if self.joined is not None:  # joined from the zygote: not below the launcher
            found += [p for p in sandbox_processes(None, self.joined) if p not in found]
        return found

    def kill_leftovers(self) -> None:
        """SIGKILL whatever is left in the sandbox's pids cgroup, then remove the group."""
        kill_sandbox(getattr(self.km, "sandbox_cmd", None) or [])

    def shutdown(self) -> None:
        """Stop the kernel and every process it started, and delete its scratch folder."""
        for fd in (self._gate, self._ack):
            if fd is not None:
                os.close(fd)
        self._gate = self._ack = None
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


class Zygote:
    """A grading worker's kernel zygote (``kernel_launcher.py --calcml-zygote``, see
    ``zygote.py``): each kernel is forked from it into a sandbox started with only a holder."""

    def __init__(self, scratch: Path) -> None:
        seen = _sandboxed_site(scratch)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(KERNEL_LAUNCHER),
                "--calcml-zygote",
                str(theirs.fileno()),
                json.dumps(seen),
            ],  # fmt: skip
            pass_fds=(theirs.fileno(),),
            env=submission_env(scratch),  # nothing of the grader's own environment
            cwd=str(scratch),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        theirs.close()
        ours.settimeout(ACK_SECONDS)
        self.channel = ours
        self.lock = threading.Lock()

    def join(self, kernel: SandboxedKernel, hold: int, ready: int, gate: int, ack: int) -> int:
        """Fork ``kernel``'s process into its sandbox once the holder runs; its PID.

        ``hold`` and ``ready``: the holder's stdin and stdout; ``gate`` and ``ack``: the kernel's."""
        answer, _, _ = select.select([ready], [], [], ACK_SECONDS)
        if not answer or os.read(ready, 1) != b"r":
            raise OSError("the sandbox's holder did not start")
        holders = [p for p in kernel.processes() if _command_name(p) not in ("bwrap", "")]
        if len(holders) != 1:
            raise OSError(f"cannot tell the sandbox's holder among {holders}")
        request = {
            "holder": holders[0],
            "argv": kernel.km.sandbox_kernel_argv,
            "cwd": str(kernel.workdir),
        }
        with self.lock:
            socket.send_fds(self.channel, [json.dumps(request).encode()], [hold, ready, gate, ack])
            reply = json.loads(self.channel.recv(65536) or b"{}")
        if "pid" not in reply:
            raise OSError(f"the kernel zygote could not join the sandbox: {reply.get('error')}")
        return int(reply["pid"])

    def close(self) -> None:
        self.channel.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _command_name(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as handle:
            return handle.read().strip()
    except OSError:
        return ""


# What Python's start-up did in a sandbox: its path (the script's folder aside) and its modules.
_SITE_PROBE = (
    "import json, sys\nprint(json.dumps({'path': sys.path[1:], 'modules': sorted(sys.modules)}))"
)


def _sandboxed_site(scratch: Path) -> dict:
    """Ask a sandboxed Python (once per zygote) how its start-up went; see ``kernel_launcher.py``."""
    workdir = tempfile.mkdtemp(prefix="site", dir=scratch)
    command = sandbox_command([sys.executable, "-c", _SITE_PROBE], workdir=workdir)
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=60, env=submission_env(workdir)
        )
        if done.returncode != 0:
            raise OSError(f"the sandbox's Python did not start: {done.stderr[-500:]}")
        seen = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        remove_tree(Path(workdir))
        kill_sandbox(command)
    return seen
