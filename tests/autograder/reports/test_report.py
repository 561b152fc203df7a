"""`python -m autograder report`: item analysis from synthetic per-student result files."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from PIL import Image

from autograder.cli import main

ASSIGNMENT = "ps1_derivatives"
# (grade_id, function, max points); every student's result lists them in this order.
CELLS = [
    ("test_secant_slope", "secant_slope", 3.0),
    ("test_central_difference", "central_difference", 2.0),
    ("test_poly_derivative", "poly_derivative", 2.0),
]
TAGGED = {
    "test_central_difference": "forward-difference",
    "test_poly_derivative": "missing-power-factor",
}


def make_result(student: str, passes: dict[str, bool], status: str = "graded") -> dict:
    cells = []
    for grade_id, function, points in CELLS:
        ok = passes[grade_id]
        tag = TAGGED.get(grade_id)
        message = (
            ""
            if ok
            else f"AssertionError: {function} returned the wrong value"
            + (f" [tag: {tag}]" if tag else "")
        )
        cells.append(
            {
                "grade_id": grade_id,
                "function": function,
                "points": points if ok else 0.0,
                "max_points": points,
                "kernel_passed": ok,
                "verified_passed": ok,
                "flagged": False,
                "message": message,
                "tags": [tag] if tag and not ok else [],
            }
        )
    return {
        "student": student,
        "assignment": ASSIGNMENT,
        "status": status,
        "error": None,
        "score": sum(c["points"] for c in cells),
        "max_score": sum(p for _, _, p in CELLS),
        "isolation": "bubblewrap",
        "elapsed_seconds": 1.0,
        "graded_at": "2026-11-24T23:01:02+00:00",
        "cells": cells,
        "manual": [{"grade_id": "explain_roundoff", "max_points": 2.0, "needs_manual_grade": True}],
    }


def cohort() -> list[dict]:
    """Twelve graded students with different pass patterns, and one broken notebook."""
    results = []
    for i in range(12):
        passes = {
            "test_secant_slope": i % 4 != 0,  # 9 of 12 pass
            "test_central_difference": i % 2 == 0,  # 6 of 12
            "test_poly_derivative": i < 3,  # 3 of 12: the hardest
        }
        results.append(make_result(f"s{i:02d}", passes))
    broken = make_result(
        "s99", dict.fromkeys(TAGGED, False) | {"test_secant_slope": False}, status="broken-notebook"
    )
    broken.update(
        cells=[], score=0.0, max_score=0.0, error="s99: ps1_derivatives.ipynb is not valid JSON"
    )
    results.append(broken)
    return results


def write_results(course: Path, results: list[dict]) -> Path:
    folder = course / "reports" / ASSIGNMENT / "results"
    folder.mkdir(parents=True, exist_ok=True)
    for result in results:
        (folder / f"{result['student']}.json").write_text(json.dumps(result))
    return folder


@pytest.fixture
def reported(tmp_path):
    results = cohort()
    write_results(tmp_path, results)
    status = main(["--course-dir", str(tmp_path), "report", ASSIGNMENT])
    return tmp_path / "reports" / ASSIGNMENT, results, status


def expected_rate(results: list[dict], grade_id: str) -> float:
    graded = [r for r in results if r["status"] == "graded"]
    passed = sum(
        c["verified_passed"] for r in graded for c in r["cells"] if c["grade_id"] == grade_id
    )
    return passed / len(graded)


def test_report_writes_csv_with_cell_pass_rates_and_tag_counts(reported):
    out, results, status = reported
    assert status == 0
    rows = list(csv.DictReader((out / "items.csv").open()))
    cells = {r["id"]: r for r in rows if r["kind"] == "cell"}
    assert set(cells) == {c[0] for c in CELLS}
    for grade_id, _, _ in CELLS:
        assert float(cells[grade_id]["pass_rate"]) == pytest.approx(
            expected_rate(results, grade_id)
        )
        assert int(cells[grade_id]["attempts"]) == 12  # the broken notebook is not an attempt
    tags = {r["id"]: r for r in rows if r["kind"] == "tag"}
    assert set(tags) == set(TAGGED.values())
    for grade_id, tag in TAGGED.items():
        # A tag is shown exactly when its cell fails here: its count is the cell's failures.
        share = 1 - expected_rate(results, grade_id)
        assert int(tags[tag]["showed_it"]) == round(12 * share)
        assert float(tags[tag]["share_showing"]) == pytest.approx(share)
        assert tags[tag]["pass_rate"] == ""  # a misconception has no "pass rate"
    assert "wrong value" in cells["test_poly_derivative"]["most_common_failure"]


def test_report_html_lists_hardest_item_first_and_shows_plots(reported):
    out, results, _ = reported
    page = (out / "report.html").read_text()
    hardest = min((c[0] for c in CELLS), key=lambda g: expected_rate(results, g))
    section = page.split("Hardest items", 1)[1]
    first_row = re.search(r"<tbody><tr><td>([^<]+)</td>", section).group(1)
    assert first_row == hardest
    images = re.findall(r'<img src="([^"]+)" alt="([^"]+)"', page)
    assert {src for src, _ in images} == {
        "score_histogram.png",
        "cell_pass_rates.png",
        "misconceptions.png",
    }
    for src, _alt in images:
        with Image.open(out / src) as im:
            assert im.format == "PNG" and im.width > 200 and im.height > 100
    assert "s99" in page and "broken-notebook" in page  # ungraded submissions are listed
    assert "12 graded, 1 could not be graded" in page


def test_report_histogram_counts_every_graded_score(reported, tmp_path):
    from autograder.reports.analysis import analyse, load_results

    out, results, _ = reported
    analysis = analyse(load_results(out.parent.parent, ASSIGNMENT), ASSIGNMENT)
    graded = [r for r in results if r["status"] == "graded"]
    assert sorted(analysis.percentages()) == sorted(
        100 * r["score"] / r["max_score"] for r in graded
    )


def test_corrupt_result_file_is_named_in_the_error(tmp_path, capsys):
    folder = write_results(tmp_path, cohort()[:3])
    (folder / "s07.json").write_text("{not json")
    assert main(["--course-dir", str(tmp_path), "report", ASSIGNMENT]) == 1
    err = capsys.readouterr().err
    assert "s07.json" in err and "corrupt JSON" in err


def test_result_missing_fields_is_named_in_the_error(tmp_path, capsys):
    folder = write_results(tmp_path, cohort()[:2])
    (folder / "s05.json").write_text(json.dumps({"student": "s05", "assignment": ASSIGNMENT}))
    assert main(["--course-dir", str(tmp_path), "report", ASSIGNMENT]) == 1
    err = capsys.readouterr().err
    assert "s05.json" in err and "missing field" in err and "cells" in err


def test_no_results_says_to_grade_first(tmp_path, capsys):
    assert main(["--course-dir", str(tmp_path), "report", ASSIGNMENT]) == 1
    assert "autograder grade ps1_derivatives" in capsys.readouterr().err


def test_misconception_rows_count_students_most_common_first(reported):
    out, results, _ = reported
    page = (out / "report.html").read_text()
    section = page.split("<h2>Misconceptions</h2>", 1)[1]
    rows = re.findall(
        r"<tr><td>([^<]+)</td><td>[^<]*</td><td>([^<]+)</td><td>([^<]+)</td>", section
    )
    # missing-power-factor: poly_derivative fails for 9 of 12; forward-difference: 6 of 12.
    assert rows == [
        ("missing-power-factor", "9 of 12", "75%"),
        ("forward-difference", "6 of 12", "50%"),
    ]
    assert "pass rate" not in section


def test_no_misconception_shown_gives_a_sentence_not_an_empty_chart(tmp_path):
    everyone_right = [
        make_result(f"s{i:02d}", dict.fromkeys(TAGGED, True) | {"test_secant_slope": i % 2 == 0})
        for i in range(4)
    ]
    # A passing cell's tags are never counted, even where a result lists some.
    for result in everyone_right:
        for cell in result["cells"]:
            if cell["grade_id"] in TAGGED:
                cell["tags"] = [TAGGED[cell["grade_id"]]]
    out = tmp_path / "reports" / ASSIGNMENT
    out.mkdir(parents=True)
    (out / "misconceptions.png").write_bytes(b"stale chart of an earlier run")
    write_results(tmp_path, everyone_right)
    assert main(["--course-dir", str(tmp_path), "report", ASSIGNMENT]) == 0
    page = (out / "report.html").read_text()
    section = page.split("<h2>Misconceptions</h2>", 1)[1]
    assert "No graded student showed any misconception" in section
    assert "forward-difference" not in section and "missing-power-factor" not in section
    assert "misconceptions.png" not in page
    assert not (out / "misconceptions.png").exists()
