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

import logging
import os
import uuid
from pathlib import Path
from typing import TextIO

from nbgrader.api import Gradebook

from autograder.grading.cluster_worker import (
    FORWARDED_ENV,
    REQUIRED_ISOLATION,
    code_digest,
    grade_remote,
    pack_folder,
    probe_worker,
    release_worker,
    warm_worker,
)
from autograder.grading.db_retry import retrying
from autograder.grading.gradebook import Course, CourseError, register_and_commit
from autograder.grading.options import Task
from autograder.grading.snapshot import GradebookSnapshot
from autograder.grading.untrusted import terminal_safe

INSTALL_HINT = "pip install 'dask[distributed]' 'psycopg[binary]' (or the course's `cluster` extra)"


class WorkerRefused(CourseError):
    """A Dask worker cannot grade as the coordinator requires (the message names it)."""


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
                # No statistical profiler (a thread sampling every 10 ms) taking grading CPU.
                dask.config.set(
                    {
                        "distributed.worker.multiprocessing-method": "fork",
                        "distributed.worker.profile.enabled": False,
                        # (Dask's default sets MALLOC_TRIM_THRESHOLD_=65536 in its workers: a
                        # trim after nearly every free, paid by the notebook processing.)
                        "distributed.nanny.pre-spawn-environ": {},
                        # Fewer wake-ups of the idle machinery on a machine that also grades.
                        "distributed.admin.system-monitor.interval": "5s",
                        "distributed.worker.memory.monitor-interval": "1s",
                    }
                )
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

    def run(
        self, course: Course, to_grade: list, sources: dict[str, str], workers, options, _, bar
    ):
        """Grade ``to_grade`` on the cluster; yields each result once it is saved (coordinator).

        The arguments are the local pool's (``workers`` is :attr:`workers`; the isolation is each
        worker's own, checked to be bubblewrap).
        """
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
                            lambda sub=sub: register_and_commit(gb, course, sub),
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
                            return local.save_outcome(gb, course, task, outcome, isolation)

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
