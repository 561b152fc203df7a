"""A submission's grades reach the gradebook in one transaction (autograder.grading.gradebook.one_commit).

nbgrader's own writers commit once per graded cell; the grader saves a whole submission with one
commit, so its rows land together or not at all and the run's lock is held for one synced write.
"""

from __future__ import annotations

import calcml_grade_cohort as cohort  # loaded by conftest.py
import pytest
from nbgrader.api import Gradebook, MissingEntry
from sqlalchemy import event

from autograder.grading.gradebook import one_commit

# Appended to a scratch course's nbgrader_config.py (which the grader's main process executes):
# counts the database commits the main process makes and writes the count when it exits.
COUNT_COMMITS = """

import atexit as _atexit
import os as _os

from sqlalchemy import event as _event
from sqlalchemy.engine import Engine as _Engine

_main_pid = _os.getpid()
_commits = []


@_event.listens_for(_Engine, "commit")
def _count_commit(connection):
    if _os.getpid() == _main_pid:
        _commits.append(1)


def _write_count():
    if _os.getpid() == _main_pid:
        with open("commit-count.txt", "w") as handle:
            handle.write(str(len(_commits)))


_atexit.register(_write_count)
"""


def test_a_block_commits_once_and_a_failed_block_leaves_nothing(tmp_path, venv_on_path):
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    gb = Gradebook(url)
    commits = []
    event.listen(gb.db.get_bind(), "commit", lambda connection: commits.append(1))
    with one_commit(gb):
        gb.add_student("ada")
        gb.db.commit()  # nbgrader's writers do this after each row
        gb.add_student("bob")
        assert {s.id for s in gb.students} == {"ada", "bob"}  # the block sees its own rows
    assert len(commits) == 1

    with pytest.raises(RuntimeError):
        with one_commit(gb):
            gb.add_student("cy")
            gb.db.commit()
            raise RuntimeError("the save failed half way")
    gb.db.rollback()  # what the grader's retry does after a failed write
    assert len(commits) == 1
    other = Gradebook(url)
    assert {s.id for s in other.students} == {"ada", "bob"}
    with pytest.raises(MissingEntry):
        other.find_student("cy")
    other.close()
    # The session's own commit is back after the block.
    gb.add_student("dee")
    gb.db.commit()
    assert len(commits) == 2
    gb.close()


@pytest.mark.nbgrader
def test_a_grading_run_commits_about_twice_per_submission(tmp_path, jupyter_env):
    course = cohort.make_course(tmp_path, "mini_derivatives", jupyter_env)
    with (course / "nbgrader_config.py").open("a") as config:
        config.write(COUNT_COMMITS)
    builder = cohort.Builder(course, "mini_derivatives")
    students = ["honest1", "honest2", "wrong1", "wrong2"]
    for student in students:
        builder.submit(student, builder.notebook("honest" if "honest" in student else "wrong"))
    done = cohort.run(cohort.grade_command(course, "mini_derivatives"), course, jupyter_env)
    assert done.returncode == 0, done.stderr[-3000:]
    commits = int((course / "commit-count.txt").read_text())
    # One to register each submission, one to save it, a few for the run; nbgrader's writers
    # alone would commit once per graded cell of every submission.
    tests = [
        cell.metadata["nbgrader"]
        for cell in builder.release.cells
        if cell.metadata.get("nbgrader", {}).get("grade")
        and not cell.metadata["nbgrader"].get("solution")
    ]
    assert len(tests) >= 2
    assert commits <= 2 * len(students) + 4, commits
    gb = Gradebook(f"sqlite:///{course / 'gradebook.db'}")
    try:
        scores = {s: gb.find_submission("mini_derivatives", s).score for s in students}
    finally:
        gb.close()
    # Every test's points saved (the written answer waits for a person).
    assert scores["honest1"] == scores["honest2"] == sum(float(t["points"]) for t in tests)
    assert scores["wrong1"] == scores["wrong2"] < scores["honest1"]
