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
trusted test, checked against :mod:`autograder.reports.misconceptions`; never read from message text) is
counted over the submissions graded on the cells that can report it: the report says how many of
those submissions showed it, and what share of them that is. A function still left as the release
stub is "not written yet": it counts as failed, but no tag is counted for it.

The reading and the counting are in :mod:`autograder.reports.analysis`; this module writes.
"""

from __future__ import annotations

import argparse
import csv
import html
import math
import sys
from pathlib import Path

from autograder.grading.untrusted import csv_safe
from autograder.reports.analysis import Analysis, ResultsError, TagStats, analyse, load_results
from autograder.reports.pages import page_head


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
