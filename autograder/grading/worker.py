"""A grading worker process: its pre-started kernel and gradebook, and one submission graded."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from pathlib import Path

import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader import utils as nbgrader_utils

from autograder.files import Budget, copy_folder
from autograder.grading.chain import Chain, course_chain
from autograder.grading.execute import CappedExecute, _mark_unexecuted
from autograder.grading.gradebook import (
    SharedOverwriteCells,
)
from autograder.grading.options import (
    ENV_ROOM,
    ENV_ZYGOTE,
    VERIFY_TIMEOUT,
    GradeOptions,
    NotebookOutcome,
    Task,
)
from autograder.grading.snapshot import without_gradebook
from autograder.grading.untrusted import sanitize_notebook
from autograder.grading.verdict import judge_notebook
from autograder.sandbox import WORKDIR_QUOTA_FILES, DiskWatch, tree_usage, workdir_quota_bytes


def independent_checks(
    student_nb: str,
    source_nb: str,
    timeout: float,
    cell_timeout: float,
    files_from: str,
    room: dict | None = None,
) -> dict | None:
    """Re-run the trusted tests outside the student's kernel.

    Returns ``{grade_id: CellCheck}``, or ``None`` when ``autograder.verify`` is not available
    (then verdicts rest on the kernel run alone and the run says so loudly).
    """
    try:
        from autograder.verify.job import verify_submission
    except ImportError:
        return None
    return verify_submission(
        student_nb,
        source_nb,
        timeout=timeout,
        cell_timeout=cell_timeout,
        files_from=files_from,
        room=room,
    )


_worker: dict = {}


def _worker_init(config, options: GradeOptions, snapshot, scratch_root: str) -> None:
    from multiprocessing.util import Finalize

    # The main process decides when to stop; it terminates workers with SIGTERM.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _worker.update(config=config, options=options, scratch=Path(scratch_root))
    grade_from(snapshot, config)
    _worker["threads"] = ThreadPoolExecutor(max_workers=1)
    _worker["next_kernel"] = None
    Finalize(None, _worker_cleanup, exitpriority=10)
    if options.prestart:
        _prestart_kernel()


def grade_from(snapshot, config) -> None:
    """This worker's trusted cells come from the coordinator's copy: it never opens the gradebook.

    (``OverwriteCells`` and ``OverwriteKernelspec`` of the course's chain read the copy.)
    """
    _worker["gradebook"] = snapshot
    _worker["chain"] = without_gradebook(_course_chain(config))


def _worker_cleanup() -> None:
    kernel = _worker.pop("next_kernel", None)
    if kernel is not None:
        kernel.shutdown()
    zygote = _worker.pop("zygote", None)
    if zygote:
        zygote.close()


def _serve_verification() -> bool:
    """Whether this worker's kernel sandboxes also serve the verification's student side.

    Only with bubblewrap (the kernel sandbox must have a PID namespace of its own, see
    kernel_launcher.py); ``CALCML_VERIFY_ROOM=0`` gives the verification a sandbox of its own.
    """
    if "rooms" not in _worker:
        from autograder.sandbox import BUBBLEWRAP, isolation_method

        _worker["rooms"] = (
            _worker["options"].verify
            and os.environ.get(ENV_ROOM, "1") != "0"
            and isolation_method() == BUBBLEWRAP
        )
    return _worker["rooms"]


def _new_kernel(serve_verification: bool):
    from autograder.grading.kernel import SandboxedKernel

    zygote = _zygote() if serve_verification else None
    arguments = ["--HistoryManager.hist_file=:memory:"]
    if zygote is not None:
        try:
            return SandboxedKernel(
                _worker["scratch"],
                extra_arguments=arguments,
                serve_verification=True,
                zygote=zygote,
            )
        except Exception as error:  # noqa: BLE001 - the usual start-up is always there
            _worker["zygote"] = False
            zygote.close()
            print(
                f"autograder: kernels start without the zygote from now on ({error})",
                file=sys.stderr,
                flush=True,
            )
    return SandboxedKernel(
        _worker["scratch"], extra_arguments=arguments, serve_verification=serve_verification
    )


def _zygote():
    """This worker's kernel zygote, started at first use (``CALCML_ZYGOTE=0``: none)."""
    if "zygote" not in _worker:
        _worker["zygote"] = False
        if os.environ.get(ENV_ZYGOTE, "1") != "0":
            from autograder.grading.kernel import Zygote

            try:
                _worker["zygote"] = Zygote(_worker["scratch"])
            except OSError as error:
                print(f"autograder: no kernel zygote ({error})", file=sys.stderr, flush=True)
    return _worker["zygote"] or None


def _prestart_kernel() -> None:
    try:
        _worker["next_kernel"] = _new_kernel(_serve_verification())
    except Exception:  # noqa: BLE001 - a failed pre-start is retried when the kernel is needed
        _worker["next_kernel"] = None


def _take_kernel(prestart_next: bool = True):
    kernel = _worker.get("next_kernel")
    _worker["next_kernel"] = None
    if kernel is None:
        kernel = _new_kernel(_serve_verification())
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
    """The course's configured autograde chain, with the grader's steps in (see autograder.grading.chain)."""
    return course_chain(config, execute=CappedExecute)


def _run(preprocessors, nb, resources, config):
    """Run worker steps in order; ``OverwriteCells`` reads the run's copy of the trusted cells."""
    for cls in preprocessors:
        if issubclass(cls, SharedOverwriteCells):
            step = cls(config=config)
            step.shared = _worker["gradebook"]
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
    chain: Chain = _worker["chain"]
    nb, resources = _run(chain.sanitize + chain.before_execute, nb, resources, config)

    kernel = _take_kernel(task.prestart_next)
    verification = None
    if options.verify:
        # The verification does not depend on the kernel run. When the kernel's sandbox serves
        # its student side, the kernel starts only after it (the gate below); otherwise both run
        # at once.
        verification = _worker["threads"].submit(
            independent_checks,
            path,
            task.sources[name],
            timeout=max(options.notebook_timeout, VERIFY_TIMEOUT),
            cell_timeout=float(config.Execute.timeout),
            # The same files as the kernel's folder gets (autograded/<student>/<assignment>/).
            files_from=task.dest,
            room=kernel.verification_room(),
        )
    status, error = "graded", None
    try:
        if kernel.room is not None:
            kernel = _through_the_gate(kernel, verification)
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
        except Exception as problem:  # noqa: BLE001 - nbclient failed on what the kernel sent
            # (CappedExecute drops the malformed messages it can recognise; this is the rest.)
            status = "kernel-died"
            error = (
                f"{task.student}: the kernel sent a message the grader cannot read while running "
                f"{name}.ipynb ({type(problem).__name__}); the kernel was stopped"
            )
            running = getattr(executor, "_running_cell", None)
            if isinstance(running, int) and 0 <= running < len(nb.cells):
                nb.cells[running].execution_count = None  # that cell did not finish
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
    nb, resources = _run(chain.after_execute, nb, resources, config)

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


def _through_the_gate(kernel, verification):
    """Wait for the verification to end, then start the kernel; a fresh one if it will not start."""
    if verification is not None:
        wait_for([verification])
    if kernel.open_gate():
        return kernel
    # The student's side of the verification killed or stopped the kernel's process.
    kernel.shutdown()
    return _new_kernel(False)


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
    from autograder.verify.job import contract_functions

    return list(contract_functions(source_nb))


def _judge(nb, checks, verify_error, source_nb):
    """Make the graded notebook inert, then give each test cell its points (see autograder.grading.verdict).

    ``checks`` is None only when the verification is switched off (the kernel verdict stands).
    """
    sanitize_notebook(nb)
    return judge_notebook(
        nb, checks, verify_error, _contract_functions(source_nb), verify_on=checks is not None
    )


def _sandbox_quota() -> Budget:
    return Budget(workdir_quota_bytes(), WORKDIR_QUOTA_FILES)
