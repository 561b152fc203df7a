"""A 'Your turn' card in a real JupyterLab, answered from the keyboard alone: Tab to an option,
Space to choose it, see the verdict, Tab to the solution button, Enter to reveal the solution."""

from __future__ import annotations

import pytest

from .conftest import open_notebook, run_all_and_wait, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
JS_FOCUSED = """() => { const el = document.activeElement;
  return el ? {text: el.innerText || '', cls: el.className || ''} : {text: '', cls: ''}; }"""


def tab_until(page, predicate, limit: int = 12) -> dict:
    """Press Tab until the focused element satisfies ``predicate``; fail after ``limit`` presses."""
    focused = {}
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(JS_FOCUSED)
        if predicate(focused):
            return focused
    raise AssertionError(f"Tab never reached the control; last focused: {focused}")


def test_chapter1_your_turn_answered_by_keyboard(page, lab):
    open_notebook(page, lab, "course/01-limits.ipynb")
    run_all_and_wait(page)
    card = page.locator(f"{PANEL} .calcml-yourturn").filter(
        has=page.locator(".calcml-yourturn-option", has_text="it settles at 2")
    )
    assert card.count() == 1
    card.scroll_into_view_if_needed()
    verdict = card.locator(".calcml-yourturn-verdict")
    solution = card.locator(".calcml-yourturn-solution")
    assert "Choose an option" in verdict.inner_text()
    assert solution.inner_text().strip() == ""

    # start on the card's prompt (not focusable itself), then only the keyboard
    card.locator(".widget-htmlmath").first.click()
    tab_until(page, lambda f: "calcml-yourturn-option" in f["cls"] and "settles at 2" in f["text"])
    page.keyboard.press("Space")
    page.wait_for_function(
        "(el) => el.innerText.includes('Correct')", arg=verdict.element_handle(), timeout=5000
    )
    assert "gap is 2 + 2δ" in verdict.inner_text()
    shot(page, "yourturn-keyboard-1-verdict")

    tab_until(page, lambda f: "calcml-yourturn-solution-button" in f["cls"])
    page.keyboard.press("Enter")
    page.wait_for_function(
        "(el) => el.innerText.trim().length > 20", arg=solution.element_handle(), timeout=5000
    )
    assert "the size of the jump" in solution.inner_text()
    shot(page, "yourturn-keyboard-2-solution")
    assert not page.console_errors, page.console_errors[:3]
