"""What the instructor and the students do in the browser on the class hub (playwright)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.browser.lab import REPO

ARTIFACTS = REPO / "test-artifacts" / "hub"
ASSIGNMENT = "ps1_derivatives"
WRITTEN_ANSWER = (
    "The truncation error of the central difference shrinks like h squared, so it drops by about "
    "100 per step; below h near 1e-5 the round-off error eps/h of the subtraction takes over."
)


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def log_in(browser, hub, user: str):
    """A fresh browser session through the hub's login page; returns the page once Lab is up."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(f"{hub.base}/hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", hub.password)
    page.click("#login_submit")
    page.wait_for_url(re.compile(rf"/user/{user}/lab"), timeout=180_000)
    page.wait_for_selector(".jp-NotebookPanel", timeout=120_000)
    return page


def menu(page, *path: str) -> None:
    """Click through the Lab menu bar, e.g. ``menu(page, "Nbgrader", "Formgrader")``."""
    page.get_by_role("menuitem", name=path[0], exact=True).click()
    for item in path[1:]:
        page.get_by_role("menuitem", name=item, exact=True).click()


def formgrader(page):
    """Open Formgrader from the Nbgrader menu; returns the frame inside its Lab panel."""
    menu(page, "Nbgrader", "Formgrader")
    frame = page.frame_locator("#formgrader-iframe iframe")
    frame.locator("h1", has_text="Manage Assignments").wait_for(timeout=60_000)
    return frame


def assignment_row(frame, assignment: str = ASSIGNMENT):
    return frame.locator("tbody tr", has=frame.locator(f'td.name:has-text("{assignment}")'))


def answers_from_source(wrong: dict[str, str] | None = None) -> dict[str, str]:
    """The instructor's solutions per answer cell (the marker lines dropped), with some replaced
    by the ``wrong`` implementations, and the written answer."""
    nb = json.loads((REPO / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    answers = {}
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("solution") and cell["cell_type"] == "code":
            lines = "".join(cell["source"]).splitlines()
            keep = [
                line
                for line in lines
                if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line
            ]
            answers[meta["grade_id"]] = "\n".join(keep)
        elif meta.get("solution"):
            answers[meta["grade_id"]] = WRITTEN_ANSWER
    answers.update(wrong or {})
    return answers


def answer_cell_indexes() -> dict[str, tuple[int, str]]:
    """grade_id -> (cell index, cell type) of the answer cells in the student's notebook."""
    nb = json.loads((REPO / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    found = {}
    for index, cell in enumerate(nb["cells"]):
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("solution"):
            found[meta["grade_id"]] = (index, cell["cell_type"])
    return found


def type_answers(page, answers: dict[str, str]) -> None:
    """Replace each answer cell's text by the answer, as a person pasting into the editor."""
    cells = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell")
    for grade_id, (index, kind) in answer_cell_indexes().items():
        cell = cells.nth(index)
        cell.scroll_into_view_if_needed()
        if kind == "markdown":
            cell.dblclick()
        editor = cell.locator(".cm-content")
        editor.click()
        page.keyboard.press("Control+a")
        page.keyboard.insert_text(answers[grade_id])
        if kind == "markdown":
            page.keyboard.press("Shift+Enter")
    page.keyboard.press("Escape")
    page.keyboard.press("Control+s")
    page.wait_for_timeout(500)


def open_assignments(page):
    """The Assignments tab (Nbgrader menu); returns its panel once the course's lists loaded."""
    menu(page, "Nbgrader", "Assignment List")
    panel = page.locator("#nbgrader-assignment-list, .nbgrader-AssignmentList, #assignments").first
    page.get_by_text("Released assignments").first.wait_for(timeout=60_000)
    return panel
