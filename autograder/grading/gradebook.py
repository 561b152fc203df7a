"""The course configuration and every gradebook access of a grading run.

SQLite is not safe for concurrent writers, so only the grading run's main process writes to the
gradebook, and it does so through nbgrader's own API and preprocessors (``SaveAutoGrades``,
``AssignLatePenalties``), exactly as ``nbgrader autograde`` does. Workers only read it (for
``OverwriteCells``) while holding the run's gradebook lock.
"""

from __future__ import annotations

import os
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from nbformat import NotebookNode
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import (
    AssignLatePenalties,
    Execute,
    NbGraderPreprocessor,
    OverwriteCells,
    SaveAutoGrades,
)
from sqlalchemy.exc import SAWarning
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader


class CourseError(Exception):
    """The course folder or the assignment cannot be graded (a clear one-line message)."""


@dataclass
class Course:
    root: Path
    config: Config
    coursedir: CourseDirectory

    @property
    def db_url(self) -> str:
        return self.coursedir.db_url

    def folder(self, step: str) -> Path:
        return self.root / getattr(self.coursedir, f"{step}_directory")


def load_course(course_dir: Path) -> Course:
    """Read ``nbgrader_config.py`` of the course in ``course_dir``."""
    root = Path(course_dir).resolve()
    config_file = root / "nbgrader_config.py"
    if not config_file.is_file():
        raise CourseError(f"{root}: no nbgrader_config.py here (is --course-dir the course root?)")
    try:
        config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    except Exception as exc:  # noqa: BLE001 - any error in the config file is the user's to fix
        raise CourseError(f"{config_file}: cannot be loaded ({exc})") from exc
    # The course root is where we were pointed, whatever the config file says.
    config.CourseDirectory.root = str(root)
    coursedir = CourseDirectory(config=config)
    return Course(root=root, config=config, coursedir=coursedir)


def sqlite_path(db_url: str) -> Path | None:
    """The file of a ``sqlite:///`` gradebook URL (None for other databases or in-memory ones)."""
    prefix = "sqlite:///"
    if not db_url.startswith(prefix) or db_url == prefix or ":memory:" in db_url:
        return None
    return Path(db_url[len(prefix) :])


def require_gradebook(course: Course, assignment: str) -> None:
    """Refuse, in one line, to grade a course whose SQLite gradebook does not exist yet.

    Opening a missing gradebook would create it on the spot, and grading would then stop anyway
    because the assignment is not in it.
    """
    path = sqlite_path(course.db_url)
    if path is not None and not path.exists():
        raise CourseError(
            f"{path}: no gradebook yet: release the assignment first "
            f"(`make release`, or `nbgrader generate_assignment {assignment}`)"
        )


def assignment_notebooks(course: Course, assignment: str) -> list[str]:
    """Names of the notebooks the gradebook knows for ``assignment`` (nbgrader grades only those)."""
    require_gradebook(course, assignment)
    with Gradebook(course.db_url, course.coursedir.course_id) as gb:
        try:
            found = gb.find_assignment(assignment)
        except MissingEntry:
            raise CourseError(
                f"assignment '{assignment}' is not in the gradebook {course.db_url}: "
                f"run `nbgrader generate_assignment {assignment}` first"
            ) from None
        names = [nb.name for nb in found.notebooks]
    if not names:
        raise CourseError(f"assignment '{assignment}' has no notebooks in the gradebook")
    return names


@contextmanager
def quiet_orm():
    """nbgrader's own ORM code triggers harmless SQLAlchemy autoflush warnings: hide them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        yield


@contextmanager
def one_commit(gb: Gradebook):
    """Everything written in the block reaches the database in one transaction, committed at its end.

    nbgrader's writers (``SaveAutoGrades`` commits once per graded cell, ``AssignLatePenalties``
    once more) commit as they go: on SQLite each commit is a synced write, so saving one
    submission cost about twenty of them. Inside
    the block a commit only flushes (later queries in the block still see the rows); the single
    real commit comes at the end, so a submission's grades land together or not at all (an error
    leaves the transaction for the caller to roll back, as :mod:`autograder.grading.db_retry` does).
    """
    session = gb.db
    session.commit = session.flush  # shadows scoped_session.commit for this block only
    try:
        yield
    finally:
        del session.commit
    session.commit()


def register_submission(
    gb: Gradebook, course: Course, assignment: str, student: str, directory: Path
) -> str | None:
    """Create or update the student and the submission (with its timestamp), as autograde does.

    Returns a warning when ``timestamp.txt`` cannot be read: the submission is then registered
    without a time (nbgrader's own reader fails on such a file and stops the whole run).
    """
    warning = None
    with quiet_orm():
        gb.update_or_create_student(student)
        try:
            timestamp = course.coursedir.get_existing_timestamp(str(directory))
        except Exception as error:  # noqa: BLE001 - unreadable, unparseable or absurd dates
            timestamp = None
            text = _timestamp_text(directory)
            warning = (
                f"{student}: timestamp.txt ({text}) is not a date nbgrader can read "
                f"({type(error).__name__}); graded without a submission time"
            )
        if timestamp:
            gb.update_or_create_submission(assignment, student, timestamp=timestamp)
        else:
            gb.update_or_create_submission(assignment, student)
    return warning


def register_and_commit(gb: Gradebook, course: Course, sub) -> str | None:
    """:func:`register_submission` of a found submission, in one commit: one write to retry."""
    with one_commit(gb):
        return register_submission(gb, course, sub.assignment, sub.student, sub.directory)


def _timestamp_text(directory: Path) -> str:
    try:
        with open(Path(directory) / "timestamp.txt", "rb") as handle:
            raw = handle.read(60)
    except OSError as error:
        return f"unreadable: {error.strerror}"
    return repr(raw.decode("utf-8", "replace").strip()[:40])


def zero_missing_notebooks(
    gb: Gradebook, assignment: str, student: str, missing: list[str]
) -> None:
    """A notebook that was not submitted scores zero, as in ``nbgrader autograde``."""
    for name in missing:
        submission = gb.find_submission_notebook(name, assignment, student)
        for grade in submission.grades:
            grade.auto_score = 0
            grade.needs_manual_grade = False
    gb.db.commit()


def _bind(preprocessor, resources: dict) -> None:
    """Point one of the Shared* preprocessors at this notebook and at the run's open gradebook.

    (nbgrader's own ``preprocess`` reads these ids from ``resources`` and opens a gradebook.)
    """
    info = resources["nbgrader"]
    preprocessor.notebook_id = info["notebook"]
    preprocessor.assignment_id = info["assignment"]
    preprocessor.student_id = info["student"]
    preprocessor.db_url = info["db_url"]
    preprocessor.gradebook = preprocessor.shared


class SharedOverwriteCells(OverwriteCells):
    """nbgrader's ``OverwriteCells`` (restores the trusted cells) reading what ``shared`` holds.

    ``shared`` is the run's copy of the trusted cells in a worker
    (:class:`~autograder.grading.snapshot.GradebookSnapshot`) or an open gradebook: nbgrader's own
    step opens a ``Gradebook`` (an engine and a schema check) for every notebook.
    """

    shared: Gradebook | None = None

    def preprocess(self, nb: NotebookNode, resources: dict):
        _bind(self, resources)
        try:
            nb, resources = NbGraderPreprocessor.preprocess(self, nb, resources)
            if self.add_missing_cells:
                nb, resources = self.add_missing_grade_cells(nb, resources)
                nb, resources = self.add_missing_task_cells(nb, resources)
        finally:
            self.shared.db.remove()  # end the read transaction: the writer may commit
        return nb, resources


class SharedSaveAutoGrades(SaveAutoGrades):
    """nbgrader's ``SaveAutoGrades`` (same per-cell scoring) on the run's open gradebook."""

    shared: Gradebook | None = None

    def preprocess(self, nb: NotebookNode, resources: dict):
        _bind(self, resources)
        return NbGraderPreprocessor.preprocess(self, nb, resources)


class SharedAssignLatePenalties(AssignLatePenalties):
    """nbgrader's ``AssignLatePenalties`` (same plugin and rules) on the run's open gradebook."""

    shared: Gradebook | None = None

    def preprocess(self, nb: NotebookNode, resources: dict):
        _bind(self, resources)
        self.init_plugin()
        gb = self.gradebook
        assignment = gb.find_submission(self.assignment_id, self.student_id)
        notebook = gb.find_submission_notebook(
            self.notebook_id, self.assignment_id, self.student_id
        )
        notebook.late_submission_penalty = None
        if assignment.total_seconds_late > 0:
            penalty = self.plugin_inst.late_submission_penalty(
                self.student_id, notebook.score, assignment.total_seconds_late
            )
            if penalty is not None:
                notebook.late_submission_penalty = self._check_late_penalty(notebook, penalty)
        gb.db.commit()
        return nb, resources


def save_grades(
    gb: Gradebook,
    course: Course,
    nb: NotebookNode,
    resources: dict,
    flagged: list[str],
    points: dict[str, float] | None = None,
) -> None:
    """Record the autograder's scores with nbgrader's own scoring, then flag cells.

    ``points`` (grade_id -> the verdict's points, see :mod:`autograder.grading.verdict`) is written as
    each test cell's automatic score whatever nbgrader's scoring of the notebook says (the two
    agree: the verdict rewrote the notebook so that they do), right after the scores are saved and
    before the late penalty is worked out. ``flagged`` grade_ids (the kernel run and the
    independent verification disagree) are marked ``needs_manual_grade`` so they show up in
    formgrader. The writers are those the course's ``Autograde.autograde_preprocessors`` holds
    (:mod:`autograder.grading.chain`).
    """
    from autograder.grading.chain import course_chain  # it builds on this module's classes

    writers = course_chain(course.config, execute=Execute).save
    info = resources["nbgrader"]
    with quiet_orm():
        for cls in writers:
            preprocessor = cls(config=course.config)
            preprocessor.shared = gb
            nb, resources = preprocessor(nb, resources)
            if issubclass(cls, SharedSaveAutoGrades):
                for grade_id, value in (points or {}).items():
                    grade = gb.find_grade(
                        grade_id, info["notebook"], info["assignment"], info["student"]
                    )
                    grade.auto_score = float(value)
                gb.db.commit()
        for grade_id in flagged:
            grade = gb.find_grade(grade_id, info["notebook"], info["assignment"], info["student"])
            grade.needs_manual_grade = True
        gb.db.commit()


def submission_score(gb: Gradebook, assignment: str, student: str) -> tuple[float, float]:
    """(score, max_score) of a submission as the gradebook computes them (late penalty included)."""
    gb.db.expire_all()
    submission = gb.find_submission(assignment, student)
    return float(submission.score), float(submission.max_score)


def relative(path: Path, root: Path) -> str:
    try:
        return os.path.relpath(path, root)
    except ValueError:
        return str(path)
