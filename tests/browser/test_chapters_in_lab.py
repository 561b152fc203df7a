"""Every chapter, as a student sees it in JupyterLab: runs clean, widgets render and respond, quizzes answer."""

from __future__ import annotations

import pytest

from .a11y import LAB_CHROME, axe_violations, check_keyboard, describe, wait_for_quiet
from .conftest import open_notebook, run_all_and_wait, shot
from .lab import REPO

CHAPTERS = sorted(p.name for p in (REPO / "course").glob("*.ipynb"))

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"

JS_FIGURE_AND_READOUT = """(app) => {
  const img = app.querySelector('.calcml-figure');
  const readout = app.querySelector('.calcml-readout');
  const names = Array.from(app.querySelectorAll('[role="slider"]')).map(h => h.getAttribute('aria-label'));
  return {src: img ? img.getAttribute('src') : null, alt: img ? img.getAttribute('alt') : null,
          readout: readout ? readout.innerText : null, sliderNames: names};
}"""


def alt_follows(alt: str | None, readout: str) -> bool:
    """The figure's alt text ends with its readout (lines joined by semicolons), as FigureApp writes it."""
    lines = [" ".join(line.split()) for line in readout.splitlines()]
    return bool(alt) and alt.endswith("; ".join(line for line in lines if line))


def test_chapters_exist():
    assert any(name.startswith("02-") for name in CHAPTERS), CHAPTERS


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_runs_and_its_widgets_respond(page, lab, chapter):
    stem = chapter.removesuffix(".ipynb")
    open_notebook(page, lab, f"course/{chapter}")
    run_all_and_wait(page)
    panel = page.locator(PANEL)
    shot(page, f"{stem}-1-ran")

    # no error output, no stderr, no widget that failed to render
    errors = panel.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
    assert errors.count() == 0, f"{chapter}: error/stderr output: {errors.first.inner_text()[:500]}"
    text = panel.inner_text()
    for bad in (
        "Error displaying widget",
        "Loading widget...",
        "Traceback (most recent call last)",
    ):
        assert bad not in text, f"{chapter}: '{bad}' is shown"
    assert not page.console_errors, (
        f"{chapter}: uncaught errors in the page: {page.console_errors[:3]}"
    )

    # accessibility as rendered after Run All: no serious or critical axe-core violation outside
    # the parts of Lab's own interface listed (and justified) in a11y.LAB_CHROME
    violations = axe_violations(page, LAB_CHROME)
    assert not violations, f"{chapter}: axe-core violations:\n{describe(violations)}"

    apps = panel.locator(".calcml-app")
    quizzes = panel.locator(".calcml-quiz")
    assert apps.count() >= 1, f"{chapter}: no interactive widget rendered"
    assert quizzes.count() >= 1, f"{chapter}: no quiz rendered"

    # every interactive figure answers the keyboard: its readout and its picture change
    for i in range(apps.count()):
        app = apps.nth(i)
        app.scroll_into_view_if_needed()
        handles = app.locator(".widget-slider .noUi-handle")
        assert handles.count() >= 1, f"{chapter}: widget {i} has no slider"
        before = app.evaluate(JS_FIGURE_AND_READOUT)
        assert before["src"] and before["readout"], (
            f"{chapter}: widget {i} has no figure or readout"
        )
        assert "hit an error" not in before["readout"], (
            f"{chapter}: widget {i}: {before['readout']}"
        )
        assert alt_follows(before["alt"], before["readout"]), (
            f"{chapter}: widget {i}: the figure's alt text {before['alt']!r} is not its readout"
        )
        assert before["sliderNames"] and all(before["sliderNames"]), (
            f"{chapter}: widget {i}: a slider has no accessible name: {before['sliderNames']}"
        )
        handle = handles.first
        handle.click()
        for key in ("ArrowRight", "ArrowLeft", "ArrowLeft"):
            handle.press(key)
            try:
                # The figure and the readout are two widgets, updated by two messages: wait for both.
                page.wait_for_function(
                    "([app, src, text]) =>"
                    " app.querySelector('.calcml-figure').getAttribute('src') !== src"
                    " && app.querySelector('.calcml-readout').innerText !== text",
                    arg=[app.element_handle(), before["src"], before["readout"]],
                    timeout=5000,
                )
                break
            except Exception:  # the slider may sit at the end of its range: try the other way
                continue
        wait_for_quiet(page, app)
        after = app.evaluate(JS_FIGURE_AND_READOUT)
        assert after["src"] != before["src"], (
            f"{chapter}: widget {i}: the figure did not change on a key press"
        )
        assert after["readout"] != before["readout"], (
            f"{chapter}: widget {i}: the readout did not change"
        )
        assert "hit an error" not in after["readout"], f"{chapter}: widget {i}: {after['readout']}"
        assert after["alt"] != before["alt"] and alt_follows(after["alt"], after["readout"]), (
            f"{chapter}: widget {i}: the alt text did not follow the figure: {after['alt']!r}"
        )
        shot(page, f"{stem}-2-widget{i}")

    # the keyboard does what the chapters' help text says (a11y.check_keyboard)
    for i in range(apps.count()):
        app = apps.nth(i)
        app.scroll_into_view_if_needed()
        check_keyboard(page, app, f"{chapter}: widget {i}")

    # answering a quiz question reveals its explanation
    quiz = quizzes.first
    quiz.scroll_into_view_if_needed()
    feedback = quiz.locator(".calcml-quiz-feedback").first
    assert feedback.inner_text().strip() == "", (
        f"{chapter}: the explanation shows before any answer"
    )
    quiz.locator(".calcml-quiz-option").first.click()
    page.wait_for_function(
        "(el) => el.innerText.trim().length > 20", arg=feedback.element_handle(), timeout=5000
    )
    assert "Correct" in feedback.inner_text() or "Not quite" in feedback.inner_text()
    shot(page, f"{stem}-3-quiz")
