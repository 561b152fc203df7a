"""Scanning a folder the way a sandbox would be given it: every entry checked, within one budget."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from autograder.files.reading import (
    _FOLDER,
    MAX_DEPTH,
    MAX_PATH_BYTES,
    Budget,
    Entry,
    FileProblem,
    Inventory,
    _excluded,
    kind_problem,
    open_folder,
    open_regular,
    read_chunks,
    shown,
    size_text,
)


class _Scanner:
    """One scan: a depth-first walk over open folders, in name order, within one budget."""

    def __init__(self, patterns: list[str], budget: Budget, own_files: bool) -> None:
        self.patterns, self.budget, self.own_files = patterns, budget, own_files
        self.entries: list[Entry] = []
        self.bytes_left = budget.quota_bytes - budget.reserved_bytes
        self.entries_left = budget.quota_entries - budget.reserved_entries
        self.digest = hashlib.sha256()

    def _names(self, fd: int, prefix: bytes) -> list[str]:
        """The names in one folder, refusing a folder wider than what is left of the budget."""
        names = []
        try:
            with os.scandir(fd) as listing:
                for entry in listing:
                    names.append(entry.name)
                    if len(names) > self.entries_left:
                        raise FileProblem(
                            f"it holds more than {self.budget.quota_entries} files and folders, "
                            "the most a sandbox may be given"
                        )
        except OSError as error:
            raise FileProblem(
                f"{shown(prefix or b'.')} cannot be listed ({error.strerror})"
            ) from None
        return sorted(names)

    def folder(self, fd: int, prefix: bytes, depth: int) -> list[tuple[bytes, int]]:
        """Scan one open folder; returns its subfolders (relative path, depth) to scan next."""
        below = []
        for name in self._names(fd, prefix):
            if _excluded(name, self.patterns):
                continue
            child = self._entry(fd, name, prefix + os.fsencode(name), depth)
            if child is not None:
                below.append(child)
        return below

    def _entry(self, fd: int, name: str, relative: bytes, depth: int):
        shown_path = shown(relative)
        if len(relative) > MAX_PATH_BYTES:
            raise FileProblem(f"{shown_path}: a path longer than {MAX_PATH_BYTES} bytes")
        try:
            info = os.stat(name, dir_fd=fd, follow_symlinks=False)
        except OSError as error:
            raise FileProblem(f"{shown_path} cannot be read ({error.strerror})") from None
        if stat.S_ISLNK(info.st_mode):
            self.digest.update(
                b"link\0" + relative + b"\0" + os.fsencode(os.readlink(name, dir_fd=fd)) + b"\0"
            )
            return None  # never followed, never copied
        problem = kind_problem(info.st_mode)
        if problem:
            raise FileProblem(
                f"{shown_path} {problem}; a submission may hold only files and folders"
            )
        self.entries_left -= 1
        if stat.S_ISDIR(info.st_mode):
            if depth + 1 > MAX_DEPTH:
                raise FileProblem(f"{shown_path}: folders nested more than {MAX_DEPTH} levels deep")
            self.entries.append(Entry(relative, True))
            self.digest.update(b"dir\0" + relative + b"\0")
            return relative + b"/", depth + 1
        if info.st_size > self.bytes_left:
            on_disk = info.st_blocks * 512
            sparse = f" ({size_text(on_disk)} on disk)" if on_disk < info.st_size else ""
            alone = info.st_size > self.budget.quota_bytes - self.budget.reserved_bytes
            raise FileProblem(
                self.budget.refusal(f"{shown_path} is {size_text(info.st_size)} long{sparse},")
                if alone
                else self.budget.refusal(f"its files (up to {shown_path}) total")
            )
        try:
            file_fd, info = open_regular(name, fd, own_files=self.own_files, budget=self.bytes_left)
        except FileProblem as problem:
            raise FileProblem(f"{shown_path} {problem}") from None
        try:
            self.bytes_left -= info.st_size
            self.digest.update(b"file\0" + relative + b"\0" + str(info.st_size).encode() + b"\0")
            for offset, chunk in read_chunks(file_fd, info.st_size):
                self.digest.update(str(offset).encode() + b":")
                self.digest.update(chunk)
        finally:
            os.close(file_fd)
        self.entries.append(Entry(relative, False, info.st_size))
        return None


def scan(
    folder: Path, exclude: Iterable[str], budget: Budget, *, own_files: bool = True
) -> Inventory:
    """Every folder and regular file under ``folder`` that a sandbox would get, and a digest.

    Names matching ``exclude`` (fnmatch, on the name alone) are left out with what they hold.
    Symbolic links are never followed nor copied (their target's name enters the digest).
    Raises :class:`FileProblem` naming the first thing that cannot be copied. ``own_files``:
    the folder is a student's, whose files must not be hard links.
    """
    scanner = _Scanner(list(exclude), budget, own_files)
    try:
        top = os.open(os.fspath(folder), _FOLDER)
    except OSError as error:
        raise FileProblem(
            f"{shown(os.fspath(folder))}/ cannot be listed ({error.strerror})"
        ) from None
    try:
        stack: list[tuple[bytes, int]] = [(b"", 0)]
        while stack:
            prefix, depth = stack.pop()
            try:
                fd = open_folder(top, prefix)
            except OSError as error:
                raise FileProblem(f"{shown(prefix)} cannot be listed ({error.strerror})") from None
            try:
                # Reversed, so that the next pop takes the first name: entries stay in name order.
                stack.extend(reversed(scanner.folder(fd, prefix, depth)))
            finally:
                os.close(fd)
    finally:
        os.close(top)
    return Inventory(root=Path(folder), entries=scanner.entries, digest=scanner.digest.hexdigest())
