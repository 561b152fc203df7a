"""Finding submissions in ``submitted/*/<assignment>/`` and checking that they can be graded.

A broken file must never stop the run: each problem becomes a :class:`Submission` with an error
status and a one-line message that names the student and what is wrong. Every file of a
submission is looked at through :mod:`autograder.files` (never following a link, never opening
anything but a regular file, never reading past a budget), so a FIFO, a device, a sparse giant or
a tree too deep to walk is refused by name instead of stalling or filling the grader.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from autograder import files
from autograder.files import FileProblem

# nbgrader's default CourseDirectory.ignore, for callers without a course at hand.
DEFAULT_IGNORE = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]

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
    plan: files.Plan | None = None  # the files its sandboxes get (submission + assignment)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class CopyRules:
    """How a submission's files become a sandbox's: what is left out, what the assignment adds,
    and what may be copied at most (the sandbox's disk quota, see :mod:`autograder.files`)."""

    exclude: list[str]  # names never copied (the course's ignore list and notebooks)
    assignment: files.Inventory  # source/<assignment>/'s own files, copied on top
    budget: files.Budget

    @classmethod
    def default(cls, exclude: list[str] | None = None) -> CopyRules:
        """No assignment files; the quota of ``CALCML_WORKDIR_QUOTA_MB``."""
        from autograder.sandbox import WORKDIR_QUOTA_FILES, workdir_quota_bytes

        patterns = list(DEFAULT_IGNORE if exclude is None else exclude) + ["*.ipynb"]
        budget = files.Budget(workdir_quota_bytes(), WORKDIR_QUOTA_FILES)
        return cls(patterns, files.Inventory(root=Path(os.devnull)), budget)


def copy_rules(course, assignment: str) -> CopyRules:
    """The copy rules of one assignment of a course (:class:`~autograder.grading.gradebook.Course`).

    Left out: the course's ``CourseDirectory.ignore`` names and notebooks, as ``nbgrader
    autograde`` does; the assignment's own files (``source/<assignment>/`` minus notebooks and
    ``Autograde.exclude_overwriting``) go on top and are reserved in the sandbox's quota.
    Raises :class:`~autograder.grading.gradebook.CourseError` when they cannot be copied or do not fit.
    """
    from nbgrader.converters import Autograde

    from autograder.grading.gradebook import CourseError
    from autograder.sandbox import WORKDIR_QUOTA_FILES, workdir_quota_bytes

    exclude = list(course.coursedir.ignore) + ["*.ipynb"]
    quota = files.Budget(workdir_quota_bytes(), WORKDIR_QUOTA_FILES)
    source = course.folder("source") / assignment
    try:
        shipped = files.scan(source, exclude, quota, own_files=False)
    except FileProblem as error:
        raise CourseError(f"{source}: {error}") from None
    keep = Autograde(coursedir=course.coursedir, config=course.config).exclude_overwriting
    kept = set(keep.get(assignment, []))
    shipped.entries = [e for e in shipped.entries if os.fsdecode(e.path) not in kept]
    budget = files.Budget(
        quota.quota_bytes, quota.quota_entries, shipped.total_bytes, len(shipped.entries)
    )
    return CopyRules(exclude, shipped, budget)


def valid_name(name: str) -> bool:
    """A folder name that can be a student id (it must survive UTF-8 and a CSV cell)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return bool(name) and name.isprintable()


def notebook_problem(path: Path) -> str | None:
    """What is wrong with a submitted notebook file, or ``None`` when it can be graded."""
    return _read_notebook(path)[1]


def _read_notebook(path: Path) -> tuple[bytes, str | None]:
    """A submitted notebook's bytes and what is wrong with it (``None`` when it can be graded)."""
    try:
        size = os.lstat(path).st_size
    except OSError as error:
        return b"", f"cannot be read ({error.strerror})"
    if size > MAX_NOTEBOOK_BYTES:
        return b"", f"is too large ({size} bytes)"
    try:
        raw = files.read_small_file(path, MAX_NOTEBOOK_BYTES)
    except FileProblem as problem:
        kind = files.kind_problem(os.lstat(path).st_mode)
        return b"", f"{kind}, not a notebook file" if kind else str(problem)
    return raw, _notebook_text_problem(raw)


def _notebook_text_problem(raw: bytes) -> str | None:
    if not raw:
        return "is empty (0 bytes)"
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


def _timestamp_problem(directory: Path) -> str | None:
    """nbgrader reads ``timestamp.txt`` whole, following links: it must be a small plain file."""
    try:
        info = os.lstat(directory / "timestamp.txt")
    except OSError:
        return None  # absent (or unreadable: the scan says so)
    if os.path.islink(directory / "timestamp.txt"):
        return "timestamp.txt is a symbolic link; it must be a small text file"
    kind = files.kind_problem(info.st_mode)
    if kind or info.st_size > files.MAX_TIMESTAMP_BYTES:
        what = kind or f"is {files.size_text(info.st_size)} long"
        return f"timestamp.txt {what}; it must be a small text file"
    return None


def check_submission(
    student: str,
    assignment: str,
    directory: Path,
    notebook_names: list[str],
    rules: CopyRules | None = None,
) -> Submission:
    """Check one student's submission folder against the notebooks the assignment expects.

    Every file is checked before anything reads it (see :mod:`autograder.files`); ``rules``
    say what is copied into its sandboxes and how much may be.
    """
    rules = rules or CopyRules.default()
    sub = Submission(student=student, assignment=assignment, directory=directory)

    def refuse(message: str) -> Submission:
        sub.status = BROKEN
        sub.error = f"{student}: {message}"
        return sub

    for folder in (directory.parent, directory):
        if folder.is_symlink():
            return refuse(
                f"{folder} is a symbolic link to {files.shown(os.readlink(folder))}; "
                "a submission must be a folder of its own"
            )
    problem = _timestamp_problem(directory)
    if problem:
        return refuse(problem)
    try:
        inventory = files.scan(directory, rules.exclude, rules.budget)
    except FileProblem as error:
        return refuse(str(error))
    digest = hashlib.sha256(inventory.digest.encode())
    sub.digest = digest.hexdigest()
    for name in notebook_names:
        path = directory / f"{name}.ipynb"
        if path.is_symlink():
            return refuse(
                f"{path.name} is a symbolic link to {files.shown(os.readlink(path))}, "
                "not a submitted notebook"
            )
        if not os.path.lexists(path):
            others = sorted(files.shown(p.name) for p in directory.glob("*.ipynb"))
            found = f"; found {', '.join(others)} instead" if others else "; no notebook found"
            sub.status = MISSING
            sub.error = f"{student}: missing notebook {name}.ipynb in {directory}{found}"
            return sub
        raw, problem = _read_notebook(path)
        if problem is not None:
            return refuse(f"{path.name} {problem}")
        digest.update(b"notebook\0" + name.encode() + b"\0" + raw)
        sub.notebooks[name] = path
    sub.digest = digest.hexdigest()
    sub.plan = files.overlay(inventory, rules.assignment)
    return sub


def find_submissions(
    course_dir: Path,
    assignment: str,
    notebook_names: list[str],
    students: list[str] | None = None,
    submitted_dir: str = "submitted",
    rules: CopyRules | None = None,
) -> list[Submission]:
    """Every submission of ``assignment`` (optionally only ``students``), checked, sorted by student."""
    rules = rules or CopyRules.default()
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
        try:
            found.append(check_submission(student, assignment, directory, notebook_names, rules))
        except Exception as error:  # noqa: BLE001 - one submission must never stop the run
            found.append(
                Submission(
                    student=student,
                    assignment=assignment,
                    directory=directory,
                    status=BROKEN,
                    error=f"{student}: its files could not be checked ({type(error).__name__}: "
                    f"{files.shown(str(error))})",
                )
            )
    return found
