"""nbgrader configuration for the course (stock nbgrader commands and `python -m autograder` read it)."""

import os
import sys

c = get_config()  # noqa: F821  (injected by traitlets when nbgrader loads this file)

_here = os.path.dirname(os.path.abspath(__file__))

# nbgrader runs `alembic` by name when it creates the gradebook. Started as `.venv/bin/nbgrader`
# from a shell where the venv is not activated, it must still find the venv's own, so the folder
# of the interpreter running nbgrader goes first on PATH (for nbgrader and what it starts).
_bin = os.path.dirname(sys.executable)
if _bin not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _bin + os.pathsep + os.environ.get("PATH", "")

c.CourseDirectory.course_id = "calculus-for-ml"
c.CourseDirectory.root = _here
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(_here, "gradebook.db")
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"

# Release notebooks are generated without outputs and without the instructor-only checksums' noise.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# A single runaway cell must not stall grading: interrupt it and carry on with the next cell.
c.Execute.timeout = 30
c.Execute.interrupt_on_timeout = True

# Cap what a submission can print into its graded notebook.
c.LimitOutput.max_lines = 1000
c.LimitOutput.max_traceback = 100

# nbgrader's own feedback (`nbgrader generate_feedback`, formgrader's "Generate Feedback"): hidden
# tests removed and the grader's verdicts shown instead of the kernel's outputs, every student
# output made inert, as in `python -m autograder feedback` (see autograder/reports/nbgrader_feedback.py).
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import GetGrades  # noqa: E402

from autograder.reports.nbgrader_feedback import SafeFeedback  # noqa: E402

c.GenerateFeedback.preprocessors = [GetGrades, SafeFeedback, CSSHTMLHeaderPreprocessor]
