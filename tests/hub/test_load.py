"""30 roster students log in, start their servers and submit at the same time (HTTP on loopback):
every submission is collected, under the right name, with that student's own content."""

from __future__ import annotations

import pytest

from .load import ASSIGNMENT, marker_for, summary, timed_class

pytestmark = [pytest.mark.hub, pytest.mark.slow]


def test_thirty_students_submit_at_once_and_every_submission_is_collected(hub):
    from .classhub import REPO

    students = hub.load_students
    assert len(students) >= 30
    if not (hub.exchange / "calculus-for-ml" / "outbound" / ASSIGNMENT).exists():
        released = hub.instructor_run(
            [str(REPO / ".venv" / "bin" / "nbgrader"), "release_assignment", ASSIGNMENT]
        )
        assert released.returncode == 0, released.stderr
    runs, seconds = timed_class(hub, students)
    print(summary(runs, seconds))  # the numbers; benchmarks/hub_load.py is the place to time them
    failed = {r.student: r.error for r in runs if r.error or not r.submitted}
    assert not failed, failed

    collected = hub.instructor_run(
        [str(REPO / ".venv" / "bin" / "nbgrader"), "collect", "--update", ASSIGNMENT]
    )
    assert collected.returncode == 0, collected.stderr
    refused = [
        line
        for line in (collected.stdout + collected.stderr).splitlines()
        if "Refused" in line and any(f"/{s}+" in line for s in students)
    ]
    assert not refused, refused  # (a forged folder of another test may be refused: not these)
    for student in students:
        notebook = hub.course_root / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        text = notebook.read_text()
        assert marker_for(student) in text, student
        others = [s for s in students if s != student and marker_for(s) in text]
        assert not others, (student, others)
    for run in runs:
        stop_server(hub, run.student)


def stop_server(hub, student: str) -> None:
    """Free the memory of a load-test server (the hub's own stop, as the user)."""
    from .client import HubSession, hub_xsrf

    session = HubSession(hub.base, student, hub.password)
    session.login()
    session.http.delete(
        f"{hub.base}/hub/api/users/{student}/server", headers=hub_xsrf(session), timeout=60
    )
    session.stop()
