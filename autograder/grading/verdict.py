"""One test cell's verdict: points from the trusted side, and the same number everywhere.

The kernel run is the student's own process: whatever it displays (an ``execute_result`` that
nbgrader reads as partial credit, a failure hidden by a hook) is only a claim. A test cell earns

    points = min(kernel score, trusted score)

where the trusted score is the cell's maximum when the out-of-kernel verification passed and 0
when it failed. Any difference between the two scores is flagged for review. The graded notebook
is then rewritten so that nbgrader's own scoring (``determine_grade``, used by ``SaveAutoGrades``)
reads exactly these points: the kernel's ``execute_result`` outputs of a test cell are shown as
plain displays, and a grader-made output goes first (an error for 0 points, the number for a
partial score). The verdict is also written into the cell's metadata (``metadata.calcml``) for
the feedback preprocessor: every other metadata of a graded notebook has been dropped by then, so
that record is the grader's.

Messages are the trusted side's only: the kernel ran the hidden test source, so any text it
reports about a failure is under the student's control; when the two runs disagree the student is
told in the grader's own words which run failed and how.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader import utils as nbgrader_utils

from autograder.grading.untrusted import BOUNDS, bounded
from autograder.reports import misconceptions

#: Outcomes of a test cell (``outcome`` in the result JSON).
PASSED, PARTIAL, FAILED, NOT_WRITTEN, KERNEL_FAILED = (
    "passed",
    "partial",
    "failed",
    "not-written",
    "kernel-failed",
)
VERDICT_ERROR = "GraderVerdict"
NOT_EXECUTED = "CellNotExecuted"
STUB_LINES = {"raise NotImplementedError()", "raise NotImplementedError"}


@dataclass
class CellVerdict:
    """What the grader decided about one test cell (one entry of ``cells`` in the result)."""

    grade_id: str
    function: str | None
    points: float
    max_points: float
    kernel_score: float  # the kernel run's score by the grader's strict reading
    kernel_claim: float  # what plain nbgrader would have read from the same outputs
    kernel_passed: bool
    verified_passed: bool | None
    flagged: bool
    outcome: str
    message: str
    tags: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def is_test_cell(cell) -> bool:
    return (
        cell.cell_type == "code"
        and nbgrader_utils.is_grade(cell)
        and not nbgrader_utils.is_solution(cell)
    )


def kernel_score(cell, max_points: float) -> tuple[float, str]:
    """What the kernel run claims for a test cell, and how it went (grader-chosen words).

    Any error output or stderr text anywhere in the cell gives 0 (nbgrader stops at the first
    ``execute_result``, so a number shown before a failure would otherwise hide it); a number
    shown as the result is a partial score, and one outside [0, max] counts as 0.
    """
    partial = None
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "error":
            if output.get("ename") == NOT_EXECUTED:
                return (
                    0.0,
                    "the notebook stopped before this test ran (a time limit, or the kernel stopped)",
                )
            return 0.0, "this test raised an error"
        if kind == "stream" and output.get("name") == "stderr":
            return 0.0, "this test wrote to stderr"
        if kind == "execute_result" and partial is None:
            partial = output.get("data", {}).get("text/plain", "")
    if partial is None:
        return max_points, ""
    try:
        value = float(bounded(partial, 100).strip())
    except ValueError:
        return max_points, ""  # nbgrader's rule: a result that is no number is full credit
    if not math.isfinite(value) or not 0.0 <= value <= max_points:
        return 0.0, "the notebook showed an impossible score for this test"
    if value < max_points:
        return value, "the notebook showed a partial score for this test"
    return value, ""


def nbgrader_claim(cell, max_points: float) -> float:
    """nbgrader's own reading of the outputs: the first error or ``execute_result`` decides."""
    try:
        score, _ = nbgrader_utils.determine_grade(cell)
    except (ValueError, KeyError, TypeError):  # a "partial score" above the maximum, or no text
        return max_points
    return max_points if score is None else float(score)


def _stub_functions(nb) -> set[str]:
    """The answer cells still holding the release stub (``raise NotImplementedError()``)."""
    stubs = set()
    for cell in nb.cells:
        if cell.cell_type == "code" and nbgrader_utils.is_solution(cell):
            lines = {line.strip() for line in str(cell.source).splitlines()}
            if lines & STUB_LINES:
                stubs.add(cell.metadata["nbgrader"].get("grade_id"))
    return stubs


def _function_of(grade_id: str, functions: list[str]) -> str | None:
    matches = [f for f in functions if grade_id.startswith(f"test_{f}")]
    return max(matches, key=len) if matches else None


def judge_cell(cell, check, *, verify_on: bool, verify_error, function, stub: bool) -> CellVerdict:
    """The verdict on one test cell from the kernel's outputs and the trusted ``check``."""
    grade_id = cell.metadata["nbgrader"]["grade_id"]
    max_points = float(cell.metadata["nbgrader"].get("points", 0) or 0)
    kernel, how = kernel_score(cell, max_points)
    claim = nbgrader_claim(cell, max_points)
    tags: list[str] = []
    if not verify_on:
        trusted, verified = kernel, None
        message = "" if kernel >= max_points else "This test failed when your notebook ran."
    elif check is None:
        trusted, verified = 0.0, False
        message = bounded(
            verify_error or "no independent check was run for this cell", BOUNDS["message_chars"]
        )
    else:
        verified = bool(check.passed)
        trusted = max_points if verified else 0.0
        message = "" if verified else bounded(check.message, BOUNDS["message_chars"])
        if not verified and not (stub and check.not_written):
            tags = misconceptions.known(check.tags)
    points = min(kernel, trusted)
    # A kernel whose outputs say two things (a score shown, then a failure) is flagged as well.
    flagged = verify_on and (kernel != trusted or claim != kernel)
    if points >= max_points:
        outcome = PASSED
    elif verified is False and stub and check is not None and check.not_written:
        outcome, message = (
            NOT_WRITTEN,
            "Not written yet: this function still raises NotImplementedError.",
        )
    elif verified is False or (verified is None and points == 0):
        outcome = FAILED
    elif verified and kernel == 0:
        outcome = KERNEL_FAILED
        message = (
            "Your code passed the checks in our separate run but failed when the notebook ran: "
            f"{how}. Run your notebook from top to bottom (Restart and Run All) and look at this "
            "test's output; your instructor will review it."
        )
    else:
        outcome = PARTIAL
        if verified:
            message = (
                f"Your code passed the checks in our separate run, but {how}: it scores "
                f"{points:g} of {max_points:g} until your instructor reviews it."
            )
    return CellVerdict(
        grade_id=grade_id,  # restored from the gradebook: the instructor's
        function=function,
        points=float(points),
        max_points=max_points,
        kernel_score=float(kernel),
        kernel_claim=float(claim),
        kernel_passed=kernel >= max_points,
        verified_passed=verified,
        flagged=bool(flagged),
        outcome=outcome,
        message=misconceptions.strip_tag_text(message),
        tags=tags,
    )


def apply_to_cell(cell, verdict: CellVerdict) -> None:
    """Make nbgrader's scoring of ``cell`` give ``verdict.points``, and record the verdict."""
    outputs = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "execute_result":
            # The kernel's "result" is a claim, not a score: show it, but not as one.
            output = new_output(
                "display_data", data=output.get("data", {}), metadata=output.get("metadata", {})
            )
        outputs.append(output)
    if verdict.points <= 0 < verdict.max_points:
        text = verdict.message or "This test did not pass."
        outputs.insert(
            0,
            new_output(
                "error", ename=VERDICT_ERROR, evalue=text, traceback=[f"{VERDICT_ERROR}: {text}"]
            ),
        )
    elif verdict.points < verdict.max_points:
        outputs.insert(
            0,
            new_output(
                "execute_result", data={"text/plain": f"{verdict.points!r}"}, execution_count=None
            ),
        )
    cell.outputs = outputs
    cell.metadata["calcml"] = {
        "outcome": verdict.outcome,
        "points": verdict.points,
        "max_points": verdict.max_points,
        "message": verdict.message,
        "tags": list(verdict.tags),
        "flagged": verdict.flagged,
    }


def judge_notebook(nb: NotebookNode, checks, verify_error, functions: list[str], verify_on: bool):
    """Verdicts on every test cell of ``nb`` (applied to the notebook); returns (cells, flagged)."""
    stubs = _stub_functions(nb)
    cells: list[dict] = []
    flagged: list[str] = []
    for cell in nb.cells:
        cell.metadata.pop("calcml", None)
        if not is_test_cell(cell):
            continue
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        function = _function_of(grade_id, functions)
        verdict = judge_cell(
            cell,
            None if checks is None else checks.get(grade_id),
            verify_on=verify_on and checks is not None,
            verify_error=verify_error,
            function=function,
            stub=function in stubs,
        )
        apply_to_cell(cell, verdict)
        if verdict.flagged:
            flagged.append(verdict.grade_id)
        cells.append(verdict.to_dict())
    return cells, flagged


# --------------------------------------------------------------------------------------------
# Reading verdicts back (feedback, selfcheck, report)

#: How each outcome is named to a student.
OUTCOME_WORDS = {
    PASSED: "passed",
    PARTIAL: "partly passed",
    FAILED: "failed",
    NOT_WRITTEN: "not written yet",
    KERNEL_FAILED: "did not pass in your notebook",
}


def outcome_of(cell: dict) -> str:
    """A result cell's outcome (worked out from its points for results written before outcomes)."""
    outcome = cell.get("outcome")
    if outcome in OUTCOME_WORDS:
        return outcome
    points, max_points = float(cell.get("points") or 0), float(cell.get("max_points") or 0)
    if max_points > 0 and points >= max_points:
        return PASSED
    if points > 0:
        return PARTIAL
    return KERNEL_FAILED if cell.get("verified_passed") is True else FAILED


def cell_tags(cell: dict) -> list[str]:
    """The curated tags of a result cell (none for a function not written yet)."""
    if outcome_of(cell) in (PASSED, NOT_WRITTEN):
        return []
    return misconceptions.known(cell.get("tags"))
