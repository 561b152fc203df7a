"""The disk quota of a sandbox's working folder, watched while it runs."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Sequence

from autograder.sandbox.policy import WORKDIR_QUOTA_FILES, workdir_quota_bytes


def tree_usage(path: str | os.PathLike) -> tuple[int, int]:
    """Bytes of disk actually used (sparse files count what they hold) and entries under ``path``.

    Walks relative to open folders (:mod:`autograder.files`), so a tree whose paths are longer
    than the kernel takes in one piece is counted too, not skipped.
    """
    from autograder.files.tree import walk_folders

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
