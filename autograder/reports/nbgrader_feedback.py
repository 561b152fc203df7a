"""nbgrader's own feedback path made as safe as ours: a preprocessor for ``GenerateFeedback``.

``nbgrader generate_feedback`` (also formgrader's "Generate Feedback" button) renders the
``autograded/`` notebook with nbconvert. Stock, that page shows every test cell with its hidden
tests and whatever the student's kernel printed while running them (a hook in the student's
kernel sees the test source and can print it, in any encoding). The course's
``nbgrader_config.py`` adds :class:`SafeFeedback` to ``GenerateFeedback.preprocessors``, after
``GetGrades``; it applies the same rules as ``python -m autograder feedback``:

* a test cell's source loses its hidden tests (the lines between ``### BEGIN HIDDEN TESTS`` and
  ``### END HIDDEN TESTS``, the markers included), and its outputs are replaced by the grader's
  verdict (``metadata.calcml``, written by :mod:`autograder.grading.verdict`: outcome, trusted message,
  curated hints), never by what the kernel printed;
* every output produced from the first hidden-test cell on is removed (a student's hook could
  carry test text into any later cell); earlier outputs are kept, made inert by
  :func:`autograder.grading.untrusted.sanitize_notebook`;
* any other text holding a line of the hidden tests is redacted as in our own feedback.

Both pages are then safe and show the same scores, verdicts and messages; they are written to the
same file (``feedback/<student>/<assignment>/<notebook>.html``), so whichever command ran last
wins, and ``python -m autograder feedback`` says when it replaces a page nbgrader made.
"""

from __future__ import annotations

from nbconvert.preprocessors import Preprocessor
from nbformat.v4 import new_output
from traitlets import Bool

from autograder.grading.untrusted import sanitize_notebook
from autograder.grading.verdict import OUTCOME_WORDS, PASSED, is_test_cell
from autograder.reports.feedback import (
    HIDDEN_BEGIN,
    HIDDEN_END,
    MIN_REDACT_LENGTH,
    redact,
    tag_hint,
)

REMOVED = "[output not shown in feedback: it was produced after the hidden tests ran]\n"


def remove_hidden_tests(source: str) -> tuple[str, set[str]]:
    """``source`` without its hidden-test blocks, and the distinctive lines that were removed."""
    kept, hidden, inside = [], set(), False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith(HIDDEN_BEGIN):
            inside = True
        elif stripped.startswith(HIDDEN_END):
            inside = False
        elif inside:
            if len(stripped) >= MIN_REDACT_LENGTH:
                hidden.add(stripped)
        else:
            kept.append(line)
    return "\n".join(kept), hidden


def verdict_text(record: object) -> str:
    """The grader's verdict on a test cell, in the words of our own feedback page."""
    if not isinstance(record, dict) or record.get("outcome") not in OUTCOME_WORDS:
        return "See the score of this test above.\n"
    lines = [
        f"{OUTCOME_WORDS[record['outcome']]}: {float(record.get('points') or 0):g} / "
        f"{float(record.get('max_points') or 0):g} points"
    ]
    if record["outcome"] != PASSED:
        if record.get("message"):
            lines.append(str(record["message"]))
        tags = record.get("tags") if isinstance(record.get("tags"), list) else []
        lines += [f"Likely misconception: {tag_hint(str(t))}" for t in tags[:3]]
    if record.get("flagged"):
        lines.append("Flagged for review by your instructor.")
    return "\n".join(lines) + "\n"


class SafeFeedback(Preprocessor):
    """Hidden tests out, the grader's verdicts in, every student output inert (see module doc)."""

    enabled = Bool(True)  # nbconvert preprocessors are off unless enabled

    def preprocess(self, nb, resources):
        records = {id(c): c.metadata.get("calcml") for c in nb.cells if is_test_cell(c)}
        hidden: set[str] = set()
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.source, removed = remove_hidden_tests(str(cell.source))
                hidden |= removed
        first_hidden = next(
            (i for i, c in enumerate(nb.cells) if c.cell_type == "code" and id(c) in records),
            len(nb.cells),
        )
        verdicts = {}
        for index, cell in enumerate(nb.cells):
            if id(cell) in records:
                verdicts[index] = verdict_text(records[id(cell)])
        sanitize_notebook(nb)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and index in verdicts:
                cell.outputs = [new_output("stream", name="stdout", text=verdicts[index])]
            elif cell.cell_type == "code" and index >= first_hidden and cell.outputs:
                cell.outputs = [new_output("stream", name="stdout", text=REMOVED)]
            cell.source = redact(str(cell.source), hidden, whole_lines=cell.cell_type == "code")
            for output in cell.get("outputs", []):
                if output.get("output_type") == "stream":
                    output.text = redact(output.text, hidden)
        return nb, resources
