"""Broken files get a one-line error and a CSV status; everyone else is graded; submitted/ is untouched."""

from __future__ import annotations

import csv
from pathlib import Path

import calcml_grade_cohort as cohort  # loaded by conftest.py
import nbformat
import pytest

from autograder.grading.submissions import BROKEN, MISSING, check_submission, notebook_problem

BROKEN_STUDENTS = {
    "broken-corrupt": ("broken-notebook", "not valid JSON"),
    "broken-empty": ("broken-notebook", "empty"),
    "broken-binary": ("broken-notebook", "binary"),
    "broken-v3": ("broken-notebook", "nbformat 3"),
    "broken-nocells": ("broken-notebook", "no cells"),
    "broken-wrongname": ("missing-notebook", "my_homework.ipynb"),
    "broken-link-source": ("broken-notebook", "symbolic link"),
    "broken-link-peer": ("broken-notebook", "symbolic link"),
    cohort.BAD_NAME_SHOWN: ("broken-notebook", "not a usable student id"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory, jupyter_env):
    return cohort.graded_cohort(tmp_path_factory.mktemp("grade-cohort"), jupyter_env)


@pytest.mark.nbgrader
@pytest.mark.parametrize("student", sorted(BROKEN_STUDENTS))
def test_broken_file_gets_a_one_line_error(graded, student):
    status, words = BROKEN_STUDENTS[student]
    result = graded["results"][student]
    assert result["status"] == status
    assert result["error"].startswith(f"{student}: ")
    assert words in result["error"]
    assert "\n" not in result["error"]
    assert f"error: {result['error']}" in graded["process"].stderr.splitlines()
    with (graded["course"] / "reports" / graded["assignment"] / "grades.csv").open() as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert rows[student]["status"] == status


@pytest.mark.nbgrader
def test_everyone_else_is_graded_and_exit_status_says_something_failed(graded):
    statuses = {s: r["status"] for s, r in graded["results"].items()}
    assert set(statuses) == set(graded["kinds"])
    for student, kind in graded["kinds"].items():
        if kind in ("honest", "blank", "wrong", "hostile"):  # odd-files and bad-timestamp too
            assert statuses[student] == "graded", (student, graded["results"][student]["error"])
    assert graded["process"].returncode == 1


@pytest.mark.nbgrader
def test_submitted_folder_is_never_modified(graded):
    assert cohort.tree_checksums(graded["course"] / "submitted") == graded["submitted_before"]


@pytest.mark.nbgrader
def test_only_good_submissions_exit_zero(graded):
    done = cohort.run(
        cohort.grade_command(graded["course"], graded["assignment"], "--student", "blank"),
        graded["course"],
        graded["env"],
    )
    assert done.returncode == 0, done.stderr[-2000:]


# Unit checks of the file checks themselves (no grading run needed).


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_notebook_problem_names_each_kind_of_damage(tmp_path):
    good = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    assert notebook_problem(_write(tmp_path / "ok.ipynb", nbformat.writes(good).encode())) is None
    assert "empty" in notebook_problem(_write(tmp_path / "a.ipynb", b""))
    assert "binary" in notebook_problem(_write(tmp_path / "b.ipynb", b"\x89PNG\r\n\x1a\n\0\0"))
    assert "UTF-8" in notebook_problem(_write(tmp_path / "c.ipynb", b"\xff\xfe{}"))
    assert "JSON" in notebook_problem(_write(tmp_path / "d.ipynb", b'{"cells": ['))
    assert "nbformat 3" in notebook_problem(_write(tmp_path / "e.ipynb", b'{"nbformat": 3}'))
    assert "no cells" in notebook_problem(
        _write(tmp_path / "f.ipynb", b'{"nbformat": 4, "nbformat_minor": 5, "cells": []}')
    )
    assert "not a notebook" in notebook_problem(_write(tmp_path / "g.ipynb", b"[1, 2]"))


def test_check_submission_reports_missing_and_wrongly_named(tmp_path):
    folder = tmp_path / "s01" / "ps1"
    folder.mkdir(parents=True)
    missing = check_submission("s01", "ps1", folder, ["ps1"])
    assert missing.status == MISSING and "no notebook found" in missing.error
    good = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    nbformat.write(good, folder / "Untitled.ipynb")
    wrong = check_submission("s01", "ps1", folder, ["ps1"])
    assert wrong.status == MISSING and "Untitled.ipynb" in wrong.error
    (folder / "ps1.ipynb").write_bytes(b"")
    broken = check_submission("s01", "ps1", folder, ["ps1"])
    assert broken.status == BROKEN and broken.error.startswith("s01: ps1.ipynb")
    nbformat.write(good, folder / "ps1.ipynb")
    fine = check_submission("s01", "ps1", folder, ["ps1"])
    assert fine.ok and fine.notebooks == {"ps1": folder / "ps1.ipynb"}


@pytest.mark.nbgrader
def test_linked_notebooks_are_never_followed(graded):
    for student in ("broken-link-source", "broken-link-peer"):
        result = graded["results"][student]
        assert result["status"] == "broken-notebook"
        assert result.get("score") in (None, 0)
        assert not (graded["course"] / "autograded" / student).exists()


@pytest.mark.nbgrader
def test_odd_file_names_links_and_timestamps_do_not_stop_grading(graded):
    honest = graded["results"]["honest"]
    for student in ("odd-files", "bad-timestamp"):
        result = graded["results"][student]
        assert result["status"] == "graded", result["error"]
        assert result["score"] == honest["score"]
    assert (
        "warning: bad-timestamp: timestamp.txt ('not a date at all') is not a date nbgrader can read"
        in graded["process"].stderr
    )
    copied = graded["course"] / "autograded" / "odd-files" / graded["assignment"]
    assert not (copied / "notes.bin").exists()  # the link was not copied, let alone followed
