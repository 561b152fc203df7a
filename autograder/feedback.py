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

from autograder.hand_grades import with_hand_grades
from autograder.report import (
    SCORED_STATUSES,
    TAG_PATTERN,
    ResultsError,
    cell_passed,
    load_results,
)

HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"
REDACTED = "[hidden test code removed]"
#: Hidden-test lines shorter than this are too generic to redact (``pass``, ``)``...).
MIN_REDACT_LENGTH = 8
#: In a student's own answer only whole hidden lines at least this long are redacted.
WHOLE_LINE_MIN = 20


def tags_in(message: str) -> list[str]:
    """Misconception tags written into a failure message as ``[tag: name]``."""
    return TAG_PATTERN.findall(message or "")


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
    return redact(TAG_PATTERN.sub("", message or "").strip(), hidden)


def tag_hint(tag: str) -> str:
    """A readable hint from a tag name (``forward-difference`` → ``forward difference``)."""
    return tag.replace("-", " ")


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
pre { background: #f6f8fa; padding: 0.6em; overflow-x: auto; white-space: pre-wrap; }
.hint { font-style: italic; }
"""


def render_feedback(result: dict, answers: list[tuple[str, str, str]], hidden: set[str]) -> str:
    student = html.escape(str(result["student"]))
    assignment = html.escape(str(result["assignment"]))
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Feedback: {assignment} ({student})</title><style>{STYLE}</style></head><body>",
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
            passed = cell_passed(cell)
            tags = cell.get("tags") or tags_in(cell.get("message") or "")
            detail = ""
            if not passed:
                message = clean_message(cell.get("message") or "", hidden)
                detail = f"<pre>{html.escape(message)}</pre>" if message else ""
                if tags:
                    detail += "".join(
                        f"<p class='hint'>Likely misconception: {html.escape(tag_hint(t))}</p>"
                        for t in tags
                    )
            if cell.get("flagged"):
                detail += "<p>Flagged for review by your instructor.</p>"
            verdict = (
                "<span class='pass'>passed</span>" if passed else "<span class='fail'>failed</span>"
            )
            parts.append(
                f"<tr><td>{html.escape(str(cell['grade_id']))}</td><td>{html.escape(str(cell.get('function') or ''))}</td>"
                f"<td>{float(cell['points']):g} / {float(cell['max_points']):g}</td><td>{verdict}</td><td>{detail}</td></tr>"
            )
        parts.append("</tbody></table>")
    manual = result.get("manual") or []
    if manual:
        parts.append("<h2>Graded by hand</h2><ul>")
        for item in manual:
            state = "waiting for your instructor" if item.get("needs_manual_grade") else "graded"
            if item.get("points") is not None:
                state = f"{float(item['points']):g} points given by your instructor"
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
) -> list[Path]:
    """Write the feedback page of every graded student (or of ``students``); return the paths.

    A result that cannot get a page (its student id is no usable folder name) is reported in
    ``errors`` and the others are written; without an ``errors`` list it raises ResultsError.
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
    results = with_hand_grades(course_dir, assignment, notebook, results)
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
        out_dir = course_dir / "feedback" / student / assignment
        out_dir.mkdir(parents=True, exist_ok=True)
        page = out_dir / f"{notebook}.html"
        page.write_text(render_feedback(result, answers, hidden), encoding="utf-8")
        for name in ("timestamp.txt", "submission_secret.txt"):
            for folder in (course_dir / "autograded" / student / assignment, submitted):
                if (folder / name).is_file():
                    shutil.copyfile(folder / name, out_dir / name)
                    break
        written.append(page)
    return written


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("assignment", help="assignment name, e.g. ps1_derivatives")
    parser.add_argument(
        "--student", action="append", dest="students", help="only this student (repeatable)"
    )


def run(args: argparse.Namespace) -> int:
    course_dir = Path(getattr(args, "course_dir", None) or ".")
    errors: list[str] = []
    try:
        pages = write_feedback(
            course_dir, args.assignment, getattr(args, "students", None), errors=errors
        )
    except ResultsError as exc:
        print(f"feedback: error: {exc}", file=sys.stderr)
        return 1
    for problem in errors:
        print(f"feedback: error: {problem}", file=sys.stderr)
    print(f"feedback: wrote {len(pages)} page(s) under {course_dir / 'feedback'}")
    return 1 if errors else 0
