"""Isolation between accounts on the class hub: everything here runs as student2's account
(``runuser``) or through student2's own login, against student1's real submission and feedback."""

from __future__ import annotations

import hashlib

import pytest

from .client import HubSession, api_token
from .people import ASSIGNMENT

pytestmark = [pytest.mark.hub, pytest.mark.slow]

COURSE = "calculus-for-ml"
NO_AUTH = "--Authenticator.plugin_class=nbgrader.auth.NoAuthPlugin"  # a forger's own settings


def nbgrader(hub):
    from .classhub import REPO

    return str(REPO / ".venv" / "bin" / "nbgrader")


@pytest.fixture(scope="module")
def submitted(hub):
    """student1 and student2 have submitted (through the browser loop when it ran before, else
    with nbgrader's commands as their own accounts), and feedback has been released."""
    inbound = hub.exchange / COURSE / "inbound"
    outbound = hub.exchange / COURSE / "outbound" / ASSIGNMENT
    if not outbound.exists():
        done = hub.instructor_run([nbgrader(hub), "release_assignment", ASSIGNMENT])
        assert done.returncode == 0, done.stderr
    for student in hub.students[:2]:
        if not list(inbound.glob(f"{student}+{ASSIGNMENT}+*")):
            for step in (["fetch_assignment", ASSIGNMENT], ["submit", ASSIGNMENT]):
                done = hub.run_as(student, [nbgrader(hub), *step, NO_AUTH])
                assert done.returncode == 0, done.stderr
    if not list((hub.exchange / COURSE / "feedback").glob("*.html")):
        from .classhub import REPO

        python = str(REPO / ".venv" / "bin" / "python")
        for args in (
            [nbgrader(hub), "collect", ASSIGNMENT],
            [python, "-m", "autograder", "grade", ASSIGNMENT],
            [python, "-m", "autograder", "feedback", ASSIGNMENT],
            [nbgrader(hub), "release_feedback", ASSIGNMENT],
        ):
            done = hub.instructor_run(args)
            assert done.returncode == 0, done.stdout + done.stderr
    folders = sorted(inbound.glob(f"{hub.students[0]}+{ASSIGNMENT}+*"))
    return {"student1_folder": folders[-1]}


def as_student2(hub, *shell: str):
    return hub.run_as(hub.students[1], ["/bin/sh", "-c", *shell])


def test_student2_cannot_list_the_inbound_folder(hub, submitted):
    done = as_student2(hub, f"ls '{hub.exchange / COURSE / 'inbound'}'")
    assert done.returncode != 0 and "Permission denied" in done.stderr, done


def test_student2_cannot_read_student1s_submission_even_by_its_exact_name(hub, submitted):
    folder = submitted["student1_folder"]
    for name in (f"{ASSIGNMENT}.ipynb", "timestamp.txt", "submission_secret.txt"):
        done = as_student2(hub, f"cat '{folder / name}'")
        assert done.returncode != 0 and "Permission denied" in done.stderr, (name, done)
    # the instructor can (the test would be empty otherwise)
    assert hub.instructor_run(["cat", str(folder / f"{ASSIGNMENT}.ipynb")]).returncode == 0


def test_student2_cannot_change_rename_or_delete_student1s_submission(hub, submitted):
    folder = submitted["student1_folder"]
    before = hashlib.sha256((folder / f"{ASSIGNMENT}.ipynb").read_bytes()).hexdigest()
    attempts = [
        f"rm -rf '{folder}'",
        f"mv '{folder}' '{folder.parent / 'moved'}'",
        f"echo forged > '{folder / (ASSIGNMENT + '.ipynb')}'",
        f"touch '{folder / 'extra.txt'}'",
    ]
    for command in attempts:
        done = as_student2(hub, command)
        assert done.returncode != 0, (command, done)
    assert folder.is_dir()
    assert hashlib.sha256((folder / f"{ASSIGNMENT}.ipynb").read_bytes()).hexdigest() == before
    assert not (folder / "extra.txt").exists()


def test_a_submission_forged_as_student1_is_refused_at_collect(hub, submitted):
    student1, student2 = hub.students[:2]
    forged = hub.run_as(
        student2, [nbgrader(hub), "submit", ASSIGNMENT, f"--student={student1}", NO_AUTH]
    )
    assert forged.returncode == 0, forged.stderr  # the exchange accepts it: names are not checked
    forged_folders = [
        p
        for p in (hub.exchange / COURSE / "inbound").glob(f"{student1}+*")
        if p.owner() == student2
    ]
    assert len(forged_folders) == 1
    genuine = submitted["student1_folder"] / f"{ASSIGNMENT}.ipynb"
    collected = hub.instructor_run([nbgrader(hub), "collect", "--update", ASSIGNMENT])
    assert collected.returncode == 0, collected.stderr
    log = collected.stdout + collected.stderr
    assert f"claims to be {student1}'s submission but is owned by {student2}" in log, log
    kept = hub.course_root / "submitted" / student1 / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert kept.read_bytes() == genuine.read_bytes()
    stamp = (hub.course_root / "submitted" / student1 / ASSIGNMENT / "timestamp.txt").read_text()
    assert stamp.strip() in forged_folders[0].name or stamp.strip() not in forged_folders[0].name
    assert stamp.strip() not in forged_folders[0].name


def test_student2_cannot_list_or_find_student1s_feedback(hub, submitted):
    feedback = hub.exchange / COURSE / "feedback"
    done = as_student2(hub, f"ls '{feedback}'")
    assert done.returncode != 0 and "Permission denied" in done.stderr, done
    # a feedback file's name is a hash of the submission's secret, which student2 cannot read
    secret = submitted["student1_folder"] / "submission_secret.txt"
    assert as_student2(hub, f"cat '{secret}'").returncode != 0
    # and student1's own copy of it (home 0700) is out of reach
    home1 = hub.home(hub.students[0])
    for target in (home1, home1 / ASSIGNMENT / "feedback"):
        done = as_student2(hub, f"ls '{target}'")
        assert done.returncode != 0 and "Permission denied" in done.stderr, (target, done)


def test_student2_cannot_read_the_instructors_course(hub, submitted):
    root = hub.course_root
    targets = [
        root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
        root / "gradebook.db",
        root / "submitted",
        root / "autograded",
        root,
    ]
    for target in targets:
        done = as_student2(hub, f"ls '{target}' && cat '{target}'")
        assert done.returncode != 0 and "Permission denied" in done.stderr, (target, done)
    # hidden tests are nowhere in what students can read: the released notebook
    released = hub.exchange / COURSE / "outbound" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    text = as_student2(hub, f"cat '{released}'")
    assert text.returncode == 0 and "BEGIN HIDDEN TESTS" not in text.stdout


@pytest.fixture(scope="module")
def student2_session(hub):
    session = HubSession(hub.base, hub.students[1], hub.password)
    session.login()
    session.spawn()
    yield session
    session.stop()


def test_formgrader_answers_403_to_a_student(hub, student2_session):
    # The instructor's server must be running: a stopped one answers 404 to anybody.
    instructor = HubSession(hub.base, hub.instructor, hub.password)
    instructor.login()
    instructor.spawn()
    http = student2_session.http
    instructors = http.get(f"{hub.base}/user/{hub.instructor}/formgrader", allow_redirects=True)
    assert instructors.status_code == 403, (instructors.status_code, instructors.url)
    own = student2_session.get("formgrader")
    assert own.status_code in (403, 404), own.status_code  # not on a student's server at all
    assert "Manage Assignments" not in own.text


def test_the_hub_admin_api_answers_403_to_a_student(hub, student2_session):
    token = api_token(student2_session)
    users = student2_session.http.get(
        f"{hub.base}/hub/api/users", headers={"Authorization": f"token {token}"}, timeout=30
    )
    assert users.status_code == 403, users.status_code
    stop_other = student2_session.http.delete(
        f"{hub.base}/hub/api/users/{hub.students[0]}/server",
        headers={"Authorization": f"token {token}"},
        timeout=30,
    )
    assert stop_other.status_code in (403, 404), stop_other.status_code
    # the instructor (an admin) does get the list: the 403 above is about the role
    instructor = HubSession(hub.base, hub.instructor, hub.password)
    instructor.login()
    admin = api_token(instructor)
    listed = instructor.http.get(
        f"{hub.base}/hub/api/users", headers={"Authorization": f"token {admin}"}, timeout=30
    )
    assert listed.status_code == 200 and hub.students[1] in listed.text
    instructor.stop()
