"""Grading on Dask distributed into a PostgreSQL gradebook, and the faults that must lose nothing.

Real parts only: one PostgreSQL server (``initdb`` + ``pg_ctl`` in a scratch folder on a loopback
port) and one Dask cluster (``dask scheduler`` + two ``dask worker`` processes on 127.0.0.1,
started as the README says) serve the whole module; each fault is provoked for real (a worker
SIGKILLed by its pid mid-run, the coordinator interrupted, PostgreSQL stopped and restarted, a
worker without bubblewrap) and the gradebook is checked afterwards: no student missing, none
twice. The fault tests grade a few submissions each, in one shared course.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import calcml_grade_cohort as cohort  # loaded by conftest.py
import pytest
from nbgrader.api import Gradebook
from sqlalchemy import text

pytestmark = [pytest.mark.dask, pytest.mark.nbgrader, pytest.mark.slow]

_SERVERS = Path(__file__).parents[1] / "fixtures" / "grade" / "servers.py"
if "calcml_test_servers" not in sys.modules:
    _spec = importlib.util.spec_from_file_location("calcml_test_servers", _SERVERS)
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["calcml_test_servers"] = _module
    _spec.loader.exec_module(_module)
servers = sys.modules["calcml_test_servers"]

LIMITS = cohort.LIMITS
# The standard cohort (tests/autograder/fixtures/grade/cohort.py) without its slowest runaways
# and two of its duplicate broken files: 24 submissions, every kind still in.
LEFT_OUT = {
    "runaway-stubborn",
    "runaway-sleep",
    "runaway-hidden-disk",
    "runaway-daemon",
    "runaway-spawn",
    "broken-link-peer",
    "broken-binary",
}
# Slow enough (the kernel sleeps) that a fault always lands while work is in flight.
SLOW_CELL = "import time\n\ntime.sleep(2)\n"


@pytest.fixture(scope="module")
def env(jupyter_env):
    out = dict(jupyter_env)
    out["PATH"] = f"{cohort.BIN}{os.pathsep}{out.get('PATH', '/usr/bin:/bin')}"
    return out


@pytest.fixture(scope="module")
def pg():
    server = servers.PostgresServer()
    try:
        yield server
    finally:
        server.close()


# libpq names each connection after $PGAPPNAME: the server's log tells who connected.
WORKER_APP = "calcml-dask-worker"
COORDINATOR_APP = "calcml-coordinator"


@pytest.fixture(scope="module")
def dask_cluster(env):
    cluster = servers.DaskCluster(dict(env, PGAPPNAME=WORKER_APP), workers=2)
    try:
        yield cluster
    finally:
        cluster.close()


def make_pg_course(root: Path, assignment: str, env: dict, db_url: str) -> Path:
    """A scratch course whose gradebook is on PostgreSQL: the README's one config line."""
    course = root / "course"
    course.mkdir(parents=True)
    config = (cohort.REPO / "nbgrader_config.py").read_text()
    config += f"\nc.CourseDirectory.db_url = {db_url!r}\n"
    (course / "nbgrader_config.py").write_text(config)
    shutil.copytree(cohort.assignment_source(assignment), course / "source" / assignment)
    done = cohort.run(
        [str(cohort.BIN / "nbgrader"), "generate_assignment", assignment, "--force"], course, env
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return course


def gradebook_rows(db_url: str, assignment: str) -> dict[str, dict]:
    """Per student: the submission's score and every grade row, as nbgrader's API reads them."""
    rows = {}
    with Gradebook(db_url, "calculus-for-ml") as gb:
        for submission in gb.assignment_submissions(assignment):
            grades = {}
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    grades[f"{notebook.name}/{grade.name}"] = (
                        grade.auto_score,
                        grade.manual_score,
                        bool(grade.needs_manual_grade),
                        float(grade.max_score),
                    )
            rows[submission.student.id] = {
                "score": float(submission.score),
                "max_score": float(submission.max_score),
                "grades": grades,
            }
    return rows


def submission_counts(db_url: str, assignment: str) -> dict[str, int]:
    """How many submission rows (and grade rows per cell) each student has: must all be 1."""
    with Gradebook(db_url, "calculus-for-ml") as gb:
        per_student = gb.db.execute(
            text(
                "SELECT s.student_id, COUNT(*) FROM submitted_assignment s "
                "JOIN assignment a ON a.id = s.assignment_id WHERE a.name = :a "
                "GROUP BY s.student_id"
            ),
            {"a": assignment},
        ).all()
        duplicates = gb.db.execute(
            text(
                "SELECT g.cell_id, g.notebook_id, COUNT(*) FROM grade g "
                "GROUP BY g.cell_id, g.notebook_id HAVING COUNT(*) > 1"
            )
        ).all()
    assert not duplicates, f"grade rows recorded twice: {duplicates}"
    return {student: count for student, count in per_student}


def summary(stderr: str, assignment: str) -> str:
    """The summary table of a run (what follows its header line)."""
    head = f"\n{assignment}: "
    assert head in stderr, stderr[-3000:]
    return stderr[stderr.index(head) :]


def comparable(result: dict) -> dict:
    return {
        "status": result["status"],
        "score": result.get("score"),
        "max_score": result.get("max_score"),
        "flagged": result.get("flagged"),
        "isolation": result.get("isolation"),
        "cells": [
            {k: c.get(k) for k in ("grade_id", "points", "flagged", "kernel_passed", "message")}
            for c in result.get("cells", [])
        ],
        "manual": result.get("manual"),
    }


@pytest.fixture(scope="module")
def equivalence(tmp_path_factory, env, pg, dask_cluster):
    """The same 24 submissions graded by the local pool into SQLite and by Dask into PostgreSQL."""
    root = tmp_path_factory.mktemp("dask-equivalence")
    assignment = cohort.default_assignment()
    local = cohort.make_course(root / "local", assignment, env)
    builder = cohort.Builder(local, assignment)
    kinds = cohort.build_standard_cohort(builder)
    for student in LEFT_OUT:
        shutil.rmtree(local / "submitted" / student)
        kinds.pop(student)
    assert len(kinds) == 24
    db_url = pg.create_database("equivalence")
    dask = make_pg_course(root / "dask", assignment, env, db_url)
    shutil.copytree(local / "submitted", dask / "submitted", symlinks=True)
    local_run = cohort.run(
        cohort.grade_command(local, assignment, "--workers", "2", *LIMITS), local, env, 600
    )
    dask_run = cohort.run(
        cohort.grade_command(dask, assignment, "--scheduler", dask_cluster.address, *LIMITS),
        dask,
        dict(env, PGAPPNAME=COORDINATOR_APP),
        600,
    )
    return {
        "assignment": assignment,
        "kinds": kinds,
        "local": local,
        "dask": dask,
        "db_url": db_url,
        "local_run": local_run,
        "dask_run": dask_run,
    }


def test_dask_into_postgres_grades_exactly_as_the_local_pool_into_sqlite(equivalence):
    e = equivalence
    assignment, local, dask = e["assignment"], e["local"], e["dask"]
    assert "with 2 Dask worker(s) of the Dask scheduler" in e["dask_run"].stderr
    # Broken files make both exit 1 (something could not be graded), the same way.
    assert e["dask_run"].returncode == e["local_run"].returncode == 1
    grades = "reports/" + assignment + "/grades.csv"
    assert (dask / grades).read_text() == (local / grades).read_text()
    assert summary(e["dask_run"].stderr, assignment) == summary(e["local_run"].stderr, assignment)
    local_results = servers.results_of(local, assignment)
    dask_results = servers.results_of(dask, assignment)
    assert set(dask_results) == set(local_results) and len(dask_results) == 24
    for student, result in local_results.items():
        assert comparable(dask_results[student]) == comparable(result), student
    statuses = {r["status"] for r in dask_results.values()}
    assert {"graded", "kernel-died", "disk-limit", "broken-notebook"} <= statuses
    assert any(r.get("flagged") for r in dask_results.values()), "hostile ones are flagged"
    local_rows = gradebook_rows(f"sqlite:///{local / 'gradebook.db'}", assignment)
    dask_rows = gradebook_rows(e["db_url"], assignment)
    assert dask_rows == local_rows
    assert set(submission_counts(e["db_url"], assignment).values()) == {1}


def test_workers_never_touch_the_gradebook(equivalence, pg):
    """Only the coordinator connects to PostgreSQL: a worker needs no access to the gradebook."""
    log = pg.log.read_text(errors="replace")
    assert f"application_name={COORDINATOR_APP}" in log
    assert f"application_name={WORKER_APP}" not in log


def test_our_commands_and_nbgrader_work_on_the_postgres_gradebook(equivalence, env):
    e = equivalence
    assignment, dask, local = e["assignment"], e["dask"], e["local"]
    for command in ("report", "feedback"):
        codes = {}
        for name, course in (("local", local), ("dask", dask)):
            if command == "report" and name == "local":
                continue  # the report reads the results JSON, compared already
            argv = [sys.executable, "-m", "autograder", "--course-dir", str(course), command]
            done = cohort.run([*argv, assignment], course, env)
            codes[name] = done.returncode
            assert "Traceback" not in done.stderr, done.stderr[-3000:]
        # feedback exits 1 for the student whose folder name is not UTF-8, in both courses.
        assert codes["dask"] == codes.get("local", 0) == (0 if command == "report" else 1), command
    assert (dask / "reports" / assignment / "report.html").is_file()
    pages = {
        name: sorted(str(p.relative_to(c / "feedback")) for p in (c / "feedback").rglob("*.html"))
        for name, c in (("local", local), ("dask", dask))
    }
    assert pages["dask"] == pages["local"]
    assert f"honest/{assignment}/{assignment}.html" in pages["dask"]
    mine = dask / "selfcheck.ipynb"
    shutil.copy(dask / "submitted" / "honest" / assignment / f"{assignment}.ipynb", mine)
    done = cohort.run(
        [sys.executable, "-m", "autograder", "selfcheck", assignment, str(mine)], dask, env
    )
    assert done.returncode == 0, done.stdout + done.stderr
    honest = servers.results_of(dask, assignment)["honest"]
    assert f"{honest['score']:g}" in done.stdout
    # nbgrader's own export, and the API formgrader's pages are served from.
    exports = {}
    for name, course in (("local", local), ("dask", dask)):
        out = course / "export.csv"
        done = cohort.run([str(cohort.BIN / "nbgrader"), "export", "--to", str(out)], course, env)
        assert done.returncode == 0, done.stderr[-2000:]
        with out.open() as handle:
            exports[name] = sorted(
                (r["student_id"], r["raw_score"], r["score"], r["max_score"])
                for r in csv.DictReader(handle)
            )
    assert exports["dask"] == exports["local"]
    assert {row[0] for row in exports["dask"]} == set(gradebook_rows(e["db_url"], assignment))
    probe = (
        "import json, sys\n"
        "from nbgrader.apps.api import NbGraderAPI\n"
        "from nbgrader.coursedir import CourseDirectory\n"
        "from traitlets.config.loader import PyFileConfigLoader\n"
        "config = PyFileConfigLoader('nbgrader_config.py', path='.').load_config()\n"
        "api = NbGraderAPI(CourseDirectory(config=config), config=config)\n"
        # Formgrader's notebook view (its submission list reads every timestamp.txt and stops
        # at the student whose file is not a date: an nbgrader limitation, the same on SQLite).
        f"nbs = api.get_notebook_submissions({assignment!r}, {assignment!r})\n"
        "json.dump({'subs': {n['student']: n['score'] for n in nbs},"
        " 'review': sorted(n['student'] for n in nbs if n['needs_manual_grade'])}, sys.stdout)\n"
    )
    # Stock nbgrader's API (the one Formgrader's pages come from) cannot read a course holding a
    # timestamp.txt that is not a date: it fails for every student, on SQLite as on PostgreSQL.
    # The cohort's "bad-timestamp" student has one; it is set aside while the API is asked.
    views = {}
    for name, course in (("local", local), ("dask", dask)):
        stamp = course / "submitted" / "bad-timestamp" / assignment / "timestamp.txt"
        aside = stamp.with_name("timestamp.txt.aside")
        stamp.rename(aside)
        try:
            done = cohort.run([sys.executable, "-c", probe], course, env)
        finally:
            aside.rename(stamp)
        assert done.returncode == 0, done.stderr[-2000:]
        views[name] = json.loads(done.stdout)
    assert views["dask"] == views["local"]
    assert views["dask"]["subs"]["honest"] == honest["score"]
    assert "trick-input-transformer" in views["dask"]["review"], views["dask"]


# --------------------------------------------------------------------------------------------
# Faults, on a few submissions each of one shared PostgreSQL course


@pytest.fixture(scope="module")
def faults(tmp_path_factory, env, pg):
    assignment = cohort.default_assignment()
    course = make_pg_course(
        tmp_path_factory.mktemp("dask-faults"), assignment, env, pg.create_database("faults")
    )
    builder = cohort.Builder(course, assignment)
    honest = builder.notebook("honest")
    slow = builder.insert_before_tests(builder.notebook("honest"), SLOW_CELL)
    slow_wrong = builder.insert_before_tests(builder.notebook("wrong"), SLOW_CELL)

    def add(prefix: str, count: int) -> list[str]:
        students = [f"{prefix}{i}" for i in range(count)]
        for i, student in enumerate(students):
            builder.submit(student, slow_wrong if i % 3 == 2 else slow)
        return students

    return {
        "course": course,
        "assignment": assignment,
        "add": add,
        "db_url": course_db_url(course),
        "honest_nb": honest,
        "builder": builder,
    }


def course_db_url(course: Path) -> str:
    text_ = (course / "nbgrader_config.py").read_text()
    return text_.rsplit("c.CourseDirectory.db_url = ", 1)[1].strip().strip("'\"")


def grade_students(faults, students, *extra):
    argv = cohort.grade_command(faults["course"], faults["assignment"], *LIMITS, *extra)
    for student in students:
        argv += ["--student", student]
    return argv


class Run:
    """A grading run in the background whose stderr is collected line by line."""

    def __init__(self, argv, cwd, env) -> None:
        self.process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line)

    @property
    def stderr(self) -> str:
        return "".join(self.lines)

    def wait_for(self, condition, what: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert self.process.poll() is None, f"the run ended before {what}:\n{self.stderr}"
            assert time.monotonic() < deadline, f"timed out waiting for {what}:\n{self.stderr}"
            time.sleep(0.05)

    def finish(self, timeout: float = 300) -> int:
        code = self.process.wait(timeout=timeout)
        self.reader.join(timeout=10)
        return code


def saved(faults, students) -> list[str]:
    folder = faults["course"] / "reports" / faults["assignment"] / "results"
    return [s for s in students if (folder / f"{s}.json").exists()]


def check_everyone_once(faults, students) -> dict[str, dict]:
    """Every student graded, with the scores their work earns, and recorded exactly once."""
    results = servers.results_of(faults["course"], faults["assignment"])
    counts = submission_counts(faults["db_url"], faults["assignment"])
    rows = gradebook_rows(faults["db_url"], faults["assignment"])
    for i, student in enumerate(students):
        assert counts.get(student) == 1, f"{student}: {counts.get(student)} submission rows"
        result = results[student]
        assert result["status"] == "graded", result
        assert rows[student]["score"] == result["score"]
        if i % 3 == 2:
            assert result["score"] == 0, result
        else:
            assert result["score"] > 0 and not result["flagged"], result
    scores = {results[s]["score"] for i, s in enumerate(students) if i % 3 != 2}
    assert len(scores) == 1, f"honest submissions scored differently: {scores}"
    return results


def test_a_worker_killed_mid_run_loses_nothing(faults, env, dask_cluster):
    students = faults["add"]("killed", 6)
    run = Run(
        grade_students(faults, students, "--scheduler", dask_cluster.address),
        faults["course"],
        env,
    )
    run.wait_for(lambda: saved(faults, students), "the first result")
    with dask_cluster.client() as client:
        busy = {w: keys for w, keys in client.processing().items() if keys}
        pids = client.run(os.getpid)
    assert busy, "no worker was grading when the kill came"
    victim = sorted(busy)[0]
    os.kill(pids[victim], signal.SIGKILL)
    code = run.finish()
    assert code == 0, run.stderr
    check_everyone_once(faults, students)
    dask_cluster.wait_for_workers(2)  # the nanny restarts it: later tests get two again


def test_an_interrupted_coordinator_resumes(faults, env, dask_cluster):
    students = faults["add"]("interrupted", 6)
    argv = grade_students(faults, students, "--scheduler", dask_cluster.address)
    run = Run(argv, faults["course"], env)
    run.wait_for(lambda: saved(faults, students), "the first result")
    run.process.send_signal(signal.SIGINT)
    assert run.finish(60) == 130, run.stderr
    assert "interrupted: run the same command again to resume" in run.stderr
    first = saved(faults, students)
    assert 1 <= len(first) < len(students), "the run was not interrupted part-way"
    again = cohort.run(argv, faults["course"], env, 300)
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"skipping {len(first)} submission(s) already graded" in again.stderr
    assert f"grading {len(students) - len(first)} submission(s)" in again.stderr
    check_everyone_once(faults, students)


def test_postgres_restarted_mid_run_writes_are_retried(faults, env, dask_cluster, pg):
    students = faults["add"]("restarted", 6)
    run = Run(
        grade_students(faults, students, "--scheduler", dask_cluster.address),
        faults["course"],
        env,
    )
    run.wait_for(lambda: saved(faults, students), "the first result")
    pg.stop()
    try:
        run.wait_for(lambda: "is not answering" in run.stderr, "a write to the stopped database")
    finally:
        pg.start()
    assert run.finish() == 0, run.stderr
    assert "retrying for up to" in run.stderr
    assert "Traceback" not in run.stderr
    check_everyone_once(faults, students)


def test_postgres_down_too_long_stops_clearly_and_the_next_run_resumes(
    faults, env, dask_cluster, pg
):
    students = faults["add"]("down", 4)
    argv = grade_students(faults, students, "--scheduler", dask_cluster.address)
    run = Run(argv, faults["course"], dict(env, CALCML_DB_RETRY_SECONDS="1"))
    run.wait_for(lambda: saved(faults, students), "the first result")
    pg.stop()
    try:
        code = run.finish()
    finally:
        pg.start()
    assert code == 2, run.stderr
    errors = [line for line in run.lines if line.startswith("error:")]
    assert len(errors) == 1 and "did not answer" in errors[0], run.stderr
    assert "run the same command again to resume" in errors[0]
    assert "Traceback" not in run.stderr
    first = saved(faults, students)
    assert first and len(first) < len(students)
    again = cohort.run(argv, faults["course"], env, 300)
    assert again.returncode == 0, again.stderr[-3000:]
    check_everyone_once(faults, students)


def test_a_worker_without_bubblewrap_refuses_and_is_named(faults, env, dask_cluster):
    students = faults["add"]("nobwrap", 2)
    bare = dict(env, PATH=str(cohort.BIN))  # no /usr/bin: no bwrap on this worker's PATH
    worker = dask_cluster.add_worker("nobwrap", env=bare)
    try:
        dask_cluster.wait_for_workers(3)
        info = dask_cluster.info()
        address = next(a for a, w in info.items() if w["name"] == "nobwrap")
        argv = grade_students(faults, students, "--scheduler", dask_cluster.address)
        done = cohort.run(argv, faults["course"], env, 300)
        assert done.returncode == 2, done.stderr
        errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1, done.stderr
        assert f"Dask worker {address} " in errors[0]
        assert f"pid {info[address]['pid']}" in errors[0]
        assert "refuses to grade" in errors[0] and "bwrap" in errors[0]
        assert saved(faults, students) == [], "nothing may be graded with weaker isolation"
    finally:
        dask_cluster.stop_process(worker)
    dask_cluster.wait_for_exactly(2)
    done = cohort.run(argv, faults["course"], env, 300)
    assert done.returncode == 0, done.stderr[-3000:]
    check_everyone_once(faults, students)


def test_an_unreachable_scheduler_is_a_one_line_error(faults, env):
    port = servers.free_port()  # nothing listens there
    done = cohort.run(
        grade_students(faults, ["nobody"], "--scheduler", f"tcp://127.0.0.1:{port}"),
        faults["course"],
        dict(env, DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT="2s"),
        120,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"error: cannot reach the Dask scheduler at tcp://127.0.0.1:{port}")


def test_dask_local_grades_on_a_cluster_of_its_own(faults, env):
    students = [f"local{i}" for i in range(2)]
    for student in students:
        faults["builder"].submit(student, faults["honest_nb"])
    done = cohort.run(
        grade_students(faults, students, "--dask-local", "2"), faults["course"], env, 300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "with 2 Dask worker(s) of a local Dask cluster" in done.stderr
    results = servers.results_of(faults["course"], faults["assignment"])
    assert {results[s]["status"] for s in students} == {"graded"}
    assert submission_counts(faults["db_url"], faults["assignment"])["local0"] == 1


def test_a_task_on_a_worker_without_the_sandbox_refuses(monkeypatch):
    from autograder.grading import cluster_worker

    monkeypatch.setenv("CALCML_SANDBOX", "rlimits")
    outcome = cluster_worker._grade_here({}, {})
    assert outcome["refused"] == "CALCML_SANDBOX=rlimits is set there"
