"""Reading a graded assignment's result files, and the item analysis made of them."""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from autograder.grading.verdict import NOT_WRITTEN, PASSED, cell_tags, outcome_of
from autograder.reports.misconceptions import strip_tag_text
from autograder.reports.results import GRADED_STATUSES

#: Statuses whose result carries per-cell verdicts.
SCORED_STATUSES = GRADED_STATUSES
REQUIRED_KEYS = ("student", "assignment", "status", "score", "max_score", "cells")
CELL_KEYS = ("grade_id", "points", "max_points")


class ResultsError(ValueError):
    """The result files cannot be used; the message names the file and the problem."""


def results_dir(course_dir: Path, assignment: str) -> Path:
    return Path(course_dir) / "reports" / assignment / "results"


def _check_result(data, path: Path, assignment: str) -> dict:
    if not isinstance(data, dict):
        raise ResultsError(f"{path}: expected a JSON object, found {type(data).__name__}")
    missing = [k for k in REQUIRED_KEYS if k not in data]
    if missing:
        raise ResultsError(f"{path}: missing field(s) {', '.join(missing)}")
    if data["assignment"] != assignment:
        raise ResultsError(
            f"{path}: result is for assignment {data['assignment']!r}, not {assignment!r}"
        )
    if not isinstance(data["cells"], list):
        raise ResultsError(f"{path}: 'cells' must be a list")
    for i, cell in enumerate(data["cells"]):
        if not isinstance(cell, dict) or any(k not in cell for k in CELL_KEYS):
            raise ResultsError(f"{path}: cell {i} lacks one of {', '.join(CELL_KEYS)}")
    return data


def load_results(course_dir: Path, assignment: str) -> list[dict]:
    """Every student's result for ``assignment``, sorted by student; clear errors for bad files."""
    folder = results_dir(course_dir, assignment)
    if not folder.is_dir():
        raise ResultsError(
            f"{folder}: no results for assignment {assignment!r}; run `python -m autograder grade {assignment}` first"
        )
    results = []
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError as exc:
            raise ResultsError(f"{path}: not a UTF-8 text file ({exc.reason})") from exc
        except json.JSONDecodeError as exc:
            raise ResultsError(f"{path}: corrupt JSON ({exc.msg} at line {exc.lineno})") from exc
        results.append(_check_result(data, path, assignment))
    if not results:
        raise ResultsError(f"{folder}: no result files (*.json) for assignment {assignment!r}")
    return sorted(results, key=lambda r: str(r["student"]))


def cell_passed(cell: dict) -> bool:
    """Whether a test cell earned its points (a cell that scored 0 never counts as a pass)."""
    return outcome_of(cell) == PASSED


@dataclass
class CellStats:
    grade_id: str
    function: str
    max_points: float
    attempts: int = 0
    passed: int = 0
    points: float = 0.0
    flagged: int = 0
    messages: Counter = field(default_factory=Counter)

    @property
    def pass_rate(self) -> float:
        return self.passed / self.attempts if self.attempts else math.nan

    @property
    def mean_points(self) -> float:
        return self.points / self.attempts if self.attempts else math.nan


@dataclass
class TagStats:
    tag: str
    cells: set[str] = field(default_factory=set)
    exposed: int = 0  # submissions graded on at least one cell that reports this tag
    shown: int = 0  # submissions that showed it

    @property
    def pass_rate(self) -> float:
        return 1.0 - self.shown / self.exposed if self.exposed else math.nan

    @property
    def share(self) -> float:
        """The share of the submissions graded on its cells that showed this misconception."""
        return self.shown / self.exposed if self.exposed else math.nan


@dataclass
class Analysis:
    assignment: str
    results: list[dict]
    scored: list[dict]
    not_graded: list[dict]
    cells: list[CellStats]
    tags: list[TagStats]
    max_score: float

    def hardest(self, n: int = 5) -> list[CellStats]:
        ranked = [c for c in self.cells if c.attempts]
        return sorted(ranked, key=lambda c: (c.pass_rate, c.grade_id))[:n]

    def percentages(self) -> list[float]:
        return [
            100.0 * float(r["score"]) / float(r["max_score"])
            for r in self.scored
            if float(r["max_score"]) > 0
        ]


def _tags_of(cell: dict) -> list[str]:
    return cell_tags(cell)


def analyse(results: list[dict], assignment: str) -> Analysis:
    scored = [r for r in results if r["status"] in SCORED_STATUSES and r["cells"]]
    not_graded = [r for r in results if r not in scored]
    cells: dict[str, CellStats] = {}
    for result in scored:
        for cell in result["cells"]:
            stats = cells.setdefault(
                cell["grade_id"],
                CellStats(
                    cell["grade_id"], str(cell.get("function") or ""), float(cell["max_points"])
                ),
            )
            stats.attempts += 1
            stats.points += float(cell["points"])
            stats.flagged += bool(cell.get("flagged"))
            if cell_passed(cell):
                stats.passed += 1
            elif outcome_of(cell) == NOT_WRITTEN:
                stats.messages["not written yet"] += 1
            else:
                message = strip_tag_text(cell.get("message") or "").splitlines()
                stats.messages[message[0][:200] if message else "(no message)"] += 1
    tags: dict[str, TagStats] = {}
    for result in scored:
        for cell in result["cells"]:
            for tag in _tags_of(cell):
                tags.setdefault(tag, TagStats(tag)).cells.add(cell["grade_id"])
    for result in scored:
        graded_ids = {c["grade_id"] for c in result["cells"]}
        shown = {t for c in result["cells"] if not cell_passed(c) for t in _tags_of(c)}
        for stats in tags.values():
            if stats.cells & graded_ids:
                stats.exposed += 1
                stats.shown += stats.tag in shown
    max_score = max((float(r["max_score"]) for r in scored), default=0.0)
    return Analysis(
        assignment,
        results,
        scored,
        not_graded,
        list(cells.values()),
        sorted(tags.values(), key=lambda t: (t.pass_rate, t.tag)),
        max_score,
    )
