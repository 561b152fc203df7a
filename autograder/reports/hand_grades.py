"""Hand grades from the gradebook, for the feedback pages.

``python -m autograder grade`` records which answers need grading by hand; the instructor then
scores them in formgrader, which writes only to the gradebook. Before a feedback page is written,
each result's manual items take the gradebook's ``manual_score`` (when one has been given) and the
score shown includes them, so a student reads the grade the instructor gave, not "waiting".
"""

from __future__ import annotations

from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from autograder.grading.gradebook import CourseError, load_course, submission_score


def with_hand_grades(
    course_dir: Path, assignment: str, notebook: str, results: list[dict]
) -> list[dict]:
    """Copies of ``results`` with the manual scores of the course's gradebook filled in."""
    if not any(r.get("manual") for r in results):
        return results
    try:
        course = load_course(course_dir)
    except CourseError:
        return results  # no nbgrader course here (a bare results folder): nothing to merge
    db_url = str(course.db_url)
    if db_url.startswith("sqlite:///") and not Path(db_url[len("sqlite:///") :]).is_file():
        return results  # no gradebook yet: never create an empty one
    merged = []
    with Gradebook(course.db_url, course.coursedir.course_id) as gb:
        for result in results:
            result = dict(result)
            items = []
            for item in result.get("manual") or []:
                item = dict(item)
                try:
                    grade = gb.find_grade(item["grade_id"], notebook, assignment, result["student"])
                except MissingEntry:
                    grade = None
                if grade is not None and grade.manual_score is not None:
                    item["points"] = float(grade.manual_score)
                    item["needs_manual_grade"] = False
                items.append(item)
            result["manual"] = items
            if any(i.get("points") is not None for i in items) and result.get("score") is not None:
                # the gradebook's total, as the grader computed it: hand grades and late penalty in
                try:
                    result["score"] = submission_score(gb, assignment, result["student"])[0]
                except MissingEntry:
                    pass
            merged.append(result)
    return merged
