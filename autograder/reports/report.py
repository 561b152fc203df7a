"""Item analysis of a graded assignment: ``python -m autograder report <assignment>``.

Reads the per-student result files ``reports/<assignment>/results/<student>.json`` written by
``grade`` and writes, next to them:

* ``reports/<assignment>/report.html``: the class summary, the hardest items, the pass rate of every
  test cell and, for every misconception tag, how many students showed it, with PNG plots;
* ``reports/<assignment>/items.csv``: one row per test cell and per tag;
* ``score_histogram.png``, ``cell_pass_rates.png`` and, when some student showed a misconception,
  ``misconceptions.png``.

A test cell *passes* for a student when its verdict (the verified one when the grader produced one,
otherwise the kernel's) is a pass. A misconception tag (from the result's ``tags``: set by the
trusted test, checked against :mod:`autograder.misconceptions`; never read from message text) is
counted over the submissions graded on the cells that can report it: the report says how many of
those submissions showed it, and what share of them that is. A function still left as the release
stub is "not written yet": it counts as failed, but no tag is counted for it.
"""

from __future__ import annotations

import argparse
import csv
import html
import json
import math
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from autograder.misconceptions import strip_tag_text
from autograder.pages import page_head
from autograder.results import GRADED_STATUSES
from autograder.untrusted import csv_safe
from autograder.verdict import NOT_WRITTEN, PASSED, cell_tags, outcome_of

#: Statuses whose result carries per-cell verdicts.
SCORED_STATUSES = GRADED_STATUSES
REQUIRED_KEYS = ("student", "assignment", "status", "score", "max_score", "cells")
CELL_KEYS = ("grade_id", "points", "max_points")


class ResultsError(ValueError):
    """The result files cannot be used; the message names the file and the problem."""


# ------------------------------------------------------------------------------------------
# Reading
# ------------------------------------------------------------------------------------------


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


# ------------------------------------------------------------------------------------------
# Analysis
# ------------------------------------------------------------------------------------------


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


# ------------------------------------------------------------------------------------------
# Output
# ------------------------------------------------------------------------------------------


def _pct(x: float) -> str:
    return "–" if math.isnan(x) else f"{100 * x:.0f}%"


def write_items_csv(analysis: Analysis, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            [
                "kind",
                "id",
                "function",
                "max_points",
                "attempts",
                "passed",
                "pass_rate",
                "mean_points",
                "flagged",
                "most_common_failure",
                "showed_it",
                "share_showing",
            ]
        )
        for c in analysis.cells:
            common = c.messages.most_common(1)
            writer.writerow(
                [
                    "cell",
                    c.grade_id,
                    c.function,
                    f"{c.max_points:g}",
                    c.attempts,
                    c.passed,
                    "" if math.isnan(c.pass_rate) else f"{c.pass_rate:.4f}",
                    "" if math.isnan(c.mean_points) else f"{c.mean_points:.4f}",
                    c.flagged,
                    csv_safe(common[0][0]) if common else "",
                    "",
                    "",
                ]
            )
        for t in analysis.tags:
            writer.writerow(
                [
                    "tag",
                    t.tag,
                    " ".join(sorted(t.cells)),
                    "",
                    t.exposed,
                    "",
                    "",
                    "",
                    "",
                    "",
                    t.shown,
                    "" if math.isnan(t.share) else f"{t.share:.4f}",
                ]
            )


def _bar_png(
    labels: list[str],
    rates: list[float],
    title: str,
    xlabel: str,
    path: Path,
    notes: list[str] | None = None,
) -> None:
    """Horizontal bars of percentages, optionally with a note (``3 of 12``) at the end of each."""
    from calcml.figures import COLORS, figure_png, label_axes, new_figure

    height = max(2.0, 0.35 * len(labels) + 1.2)
    fig = new_figure(6.4, height, dpi=100)
    ax = fig.axes[0]
    y = list(range(len(labels)))
    ax.barh(y, [100 * r for r in rates], height=0.6, color=COLORS["curve"])
    for row, rate, note in zip(y, rates, notes or [], strict=False):
        if rate > 0.8:  # no room right of a long bar: write inside its end, in white
            ax.text(100 * rate - 1.5, row, note, va="center", ha="right", fontsize=8, color="white")
        else:
            ax.text(100 * rate + 1.5, row, note, va="center", ha="left", fontsize=8)
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.set_yticks(y, labels)
    ax.set_xlim(0, 100)
    label_axes(ax, title, xlabel, "")
    path.write_bytes(figure_png(fig, compress_level=6))


def shown_tags(analysis: Analysis) -> list[TagStats]:
    """The misconceptions at least one graded student showed, most common first."""
    shown = [t for t in analysis.tags if t.exposed and t.shown]
    return sorted(shown, key=lambda t: (-t.share, -t.shown, t.tag))


def _misconceptions_html(analysis: Analysis) -> list[str]:
    """The misconceptions section: who showed what, or one sentence when nobody showed any."""
    shown = shown_tags(analysis)
    if not analysis.tags:
        return ["<p>No graded student showed any misconception the hidden tests can name.</p>"]
    if not shown:
        names = ", ".join(t.tag for t in sorted(analysis.tags, key=lambda t: t.tag))
        return [
            f"<p>No graded student showed any of the {len(analysis.tags)} misconceptions the "
            f"failing tests named ({html.escape(names)}).</p>"
        ]
    rows = [
        [
            t.tag,
            ", ".join(sorted(t.cells)),
            f"{t.shown} of {t.exposed}",
            _pct(t.share),
        ]
        for t in shown
    ]
    return [
        '<img src="misconceptions.png" alt="Bar chart of the share of graded students who showed '
        'each misconception, most common first">',
        "<p>Each row counts the students, among those graded on the test cells that can detect "
        "the misconception, whose failing tests named it.</p>",
        _table(["misconception", "detected by", "students who showed it", "share"], rows),
    ]


def _histogram_png(percentages: list[float], title: str, path: Path) -> None:
    from matplotlib.ticker import MaxNLocator

    from calcml.figures import COLORS, figure_png, label_axes, new_figure

    fig = new_figure(6.4, 3.2, dpi=100)
    ax = fig.axes[0]
    ax.hist(percentages, bins=[10 * i for i in range(11)], color=COLORS["curve"], edgecolor="white")
    ax.set_xlim(0, 100)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    label_axes(ax, title, "score (% of the maximum)", "submissions")
    path.write_bytes(figure_png(fig, compress_level=6))


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
img { max-width: 100%; }
"""


def render_html(analysis: Analysis, top: int) -> str:
    a = analysis
    pct = a.percentages()
    mean = sum(pct) / len(pct) if pct else math.nan
    median = sorted(pct)[len(pct) // 2] if pct else math.nan
    parts = [
        page_head(f"Item analysis: {a.assignment}", STYLE, images=True),
        f"<h1>Item analysis: {html.escape(a.assignment)}</h1>",
        f"<p>{len(a.results)} submissions; {len(a.scored)} graded, {len(a.not_graded)} could not be graded. "
        f"Maximum score {a.max_score:g}. Mean {mean:.1f}%, median {median:.1f}%.</p>"
        if pct
        else f"<p>{len(a.results)} submissions; none could be graded.</p>",
        "<h2>Score distribution</h2>",
        '<img src="score_histogram.png" alt="Histogram of the scores as a percentage of the maximum, in bins of 10 points">',
        f"<h2>Hardest items (lowest pass rate, top {top})</h2>",
        _table(
            ["test cell", "function", "pass rate", "most common failure (count)"],
            [
                [
                    c.grade_id,
                    c.function,
                    _pct(c.pass_rate),
                    "; ".join(f"{m} ({n})" for m, n in c.messages.most_common(2)) or "–",
                ]
                for c in a.hardest(top)
            ],
        ),
        "<h2>Pass rate of every test cell</h2>",
        '<img src="cell_pass_rates.png" alt="Bar chart of the share of graded submissions that pass each test cell">',
        _table(
            [
                "test cell",
                "function",
                "max points",
                "graded",
                "passed",
                "pass rate",
                "mean points",
                "flagged for review",
            ],
            [
                [
                    c.grade_id,
                    c.function,
                    f"{c.max_points:g}",
                    c.attempts,
                    c.passed,
                    _pct(c.pass_rate),
                    f"{c.mean_points:.2f}",
                    c.flagged,
                ]
                for c in a.cells
            ],
        ),
        "<h2>Misconceptions</h2>",
        *_misconceptions_html(a),
    ]
    if a.not_graded:
        parts += [
            "<h2>Submissions that could not be graded</h2>",
            _table(
                ["student", "status", "error"],
                [[r["student"], r["status"], r.get("error") or ""] for r in a.not_graded],
            ),
        ]
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(course_dir: Path, assignment: str, top: int = 5) -> Path:
    """Analyse the results and write the HTML page, the PNGs and the CSV; return the HTML path."""
    analysis = analyse(load_results(course_dir, assignment), assignment)
    out = Path(course_dir) / "reports" / assignment
    out.mkdir(parents=True, exist_ok=True)
    _histogram_png(analysis.percentages(), f"Scores on {assignment}", out / "score_histogram.png")
    cells = [c for c in analysis.cells if c.attempts]
    _bar_png(
        [c.grade_id for c in cells],
        [c.pass_rate for c in cells],
        "Pass rate per test cell",
        "pass rate (%)",
        out / "cell_pass_rates.png",
    )
    shown = shown_tags(analysis)
    chart = out / "misconceptions.png"
    if shown:
        _bar_png(
            [t.tag for t in shown],
            [t.share for t in shown],
            "Students who showed each misconception",
            "share of the graded students (%)",
            chart,
            notes=[f"{t.shown} of {t.exposed}" for t in shown],
        )
    else:
        chart.unlink(missing_ok=True)  # a chart from an earlier run would no longer be true
    write_items_csv(analysis, out / "items.csv")
    page = out / "report.html"
    page.write_text(render_html(analysis, top), encoding="utf-8")
    return page


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("assignment", help="assignment name, e.g. ps1_derivatives")
    parser.add_argument(
        "--top", type=int, default=5, help="how many hardest items to list (default 5)"
    )


def run(args: argparse.Namespace) -> int:
    course_dir = Path(getattr(args, "course_dir", None) or ".")
    try:
        page = write_report(course_dir, args.assignment, args.top)
    except ResultsError as exc:
        print(f"report: error: {exc}", file=sys.stderr)
        return 1
    print(f"report: wrote {page} and {page.with_name('items.csv')}")
    return 0
