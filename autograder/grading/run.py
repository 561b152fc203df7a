"""``python -m autograder grade``: parallel, sandboxed, fault-tolerant autograding.

How one run works:

1. The main process reads the course config, finds ``submitted/*/<assignment>/`` and checks every
   submission (broken or missing notebooks get an error status and a one-line message).
2. It registers the submissions in the gradebook and prepares ``autograded/<student>/<assignment>/``
   the way ``nbgrader autograde`` does (submitted files, then the source's extra files on top).
3. Long-lived worker processes (default: one per core) each grade many submissions. A worker
   sanitizes the notebook with nbgrader's preprocessors (``OverwriteCells`` restores the trusted
   test cells from the gradebook), executes it in a sandboxed kernel (see :mod:`autograder.kernel`;
   the next kernel is already booting while the previous submission is being finished), caps
   its output, and runs the independent verification (:mod:`autograder.verify`). The graded
   notebook is made inert (:mod:`autograder.untrusted`), and each test cell earns
   min(kernel score, trusted score) with every disagreement flagged (:mod:`autograder.verdict`).
4. The main process is the only gradebook writer: it saves the scores with nbgrader's
   ``SaveAutoGrades`` and ``AssignLatePenalties``, marks flagged cells ``needs_manual_grade``, writes
   the graded notebook and the per-student JSON, then ``grades.csv`` and a summary table.

A second run skips submissions whose result is on file and whose files did not change
(``--force`` regrades); an interrupted run therefore resumes where it stopped.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import stat
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader import utils as nbgrader_utils
from nbgrader.api import Gradebook
from nbgrader.preprocessors import Execute
from traitlets import Integer

from autograder import results as res
from autograder.chain import Chain, course_chain
from autograder.files import Budget, Plan, copy_folder, copy_into
from autograder.gradebook import (
    Course,
    CourseError,
    SharedOverwriteCells,
    assignment_notebooks,
    load_course,
    register_submission,
    save_grades,
    submission_score,
    zero_missing_notebooks,
)
from autograder.sandbox import WORKDIR_QUOTA_FILES, DiskWatch, tree_usage, workdir_quota_bytes
from autograder.submissions import MISSING, Submission, copy_rules, find_submissions, shown_name
from autograder.untrusted import sanitize_notebook, terminal_safe
from autograder.verdict import NOT_EXECUTED, judge_notebook

DEFAULT_NOTEBOOK_TIMEOUT = 300.0
VERIFY_TIMEOUT = 120.0


@dataclass
class GradeOptions:
    """Settings of one grading run (the same in every worker)."""

    cell_timeout: int | None = None  # None: Execute.timeout from nbgrader_config.py
    notebook_timeout: float = DEFAULT_NOTEBOOK_TIMEOUT
    verify: bool = True
    prestart: bool = True


@dataclass
class Task:
    student: str
    assignment: str
    notebooks: dict[str, str]  # name -> submitted path
    sources: dict[str, str]  # name -> source (instructor) notebook path
    dest: str  # autograded/<student>/<assignment>
    digest: str
    prestart_next: bool = True  # more work will follow: boot the next kernel ahead of time


@dataclass
class NotebookOutcome:
    name: str
    notebook_json: str
    cells: list[dict] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)
    manual: list[dict] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Execution with capped output


class CappedExecute(Execute):
    """nbgrader's ``Execute`` that drops output beyond a per-cell and per-notebook byte budget.

    The cap is applied as messages arrive, so a submission printing 40 MB never builds a 40 MB
    notebook in memory or on disk.
    """

    max_cell_output_bytes = Integer(100_000).tag(config=True)
    max_notebook_output_bytes = Integer(1_000_000).tag(config=True)

    def reset_execution_trackers(self) -> None:
        super().reset_execution_trackers()
        self._cell_bytes: dict[int, int] = {}
        self._notebook_bytes = 0
        self._truncated: set[int] = set()

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        size = _content_size(msg["msg_type"], content)
        used = self._cell_bytes.get(cell_index, 0)
        room = min(
            self.max_cell_output_bytes - used,
            self.max_notebook_output_bytes - self._notebook_bytes,
        )
        if size <= room:
            self._cell_bytes[cell_index] = used + size
            self._notebook_bytes += size
            return super().output(outs, msg, display_id, cell_index)
        if msg["msg_type"] == "stream" and room > 0:
            content["text"] = content.get("text", "")[:room]
            self._cell_bytes[cell_index] = used + room
            self._notebook_bytes += room
            super().output(outs, msg, display_id, cell_index)
        if cell_index not in self._truncated:
            self._truncated.add(cell_index)
            # stdout, not stderr: stderr would make nbgrader count the cell as failed.
            outs.append(
                nbformat.v4.new_output(
                    "stream",
                    name="stdout",
                    text="\n... output truncated by the grader (too much output) ...\n",
                )
            )
        return None


def _content_size(msg_type: str, content: dict) -> int:
    if msg_type == "stream":
        return len(content.get("text", ""))
    if msg_type in ("display_data", "execute_result", "update_display_data"):
        return sum(len(str(v)) for v in content.get("data", {}).values())
    if msg_type == "error":
        return sum(len(line) for line in content.get("traceback", [])) + len(
            str(content.get("evalue", ""))
        )
    return 0


# --------------------------------------------------------------------------------------------
# Independent verification (autograder.verify, engineer verify)


def independent_checks(
    student_nb: str, source_nb: str, timeout: float, cell_timeout: float, files_from: str
) -> dict | None:
    """Re-run the trusted tests outside the student's kernel.

    Returns ``{grade_id: CellCheck}``, or ``None`` when ``autograder.verify`` is not available
    (then verdicts rest on the kernel run alone and the run says so loudly).
    """
    try:
        from autograder.verify import verify_submission
    except ImportError:
        return None
    return verify_submission(
        student_nb, source_nb, timeout=timeout, cell_timeout=cell_timeout, files_from=files_from
    )


# --------------------------------------------------------------------------------------------
# Worker process


_worker: dict = {}


def _worker_init(config, options: GradeOptions, lock, scratch_root: str) -> None:
    from multiprocessing.util import Finalize

    # The main process decides when to stop; it terminates workers with SIGTERM.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _worker.update(config=config, options=options, lock=lock, scratch=Path(scratch_root))
    _worker["threads"] = ThreadPoolExecutor(max_workers=1)
    _worker["next_kernel"] = None
    _worker["gradebook"] = None
    Finalize(None, _worker_cleanup, exitpriority=10)
    if options.prestart:
        _prestart_kernel()


def _worker_cleanup() -> None:
    kernel = _worker.pop("next_kernel", None)
    if kernel is not None:
        kernel.shutdown()


def _worker_gradebook(db_url: str, config) -> Gradebook:
    """This worker's read-only gradebook connection (opened once, after the fork)."""
    if _worker.get("gradebook") is None:
        _worker["gradebook"] = Gradebook(db_url, config.CourseDirectory.course_id)
    return _worker["gradebook"]


def _prestart_kernel() -> None:
    from autograder.kernel import SandboxedKernel

    try:
        _worker["next_kernel"] = SandboxedKernel(
            _worker["scratch"], extra_arguments=["--HistoryManager.hist_file=:memory:"]
        )
    except Exception:  # noqa: BLE001 - a failed pre-start is retried when the kernel is needed
        _worker["next_kernel"] = None


def _take_kernel(prestart_next: bool = True):
    from autograder.kernel import SandboxedKernel

    kernel = _worker.get("next_kernel")
    _worker["next_kernel"] = None
    if kernel is None:
        kernel = SandboxedKernel(
            _worker["scratch"], extra_arguments=["--HistoryManager.hist_file=:memory:"]
        )
    if _worker["options"].prestart and prestart_next:
        # The next submission's kernel boots while this one runs.
        _prestart_kernel()
    return kernel


def _resources(task: Task, name: str, db_url: str) -> dict:
    return {
        "unique_key": name,
        "output_files_dir": f"{name}_files",
        "nbgrader": {
            "student": task.student,
            "assignment": task.assignment,
            "notebook": name,
            "db_url": db_url,
        },
    }


def _course_chain(config) -> Chain:
    """The course's configured autograde chain, with the grader's steps in (see autograder.chain)."""
    return course_chain(config, execute=CappedExecute)


def _run(preprocessors, nb, resources, config, db_url=None):
    """Run worker steps in order; a gradebook reader gets the worker's gradebook, under the lock."""
    for cls in preprocessors:
        if issubclass(cls, SharedOverwriteCells):
            with _worker["lock"]:
                step = cls(config=config)
                step.shared = _worker_gradebook(db_url, config)
                nb, resources = step(nb, resources)
        else:
            nb, resources = cls(config=config)(nb, resources)
    return nb, resources


def grade_task(task: Task) -> dict:
    """Grade one submission in this worker; returns what the main process needs to save it."""
    started = time.monotonic()
    config = _worker["config"]
    options: GradeOptions = _worker["options"]
    db_url = config.CourseDirectory.db_url
    outcome = {
        "student": task.student,
        "status": "graded",
        "error": None,
        "notebooks": [],
        "verify_available": True,
    }
    try:
        for name, path in task.notebooks.items():
            nb_outcome, status, error, verified = _grade_notebook(
                task, name, path, config, options, db_url
            )
            outcome["notebooks"].append(nb_outcome)
            outcome["verify_available"] = outcome["verify_available"] and verified
            if status != "graded" and outcome["status"] == "graded":
                outcome["status"], outcome["error"] = status, error
    except Exception as exc:  # noqa: BLE001 - one bad submission must not stop the run
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        outcome["status"] = "error"
        outcome["error"] = f"{task.student}: grading failed: {detail}"
    outcome["elapsed_seconds"] = round(time.monotonic() - started, 3)
    return outcome


def _grade_notebook(task, name, path, config, options, db_url):
    nb = nbformat.read(path, as_version=4)
    resources = _resources(task, name, db_url)
    if "chain" not in _worker:
        _worker["chain"] = _course_chain(config)
    chain: Chain = _worker["chain"]
    nb, resources = _run(chain.sanitize + chain.before_execute, nb, resources, config, db_url)

    # The independent verification does not depend on the kernel run: run both at once.
    verification = None
    if options.verify:
        verification = _worker["threads"].submit(
            independent_checks,
            path,
            task.sources[name],
            timeout=max(options.notebook_timeout, VERIFY_TIMEOUT),
            cell_timeout=float(config.Execute.timeout),
            # The same files as the kernel's folder gets (autograded/<student>/<assignment>/).
            files_from=task.dest,
        )

    kernel = _take_kernel(task.prestart_next)
    status, error = "graded", None
    try:
        # The kernel's working directory gets the assignment's other files (data, modules);
        # they count against its disk quota, its own start-up files do not.
        before = [tree_usage(kernel.workdir), tree_usage(kernel.conn_dir)]
        baseline = (sum(u[0] for u in before), sum(u[1] for u in before))
        copy_folder(Path(task.dest), kernel.workdir, _sandbox_quota())
        # (preprocess() re-runs __init__, so settings must come through the config.)
        executor = chain.execute(config=config)
        fired = threading.Event()

        def _notebook_deadline() -> None:
            fired.set()
            kernel.kill()

        watchdog = threading.Timer(options.notebook_timeout, _notebook_deadline)
        watchdog.daemon = True
        watchdog.start()
        disk = DiskWatch(
            [kernel.workdir, kernel.conn_dir],
            kernel.kill,
            processes=kernel.processes,
            baseline=baseline,
        )
        run_resources = dict(resources, metadata={"path": str(kernel.workdir)})
        try:
            with disk:
                executor.preprocess(nb, run_resources, km=kernel.km)
        except DeadKernelError:
            if disk.exceeded:
                status = "disk-limit"
                error = (
                    f"{task.student}: {name}.ipynb wrote {disk.exceeded} into its working "
                    "folder; the kernel was stopped"
                )
            elif fired.is_set():
                status = "timeout"
                error = (
                    f"{task.student}: {name}.ipynb ran longer than the notebook time limit "
                    f"({options.notebook_timeout:g} s); the kernel was stopped"
                )
            else:
                status = "kernel-died"
                error = f"{task.student}: the kernel died while running {name}.ipynb"
        except CellTimeoutError:
            # The cell ignored the interrupt (it caught KeyboardInterrupt): stop the kernel.
            status = "timeout"
            error = (
                f"{task.student}: a cell of {name}.ipynb kept running after the cell time limit "
                f"({config.Execute.timeout} s) and ignored the interrupt; the kernel was stopped"
            )
        finally:
            watchdog.cancel()
            if getattr(executor, "kc", None) is not None:
                try:
                    executor.kc.stop_channels()
                except Exception:  # noqa: BLE001
                    pass
    finally:
        kernel.shutdown()

    _mark_unexecuted(nb)
    nb, resources = _run(chain.after_execute, nb, resources, config, db_url)

    checks = None
    verify_error = None
    if verification is not None:
        try:
            checks = verification.result()
        except Exception as exc:  # noqa: BLE001 - a failed verification fails every check
            verify_error = f"independent verification failed: {type(exc).__name__}: {exc}"
            checks = {}
    verified = checks is not None or not options.verify
    cells, flagged = _judge(nb, checks, verify_error, task.sources[name])
    return (
        # The notebook was validated when read; v4.writes serialises without validating again.
        NotebookOutcome(name, nbformat.v4.writes(nb), cells, flagged, _manual(nb)),
        status,
        error,
        verified,
    )


def _mark_unexecuted(nb: NotebookNode) -> None:
    """A test cell the kernel never ran (time limit, dead kernel) must not count as passed."""
    for cell in nb.cells:
        if cell.cell_type != "code" or not nbgrader_utils.is_grade(cell):
            continue
        if nbgrader_utils.is_solution(cell):
            continue
        if cell.get("execution_count") is None and not any(
            o.get("output_type") == "error" for o in cell.outputs
        ):
            cell.outputs.append(
                nbformat.v4.new_output(
                    "error",
                    ename=NOT_EXECUTED,
                    evalue="the kernel stopped before this test cell ran",
                    traceback=[f"{NOT_EXECUTED}: the kernel stopped before this test cell ran"],
                )
            )


def _manual(nb: NotebookNode) -> list[dict]:
    """Manually graded cells; SaveAutoGrades marks those without an automatic score for review."""
    out = []
    for cell in nb.cells:
        if nbgrader_utils.is_grade(cell) and nbgrader_utils.is_solution(cell):
            score, max_points = nbgrader_utils.determine_grade(cell)
            out.append(
                {
                    "grade_id": cell.metadata["nbgrader"]["grade_id"],
                    "max_points": float(max_points),
                    "needs_manual_grade": score is None,
                    # 0 for an answer left as the release stub; None until a person grades it.
                    "score": None if score is None else float(score),
                }
            )
    return out


def _contract_functions(source_nb: str) -> list[str]:
    from autograder.verify import contract_functions

    return list(contract_functions(source_nb))


def _judge(nb, checks, verify_error, source_nb):
    """Make the graded notebook inert, then give each test cell its points (see autograder.verdict).

    ``checks`` is None only when the verification is switched off (the kernel verdict stands).
    """
    sanitize_notebook(nb)
    return judge_notebook(
        nb, checks, verify_error, _contract_functions(source_nb), verify_on=checks is not None
    )


# --------------------------------------------------------------------------------------------
# Main process


def _make_writable_and_remove(path: Path) -> None:
    def onerror(func, target, _exc):
        os.chmod(target, stat.S_IWUSR | stat.S_IRUSR | stat.S_IXUSR)
        func(target)

    if path.exists():
        for root, dirs, _files in os.walk(path):
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o755)
        shutil.rmtree(path, onerror=onerror)


def _sandbox_quota() -> Budget:
    return Budget(workdir_quota_bytes(), WORKDIR_QUOTA_FILES)


def _prepare_destination(course: Course, sub: Submission) -> Path:
    """``autograded/<student>/<assignment>/`` with the submitted files, then the source's files.

    The plan was made (and checked against the quota) when the submission was found; see
    :mod:`autograder.files` for the rules of the copy.
    """
    dest = course.folder("autograded") / sub.student / sub.assignment
    _make_writable_and_remove(dest)
    dest.mkdir(parents=True)
    copy_into(sub.plan or Plan(), dest)
    return dest


def _already_graded(course: Course, sub: Submission, names: list[str]) -> dict | None:
    previous = res.read_result(course.root, sub.assignment, sub.student)
    if not previous or previous.get("status") not in res.GRADED_STATUSES:
        return None
    if previous.get("submission_digest") != sub.digest:
        return None
    dest = course.folder("autograded") / sub.student / sub.assignment
    if not all((dest / f"{n}.ipynb").is_file() for n in names):
        return None
    return previous


class Progress:
    """A progress bar on a terminal, one line per submission otherwise."""

    def __init__(self, total: int, stream: TextIO, enabled: bool) -> None:
        self.total, self.done, self.stream, self.enabled = total, 0, stream, enabled
        self.tty = enabled and hasattr(stream, "isatty") and stream.isatty()
        self.started = time.monotonic()

    def warn(self, message: str) -> None:
        """A warning on a line of its own (always shown, progress bar or not)."""
        erase = "\r\x1b[K" if self.tty else ""  # the bar is redrawn by the next advance
        self.stream.write(f"{erase}warning: {terminal_safe(message)}\n")
        self.stream.flush()

    def advance(self, result: dict) -> None:
        self.done += 1
        if not self.enabled:
            return
        elapsed = time.monotonic() - self.started
        label = terminal_safe(f"{result['student']}: {result['status']}")
        if result["status"] in res.GRADED_STATUSES:
            label += f" {result['score']:g}/{result['max_score']:g}"
        if self.tty:
            width = 30
            filled = int(width * self.done / max(self.total, 1))
            bar = "#" * filled + "." * (width - filled)
            self.stream.write(f"\r[{bar}] {self.done}/{self.total} {elapsed:5.1f}s  {label:<40.40}")
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(f"[{self.done}/{self.total}] {elapsed:6.1f}s {label}\n")
        self.stream.flush()


def _finish_result(
    gb: Gradebook, course: Course, task: Task, outcome: dict, isolation: str
) -> dict:
    """Save one worker outcome (main process only: the single gradebook writer)."""
    dest = Path(task.dest)
    cells: list[dict] = []
    manual: list[dict] = []
    flagged_any = False
    for nb_outcome in outcome["notebooks"]:
        nb = nbformat.v4.reads(nb_outcome.notebook_json)  # written by v4.writes in a worker
        resources = _resources(task, nb_outcome.name, course.db_url)
        points = {c["grade_id"]: c["points"] for c in nb_outcome.cells}
        save_grades(gb, course, nb, resources, nb_outcome.flagged, points)
        target = dest / f"{nb_outcome.name}.ipynb"
        if target.exists():
            target.chmod(0o644)
            target.unlink()
        target.write_text(nb_outcome.notebook_json)
        cells.extend(nb_outcome.cells)
        manual.extend(nb_outcome.manual)
        flagged_any = flagged_any or bool(nb_outcome.flagged)
    score, max_score = submission_score(gb, task.assignment, task.student)
    gb.db.commit()
    permissions = 0o664 if course.coursedir.groupshared else 0o444
    for root, _dirs, files in os.walk(dest):
        for filename in files:
            os.chmod(os.path.join(root, filename), permissions)
    return {
        "student": task.student,
        "assignment": task.assignment,
        "status": outcome["status"],
        "error": outcome["error"],
        "score": score,
        "max_score": max_score,
        "isolation": isolation,
        "elapsed_seconds": outcome["elapsed_seconds"],
        "graded_at": res.now_iso(),
        "cells": cells,
        "manual": manual,
        "flagged": flagged_any,
        "verified": outcome.get("verify_available", True),
        "submission_digest": task.digest,
    }


def _default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def grade_assignment(
    course_dir: Path,
    assignment: str,
    *,
    workers: int | None = None,
    force: bool = False,
    students: Sequence[str] | None = None,
    progress: bool = True,
    options: GradeOptions | None = None,
    stream: TextIO | None = None,
) -> list[dict]:
    """Grade every submission of ``assignment``; returns one result dict per student.

    Raises :class:`~autograder.gradebook.CourseError` when the course or assignment is unusable.
    """
    from autograder.sandbox import (
        RLIMITS,
        SandboxRefused,
        announce_fallback,
        isolation_method,
        sandbox_cpu_cores,
        workdir_quota_bytes,
    )

    stream = stream if stream is not None else sys.stderr
    options = options or GradeOptions()
    try:
        workdir_quota_bytes()  # a bad CALCML_WORKDIR_QUOTA_MB stops the run before it starts
        sandbox_cpu_cores()  # and so does a bad CALCML_SANDBOX_CPU
    except ValueError as error:
        raise CourseError(str(error)) from None
    course = load_course(Path(course_dir))
    _course_chain(course.config)  # a chain the grader cannot run stops the run before it starts
    if options.cell_timeout is not None:
        course.config.Execute.timeout = int(options.cell_timeout)
    names = assignment_notebooks(course, assignment)
    sources = {}
    for name in names:
        source_nb = course.folder("source") / assignment / f"{name}.ipynb"
        if not source_nb.is_file():
            raise CourseError(f"{source_nb}: the instructor's source notebook is missing")
        sources[name] = str(source_nb)

    submissions = find_submissions(
        course.root,
        assignment,
        names,
        list(students) if students else None,
        submitted_dir=course.coursedir.submitted_directory,
        rules=copy_rules(course, assignment),
    )
    if students:
        unknown = sorted(set(students) - {s.student for s in submissions})
        for student in unknown:
            stream.write(
                terminal_safe(f"error: {student}: no submission of {assignment} in submitted/")
                + "\n"
            )

    isolation = isolation_method()
    stream.write(f"isolation: {isolation}\n")
    if isolation == RLIMITS:
        # Said once here rather than by every worker.
        from autograder.kernel import KERNEL_LAUNCHER

        stream.flush()
        try:
            announce_fallback([sys.executable], [KERNEL_LAUNCHER])
        except SandboxRefused as error:
            raise CourseError(str(error)) from None
    if not options.verify:
        stream.write("WARNING: independent verification switched off (--no-verify)\n")

    results: dict[str, dict] = {}
    to_grade: list[Submission] = []
    for sub in submissions:
        if not sub.ok:
            stream.write(f"error: {terminal_safe(sub.error)}\n")
            result = res.error_result(sub.student, assignment, sub.status, sub.error)
            result["submission_digest"] = sub.digest
            if sub.status == MISSING:
                with Gradebook(course.db_url, course.coursedir.course_id) as gb:
                    warning = register_submission(
                        gb, course, assignment, sub.student, sub.directory
                    )
                    if warning:
                        stream.write(f"warning: {terminal_safe(warning)}\n")
                    zero_missing_notebooks(gb, assignment, sub.student, names)
            res.write_result(course.root, result)
            results[sub.student] = result
            continue
        previous = None if force else _already_graded(course, sub, names)
        if previous is not None:
            results[sub.student] = previous
            continue
        to_grade.append(sub)

    skipped = sum(1 for s in submissions if s.ok) - len(to_grade)
    if skipped:
        stream.write(f"skipping {skipped} submission(s) already graded (use --force to regrade)\n")

    if to_grade:
        workers = max(1, min(workers or _default_workers(), len(to_grade)))
        stream.write(
            f"grading {len(to_grade)} submission(s) of {assignment} with {workers} worker(s)\n"
        )
        stream.flush()
        # A kernel started ahead of time only pays off when a worker grades several submissions.
        options = replace(options, prestart=options.prestart and len(to_grade) > workers)
        bar = Progress(len(to_grade), stream, progress)
        for result in _run_pool(course, to_grade, sources, workers, options, isolation, bar):
            results[result["student"]] = result
            if result["status"] != "graded":
                stream.write(f"error: {terminal_safe(result['error'])}\n")

    ordered = [results[s] for s in sorted(results)]
    # grades.csv covers the whole class, also students this run did not touch (--student).
    everyone = dict(results)
    submitted = course.folder("submitted")
    for folder in sorted(submitted.glob(f"*/{assignment}")) if submitted.is_dir() else []:
        student = shown_name(folder.parent.name)
        if student not in everyone:
            stored = res.read_result(course.root, assignment, student)
            if stored is not None:
                everyone[student] = stored
    if everyone:
        res.write_grades_csv(course.root, assignment, [everyone[s] for s in sorted(everyone)])
    if progress:
        stream.write(summary_table(ordered, assignment))
        stream.flush()
    return ordered


def _run_pool(course, to_grade, sources, workers, options, isolation, bar):
    """Grade ``to_grade`` in worker processes; yields each result once it is saved.

    The main process registers and prepares each submission just before handing it out, and
    saves each outcome as it arrives: it is the only gradebook writer (workers read it only
    under the same lock).
    """
    ctx = multiprocessing.get_context("fork")
    lock = ctx.Lock()
    scratch = tempfile.mkdtemp(prefix="calcml-grade-")
    pending = {}
    gb = Gradebook(course.db_url, course.coursedir.course_id)
    try:
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=ctx,
            initializer=_worker_init,
            initargs=(course.config, options, lock, scratch),
        ) as pool:
            try:
                yield from _dispatch(
                    pool, gb, lock, course, to_grade, sources, workers, isolation, bar, pending
                )
            except BaseException:
                # Interrupted (Ctrl-C) or failed: stop now instead of finishing queued work.
                processes = list((getattr(pool, "_processes", None) or {}).values())
                for process in processes:
                    process.terminate()  # their kernels die with them (--die-with-parent)
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    finally:
        gb.close()
        shutil.rmtree(scratch, ignore_errors=True)


def _dispatch(pool, gb, lock, course, to_grade, sources, workers, isolation, bar, pending):
    """Hand out submissions (registering each just before) and save outcomes as they come."""
    queue = list(to_grade)
    # A short queue: an interrupted run loses little and resumes cleanly.
    while queue or pending:
        while queue and len(pending) < 2 * workers:
            sub = queue.pop(0)
            with lock:
                warning = register_submission(
                    gb, course, sub.assignment, sub.student, sub.directory
                )
                if warning:
                    bar.warn(warning)
                gb.db.commit()
                gb.db.remove()  # end the read transaction: workers read next
            task = Task(
                student=sub.student,
                assignment=sub.assignment,
                notebooks={k: str(v) for k, v in sub.notebooks.items()},
                sources=sources,
                dest=str(_prepare_destination(course, sub)),
                digest=sub.digest,
                # Near the end of the queue a kernel booted ahead would never be used.
                prestart_next=len(queue) >= workers,
            )
            pending[pool.submit(grade_task, task)] = task
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        for future in done:
            task = pending.pop(future)
            try:
                outcome = future.result()
            except Exception as exc:  # noqa: BLE001 - a crashed worker fails one task
                outcome = {
                    "student": task.student,
                    "status": "error",
                    "error": f"{task.student}: grading worker failed: {exc}",
                    "notebooks": [],
                    "elapsed_seconds": 0.0,
                }
            with lock:
                if outcome["notebooks"]:
                    result = _finish_result(gb, course, task, outcome, isolation)
                else:
                    result = res.error_result(
                        task.student,
                        task.assignment,
                        outcome["status"],
                        outcome["error"],
                        isolation=isolation,
                        submission_digest=task.digest,
                    )
                gb.db.remove()
            res.write_result(course.root, result)
            bar.advance(result)
            yield result


def summary_table(results: list[dict], assignment: str) -> str:
    """A plain-text table: one line per student, then counts and flagged cells."""
    lines = [f"\n{assignment}: {len(results)} submission(s)"]
    header = f"{'student':<20} {'score':>8} {'max':>6}  status"
    lines += [header, "-" * len(header)]
    for r in results:
        score = f"{r.get('score', 0):g}" if r["status"] in res.GRADED_STATUSES else "-"
        max_score = f"{r.get('max_score', 0):g}" if r["status"] in res.GRADED_STATUSES else "-"
        note = " (flagged for review)" if r.get("flagged") else ""
        lines.append(f"{r['student']:<20} {score:>8} {max_score:>6}  {r['status']}{note}")
    counts: dict[str, int] = {}
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    lines.append("-" * len(header))
    lines.append("  ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    for r in results:
        for cell in r.get("cells", []):
            if cell.get("flagged"):
                kernel = cell.get(
                    "kernel_score", cell["max_points"] if cell["kernel_passed"] else 0
                )
                lines.append(
                    f"FLAGGED {r['student']} {cell['grade_id']}: kernel run "
                    f"{kernel:g}/{cell['max_points']:g}, independent check "
                    f"{'passed' if cell['verified_passed'] else 'failed'}, "
                    f"{cell['points']:g} point(s) given"
                    + (f" ({cell['message'][:200]})" if cell.get("message") else "")
                )
    if any(r.get("verified") is False for r in results):
        lines.append(
            "WARNING: autograder.verify is not available: verdicts rest on the kernel run alone"
        )
    return "\n".join(terminal_safe(line) for line in lines) + "\n"


def exit_status(results: list[dict]) -> int:
    """Non-zero only when some submission could not be graded."""
    return 1 if any(r["status"] in res.ERROR_STATUSES for r in results) else 0
