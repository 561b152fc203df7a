"""Exec wrapper that applies resource limits, then replaces itself with the real command.

Run as ``python -I -S limits_exec.py [options] -- argv...``. It depends on the standard library only
(``-S`` skips site-packages, so it starts in a few milliseconds) and never imports the course.

Options:
  --memory N       RLIMIT_AS in bytes (address space: a 3 GiB allocation fails with MemoryError)
  --nproc N        RLIMIT_NPROC, or the pids.max of --pids-cgroup when that is given (RLIMIT_NPROC
                   is ignored for root and counts every process of the user, not of the sandbox)
  --fsize N        RLIMIT_FSIZE in bytes (largest file the process may write)
  --nofile N       RLIMIT_NOFILE
  --cpu N          RLIMIT_CPU in seconds
  --pids-cgroup D  create the cgroup-v1 pids directory D (if needed), set its pids.max to --nproc
                   and move this process into it, so every descendant counts against the limit
  --memory-cgroup D         create the cgroup-v1 memory directory D, move this process into it
  --memory-cgroup-limit N   its memory.limit_in_bytes (what RLIMIT_AS misses: shared memory)
  --cpu-cgroup D            create the CPU cgroup directory D (v1 or v2), move this process into it
  --cpu-cgroup-set K=V      write V into its file K first (repeatable: cpu.max, cpu.weight, or
                            v1's cpu.cfs_quota_us, cpu.shares): the sandbox's fair share of CPU
  --chdir D        working directory
  --user UID:GID   run the command as this (unprivileged) user and group, no supplementary groups;
                   applied last, after the cgroup, the directory and the limits
  --setenv K=V     set an environment variable (repeatable)
  --ignore-sigint  1: start the command with SIGINT ignored. Used in front of bwrap, whose monitor
                   process would otherwise die of the SIGINT that jupyter_client sends to the whole
                   process group to interrupt a kernel (a kernel installs its own handler anyway).
"""

from __future__ import annotations

import os
import resource
import signal
import sys


def _die(message: str) -> None:
    sys.stderr.write(f"autograder.sandbox.limits_exec: {message}\n")
    sys.stderr.flush()
    os._exit(126)


def _join_pids_cgroup(path: str, max_pids: int) -> None:
    _join_cgroup(path, {"pids.max": max_pids})


def _join_cgroup(path: str, settings: dict[str, int | str]) -> None:
    for _attempt in range(3):
        try:
            os.makedirs(path, exist_ok=True)
            for name, value in settings.items():
                with open(os.path.join(path, name), "w") as handle:
                    handle.write(str(value))
            with open(os.path.join(path, "cgroup.procs"), "w") as handle:
                handle.write(str(os.getpid()))
            return
        except FileNotFoundError:
            # A sweeper removed the empty directory between mkdir and join: try again.
            continue
        except OSError as error:
            _die(f"cannot join the cgroup {path}: {error}")
    _die(f"cannot join the cgroup {path}: it keeps disappearing")


def main(args: list[str]) -> None:
    if "--" not in args:
        _die("usage: limits_exec.py [options] -- argv...")
    split = args.index("--")
    options, argv = args[:split], args[split + 1 :]
    if not argv:
        _die("no command given after --")
    limits: dict[int, int] = {}
    cgroup = None
    chdir = None
    ignore_sigint = False
    user = None
    memory_cgroup = None
    memory_limit = None
    cpu_cgroup = None
    cpu_settings: dict[str, int | str] = {}
    env = dict(os.environ)
    names = {
        "--memory": resource.RLIMIT_AS,
        "--nproc": resource.RLIMIT_NPROC,
        "--fsize": resource.RLIMIT_FSIZE,
        "--nofile": resource.RLIMIT_NOFILE,
        "--cpu": resource.RLIMIT_CPU,
    }
    it = iter(options)
    for option in it:
        value = next(it, None)
        if value is None:
            _die(f"option {option} needs a value")
        if option in names:
            try:
                limits[names[option]] = int(value)
            except ValueError:
                _die(f"option {option} needs an integer, got {value!r}")
        elif option == "--pids-cgroup":
            cgroup = value
        elif option == "--memory-cgroup":
            memory_cgroup = value
        elif option == "--memory-cgroup-limit":
            if not value.isdigit():
                _die(f"--memory-cgroup-limit needs an integer, got {value!r}")
            memory_limit = int(value)
        elif option == "--cpu-cgroup":
            cpu_cgroup = value
        elif option == "--cpu-cgroup-set":
            key, sep, val = value.partition("=")
            if not sep or not key.startswith("cpu.") or "/" in key:
                _die(f"--cpu-cgroup-set needs cpu.FILE=VALUE, got {value!r}")
            cpu_settings[key] = val
        elif option == "--chdir":
            chdir = value
        elif option == "--user":
            uid, sep, gid = value.partition(":")
            if not (sep and uid.isdigit() and gid.isdigit()):
                _die(f"--user needs UID:GID, got {value!r}")
            user = (int(uid), int(gid))
        elif option == "--ignore-sigint":
            ignore_sigint = value == "1"
        elif option == "--setenv":
            key, sep, val = value.partition("=")
            if not sep or not key:
                _die(f"--setenv needs KEY=VALUE, got {value!r}")
            env[key] = val
        else:
            _die(f"unknown option {option}")

    if cgroup is not None:
        _join_pids_cgroup(cgroup, limits.pop(resource.RLIMIT_NPROC, 64))
    if memory_cgroup is not None:
        _join_cgroup(memory_cgroup, {"memory.limit_in_bytes": memory_limit or 2 * 1024**3})
    if cpu_cgroup is not None:
        _join_cgroup(cpu_cgroup, cpu_settings)
    if chdir is not None:
        try:
            os.chdir(chdir)
        except OSError as error:
            _die(f"cannot enter the working directory {chdir}: {error}")
    for which, value in limits.items():
        try:
            _soft, hard = resource.getrlimit(which)
            if hard != resource.RLIM_INFINITY and value > hard:
                value = hard
            resource.setrlimit(which, (value, value))
        except (OSError, ValueError) as error:
            _die(f"cannot set resource limit {which} to {value}: {error}")
    if user is not None:
        uid, gid = user
        try:
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
        except OSError as error:
            _die(f"cannot switch to user {uid}:{gid}: {error}")
        if os.getuid() != uid or os.geteuid() != uid or os.getegid() != gid:
            _die(f"the switch to user {uid}:{gid} did not take effect")
    if ignore_sigint:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        os.execvpe(argv[0], argv, env)
    except OSError as error:
        _die(f"cannot run {argv[0]}: {error}")


if __name__ == "__main__":
    main(sys.argv[1:])
