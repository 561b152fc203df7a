"""`python -m autograder selfcheck`: a learner grades their own copy with the hidden tests.

End to end on the real ``source/ps1_derivatives`` in a scratch copy of the course that also holds
an instructor gradebook and a submission, which must come out unchanged.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.cli import main

REPO = Path(__file__).resolve().parents[3]
ASSIGNMENT = "ps1_derivatives"
SOURCE = REPO / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
BIN = Path(sys.executable).parent

pytestmark = [pytest.mark.nbgrader, pytest.mark.slow]


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def hidden_lines() -> list[str]:
    nb = json.loads(SOURCE.read_text())
    lines = []
    for cell in nb["cells"]:
        text = "".join(cell["source"])
        if "### BEGIN HIDDEN TESTS" in text:
            block = text.split("### BEGIN HIDDEN TESTS", 1)[1].split("### END HIDDEN TESTS", 1)[0]
            lines += [ln.strip() for ln in block.splitlines() if len(ln.strip()) >= 12]
    return lines


def total_points() -> float:
    """Points of every graded cell (the maximum score includes hand-graded answers)."""
    nb = json.loads(SOURCE.read_text())
    return sum(
        float(c["metadata"]["nbgrader"].get("points", 0))
        for c in nb["cells"]
        if c["metadata"].get("nbgrader", {}).get("grade")
    )


@pytest.fixture(scope="module")
def course(tmp_path_factory, jupyter_env):
    if not SOURCE.is_file():
        pytest.fail(f"{SOURCE} is missing: selfcheck needs the instructor notebook")
    root = tmp_path_factory.mktemp("course")
    shutil.copy(REPO / "nbgrader_config.py", root)
    shutil.copytree(REPO / "source" / ASSIGNMENT, root / "source" / ASSIGNMENT)
    proc = subprocess.run(
        [str(BIN / "nbgrader"), "generate_assignment", ASSIGNMENT, "--force", "--log-level=ERROR"],
        cwd=root,
        env=jupyter_env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    # Instructor state that selfcheck must leave alone.
    theirs = root / "submitted" / "s01" / ASSIGNMENT
    theirs.mkdir(parents=True)
    shutil.copy(root / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", theirs)
    (theirs / "timestamp.txt").write_text("2026-11-24 20:00:00.000000 UTC")
    return root


def run_selfcheck(course: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "--course-dir",
            str(course),
            "selfcheck",
            ASSIGNMENT,
            *args,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def with_answer(notebook: Path, grade_id: str, source: str, dest: Path) -> Path:
    nb = json.loads(notebook.read_text())
    cells = [
        c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id
    ]
    assert len(cells) == 1, f"{notebook} has no answer cell {grade_id}"
    cells[0]["source"] = source
    dest.write_text(json.dumps(nb))
    return dest


def test_selfcheck_scores_a_learner_copy_without_touching_the_course(course, jupyter_env, tmp_path):
    before_db = hashlib.sha256((course / "gradebook.db").read_bytes()).hexdigest()
    before_submitted = tree_digest(course / "submitted")
    before_entries = sorted(p.name for p in course.iterdir())

    mine = with_answer(
        SOURCE,  # the worked solutions, with one function broken the way learners break it
        "central_difference",
        "import numpy as np\n\ndef central_difference(f, x, h=1e-5):\n    return (f(x + h) - f(x)) / h\n",
        tmp_path / "my_copy.ipynb",
    )
    proc = run_selfcheck(course, jupyter_env, str(mine))
    out = proc.stdout
    assert proc.returncode == 0, proc.stderr
    score = re.search(r"Score: ([\d.]+) / ([\d.]+)", out)
    assert score, out
    assert float(score.group(2)) == pytest.approx(total_points())
    assert 0 < float(score.group(1)) < float(score.group(2))
    assert re.search(r"\[FAIL\] central_difference", out), out
    assert re.search(r"\[PASS\] secant_slope", out), out
    assert "sandbox" in out

    for line in hidden_lines():
        assert line not in out and line not in proc.stderr, (
            f"selfcheck printed hidden test code: {line}"
        )
    assert "HIDDEN TESTS" not in out + proc.stderr

    assert hashlib.sha256((course / "gradebook.db").read_bytes()).hexdigest() == before_db
    assert tree_digest(course / "submitted") == before_submitted
    assert sorted(p.name for p in course.iterdir()) == before_entries  # no autograded/, reports/


def test_selfcheck_default_notebook_is_the_release_stub(course, jupyter_env):
    proc = run_selfcheck(course, jupyter_env)
    assert proc.returncode == 0, proc.stderr
    assert f"release/{ASSIGNMENT}/{ASSIGNMENT}.ipynb" in proc.stdout
    assert re.search(r"Score: 0 / ", proc.stdout), proc.stdout
    assert "[PASS]" not in proc.stdout


def test_selfcheck_rejects_a_file_that_is_not_a_notebook(course, tmp_path, capsys):
    bad = tmp_path / "notes.ipynb"
    bad.write_text("these are my notes, not JSON")
    assert main(["--course-dir", str(course), "selfcheck", ASSIGNMENT, str(bad)]) == 1
    err = capsys.readouterr().err
    assert "notes.ipynb" in err and "not a notebook" in err


def test_selfcheck_unknown_assignment_is_named(course, capsys):
    stub = course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert main(["--course-dir", str(course), "selfcheck", "ps7_nope", str(stub)]) == 1
    err = capsys.readouterr().err
    assert "ps7_nope" in err and "no such assignment" in err
