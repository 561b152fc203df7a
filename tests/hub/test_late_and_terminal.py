"""A late submission gets nbgrader's late penalty; a student's Lab terminal runs the course's venv."""

from __future__ import annotations

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pytest

from .client import HubSession
from .people import ASSIGNMENT, answer_cell_indexes, answers_from_source

pytestmark = [pytest.mark.hub, pytest.mark.slow]
COURSE = "calculus-for-ml"
# printed only when the imports work (the echoed command line holds the two halves apart)
IMPORTS = (
    "import nbformat, nbgrader, calcml, autograder.grading.selfcheck; print('imports' + '-ok')"
)


def venv(name: str):
    from .classhub import REPO

    return str(REPO / ".venv" / "bin" / name)


def submission(hub, student):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{hub.course_root / 'gradebook.db'}", COURSE) as gb:
        sub = gb.find_submission(ASSIGNMENT, student)
        return {
            "seconds_late": sub.total_seconds_late,
            "penalty": sub.late_submission_penalty,
            "score": sub.score,
            "code_score": sub.code_score,
        }


def test_a_submission_after_the_due_date_gets_the_late_penalty(hub):
    late = hub.students[2]
    if not (hub.exchange / COURSE / "outbound" / ASSIGNMENT).exists():
        assert (
            hub.instructor_run([venv("nbgrader"), "release_assignment", ASSIGNMENT]).returncode == 0
        )
    due = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    set_due = hub.instructor_run(
        [venv("nbgrader"), "db", "assignment", "add", ASSIGNMENT, f"--duedate={due}"]
    )
    assert set_due.returncode == 0, set_due.stderr
    time.sleep(1.1)  # the submission's time stamp must be strictly after the due date
    no_auth = "--Authenticator.plugin_class=nbgrader.auth.NoAuthPlugin"
    fetched = hub.run_as(late, [venv("nbgrader"), "fetch_assignment", ASSIGNMENT, no_auth])
    assert fetched.returncode == 0, fetched.stderr
    notebook = hub.home(late) / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = json.loads(notebook.read_text())
    answers = answers_from_source()
    for grade_id, (index, _kind) in answer_cell_indexes().items():
        nb["cells"][index]["source"] = answers[grade_id]
    notebook.write_text(json.dumps(nb))
    submitted = hub.run_as(late, [venv("nbgrader"), "submit", ASSIGNMENT, no_auth])
    assert submitted.returncode == 0, submitted.stderr

    for args in (
        [venv("nbgrader"), "collect", "--update", ASSIGNMENT, f"--student={late}"],
        [venv("python"), "-m", "autograder", "grade", ASSIGNMENT, f"--student={late}"],
    ):
        done = hub.instructor_run(args)
        assert done.returncode == 0, done.stdout + done.stderr
    graded = submission(hub, late)
    assert graded["seconds_late"] > 0, graded
    assert graded["code_score"] == 13, graded  # all code right (the written answer is hand-graded)
    assert graded["penalty"] == graded["code_score"], graded  # nbgrader's "zero" method
    assert graded["score"] - graded["penalty"] <= 0, graded


def test_a_students_lab_terminal_runs_the_course_venv(hub):
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    student = hub.students[2]
    session = HubSession(hub.base, student, hub.password)
    session.login()
    session.spawn()
    terminal = session.post("api/terminals")
    assert terminal.status_code == 200, terminal.text
    name = terminal.json()["name"]
    cookies = "; ".join(f"{c.name}={c.value}" for c in session.http.cookies)
    url = f"ws://127.0.0.1:{hub.port}/user/{student}/terminals/websocket/{name}"

    async def run() -> str:
        ws = await websocket_connect(HTTPRequest(url, headers={"Cookie": cookies}))
        ws.write_message(json.dumps(["stdin", f"command -v python; python -c {IMPORTS!r}\r"]))
        seen = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "imports-ok" not in seen:
            message = await ws.read_message()
            if message is None:
                break
            kind, *payload = json.loads(message)
            if kind == "stdout":
                seen += payload[0]
        ws.close()
        return seen

    # its own thread and event loop: playwright's sync API owns this thread's loop
    with ThreadPoolExecutor(max_workers=1) as pool:
        output = pool.submit(asyncio.run, asyncio.wait_for(run(), 90)).result()
    session.stop()
    assert venv("python") in output, output
    assert "imports-ok" in output, output  # the grader's imports work there (nbformat etc.)
