"""Without bubblewrap: run a submission as an unprivileged user, or refuse to run it as root."""

from __future__ import annotations

import os
import pwd
import shutil
import stat
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass

from autograder.sandbox.bwrap import _dedupe, _python_paths
from autograder.sandbox.policy import ENV_ALLOW_ROOT, ENV_USER, FALLBACK_USER, _note


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
