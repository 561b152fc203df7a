"""Judge a submission's test cells again, outside the student's kernel.

A plain nbgrader run trusts whatever the student's kernel reports, and a student's kernel can lie
(a replaced ``builtins.abs``, a patched ``numpy.allclose``, a custom exception handler, objects
whose ``__eq__`` always says yes...). :func:`verify_submission` runs the student's code cells in a
sandboxed process and the trusted source notebook's test cells, hidden tests included, in a
separate fresh process that holds no student code: there every contract function is a proxy
that sends its arguments to the student's process and receives plain data back
(:mod:`autograder._student_runner` describes the protocol). The student's code can only lie with
numbers, and the test cells judge the numbers.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from autograder.sandbox import Limits

TAG_PATTERN = re.compile(r"\[tag: ([a-z0-9][a-z0-9-]*)\]")
MAX_COPY_BYTES = 50 * 1024 * 1024
TEST_PROCESS_MEMORY = 4 * 1024**3


@dataclass
class CellCheck:
    """The verdict on one autograder-test cell of the source notebook."""

    grade_id: str
    passed: bool
    message: str
    tags: list[str] = field(default_factory=list)


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


def _tags(message: str) -> list[str]:
    return TAG_PATTERN.findall(message)


def _copy_submission_files(student_nb: Path, workdir: Path) -> None:
    """Copy the files beside the student's notebook (data the code may read), within a budget."""
    folder = student_nb.parent
    budget = MAX_COPY_BYTES
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path == student_nb or ".ipynb_checkpoints" in relative.parts or path.is_symlink():
            continue
        if path.suffix == ".ipynb" or not path.is_file():
            continue
        size = path.stat().st_size
        if size > budget:
            continue
        budget -= size
        target = workdir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


def build_job(student, source, *, cell_timeout: float, limits: Limits) -> dict:
    """What the test runner needs: the student's code cells, the source's setup and test cells."""
    test_ids = {_nbgrader(cell).get("grade_id") for cell in source.cells if _is_test_cell(cell)}
    student_cells = [
        cell.source
        for cell in student.cells
        if cell.get("cell_type") == "code"
        and not _is_test_cell(cell)
        and _nbgrader(cell).get("grade_id") not in test_ids
    ]
    cells = []
    for cell in source.cells:
        if cell.get("cell_type") != "code" or _is_answer_cell(cell):
            continue
        if _is_test_cell(cell):
            cells.append(
                {"kind": "test", "grade_id": _nbgrader(cell)["grade_id"], "source": cell.source}
            )
        else:
            cells.append({"kind": "setup", "grade_id": None, "source": cell.source})
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
) -> dict[str, CellCheck]:
    """Re-run every test cell of ``source_nb`` against the code of ``student_nb``.

    Returns one :class:`CellCheck` per autograder-test cell of the trusted source notebook.
    ``timeout`` bounds the whole verification; ``cell_timeout`` each student cell, each test cell
    and each call into the student's code. Cells left unjudged when time runs out fail.
    """
    limits = limits if limits is not None else Limits()
    source = _read(source_nb, "source")
    student = _read(student_nb, "student")
    test_ids = [_nbgrader(c)["grade_id"] for c in source.cells if _is_test_cell(c)]
    job = build_job(student, source, cell_timeout=min(cell_timeout, timeout), limits=limits)
    if isolation is not None:
        job["isolation"] = isolation
    with tempfile.TemporaryDirectory(prefix="calcml-verify-") as scratch:
        scratch_path = Path(scratch)
        # The student sees only `workdir`; the job (with the hidden tests) stays outside it.
        workdir = scratch_path / "student"
        private = scratch_path / "trusted"
        workdir.mkdir()
        private.mkdir(mode=0o700)
        if not isinstance(student_nb, nbformat.NotebookNode):
            _copy_submission_files(Path(student_nb).resolve(), workdir)
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
    checks: dict[str, CellCheck] = {}
    for grade_id in test_ids:
        entry = results.get(grade_id)
        if isinstance(entry, dict):
            message = str(entry.get("message", ""))
            checks[grade_id] = CellCheck(
                grade_id, bool(entry.get("passed")), message, _tags(message)
            )
        else:
            message = f"RuntimeError: verification did not reach this cell ({outcome})"
            checks[grade_id] = CellCheck(grade_id, False, message, _tags(message))
    return checks


def _run_test_runner(job_path: Path, results_path: Path, timeout: float, memory: int) -> str:
    """Run the trusted test process; return a one-line account of how it ended."""

    def limit_memory() -> None:
        # The test process rebuilds whatever data the student sends (a sympy power can be
        # enormous): cap it so that a hostile payload fails the cell, not the grader's machine.
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard == resource.RLIM_INFINITY or memory < hard:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    started = time.monotonic()
    with open(job_path.parent / "runner.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "autograder._test_runner", str(job_path), str(results_path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
            cwd=job_path.parent,
            start_new_session=True,
            preexec_fn=limit_memory,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        finally:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except OSError:
                pass
            process.wait()
    elapsed = time.monotonic() - started
    if elapsed >= timeout:
        return f"the verification ran out of its {timeout:g} s"
    if process.returncode != 0:
        tail = (job_path.parent / "runner.log").read_text(errors="replace").strip().splitlines()
        return f"the test process failed: {tail[-1] if tail else process.returncode}"
    return "the test process ended early"
