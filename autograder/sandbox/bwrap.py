"""The bubblewrap sandbox: its mounts and namespaces, and the probe that says whether it works here."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Sequence
from pathlib import Path

from autograder.sandbox.policy import (
    BUBBLEWRAP,
    ENV_FORCE,
    PRIVATE_SHM_BYTES,
    PRIVATE_TMP_BYTES,
    RLIMITS,
    _note,
    _probe_cache,
)

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
    for pth in _editable_hooks():
        args += ["--ro-bind", "/dev/null", pth]
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


@functools.cache
def _editable_hooks() -> tuple[str, ...]:
    """The environment's ``__editable__*.pth`` files, which the sandbox sees empty.

    An editable install (the course's own ``calcml`` under ``make lab``) leaves a start-up hook
    that maps its package to a source tree outside the environment. The sandbox does not bind
    that tree, so the hook can only slow every sandboxed Python's start (about 7 ms: it imports
    its finder) and tell the submission where the course lives.
    """
    found = []
    for key in ("purelib", "platlib"):
        folder = sysconfig.get_paths().get(key)
        if folder and os.path.isdir(folder):
            found += sorted(str(p) for p in Path(folder).glob("__editable__*.pth"))
    return tuple(dict.fromkeys(os.path.realpath(p) for p in found))


def _sandbox_path() -> str:
    """PATH inside the sandbox: the environment's scripts first, then the system's."""
    return os.pathsep.join(
        [os.path.dirname(os.path.abspath(sys.executable)), "/usr/local/bin", "/usr/bin", "/bin"]
    )
