"""Hostile and runaway submissions earn nothing they did not earn honestly, and leave nothing behind.

Every hostile submission has wrong answers plus one trick that turns wrong answers into points in
a plain nbgrader run (or tries to reach the course files). Runaway submissions have right answers
plus a cell that prints 40 MB, starts daemons, or sleeps forever.
"""

from __future__ import annotations

import time

import calcml_grade_cohort as cohort  # loaded by conftest.py
import pytest
from nbgrader.api import Gradebook

pytestmark = pytest.mark.nbgrader

HOSTILE = [f"trick-{name}" for name in cohort.TRICKS] + [
    "trick-liar",
    "trick-escape",
    "trick-symlink",
    "trick-srepr",
]


@pytest.fixture(scope="module")
def graded(tmp_path_factory, jupyter_env):
    return cohort.graded_cohort(tmp_path_factory.mktemp("grade-cohort"), jupyter_env)


@pytest.mark.parametrize("student", HOSTILE)
def test_tricks_earn_no_points(graded, student):
    result = graded["results"][student]
    assert result["status"] == "graded", result["error"]
    assert result["cells"]
    for cell in result["cells"]:
        assert cell["points"] == 0, (student, cell)
        assert cell["verified_passed"] is False, (student, cell)
    assert result["score"] == 0


@pytest.mark.parametrize("student", ["trick-traceback", "trick-input-transformer"])
def test_tricks_that_fool_the_kernel_are_flagged(graded, student):
    """These tricks make the student's own kernel report success: the disagreement is flagged."""
    result = graded["results"][student]
    fooled = [c for c in result["cells"] if c["kernel_passed"]]
    assert fooled, "the trick no longer fools the kernel: the test lost its point"
    assert all(c["flagged"] for c in fooled)
    assert result["flagged"] is True
    assert f"FLAGGED {student}" in graded["process"].stderr


def test_code_sent_as_sympy_text_never_runs(graded):
    assert not (graded["course"] / cohort.SREPR_MARK).exists()
    fooled = [c for c in graded["results"]["trick-srepr"]["cells"] if c["kernel_passed"]]
    assert fooled and all(c["flagged"] for c in fooled)


def test_course_files_are_out_of_reach(graded):
    course = graded["course"]
    assert cohort.tree_checksums(course / "source") == graded["source_before"]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        assert float(gb.find_submission(graded["assignment"], "honest").score) > 0


def test_symlinks_in_a_submission_are_not_followed(graded):
    folder = graded["course"] / "autograded" / "trick-symlink" / graded["assignment"]
    assert folder.is_dir()
    assert not (folder / "leak.txt").exists()


def test_kernel_that_exits_is_reported_and_scores_what_ran(graded):
    result = graded["results"]["runaway-exit"]
    assert result["status"] == "kernel-died"
    assert result["error"].startswith("runaway-exit:") and "\n" not in result["error"]
    # The exit comes before every test cell: none of them ran, none earns points.
    assert result["cells"] and all(c["points"] == 0 for c in result["cells"])
    assert all(not c["kernel_passed"] for c in result["cells"])


def test_forty_megabytes_of_output_are_capped(graded):
    result = graded["results"]["runaway-print"]
    assert result["status"] == "graded"
    assert result["score"] == graded["results"]["honest"]["score"]
    notebook = graded["course"] / "autograded" / "runaway-print" / graded["assignment"]
    size = (notebook / f"{graded['assignment']}.ipynb").stat().st_size
    assert size < 2_000_000, f"graded notebook is {size} bytes"
    assert "output truncated" in (notebook / f"{graded['assignment']}.ipynb").read_text()


def test_daemons_die_with_the_grading(graded):
    assert graded["results"]["runaway-daemon"]["score"] == graded["results"]["honest"]["score"]
    deadline = time.monotonic() + 10
    while True:
        survivors = cohort.processes_with(cohort.DAEMON_MARKER) + cohort.processes_with(
            cohort.GRANDCHILD_MARKER
        )
        if not survivors or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert survivors == []


def _autograded_text(graded, student):
    folder = graded["course"] / "autograded" / student / graded["assignment"]
    return (folder / f"{graded['assignment']}.ipynb").read_text()


def test_memory_limit_stops_a_huge_allocation(graded):
    result = graded["results"]["runaway-memory"]
    assert result["status"] == "graded"
    assert result["score"] == graded["results"]["honest"]["score"]
    assert "memory limit reached" in _autograded_text(graded, "runaway-memory")


def test_process_limit_stops_a_spawning_cell_and_children_die(graded):
    result = graded["results"]["runaway-spawn"]
    assert result["status"] == "graded"
    assert result["score"] == graded["results"]["honest"]["score"]
    assert "process limit reached after" in _autograded_text(graded, "runaway-spawn")
    deadline = time.monotonic() + 10
    while cohort.processes_with(cohort.SPAWN_MARKER) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert cohort.processes_with(cohort.SPAWN_MARKER) == []


def test_sleeping_cell_is_interrupted_and_the_rest_graded(graded):
    result = graded["results"]["runaway-sleep"]
    assert result["status"] == "graded"
    assert result["score"] == graded["results"]["honest"]["score"]


def test_cell_that_ignores_interrupts_times_out(graded):
    result = graded["results"]["runaway-stubborn"]
    assert result["status"] == "timeout"
    assert result["error"].startswith("runaway-stubborn:")
    assert "\n" not in result["error"]
    assert sum(c["points"] for c in result["cells"]) == 0
    assert "error: runaway-stubborn:" in graded["process"].stderr


@pytest.mark.parametrize("student", ["runaway-disk", "runaway-hidden-disk"])
def test_filling_the_working_folder_stops_the_kernel(graded, student):
    result = graded["results"][student]
    assert result["status"] == "disk-limit"
    assert result["error"] == (
        f"{student}: {graded['assignment']}.ipynb wrote more than "
        f"{cohort.DISK_QUOTA_MIB} MiB into its working folder; the kernel was stopped"
    )
    text = _autograded_text(graded, student)
    assert "wrote 320 MiB" not in text and "kept 80 MiB" not in text  # stopped half-way
    assert sum(c["points"] for c in result["cells"]) == 0
    # The verification's student process filled its own folder too: no restart, no point.
    assert all(not c["verified_passed"] for c in result["cells"])
    assert f"error: {student}:" in graded["process"].stderr
