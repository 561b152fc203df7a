"""Looking at one entry and reading one file safely: kinds, sizes, budgets, the errors they raise."""

from __future__ import annotations

import errno
import fnmatch
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

# Folders nested deeper than this, or relative paths longer than this, are refused: honest work
# never needs them, and tools that walk by path (nbgrader, formgrader, rmtree) break on them.
MAX_DEPTH = 32
MAX_PATH_BYTES = 1024


# timestamp.txt is read whole by nbgrader: it must be a small plain file.
MAX_TIMESTAMP_BYTES = 4096
_CHUNK = 1 << 20
_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
FILE_MODE = 0o644
FOLDER_MODE = 0o755


class FileProblem(Exception):
    """A file that cannot be copied into a sandbox; the message names it and says why."""


@dataclass(frozen=True)
class Entry:
    """One folder or regular file to copy, relative to the folder it was found in."""

    path: bytes  # b"data/samples.csv": any bytes a name may hold
    is_dir: bool
    size: int = 0  # length of a file when it was scanned (holes included)


@dataclass
class Inventory:
    """What a scan found under one folder: what to copy, links skipped, and a digest of it all."""

    root: Path
    entries: list[Entry] = field(default_factory=list)
    digest: str = ""

    @property
    def total_bytes(self) -> int:
        return sum(e.size for e in self.entries)


def shown(path: bytes | str) -> str:
    """A file name fit for a one-line message: printable UTF-8 as is, anything else escaped."""
    raw = os.fsencode(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None or not text.isprintable():
        text = repr(raw)[2:-1]  # printable ASCII, \xNN for the rest
    return text if len(text) <= 160 else text[:150] + "..." + text[-7:]


def size_text(size: int) -> str:
    """1536 -> '1.5 KiB'; sizes in the units people use for quotas."""
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size} bytes"


_KINDS = (
    (stat.S_ISFIFO, "is a FIFO (named pipe)"),
    (stat.S_ISSOCK, "is a socket"),
    (stat.S_ISCHR, "is a character device"),
    (stat.S_ISBLK, "is a block device"),
)


def kind_problem(mode: int) -> str | None:
    """Why an entry of this type is no file to copy, or ``None`` for a folder or regular file."""
    if stat.S_ISDIR(mode) or stat.S_ISREG(mode):
        return None
    for test, words in _KINDS:
        if test(mode):
            return words
    return "is not a regular file"


def _excluded(name: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def _file_problem(info: os.stat_result, *, own_files: bool, budget: int) -> str | None:
    if own_files and info.st_nlink > 1:
        return (
            f"is hard-linked ({info.st_nlink} names share this file, maybe another student's "
            "or the course's); a submission must hold its own copy"
        )
    if info.st_size > budget:
        on_disk = info.st_blocks * 512
        sparse = f", {size_text(on_disk)} on disk" if on_disk < info.st_size else ""
        return f"is {size_text(info.st_size)} long{sparse}"
    return None


def open_regular(
    name: bytes | str, dir_fd: int | None, *, own_files: bool, budget: int
) -> tuple[int, os.stat_result]:
    """Open a regular file for reading without following links or blocking; checked by fstat."""
    try:
        fd = os.open(name, _READ, dir_fd=dir_fd)
    except OSError as error:
        if error.errno == errno.ELOOP:  # O_NOFOLLOW met a symbolic link
            raise FileProblem("is a symbolic link") from None
        raise FileProblem(f"cannot be read ({error.strerror})") from None
    info = os.fstat(fd)
    problem = kind_problem(info.st_mode) or ("is a folder" if stat.S_ISDIR(info.st_mode) else None)
    problem = problem or _file_problem(info, own_files=own_files, budget=budget)
    if problem:
        os.close(fd)
        raise FileProblem(problem)
    return fd, info


def data_ranges(fd: int, size: int) -> Iterator[tuple[int, int]]:
    """(offset, length) of the parts of a file that hold data; holes are skipped."""
    offset = 0
    while offset < size:
        try:
            start = os.lseek(fd, offset, os.SEEK_DATA)
        except OSError as error:
            if error.errno == errno.ENXIO:  # only a hole is left
                return
            start = offset  # no hole support here: all of it is data
            yield start, size - start
            return
        if start >= size:
            return
        try:
            end = min(os.lseek(fd, start, os.SEEK_HOLE), size)
        except OSError:
            end = size
        yield start, end - start
        offset = end


def read_chunks(fd: int, size: int) -> Iterator[tuple[int, bytes]]:
    """(offset, bytes) of a file's data, never more than ``size`` bytes in all."""
    for start, length in data_ranges(fd, size):
        done = 0
        while done < length:
            chunk = os.pread(fd, min(_CHUNK, length - done), start + done)
            if not chunk:
                return  # it shrank since the scan
            yield start + done, chunk
            done += len(chunk)


def read_small_file(path: Path, max_bytes: int) -> bytes:
    """The bytes of one regular file of the submission (a notebook, timestamp.txt), checked first.

    Raises :class:`FileProblem` for a link, a FIFO, a device, a hard link, a file too large.
    """
    fd, info = open_regular(os.fspath(path), None, own_files=True, budget=max_bytes)
    try:
        data = bytearray(info.st_size)
        for offset, chunk in read_chunks(fd, info.st_size):
            data[offset : offset + len(chunk)] = chunk
        return bytes(data)
    finally:
        os.close(fd)


@dataclass
class Budget:
    """What may be copied into one sandbox: its quota, less what is already reserved in it."""

    quota_bytes: int
    quota_entries: int
    reserved_bytes: int = 0  # the assignment's own files, copied in as well
    reserved_entries: int = 0

    def refusal(self, what: str) -> str:
        reserved = (
            f" (the assignment's own files take {size_text(self.reserved_bytes)} of it)"
            if self.reserved_bytes
            else ""
        )
        return (
            f"{what} more than the {size_text(self.quota_bytes)} disk quota of a sandbox{reserved}"
        )


def open_folder(top: int, relative: bytes) -> int:
    """Open ``relative`` under the open folder ``top`` one name at a time, never following a link
    (a path of any length works, and no part of it can be swapped for a link to elsewhere)."""
    fd = os.dup(top)
    try:
        for part in [p for p in relative.split(b"/") if p]:
            inner = os.open(part, _FOLDER, dir_fd=fd)
            os.close(fd)
            fd = inner
    except BaseException:
        os.close(fd)
        raise
    return fd
