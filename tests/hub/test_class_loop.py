"""The whole loop of a class on the hub, in a real browser, step by step (one hub, in order).

The instructor releases ps1_derivatives from Formgrader; student1 (all correct) and student2
(secant_slope wrong) log in, fetch it from the Assignments tab, paste their answers, press
Validate and submit; student2 resubmits; the instructor collects in Formgrader, grades with
``python -m autograder grade`` as their own account, hand-grades the written answer in Formgrader,
writes feedback with ``python -m autograder feedback`` and releases it in Formgrader; both
students fetch their feedback and see their own score and no hidden test code. Every step is
screenshotted into test-artifacts/hub/.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.assignments.variants_ps1_derivatives import WRONG

from .people import (
    ASSIGNMENT,
    answers_from_source,
    assignment_row,
    formgrader,
    log_in,
    open_assignments,
    shot,
    type_answers,
)

pytestmark = [pytest.mark.hub, pytest.mark.browser, pytest.mark.slow]

HIDDEN_TEST_MARKERS = ("BEGIN HIDDEN TESTS", "def _hidden", "_quiet(_hidden)")
SUBMISSION_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ UTC$")
WRONG_SECANT = dict(WRONG["secant_slope"])["divided-by-2h"]


@pytest.fixture(scope="module")
def people(hub, hub_browser):
    """One logged-in page per person, kept for the whole loop."""
    pages = {}
    yield pages
    for page in pages.values():
        page.context.close()


def page_of(people, hub_browser, hub, user):
    if user not in people:
        people[user] = log_in(hub_browser, hub, user)
    return people[user]


def gradebook(hub):
    """The instructor's gradebook, through nbgrader's own API (the test runs as root)."""
    from nbgrader.api import Gradebook

    return Gradebook(f"sqlite:///{hub.course_root / 'gradebook.db'}", "calculus-for-ml")


def test_instructor_lands_on_the_welcome_chapter_and_releases_from_formgrader(
    people, hub_browser, hub
):
    page = page_of(people, hub_browser, hub, hub.instructor)
    assert page.url.endswith("/calculus-for-ml/course/00-welcome.ipynb")
    shot(page, "01-instructor-welcome")
    frame = formgrader(page)
    row = assignment_row(frame)
    row.locator("td.release a").click()
    row.locator("td.status", has_text="released").wait_for(timeout=60_000)
    frame.get_by_text(f"Successfully released '{ASSIGNMENT}'").wait_for(timeout=60_000)
    shot(page, "02-instructor-released-in-formgrader")
    frame.locator(".modal-dialog").get_by_role("button", name="OK").click()
    released = hub.exchange / "calculus-for-ml" / "outbound" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert released.is_file()
    assert not any(m in released.read_text() for m in HIDDEN_TEST_MARKERS)


def fetch_work_validate_submit(page, answers: dict[str, str], name: str, resubmit: bool = False):
    open_assignments(page)
    released = page.locator("#released_assignments_list .list_item", has_text=ASSIGNMENT)
    released.get_by_role("button", name="Fetch").click()
    fetched = page.locator("#fetched_assignments_list .list_item", has_text=ASSIGNMENT).first
    fetched.wait_for(timeout=60_000)
    shot(page, f"{name}-1-fetched")
    # open the fetched notebook from its entry in the list, as a student does
    fetched.locator("a.assignment-notebooks-link").click()
    page.locator("#fetched_assignments_list .nested_list_item a", has_text=ASSIGNMENT).first.click()
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").wait_for(timeout=60_000)
    page.wait_for_timeout(1000)
    type_answers(page, answers)
    page.get_by_role("button", name="Validate").first.click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=180_000)
    dialog.get_by_text(re.compile("Validat")).first.wait_for(timeout=180_000)
    page.wait_for_function(
        "() => !document.querySelector('.jp-Dialog').innerText.includes('Validating')",
        timeout=180_000,
    )
    verdict = dialog.inner_text()
    shot(page, f"{name}-2-validated")
    dialog.get_by_role("button").last.click()
    open_assignments(page)
    for attempt in range(2 if resubmit else 1):
        page.locator("#fetched_assignments_list .list_item", has_text=ASSIGNMENT).first.get_by_role(
            "button", name="Submit"
        ).click()
        stamps = page.locator("#submitted_assignments_list").get_by_text(SUBMISSION_TIME)
        stamps.nth(attempt).wait_for(timeout=60_000)
        page.wait_for_timeout(1100)  # a second submission gets a later time stamp
    shot(page, f"{name}-3-submitted")
    return verdict


def test_student1_fetches_validates_and_submits_correct_work(people, hub_browser, hub):
    page = page_of(people, hub_browser, hub, hub.students[0])
    assert page.url.endswith("/course/00-welcome.ipynb")
    shot(page, "03-student1-welcome")
    # a student's Nbgrader menu has the Assignment List and no Formgrader (page_config.json)
    page.get_by_role("menuitem", name="Nbgrader", exact=True).click()
    items = page.locator(".lm-Menu-content .lm-Menu-itemLabel").all_inner_texts()
    shot(page, "03-student1-nbgrader-menu")
    page.keyboard.press("Escape")
    assert "Assignment List" in items and "Formgrader" not in items, items
    assert "Create Assignment" not in " ".join(items), items
    verdict = fetch_work_validate_submit(page, answers_from_source(), "04-student1")
    assert "Success" in verdict or "passed" in verdict.lower(), verdict


def test_student2_submits_partly_wrong_work_and_resubmits(people, hub_browser, hub):
    page = page_of(people, hub_browser, hub, hub.students[1])
    verdict = fetch_work_validate_submit(
        page, answers_from_source({"secant_slope": WRONG_SECANT}), "05-student2", resubmit=True
    )
    assert "secant" in verdict.lower() or "failed" in verdict.lower(), verdict
    inbound = list((hub.exchange / "calculus-for-ml" / "inbound").glob(f"{hub.students[1]}+*"))
    assert len(inbound) == 2, inbound


def test_instructor_collects_grades_hand_grades_and_releases_feedback(people, hub_browser, hub):
    page = page_of(people, hub_browser, hub, hub.instructor)
    frame = formgrader(page)
    row = assignment_row(frame)
    row.locator("td.collect a").click()
    modal = frame.locator(".modal-dialog")
    frame.get_by_text(f"Successfully collected submissions of '{ASSIGNMENT}'").wait_for(
        timeout=60_000
    )
    page.wait_for_timeout(500)  # the dialog fades in
    shot(page, "06-instructor-collected")
    modal.get_by_role("button", name=re.compile("Close|OK", re.I)).last.click()
    for student in hub.students[:2]:
        assert (
            hub.course_root / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        ).is_file()

    graded = hub.instructor_run([str(hub_python()), "-m", "autograder", "grade", ASSIGNMENT])
    assert graded.returncode == 0, graded.stdout + graded.stderr
    assert "isolation: bubblewrap" in graded.stdout + graded.stderr, graded.stdout + graded.stderr

    # hand-grade the written answer of both students in Formgrader's Manual Grading
    for student in hub.students[:2]:
        with gradebook(hub) as gb:
            sid = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student).id
        page.goto(f"{hub.base}/user/{hub.instructor}/formgrader/submissions/{sid}")
        score = page.locator("input.score").last
        score.wait_for(timeout=60_000)
        score.scroll_into_view_if_needed()
        score.fill("2")
        score.press("Tab")  # formgrader saves a score when the field changes
        wait_for_manual_score(hub, student, 2.0)
        shot(page, f"07-instructor-hand-graded-{student[-8:]}")
    with gradebook(hub) as gb:
        manual = {
            student: gb.find_grade("explain_roundoff", ASSIGNMENT, ASSIGNMENT, student).manual_score
            for student in hub.students[:2]
        }
    assert manual == {student: 2.0 for student in hub.students[:2]}, manual

    written = hub.instructor_run([str(hub_python()), "-m", "autograder", "feedback", ASSIGNMENT])
    assert written.returncode == 0, written.stdout + written.stderr

    page.goto(f"{hub.base}/user/{hub.instructor}/lab?formgrader=true")
    frame = page.frame_locator("#formgrader-iframe iframe")
    frame.locator("h1", has_text="Manage Assignments").wait_for(timeout=60_000)
    row = assignment_row(frame)
    row.locator("td.release-feedback a").click()
    modal = frame.locator(".modal-dialog")
    frame.get_by_text(re.compile("Successfully released feedback", re.I)).wait_for(timeout=60_000)
    page.wait_for_timeout(500)
    shot(page, "08-instructor-released-feedback")
    modal.get_by_role("button", name=re.compile("Close|OK", re.I)).last.click()
    assert len(list((hub.exchange / "calculus-for-ml" / "feedback").glob("*.html"))) >= 2


def hub_python():
    from .classhub import REPO

    return REPO / ".venv" / "bin" / "python"


@pytest.mark.parametrize("index, full_marks", [(0, True), (1, False)])
def test_students_fetch_their_own_feedback_without_hidden_tests(
    people, hub_browser, hub, index, full_marks
):
    student = hub.students[index]
    page = page_of(people, hub_browser, hub, student)
    open_assignments(page)
    submitted = page.locator("#submitted_assignments_list .list_item", has_text=ASSIGNMENT).first
    submitted.get_by_role("button", name="Fetch Feedback").click()
    page.get_by_text("view feedback").first.wait_for(timeout=60_000)
    shot(page, f"09-student{index + 1}-feedback-fetched")
    pages = list((hub.home(student) / ASSIGNMENT / "feedback").glob("*/*.html"))
    assert pages, f"no feedback under {hub.home(student)}"
    html = pages[0].read_text()
    assert not any(m in html for m in HIDDEN_TEST_MARKERS)
    score, max_score = gradebook_score(hub, student)
    assert (score == max_score) is full_marks, (score, max_score)
    assert f"{score:g}" in html and f"{max_score:g}" in html
    other = hub.students[1 - index]
    assert other not in html
    # "view feedback" shows the feedback folder in the file browser; the page opens from there
    page.get_by_text("view feedback").first.click()
    listed = page.locator(".jp-DirListing-item", has_text=f"{ASSIGNMENT}.html")
    listed.wait_for(timeout=60_000)
    listed.dblclick()
    viewer = page.frame_locator(".jp-MainAreaWidget:not(.lm-mod-hidden) iframe").first
    viewer.get_by_text(f"Feedback on {ASSIGNMENT}").wait_for(timeout=60_000)
    shot(page, f"10-student{index + 1}-feedback-page")
    shown = viewer.locator("body").inner_text()
    assert f"{score:g} / {max_score:g}" in shown, shown[:500]
    assert not any(m in shown for m in HIDDEN_TEST_MARKERS)


def wait_for_manual_score(hub, student, expected, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with gradebook(hub) as gb:
            got = gb.find_grade("explain_roundoff", ASSIGNMENT, ASSIGNMENT, student).manual_score
        if got == expected:
            return
        time.sleep(0.2)
    raise AssertionError(f"{student}: formgrader did not save the score {expected} ({got})")


def gradebook_score(hub, student):
    """(score after the late penalty, max score) as formgrader shows them."""
    with gradebook(hub) as gb:
        sub = gb.find_submission(ASSIGNMENT, student)
        return sub.score - (sub.late_submission_penalty or 0), sub.max_score
