"""The one rule for the files a sandbox gets: what may be copied, how, and how much.

A submission folder may hold anything a file system can: FIFOs, sockets, device nodes, sparse or
huge files, trees too deep or too wide to walk by path, hard links to other people's files, names
that are not UTF-8, files nobody may read. Every scan and copy here therefore

- works relative to open folders (``dir_fd``) and never follows a symbolic link, at any depth;
- looks at an entry (``lstat``) before it opens it, opens regular files only, with ``O_NOFOLLOW |
  O_NONBLOCK`` (a file swapped for a FIFO in between cannot block), and checks again (``fstat``);
- reads a file at most up to the size it had when scanned, copies its data and leaves its holes
  as holes (a sparse file stays sparse), and writes copies with plain modes (0644, folders 0755);
- stops at the first problem and says what it is, naming the file, in one printable line.

The budget rule. A sandbox's disk quota (``--disk-quota``, 512 MiB by default, and
``WORKDIR_QUOTA_FILES`` files and folders) covers everything in its working folder: the files
copied in (the submission's own files plus the assignment's files from ``source/``) and whatever
its code writes. Copied files count by their length (``st_size``), holes included, so a sparse file
cannot smuggle in more than it is charged for; the disk watch then charges what the sandbox adds.
A submission whose files alone would not fit is refused before grading.

The kernel's folder and the verification's folder are filled by the same :func:`copy_into` from the
same plan (``autograded/<student>/<assignment>/`` minus its notebooks), so both see the same files.
"""

from __future__ import annotations

import errno
import fnmatch
import hashlib
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
