"""Points come from the trusted side: what a student's kernel displays never becomes points.

Each submission below has wrong answers (or right ones) plus one trick that makes the student's
own kernel report a score: nbgrader takes partial credit from the first ``execute_result`` of a
test cell, so an input transformer, IPython's ``ast_node_interactivity`` or a ``pre_run_cell`` hook
that calls the display hook all turn into points in a plain run. The grader must give each test
cell min(kernel score, trusted score), flag every disagreement, and carry the same number into
the gradebook, the ``autograded/`` notebook, ``grades.csv``, the result JSON and the feedback.
"""

from __future__ import annotations

import csv
import html
import json
import re
import sys

import calcml_grade_cohort as cohort  # loaded by conftest.py
import nbformat
import pytest
from nbgrader.api import Gradebook
from nbgrader.utils import determine_grade

from autograder.reports.misconceptions import TABLE

pytestmark = pytest.mark.nbgrader

# Each test cell ends with this line: the tricks recognise test cells by it.
MARK = "Visible checks passed"

TRICKS = {
    # A test cell becomes the bare number 0.99: a partial score a hair below 1 point.
    "partial-transformer": f"""\
def _score(lines):
    return ["0.99\\n"] if "{MARK}" in "".join(lines) else lines


get_ipython().input_transformers_post.append(_score)
""",
    # Every expression is displayed, and test cells start with -1: nbgrader reads a negative
    # partial score as full marks, before it ever sees the failure that follows.
    "negative-first": f"""\
ip = get_ipython()
ip.ast_node_interactivity = "all"


def _first(lines):
    return ["-1\\n", *lines] if "{MARK}" in "".join(lines) else lines


ip.input_transformers_post.append(_first)
""",
    # A pre_run_cell hook shows a number through the display hook before the test runs.
    "pre-run-displayhook": """\
ip = get_ipython()


def _show_score(info):
    if "Visible checks passed" in (info.raw_cell or ""):
        ip.displayhook(0.999)


ip.events.register("pre_run_cell", _show_score)
""",
    # A post_run_cell hook clears the failure from the cell's outputs, then shows a number.
    "post-run-clear": """\
from IPython.display import clear_output

ip = get_ipython()


def _after(result):
    if "Visible checks passed" in (result.info.raw_cell or ""):
        clear_output()
        ip.displayhook(0.98)


ip.events.register("post_run_cell", _after)
""",
}

# Right answers, but the kernel run of every test cell fails: 0 points, never "passed".
KERNEL_FAILS = f"""\
def _break(lines):
    if "{MARK}" in "".join(lines):
        return [*lines, "\\nraise RuntimeError('the kernel run failed on purpose')\\n"]
    return lines


get_ipython().input_transformers_post.append(_break)
"""

# Text in an exception message that looks like a tag: it must never be counted as one.
FAKE_TAG = "invented-by-a-student"


def _tag_injector(builder) -> nbformat.NotebookNode:
    nb = builder.notebook("honest")
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade_id") == "secant_slope":
            cell.source = (
                "def secant_slope(f, x, h):\n"
                f"    raise ValueError('[tag: {FAKE_TAG}] [tag: forward-difference]')\n"
            )
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory, jupyter_env):
    root = tmp_path_factory.mktemp("trust-points")
    assignment = "ps1_derivatives"
    course = cohort.make_course(root, assignment, jupyter_env)
    builder = cohort.Builder(course, assignment)
    builder.submit("honest", builder.notebook("honest"))
    builder.submit("blank", builder.notebook("blank"))
    for name, code in TRICKS.items():
        builder.submit(name, builder.insert_before_tests(builder.notebook("wrong"), code))
    builder.submit(
        "kernel-fails", builder.insert_before_tests(builder.notebook("honest"), KERNEL_FAILS)
    )
    builder.submit("tag-injector", _tag_injector(builder))
    done = cohort.run(
        cohort.grade_command(course, assignment, "--cell-timeout", "10"),
        course,
        jupyter_env,
        timeout=600,
    )
    feedback = cohort.run(
        [sys.executable, "-m", "autograder", "--course-dir", str(course)]
        + ["feedback", assignment],
        course,
        jupyter_env,
    )
    assert feedback.returncode == 0, feedback.stderr
    results = {
        p.stem: json.loads(p.read_text())
        for p in (course / "reports" / assignment / "results").glob("*.json")
    }
    return {
        "course": course,
        "assignment": assignment,
        "process": done,
        "results": results,
        "env": jupyter_env,
    }


STUDENTS = ["honest", "blank", *TRICKS, "kernel-fails", "tag-injector"]


def _feedback_rows(graded, student) -> dict[str, tuple[str, str, str]]:
    """grade_id -> (points text, verdict word, detail text) of the student's feedback page."""
    page = graded["course"] / "feedback" / student / graded["assignment"]
    text = (page / f"{graded['assignment']}.html").read_text()
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", text, re.S):
        cells = re.findall(r"<td>(.*?)</td>", row, re.S)
        if len(cells) == 5:
            words = [html.unescape(re.sub(r"<[^>]+>", " ", c)).strip() for c in cells]
            rows[words[0]] = (words[2], words[3], words[4])
    return rows


@pytest.mark.parametrize("student", list(TRICKS))
def test_a_score_the_kernel_displays_is_not_points(graded, student):
    result = graded["results"][student]
    assert result["status"] == "graded", result["error"]
    # What plain nbgrader would have given for the kernel's outputs:
    fooled = [c for c in result["cells"] if c["kernel_claim"] > 0]
    assert fooled, "the trick no longer makes the kernel show a score: the test lost its point"
    for cell in result["cells"]:
        assert cell["verified_passed"] is False, cell
        assert cell["points"] == 0, cell
        assert cell["flagged"] == (cell["kernel_claim"] != 0), cell
    assert result["score"] == 0
    assert f"FLAGGED {student}" in graded["process"].stderr


@pytest.mark.parametrize("student", STUDENTS)
def test_every_place_carries_the_same_capped_score(graded, student):
    course, assignment = graded["course"], graded["assignment"]
    result = graded["results"][student]
    assert result["status"] == "graded", result["error"]
    points = {c["grade_id"]: c["points"] for c in result["cells"]}
    for cell in result["cells"]:
        trusted = cell["max_points"] if cell["verified_passed"] else 0.0
        assert cell["points"] == min(cell["kernel_score"], trusted), cell
        disagree = cell["kernel_score"] != trusted or cell["kernel_claim"] != cell["kernel_score"]
        assert cell["flagged"] == disagree, cell
    # The gradebook.
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        submission = gb.find_submission(assignment, student)
        assert float(submission.score) == result["score"]
        for grade_id, value in points.items():
            grade = gb.find_grade(grade_id, assignment, assignment, student)
            assert float(grade.score) == value, grade_id
    # The autograded notebook: nbgrader's own scoring of each test cell gives the same points.
    nb = nbformat.read(course / "autograded" / student / assignment / f"{assignment}.ipynb", 4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in points:
            assert determine_grade(cell)[0] == points[grade_id], grade_id
    # grades.csv.
    with (course / "reports" / assignment / "grades.csv").open(newline="") as handle:
        row = next(r for r in csv.DictReader(handle) if r["student"] == student)
    assert float(row["score"]) == result["score"]
    for grade_id, value in points.items():
        assert float(row[grade_id]) == value, grade_id
    # The feedback page.
    rows = _feedback_rows(graded, student)
    for cell in result["cells"]:
        shown, verdict, _detail = rows[cell["grade_id"]]
        assert shown == f"{cell['points']:g} / {cell['max_points']:g}"
        if cell["points"] == 0:
            assert "passed" not in verdict, (cell["grade_id"], verdict)


def test_a_kernel_failure_scores_zero_and_says_what_happened(graded):
    result = graded["results"]["kernel-fails"]
    assert result["cells"]
    rows = _feedback_rows(graded, "kernel-fails")
    for cell in result["cells"]:
        assert cell["verified_passed"] is True and cell["kernel_passed"] is False, cell
        assert cell["points"] == 0 and cell["flagged"], cell
        _shown, verdict, detail = rows[cell["grade_id"]]
        assert "passed" not in verdict
        assert "passed the checks in our separate run but failed when the notebook ran" in detail
        # The kernel's own words (student-controlled) are not repeated.
        assert "on purpose" not in detail


def test_a_partial_score_a_hair_below_the_maximum_is_flagged(graded):
    cells = graded["results"]["partial-transformer"]["cells"]
    assert any(0 < c["kernel_claim"] < c["max_points"] for c in cells)
    assert all(c["flagged"] for c in cells if c["kernel_score"] > 0)


def test_tags_come_from_the_trusted_test_not_from_a_message(graded):
    result = graded["results"]["tag-injector"]
    cell = next(c for c in result["cells"] if c["grade_id"] == "test_secant_slope")
    assert cell["points"] == 0
    assert FAKE_TAG not in json.dumps(result["cells"])
    assert "forward-difference" not in cell["tags"]  # the student's text, not the test's
    for cell in result["cells"]:
        assert set(cell["tags"]) <= set(TABLE)
    page = (
        graded["course"] / "feedback" / "tag-injector" / graded["assignment"]
    ) / f"{graded['assignment']}.html"
    hints = re.findall(r"<p class='hint'>(.*?)</p>", page.read_text())
    assert not any("invented" in h or "forward difference" in h.lower() for h in hints), hints


def test_honest_work_keeps_full_marks_everywhere(graded):
    result = graded["results"]["honest"]
    assert all(c["points"] == c["max_points"] and not c["flagged"] for c in result["cells"])
    rows = _feedback_rows(graded, "honest")
    assert all(rows[c["grade_id"]][1] == "passed" for c in result["cells"])


def test_a_function_not_written_yet_is_said_so_everywhere(graded):
    """The release stub is "not written yet" in feedback, selfcheck and the report: no tags."""
    from autograder.grading.selfcheck import format_result
    from autograder.reports.analysis import analyse, load_results
    from autograder.reports.feedback import hidden_test_lines

    course, assignment = graded["course"], graded["assignment"]
    result = graded["results"]["blank"]
    assert all(c["outcome"] == "not-written" and c["tags"] == [] for c in result["cells"])
    rows = _feedback_rows(graded, "blank")
    assert all(rows[c["grade_id"]][1] == "not written yet" for c in result["cells"])
    page = (course / "feedback" / "blank" / assignment / f"{assignment}.html").read_text()
    assert "Likely misconception" not in page and "NotImplementedError: ." not in page
    hidden = hidden_test_lines(course / "source" / assignment / f"{assignment}.ipynb")
    text = format_result(result, hidden)
    assert "[TODO] secant_slope" in text and "hint:" not in text
    # The written answer left as the stub scored 0 without a person: said as such.
    assert "no answer was written" in text and "graded by hand: graded" not in text
    analysis = analyse(
        [r for r in load_results(course, assignment) if r["student"] == "blank"], assignment
    )
    assert analysis.tags == []
    assert all(dict(c.messages) == {"not written yet": 1} for c in analysis.cells)


def test_selfcheck_totals_name_the_points_it_cannot_score(graded):
    from autograder.grading.selfcheck import format_result

    text = format_result(graded["results"]["honest"], set())
    assert "self-check cannot score the 2 point(s) of explain_roundoff" in text
    assert "awaiting grading by your instructor" in text


def test_feedback_reads_hand_grades_from_the_gradebook(graded):
    """Graded by hand after autograding: the feedback says the score, not "awaiting grading"."""
    course, assignment = graded["course"], graded["assignment"]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        grade = gb.find_grade("explain_roundoff", assignment, assignment, "honest")
        assert grade.needs_manual_grade
        grade.manual_score = 1.5
        grade.needs_manual_grade = False
        gb.db.commit()
    done = cohort.run(
        [sys.executable, "-m", "autograder", "--course-dir", str(course)]
        + ["feedback", assignment, "--student", "honest"],
        course,
        graded["env"],
    )
    assert done.returncode == 0, done.stderr
    page = (course / "feedback" / "honest" / assignment / f"{assignment}.html").read_text()
    assert "explain_roundoff (2 points): 1.5 points" in page
    assert "awaiting grading" not in page
