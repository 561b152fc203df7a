"""Command line of the grader: ``python -m autograder [--course-dir DIR] COMMAND ...``.

Commands:
  grade <assignment>     grade every submission into the gradebook and autograded/ (in parallel,
                         sandboxed), write reports/<assignment>/grades.csv and per-student JSON
  report <assignment>    item analysis of the class (HTML + CSV)
  feedback <assignment>  per-student feedback HTML without hidden test code
  selfcheck <assignment> grade your own work locally (self-study learners)
  validate <notebook>    run a notebook's visible tests as nbgrader validate does; exit 1 on failure
  release [assignment]   regenerate release/ from source/ without losing the old one on failure

``report``, ``feedback``, ``selfcheck``, ``validate`` and ``release`` live in their own modules, imported only when used.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

# Subcommands implemented in other modules: name -> (module, one-line help).
EXTERNAL_COMMANDS = {
    "report": (
        "autograder.reports.report",
        "item analysis of an assignment (HTML page, PNG plots, CSV)",
    ),
    "feedback": (
        "autograder.reports.feedback",
        "per-student feedback HTML (hidden tests never shown)",
    ),
    "selfcheck": ("autograder.grading.selfcheck", "grade your own work locally and see a score"),
    "validate": (
        "autograder.authoring.validate",
        "run a notebook's tests; exit status 1 when one fails",
    ),
    "release": (
        "autograder.authoring.release",
        "regenerate release/ from source/ (nbgrader, safely)",
    ),
}


def add_grade_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("assignment", help="assignment name, e.g. ps1_derivatives")
    parser.add_argument(
        "--workers",
        type=_positive_int,
        default=None,
        help="parallel grading workers (default: the number of cores)",
    )
    parser.add_argument(
        "--force", action="store_true", help="regrade submissions that are already graded"
    )
    cluster = parser.add_mutually_exclusive_group()
    cluster.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="grade on the workers of this Dask scheduler (e.g. tcp://grader1:8786); the "
        "gradebook, autograded/ and the reports are still written here only",
    )
    cluster.add_argument(
        "--dask-local",
        type=_positive_int,
        default=None,
        metavar="N",
        help="grade on a Dask cluster of N worker processes started on this machine",
    )
    parser.add_argument(
        "--student",
        action="append",
        dest="students",
        metavar="ID",
        help="grade only this student (repeatable)",
    )
    parser.add_argument(
        "--cell-timeout",
        type=_positive_int,
        default=None,
        help="seconds per cell before it is interrupted (default: Execute.timeout of the config)",
    )
    parser.add_argument(
        "--notebook-timeout",
        type=float,
        default=None,
        help="seconds per notebook before its kernel is stopped (default: 300)",
    )
    parser.add_argument(
        "--disk-quota",
        type=_positive_int,
        default=None,
        metavar="MIB",
        help="MiB a submission may write into its working folder before its kernel is stopped "
        "(default: 512, or $CALCML_WORKDIR_QUOTA_MB)",
    )
    parser.add_argument(
        "--no-progress", action="store_true", help="no progress lines and no summary table"
    )
    parser.add_argument(
        "--no-verify",
        action="store_true",
        help="skip the independent re-run of the tests (verdicts then rest on the kernel alone)",
    )


def run_grade(args: argparse.Namespace) -> int:
    from autograder.grading.gradebook import CourseError
    from autograder.grading.options import DEFAULT_NOTEBOOK_TIMEOUT, GradeOptions
    from autograder.grading.progress import exit_status
    from autograder.grading.run import grade_assignment

    # Ctrl-C (or SIGTERM) stops a run cleanly even when started with SIGINT ignored
    # (a background job): what was saved stays saved, the next run resumes.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    if args.disk_quota is not None:
        # Through the environment, so that workers and verification processes all see it.
        from autograder.sandbox import ENV_QUOTA

        os.environ[ENV_QUOTA] = str(args.disk_quota)
    options = GradeOptions(
        cell_timeout=args.cell_timeout,
        notebook_timeout=args.notebook_timeout or DEFAULT_NOTEBOOK_TIMEOUT,
        verify=not args.no_verify,
    )
    backend = None
    if args.scheduler is not None or args.dask_local is not None:
        if args.workers is not None:
            raise CourseError("--workers is for the local pool: a Dask cluster has its own workers")
        from autograder.grading.cluster import DaskBackend

        backend = DaskBackend(address=args.scheduler, local=args.dask_local)
    try:
        results = grade_assignment(
            Path(args.course_dir),
            args.assignment,
            workers=args.workers,
            force=args.force,
            students=args.students,
            progress=not args.no_progress,
            options=options,
            backend=backend,
        )
    finally:
        if backend is not None:
            backend.close()
    if args.students and len(results) < len(set(args.students)):
        return 1
    return exit_status(results)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def build_parser(load_external: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m autograder",
        description="Grade the course's nbgrader assignments: parallel, sandboxed, with reports.",
    )
    parser.add_argument(
        "--course-dir",
        default=".",
        help="course root holding nbgrader_config.py (default: the current directory)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    grade = sub.add_parser(
        "grade",
        help="grade every submission of an assignment (parallel, sandboxed, resumable)",
        description=(
            "Grade submitted/*/ASSIGNMENT/ into the gradebook and autograded/ as nbgrader "
            "autograde does, in parallel sandboxed kernels; write reports/ASSIGNMENT/grades.csv "
            "and reports/ASSIGNMENT/results/STUDENT.json. Already graded, unchanged submissions "
            "are skipped unless --force. Exit status 1 if some submission could not be graded."
        ),
        epilog=(
            "environment: CALCML_SANDBOX=rlimits forces the fallback without bubblewrap; "
            "CALCML_SANDBOX_USER names its unprivileged user (default nobody); "
            "CALCML_SANDBOX_ALLOW_ROOT=1 lets it run submissions as root when it cannot switch "
            "users; CALCML_WORKDIR_QUOTA_MB is the default of --disk-quota; "
            "CALCML_VERIFY_FORKSERVER=0 starts each verification in a fresh process; "
            "CALCML_VERIFY_ROOM=0 gives the verification's student side a sandbox of its own "
            "instead of the kernel's."
        ),
    )
    add_grade_arguments(grade)
    grade.set_defaults(handler=run_grade)
    for name, (module_name, help_text) in EXTERNAL_COMMANDS.items():
        command = sub.add_parser(name, help=help_text)
        if name == load_external:
            module = importlib.import_module(module_name)
            module.add_arguments(command)
            command.set_defaults(handler=module.run)
        else:
            command.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    from autograder.grading.gradebook import CourseError

    argv = list(sys.argv[1:] if argv is None else argv)
    # Import report/feedback/selfcheck only when that command is used.
    external = next((a for a in argv if a in EXTERNAL_COMMANDS), None)
    try:
        parser = build_parser(load_external=external)
    except ImportError as exc:
        print(f"error: the '{external}' command is not available: {exc}", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except CourseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: run the same command again to resume", file=sys.stderr)
        return 130
