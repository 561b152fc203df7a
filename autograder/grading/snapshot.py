"""A read-only copy of an assignment's trusted cells, made once per run, that workers grade from.

nbgrader's ``OverwriteCells`` and ``OverwriteKernelspec`` look the instructor's cells up in the
gradebook for every notebook they see (about thirty queries a submission). The coordinator reads
them once (:meth:`GradebookSnapshot.read`) and hands the copy to every worker: the local pool's
forked workers and the Dask workers on other machines alike; a worker then never opens the
gradebook, and the coordinator stays its only user. The copy holds the source, grade, solution
and task cells of one assignment's notebooks, nothing about any student.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

from nbformat import NotebookNode
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import OverwriteKernelspec

from autograder.grading.chain import Chain


@dataclass(frozen=True)
class SourceCellCopy:
    name: str
    cell_type: str
    locked: bool
    source: str
    checksum: str | None


@dataclass(frozen=True)
class GradedCellCopy:
    name: str
    max_score: float
    cell_type: str | None = None


@dataclass(frozen=True)
class NotebookCopy:
    source_cells: list[SourceCellCopy] = field(default_factory=list)
    grade_cells: list[GradedCellCopy] = field(default_factory=list)
    solution_cells: list[GradedCellCopy] = field(default_factory=list)
    task_cells: list[GradedCellCopy] = field(default_factory=list)
    kernelspec: str | None = None


class _NoSession:
    def remove(self) -> None:
        pass


class GradebookSnapshot:
    """Answers the look-ups of nbgrader's ``OverwriteCells`` from a copy made by the coordinator.

    It holds the source, grade, solution and task cells of one assignment's notebooks: the
    instructor's trusted cells, nothing about any student.
    """

    def __init__(self, assignment: str, notebooks: dict[str, NotebookCopy]) -> None:
        self.assignment = assignment
        self.notebooks = notebooks
        self.db = _NoSession()

    @classmethod
    def read(cls, gb: Gradebook, assignment: str, names: list[str]) -> GradebookSnapshot:
        notebooks = {}
        for name in names:
            try:
                nb = gb.find_notebook(name, assignment)
            except MissingEntry:  # looked up later, it fails as the gradebook's look-up would
                continue
            notebooks[name] = NotebookCopy(
                source_cells=[
                    SourceCellCopy(c.name, c.cell_type, bool(c.locked), c.source, c.checksum)
                    for c in nb.source_cells
                ],
                grade_cells=[
                    GradedCellCopy(c.name, float(c.max_score), c.cell_type) for c in nb.grade_cells
                ],
                solution_cells=[GradedCellCopy(c.name, 0.0) for c in nb.solution_cells],
                task_cells=[
                    GradedCellCopy(c.name, float(c.max_score), c.cell_type) for c in nb.task_cells
                ],
                kernelspec=nb.kernelspec,
            )
        gb.db.remove()
        return cls(assignment, notebooks)

    def _notebook(self, notebook: str, assignment: str) -> NotebookCopy:
        if assignment != self.assignment or notebook not in self.notebooks:
            raise MissingEntry(f"No such notebook: {assignment}/{notebook}")
        return self.notebooks[notebook]

    def find_notebook(self, notebook: str, assignment: str) -> NotebookCopy:
        return self._notebook(notebook, assignment)

    def find_source_cell(self, name: str, notebook: str, assignment: str) -> SourceCellCopy:
        for cell in self._notebook(notebook, assignment).source_cells:
            if cell.name == name:
                return cell
        raise MissingEntry(f"No such source cell: {assignment}/{notebook}/{name}")

    def find_graded_cell(self, name: str, notebook: str, assignment: str) -> GradedCellCopy:
        copy = self._notebook(notebook, assignment)
        for cell in [*copy.grade_cells, *copy.task_cells]:
            if cell.name == name:
                return cell
        raise MissingEntry(f"No such grade cell: {assignment}/{notebook}/{name}")


class SnapshotOverwriteKernelspec(OverwriteKernelspec):
    """nbgrader's ``OverwriteKernelspec`` (the source notebook's kernelspec wins) on the snapshot.

    The stock step opens a gradebook of its own for every notebook (an engine and a schema check
    each time), and a worker on another machine cannot reach one at all.
    """

    def preprocess(self, nb: NotebookNode, resources: dict):
        info = resources["nbgrader"]
        from autograder.grading.worker import _worker

        snapshot = _worker["gradebook"]
        kernelspec = snapshot.find_notebook(info["notebook"], info["assignment"]).kernelspec
        if kernelspec:
            nb.metadata["kernelspec"] = json.loads(kernelspec)
        return nb, resources


def without_gradebook(chain: Chain) -> Chain:
    """The course's chain with every step that would open the gradebook reading the snapshot."""

    def swap(steps: tuple[type, ...]) -> tuple[type, ...]:
        return tuple(SnapshotOverwriteKernelspec if s is OverwriteKernelspec else s for s in steps)

    return replace(
        chain,
        sanitize=swap(chain.sanitize),
        before_execute=swap(chain.before_execute),
        after_execute=swap(chain.after_execute),
    )
