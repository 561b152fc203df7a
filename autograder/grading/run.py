"""``python -m autograder grade``: parallel, sandboxed, fault-tolerant autograding.

How one run works:

1. The main process reads the course config, finds ``submitted/*/<assignment>/`` and checks every
   submission (broken or missing notebooks get an error status and a one-line message).
2. It registers the submissions in the gradebook and prepares ``autograded/<student>/<assignment>/``
   the way ``nbgrader autograde`` does (submitted files, then the source's extra files on top).
3. Long-lived worker processes (default: one per core) each grade many submissions. A worker
   sanitizes the notebook with nbgrader's preprocessors (``OverwriteCells`` restores the trusted
   test cells from the run's copy of them, :mod:`autograder.grading.snapshot`), executes it in a
   sandboxed kernel (see :mod:`autograder.grading.kernel`; the next kernel is already booting
   while the previous submission is being finished), caps
   its output, and runs the independent verification (:mod:`autograder.verify`). The graded
   notebook is made inert (:mod:`autograder.grading.untrusted`), and each test cell earns
   min(kernel score, trusted score) with every disagreement flagged (:mod:`autograder.grading.verdict`).
4. The main process is the only gradebook writer: it saves the scores with nbgrader's
   ``SaveAutoGrades`` and ``AssignLatePenalties``, marks flagged cells ``needs_manual_grade``, writes
   the graded notebook and the per-student JSON, then ``grades.csv`` and a summary table.

A second run skips submissions whose result is on file and whose files did not change
(``--force`` regrades); an interrupted run therefore resumes where it stopped.

This module is the main process (steps 1, 2 and 4); :mod:`autograder.grading.worker` is step 3.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import replace
from pathlib import Path
from typing import TextIO

import nbformat
from nbgrader.api import Gradebook

from autograder.files import Plan, copy_into
from autograder.grading.db_retry import Retrying
from autograder.grading.gradebook import (
    Course,
    CourseError,
    assignment_notebooks,
    load_course,
    one_commit,
    register_and_commit,
    register_submission,
    save_grades,
    submission_score,
    zero_missing_notebooks,
)
from autograder.grading.options import GradeOptions, Task
from autograder.grading.progress import Progress, summary_table
from autograder.grading.snapshot import GradebookSnapshot
from autograder.grading.submissions import (
    MISSING,
    Submission,
    copy_rules,
    find_submissions,
    shown_name,
)
from autograder.grading.untrusted import terminal_safe
from autograder.grading.worker import _course_chain, _resources, _worker_init, grade_task
from autograder.reports import results as res


def _make_writable_and_remove(path: Path) -> None:
    def onerror(func, target, _exc):
        os.chmod(target, stat.S_IWUSR | stat.S_IRUSR | stat.S_IXUSR)
        func(target)

    if path.exists():
        for root, dirs, _files in os.walk(path):
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o755)
        shutil.rmtree(path, onerror=onerror)


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


def save_outcome(gb, course: Course, task: Task, outcome: dict, isolation: str) -> dict:
    """Record one graded (or failed) submission in the gradebook; the result for the results JSON.

    The one place a grading outcome becomes gradebook rows, whether it was graded here or on a
    Dask worker."""
    if outcome["notebooks"]:
        with one_commit(gb):
            saved = _finish_result(gb, course, task, outcome, isolation)
    else:
        saved = res.error_result(
            task.student,
            task.assignment,
            outcome["status"],
            outcome["error"],
            isolation=isolation,
            submission_digest=task.digest,
        )
    gb.db.remove()
    return saved


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
    backend=None,
) -> list[dict]:
    """Grade every submission of ``assignment``; returns one result dict per student.

    ``backend``: a :class:`~autograder.grading.cluster.DaskBackend` instead of the local pool.

    Raises :class:`~autograder.grading.gradebook.CourseError` when the course or assignment is unusable.
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
    if backend is not None:
        backend.start(stream)  # an unreachable scheduler stops the run before anything is written

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

    isolation = isolation_method() if backend is None else backend.isolation
    stream.write(f"isolation: {isolation}\n")
    if isolation == RLIMITS and backend is None:
        # Said once here rather than by every worker.
        from autograder.grading.kernel import KERNEL_LAUNCHER

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
        if backend is None:
            workers = max(1, min(workers or _default_workers(), len(to_grade)))
            where = f"{workers} worker(s)"
        else:
            workers, where = backend.workers, backend.describe()
        stream.write(f"grading {len(to_grade)} submission(s) of {assignment} with {where}\n")
        stream.flush()
        # A kernel started ahead of time only pays off when a worker grades several submissions.
        options = replace(options, prestart=options.prestart and len(to_grade) > workers)
        bar = Progress(len(to_grade), stream, progress)
        try:
            run = _run_pool if backend is None else backend.run
            for result in run(course, to_grade, sources, workers, options, isolation, bar):
                results[result["student"]] = result
                if result["status"] != "graded":
                    bar.line(f"error: {terminal_safe(result['error'])}")
        finally:
            bar.close()

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
    saves each outcome as it arrives: it is the only user of the gradebook. The workers get the
    assignment's trusted cells as a copy read once here (:mod:`autograder.grading.snapshot`).
    """
    ctx = multiprocessing.get_context("fork")
    scratch = tempfile.mkdtemp(prefix="calcml-grade-")
    pending = {}
    gb = Gradebook(course.db_url, course.coursedir.course_id)
    try:
        snapshot = Retrying(gb, bar.warn, course.db_url)(
            "reading the assignment's cells",
            GradebookSnapshot.read,
            gb,
            to_grade[0].assignment,
            list(sources),
        )
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=ctx,
            initializer=_worker_init,
            initargs=(course.config, options, snapshot, scratch),
        ) as pool:
            try:
                yield from _dispatch(
                    pool, gb, course, to_grade, sources, workers, isolation, bar, pending
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


def _dispatch(pool, gb, course, to_grade, sources, workers, isolation, bar, pending):
    """Hand out submissions (registering each just before) and save outcomes as they come."""
    queue = list(to_grade)
    write = Retrying(gb, bar.warn, course.db_url)  # waits for a database that went away
    # A short queue: an interrupted run loses little and resumes cleanly.
    while queue or pending:
        while queue and len(pending) < 2 * workers:
            sub = queue.pop(0)
            warning = write(f"registering {sub.student}", register_and_commit, gb, course, sub)
            if warning:
                bar.warn(warning)
            gb.db.remove()  # end the read transaction
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
            result = write(
                f"saving {task.student}", save_outcome, gb, course, task, outcome, isolation
            )
            res.write_result(course.root, result)
            bar.advance(result)
            yield result
