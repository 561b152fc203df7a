"""Judge a submission's test cells again, outside the student's kernel.

A plain nbgrader run trusts whatever the student's kernel reports, and a student's kernel can lie
(a replaced ``builtins.abs``, a patched ``numpy.allclose``, a custom exception handler, objects
whose ``__eq__`` always says yes...). :func:`verify_submission` runs the student's code cells in a
sandboxed process and the trusted source notebook's test cells, hidden tests included, in a
separate fresh process that holds no student code: there every contract function is a proxy
that sends its arguments to the student's process and receives plain data back
(:mod:`autograder.verify.wire` describes the protocol). The student's code can only lie with
numbers, and the test cells judge the numbers.

The trusted test process is forked, one per submission, from a warm fork server
(:mod:`autograder.verify.forkserver`, one per grading process, started on first use by
:mod:`autograder.verify.launch`) that has already
imported NumPy and the test runner; it only ever receives job file paths from here. When the
server cannot start, or with ``CALCML_VERIFY_FORKSERVER=0``, each test process is a fresh
``python -m autograder.verify.trusted`` instead; verdicts are the same either way.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from autograder import files
from autograder.sandbox import WORKDIR_QUOTA_FILES, Limits, workdir_quota_bytes
from autograder.verify.launch import _run_test_runner

TEST_PROCESS_MEMORY = 4 * 1024**3


@dataclass
class CellCheck:
    """The verdict on one autograder-test cell of the source notebook."""

    grade_id: str
    passed: bool
    message: str
    #: Set by the trusted test itself (the raised error's ``misconception``), never read from text.
    tags: list[str] = field(default_factory=list)
    #: The failure came from a NotImplementedError: the function is still the release stub.
    not_written: bool = False


def _nbgrader(cell) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def _is_test_cell(cell) -> bool:
    meta = _nbgrader(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def _is_answer_cell(cell) -> bool:
    meta = _nbgrader(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("solution")) and not meta.get("grade")


def _read(notebook, role: str):
    if isinstance(notebook, nbformat.NotebookNode):
        return notebook
    path = Path(notebook)
    try:
        return nbformat.read(path, as_version=4)
    except Exception as error:  # nbformat raises many types for broken files
        raise ValueError(f"{role} notebook {path}: cannot be read ({error})") from None


def contract_functions(source_nb) -> list[str]:
    """The grade_ids of the autograded-answer code cells of the source notebook, in order."""
    notebook = _read(source_nb, "source")
    names = []
    for cell in notebook.cells:
        grade_id = _nbgrader(cell).get("grade_id")
        if _is_answer_cell(cell) and isinstance(grade_id, str) and grade_id not in names:
            names.append(grade_id)
    return names


def _copy_files(folder: Path, workdir: Path) -> None:
    """The files beside the notebook, by the kernel's copy rule, within the sandbox's quota."""
    quota = files.Budget(workdir_quota_bytes(), WORKDIR_QUOTA_FILES)
    try:
        files.copy_folder(folder, workdir, quota)
    except files.FileProblem as problem:
        # A folder the grader did not check (a direct call): the student's process gets nothing.
        sys.stderr.write(f"autograder.verify: files of {folder} not copied: {problem}\n")


def build_job(student, source, *, cell_timeout: float, limits: Limits) -> dict:
    """What the test runner needs: the student's code cells, the source's setup and test cells."""
    test_ids = {_nbgrader(cell).get("grade_id") for cell in source.cells if _is_test_cell(cell)}
    student_cells = []
    # For each test: how many of the student's cells come before it in the student's notebook.
    # The test runs against the notebook as it stood there, as in the kernel (nbgrader runs the
    # cells in order), not against definitions made further down.
    before_test: dict[str, int] = {}
    for cell in student.cells:
        if cell.get("cell_type") != "code":
            continue
        grade_id = _nbgrader(cell).get("grade_id")
        if _is_test_cell(cell) or grade_id in test_ids:
            before_test.setdefault(grade_id, len(student_cells))
        else:
            student_cells.append(cell.source)
    cells = []
    for cell in source.cells:
        if cell.get("cell_type") != "code" or _is_answer_cell(cell):
            continue
        if _is_test_cell(cell):
            grade_id = _nbgrader(cell)["grade_id"]
            until = before_test.get(grade_id, len(student_cells))
            cells.append(
                {"kind": "test", "grade_id": grade_id, "source": cell.source, "until": until}
            )
        else:
            cells.append({"kind": "setup", "grade_id": None, "source": cell.source, "until": None})
    # A set-up cell needs what the next test needs; the student's process only ever moves on.
    following = len(student_cells)
    for entry in reversed(cells):
        if entry["until"] is None:
            entry["until"] = following
        following = entry["until"]
    reached = 0
    for entry in cells:
        reached = entry["until"] = max(reached, entry["until"])
    return {
        "functions": contract_functions(source),
        "student_cells": student_cells,
        "cells": cells,
        "cell_timeout": float(cell_timeout),
        "limits": asdict(limits),
    }


def verify_submission(
    student_nb,
    source_nb,
    *,
    timeout: float = 120.0,
    limits: Limits | None = None,
    cell_timeout: float = 30.0,
    isolation: str | None = None,
    files_from: str | os.PathLike | None = None,
    room: dict | None = None,
) -> dict[str, CellCheck]:
    """Re-run every test cell of ``source_nb`` against the code of ``student_nb``.

    Returns one :class:`CellCheck` per autograder-test cell of the trusted source notebook.
    ``timeout`` bounds the whole verification; ``cell_timeout`` each student cell, each test cell
    and each call into the student's code. Cells left unjudged when time runs out fail.
    ``files_from``: the folder whose files (notebooks aside) the student's process gets, by the
    same rule as the kernel's folder (:func:`autograder.files.copy_folder`); the grader passes
    ``autograded/<student>/<assignment>/``. By default, the folder of ``student_nb``.
    ``room``: a kernel sandbox's student side to use first
    (:meth:`autograder.grading.kernel.SandboxedKernel.verification_room`); a restart, or a room
    that does not answer, gets a sandbox of its own as without it.
    """
    limits = limits if limits is not None else Limits()
    source = _read(source_nb, "source")
    student = _read(student_nb, "student")
    test_ids = [_nbgrader(c)["grade_id"] for c in source.cells if _is_test_cell(c)]
    job = build_job(student, source, cell_timeout=min(cell_timeout, timeout), limits=limits)
    if isolation is not None:
        job["isolation"] = isolation
    scratch_path = Path(tempfile.mkdtemp(prefix="calcml-verify-"))
    try:
        # The student sees only `workdir`; the job (with the hidden tests) stays outside it.
        workdir = scratch_path / "student"
        private = scratch_path / "trusted"
        workdir.mkdir()
        private.mkdir(mode=0o700)
        if room is not None:
            # Nothing of the student's has run in that sandbox yet: its folder is safe to fill.
            workdir = Path(room["workdir"])
            job["attach"] = {k: room[k] for k in ("socket", "pid", "command")}
        if files_from is None and not isinstance(student_nb, nbformat.NotebookNode):
            files_from = Path(student_nb).resolve().parent
        if files_from is not None:
            _copy_files(Path(files_from), workdir)
        job["workdir"] = str(workdir)
        job_path = private / "job.json"
        results_path = private / "results.json"
        job_path.write_text(json.dumps(job))
        memory = max(TEST_PROCESS_MEMORY, 2 * (limits.memory_bytes or 0))
        outcome = _run_test_runner(job_path, results_path, timeout, memory)
        results: dict = {}
        report: dict = {}
        if results_path.exists():
            try:
                report = json.loads(results_path.read_text())
                results = report.get("cells", {})
            except ValueError:
                results = {}
            if os.environ.get("CALCML_VERIFY_DEBUG"):  # timings and the student's cell errors
                sys.stderr.write(f"autograder.verify: {json.dumps(report)}\n")
    finally:
        files.remove_tree(scratch_path)  # however deep the student's process made it
    checks: dict[str, CellCheck] = {}
    for grade_id in test_ids:
        entry = results.get(grade_id)
        if isinstance(entry, dict):
            passed = entry.get("passed") is True
            tag = entry.get("tag")
            checks[grade_id] = CellCheck(
                grade_id,
                passed,
                str(entry.get("message", "")),
                [tag] if isinstance(tag, str) and not passed else [],
                not passed and entry.get("not_written") is True,
            )
        else:
            message = f"RuntimeError: verification did not reach this cell ({outcome})"
            checks[grade_id] = CellCheck(grade_id, False, message)
    return checks
