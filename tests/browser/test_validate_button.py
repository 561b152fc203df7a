"""nbgrader's Validate button in JupyterLab: the stub fails; a correct answer makes its test pass."""

from __future__ import annotations

import json
import re

import pytest

from .conftest import open_notebook, shot
from .lab import REPO

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ASSIGNMENT = "ps1_derivatives"
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _reference_answer(function: str) -> str:
    """The source notebook's solution for ``function``, with the solution markers removed."""
    for cell in _cells(REPO / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"):
        if _nbgrader(cell).get("grade_id") == function:
            source = "".join(cell["source"])
            return "\n".join(
                line
                for line in source.splitlines()
                if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line
            )
    raise AssertionError(f"no answer cell {function!r} in source/{ASSIGNMENT}")


def _test_cells(function: str) -> list[str]:
    """First lines of the release notebook's test cells for ``function`` (how the dialog names them)."""
    firsts = []
    for cell in _cells(REPO / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"):
        meta = _nbgrader(cell)
        if (
            meta.get("grade")
            and cell["cell_type"] == "code"
            and meta.get("grade_id", "").startswith(f"test_{function}")
        ):
            firsts.append("".join(cell["source"]).strip().splitlines()[0])
    return firsts


def _validate(page, screenshot: str) -> str:
    """Press Validate on the toolbar and return the text of the Validation Results dialog."""
    page.locator(PANEL).locator(".validate-button").click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator("#validation-message").wait_for(timeout=120_000)
    text = dialog.inner_text()
    shot(page, screenshot)
    page.keyboard.press("Escape")
    dialog.wait_for(state="detached", timeout=10_000)
    return text


def test_validate_stub_fails_then_one_correct_answer_passes(page, lab):
    release = REPO / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert release.exists(), f"{release} is missing"
    answer_cells = [
        _nbgrader(c)["grade_id"]
        for c in _cells(release)
        if _nbgrader(c).get("solution")
        and not _nbgrader(c).get("grade")
        and c["cell_type"] == "code"
    ]
    function = answer_cells[0]
    own_tests = _test_cells(function)
    assert own_tests, f"no test cells for {function}"

    open_notebook(page, lab, f"release/{ASSIGNMENT}/{ASSIGNMENT}.ipynb")
    shot(page, "validate-1-opened")
    text = _validate(page, "validate-2-stub-dialog")
    assert "failed" in text.lower(), f"the stub notebook passed validation: {text[:500]}"
    for first_line in own_tests:
        assert first_line in text, f"the stub's test cell {first_line!r} is not reported as failing"

    # type the correct answer into the function's answer cell through the editor
    index = next(
        i for i, c in enumerate(_cells(release)) if _nbgrader(c).get("grade_id") == function
    )
    editor = page.locator(PANEL).locator(".jp-Cell").nth(index).locator(".cm-content")
    editor.scroll_into_view_if_needed()
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(_reference_answer(function))
    page.keyboard.press("Escape")
    shot(page, "validate-3-typed")

    text = _validate(page, "validate-4-answered-dialog")
    for first_line in own_tests:
        assert first_line not in text, (
            f"{function}'s test {first_line!r} still fails after a correct answer:\n{text[:1500]}"
        )
    # the other functions are still stubs, so validation as a whole still fails on them
    others = [t for f in answer_cells[1:] for t in _test_cells(f)]
    assert any(t in text for t in others), "the other, unanswered functions no longer fail"
    assert re.search(r"NotImplementedError", text), "the remaining failures are not the stubs'"
