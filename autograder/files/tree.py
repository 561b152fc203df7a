"""Walking and removing trees of any depth, relative to open folders."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator

from autograder.files.reading import _FOLDER, open_folder


class _OpenFolders:
    """Open folders under ``top`` by relative path, reusing the nearest one already open (a walk
    goes from a folder to its child: each step is one ``openat``). Keeps at most ``size`` open."""

    def __init__(self, top: int, size: int = 64) -> None:
        self.top, self.size = top, size
        self.open: dict[bytes, int] = {}

    def get(self, relative: bytes) -> int:
        relative = relative.rstrip(b"/")
        base, rest = b"", relative
        probe = relative
        while probe:
            if probe in self.open:
                base, rest = probe, relative[len(probe) :].lstrip(b"/")
                break
            probe = probe.rpartition(b"/")[0]
        if not rest and base:
            return self.open[base]
        fd = open_folder(self.open.get(base, self.top), rest)
        self.put(relative, fd)
        return self.open.get(relative, self.top)

    def put(self, relative: bytes, fd: int) -> None:
        """Keep ``fd`` as the open folder ``relative`` (closed when one is kept already)."""
        relative = relative.rstrip(b"/")
        if relative in self.open or not relative:
            os.close(fd)
            return
        if len(self.open) >= self.size:
            os.close(self.open.pop(next(iter(self.open))))
        self.open[relative] = fd

    def forget(self, relative: bytes) -> None:
        relative = relative.rstrip(b"/")
        for key in [k for k in self.open if k == relative or k.startswith(relative + b"/")]:
            os.close(self.open.pop(key))

    def close(self) -> None:
        for fd in self.open.values():
            os.close(fd)
        self.open.clear()


def walk_folders(path: str | os.PathLike) -> Iterator[int]:
    """An open descriptor of ``path`` and of every folder under it, however deep (links are not
    followed); each is valid until the next one is asked for."""
    try:
        top = os.open(os.fspath(path), _FOLDER)
    except OSError:
        return
    folders = _OpenFolders(top)
    try:
        stack = [b""]
        while stack:
            relative = stack.pop()
            try:
                fd = folders.get(relative) if relative else top
                with os.scandir(fd) as listing:
                    below = [
                        relative + os.fsencode(e.name) + b"/"
                        for e in listing
                        if e.is_dir(follow_symlinks=False)
                    ]
            except OSError:
                continue
            stack.extend(below)
            yield fd
    finally:
        folders.close()
        os.close(top)


def remove_tree(path: str | os.PathLike) -> None:
    """Delete ``path`` and everything under it, however deep or wide, ignoring what cannot go.

    ``shutil.rmtree`` recurses once per level and fails past about 1000 levels, a depth a sandbox
    can write into its own folder; this walks with a stack, relative to open folders.
    """
    path = os.fspath(path)
    try:
        if not stat.S_ISDIR(os.lstat(path).st_mode):
            os.unlink(path)
            return
        top = os.open(path, _FOLDER)
    except OSError:
        return
    folders = _OpenFolders(top)
    try:
        stack: list[tuple[bytes, bool]] = [(b"", False)]
        while stack:
            relative, emptied = stack.pop()
            if emptied:
                if relative:
                    parent, _, name = relative.rstrip(b"/").rpartition(b"/")
                    try:
                        # Up by "..": the way down may have been closed long ago (the sandbox
                        # that made the tree is gone; nothing renames folders under us).
                        up = os.open(b"..", _FOLDER, dir_fd=folders.get(relative))
                        folders.forget(relative)
                        folders.put(parent, up)
                        os.rmdir(name, dir_fd=folders.get(parent) if parent else top)
                    except OSError:
                        pass
                continue
            try:
                fd = folders.get(relative) if relative else top
                stack.append((relative, True))
                with os.scandir(fd) as listing:
                    for entry in listing:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append((relative + os.fsencode(entry.name) + b"/", False))
                        else:
                            try:
                                os.unlink(entry.name, dir_fd=fd)
                            except OSError:
                                pass
            except OSError:
                pass
    finally:
        folders.close()
        os.close(top)
    try:
        os.rmdir(path)
    except OSError:
        pass
