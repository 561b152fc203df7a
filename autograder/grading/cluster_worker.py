"""The worker side of grading on Dask (:mod:`autograder.grading.cluster`): what a task carries
and what runs inside a Dask worker process.

A task carries everything as bytes (the submission's notebooks and the files of its prepared
folder, the source notebooks) plus a :class:`~autograder.grading.snapshot.GradebookSnapshot` of the assignment's trusted cells,
so a worker needs neither a shared file system nor access to the gradebook. It grades with the
local pool's own code (:mod:`autograder.grading.worker`: sandboxed kernel, limits, out-of-kernel
verification, verdict) on one long-lived thread per worker process (the sandbox ties the lives
of its processes to the thread that started them), and refuses when bubblewrap is not usable.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

from autograder.grading.options import Task

PACKAGE = Path(__file__).resolve().parents[1]  # the whole autograder package
# Environment settings of the coordinator that the workers' sandboxes must share.
FORWARDED_ENV = ("CALCML_WORKDIR_QUOTA_MB",)
REQUIRED_ISOLATION = "bubblewrap"


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
        scratch=scratch / "kernels",
        threads=ThreadPoolExecutor(max_workers=1),
        next_kernel=None,
    )
    worker.grade_from(shared["snapshot"], shared["config"])
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
