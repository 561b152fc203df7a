"""The autograde chain comes from the course's ``Autograde.*_preprocessors`` (autograder.grading.chain).

Unit checks of how the configured lists become the grader's chain, then a real grading run of a
scratch course whose ``nbgrader_config.py`` appends a preprocessor of its own to both lists.
"""

from __future__ import annotations

import calcml_grade_cohort as cohort  # loaded by conftest.py
import pytest
from nbconvert.preprocessors import ClearMetadataPreprocessor, Preprocessor
from nbgrader.preprocessors import (
    ClearOutput,
    DeduplicateIds,
    Execute,
    IgnorePattern,
    LimitOutput,
    OverwriteCells,
    OverwriteKernelspec,
)
from traitlets.config import Config

from autograder.grading.chain import course_chain
from autograder.grading.execute import CappedExecute
from autograder.grading.gradebook import (
    CourseError,
    SharedAssignLatePenalties,
    SharedOverwriteCells,
    SharedSaveAutoGrades,
)
from autograder.grading.metadata import CachedCheckCellMetadata


class Stamp(Preprocessor):
    """A course's own step (does nothing here)."""


def _chain(config: Config | None = None):
    return course_chain(config or Config(), execute=CappedExecute)


def test_default_chain_is_nbgraders_with_the_graders_steps_in_place():
    chain = _chain()
    assert chain.sanitize == (
        ClearOutput,
        DeduplicateIds,
        OverwriteKernelspec,
        SharedOverwriteCells,
        CachedCheckCellMetadata,
    )
    assert chain.before_execute == ()
    assert chain.execute is CappedExecute
    assert chain.after_execute == (
        IgnorePattern,
        ClearMetadataPreprocessor,
        LimitOutput,
        CachedCheckCellMetadata,
    )
    assert chain.save == (SharedSaveAutoGrades, SharedAssignLatePenalties)


def test_appended_and_dotted_steps_run_where_the_course_put_them():
    config = Config()
    config.Autograde.sanitize_preprocessors.append(Stamp)
    config.Autograde.autograde_preprocessors = [
        f"{Stamp.__module__}.Stamp",
        Execute,
        "nbgrader.preprocessors.SaveAutoGrades",
        LimitOutput,
    ]
    chain = _chain(config)
    assert chain.sanitize[-1] is Stamp
    assert chain.before_execute == (Stamp,)
    assert chain.after_execute == (LimitOutput,)
    assert chain.save == (SharedSaveAutoGrades,)  # AssignLatePenalties was dropped


@pytest.mark.parametrize(
    "trait, steps, words",
    [
        ("sanitize_preprocessors", [ClearOutput], "OverwriteCells exactly once"),
        ("autograde_preprocessors", [Execute], "SaveAutoGrades exactly once"),
        ("autograde_preprocessors", ["nbgrader.preprocessors.SaveAutoGrades"], "Execute exactly"),
        ("autograde_preprocessors", [type("MyExecute", (Execute,), {}), "x"], "cannot import"),
        ("sanitize_preprocessors", [type("MyOverwrite", (OverwriteCells,), {})], "replaces"),
        ("sanitize_preprocessors", [OverwriteCells, 42], "not a preprocessor class"),
    ],
)
def test_a_chain_the_grader_cannot_run_is_refused(trait, steps, words):
    config = Config()
    setattr(config.Autograde, trait, steps)
    with pytest.raises(CourseError, match=words):
        _chain(config)


EXTRA_STEP = '''

from nbconvert.preprocessors import Preprocessor as _Preprocessor


class CourseStamp(_Preprocessor):
    """Logs which notebook it saw, in which phase, with how many cells already executed."""

    def preprocess(self, nb, resources):
        ran = sum(1 for c in nb.cells if c.cell_type == "code" and c.get("execution_count"))
        phase = "after" if ran else "before"
        with open(os.path.join(_here, "chain-log.txt"), "a") as log:
            log.write(f"{phase} {resources['nbgrader']['student']} {ran}\\n")
        return nb, resources


c.Autograde.sanitize_preprocessors.append(CourseStamp)
c.Autograde.autograde_preprocessors.append(CourseStamp)
c.CourseStamp.enabled = True  # nbconvert preprocessors are off unless enabled, as in nbgrader
'''


@pytest.mark.nbgrader
def test_a_course_configured_preprocessor_runs_in_a_real_grading_run(tmp_path, jupyter_env):
    course = cohort.make_course(tmp_path, "mini_derivatives", jupyter_env)
    with (course / "nbgrader_config.py").open("a") as config:
        config.write(EXTRA_STEP)
    builder = cohort.Builder(course, "mini_derivatives")
    builder.submit("honest", builder.notebook("honest"))
    builder.submit("wrong", builder.notebook("wrong"))
    done = cohort.run(cohort.grade_command(course, "mini_derivatives"), course, jupyter_env)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = sorted((course / "chain-log.txt").read_text().splitlines())
    assert [line.rsplit(" ", 1)[0] for line in lines] == [
        "after honest",
        "after wrong",
        "before honest",
        "before wrong",
    ]
    assert all(int(line.rsplit(" ", 1)[1]) > 0 for line in lines if line.startswith("after"))
