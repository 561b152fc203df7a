"""Finding submissions in ``submitted/*/<assignment>/`` and checking that they can be graded.

A broken file must never stop the run: each problem becomes a :class:`Submission` with an error
status and a one-line message that names the student and what is wrong.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

BROKEN = "broken-notebook"
MISSING = "missing-notebook"

# A notebook larger than this is not a plausible submission (and would be slow to parse).
MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024


@dataclass
class Submission:
    """One student's submission of one assignment."""

    student: str
    assignment: str
    directory: Path
    notebooks: dict[str, Path] = field(default_factory=dict)  # notebook name -> submitted file
    status: str = "ok"  # "ok", BROKEN or MISSING
    error: str | None = None
    digest: str = ""  # checksum of every submitted file, to notice a resubmission

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def submission_digest(directory: Path) -> str:
    """A checksum over the names and contents of every file under ``directory``.

    Symbolic links are hashed by their target's name, never followed (one could point at a huge
    file or outside the submission); names are hashed as bytes, so any file name works.
    """
    digest = hashlib.sha256()
    entries = []
    for folder, dirs, files in os.walk(directory):
        for name in dirs + files:
            path = os.path.join(folder, name)
            if name in files or os.path.islink(path):
                entries.append(os.fsencode(os.path.relpath(path, directory)))
    for relative in sorted(entries):
        path = os.path.join(os.fsencode(directory), relative)
        digest.update(relative + b"\0")
        if os.path.islink(path):
            digest.update(b"link:" + os.readlink(path) + b"\0")
            continue
        try:
            with open(path, "rb") as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
        except OSError as error:
            digest.update(f"unreadable:{error.errno}".encode())
        digest.update(b"\0")
    return digest.hexdigest()


def valid_name(name: str) -> bool:
    """A folder name that can be a student id (it must survive UTF-8 and a CSV cell)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return bool(name) and name.isprintable()


def notebook_problem(path: Path) -> str | None:
    """What is wrong with a submitted notebook file, or ``None`` when it can be graded."""
    size = path.stat().st_size
    if size == 0:
        return "is empty (0 bytes)"
    if size > MAX_NOTEBOOK_BYTES:
        return f"is too large ({size} bytes)"
    raw = path.read_bytes()
    if b"\0" in raw:
        return "is a binary file, not a notebook"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "is not UTF-8 text (a binary file?), not a notebook"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
    if not isinstance(data, dict):
        return "is JSON but not a notebook (top level is not an object)"
    major = data.get("nbformat")
    if not isinstance(major, int):
        return "is JSON but not a notebook (no 'nbformat' version)"
    if major < 4:
        return f"uses nbformat {major}; only nbformat 4 notebooks can be graded (re-save it in Jupyter)"
    if major > 4:
        return f"uses nbformat {major}, which is newer than this grader understands"
    cells = data.get("cells")
    if not isinstance(cells, list):
        return "is not a valid notebook (no 'cells' list)"
    if not cells:
        return "has no cells"
    if not all(isinstance(c, dict) and "cell_type" in c for c in cells):
        return "is not a valid notebook (a cell without 'cell_type')"
    return None


def shown_name(folder_name: str) -> str:
    """The student id for a folder: its name, escaped when it is not printable UTF-8 text."""
    # The escaped form is printable ASCII: fine in messages, the CSV and a result's file name.
    return folder_name if valid_name(folder_name) else ascii(folder_name)[1:-1]


def check_submission(
    student: str, assignment: str, directory: Path, notebook_names: list[str]
) -> Submission:
    """Check one student's submission folder against the notebooks the assignment expects."""
    sub = Submission(student=student, assignment=assignment, directory=directory)
    for folder in (directory.parent, directory):
        if folder.is_symlink():
            sub.status = BROKEN
            sub.error = (
                f"{student}: {folder} is a symbolic link to {os.readlink(folder)}; "
                "a submission must be a folder of its own"
            )
            return sub
    sub.digest = submission_digest(directory)
    for name in notebook_names:
        path = directory / f"{name}.ipynb"
        if path.is_symlink():
            sub.status = BROKEN
            sub.error = (
                f"{student}: {path.name} is a symbolic link to {os.readlink(path)}, "
                "not a submitted notebook"
            )
            return sub
        if not path.is_file():
            others = sorted(p.name for p in directory.glob("*.ipynb"))
            found = f"; found {', '.join(others)} instead" if others else "; no notebook found"
            sub.status = MISSING
            sub.error = f"{student}: missing notebook {name}.ipynb in {directory}{found}"
            return sub
        problem = notebook_problem(path)
        if problem is not None:
            sub.status = BROKEN
            sub.error = f"{student}: {path.name} {problem}"
            return sub
        sub.notebooks[name] = path
    return sub


def find_submissions(
    course_dir: Path,
    assignment: str,
    notebook_names: list[str],
    students: list[str] | None = None,
    submitted_dir: str = "submitted",
) -> list[Submission]:
    """Every submission of ``assignment`` (optionally only ``students``), checked, sorted by student."""
    root = course_dir / submitted_dir
    found: list[Submission] = []
    wanted = set(students) if students else None
    if not root.is_dir():
        return found
    for student_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        student = student_dir.name
        if wanted is not None and student not in wanted:
            continue
        directory = student_dir / assignment
        if not directory.is_dir():
            continue
        if not valid_name(student):
            shown = shown_name(student)
            found.append(
                Submission(
                    student=shown,
                    assignment=assignment,
                    directory=directory,
                    status=BROKEN,
                    error=(
                        f"{shown}: the folder name {root.name}/{shown} is not a usable student id "
                        "(it is not printable UTF-8 text); rename the folder to grade it"
                    ),
                )
            )
            continue
        found.append(check_submission(student, assignment, directory, notebook_names))
    return found
