"""The run's copy of the trusted cells (autograder.grading.snapshot) restores what the gradebook does.

Workers no longer read the gradebook: nbgrader's ``OverwriteCells`` and ``OverwriteKernelspec``
look the instructor's cells up in a copy the coordinator read once. A submission that tampers
with its trusted cells must come out of the copy's steps exactly as out of stock nbgrader's
steps reading the real gradebook.
"""

from __future__ import annotations

import copy

import calcml_grade_cohort as cohort  # loaded by conftest.py
import nbformat
import pytest
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import OverwriteCells, OverwriteKernelspec

from autograder.grading import worker
from autograder.grading.gradebook import SharedOverwriteCells
from autograder.grading.snapshot import GradebookSnapshot, SnapshotOverwriteKernelspec

ASSIGNMENT = cohort.default_assignment()


@pytest.fixture(scope="module")
def course(tmp_path_factory, jupyter_env):
    return cohort.make_course(tmp_path_factory.mktemp("snapshot"), ASSIGNMENT, jupyter_env)


def _grade_cells(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


def _tampered(released):
    """A released notebook whose trusted cells a student changed every way nbgrader checks."""
    nb = copy.deepcopy(released)
    tests = [c for c in _grade_cells(nb) if c.metadata["nbgrader"].get("locked")]
    assert len(tests) >= 3, "the assignment needs three locked test cells for this check"
    tests[0].source = "assert True  # the student's own 'test'"
    tests[1].metadata["nbgrader"]["points"] = 1000
    tests[2].metadata["nbgrader"]["locked"] = False
    tests[2].cell_type = "markdown"
    del tests[2]["outputs"], tests[2]["execution_count"]
    nb.cells.remove(tests[-1])  # deleted: OverwriteCells puts it back
    nb.cells.insert(
        0,
        nbformat.v4.new_code_cell(
            "x = 1",
            metadata={
                "nbgrader": {
                    "grade_id": "nope",
                    "grade": False,
                    "solution": False,
                    "locked": True,
                    "schema_version": 3,
                }
            },
        ),
    )
    nb.metadata["kernelspec"] = {"name": "evil", "display_name": "Evil", "language": "python"}
    return nb


def _resources(course, name):
    return {
        "nbgrader": {
            "notebook": name,
            "assignment": ASSIGNMENT,
            "student": "someone",
            "db_url": f"sqlite:///{course / 'gradebook.db'}",
        }
    }


def test_a_tampered_notebook_comes_out_as_stock_nbgrader_makes_it(course, monkeypatch):
    released_dir = course / "release" / ASSIGNMENT
    names = sorted(p.stem for p in released_dir.glob("*.ipynb"))
    gb = Gradebook(f"sqlite:///{course / 'gradebook.db'}")
    try:
        snapshot = GradebookSnapshot.read(gb, ASSIGNMENT, [*names, "not_in_the_gradebook"])
    finally:
        gb.close()
    monkeypatch.setitem(worker._worker, "gradebook", snapshot)
    for name in names:
        nb = _tampered(nbformat.read(released_dir / f"{name}.ipynb", as_version=4))
        stock, ours = copy.deepcopy(nb), copy.deepcopy(nb)
        resources = _resources(course, name)
        for step in (OverwriteCells(), OverwriteKernelspec()):
            stock, _ = step(stock, copy.deepcopy(resources))
        shared = SharedOverwriteCells()
        shared.shared = snapshot
        ours, _ = shared(ours, copy.deepcopy(resources))
        ours, _ = SnapshotOverwriteKernelspec()(ours, copy.deepcopy(resources))
        assert ours == stock
        assert ours != nb  # the tampering was undone, not left alone by both
        assert ours.metadata["kernelspec"]["name"] != "evil"
    with pytest.raises(MissingEntry):
        snapshot.find_notebook("not_in_the_gradebook", ASSIGNMENT)
    with pytest.raises(MissingEntry):
        snapshot.find_source_cell("nope", names[0], ASSIGNMENT)
