"""Per-student feedback pages: ``python -m autograder feedback <assignment>``.

For every result file ``reports/<assignment>/results/<student>.json`` this writes
``feedback/<student>/<assignment>/<notebook>.html``, nbgrader's own feedback layout, together with
the ``timestamp.txt`` and ``submission_secret.txt`` of the submission, so that
``nbgrader release_feedback`` can hand the pages out.

A page shows the score, each graded function with its verdict, the failure message and the
misconception hints, the manually graded items, and the student's own answers (the answer cells of
their submitted notebook). It never shows test code: no test cell is rendered, and as a second line
of defence every message is checked against the hidden-test source of the instructor's notebook and
any line of it is redacted.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import sys
from pathlib import Path

from autograder.grading.untrusted import terminal_safe
from autograder.grading.verdict import NOT_WRITTEN, OUTCOME_WORDS, PASSED, cell_tags, outcome_of
from autograder.reports import hand_grades, misconceptions
from autograder.reports.analysis import SCORED_STATUSES, ResultsError, load_results
from autograder.reports.pages import page_head

HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"
REDACTED = "[hidden test code removed]"
#: Marks our pages, to tell them from those of ``nbgrader generate_feedback`` at the same path.
GENERATOR = "calcml-autograder-feedback"
#: Hidden-test lines shorter than this are too generic to redact (``pass``, ``)``...).
MIN_REDACT_LENGTH = 8
#: In a student's own answer only whole hidden lines at least this long are redacted.
WHOLE_LINE_MIN = 20


def _cell_source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def hidden_test_lines(source_nb: Path) -> set[str]:
    """The stripped lines between the hidden-test markers of the instructor's notebook."""
    if not source_nb.is_file():
        return set()
    try:
        nb = json.loads(source_nb.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsError(f"{source_nb}: cannot read the instructor notebook ({exc})") from exc
    lines: set[str] = set()
    for cell in nb.get("cells", []):
        inside = False
        for line in _cell_source(cell).splitlines():
            stripped = line.strip()
            if stripped.startswith(HIDDEN_BEGIN):
                inside = True
            elif stripped.startswith(HIDDEN_END):
                inside = False
            elif inside and len(stripped) >= MIN_REDACT_LENGTH:
                lines.add(stripped)
    return lines


def redact(text: str, hidden: set[str], *, whole_lines: bool = False) -> str:
    """``text`` with every line that holds hidden-test code (or its markers) replaced.

    Messages are checked for hidden lines anywhere inside them. A student's own code is checked
    only for whole, distinctive lines (``whole_lines``): short lines such as ``return T`` are
    common to tests and answers alike and belong to the student.
    """
    out = []
    for line in (text or "").splitlines():
        stripped = line.strip()
        if whole_lines:
            leak = stripped in hidden and len(stripped) >= WHOLE_LINE_MIN
        else:
            leak = bool(stripped) and any(h in line for h in hidden)
        out.append(REDACTED if leak or "HIDDEN TESTS" in line else line)
    return "\n".join(out)


def clean_message(message: str, hidden: set[str]) -> str:
    """The failure message for a student: tags taken out (shown separately), hidden code redacted."""
    return redact(misconceptions.strip_tag_text(message), hidden)


def tag_hint(tag: str) -> str:
    """The curated sentence for a tag, with where to read up (see autograder.reports.misconceptions)."""
    entry = misconceptions.hint(tag)
    if entry is None:
        return tag.replace("-", " ")
    return f"{entry.sentence} (See {entry.where}.)"


def manual_state(item: dict) -> str:
    """How a hand-graded answer stands: awaiting grading, no answer, or its score."""
    if item.get("needs_manual_grade") or item.get("score") is None:
        return "awaiting grading by your instructor"
    score = float(item["score"])
    if score == 0:
        return "no answer was written: 0 points"
    return f"{score:g} points"


def student_answers(notebook: Path) -> list[tuple[str, str, str]]:
    """``(grade_id, cell_type, source)`` of the answer cells of the student's own notebook."""
    if not notebook.is_file():
        return []
    try:
        nb = json.loads(notebook.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return []
    if not isinstance(nb, dict):
        return []
    answers = []
    for cell in nb.get("cells", []):
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        if meta.get("solution"):  # autograded answers and hand-graded written answers
            answers.append(
                (str(meta.get("grade_id", "")), cell.get("cell_type", "code"), _cell_source(cell))
            )
    return answers


STYLE = """
body { font-family: system-ui, sans-serif; max-width: 52em; margin: 2em auto; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; width: 100%; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
.pass { color: #1a7f37; font-weight: bold; }
.fail { color: #b42318; font-weight: bold; }
.todo { color: #6b4e00; font-weight: bold; }
pre { background: #f6f8fa; padding: 0.6em; overflow-x: auto; white-space: pre-wrap; }
.hint { font-style: italic; }
"""


def render_feedback(result: dict, answers: list[tuple[str, str, str]], hidden: set[str]) -> str:
    student = html.escape(str(result["student"]))
    assignment = html.escape(str(result["assignment"]))
    parts = [
        page_head(f"Feedback: {result['assignment']} ({result['student']})", STYLE),
        f"<meta name='generator' content='{GENERATOR}'>",
        f"<h1>Feedback on {assignment}</h1>",
        f"<p>Student: <b>{student}</b></p>",
    ]
    status = result["status"]
    if status not in SCORED_STATUSES or not result.get("cells"):
        error = clean_message(result.get("error") or "", hidden)
        parts.append(
            f"<p class='fail'>Your submission could not be graded ({html.escape(status)}).</p>"
            f"<pre>{html.escape(error)}</pre>"
        )
    else:
        parts.append(
            f"<p>Score: <b>{float(result['score']):g} / {float(result['max_score']):g}</b></p>"
        )
        if status != "graded":
            parts.append(
                f"<p class='fail'>Grading stopped early: {html.escape(status)}. "
                f"{html.escape(clean_message(result.get('error') or '', hidden))}</p>"
            )
        parts.append(
            "<h2>Tests</h2><table><thead><tr><th>test</th><th>function</th><th>points</th>"
            "<th>result</th><th>what went wrong</th></tr></thead><tbody>"
        )
        for cell in result["cells"]:
            outcome = outcome_of(cell)
            detail = ""
            if outcome != PASSED:
                message = clean_message(cell.get("message") or "", hidden)
                detail = f"<pre>{html.escape(message)}</pre>" if message else ""
                detail += "".join(
                    f"<p class='hint'>Likely misconception: {html.escape(tag_hint(t))}</p>"
                    for t in cell_tags(cell)
                )
            if cell.get("flagged"):
                detail += "<p>Flagged for review by your instructor.</p>"
            css = "pass" if outcome == PASSED else "todo" if outcome == NOT_WRITTEN else "fail"
            verdict = f"<span class='{css}'>{OUTCOME_WORDS[outcome]}</span>"
            parts.append(
                f"<tr><td>{html.escape(str(cell['grade_id']))}</td><td>{html.escape(str(cell.get('function') or ''))}</td>"
                f"<td>{float(cell['points']):g} / {float(cell['max_points']):g}</td><td>{verdict}</td><td>{detail}</td></tr>"
            )
        parts.append("</tbody></table>")
    manual = result.get("manual") or []
    if manual:
        parts.append("<h2>Graded by hand</h2><ul>")
        for item in manual:
            state = manual_state(item)
            parts.append(
                f"<li>{html.escape(str(item.get('grade_id')))} ({float(item.get('max_points') or 0):g} points): {state}</li>"
            )
        parts.append("</ul>")
    parts.append("<h2>Your answers</h2>")
    if answers:
        for grade_id, _cell_type, source in answers:
            label = f"<h3>{html.escape(grade_id)}</h3>" if grade_id else ""
            parts.append(
                f"{label}<pre>{html.escape(redact(source, hidden, whole_lines=True))}</pre>"
            )
    else:
        parts.append("<p>Your notebook could not be read, so your answers are not shown here.</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def notebook_name(course_dir: Path, assignment: str, student: str) -> str:
    """The name of the assignment's notebook (``<assignment>`` by the course's rule)."""
    source = sorted((course_dir / "source" / assignment).glob("*.ipynb"))
    if len(source) == 1:
        return source[0].stem
    return assignment


def write_feedback(
    course_dir: Path,
    assignment: str,
    students: list[str] | None = None,
    errors: list[str] | None = None,
    replaced: list[str] | None = None,
) -> list[Path]:
    """Write the feedback page of every graded student (or of ``students``); return the paths.

    A result that cannot get a page (its student id is no usable folder name) is reported in
    ``errors`` and the others are written; without an ``errors`` list it raises ResultsError.
    Students whose page had been written by ``nbgrader generate_feedback`` go into ``replaced``.
    """
    course_dir = Path(course_dir)
    results = load_results(course_dir, assignment)
    if students:
        known = {r["student"] for r in results}
        unknown = [s for s in students if s not in known]
        if unknown:
            raise ResultsError(
                f"no result for student(s) {', '.join(unknown)} in assignment {assignment!r}"
            )
        results = [r for r in results if r["student"] in students]
    notebook = notebook_name(course_dir, assignment, "")
    results = hand_grades.with_hand_grades(course_dir, assignment, notebook, results)
    hidden = hidden_test_lines(course_dir / "source" / assignment / f"{notebook}.ipynb")
    written = []
    for result in results:
        student = str(result["student"])
        if not re.fullmatch(r"[A-Za-z0-9_.@+-]+", student) or student.startswith("."):
            problem = f"{student}: no feedback page, the student id is not a usable folder name"
            if errors is None:
                raise ResultsError(problem)
            errors.append(problem)
            continue
        submitted = course_dir / "submitted" / student / assignment
        answers = student_answers(submitted / f"{notebook}.ipynb")
        result = with_hand_grades(course_dir, assignment, notebook, result)
        out_dir = course_dir / "feedback" / student / assignment
        out_dir.mkdir(parents=True, exist_ok=True)
        page = out_dir / f"{notebook}.html"
        if replaced is not None and page.is_file() and GENERATOR not in _head(page):
            replaced.append(student)
        page.write_text(render_feedback(result, answers, hidden), encoding="utf-8")
        for name in ("timestamp.txt", "submission_secret.txt"):
            for folder in (course_dir / "autograded" / student / assignment, submitted):
                if (folder / name).is_file():
                    shutil.copyfile(folder / name, out_dir / name)
                    break
        written.append(page)
    return written


def with_hand_grades(course_dir: Path, assignment: str, notebook: str, result: dict) -> dict:
    """``result`` with each hand-graded item's state read from the gradebook now.

    The result file was written at autograding time, before anyone graded by hand; feedback comes
    after. Without a readable course gradebook the result's own state is kept.
    """
    manual = result.get("manual") or []
    if not manual:
        return result
    try:
        from nbgrader.api import Gradebook

        from autograder.grading.gradebook import load_course

        course = load_course(course_dir)
        with Gradebook(course.db_url, course.coursedir.course_id) as gb:
            items = []
            for item in manual:
                grade = gb.find_grade(item["grade_id"], notebook, assignment, result["student"])
                items.append(
                    dict(item, needs_manual_grade=bool(grade.needs_manual_grade), score=grade.score)
                )
    except Exception:  # noqa: BLE001 - no course config or gradebook here: keep what we have
        return result
    return dict(result, manual=items)


def _head(page: Path) -> str:
    with page.open("rb") as handle:
        return handle.read(4096).decode("utf-8", "replace")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("assignment", help="assignment name, e.g. ps1_derivatives")
    parser.add_argument(
        "--student", action="append", dest="students", help="only this student (repeatable)"
    )


def run(args: argparse.Namespace) -> int:
    course_dir = Path(getattr(args, "course_dir", None) or ".")
    errors: list[str] = []
    replaced: list[str] = []
    try:
        pages = write_feedback(
            course_dir,
            args.assignment,
            getattr(args, "students", None),
            errors=errors,
            replaced=replaced,
        )
    except ResultsError as exc:
        print(f"feedback: error: {exc}", file=sys.stderr)
        return 1
    for problem in errors:
        print(f"feedback: error: {terminal_safe(problem)}", file=sys.stderr)
    if replaced:
        print(
            f"feedback: replaced the page nbgrader generate_feedback had written for "
            f"{len(replaced)} student(s) (both are safe and show the same verdicts)"
        )
    print(f"feedback: wrote {len(pages)} page(s) under {course_dir / 'feedback'}")
    return 1 if errors else 0
