"""Grading on a Dask distributed cluster: ``grade --scheduler ADDRESS`` and ``--dask-local N``.

The coordinator (the machine running ``python -m autograder grade``) does everything the local
pool's main process does (:mod:`autograder.grading.run`): it finds and checks the submissions,
registers each in the gradebook, prepares ``autograded/<student>/<assignment>/``, and saves every
result, as the only writer of the gradebook, ``autograded/``, the results JSON and
``grades.csv``. Only the grading of one submission is a Dask task: the task carries the
submission's notebook(s), the files of its prepared folder and the source notebooks, all as
bytes, plus a snapshot of the gradebook's trusted cells (what ``OverwriteCells`` reads). A worker
therefore needs no shared file system and no access to the gradebook; it grades with the very
same code as a local worker (sandboxed kernel, limits, out-of-kernel verification, verdict) and
sends back the graded notebook and the verdicts.

Faults:

- A worker that dies (SIGKILL, a lost machine) loses nothing: the scheduler hands its tasks to
  another worker, and the coordinator saves each student once, when the task's result arrives.
- An interrupted coordinator resumes: a second run skips what was saved (as the local pool).
- A scheduler that cannot be reached, or that has no workers, stops the run before anything is
  written, in one line.
- Every gradebook write is retried while the database is away (:mod:`autograder.grading.db_retry`).
- A worker that cannot run the bubblewrap sandbox (or runs other grader code than the
  coordinator) refuses to grade: there is no fallback to weaker isolation on a cluster. The run
  stops, naming that worker; what was saved stays saved, the same command resumes.

Each worker process grades one submission at a time, on one long-lived thread of its own (the
sandbox ties its processes' lives to the thread that started them): start workers with
``--nthreads 1`` and as many ``--nworkers`` as the machine has cores.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import socket
import sys
import tempfile
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TextIO

from nbgrader.api import Gradebook, MissingEntry

from autograder.grading.db_retry import retrying
from autograder.grading.gradebook import Course, CourseError, register_submission
from autograder.grading.options import Task
from autograder.grading.untrusted import terminal_safe

PACKAGE = Path(__file__).resolve().parents[1]  # the whole autograder package
INSTALL_HINT = "pip install 'dask[distributed]' 'psycopg[binary]' (or the course's `cluster` extra)"
# Environment settings of the coordinator that the workers' sandboxes must share.
FORWARDED_ENV = ("CALCML_WORKDIR_QUOTA_MB",)
REQUIRED_ISOLATION = "bubblewrap"


class WorkerRefused(CourseError):
    """A Dask worker cannot grade as the coordinator requires (the message names it)."""


# --------------------------------------------------------------------------------------------
# A read-only copy of the gradebook's trusted cells (what OverwriteCells looks up)


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
            nb = gb.find_notebook(name, assignment)
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


# --------------------------------------------------------------------------------------------
# Files as bytes


def pack_folder(folder: Path) -> list[tuple[bytes, bytes | None]]:
    """Every folder (data None) and regular file under ``folder``, relative, as bytes.

    ``folder`` is one the coordinator made itself (``autograded/<student>/<assignment>/``, from a
    checked plan): it holds no links, and none would be followed.
    """
    out: list[tuple[bytes, bytes | None]] = []
    top = os.fsencode(folder)
    for root, dirs, files in os.walk(top, followlinks=False):
        relative_root = os.path.relpath(root, top)
        for name in sorted(dirs):
            path = os.path.join(root, name)
            if not os.path.islink(path):
                out.append((os.path.normpath(os.path.join(relative_root, name)), None))
        for name in sorted(files):
            path = os.path.join(root, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            with open(path, "rb") as handle:
                out.append((os.path.normpath(os.path.join(relative_root, name)), handle.read()))
    return out


def unpack_folder(entries: list[tuple[bytes, bytes | None]], folder: Path) -> None:
    top = os.fsencode(folder)
    os.makedirs(top, exist_ok=True)
    for relative, data in entries:
        if os.path.isabs(relative) or b".." in relative.split(b"/"):
            raise ValueError(f"refusing to unpack {relative!r} outside the task folder")
        path = os.path.join(top, relative)
        if data is None:
            os.makedirs(path, mode=0o755, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(data)
            os.chmod(path, 0o644)


# --------------------------------------------------------------------------------------------
# Worker side (these functions run inside Dask worker processes)


@lru_cache(maxsize=1)
def code_digest() -> str:
    """A digest of the grader's own code: coordinator and workers must run the same grader."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(str(path.relative_to(PACKAGE)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _isolation_here() -> tuple[str, str | None]:
    """This worker's sandbox, and why it is not bubblewrap (None when it is)."""
    from autograder.sandbox import ENV_FORCE, isolation_method

    method = isolation_method()
    if method == REQUIRED_ISOLATION:
        return method, None
    if os.environ.get(ENV_FORCE, "").strip().lower() == method:
        return method, f"{ENV_FORCE}={method} is set there"
    if shutil.which("bwrap") is None:
        return method, "bwrap (Debian package bubblewrap) is not on its PATH"
    return method, "bwrap is installed but does not work there (see the worker's log)"


def probe_worker(dask_worker=None) -> dict:
    """What the coordinator checks before it hands out work (run on every worker)."""
    import autograder.grading.worker  # noqa: F401 - import the grader now, not in the first task

    isolation, reason = _isolation_here()
    nthreads = getattr(getattr(dask_worker, "state", None), "nthreads", None)
    if nthreads is None:
        nthreads = getattr(dask_worker, "nthreads", 1)
    return {
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "isolation": isolation,
        "reason": reason,
        "code": code_digest(),
        "python": sys.version.split()[0],
        "nthreads": int(nthreads or 1),
    }


class _WorkerState:
    """Per worker process: one grading thread, and the current run's scratch folder."""

    lock = threading.Lock()
    thread: ThreadPoolExecutor | None = None
    run_id: str | None = None
    scratch: Path | None = None
    sources: dict[str, str] = {}


def _grading_thread() -> ThreadPoolExecutor:
    with _WorkerState.lock:
        if _WorkerState.thread is None:
            _WorkerState.thread = ThreadPoolExecutor(1, thread_name_prefix="calcml-grading")
        return _WorkerState.thread


def _start_run(shared: dict) -> None:
    """Point the grader's worker state (``autograder.grading.worker._worker``) at this run."""
    from autograder.grading import worker

    if _WorkerState.run_id == shared["run_id"]:
        return
    _end_run()
    for name in FORWARDED_ENV:
        if shared["env"].get(name) is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = shared["env"][name]
    scratch = Path(tempfile.mkdtemp(prefix="calcml-dask-"))
    sources = {}
    (scratch / "source").mkdir()
    for name, data in shared["sources"].items():
        path = scratch / "source" / f"{name}.ipynb"
        path.write_bytes(data)
        sources[name] = str(path)
    (scratch / "kernels").mkdir()
    worker._worker.clear()
    worker._worker.update(
        config=shared["config"],
        options=shared["options"],
        lock=threading.Lock(),
        scratch=scratch / "kernels",
        threads=ThreadPoolExecutor(max_workers=1),
        next_kernel=None,
        # OverwriteCells reads the trusted cells from the snapshot (no gradebook here).
        gradebook=shared["snapshot"],
    )
    _WorkerState.run_id, _WorkerState.scratch, _WorkerState.sources = (
        shared["run_id"],
        scratch,
        sources,
    )


def _end_run() -> None:
    from autograder.grading import worker

    if _WorkerState.run_id is None:
        return
    try:
        worker._worker_cleanup()  # a kernel booted ahead of time
    except Exception:  # noqa: BLE001
        pass
    threads = worker._worker.get("threads")
    if threads is not None:
        threads.shutdown(wait=False)
    worker._worker.clear()
    if _WorkerState.scratch is not None:
        shutil.rmtree(_WorkerState.scratch, ignore_errors=True)
    _WorkerState.run_id, _WorkerState.scratch, _WorkerState.sources = None, None, {}


def _grade_here(shared: dict, job: dict) -> dict:
    from autograder.grading import worker

    isolation, reason = _isolation_here()
    if reason is not None:
        return {"refused": reason, "host": socket.gethostname(), "pid": os.getpid()}
    _start_run(shared)
    folder = Path(tempfile.mkdtemp(prefix="task-", dir=_WorkerState.scratch))
    try:
        notebooks = {}
        (folder / "submitted").mkdir()
        for name, data in job["notebooks"].items():
            path = folder / "submitted" / f"{name}.ipynb"
            path.write_bytes(data)
            notebooks[name] = str(path)
        dest = folder / "autograded"
        unpack_folder(job["files"], dest)
        task = Task(
            student=job["student"],
            assignment=job["assignment"],
            notebooks=notebooks,
            sources=dict(_WorkerState.sources),
            dest=str(dest),
            digest=job["digest"],
            prestart_next=job["prestart_next"],
        )
        outcome = worker.grade_task(task)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    outcome["isolation"] = isolation
    outcome["host"] = socket.gethostname()
    return outcome


def grade_remote(shared: dict, job: dict) -> dict:
    """The Dask task: grade one submission on this worker; returns only the outcome."""
    from distributed import get_worker

    outcome = _grading_thread().submit(_grade_here, shared, job).result()
    outcome["worker"] = get_worker().address
    return outcome


def _warm(shared: dict) -> None:
    from autograder.grading import worker

    _start_run(shared)
    if worker._worker["options"].prestart and worker._worker.get("next_kernel") is None:
        worker._prestart_kernel()


def warm_worker(shared: dict, dask_worker=None) -> bool:
    """Start this run on the worker's grading thread now (and boot a kernel), not at its first task."""
    if _isolation_here()[1] is not None:
        return False
    _grading_thread().submit(_warm, shared)
    return True


def release_worker(dask_worker=None) -> bool:
    """After a run: stop the kernel booted ahead of time and remove the run's scratch folder."""
    if _WorkerState.thread is None:
        return False
    _WorkerState.thread.submit(_end_run).result()
    return True


# --------------------------------------------------------------------------------------------
# Coordinator side


def _import_distributed():
    try:
        import distributed
    except ImportError as error:
        raise CourseError(
            f"grading on Dask needs the distributed package ({error}): {INSTALL_HINT}"
        ) from None
    return distributed


def _worker_name(address: str, info: dict) -> str:
    return f"Dask worker {address} (host {info.get('host', '?')}, pid {info.get('pid', '?')})"


class DaskBackend:
    """Grades through a Dask scheduler (``address``) or a local Dask cluster of ``local`` workers."""

    def __init__(self, address: str | None = None, local: int | None = None) -> None:
        if (address is None) == (local is None):
            raise ValueError("give either a scheduler address or a number of local workers")
        self.address = address
        self.local = local
        self.client = None
        self.cluster = None
        self.workers = 0
        self.isolation = REQUIRED_ISOLATION

    # -- start and stop ----------------------------------------------------------------------

    def describe(self) -> str:
        where = f"the Dask scheduler {self.address}" if self.address else "a local Dask cluster"
        return f"{self.workers} Dask worker(s) of {where}"

    def start(self, stream: TextIO) -> None:
        """Connect and check every worker; raises CourseError (one line) when it cannot grade."""
        distributed = _import_distributed()
        import dask

        timeout = dask.config.get("distributed.comm.timeouts.connect", "30s")
        seconds = dask.utils.parse_timedelta(timeout)
        try:
            if self.local is not None:
                # Workers forked from this process start at once, the grader already imported.
                dask.config.set({"distributed.worker.multiprocessing-method": "fork"})
                self.cluster = distributed.LocalCluster(
                    n_workers=self.local,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
                self.client = distributed.Client(self.cluster, timeout=timeout)
            else:
                self.client = distributed.Client(self.address, timeout=timeout)
        except (OSError, TimeoutError) as error:
            self.close()
            detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
            raise CourseError(
                f"cannot reach the Dask scheduler at {self.address or 'the local cluster'}: "
                f"{detail}"
            ) from None
        try:
            self.client.wait_for_workers(1, timeout=seconds)
        except (TimeoutError, OSError):
            self.close()
            raise CourseError(
                f"the Dask scheduler at {self.address} has no workers (waited {seconds:g} s): "
                f"start some with `dask worker {self.address} --nthreads 1 --nworkers N`"
            ) from None
        self.check_workers(stream)

    def check_workers(self, stream: TextIO) -> dict[str, dict]:
        probes = self.client.run(probe_worker)
        ours = code_digest()
        problems = []
        threads = 0
        for address, info in sorted(probes.items()):
            threads += 1
            if info["reason"] is not None:
                problems.append(
                    f"{_worker_name(address, info)} refuses to grade: the bubblewrap sandbox is "
                    f"not available there ({info['reason']}); install bubblewrap on that machine "
                    "or stop that worker (a cluster never falls back to weaker isolation)"
                )
            elif info["code"] != ours:
                problems.append(
                    f"{_worker_name(address, info)} runs other grader code than this machine "
                    f"({info['code']} here {ours}): install the same version of the course there"
                )
            elif info["nthreads"] > 1:
                stream.write(
                    f"warning: {_worker_name(address, info)} has {info['nthreads']} threads but "
                    "grades one submission at a time: start workers with --nthreads 1 "
                    "--nworkers N\n"
                )
        if problems:
            self.close()
            raise WorkerRefused("\n".join(problems))
        self.workers = max(1, threads)
        return probes

    def close(self) -> None:
        client, cluster = self.client, self.cluster
        self.client = self.cluster = None
        if client is not None:
            try:
                if cluster is None and client.status == "running":
                    client.run(release_worker)
            except Exception:  # noqa: BLE001 - a dead worker needs no cleaning
                pass
            try:
                client.close()
            except Exception:  # noqa: BLE001
                pass
        if cluster is not None:
            try:
                cluster.close()
            except Exception:  # noqa: BLE001
                pass

    # -- one run -----------------------------------------------------------------------------

    def run(self, course: Course, to_grade: list, sources: dict[str, str], options, bar):
        """Grade ``to_grade`` on the cluster; yields each result once it is saved (coordinator)."""
        from distributed import wait

        from autograder.grading import run as local
        from autograder.reports import results as res

        names = list(sources)
        assignment = to_grade[0].assignment
        gb = Gradebook(course.db_url, course.coursedir.course_id)
        url = course.db_url

        def retry(action, what):
            return retrying(gb, action, what, warn=bar.warn, db_url=url)

        try:
            snapshot = retry(
                lambda: GradebookSnapshot.read(gb, assignment, names),
                "reading the assignment's cells",
            )
            shared = {
                "run_id": uuid.uuid4().hex,
                "config": course.config,
                "options": options,
                "sources": {name: Path(path).read_bytes() for name, path in sources.items()},
                "snapshot": snapshot,
                "env": {name: os.environ.get(name) for name in FORWARDED_ENV},
            }
            [shared_future] = self.client.scatter([shared], broadcast=True, hash=False)
            self.client.run(warm_worker, shared)
            queue = list(to_grade)
            pending: dict = {}
            # A short queue, as the local pool's: an interrupted run loses little.
            window = 2 * self.workers
            try:
                while queue or pending:
                    while queue and len(pending) < window:
                        sub = queue.pop(0)
                        warning = retry(
                            lambda sub=sub: _register(gb, course, sub),
                            f"registering {sub.student}",
                        )
                        if warning:
                            bar.warn(warning)
                        dest = local._prepare_destination(course, sub)
                        job = {
                            "student": sub.student,
                            "assignment": sub.assignment,
                            "digest": sub.digest,
                            "notebooks": {
                                k: Path(v).read_bytes() for k, v in sub.notebooks.items()
                            },
                            "files": pack_folder(dest),
                            "prestart_next": len(queue) >= self.workers,
                        }
                        task = Task(
                            student=sub.student,
                            assignment=sub.assignment,
                            notebooks={k: str(v) for k, v in sub.notebooks.items()},
                            sources=sources,
                            dest=str(dest),
                            digest=sub.digest,
                        )
                        future = self.client.submit(
                            grade_remote,
                            shared_future,
                            job,
                            key=f"grade-{assignment}-{sub.student}-{uuid.uuid4().hex[:8]}",
                            pure=False,
                        )
                        pending[future] = task
                    done, _ = wait(list(pending), return_when="FIRST_COMPLETED")
                    for future in done:
                        task = pending.pop(future)
                        outcome = self._outcome(future, task)
                        if "refused" in outcome:
                            raise WorkerRefused(
                                f"{outcome['worker']} refuses to grade: the bubblewrap sandbox "
                                f"is not available there ({outcome['refused']}); the run stops "
                                "(a cluster never falls back to weaker isolation): install "
                                "bubblewrap there or stop that worker, then run the same "
                                "command again to resume"
                            )
                        isolation = outcome.get("isolation", REQUIRED_ISOLATION)

                        def save(task=task, outcome=outcome, isolation=isolation):
                            if outcome["notebooks"]:
                                saved = local._finish_result(gb, course, task, outcome, isolation)
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

                        result = retry(save, f"saving {task.student}")
                        res.write_result(course.root, result)
                        bar.advance(result)
                        yield result
            finally:
                if pending:
                    self.client.cancel(list(pending), force=True)
                self.client.cancel([shared_future], force=True)
        finally:
            gb.close()

    def _outcome(self, future, task) -> dict:
        try:
            outcome = future.result()
        except Exception as exc:  # noqa: BLE001 - a task that failed on every worker it met
            detail = terminal_safe(str(exc).strip().splitlines()[0] if str(exc).strip() else "")
            return {
                "student": task.student,
                "status": "error",
                "error": f"{task.student}: grading on Dask failed: {type(exc).__name__}: {detail}",
                "notebooks": [],
                "elapsed_seconds": 0.0,
            }
        if "refused" in outcome:
            outcome["worker"] = _worker_name(outcome.get("worker", "?"), outcome)
        return outcome


def _register(gb: Gradebook, course: Course, sub) -> str | None:
    warning = register_submission(gb, course, sub.assignment, sub.student, sub.directory)
    gb.db.commit()
    gb.db.remove()
    return warning


def backend_from_args(scheduler: str | None, local: int | None) -> DaskBackend | None:
    if scheduler is None and local is None:
        return None
    return DaskBackend(address=scheduler, local=local)
