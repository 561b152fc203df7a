"""Every file that holds student data is ignored by git, and nothing of the course is."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

STUDENT_DATA = [
    "grades.csv",  # `nbgrader export`, written where it runs
    "students.csv",  # the class list
    "gradebook.db",
    "gradebook.db-journal",
    "gradebook-copy.db",
    "submitted/s001/ps1_derivatives/ps1_derivatives.ipynb",
    "autograded/s001/ps1_derivatives/ps1_derivatives.ipynb",
    "feedback/s001/ps1_derivatives/ps1_derivatives.html",
    "reports/ps1_derivatives/grades.csv",
    "reports/ps1_derivatives/results/s001.json",
    "exchange/calculus-for-ml/inbound/s001+ps1_derivatives+x/ps1_derivatives.ipynb",
    "my-work/ps1_derivatives.ipynb",
    ".release-tmp-abc123/release/ps1_derivatives/ps1_derivatives.ipynb",
    ".venv",
]
COURSE = [
    "students.example.csv",
    "release/ps1_derivatives/ps1_derivatives.ipynb",
    "source/ps1_derivatives/ps1_derivatives.ipynb",
    "README.md",
]


def ignored(path: str) -> bool:
    done = subprocess.run(
        ["git", "check-ignore", "--quiet", "--no-index", path], cwd=REPO, capture_output=True
    )
    assert done.returncode in (0, 1), done.stderr
    return done.returncode == 0


@pytest.mark.parametrize("path", STUDENT_DATA)
def test_student_data_and_run_time_files_are_ignored(path):
    assert ignored(path)


@pytest.mark.parametrize("path", COURSE)
def test_course_files_are_not_ignored(path):
    assert not ignored(path)
