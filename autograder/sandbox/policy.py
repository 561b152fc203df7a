"""What a sandbox gets: its isolation method, resource limits, disk quota and environment.

Everything here is read from settings (``CALCML_SANDBOX``, ``CALCML_SANDBOX_CPU``,
``CALCML_WORKDIR_QUOTA_MB``) or is a fixed rule; the other sandbox modules apply it.
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

BUBBLEWRAP = "bubblewrap"
RLIMITS = "rlimits"
ENV_FORCE = "CALCML_SANDBOX"
ENV_USER = "CALCML_SANDBOX_USER"
ENV_ALLOW_ROOT = "CALCML_SANDBOX_ALLOW_ROOT"
FALLBACK_USER = "nobody"
ENV_CPU = "CALCML_SANDBOX_CPU"
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


def submission_env(workdir: str | os.PathLike) -> dict[str, str]:
    """The whole environment of a process that runs student code (kernel or verification).

    Built from scratch, so nothing of the instructor's environment (tokens, paths, settings)
    reaches a submission, and the same for both processes, so a submission cannot tell them
    apart by it.
    """
    workdir = os.fspath(workdir)
    threads = str(numeric_threads())
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
        # Thread pools of the numeric libraries sized to the sandbox's share of the CPU: by
        # default OpenBLAS starts a thread per core of the machine when numpy is imported
        # (~30 ms of CPU in each sandboxed process) and they only contend in a one-core sandbox.
        "OPENBLAS_NUM_THREADS": threads,
        "OMP_NUM_THREADS": threads,
        "MKL_NUM_THREADS": threads,
    }


def numeric_threads() -> int:
    """Threads for BLAS/OpenMP in a sandbox: its cores (``CALCML_SANDBOX_CPU``) rounded up.

    1 when the CPU group is off: the grader already runs one submission per core.
    """
    cores = sandbox_cpu_cores()
    return max(1, math.ceil(cores)) if cores else 1


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


_probe_cache: dict[str, str] = {}
_warned: set[str] = set()


def _note(message: str) -> None:
    """Say once per process, on stderr, which isolation is in force."""
    if message not in _warned:
        _warned.add(message)
        sys.stderr.write(f"autograder.sandbox: {message}\n")
        sys.stderr.flush()
