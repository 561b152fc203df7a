"""`python -m autograder validate`: nbgrader's verdict, in a few lines, with an exit status.

Run as a student would, `.venv/bin/python -m autograder validate NOTEBOOK` from a plain shell.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
ASSIGNMENT = "ps1_derivatives"
RELEASED = REPO / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
SOLVED = REPO / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"

pytestmark = pytest.mark.nbgrader


def validate(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["PATH"] = "/usr/bin:/bin"
    return subprocess.run(
        [sys.executable, "-m", "autograder", "validate", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def answer(notebook: Path, grade_id: str, code: str) -> None:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == grade_id:
            cell["source"] = code
    notebook.write_text(json.dumps(nb), encoding="utf-8")


def test_stubs_fail_with_one_line_per_test_cell_and_exit_1(tmp_path):
    mine = tmp_path / f"{ASSIGNMENT}.ipynb"
    shutil.copy(RELEASED, mine)
    answer(mine, "secant_slope", "def secant_slope(f, x, h):\n    return (f(x + h) - f(x)) / h\n")

    done = validate(mine.name, cwd=tmp_path)

    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"validate {mine.name} (runs every cell) ... FAILED")
    problems = dict(line.strip().split(": ", 1) for line in lines[1:])
    assert "test_secant_slope" in problems  # the h == 0 check still fails
    assert problems["test_secant_slope"] == "ZeroDivisionError: float division by zero"
    assert problems["test_poly_derivative"].startswith("not written yet")
    assert "explain_roundoff" in problems  # the written answer is still blank
    assert len(lines) < 15 and "Traceback" not in done.stdout
    assert "without encryption" not in done.stdout + done.stderr


def test_solutions_pass_and_stubs_pass_inverted(tmp_path):
    done = validate(str(SOLVED), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "passed" in done.stdout
    inverted = validate("--invert", str(RELEASED), cwd=tmp_path)
    assert inverted.returncode == 0, inverted.stdout
    assert validate("--invert", str(SOLVED), cwd=tmp_path).returncode == 1


def test_a_file_that_is_no_notebook_is_named_and_exits_2(tmp_path):
    (tmp_path / "broken.ipynb").write_text("{not json")
    done = validate("broken.ipynb", "missing.ipynb", cwd=tmp_path)
    assert done.returncode == 2
    assert "broken.ipynb: not a readable notebook" in done.stdout
    assert "missing.ipynb: no such notebook" in done.stdout
