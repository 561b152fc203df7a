"""Run untrusted submission code in a sandbox.

With bubblewrap (``bwrap``) the command sees a private file system made of read-only system
libraries, the Python environment, a private ``/tmp`` and a writable working directory; the course
tree (``source/``, other students' work, the gradebook, ``nbgrader_config.py``, ``autograder/``,
and the teaching package ``calcml``, whose chapter helpers would hand a submission ready-made
answers) and the user's home do not exist for it. It has no network, lives in its own PID
namespace (every process it starts dies with it) and runs under resource limits applied by
:mod:`autograder._limits`.

Without bubblewrap only the resource limits, the working directory and a scratch HOME/TMPDIR are
applied, and a loud note says so. Force that path with ``isolation="rlimits"`` or the environment
variable ``CALCML_SANDBOX=rlimits``. A grader running as root also switches the command to an
unprivileged user in that fallback (``nobody``, or the account named by ``CALCML_SANDBOX_USER``),
who owns only the working directory: the course tree is then as closed to the submission as its
file modes make it to any other user. When that user cannot reach the command (say, a Python
interpreter under a private home directory), the fallback refuses to run it as root (a submission
running as root could kill or rewrite anything on the machine) unless ``CALCML_SANDBOX_ALLOW_ROOT=1``
accepts that risk, and then says so loudly.

On this machine the grader runs as root, for whom the kernel ignores RLIMIT_NPROC; the process limit
is then enforced by a cgroup-v1 ``pids`` group per sandbox (when ``/sys/fs/cgroup/pids`` is
writable), which also lets :func:`run_sandboxed` kill every process that escaped its session.

Fair share: where the grader runs as root, each sandbox also gets a CPU group of its own (cgroup v2
``cpu.max`` + ``cpu.weight`` when the unified hierarchy offers the ``cpu`` controller, else cgroup
v1 ``cpu.cfs_quota_us`` + ``cpu.shares``). Every sandbox then weighs the same to the scheduler
however many processes it starts, and none may use more than ``Limits.cpu_cores`` cores
(``CALCML_SANDBOX_CPU``, default 1; ``0`` or ``off`` switches the CPU group off): a student forking
busy loops slows only their own cells, not their neighbours'.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

BUBBLEWRAP = "bubblewrap"
RLIMITS = "rlimits"
ENV_FORCE = "CALCML_SANDBOX"
ENV_USER = "CALCML_SANDBOX_USER"
ENV_ALLOW_ROOT = "CALCML_SANDBOX_ALLOW_ROOT"
FALLBACK_USER = "nobody"

_LIMITS_SCRIPT = Path(__file__).resolve().parent / "_limits.py"
_PIDS_ROOT = Path("/sys/fs/cgroup/pids")
# A memory cgroup twin of the pids group (same name) caps what RLIMIT_AS cannot see: System V
# shared memory a process detached, tmpfs files. Its limit is the memory limit plus this margin,
# so that an ordinary large allocation still ends in MemoryError, not in the OOM killer.
_MEMORY_ROOT = Path("/sys/fs/cgroup/memory")
MEMORY_CGROUP_MARGIN = 512 * 1024**2
# The CPU group (same name again): cgroup v1's cpu controller, or v2's where it lives there.
_CPU_V1_ROOT = Path("/sys/fs/cgroup/cpu")
_CPU_V2_ROOTS = (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified"))
ENV_CPU = "CALCML_SANDBOX_CPU"
CPU_PERIOD_US = 100_000
_CGROUP_PREFIX = "calcml-sandbox-"

PRIVATE_TMP_BYTES = 256 * 1024**2
# The working folder is a folder of the grader's disk: its size is watched (DiskWatch), 512 MiB
# unless CALCML_WORKDIR_QUOTA_MB says otherwise.
ENV_QUOTA = "CALCML_WORKDIR_QUOTA_MB"
WORKDIR_QUOTA_FILES = 20_000


def workdir_quota_bytes() -> int:
    """The size a sandbox's working folder may reach (``CALCML_WORKDIR_QUOTA_MB``, default 512)."""
    text = os.environ.get(ENV_QUOTA, "").strip()
    try:
        megabytes = int(text) if text else 512
    except ValueError:
        raise ValueError(f"{ENV_QUOTA}={text!r}: expected a whole number of MiB") from None
    if megabytes < 1:
        raise ValueError(f"{ENV_QUOTA}={text!r}: the quota must be at least 1 MiB")
    return megabytes * 1024**2


PRIVATE_SHM_BYTES = 64 * 1024**2

_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_ETC_ENTRIES = (
    "alternatives",
    "fonts",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "passwd",
    "group",
    "nsswitch.conf",
    "hosts",
    "host.conf",
    "resolv.conf",
    "gai.conf",
    "ssl",
    "ca-certificates",
    "mime.types",
    "matplotlibrc",
)


def submission_env(workdir: str | os.PathLike) -> dict[str, str]:
    """The whole environment of a process that runs student code (kernel or verification).

    Built from scratch, so nothing of the instructor's environment (tokens, paths, settings)
    reaches a submission, and the same for both processes, so a submission cannot tell them
    apart by it.
    """
    workdir = os.fspath(workdir)
    return {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/local/bin:/usr/bin:/bin",
        "HOME": workdir,
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": os.path.join(workdir, ".matplotlib"),
        "IPYTHONDIR": os.path.join(workdir, ".ipython"),
        "JUPYTER_CONFIG_DIR": os.path.join(workdir, ".jupyter"),
        "JUPYTER_RUNTIME_DIR": os.path.join(workdir, ".jupyter-runtime"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONWARNINGS": "ignore::DeprecationWarning",
        "NBGRADER_EXECUTION": "autograde",
    }


@dataclass
class Limits:
    """Resource limits for one sandboxed command (``None`` means unlimited)."""

    memory_bytes: int | None = 2 * 1024**3
    max_processes: int | None = 64
    cpu_seconds: int | None = None
    file_size_bytes: int | None = 64 * 1024**2
    open_files: int | None = 256
    # Fair share (root only, see the module docstring): at most this many cores, and a weight
    # (cgroup v2 scale, 100 = the default) that is the same for every sandbox.
    cpu_cores: float | None = field(default_factory=lambda: sandbox_cpu_cores())
    cpu_weight: int = 100


def sandbox_cpu_cores() -> float | None:
    """The cores one sandbox may use (``CALCML_SANDBOX_CPU``, default 1); None: no CPU group."""
    text = os.environ.get(ENV_CPU, "").strip().lower()
    if text in ("0", "off", "no", "none"):
        return None
    try:
        cores = float(text) if text else 1.0
    except ValueError:
        raise ValueError(f"{ENV_CPU}={text!r}: expected a number of cores, or off") from None
    if not cores > 0:
        raise ValueError(f"{ENV_CPU}={text!r}: expected a positive number of cores, or off")
    return cores


@dataclass
class SandboxResult:
    returncode: int
    stdout: bytes
    stderr: bytes
    timed_out: bool
    truncated: bool
    isolation: str
    elapsed_seconds: float = field(default=0.0)


_probe_cache: dict[str, str] = {}
_warned: set[str] = set()


def _note(message: str) -> None:
    """Say once per process, on stderr, which isolation is in force."""
    if message not in _warned:
        _warned.add(message)
        sys.stderr.write(f"autograder.sandbox: {message}\n")
        sys.stderr.flush()


def _bwrap_path() -> str | None:
    return shutil.which("bwrap")


def isolation_method() -> str:
    """``"bubblewrap"`` when bwrap works here (probed once per process), else ``"rlimits"``."""
    forced = os.environ.get(ENV_FORCE, "").strip().lower()
    if forced == RLIMITS:
        return RLIMITS
    if "method" in _probe_cache:
        return _probe_cache["method"]
    method, reason = RLIMITS, "bwrap is not installed"
    bwrap = _bwrap_path()
    if bwrap is not None:
        with _scratch_dir() as scratch:
            command = [bwrap, *_bwrap_args(scratch, (), (), network=False), sys.executable]
            command += ["-S", "-c", "pass"]
            try:
                probe = subprocess.run(command, capture_output=True, timeout=30)
            except (OSError, subprocess.TimeoutExpired) as error:
                reason = f"bwrap probe failed: {error}"
            else:
                if probe.returncode == 0:
                    method = BUBBLEWRAP
                else:
                    detail = probe.stderr.decode(errors="replace").strip().splitlines()
                    reason = f"bwrap probe failed: {detail[-1] if detail else probe.returncode}"
    if method == RLIMITS:
        _note(
            f"WARNING: {reason}; falling back to resource limits only "
            "(no file-system or network isolation)"
        )
    _probe_cache["method"] = method
    return method


@dataclass(frozen=True)
class SandboxUser:
    """The unprivileged account the fallback runs submissions as."""

    name: str
    uid: int
    gid: int


def fallback_user() -> SandboxUser | None:
    """The account to switch to in the fallback, or ``None`` when no switch is possible.

    Only root can switch users. The account is ``nobody`` unless ``CALCML_SANDBOX_USER`` names
    another; one that does not exist, or is root, is refused with a warning.
    """
    if os.geteuid() != 0:
        return None
    name = os.environ.get(ENV_USER, "").strip() or FALLBACK_USER
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        _note(f"WARNING: {ENV_USER}: there is no user {name!r}; submissions run as root")
        return None
    if entry.pw_uid == 0:
        _note(f"WARNING: {ENV_USER}: {name!r} is root, not an unprivileged user")
        return None
    return SandboxUser(name, entry.pw_uid, entry.pw_gid)


def _permitted(info: os.stat_result, user: SandboxUser) -> int:
    """The rwx bits (4, 2, 1) that ``user`` has on a file with this status (mode bits only)."""
    if info.st_uid == user.uid:
        return (info.st_mode >> 6) & 7
    if info.st_gid == user.gid:
        return (info.st_mode >> 3) & 7
    return info.st_mode & 7


def unreachable_for(user: SandboxUser, path: str | os.PathLike, need: int = 4) -> str | None:
    """The first part of ``path`` that ``user`` cannot pass, or ``None`` when all of it is open.

    Every directory on the way needs search permission (x); the path itself needs ``need``
    (4 read, 1 execute, or both), directories also x.
    """
    real = os.path.realpath(os.fspath(path))
    parts = [p for p in real.split(os.sep) if p]
    for depth in range(len(parts) + 1):
        prefix = os.sep + os.sep.join(parts[:depth])
        try:
            info = os.stat(prefix)
        except OSError:
            return prefix
        wanted = 1 if depth < len(parts) else need | (1 if stat.S_ISDIR(info.st_mode) else 0)
        if _permitted(info, user) & wanted != wanted:
            return prefix
    return None


def _open_scratch_parents(user: SandboxUser, path: str) -> None:
    """Let ``user`` pass through our own scratch folders (mkdtemp makes them 0700) to ``path``.

    Only folders inside the system temporary directory get search permission for others (not
    read: they cannot be listed); the instructor's own folders are never changed.
    """
    temp_root = os.path.realpath(tempfile.gettempdir())
    current = os.path.dirname(os.path.realpath(path))
    while current.startswith(temp_root + os.sep):
        try:
            info = os.stat(current)
            if info.st_uid == os.geteuid() and not info.st_mode & stat.S_IXOTH:
                os.chmod(current, stat.S_IMODE(info.st_mode) | stat.S_IXOTH)
        except OSError:
            return
        current = os.path.dirname(current)


def _user_blocker(user: SandboxUser, argv: Sequence[str], readonly: Sequence[str]) -> str | None:
    """Why ``user`` cannot run ``argv`` with these read-only paths, or ``None`` when it can.

    It must reach the command, the Python environment when the command is this Python, and the
    read-only paths.
    """
    executable = shutil.which(argv[0]) or argv[0]
    needs: list[tuple[str, int]] = [(executable, 1)]
    if os.path.realpath(executable) == os.path.realpath(sys.executable):
        needs += [(path, 5) for path in _dedupe(_python_paths())]
    needs += [(os.fspath(path), 4) for path in readonly]
    for path, need in needs:
        blocked = unreachable_for(user, path, need)
        if blocked is not None:
            return f"it cannot reach {blocked} (needed for {path})"
    return None


class SandboxRefused(RuntimeError):
    """The fallback would have to run a submission as root, and that was not allowed."""


def _as_root_allowed() -> bool:
    return os.environ.get(ENV_ALLOW_ROOT, "").strip().lower() in ("1", "yes", "true")


def _user_note(user: SandboxUser | None, reason: str | None) -> None:
    """Say (once) which user the fallback runs submissions as; refuse root unless allowed."""
    if user is not None and reason is None:
        _note(f"the fallback runs submissions as the unprivileged user {user.name!r}")
        return
    if os.geteuid() != 0:
        return  # not root: the submission runs as the grader's own (unprivileged) user
    why = reason if user is not None else "there is no usable unprivileged user"
    name = user.name if user is not None else FALLBACK_USER
    if not _as_root_allowed():
        raise SandboxRefused(
            f"the sandbox fallback would run submissions as root: it cannot switch to the "
            f"unprivileged user {name!r} ({why}). Install bubblewrap (make system-deps), make "
            f"the Python environment reachable for {name!r}, or set {ENV_ALLOW_ROOT}=1 to "
            "accept that student code may then do anything root can"
        )
    _note(
        f"WARNING: submissions run as root ({ENV_ALLOW_ROOT}=1): the fallback cannot switch to "
        f"the unprivileged user {name!r} ({why})"
    )


def announce_fallback(argv: Sequence[str], readonly: Sequence[str] = ()) -> None:
    """Say now, once, what the fallback will do for ``argv`` (before worker processes fork).

    Raises :class:`SandboxRefused` when it would run submissions as root without permission.
    """
    _note("WARNING: running with resource limits only (no file-system or network isolation)")
    user = fallback_user()
    reason = _user_blocker(user, argv, [os.fspath(p) for p in readonly]) if user else None
    _user_note(user, reason)


def _hand_over(
    user: SandboxUser,
    argv: Sequence[str],
    workdir: str,
    readonly: Sequence[str],
    writable: Sequence[str],
) -> str | None:
    """Prepare the fallback to run ``argv`` as ``user``; returns why it cannot, or ``None``.

    ``user`` gets the working directory and the writable paths: they are chowned to it.
    """
    reason = _user_blocker(user, argv, readonly)
    if reason is not None:
        return reason
    for top in [workdir, *writable]:
        _open_scratch_parents(user, top)
        for folder, dirs, files in os.walk(top):
            for name in [folder, *(os.path.join(folder, n) for n in dirs + files)]:
                os.lchown(name, user.uid, user.gid)
        blocked = unreachable_for(user, top, 6)
        if blocked is not None:
            return f"it cannot reach {blocked} (the working directory is {top})"
    return None


class _scratch_dir:
    def __enter__(self) -> str:
        import tempfile

        self.path = tempfile.mkdtemp(prefix="calcml-sandbox-probe-")
        return self.path

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def _python_paths() -> list[str]:
    """Directories that make up the running Python environment."""
    paths = []
    for path in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix):
        paths += [os.path.abspath(path), os.path.realpath(path)]
    executable = sys.executable
    while True:
        paths.append(os.path.dirname(os.path.abspath(executable)))
        if not os.path.islink(executable):
            break
        target = os.readlink(executable)
        executable = os.path.join(os.path.dirname(executable), target)
    return paths


def _dedupe(paths: list[str]) -> list[str]:
    """Drop duplicates and paths already inside another entry, keeping order."""
    result: list[str] = []
    for path in sorted({os.path.realpath(p) for p in paths}, key=len):
        if not os.path.exists(path):
            continue
        if any(path == kept or path.startswith(kept.rstrip("/") + "/") for kept in result):
            continue
        result.append(path)
    return result


def _links_to_bound(paths: list[str], bound: list[str]) -> list[tuple[str, str]]:
    """``(path, target)`` for the paths reached through a symbolic link (a ``.venv`` that links
    elsewhere): the sandbox binds only the target, so the name the interpreter was started by
    must exist too. The outermost link is enough; a path already inside a bound folder is there."""

    def inside(path: str, folders) -> bool:
        return any(path == f or path.startswith(f.rstrip("/") + "/") for f in folders)

    links: list[tuple[str, str]] = []
    for path in sorted({os.path.abspath(p) for p in paths}, key=len):
        if os.path.realpath(path) == path or inside(path, bound):
            continue
        head = path  # the outermost link on the way: above it the path is the same in the sandbox
        while os.path.realpath(os.path.dirname(head)) != os.path.dirname(head):
            head = os.path.dirname(head)
        taken = inside(head, bound) or inside(head, [link for link, _ in links])
        if not taken and head not in (*_SYSTEM_DIRS, "/tmp", "/dev", "/proc", "/etc"):
            links.append((head, os.path.realpath(head)))
    return links


def _bwrap_args(
    workdir: str, readonly: Sequence[str], writable: Sequence[str], *, network: bool
) -> list[str]:
    args = [
        "--unshare-user",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--disable-userns",
        "--die-with-parent",
        "--cap-drop",
        "ALL",
        "--hostname",
        "sandbox",
    ]
    if not network:
        args.append("--unshare-net")
    for directory in _SYSTEM_DIRS:
        if os.path.islink(directory):
            args += ["--symlink", os.readlink(directory), directory]
        elif os.path.isdir(directory):
            args += ["--ro-bind", directory, directory]
    for entry in _ETC_ENTRIES:
        path = os.path.join("/etc", entry)
        if os.path.lexists(path):
            args += ["--ro-bind-try", path, path]
    # Private tmpfs mounts live in RAM outside RLIMIT_AS: give them a size.
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += ["--size", str(PRIVATE_SHM_BYTES), "--tmpfs", "/dev/shm"]
    args += ["--size", str(PRIVATE_TMP_BYTES), "--tmpfs", "/tmp"]
    ro = _python_paths() + [os.fspath(p) for p in readonly]
    bound = _dedupe(ro)
    for path in bound:
        args += ["--ro-bind", path, path]
    for link, real in _links_to_bound(ro, bound):
        args += ["--symlink", real, link]
    for path in [os.fspath(p) for p in writable] + [workdir]:
        real = os.path.realpath(path)
        args += ["--bind", real, real]
        if real != os.path.abspath(path):
            args += ["--symlink", real, os.path.abspath(path)]
    args += [
        # The root is a tmpfs too: nothing may be written there (binds keep their own mode).
        "--remount-ro",
        "/",
        "--remount-ro",
        "/dev",
        "--chdir",
        os.path.realpath(workdir),
        "--setenv",
        "HOME",
        "/tmp",
        "--setenv",
        "TMPDIR",
        "/tmp",
        "--setenv",
        "MPLBACKEND",
        "Agg",
        "--setenv",
        "PATH",
        _sandbox_path(),
        # ipykernel polls this parent PID, which does not exist in the sandbox's PID namespace;
        # --die-with-parent already ends the sandbox when its parent goes.
        "--unsetenv",
        "JPY_PARENT_PID",
        "--",
    ]
    return args


def _sandbox_path() -> str:
    """PATH inside the sandbox: the environment's scripts first, then the system's."""
    return os.pathsep.join(
        [os.path.dirname(os.path.abspath(sys.executable)), "/usr/local/bin", "/usr/bin", "/bin"]
    )


def _cgroup_available() -> bool:
    return os.geteuid() == 0 and os.access(_PIDS_ROOT / "cgroup.procs", os.W_OK)


def _memory_twin(cgroup: str) -> str | None:
    """The memory cgroup paired with a sandbox's pids cgroup, when that controller is usable."""
    if not os.access(_MEMORY_ROOT / "cgroup.procs", os.W_OK):
        return None
    return str(_MEMORY_ROOT / os.path.basename(cgroup))


def cpu_root() -> Path | None:
    """Where this process may make per-sandbox CPU groups (root only), probed once.

    cgroup v2 needs the ``cpu`` controller in the root's ``cgroup.subtree_control`` (switched on
    here when it is only available); otherwise cgroup v1's ``cpu`` hierarchy is used.
    """
    if "cpu_root" in _probe_cache:
        return Path(_probe_cache["cpu_root"]) if _probe_cache["cpu_root"] else None
    found = None
    if os.geteuid() == 0:
        for root in _CPU_V2_ROOTS:
            try:
                controllers = (root / "cgroup.controllers").read_text().split()
                if "cpu" not in controllers:
                    continue
                control = root / "cgroup.subtree_control"
                if "cpu" not in control.read_text().split():
                    control.write_text("+cpu")
                found = root
                break
            except OSError:
                continue
        if found is None and os.access(_CPU_V1_ROOT / "cpu.cfs_quota_us", os.W_OK):
            found = _CPU_V1_ROOT
    _probe_cache["cpu_root"] = str(found) if found else ""
    return found


def _cpu_twin(cgroup: str) -> str | None:
    """The CPU group paired with a sandbox's group name, when a CPU controller is usable."""
    root = cpu_root()
    return str(root / os.path.basename(cgroup)) if root is not None else None


def cpu_settings(limits: Limits, group: str) -> dict[str, str]:
    """The files of a sandbox's CPU group and what to write in them (v1 or v2 by its root)."""
    quota = None if limits.cpu_cores is None else max(1000, int(limits.cpu_cores * CPU_PERIOD_US))
    weight = min(10_000, max(1, int(limits.cpu_weight)))
    if Path(group).parent == _CPU_V1_ROOT:
        shares = max(2, weight * 1024 // 100)  # v1 shares: 1024 is the default weight
        settings = {"cpu.shares": str(shares)}
        if quota is not None:
            settings.update(
                {"cpu.cfs_period_us": str(CPU_PERIOD_US), "cpu.cfs_quota_us": str(quota)}
            )
        return settings
    settings = {"cpu.weight": str(weight)}
    if quota is not None:
        settings["cpu.max"] = f"{quota} {CPU_PERIOD_US}"
    return settings


def _sweep_cgroups() -> None:
    """Remove empty per-sandbox cgroups left by commands run outside :func:`run_sandboxed`."""
    try:
        entries = list(_PIDS_ROOT.glob(_CGROUP_PREFIX + "*"))
        entries += list(_MEMORY_ROOT.glob(_CGROUP_PREFIX + "*"))
        root = cpu_root()
        if root is not None:
            entries += list(root.glob(_CGROUP_PREFIX + "*"))
    except OSError:
        return
    now = time.time()
    for entry in entries:
        try:
            if now - entry.stat().st_mtime > 60:
                entry.rmdir()  # fails (EBUSY) while processes remain inside
        except OSError:
            pass


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


def _kill_cgroup(cgroup: str | None) -> None:
    """Kill every process left in the sandbox's cgroup, then remove the group."""
    if cgroup is None:
        return
    procs = os.path.join(cgroup, "cgroup.procs")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            with open(procs) as handle:
                pids = [int(line) for line in handle if line.strip()]
        except OSError:
            return
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.01)
    try:
        os.rmdir(cgroup)
    except OSError:
        pass
    for twin in (_memory_twin(cgroup), _cpu_twin(cgroup)):
        if twin is None:
            continue
        # Empty once its processes are gone (their exit may lag the kill a little).
        for _attempt in range(100):
            try:
                os.rmdir(twin)
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.01)


def tree_usage(path: str | os.PathLike) -> tuple[int, int]:
    """Bytes of disk actually used (sparse files count what they hold) and entries under ``path``.

    Walks relative to open folders (:mod:`autograder.files`), so a tree whose paths are longer
    than the kernel takes in one piece is counted too, not skipped.
    """
    from autograder.files import walk_folders

    used = entries = 0
    for fd in walk_folders(path):
        try:
            with os.scandir(fd) as listing:
                for entry in listing:
                    entries += 1
                    try:
                        used += entry.stat(follow_symlinks=False).st_blocks * 512
                    except OSError:
                        continue
        except OSError:
            continue
    return used, entries


def sandbox_processes(command: Sequence[str] | None, root_pid: int | None) -> list[int]:
    """The processes of one sandbox: its pids cgroup when it has one, else ``root_pid``'s tree."""
    command = list(command or [])
    if "--pids-cgroup" in command:
        index = command.index("--pids-cgroup") + 1
        if index < len(command):
            try:
                with open(os.path.join(command[index], "cgroup.procs")) as handle:
                    return [int(line) for line in handle if line.strip()]
            except (OSError, ValueError):
                pass
    if root_pid is None:
        return []
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    text = handle.read()
                parent = int(text[text.rindex(")") + 2 :].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, stack = [], [root_pid]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def open_deleted_bytes(pids: Sequence[int]) -> int:
    """Disk (or memory) held by files that these processes keep open after deleting them."""
    seen: set[tuple[int, int]] = set()
    used = 0
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                info = os.stat(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            key = (info.st_dev, info.st_ino)
            if stat.S_ISREG(info.st_mode) and info.st_nlink == 0 and key not in seen:
                seen.add(key)
                used += info.st_blocks * 512
    return used


class DiskWatch:
    """Calls ``on_exceed`` whenever a sandbox writes more than a quota (checked by polling).

    A sandbox's working folder lives on the grader's disk; RLIMIT_FSIZE caps each file, this caps
    what the folders in ``paths`` hold beyond ``baseline`` (bytes, entries; by default what they
    held when the watch started), plus files the sandbox's ``processes`` (a callable returning
    PIDs) hold open after deleting them. The grader measures the baseline before it copies a
    submission's files in, so those count against the quota too (:mod:`autograder.files`). Writing is fast, so a run may overshoot by what it writes in one
    ``interval``. ``exceeded`` says how, from the first time on; ``on_exceed`` must be safe to
    call again (it is called on every check while the quota stays exceeded, so a restarted
    process is stopped too).
    """

    def __init__(
        self,
        paths: str | os.PathLike | Sequence[str | os.PathLike],
        on_exceed,
        *,
        processes=None,
        max_bytes: int | None = None,
        max_files: int = WORKDIR_QUOTA_FILES,
        interval: float = 0.2,
        baseline: tuple[int, int] | None = None,
    ) -> None:
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        self.paths = [os.fspath(p) for p in paths]
        self.on_exceed, self.processes = on_exceed, processes
        self.max_bytes = max_bytes if max_bytes is not None else workdir_quota_bytes()
        self.max_files, self.interval = max_files, interval
        self.exceeded: str | None = None
        self._given_base = baseline
        self._base = (0, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def usage(self) -> tuple[int, int]:
        """Bytes and entries now, the open deleted files of the sandbox included."""
        used = entries = 0
        for path in self.paths:
            path_used, path_entries = tree_usage(path)
            used, entries = used + path_used, entries + path_entries
        if self.processes is not None:
            used += open_deleted_bytes(self.processes())
        return used, entries

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            used, entries = self.usage()
            if used - self._base[0] > self.max_bytes:
                self.exceeded = self.exceeded or f"more than {self.max_bytes // 1024**2} MiB"
            elif entries - self._base[1] > self.max_files:
                self.exceeded = self.exceeded or f"more than {self.max_files} files"
            else:
                continue
            self.on_exceed()

    def __enter__(self) -> DiskWatch:
        self._base = self._given_base if self._given_base is not None else self.usage()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def kill_sandbox(command: Sequence[str]) -> None:
    """Kill whatever is still running from a :func:`sandbox_command` line and free its cgroup.

    Call it after the sandboxed process (for example a kernel) has been shut down. With bubblewrap
    the PID namespace already took every descendant down; in the fallback this catches processes
    that left the session (daemons). Without a pids cgroup it does nothing.
    """
    command = list(command)
    if "--pids-cgroup" in command:
        index = command.index("--pids-cgroup")
        if index + 1 < len(command) and command[index + 1].startswith(str(_PIDS_ROOT) + "/"):
            _kill_cgroup(command[index + 1])


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
