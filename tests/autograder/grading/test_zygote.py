"""A kernel forked from the worker's zygote into its sandbox is the equal of one the sandbox started.

(autograder/grading/zygote.py, autograder/sandbox/join.py.) Each test starts both kinds of kernel
the way a grading worker does (a sandbox that first serves the verification, then the gate) and
looks at them from inside with the same code.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from autograder.grading.kernel import SandboxedKernel, Zygote
from autograder.sandbox import BUBBLEWRAP, isolation_method

pytestmark = pytest.mark.skipif(
    isolation_method() != BUBBLEWRAP, reason="the zygote joins bubblewrap sandboxes only"
)

# Everything a process can learn about its own identity, rights, limits and surroundings.
LOOK = r"""
import ctypes, errno, json, os, resource, signal, socket, sys
libc = ctypes.CDLL(None, use_errno=True)
fields = dict(l.rstrip("\n").split(":\t", 1) for l in open("/proc/self/status") if ":\t" in l)
keys = ("Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs",
        "Seccomp")
me = os.getpid()
others = {}
for entry in os.listdir("/proc"):
    if entry.isdigit() and int(entry) not in (1, me):
        try:
            state = open(f"/proc/{entry}/stat").read().rpartition(")")[2].split()[0]
            if state not in ("Z", "X"):  # not a process the sandbox's init has yet to reap
                others[entry] = open(f"/proc/{entry}/cmdline", "rb").read().decode(errors="replace")
        except OSError:
            pass
def attempt(call):
    try:
        call()
        return "allowed"
    except OSError as error:
        return errno.errorcode.get(error.errno, str(error.errno))
holder = [pid for pid, line in others.items() if "import ctypes" in line]
def unshare():
    if libc.unshare(0x10000000) != 0:
        raise OSError(ctypes.get_errno(), "unshare")
def kind(fd):  # what a descriptor is, not its number or inode
    try:
        target = os.readlink(f"/proc/self/fd/{fd}").split(":[")[0].replace(scratch, "SCRATCH")
        return "history" if target.startswith("SCRATCH/work/.ipython") else target
    except OSError:
        return "gone"  # the listing's own descriptor
mounts = sorted(line.split()[4] for line in open("/proc/self/mountinfo"))
cwd = os.getcwd()
scratch = os.path.dirname(cwd)  # each kernel's own folder
print(json.dumps({
    "status": {k: " ".join(fields.get(k, "").split()) for k in keys},
    "limits": {n: resource.getrlimit(getattr(resource, n)) for n in
               ("RLIMIT_AS", "RLIMIT_NPROC", "RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_CPU")},
    "env": {k: v.replace(scratch, "SCRATCH") for k, v in os.environ.items()},
    "cwd": os.path.basename(cwd),
    "root": sorted(os.listdir("/")),
    "mounts": sorted(m.replace(scratch, "SCRATCH") for m in mounts),
    "host": socket.gethostname(),
    "userns": attempt(unshare),
    "others": sorted(line for pid, line in others.items() if pid not in holder),
    "holder_environ": attempt(lambda: open(f"/proc/{holder[0]}/environ").read()) if holder else None,
    "holder_mem": attempt(lambda: open(f"/proc/{holder[0]}/mem", "rb")) if holder else None,
    # What kinds of descriptor it holds (how many sockets, and IPython's history files while it
    # writes them, depend on timing): none that the zygote or the worker held.
    "fds": sorted({kind(fd) for fd in os.listdir("/proc/self/fd")} - {"gone"}),
    "sid": os.getsid(0) == os.getpid(),
    # What Python's start-up and the kernel's imports left: the same modules, the same import
    # machinery, the same path (nothing of the zygote's own start outside the sandbox).
    "modules": sorted(sys.modules),
    "meta_path": [type(finder).__name__ for finder in sys.meta_path],
    "path_hooks": [getattr(hook, "__qualname__", repr(hook)) for hook in sys.path_hooks],
    "sys_path": [p.replace(scratch, "SCRATCH") for p in sys.path],
    "flags": repr(sys.flags),
    "excepthook": getattr(sys.excepthook, "__qualname__", repr(sys.excepthook)),
    "signals": {int(n): repr(signal.getsignal(n)) for n in (signal.SIGINT, signal.SIGTERM,
                signal.SIGPIPE, signal.SIGCHLD, signal.SIGHUP, signal.SIGUSR1)},
    "blocked": sorted(int(n) for n in signal.pthread_sigmask(signal.SIG_BLOCK, [])),
    "cgroup": open("/proc/self/cgroup").read(),
    "umask": os.umask(0o022),
}))
"""


@pytest.fixture
def zygote(tmp_path: Path):
    started = Zygote(tmp_path)
    yield started
    started.close()


def _through_gate(kernel: SandboxedKernel) -> SandboxedKernel:
    assert kernel.open_gate()
    return kernel


def _look(in_kernel, kernel):
    seen = in_kernel(_through_gate(kernel), LOOK)
    return seen


def test_a_joined_kernel_has_exactly_the_rights_limits_and_view_of_a_sandboxed_one(
    in_kernel, tmp_path, zygote
):
    plain = SandboxedKernel(tmp_path, serve_verification=True)
    joined = SandboxedKernel(tmp_path, serve_verification=True, zygote=zygote)
    try:
        assert joined.joined is not None and plain.joined is None
        want, got = _look(in_kernel, plain), _look(in_kernel, joined)
    finally:
        plain.shutdown()
        joined.shutdown()
    # The sandbox's holder is the one process the joined kernel sees that the other does not;
    # it is not dumpable, so nothing in the sandbox can read or trace it.
    assert want.pop("holder_environ") is None and want.pop("holder_mem") is None
    assert got.pop("holder_environ") == "EACCES" and got.pop("holder_mem") == "EACCES"
    for key in want:
        assert got[key] == want[key], key
    assert got["status"]["CapEff"] == "0000000000000000" and got["status"]["NoNewPrivs"] == "1"
    assert got["userns"] != "allowed"  # no user namespace of its own, as in the sandbox


def test_the_joined_kernel_cannot_see_the_zygote_or_the_worker(in_kernel, tmp_path, zygote):
    kernel = SandboxedKernel(tmp_path, serve_verification=True, zygote=zygote)
    try:
        seen = in_kernel(
            _through_gate(kernel),
            "import json, os\n"
            "def running(p):  # not a process the sandbox's init has yet to reap\n"
            "    try:\n"
            "        return open(f'/proc/{p}/stat').read().rpartition(')')[2].split()[0] != 'Z'\n"
            "    except OSError:\n"
            "        return False\n"
            "print(json.dumps({'pids': sorted(int(p) for p in os.listdir('/proc')"
            " if p.isdigit() and running(p)), 'ppid': os.getppid()}))",
        )
        assert zygote.process.pid not in seen["pids"] and os.getpid() not in seen["pids"]
        assert seen["ppid"] == 0  # its parent (the joiner) is outside the sandbox
        assert len(seen["pids"]) == 3  # bubblewrap's init, the holder, the kernel
    finally:
        kernel.shutdown()


def test_a_joined_kernel_that_exits_ends_its_sandbox(in_kernel, tmp_path, zygote):
    kernel = SandboxedKernel(tmp_path, serve_verification=True, zygote=zygote)
    try:
        _through_gate(kernel)
        os.kill(kernel.joined, signal.SIGKILL)  # the kernel process dies as os._exit would
        launcher = kernel.km.provisioner.process
        assert launcher.wait(timeout=20) is not None  # the holder and bubblewrap went with it
    finally:
        kernel.shutdown()


def test_the_zygote_ends_with_its_worker_socket_and_kernels_with_the_zygote(tmp_path):
    zygote = Zygote(tmp_path)
    kernel = SandboxedKernel(tmp_path, serve_verification=True, zygote=zygote)
    try:
        launcher = kernel.km.provisioner.process
        zygote.process.kill()
        zygote.process.wait(timeout=10)
        # Its joiners die with it (PDEATHSIG), and with each joiner its sandbox.
        assert launcher.wait(timeout=20) is not None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(kernel.joined, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        with pytest.raises(ProcessLookupError):
            os.kill(kernel.joined, 0)
    finally:
        kernel.shutdown()
        zygote.close()
