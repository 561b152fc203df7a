"""Per-student result JSON and the class ``grades.csv`` under ``reports/<assignment>/``.

Layout (read by ``report``, ``feedback`` and ``selfcheck``)::

    reports/<assignment>/results/<student>.json
    reports/<assignment>/grades.csv

Result dicts look like::

    {"student": "s01", "assignment": "ps1_derivatives", "status": "graded", "error": None,
     "score": 17.0, "max_score": 20.0, "isolation": "bubblewrap", "elapsed_seconds": 1.4,
     "graded_at": "...", "cells": [{"grade_id": ..., "function": ..., "points": ...,
     "max_points": ..., "kernel_passed": ..., "verified_passed": ..., "flagged": ...,
     "message": ..., "tags": [...]}], "manual": [{"grade_id": ..., "max_points": ...,
     "needs_manual_grade": ...}]}
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

from autograder.grading.untrusted import csv_safe

# Statuses of a submission that has a score in the gradebook.
# ("disk-limit": the kernel was stopped for filling its working folder, like "timeout".)
GRADED_STATUSES = ("graded", "timeout", "kernel-died", "disk-limit")
# Statuses of a submission that could not be graded (the run exits non-zero).
ERROR_STATUSES = ("broken-notebook", "missing-notebook", "error")


def reports_dir(course_dir: Path, assignment: str) -> Path:
    return Path(course_dir) / "reports" / assignment


def result_path(course_dir: Path, assignment: str, student: str) -> Path:
    return reports_dir(course_dir, assignment) / "results" / f"{student}.json"


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def error_result(student: str, assignment: str, status: str, error: str, **extra) -> dict:
    """The result dict of a submission that could not be (fully) graded."""
    result = {
        "student": student,
        "assignment": assignment,
        "status": status,
        "error": error,
        "score": 0.0,
        "max_score": 0.0,
        "isolation": None,
        "elapsed_seconds": 0.0,
        "graded_at": now_iso(),
        "cells": [],
        "manual": [],
    }
    result.update(extra)
    return result


def write_result(course_dir: Path, result: dict) -> Path:
    """Write one result JSON atomically (a crash never leaves half a file behind)."""
    path = result_path(course_dir, result["assignment"], result["student"])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=2, sort_keys=False, allow_nan=False) + "\n")
    os.replace(tmp, path)
    return path


def read_result(course_dir: Path, assignment: str, student: str) -> dict | None:
    """The stored result of one student, or ``None`` if there is none (or it is unreadable)."""
    path = result_path(course_dir, assignment, student)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def read_results(course_dir: Path, assignment: str) -> list[dict]:
    """Every stored result of an assignment, sorted by student."""
    folder = reports_dir(course_dir, assignment) / "results"
    results = []
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ValueError(f"{path}: unreadable result file ({exc})") from exc
        results.append(data)
    return results


def grade_cell_ids(results: Iterable[dict]) -> list[str]:
    """The test-cell grade_ids in notebook order, as they appear in the results."""
    seen: dict[str, None] = {}
    for result in results:
        for cell in result.get("cells", []):
            seen.setdefault(cell["grade_id"], None)
    return list(seen)


def write_grades_csv(course_dir: Path, assignment: str, results: list[dict]) -> Path:
    """``grades.csv``: student, score, max_score, status, then points per test cell."""
    results = sorted(results, key=lambda r: r["student"])
    cell_ids = grade_cell_ids(results)
    path = reports_dir(course_dir, assignment) / "grades.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "score", "max_score", "status", *map(csv_safe, cell_ids)])
        for result in results:
            points = {c["grade_id"]: c["points"] for c in result.get("cells", [])}
            writer.writerow(
                [
                    csv_safe(result["student"]),
                    _number(result.get("score")),
                    _number(result.get("max_score")),
                    csv_safe(result["status"]),
                    *(_number(points.get(cid, "")) for cid in cell_ids),
                ]
            )
    os.replace(tmp, path)
    return path


def read_grades_csv(path: Path) -> list[dict[str, str]]:
    with Path(path).open(newline="") as handle:
        return list(csv.DictReader(handle))


def _number(value):
    if isinstance(value, float) and value.is_integer():
        return f"{value:.1f}"
    return value
