"""``python -m autograder grade`` end to end: scores, gradebook, CSV/JSON, resume and --force.

The submissions are real notebooks built from ``release/`` and ``source/`` of ps1 (or of the small
fixture assignment when ps1 is absent) in a scratch course, graded through the real command.
"""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import time

import calcml_grade_cohort as cohort  # loaded by conftest.py
import pytest
from nbgrader.api import Gradebook

from autograder.grading.progress import exit_status, summary_table
from autograder.grading.verdict import cell_tags
from autograder.reports import results as res
from autograder.reports.misconceptions import strip_tag_text


@pytest.fixture(scope="module")
def graded(tmp_path_factory, jupyter_env):
    return cohort.graded_cohort(tmp_path_factory.mktemp("grade-cohort"), jupyter_env)


def _test_points(result: dict) -> float:
    return sum(cell["points"] for cell in result["cells"])


def _max_test_points(result: dict) -> float:
    return sum(cell["max_points"] for cell in result["cells"])


@pytest.mark.nbgrader
def test_run_reports_isolation_and_summary(graded):
    err = graded["process"].stderr
    assert "isolation: bubblewrap" in err or "isolation: rlimits" in err
    assert "student" in err and "score" in err  # the summary table header
    print(f"graded the cohort in {graded['elapsed']:.1f} s")


@pytest.mark.nbgrader
def test_honest_submission_gets_full_marks(graded):
    result = graded["results"]["honest"]
    assert result["status"] == "graded"
    assert result["error"] is None
    assert result["cells"], "no test cells were graded"
    for cell in result["cells"]:
        assert cell["kernel_passed"] and cell["verified_passed"], cell
        assert cell["points"] == cell["max_points"] > 0
        assert not cell["flagged"]
        assert cell["function"] in graded["builder"].functions
    assert _test_points(result) == _max_test_points(result)
    # The written answer is not autograded: it waits for a human.
    assert result["manual"] and all(m["needs_manual_grade"] for m in result["manual"])
    assert result["score"] == _max_test_points(result)
    assert result["max_score"] == _max_test_points(result) + sum(
        m["max_points"] for m in result["manual"]
    )


@pytest.mark.nbgrader
def test_unanswered_written_answer_scores_zero_without_review(graded):
    manual = graded["results"]["blank"]["manual"]
    assert manual and not any(m["needs_manual_grade"] for m in manual)


@pytest.mark.nbgrader
@pytest.mark.parametrize("student", ["blank", "wrong"])
def test_blank_and_wrong_submissions_score_zero(graded, student):
    result = graded["results"][student]
    assert result["status"] == "graded"
    assert _test_points(result) == 0
    assert result["score"] == 0
    assert all(not c["kernel_passed"] and not c["verified_passed"] for c in result["cells"])
    assert all(c["message"] for c in result["cells"]), "a failing cell needs a message"


@pytest.mark.nbgrader
def test_failure_messages_never_contain_hidden_test_code(graded):
    source = (graded["course"] / "source" / graded["assignment"]).glob("*.ipynb")
    hidden_lines = set()
    for path in source:
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
            text = "".join(cell["source"])
            if "### BEGIN HIDDEN TESTS" in text:
                body = text.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0]
                hidden_lines |= {
                    line.strip() for line in body.splitlines() if len(line.strip()) > 25
                }
    assert hidden_lines
    for result in graded["results"].values():
        for cell in result["cells"]:
            for line in hidden_lines:
                assert line not in cell["message"], (result["student"], cell["grade_id"])


@pytest.mark.nbgrader
def test_grades_csv_matches_results(graded):
    path = graded["course"] / "reports" / graded["assignment"] / "grades.csv"
    with path.open() as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = {row[0]: dict(zip(header, row, strict=True)) for row in reader}
    cell_ids = [c["grade_id"] for c in graded["results"]["honest"]["cells"]]
    assert header == ["student", "score", "max_score", "status", *cell_ids]
    assert set(rows) == set(graded["kinds"])
    for student, result in graded["results"].items():
        row = rows[student]
        assert row["status"] == result["status"]
        if result["status"] == "graded":
            assert float(row["score"]) == result["score"]
            for cell in result["cells"]:
                assert float(row[cell["grade_id"]]) == cell["points"]


@pytest.mark.nbgrader
def test_gradebook_and_autograded_notebooks_work_with_stock_nbgrader(graded):
    course, assignment = graded["course"], graded["assignment"]
    honest = graded["results"]["honest"]
    notebook = course / "autograded" / "honest" / assignment / f"{assignment}.ipynb"
    assert notebook.is_file()
    assert oct(notebook.stat().st_mode & 0o777) == oct(0o444)  # as nbgrader autograde leaves it
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        submission = gb.find_submission(assignment, "honest")
        assert float(submission.score) == honest["score"]
        flagged_cell = next(
            c for c in graded["results"]["trick-input-transformer"]["cells"] if c["flagged"]
        )
        grade = gb.find_grade(
            flagged_cell["grade_id"], assignment, assignment, "trick-input-transformer"
        )
        assert grade.needs_manual_grade, "a disagreement must show up in formgrader"
        assert grade.auto_score == 0
    out = course / "export.csv"
    done = cohort.run(
        [str(cohort.BIN / "nbgrader"), "export", "--to", str(out)], course, graded["env"]
    )
    assert done.returncode == 0, done.stderr[-2000:]
    with out.open() as handle:
        exported = {
            row["student_id"]: row
            for row in csv.DictReader(handle)
            if row["assignment"] == assignment
        }
    assert float(exported["honest"]["raw_score"]) == honest["score"]
    assert float(exported["blank"]["raw_score"]) == 0


@pytest.mark.nbgrader
def test_second_run_skips_graded_submissions(graded):
    course, assignment = graded["course"], graded["assignment"]
    before = {s: r["graded_at"] for s, r in graded["results"].items()}
    done = cohort.run(cohort.grade_command(course, assignment), course, graded["env"])
    assert "skipping" in done.stderr
    assert "grading " not in done.stderr  # nothing left to grade
    assert done.returncode == 1  # the broken submissions still cannot be graded
    for student, stamp in before.items():
        result = json.loads(
            (course / "reports" / assignment / "results" / f"{student}.json").read_text()
        )
        if result["status"] in ("graded", "timeout", "kernel-died"):
            assert result["graded_at"] == stamp, student


@pytest.mark.nbgrader
def test_force_regrades_only_the_chosen_student(graded):
    course, assignment = graded["course"], graded["assignment"]
    results_dir = course / "reports" / assignment / "results"
    old = json.loads((results_dir / "honest.json").read_text())
    time.sleep(1.1)  # graded_at has one-second resolution
    done = cohort.run(
        cohort.grade_command(course, assignment, "--force", "--student", "honest"),
        course,
        graded["env"],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "grading 1 submission" in done.stderr
    new = json.loads((results_dir / "honest.json").read_text())
    assert new["graded_at"] != old["graded_at"]
    assert new["score"] == old["score"]


@pytest.mark.nbgrader
def test_interrupted_run_resumes(graded):
    course, assignment, builder = graded["course"], graded["assignment"], graded["builder"]
    students = [f"late{i}" for i in range(4)]
    for student in students:
        builder.submit(student, builder.notebook("honest"))
    # These files are this test's input, not grader output: the never-modified check (which may
    # run after this test) must expect them.
    added = cohort.tree_checksums(course / "submitted")
    graded["submitted_before"].update(
        {k: v for k, v in added.items() if k.split("/")[0] in students}
    )
    results_dir = course / "reports" / assignment / "results"
    command = cohort.grade_command(course, assignment, "--workers", "1")
    process = subprocess.Popen(
        command,
        cwd=course,
        env=graded["env"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not any((results_dir / f"{s}.json").exists() for s in students):
        assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline, "no late submission was graded in time"
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    process.wait(timeout=60)
    first = [s for s in students if (results_dir / f"{s}.json").exists()]
    assert 1 <= len(first) < len(students), "the run was not interrupted part-way"
    done = cohort.run(command, course, graded["env"])
    assert f"grading {len(students) - len(first)} submission" in done.stderr, done.stderr[-2000:]
    for student in students:
        result = json.loads((results_dir / f"{student}.json").read_text())
        assert result["status"] == "graded"
        assert result["score"] == graded["results"]["honest"]["score"]


@pytest.mark.nbgrader
def test_unknown_assignment_is_a_clear_error(graded):
    done = cohort.run(
        cohort.grade_command(graded["course"], "no_such_assignment"),
        graded["course"],
        graded["env"],
    )
    assert done.returncode == 2
    assert "no_such_assignment" in done.stderr and "not in the gradebook" in done.stderr


@pytest.mark.nbgrader
def test_not_a_course_folder_is_a_clear_error(tmp_path, jupyter_env):
    done = cohort.run(cohort.grade_command(tmp_path, "ps1_derivatives"), tmp_path, jupyter_env)
    assert done.returncode == 2
    assert "nbgrader_config.py" in done.stderr


# Unit checks of the result files and the summary (no grading run needed).


def _result(student, status="graded", points=(1.0, 0.0), flagged=False):
    cells = [
        {
            "grade_id": f"test_f{i}",
            "function": f"f{i}",
            "points": p,
            "max_points": 1.0,
            "kernel_passed": p > 0 or flagged,
            "verified_passed": p > 0,
            "flagged": flagged and p == 0,
            "message": "" if p else "AssertionError: no [tag: off-by-one]",
            "tags": [] if p else ["off-by-one"],
        }
        for i, p in enumerate(points)
    ]
    return {
        "student": student,
        "assignment": "a1",
        "status": status,
        "error": None if status == "graded" else f"{student}: broken",
        "score": sum(points),
        "max_score": float(len(points)),
        "cells": cells if status == "graded" else [],
        "flagged": flagged,
    }


def test_grades_csv_has_one_column_per_test_cell(tmp_path):
    results = [_result("s02", points=(0.0, 1.0)), _result("s01"), _result("s03", "broken-notebook")]
    path = res.write_grades_csv(tmp_path, "a1", results)
    rows = res.read_grades_csv(path)
    assert [r["student"] for r in rows] == ["s01", "s02", "s03"]
    assert list(rows[0]) == ["student", "score", "max_score", "status", "test_f0", "test_f1"]
    assert rows[1]["test_f0"] == "0.0" and rows[1]["test_f1"] == "1.0"
    assert rows[2]["status"] == "broken-notebook" and rows[2]["test_f0"] == ""


def test_result_json_round_trip_and_tags(tmp_path):
    result = _result("s01", points=(0.0, 1.0))
    res.write_result(tmp_path, result)
    assert res.read_result(tmp_path, "a1", "s01") == result
    assert res.read_result(tmp_path, "a1", "nobody") is None
    # Tags in a message's text are only ever removed, never read: a student's text can hold one.
    assert strip_tag_text("expected 2 [tag: sign-of-h] and [tag: zero-step]") == "expected 2  and"
    assert cell_tags({**result["cells"][0], "tags": ["off-by-one", "forward-difference"]}) == [
        "forward-difference"
    ]
    assert [r["student"] for r in res.read_results(tmp_path, "a1")] == ["s01"]


def test_summary_lists_flagged_cells_and_exit_status_counts_only_ungraded():
    graded = [_result("s01"), _result("s02", points=(0.0, 1.0), flagged=True)]
    text = summary_table(graded, "a1")
    assert "s02" in text and "(flagged for review)" in text
    assert "FLAGGED s02 test_f0" in text
    assert exit_status(graded) == 0
    assert exit_status(graded + [_result("s03", "timeout")]) == 0
    assert exit_status(graded + [_result("s04", "missing-notebook")]) == 1


def test_cli_help_lists_every_command_and_loads_others_lazily(capsys):
    from autograder.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["--help"])
    assert stop.value.code == 0
    listing = capsys.readouterr().out
    for command in ("grade", "report", "feedback", "selfcheck"):
        assert command in listing
    with pytest.raises(SystemExit):
        main(["grade", "--help"])
    assert "--workers" in capsys.readouterr().out
    with pytest.raises(SystemExit) as stop:
        main(["grade", "ps1", "--workers", "0"])
    assert stop.value.code == 2
    assert "at least 1" in capsys.readouterr().err


@pytest.mark.parametrize(
    "setting",
    [{"CALCML_VERIFY_ROOM": "0"}, {"CALCML_ZYGOTE": "0"}],
    ids=["verification in a sandbox of its own", "kernels not forked from the zygote"],
)
def test_every_verdict_is_the_same_whichever_way_the_sandboxes_start(graded, tmp_path, setting):
    """The defaults with bubblewrap (the kernel's sandbox serves the verification first, and its
    kernel is forked from the worker's zygote) change no verdict of the standard cohort, hostile
    submissions included, against the verification in a sandbox of its own
    (CALCML_VERIFY_ROOM=0), or against kernels that start as their sandbox's own Python
    (CALCML_ZYGOTE=0)."""
    course = tmp_path / "course"
    # cp keeps the cohort's 64 GiB sparse file sparse (shutil.copytree would write it all out).
    copied = cohort.run(
        ["cp", "-a", "--sparse=always", str(graded["course"]), str(course)], tmp_path, graded["env"]
    )
    assert copied.returncode == 0, copied.stderr
    env = dict(graded["env"], **setting)
    command = cohort.grade_command(course, graded["assignment"], "--force", *cohort.LIMITS)
    done = cohort.run(command, course, env, timeout=600)
    assert done.returncode in (0, 1), done.stderr

    def verdict(result):
        return (
            result["status"],
            result.get("score"),
            [
                (c["grade_id"], c["points"], c["outcome"], c["flagged"], c["tags"],
                 c["kernel_passed"], c["verified_passed"])
                for c in result.get("cells", [])
            ],
        )  # fmt: skip

    # The first run's results, as read right after it (later tests may regrade that course).
    with_room = {student: verdict(result) for student, result in graded["results"].items()}
    folder = course / "reports" / graded["assignment"] / "results"
    own_sandbox = {
        p.stem: verdict(json.loads(p.read_text())) for p in sorted(folder.glob("*.json"))
    }
    assert len(with_room) >= 10
    assert set(with_room) <= set(own_sandbox)
    assert {student: own_sandbox[student] for student in with_room} == with_room
