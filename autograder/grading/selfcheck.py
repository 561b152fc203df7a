"""Grade your own work: ``python -m autograder selfcheck <assignment> [notebook]``.

For self-study learners. The notebook (default ``release/<assignment>/<assignment>.ipynb``) is
graded with the hidden tests of ``source/<assignment>/`` by the instructor's grader itself
(:func:`autograder.grading.run.grade_assignment`, same sandbox, same verification), but on a temporary
copy of the course with its own temporary gradebook: the course's ``gradebook.db``,
``submitted/``, ``autograded/`` and ``reports/`` are never touched. It prints the score and, per
function, what failed, the failure messages and misconception hints, never the hidden test code.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

from autograder.grading.untrusted import terminal_safe
from autograder.grading.verdict import NOT_WRITTEN, PARTIAL, PASSED, cell_tags, outcome_of
from autograder.reports.feedback import clean_message, hidden_test_lines, manual_state, tag_hint
from autograder.reports.results import GRADED_STATUSES

#: The student id the learner's copy is graded under inside the temporary course.
SELF_STUDENT = "selfcheck"


class SelfCheckError(Exception):
    """The self-check cannot run; the message names the file and the problem."""


def _check_notebook_file(path: Path) -> None:
    if not path.is_file():
        raise SelfCheckError(f"{path}: no such notebook")
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise SelfCheckError(f"{path}: not a notebook (not UTF-8 text: {exc.reason})") from exc
    except json.JSONDecodeError as exc:
        raise SelfCheckError(
            f"{path}: not a notebook (corrupt JSON: {exc.msg} at line {exc.lineno})"
        ) from exc
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise SelfCheckError(f"{path}: not a notebook in nbformat 4 (no list of cells)")


@contextlib.contextmanager
def _captured_fds(path: Path):
    """Send this process's (and its children's) stdout and stderr to ``path`` for the duration."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with open(path, "wb") as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                yield path
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def prepare_course(course_dir: Path, assignment: str, notebook: Path, scratch: Path) -> Path:
    """A minimal copy of the course in ``scratch`` with ``notebook`` as the only submission."""
    source = course_dir / "source" / assignment
    if not source.is_dir():
        raise SelfCheckError(
            f"{source}: no such assignment (expected the instructor folder with hidden tests)"
        )
    config = course_dir / "nbgrader_config.py"
    if not config.is_file():
        raise SelfCheckError(
            f"{config}: missing (run selfcheck from the course folder or pass --course-dir)"
        )
    names = sorted(p.stem for p in source.glob("*.ipynb"))
    if len(names) != 1:
        raise SelfCheckError(f"{source}: expected exactly one notebook, found {len(names)}")
    course = scratch / "course"
    course.mkdir()
    # The course's own settings, then a private gradebook and root that win over them.
    db = course / "gradebook.db"
    (course / "nbgrader_config.py").write_text(
        config.read_text(encoding="utf-8")
        + "\n# selfcheck: a throw-away gradebook in a temporary copy of the course\n"
        + f"c.CourseDirectory.root = {str(course)!r}\n"
        + f"c.CourseDirectory.db_url = {'sqlite:///' + str(db)!r}\n",
        encoding="utf-8",
    )
    shutil.copytree(
        source, course / "source" / assignment, ignore=shutil.ignore_patterns(".ipynb_checkpoints")
    )
    env = dict(os.environ)
    env["JUPYTER_CONFIG_DIR"] = str(scratch / "jupyter-config")
    # nbgrader runs `alembic` by name: make the tools next to this interpreter findable.
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "nbgrader",
            "generate_assignment",
            assignment,
            "--force",
            "--log-level=ERROR",
        ],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise SelfCheckError(
            f"{source / (names[0] + '.ipynb')}: nbgrader generate_assignment failed: {proc.stderr.strip()[-400:]}"
        )
    submitted = course / "submitted" / SELF_STUDENT / assignment
    submitted.mkdir(parents=True)
    shutil.copyfile(notebook, submitted / f"{names[0]}.ipynb")
    return course


def format_result(result: dict, hidden: set[str]) -> str:
    """The learner-facing report: score, then one block per graded function."""
    lines = []
    status = result.get("status")
    if status not in GRADED_STATUSES or not result.get("cells"):
        error = clean_message(result.get("error") or "", hidden).replace(f"{SELF_STUDENT}: ", "")
        lines.append(f"Your notebook could not be graded ({status}): {error}")
        return "\n".join(lines)
    auto_max = sum(float(c["max_points"]) for c in result["cells"])
    auto_score = sum(float(c["points"]) for c in result["cells"])
    waiting = [m for m in result.get("manual") or [] if m.get("needs_manual_grade")]
    by_hand = sum(float(m.get("max_points") or 0) for m in waiting)
    score_line = f"Score: {float(result['score']):g} / {float(result['max_score']):g}"
    if by_hand:
        names = ", ".join(str(m.get("grade_id")) for m in waiting)
        score_line += (
            f"  (automatic tests {auto_score:g} / {auto_max:g}; self-check cannot score the"
            f" {by_hand:g} point(s) of {names}: they are graded by hand)"
        )
    lines.append(score_line)
    if status != "graded":
        lines.append(
            f"Grading stopped early ({status}): {clean_message(result.get('error') or '', hidden)}"
        )
    lines.append("")
    marks = {PASSED: "PASS", PARTIAL: "PART", NOT_WRITTEN: "TODO"}
    for cell in result["cells"]:
        outcome = outcome_of(cell)
        name = cell.get("function") or cell["grade_id"]
        lines.append(
            f"[{marks.get(outcome, 'FAIL')}] {name}  ({cell['grade_id']}: {float(cell['points']):g} / {float(cell['max_points']):g})"
        )
        if outcome != PASSED:
            message = clean_message(cell.get("message") or "", hidden)
            for text in message.splitlines() or ["(no message)"]:
                lines.append(f"       {text}")
            for tag in cell_tags(cell):
                lines.append(f"       hint: likely misconception: {tag_hint(tag)}")
    for item in result.get("manual") or []:
        lines.append(
            f"[----] {item.get('grade_id')}  ({float(item.get('max_points') or 0):g} points, graded by hand: {manual_state(item)})"
        )
    return "\n".join(terminal_safe(line) for line in lines)


def selfcheck(
    course_dir: Path, assignment: str, notebook: Path | None = None, keep: bool = False
) -> tuple[dict, str]:
    """Grade ``notebook`` in a temporary course; return the result dict and the printed report."""
    from autograder.grading.run import grade_assignment

    course_dir = Path(course_dir).resolve()
    notebook = (
        Path(notebook) if notebook else course_dir / "release" / assignment / f"{assignment}.ipynb"
    )
    _check_notebook_file(notebook)
    scratch = Path(tempfile.mkdtemp(prefix="calcml-selfcheck-"))
    try:
        course = prepare_course(course_dir, assignment, notebook.resolve(), scratch)
        log = io.StringIO()
        # The grader's kernels and libraries write start-up notes to the terminal: keep them in a
        # log file (shown only if grading fails) so the learner sees the report alone.
        with _captured_fds(scratch / "grader-output.txt") as captured:
            results = grade_assignment(
                course,
                assignment,
                workers=1,
                force=True,
                students=[SELF_STUDENT],
                progress=False,
                stream=log,
            )
        if len(results) != 1:
            tail = (log.getvalue() + captured.read_text(errors="replace")).strip()[-400:]
            raise SelfCheckError(f"{notebook}: the grader returned no result ({tail})")
        result = results[0]
        hidden = hidden_test_lines(course_dir / "source" / assignment / f"{assignment}.ipynb")
        text = format_result(result, hidden)
        isolation = result.get("isolation") or "unknown"
        header = f"selfcheck {assignment}: {notebook}\n(graded with the hidden tests in a {isolation} sandbox; nothing in the course was changed)\n"
        return result, header + text
    finally:
        if keep:
            print(f"selfcheck: temporary course kept in {scratch}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("assignment", help="assignment name, e.g. ps1_derivatives")
    parser.add_argument(
        "notebook",
        nargs="?",
        type=Path,
        default=None,
        help="your notebook (default: release/ASSIGNMENT/ASSIGNMENT.ipynb)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary course for inspection"
    )


def run(args: argparse.Namespace) -> int:
    from autograder.grading.gradebook import CourseError

    course_dir = Path(getattr(args, "course_dir", None) or ".")
    try:
        result, text = selfcheck(course_dir, args.assignment, args.notebook, keep=args.keep)
    except (SelfCheckError, CourseError) as exc:
        print(f"selfcheck: error: {exc}", file=sys.stderr)
        return 1
    print(text)
    graded = result.get("status") in GRADED_STATUSES and result.get("cells")
    return 0 if graded else 1
