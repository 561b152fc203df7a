"""Per-sandbox cgroups (pids, memory, CPU share): made by the exec wrapper, found, swept and killed here."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Sequence
from pathlib import Path

from autograder.sandbox.policy import Limits, _probe_cache

_PIDS_ROOT = Path("/sys/fs/cgroup/pids")


# A memory cgroup twin of the pids group (same name) caps what RLIMIT_AS cannot see: System V
# shared memory a process detached, tmpfs files. Its limit is the memory limit plus this margin,
# so that an ordinary large allocation still ends in MemoryError, not in the OOM killer.
_MEMORY_ROOT = Path("/sys/fs/cgroup/memory")
MEMORY_CGROUP_MARGIN = 512 * 1024**2


# The CPU group (same name again): cgroup v1's cpu controller, or v2's where it lives there.
_CPU_V1_ROOT = Path("/sys/fs/cgroup/cpu")
_CPU_V2_ROOTS = (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified"))
CPU_PERIOD_US = 100_000
_CGROUP_PREFIX = "calcml-sandbox-"


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
