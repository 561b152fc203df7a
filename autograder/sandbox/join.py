"""Put a forked process into a running bubblewrap sandbox, with exactly the sandbox's own rights.

Standard library only: the kernel zygote (``kernel_launcher.py --calcml-zygote``) loads this file
by path. A sandbox is started as usual (limits wrapper, bubblewrap, its mounts and namespaces)
with a *holder* as its program (:data:`HOLDER`), a small process that only waits. A forked copy of the zygote then
takes, from the holder, everything the sandbox gave it, and checks the result against it:

* the user and group (as the limits wrapper switched them) and no supplementary groups,
* the holder's cgroups (pids, memory, CPU share), joined before the fork that enters the PID
  namespace, so the kernel is counted from its first instruction,
* every namespace (user, mount, IPC, UTS, network, cgroup, PID): the mount namespace's owner first,
  then bubblewrap's inner user namespace (the one that cannot create more),
* then, in the process that is inside the PID namespace: no capabilities at all (effective,
  permitted, inheritable, ambient, bounding set), ``no_new_privs``, the holder's resource limits
  and its environment.

:func:`check_same` compares ``/proc/PID/status`` of the two; any difference stops the process.
"""

from __future__ import annotations

import ctypes
import os
import resource

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
NAMESPACES = (
    ("mnt", CLONE_NEWNS),
    ("ipc", CLONE_NEWIPC),
    ("uts", CLONE_NEWUTS),
    ("net", CLONE_NEWNET),
    ("cgroup", CLONE_NEWCGROUP),
    ("pid", CLONE_NEWPID),
)
NS_GET_USERNS = 0xB701  # _IO(0xb7, 0x1): the user namespace that owns a namespace
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
LINUX_CAPABILITY_VERSION_3 = 0x20080522
# What must be the same in the holder and the joined process (lines of /proc/PID/status).
SAME = ("Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs",
        "Seccomp")  # fmt: skip
RLIMITS = {
    "Max cpu time": resource.RLIMIT_CPU,
    "Max file size": resource.RLIMIT_FSIZE,
    "Max processes": resource.RLIMIT_NPROC,
    "Max open files": resource.RLIMIT_NOFILE,
    "Max address space": resource.RLIMIT_AS,
}

# The holder, run by the sandbox's Python with -S: it says it runs ("r"), waits until it has been
# read from the outside, becomes non-dumpable (no process of the sandbox may trace it or read its
# memory), says so ("n"), then waits for the end of its stdin: the end of the joined kernel.
HOLDER = (
    "import ctypes, os\n"
    "os.write(1, b'r')\n"
    "os.read(0, 1)\n"
    "ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)\n"
    "os.write(1, b'n')\n"
    "os.close(1)\n"
    "while os.read(0, 1):\n"
    "    pass\n"
)

_libc = ctypes.CDLL(None, use_errno=True)


class JoinError(OSError):
    """The process could not be made the sandbox's equal."""


def _call(result: int, what: str) -> int:
    if result < 0:
        error = ctypes.get_errno()
        raise JoinError(error, f"{what}: {os.strerror(error)}")
    return result


def status(pid: int | str) -> dict[str, str]:
    """The :data:`SAME` lines of ``/proc/PID/status``."""
    with open(f"/proc/{pid}/status") as handle:
        lines = dict(line.rstrip("\n").split(":\t", 1) for line in handle if ":\t" in line)
    return {key: " ".join(lines.get(key, "").split()) for key in SAME}


class Holder:
    """What a sandbox's holder process was given, read from the outside (host PIDs and paths)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        with open(f"/proc/{pid}/status") as handle:
            fields = dict(line.rstrip("\n").split(":\t", 1) for line in handle if ":\t" in line)
        self.uid = int(fields["Uid"].split()[0])
        self.gid = int(fields["Gid"].split()[0])
        self.ns_pid = int(fields["NSpid"].split()[-1])  # its PID inside the sandbox
        with open(f"/proc/{pid}/environ", "rb") as handle:
            raw = handle.read()
        self.env = dict(
            item.decode("utf-8", "surrogateescape").split("=", 1)
            for item in raw.split(b"\0")
            if b"=" in item
        )
        self.limits = {}
        with open(f"/proc/{pid}/limits") as handle:
            for line in handle:
                for name, which in RLIMITS.items():
                    if line.startswith(name):
                        soft, hard = line[len(name) :].split()[:2]
                        self.limits[which] = tuple(
                            resource.RLIM_INFINITY if v == "unlimited" else int(v)
                            for v in (soft, hard)
                        )
        self.cgroups = []
        with open(f"/proc/{pid}/cgroup") as handle:
            for line in handle:
                _number, controllers, path = line.rstrip("\n").split(":", 2)
                self.cgroups.append((controllers, path))

    def cgroup_files(self) -> list[str]:
        """The ``cgroup.procs`` files of the holder's own cgroups (not the root ones)."""
        files = []
        for controllers, path in self.cgroups:
            if path in ("", "/"):
                continue
            if controllers == "":  # cgroup v2
                base = "/sys/fs/cgroup"
            else:
                name = controllers.replace("name=", "")
                base = f"/sys/fs/cgroup/{name}"
                if not os.path.isdir(base):
                    base = f"/sys/fs/cgroup/{name.split(',')[0]}"
            target = os.path.join(base, path.lstrip("/"), "cgroup.procs")
            if os.path.exists(target):
                files.append(target)
        return files


def become_holder_user(holder: Holder) -> None:
    """Take the holder's user and group (the limits wrapper's ``--user``), no other groups."""
    if (os.getuid(), os.getgid()) == (holder.uid, holder.gid):
        return
    os.setgroups([])
    os.setresgid(holder.gid, holder.gid, holder.gid)
    os.setresuid(holder.uid, holder.uid, holder.uid)


def enter_namespaces(holder: Holder) -> None:
    """Join every namespace of the holder (a process outside them, single-threaded)."""
    fds = {name: os.open(f"/proc/{holder.pid}/ns/{name}", os.O_RDONLY) for name, _ in NAMESPACES}
    fds["user"] = os.open(f"/proc/{holder.pid}/ns/user", os.O_RDONLY)
    owner = _call(_libc.ioctl(fds["mnt"], NS_GET_USERNS), "the owner of the mount namespace")
    try:
        _call(_libc.setns(owner, CLONE_NEWUSER), "setns user (owner)")
        for name, flag in NAMESPACES:
            _call(_libc.setns(fds[name], flag), f"setns {name}")
        if os.fstat(owner).st_ino != os.fstat(fds["user"]).st_ino:
            _call(_libc.setns(fds["user"], CLONE_NEWUSER), "setns user")
    finally:
        for fd in (owner, *fds.values()):
            os.close(fd)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def drop_privileges() -> None:
    """No capability of any kind, for good; no gaining any through exec (``no_new_privs``)."""
    with open("/proc/sys/kernel/cap_last_cap") as handle:
        last = int(handle.read())
    for cap in range(last + 1):
        _call(_libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), f"drop capability {cap}")
    _call(_libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "clear ambient")
    header = _CapHeader(LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    _call(_libc.capset(ctypes.byref(header), data), "capset")
    _call(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def apply_limits(holder: Holder) -> None:
    for which, (soft, hard) in holder.limits.items():
        resource.setrlimit(which, (soft, hard))


def check_same(holder: Holder) -> None:
    """Raise unless this process has exactly the holder's identity, rights and limits.

    Both are read inside the sandbox (user and group IDs as its user namespace maps them)."""
    mine, theirs = status("self"), status(holder.ns_pid)
    if mine != theirs:
        differ = sorted(k for k in SAME if mine[k] != theirs[k])
        raise JoinError(1, f"not the sandbox's equal: {', '.join(differ)}")
    for which, wanted in holder.limits.items():
        if resource.getrlimit(which) != wanted:
            raise JoinError(1, f"resource limit {which} differs")
    with open("/proc/self/cgroup") as mine, open(f"/proc/{holder.ns_pid}/cgroup") as theirs:
        if mine.read() != theirs.read():
            raise JoinError(1, "not in the sandbox's cgroups")
