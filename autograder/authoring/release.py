"""Regenerate ``release/`` from ``source/``: ``python -m autograder release [ASSIGNMENT ...]``.

Each assignment is made by nbgrader's own ``generate_assignment`` (through nbgrader's API, so
``release/`` stays exactly what nbgrader produces), but into a scratch folder beside ``release/``; the committed
``release/<assignment>/`` is replaced only once nbgrader has succeeded. A failing step therefore
leaves the tree as it was: the old release is still there, and a gradebook that this run was
creating from nothing is removed again rather than left half-made (nbgrader creates it in two
steps, the tables and then an ``alembic`` stamp). Each assignment prints one progress line.
"""

from __future__ import annotations

import argparse
import copy
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import TextIO

from autograder.grading.gradebook import Course, CourseError, load_course, sqlite_path

#: Scratch folders live in the course root (same file system: the final step is a rename) under a
#: name that .gitignore covers, so an interrupted run leaves nothing git would pick up.
SCRATCH_PREFIX = ".release-tmp-"


def source_assignments(course: Course) -> list[str]:
    """Every assignment folder of ``source/`` that holds a notebook, sorted."""
    source = course.folder("source")
    if not source.is_dir():
        return []
    return sorted(p.name for p in source.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def release_assignment(course: Course, assignment: str) -> str:
    """Run ``nbgrader generate_assignment`` into scratch, then swap the result into ``release/``.

    Returns what nbgrader printed (its warnings; usually nothing). Raises :class:`CourseError`
    (nothing changed) when nbgrader fails.
    """
    if not (course.folder("source") / assignment).is_dir():
        raise CourseError(f"{course.folder('source') / assignment}: no such assignment folder")
    release = course.folder("release")
    scratch = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=course.root))
    gradebook = sqlite_path(course.db_url)
    new_gradebook = gradebook is not None and not gradebook.exists()
    try:
        ok, said = _generate_into(course, assignment, scratch / "release")
        made = scratch / "release" / assignment
        if not ok or not made.is_dir():
            if new_gradebook:
                _remove_gradebook(gradebook)
            raise CourseError(
                f"nbgrader generate_assignment {assignment} failed; "
                f"release/{assignment} is unchanged\n{_what_went_wrong(said)}\n"
                f"(`nbgrader generate_assignment {assignment}` shows the whole traceback)"
            )
        release.mkdir(exist_ok=True)
        target = release / assignment
        if target.exists():
            target.rename(scratch / "previous")
        made.rename(target)
        return "\n".join(line for line in said.splitlines() if "WARNING" in line or "ERROR" in line)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _generate_into(course: Course, assignment: str, release_dir: Path) -> tuple[bool, str]:
    """nbgrader's ``generate_assignment`` (its API, in this process) with output in ``release_dir``.

    In-process, one start-up of nbgrader serves every assignment of ``make release``. Returns
    whether it succeeded and nbgrader's log (with the traceback when it failed).
    """
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    config = copy.deepcopy(course.config)
    config.CourseDirectory.release_directory = str(release_dir)
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    outcome = api.generate_assignment(assignment, force=True)
    said = "\n".join(str(outcome.get(key) or "") for key in ("log", "error")).strip()
    return bool(outcome.get("success")), said


def _what_went_wrong(said: str, most: int = 5) -> str:
    """The lines of nbgrader's log that name the error (its exceptions and [ERROR] lines)."""
    found: list[str] = []
    for line in (raw.strip() for raw in said.splitlines()):
        is_error = line.startswith("[ERROR]") or re.match(r"^[\w.]+(Error|Exception): ", line)
        if is_error and "Traceback" not in line and line not in found:
            found.append(line)
    return "\n".join(f"  {line}" for line in found[:most]) or said[-1000:]


def _remove_gradebook(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + "-journal")):
        leftover.unlink(missing_ok=True)


def release_all(course_dir: Path, assignments: list[str], stream: TextIO) -> int:
    """Release each assignment (default: all of ``source/``) with a progress line per assignment."""
    course = load_course(course_dir)
    names = assignments or source_assignments(course)
    if not names:
        raise CourseError(f"{course.folder('source')}: no assignments to release")
    for number, name in enumerate(names, 1):
        stream.write(f"release [{number}/{len(names)}] {name} ... ")
        stream.flush()
        started = time.monotonic()
        said = release_assignment(course, name)
        stream.write(f"done ({time.monotonic() - started:.1f} s)\n")
        stream.writelines(f"  {line}\n" for line in said.splitlines())
        stream.flush()
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "assignments", nargs="*", metavar="ASSIGNMENT", help="default: every folder of source/"
    )


def run(args: argparse.Namespace) -> int:
    course_dir = Path(getattr(args, "course_dir", None) or ".")
    try:
        return release_all(course_dir, args.assignments, sys.stdout)
    except CourseError as exc:
        print(f"\nrelease: error: {exc}", file=sys.stderr)
        return 1
