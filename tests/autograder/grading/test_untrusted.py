"""Nothing a student produced runs, or is believed, where a person looks at it.

A hostile submission fills its kernel's outputs with active content of every kind (HTML scripts
and event handlers, JavaScript, SVG, Markdown, widget state, attachments, huge metadata, hundreds
of outputs), and another carries the hidden tests out of its kernel (a hook sees each test
cell's source and prints it, plainly and in base64). The pages people look at are then produced
by the real tools and loaded in headless Chromium: nbgrader's own ``generate_feedback`` (the
command, and formgrader's "Generate Feedback" handler), formgrader's submission view in a real
Jupyter server, and our own feedback and report. No marker script may run, and no hidden test
may appear in any page a student gets. The grader's terminal output and CSV files are checked
for escape sequences and formulas.
"""

from __future__ import annotations

import base64
import csv
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import calcml_grade_cohort as cohort  # loaded by conftest.py
import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.grading.untrusted import BOUNDS, csv_safe, terminal_safe

pytestmark = [pytest.mark.nbgrader, pytest.mark.browser]

ASSIGNMENT = "ps1_derivatives"


def _marker(where: str) -> str:
    return (
        f"window.PWNED=(window.PWNED||'')+'{where};';"
        f"document.documentElement.setAttribute('data-pwned','{where}')"
    )


ACTIVE_OUTPUTS = f"""\
from IPython.display import HTML, SVG, Javascript, Markdown, display

display(HTML("<b>bold</b><script>{_marker("html-script")}</script>"
             "<img src='x' onerror=\\"{_marker("html-onerror")}\\">"
             "<iframe srcdoc=\\"<script>parent.{_marker("iframe")}</script>\\"></iframe>"))
display(Javascript("{_marker("javascript")}"))
display({{"image/svg+xml": "<svg xmlns='http://www.w3.org/2000/svg' onload=\\"{_marker("svg")}\\">"
          "<script>{_marker("svg-script")}</script></svg>", "text/plain": "an svg"}}, raw=True)
display(Markdown("<img src='y' onerror=\\"{_marker("markdown-output")}\\">"))
display({{"application/vnd.jupyter.widget-view+json": {{"model_id": "x", "version_major": 2,
          "version_minor": 0}}, "text/plain": "a widget"}}, raw=True)
display({{"text/plain": "metadata"}}, metadata={{"huge": "m" * 300_000}}, raw=True)
for index in range(300):
    display(index)
"""

# A hook in the kernel sees every cell's source: it prints the test cells' hidden tests.
LEAK_HOOK = """\
import base64

_seen = []


def _leak(info):
    source = info.raw_cell or ""
    if "HIDDEN TESTS" in source:
        _seen.append(source)
        print(source)
        print(base64.b64encode(source.encode()).decode())
    elif _seen:
        print(base64.b64encode(_seen[-1].encode()).decode())


get_ipython().events.register("pre_run_cell", _leak)
"""

# An exception message with terminal escape sequences, shown in a FLAGGED line: the kernel is
# fooled (every check rewritten into `pass`), the trusted check fails with the message.
ANSI_MESSAGE = "\\x1b]0;PWNED-title\\x07\\x1b[2J\\x1b[31mred"


def _hostile_notebook(builder) -> nbformat.NotebookNode:
    nb = builder.insert_before_tests(builder.notebook("honest"), ACTIVE_OUTPUTS)
    nb.metadata["widgets"] = {
        "application/vnd.jupyter.widget-state+json": {
            "state": {"x": {"model_name": "HTMLModel", "state": {"value": "<script>1</script>"}}},
            "version_major": 2,
            "version_minor": 0,
        }
    }
    nb.metadata["huge"] = "h" * 200_000
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "markdown" and meta.get("solution"):
            cell.source = (
                "My answer. <img src='z' onerror=\"" + _marker("markdown-cell") + '">\n\n'
                "![picture](attachment:evil.svg)\n"
            )
            svg = f"<svg xmlns='http://www.w3.org/2000/svg' onload=\"{_marker('attachment')}\"/>"
            cell["attachments"] = {"evil.svg": {"image/svg+xml": svg}}
            cell.metadata["evil"] = "e" * 100_000
    return nb


def _ansi_notebook(builder) -> nbformat.NotebookNode:
    nb = builder.notebook("honest")
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade_id") == "secant_slope":
            cell.source = f"def secant_slope(f, x, h):\n    raise ValueError('{ANSI_MESSAGE}')\n"
    return builder.insert_before_tests(nb, cohort.TRICKS["input-transformer"])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def formgrader_server(course: Path, env: dict[str, str], scratch: Path):
    """A real Jupyter server with nbgrader's formgrader extension, serving ``course``."""
    port, token = _free_port(), secrets.token_hex(16)
    log = (scratch / "server.log").open("wb")
    process = subprocess.Popen(
        [
            str(cohort.BIN / "jupyter"),
            "server",
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={course}",
        ],
        cwd=course,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError((scratch / "server.log").read_text()[-2000:]) from None
                time.sleep(0.2)
        yield base, token
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


@pytest.fixture(scope="module")
def course(tmp_path_factory, jupyter_env, browser):
    root = tmp_path_factory.mktemp("untrusted")
    course = cohort.make_course(root, ASSIGNMENT, jupyter_env)
    builder = cohort.Builder(course, ASSIGNMENT)
    builder.submit("hostile", _hostile_notebook(builder))
    builder.submit("leaker", builder.insert_before_tests(builder.notebook("wrong"), LEAK_HOOK))
    builder.submit("ansi", _ansi_notebook(builder))
    builder.submit("=HYPERLINK(1)", builder.notebook("wrong"))
    graded = cohort.run(
        cohort.grade_command(course, ASSIGNMENT, "--cell-timeout", "10"), course, jupyter_env
    )
    assert graded.returncode == 0, graded.stderr[-3000:]
    stock = cohort.run(
        [str(cohort.BIN / "nbgrader"), "generate_feedback", ASSIGNMENT, "--force"],
        course,
        jupyter_env,
    )
    assert stock.returncode == 0, stock.stderr[-3000:]
    stock_pages = {
        s: (course / "feedback" / s / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
        for s in ("hostile", "leaker")
    }
    with formgrader_server(course, jupyter_env, root) as (base, token):
        # formgrader's own "Generate Feedback" handler, for one student.
        request = urllib.request.Request(
            f"{base}/formgrader/api/assignment/{ASSIGNMENT}/leaker/generate_feedback",
            data=b"",
            method="POST",
            headers={"Authorization": f"token {token}"},
        )
        with urllib.request.urlopen(request, timeout=120) as answer:
            handler = json.loads(answer.read())
        formgrader_page = (
            course / "feedback" / "leaker" / ASSIGNMENT / f"{ASSIGNMENT}.html"
        ).read_text()
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            ids = {
                s: gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, s).id
                for s in ("hostile", "leaker")
            }
        views = {}
        for student, submission in ids.items():
            page = browser.new_page()
            page.goto(f"{base}/formgrader/submissions/{submission}/?token={token}")
            views[student] = _marks(page)
            page.close()
    ours = cohort.run(
        [sys.executable, "-m", "autograder", "--course-dir", str(course), "feedback", ASSIGNMENT],
        course,
        jupyter_env,
    )
    report = cohort.run(
        [sys.executable, "-m", "autograder", "--course-dir", str(course), "report", ASSIGNMENT],
        course,
        jupyter_env,
    )
    assert report.returncode == 0, report.stderr
    # Every page is written; the one refusal is the student id that is no usable folder name.
    assert ours.stderr.strip().splitlines() == [
        "feedback: error: =HYPERLINK(1): no feedback page, the student id is not a usable folder name"
    ], ours.stderr
    return {
        "course": course,
        "graded": graded,
        "stock_pages": stock_pages,
        "handler": handler,
        "formgrader_feedback": formgrader_page,
        "formgrader_views": views,
        "ours": ours,
    }


def _marks(page) -> dict:
    """What a marker script would have left, once every image on the page has loaded or failed."""
    page.wait_for_load_state("load")
    page.wait_for_function("() => Array.from(document.images).every(i => i.complete)")
    return page.evaluate(
        "() => ({pwned: window.PWNED || '', attr: document.documentElement.getAttribute("
        "'data-pwned'), title: document.title, text: document.body.innerText.length})"
    )


def _hidden_sources(course: Path) -> list[str]:
    nb = nbformat.read(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    return [str(c.source) for c in nb.cells if "HIDDEN TESTS" in str(c.source)]


def _leaks(text: str, course: Path) -> list[str]:
    """Hidden-test material found in ``text``: marker lines, distinctive lines, base64."""
    found = [m for m in ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS") if m in text]
    for source in _hidden_sources(course):
        encoded = base64.b64encode(source.encode()).decode()
        if encoded[:40] in text:
            found.append("base64 of a hidden test cell")
        hidden = source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0]
        for line in hidden.splitlines():
            if len(line.strip()) >= 30 and line.strip() in text:
                found.append(line.strip())
    return found


def test_autograded_notebooks_hold_nothing_active_and_are_bounded(course):
    path = course["course"] / "autograded" / "hostile" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(path, 4)
    assert set(nb.metadata) <= {"kernelspec", "language_info"}
    for cell in nb.cells:
        # The markers' code stays in the cells' source (inert there); no output carries it.
        assert "PWNED" not in json.dumps(cell.get("outputs", [])), cell.get("outputs")
        assert "attachments" not in cell
        assert set(cell.metadata) <= {"nbgrader", "calcml"}
        for output in cell.get("outputs", []):
            assert set(output.get("data", {})) <= {"text/plain", "text/html", "image/png"}
            assert set(output.get("metadata", {})) <= {"image/png"}
        assert len(cell.get("outputs", [])) <= BOUNDS["outputs_per_cell"] + 1
        if cell.cell_type == "markdown":
            assert "<img" not in cell.source
    assert path.stat().st_size < 1_000_000


@pytest.mark.parametrize("student", ["hostile", "leaker"])
def test_nbgraders_feedback_command_is_safe(course, student, tmp_path, browser):
    text = course["stock_pages"][student]
    assert _leaks(text, course["course"]) == []
    page = tmp_path / "page.html"
    page.write_text(text)
    view = browser.new_page()
    view.goto(page.as_uri())
    marks = _marks(view)
    view.close()
    assert marks["pwned"] == "" and marks["attr"] is None, marks
    assert marks["text"] > 0


def test_formgraders_generate_feedback_handler_is_safe(course):
    assert course["handler"]["success"], course["handler"]
    assert _leaks(course["formgrader_feedback"], course["course"]) == []


@pytest.mark.parametrize("student", ["hostile", "leaker"])
def test_formgraders_submission_view_runs_no_student_script(course, student):
    marks = course["formgrader_views"][student]
    assert marks["pwned"] == "" and marks["attr"] is None, marks
    assert marks["text"] > 0  # the view did render


def test_our_pages_send_a_strict_policy_and_run_nothing(course, tmp_path, browser):
    root = course["course"]
    pages = [
        root / "feedback" / s / ASSIGNMENT / f"{ASSIGNMENT}.html" for s in ("hostile", "leaker")
    ]
    pages.append(root / "reports" / ASSIGNMENT / "report.html")
    for path in pages:
        text = path.read_text()
        policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', text)
        assert policy, path
        assert "script-src 'none'" in policy.group(1) and "unsafe-inline" not in text
        assert _leaks(text, root) == [], path
        view = browser.new_page()
        view.goto(path.as_uri())
        marks = _marks(view)
        assert marks["pwned"] == "" and marks["attr"] is None, (path, marks)
        # The style is allowed by its hash: the page is laid out as designed.
        assert view.evaluate("getComputedStyle(document.body).maxWidth") != "none"
        view.close()


def test_no_escape_sequence_reaches_the_terminal(course):
    err = course["graded"].stderr
    assert "FLAGGED ansi" in err
    assert "\x1b" not in err and "\x07" not in err
    assert "\\x1b" in err  # shown, as text


def test_csv_cells_never_become_formulas(course):
    path = course["course"] / "reports" / ASSIGNMENT / "grades.csv"
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    students = [row[0] for row in rows[1:]]
    assert "'=HYPERLINK(1)" in students
    assert not any(cell[:1] in "=+-@\t\r" and cell for row in rows[1:] for cell in row)


def test_neutralisers_keep_numbers_and_text_apart():
    assert csv_safe(-1.5) == -1.5 and csv_safe("-1.5") == "'-1.5" and csv_safe("ok") == "ok"
    assert terminal_safe("a\x1b[2Jb\x9b\tc\n") == "a\\x1b[2Jb\\x9b\\x09c\n"


def test_the_policy_itself_stops_a_script_that_slipped_into_our_page(tmp_path, browser):
    """Should escaping ever fail, the page's Content-Security-Policy still runs nothing."""
    from autograder.reports.feedback import STYLE
    from autograder.reports.pages import page_head

    page = tmp_path / "page.html"
    page.write_text(
        page_head("policy check", STYLE)
        + f"<p>text</p><script>{_marker('inline')}</script>"
        + f"<img src='nothing.png' onerror=\"{_marker('onerror')}\">"
        + f"<a id='link' href=\"javascript:{_marker('link')}\">link</a></body></html>"
    )
    control = tmp_path / "control.html"  # the same page without the policy: the marker runs
    control.write_text(page.read_text().replace("Content-Security-Policy", "x-no-policy"))
    view = browser.new_page()
    view.goto(control.as_uri())
    assert "inline" in _marks(view)["pwned"]
    view.goto(page.as_uri())
    loaded = _marks(view)
    view.evaluate(
        "() => { window.violations = []; document.addEventListener("
        "'securitypolicyviolation', e => window.violations.push(e.violatedDirective)); }"
    )
    view.click("#link", no_wait_after=True)
    # The click is refused by the policy (a violation is reported), not merely slow.
    view.wait_for_function("() => window.violations.length > 0")
    marks = _marks(view)
    assert loaded == marks
    assert marks["pwned"] == "" and marks["attr"] is None, marks
    assert view.evaluate("getComputedStyle(document.body).maxWidth") != "none"
