"""Run untrusted submission code in a sandbox.

With bubblewrap (``bwrap``) the command sees a private file system made of read-only system
libraries, the Python environment, a private ``/tmp`` and a writable working directory; the course
tree (``source/``, other students' work, the gradebook, ``nbgrader_config.py``, ``autograder/``,
and the teaching package ``calcml``, whose chapter helpers would hand a submission ready-made
answers) and the user's home do not exist for it. It has no network, lives in its own PID
namespace (every process it starts dies with it) and runs under resource limits applied by
:mod:`autograder.sandbox.limits_exec`.

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

Modules: :mod:`~autograder.sandbox.policy` (limits, quota, environment, settings),
:mod:`~autograder.sandbox.bwrap` (mounts, namespaces, the probe), :mod:`~autograder.sandbox.fallback`
(the unprivileged user), :mod:`~autograder.sandbox.cgroups`, :mod:`~autograder.sandbox.command`
(the command line and :func:`run_sandboxed`), :mod:`~autograder.sandbox.disk` (the disk watch) and
:mod:`~autograder.sandbox.limits_exec` (the exec wrapper, stdlib only, run by path). This package
imports the standard library only; the names below are its public interface.
"""

from autograder.sandbox.bwrap import isolation_method
from autograder.sandbox.cgroups import (
    CPU_PERIOD_US,
    MEMORY_CGROUP_MARGIN,
    cpu_root,
    cpu_settings,
    kill_sandbox,
    sandbox_processes,
)
from autograder.sandbox.command import SandboxResult, run_sandboxed, sandbox_command
from autograder.sandbox.disk import DiskWatch, open_deleted_bytes, tree_usage
from autograder.sandbox.fallback import (
    SandboxRefused,
    SandboxUser,
    announce_fallback,
    fallback_user,
    unreachable_for,
)
from autograder.sandbox.policy import (
    BUBBLEWRAP,
    ENV_ALLOW_ROOT,
    ENV_CPU,
    ENV_FORCE,
    ENV_QUOTA,
    ENV_USER,
    FALLBACK_USER,
    PRIVATE_SHM_BYTES,
    PRIVATE_TMP_BYTES,
    RLIMITS,
    WORKDIR_QUOTA_FILES,
    Limits,
    sandbox_cpu_cores,
    submission_env,
    workdir_quota_bytes,
)

__all__ = [
    "BUBBLEWRAP",
    "CPU_PERIOD_US",
    "ENV_ALLOW_ROOT",
    "ENV_CPU",
    "ENV_FORCE",
    "ENV_QUOTA",
    "ENV_USER",
    "FALLBACK_USER",
    "MEMORY_CGROUP_MARGIN",
    "PRIVATE_SHM_BYTES",
    "PRIVATE_TMP_BYTES",
    "RLIMITS",
    "WORKDIR_QUOTA_FILES",
    "DiskWatch",
    "Limits",
    "SandboxRefused",
    "SandboxResult",
    "SandboxUser",
    "announce_fallback",
    "cpu_root",
    "cpu_settings",
    "fallback_user",
    "isolation_method",
    "kill_sandbox",
    "open_deleted_bytes",
    "run_sandboxed",
    "sandbox_command",
    "sandbox_cpu_cores",
    "sandbox_processes",
    "submission_env",
    "tree_usage",
    "unreachable_for",
    "workdir_quota_bytes",
]
