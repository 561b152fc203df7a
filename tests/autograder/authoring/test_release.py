"""`python -m autograder release`: nbgrader's release, from a plain shell, that never loses one.

Each test copies one assignment of the course into a scratch course and runs the command the way
`make release` does, as `.venv/bin/python -m autograder release`, with a PATH that does not hold
the venv (nobody activated it): nbgrader then still finds `alembic` when it creates the gradebook.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
ASSIGNMENT = "ps1_derivatives"
PLAIN_PATH = "/usr/bin:/bin"

pytestmark = pytest.mark.nbgrader


def make_course(root: Path) -> Path:
    root.mkdir()
    shutil.copy(REPO / "nbgrader_config.py", root)
    shutil.copytree(REPO / "source" / ASSIGNMENT, root / "source" / ASSIGNMENT)
    shutil.copytree(REPO / "release" / ASSIGNMENT, root / "release" / ASSIGNMENT)
    return root


def run_plain(course: Path, *argv: str) -> subprocess.CompletedProcess:
    """Run ``argv`` in ``course`` from a shell where the venv is not on PATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = PLAIN_PATH
    return subprocess.run(
        list(argv), cwd=course, env=env, capture_output=True, text=True, timeout=300
    )


def autograder(course: Path, *args: str) -> subprocess.CompletedProcess:
    return run_plain(course, sys.executable, "-m", "autograder", *args)


def release(course: Path) -> subprocess.CompletedProcess:
    return autograder(course, "release", ASSIGNMENT)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_first_release_from_a_plain_shell_makes_a_complete_gradebook(tmp_path):
    assert shutil.which("alembic", path=PLAIN_PATH) is None  # the venv really is off the PATH
    course = make_course(tmp_path / "course")
    committed = snapshot(course / "release" / ASSIGNMENT)
    stale = course / "release" / ASSIGNMENT / "left-over.txt"
    stale.write_text("not made by nbgrader")

    done = release(course)

    assert done.returncode == 0, done.stderr
    assert f"release [1/1] {ASSIGNMENT} ... done" in done.stdout
    assert snapshot(course / "release" / ASSIGNMENT) == committed  # nbgrader's output, only it
    with sqlite3.connect(course / "gradebook.db") as db:
        # The alembic stamp is nbgrader's second step, the one that failed without a PATH.
        assert db.execute("select count(*) from alembic_version").fetchone()[0] == 1
        names = [r[0] for r in db.execute("select name from assignment")]
    assert names == [ASSIGNMENT]
    assert not [p for p in course.iterdir() if p.name.startswith(".release-tmp-")]


def test_a_failing_release_leaves_release_and_gradebook_as_they_were(tmp_path):
    course = make_course(tmp_path / "course")
    before = snapshot(course / "release" / ASSIGNMENT)
    source_nb = course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    source_nb.write_text('{"cells": [', encoding="utf-8")  # nbgrader cannot read it

    done = release(course)

    assert done.returncode == 1
    assert f"release/{ASSIGNMENT} is unchanged" in done.stderr
    assert snapshot(course / "release" / ASSIGNMENT) == before
    # The gradebook this run would have created is not left half-made.
    assert not (course / "gradebook.db").exists()
    assert sorted(p.name for p in course.iterdir()) == ["nbgrader_config.py", "release", "source"]


def test_grading_before_any_release_says_so_in_one_line_and_creates_no_gradebook(tmp_path):
    course = make_course(tmp_path / "course")
    submitted = course / "submitted" / "s001" / ASSIGNMENT
    submitted.mkdir(parents=True)
    shutil.copy(REPO / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", submitted)

    done = autograder(course, "grade", ASSIGNMENT)

    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: {course / 'gradebook.db'}: no gradebook yet: release the assignment first "
        f"(`make release`, or `nbgrader generate_assignment {ASSIGNMENT}`)"
    ]
    assert not (course / "gradebook.db").exists()


def test_stock_nbgrader_from_a_plain_shell_creates_a_complete_gradebook(tmp_path):
    course = make_course(tmp_path / "course")
    shutil.copy(REPO / "students.example.csv", course / "students.csv")
    nbgrader = str(Path(sys.executable).parent / "nbgrader")

    done = run_plain(course, nbgrader, "db", "student", "import", "students.csv")

    assert done.returncode == 0, done.stderr
    with sqlite3.connect(course / "gradebook.db") as db:
        assert db.execute("select count(*) from alembic_version").fetchone()[0] == 1
        ids = [r[0] for r in db.execute("select id from student order by id")]
    assert ids == ["s001", "s002", "s003"]
