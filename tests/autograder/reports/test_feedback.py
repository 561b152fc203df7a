"""`python -m autograder feedback`: per-student pages that never show hidden test code."""

from __future__ import annotations

import html
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.cli import main

ASSIGNMENT = "ps9_feedback"
HIDDEN_LINES = [
    "assert abs(central_difference(np.exp, 0.7, 1e-3) - np.exp(0.7)) < 1e-6, 'hidden-exp-check'",
    "secret_points = [0.25, 1.5, -3.0]",
    "assert np.allclose([central_difference(np.sin, p) for p in secret_points], np.cos(secret_points))",
]


def _meta(**nbgrader) -> dict:
    return {"nbgrader": {"schema_version": 3, **nbgrader}}


def source_notebook() -> nbformat.NotebookNode:
    answer = new_code_cell(
        "def central_difference(f, x, h=1e-5):\n    ### BEGIN SOLUTION\n    return (f(x + h) - f(x - h)) / (2 * h)\n    ### END SOLUTION",
        metadata=_meta(grade=False, solution=True, locked=False, grade_id="central_difference"),
    )
    test = new_code_cell(
        "# checks central_difference\nimport numpy as np\nassert abs(central_difference(np.square, 1.0) - 2.0) < 1e-6\n"
        "### BEGIN HIDDEN TESTS\n" + "\n".join(HIDDEN_LINES) + "\n### END HIDDEN TESTS",
        metadata=_meta(
            grade=True, solution=False, locked=True, points=2, grade_id="test_central_difference"
        ),
    )
    written = new_markdown_cell(
        "YOUR ANSWER HERE",
        metadata=_meta(grade=True, solution=True, locked=False, points=1, grade_id="explain"),
    )
    return new_notebook(cells=[new_markdown_cell("# PS 9"), answer, test, written])


def student_notebook(body: str) -> nbformat.NotebookNode:
    nb = source_notebook()
    nb.cells[1].source = f"def central_difference(f, x, h=1e-5):\n    {body}"
    # what the student received: visible tests only
    nb.cells[2].source = nb.cells[2].source.split("### BEGIN HIDDEN TESTS")[0]
    nb.cells[3].source = "Rounding error grows like 1/h."
    return nb


def result(student: str, passed: bool, message: str) -> dict:
    return {
        "student": student,
        "assignment": ASSIGNMENT,
        "status": "graded",
        "error": None,
        "score": 2.0 if passed else 0.0,
        "max_score": 2.0,
        "isolation": "bubblewrap",
        "elapsed_seconds": 1.0,
        "graded_at": "2026-11-24T23:01:02+00:00",
        "cells": [
            {
                "grade_id": "test_central_difference",
                "function": "central_difference",
                "points": 2.0 if passed else 0.0,
                "max_points": 2.0,
                "kernel_passed": passed,
                "verified_passed": passed,
                "flagged": False,
                "message": message,
                "tags": [t for t in ["forward-difference"] if t in message],
            }
        ],
        "manual": [{"grade_id": "explain", "max_points": 1.0, "needs_manual_grade": True}],
    }


def build_course(root: Path) -> None:
    (root / "source" / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(source_notebook(), root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    students = {
        "alice": ("return (f(x + h) - f(x - h)) / (2 * h)", True, ""),
        "bob": (
            "return (f(x + h) - f(x)) / h  # bob-forward",
            False,
            "AssertionError: expected 2.0138, got 2.0141: looks like a forward difference [tag: forward-difference]",
        ),
        # A message that (wrongly) carries hidden test source must still not reach the page.
        "carol": (
            # ... and an answer that happens to hold a hidden line is shown without it
            "secret_points = [0.25, 1.5, -3.0]\n    return 0.0  # carol-zero",
            False,
            "AssertionError: hidden-exp-check\n### BEGIN HIDDEN TESTS\n    "
            + HIDDEN_LINES[0]
            + "\n"
            + HIDDEN_LINES[1],
        ),
    }
    results = root / "reports" / ASSIGNMENT / "results"
    results.mkdir(parents=True)
    for student, (body, passed, message) in students.items():
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(student_notebook(body), folder / f"{ASSIGNMENT}.ipynb")
        (folder / "timestamp.txt").write_text("2026-11-24 22:00:00.000000 UTC")
        (folder / "submission_secret.txt").write_text(f"secret-of-{student}")
        (results / f"{student}.json").write_text(json.dumps(result(student, passed, message)))


def test_feedback_pages_in_nbgrader_layout_without_hidden_tests(tmp_path):
    build_course(tmp_path)
    assert main(["--course-dir", str(tmp_path), "feedback", ASSIGNMENT]) == 0
    pages = {
        s: tmp_path / "feedback" / s / ASSIGNMENT / f"{ASSIGNMENT}.html"
        for s in ("alice", "bob", "carol")
    }
    for student, page in pages.items():
        assert page.is_file(), f"no feedback page for {student}"
        assert (page.parent / "timestamp.txt").read_text().startswith("2026-11-24")
    generated = [p for p in (tmp_path / "feedback").rglob("*") if p.is_file()]
    for path in generated:
        text = path.read_text()
        assert "BEGIN HIDDEN TESTS" not in text, path
        assert "END HIDDEN TESTS" not in text, path
        for line in HIDDEN_LINES:
            for form in (line, html.escape(line), html.escape(line, quote=False)):
                assert form not in text, f"{path} leaks hidden test code: {line}"

    bob = pages["bob"].read_text()
    assert "0 / 2" in bob and "failed" in bob
    assert "looks like a forward difference" in bob  # the message
    # The hint is the curated table's sentence for the tag, with the chapter section.
    assert "Likely misconception: Your error shrinks like h, not h" in bob
    assert "Chapter 2, Derivatives, section &quot;Numerical derivatives&quot;" in bob
    assert "[tag:" not in bob
    assert "bob-forward" in bob  # the student's own answer
    assert "Rounding error grows like 1/h." in bob  # the written answer
    assert "awaiting grading by your instructor" in bob  # the hand-graded item

    alice = pages["alice"].read_text()
    assert "2 / 2" in alice and "passed" in alice and "failed" not in alice

    carol = pages["carol"].read_text()
    assert "carol-zero" in carol and "hidden test code removed" in carol


def test_feedback_for_one_student_only(tmp_path):
    build_course(tmp_path)
    assert main(["--course-dir", str(tmp_path), "feedback", ASSIGNMENT, "--student", "bob"]) == 0
    assert sorted(p.name for p in (tmp_path / "feedback").iterdir()) == ["bob"]


def test_feedback_for_unknown_student_is_an_error(tmp_path, capsys):
    build_course(tmp_path)
    assert main(["--course-dir", str(tmp_path), "feedback", ASSIGNMENT, "--student", "zed"]) == 1
    assert "zed" in capsys.readouterr().err


def test_ungradable_submission_gets_a_page_with_the_error(tmp_path):
    build_course(tmp_path)
    broken = result("dave", False, "")
    broken.update(
        status="broken-notebook", cells=[], score=0.0, error="dave: ps9_feedback.ipynb is empty"
    )
    (tmp_path / "reports" / ASSIGNMENT / "results" / "dave.json").write_text(json.dumps(broken))
    assert main(["--course-dir", str(tmp_path), "feedback", ASSIGNMENT]) == 0
    page = (tmp_path / "feedback" / "dave" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "could not be graded" in page and "is empty" in page


@pytest.mark.nbgrader
def test_nbgrader_release_feedback_hands_out_the_pages(tmp_path, jupyter_env):
    from nbgrader.utils import notebook_hash

    course = tmp_path / "course"
    course.mkdir()
    build_course(course)
    (course / "nbgrader_config.py").write_text(
        'c = get_config()\nc.CourseDirectory.course_id = "feedback-test"\n'
    )
    assert main(["--course-dir", str(course), "feedback", ASSIGNMENT]) == 0
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    proc = subprocess.run(
        [
            str(Path(sys.executable).parent / "nbgrader"),
            "release_feedback",
            ASSIGNMENT,
            f"--Exchange.root={exchange}",
        ],
        cwd=course,
        env=jupyter_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    released = exchange / "feedback-test" / "feedback"
    for student in ("alice", "bob", "carol"):
        name = notebook_hash(secret=f"secret-of-{student}", notebook_id=ASSIGNMENT) + ".html"
        page = course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html"
        assert (released / name).read_text() == page.read_text(), (
            f"{student}'s feedback was not released"
        )


def test_a_result_with_an_unusable_student_id_is_skipped_and_the_rest_written(tmp_path, capsys):
    """The grader reports a non-UTF-8 student folder under an escaped id (caf\\udce9-student):
    no feedback folder can carry that name, but everyone else still gets a page."""
    build_course(tmp_path)
    odd = result("caf\\udce9-student", False, "")
    odd.update(status="broken-notebook", cells=[], score=0.0, error="not a usable student id")
    results = tmp_path / "reports" / ASSIGNMENT / "results"
    (results / "caf-odd.json").write_text(json.dumps(odd))
    assert main(["--course-dir", str(tmp_path), "feedback", ASSIGNMENT]) == 1
    err = capsys.readouterr().err
    assert "feedback: error: caf\\udce9-student: no feedback page" in err
    written = sorted(p.name for p in (tmp_path / "feedback").iterdir())
    assert written == ["alice", "bob", "carol"]
