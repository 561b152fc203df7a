"""Copying a scanned plan into a sandbox's folder: the submission's files, then the assignment's."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from autograder.files.reading import (
    _FOLDER,
    FILE_MODE,
    FOLDER_MODE,
    Budget,
    Entry,
    FileProblem,
    Inventory,
    open_folder,
    open_regular,
    read_chunks,
    shown,
)
from autograder.files.scan import scan


@dataclass
class Plan:
    """What one sandbox gets: (folder, entries) parts, copied in this order."""

    parts: list[tuple[Path, list[Entry], bool]] = field(default_factory=list)  # + own_files

    @property
    def total_bytes(self) -> int:
        return sum(e.size for _root, entries, _own in self.parts for e in entries)

    @property
    def total_entries(self) -> int:
        return sum(len(entries) for _root, entries, _own in self.parts)


def overlay(submission: Inventory, assignment: Inventory) -> Plan:
    """The submission's files with the assignment's own on top, as ``nbgrader autograde`` does.

    Where they collide the assignment wins, whatever the kinds: a submission's file where the
    assignment ships a folder, or its folder (and all it holds) where the assignment ships a
    file, is left out.
    """
    shipped_files = {e.path for e in assignment.entries if not e.is_dir}
    shipped_dirs = {e.path for e in assignment.entries if e.is_dir}
    kept, dropped = [], []
    for entry in submission.entries:
        if any(entry.path.startswith(folder + b"/") for folder in dropped):
            continue
        if entry.path in shipped_files or (not entry.is_dir and entry.path in shipped_dirs):
            if entry.is_dir:
                dropped.append(entry.path)
            continue
        kept.append(entry)
    return Plan([(submission.root, kept, True), (assignment.root, list(assignment.entries), False)])


def _make_folder(name: bytes, parent: int) -> bool:
    """Create one folder of a copy (an existing folder is fine); False when a file is in the way."""
    try:
        os.mkdir(name, FOLDER_MODE, dir_fd=parent)
        return True
    except FileExistsError:
        return stat.S_ISDIR(os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode)


def _copy_file(name: bytes, source: int, target: int, size: int, own_files: bool) -> None:
    """Copy one file's data (at most ``size`` bytes, holes left as holes) with a plain mode."""
    fd, info = open_regular(name, source, own_files=own_files, budget=size)
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            out = os.open(name, flags, FILE_MODE, dir_fd=target)
        except FileExistsError:
            os.unlink(name, dir_fd=target)  # a folder in the way raises: the file is left out
            out = os.open(name, flags, FILE_MODE, dir_fd=target)
        try:
            length = min(info.st_size, size)
            for offset, chunk in read_chunks(fd, length):
                os.pwrite(out, chunk, offset)
            os.ftruncate(out, length)
            os.fchmod(out, FILE_MODE)
        finally:
            os.close(out)
    finally:
        os.close(fd)


def copy_into(plan: Plan, target: Path) -> list[str]:
    """Copy every part of ``plan`` into the existing folder ``target``.

    A file that changed since the scan into something that cannot be copied is left out; the
    returned list says which (normally empty). Nothing here follows a link or blocks.
    """
    left_out: list[str] = []
    target_top = os.open(os.fspath(target), _FOLDER)
    try:
        for root, entries, own_files in plan.parts:
            source_top = os.open(os.fspath(root), _FOLDER)
            parents: tuple[bytes, int, int] | None = None
            skipped: list[bytes] = []
            try:
                for entry in entries:
                    if any(entry.path.startswith(folder + b"/") for folder in skipped):
                        continue
                    parent, _, name = entry.path.rpartition(b"/")
                    try:
                        if parents is None or parents[0] != parent:
                            if parents is not None:
                                os.close(parents[1])
                                os.close(parents[2])
                                parents = None
                            source_fd = open_folder(source_top, parent)
                            try:
                                target_fd = open_folder(target_top, parent)
                            except OSError:
                                os.close(source_fd)
                                raise
                            parents = (parent, source_fd, target_fd)
                        if entry.is_dir:
                            if not _make_folder(name, parents[2]):
                                skipped.append(entry.path)
                                left_out.append(shown(entry.path))
                        else:
                            _copy_file(name, parents[1], parents[2], entry.size, own_files)
                    except (OSError, FileProblem):
                        left_out.append(shown(entry.path))
                        if entry.is_dir:
                            skipped.append(entry.path)
            finally:
                if parents is not None:
                    os.close(parents[1])
                    os.close(parents[2])
                os.close(source_top)
    finally:
        os.close(target_top)
    return left_out


def copy_folder(folder: Path, target: Path, quota: Budget) -> list[str]:
    """Copy the files of ``folder`` (an ``autograded/`` folder the grader built) except its
    notebooks into a sandbox's ``target``: the same files for the kernel and the verification."""
    inventory = scan(folder, ["*.ipynb"], quota, own_files=False)
    return copy_into(Plan([(inventory.root, inventory.entries, False)]), target)
