"""The copy rule of autograder.files on real file systems: scans, digests and copies."""

from __future__ import annotations

import os
import pwd
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from autograder import files
from autograder.files import Budget, FileProblem

QUOTA = Budget(64 * 1024**2, 1000)


def test_copy_keeps_data_and_holes_but_not_modes(tmp_path):
    source, target = tmp_path / "source", tmp_path / "target"
    (source / "sub").mkdir(parents=True)
    target.mkdir()
    with open(source / "sub" / "sparse.bin", "wb") as handle:
        handle.truncate(16 * 1024**2)
        handle.seek(8 * 1024**2)
        handle.write(b"middle")
    (source / "tool.sh").write_text("#!/bin/sh\n")
    (source / "tool.sh").chmod(0o6755)
    (source / "sub").chmod(0o700)
    (source / "skip.ipynb").write_text("{}")
    (source / "link").symlink_to("/etc/passwd")
    inventory = files.scan(source, ["*.ipynb"], QUOTA)
    assert [e.path for e in inventory.entries] == [b"sub", b"tool.sh", b"sub/sparse.bin"]
    assert files.copy_into(files.Plan([(source, inventory.entries, True)]), target) == []
    copied = target / "sub" / "sparse.bin"
    assert copied.stat().st_size == 16 * 1024**2 and copied.stat().st_blocks * 512 < 1024**2
    with copied.open("rb") as handle:
        handle.seek(8 * 1024**2)
        assert handle.read(6) == b"middle"
    assert stat.S_IMODE((target / "tool.sh").stat().st_mode) == files.FILE_MODE
    assert stat.S_IMODE((target / "sub").stat().st_mode) == files.FOLDER_MODE
    assert not (target / "link").exists() and not (target / "skip.ipynb").exists()


def test_the_digest_follows_content_not_time(tmp_path):
    (tmp_path / "a.txt").write_text("one")
    first = files.scan(tmp_path, [], QUOTA).digest
    os.utime(tmp_path / "a.txt", (0, 0))
    assert files.scan(tmp_path, [], QUOTA).digest == first
    (tmp_path / "a.txt").write_text("two")
    assert files.scan(tmp_path, [], QUOTA).digest != first


def test_a_file_swapped_for_a_fifo_after_the_scan_is_left_out(tmp_path):
    source, target = tmp_path / "source", tmp_path / "target"
    source.mkdir()
    target.mkdir()
    (source / "data.txt").write_text("fine")
    (source / "other.txt").write_text("kept")
    inventory = files.scan(source, [], QUOTA)
    (source / "data.txt").unlink()
    os.mkfifo(source / "data.txt")  # a copy that opened it for reading would block here
    left_out = files.copy_into(files.Plan([(source, inventory.entries, True)]), target)
    assert left_out == ["data.txt"]
    assert (target / "other.txt").read_text() == "kept"


def test_overlay_lets_the_assignment_win_whatever_the_kinds(tmp_path):
    student, shipped = tmp_path / "student", tmp_path / "shipped"
    (student / "data" / "table.csv").mkdir(parents=True)  # a folder where a file is shipped
    (student / "lib").write_text("a file where a folder is shipped")
    (student / "own.txt").write_text("mine")
    (shipped / "data").mkdir(parents=True)
    (shipped / "data" / "table.csv").write_text("1,2\n")
    (shipped / "lib").mkdir()
    (shipped / "lib" / "helper.py").write_text("X = 1\n")
    plan = files.overlay(
        files.scan(student, [], QUOTA), files.scan(shipped, [], QUOTA, own_files=False)
    )
    target = tmp_path / "target"
    target.mkdir()
    assert files.copy_into(plan, target) == []
    assert (target / "data" / "table.csv").read_text() == "1,2\n"
    assert (target / "lib" / "helper.py").read_text() == "X = 1\n"
    assert (target / "own.txt").read_text() == "mine"


def test_names_in_messages_are_one_printable_line():
    assert files.shown(b"caf\xc3\xa9.txt") == "café.txt"
    shown = files.shown(b"a\nb\x1b[2J\xff")
    assert shown.isprintable() and "\x1b" not in shown and "\n" not in shown
    assert len(files.shown(b"x" * 5000)) <= 160


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run the scan as another user")
def test_files_the_grader_cannot_read_are_named(tmp_path):
    """As an unprivileged grader (on a hub), a mode-000 file or folder refuses the submission."""
    user = pwd.getpwnam("nobody")
    root = Path(tempfile.mkdtemp(prefix="calcml-files-"))
    try:
        root.chmod(0o755)
        for kind in ("file", "folder"):
            folder = root / kind
            folder.mkdir()
            (folder / "notebook.txt").write_text("fine")
            secret = folder / "secret"
            if kind == "file":
                secret.write_text("mode 000")
            else:
                secret.mkdir()
            secret.chmod(0)
        code = (
            "import sys\nfrom pathlib import Path\nfrom autograder import files\n"
            "for kind in ('file', 'folder'):\n"
            "    try:\n"
            f"        files.scan(Path({str(root)!r}) / kind, [], files.Budget(10**6, 100))\n"
            "    except files.FileProblem as problem:\n"
            "        print(kind, problem)\n"
        )

        def drop() -> None:
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)

        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            preexec_fn=drop,
            cwd="/",
            env={**os.environ, "PYTHONPATH": str(Path(files.__file__).parents[2])},
            check=False,
        )
        lines = done.stdout.splitlines()
        assert lines == [
            "file secret cannot be read (Permission denied)",
            "folder secret/ cannot be listed (Permission denied)",
        ], done.stderr
    finally:
        for path in root.rglob("*"):
            path.chmod(0o700)
        subprocess.run(["rm", "-rf", str(root)], check=True)


def test_budgets_refuse_by_name(tmp_path):
    (tmp_path / "a.bin").write_bytes(b"x" * 600)
    (tmp_path / "b.bin").write_bytes(b"x" * 600)
    with pytest.raises(
        FileProblem, match=r"its files \(up to b.bin\) total more than the 1000 bytes"
    ):
        files.scan(tmp_path, [], Budget(1000, 100))
    with pytest.raises(
        FileProblem,
        match=r"a.bin is 600 bytes long, more than the 1000 bytes disk quota .* take 500 bytes",
    ):
        files.scan(tmp_path, [], Budget(1000, 100, reserved_bytes=500))
    with pytest.raises(FileProblem, match="more than 1 files and folders"):
        files.scan(tmp_path, [], Budget(10**6, 1))


def test_remove_tree_goes_deeper_than_rmtree(tmp_path):
    """A sandbox can nest folders past the recursion limit of shutil.rmtree in its own folder."""
    doomed = tmp_path / "doomed"
    doomed.mkdir()
    fd = os.open(doomed, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(1500):
        os.mkdir("d", dir_fd=fd)
        inner = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = inner
    os.close(os.open("leaf", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd))
    os.close(fd)
    for index in range(50):
        (doomed / f"f{index}").touch()
    files.remove_tree(doomed)
    assert not doomed.exists()
