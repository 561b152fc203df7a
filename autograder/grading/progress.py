"""What a grading run shows on the terminal: the progress bar, warnings, the summary table, the exit status."""

from __future__ import annotations

import time
from typing import TextIO

from autograder.grading.untrusted import terminal_safe
from autograder.reports import results as res


class Progress:
    """Progress of a grading run: a tqdm bar on a terminal, one plain line per submission otherwise.

    A log (CI, a file, a pipe) never gets carriage returns or escape codes: it reads
    ``[3/24]    4.2s s03: graded 17/20`` lines, one per submission, as before.
    """

    def __init__(self, total: int, stream: TextIO, enabled: bool) -> None:
        self.total, self.done, self.stream, self.enabled = total, 0, stream, enabled
        self.tty = enabled and hasattr(stream, "isatty") and stream.isatty()
        self.started = time.monotonic()
        self.bar = None
        if self.tty:
            from tqdm import tqdm

            self.bar = tqdm(
                total=total,
                file=stream,
                dynamic_ncols=True,
                bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} {elapsed}{postfix}",
                leave=True,
            )

    def line(self, text: str) -> None:
        """A line of its own, always shown (above the bar, which tqdm redraws below it)."""
        if self.bar is not None:
            self.bar.write(text, file=self.stream)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def warn(self, message: str) -> None:
        """A warning on a line of its own (always shown, progress bar or not)."""
        self.line(f"warning: {terminal_safe(message)}")

    def advance(self, result: dict) -> None:
        self.done += 1
        if not self.enabled:
            return
        label = terminal_safe(f"{result['student']}: {result['status']}")
        if result["status"] in res.GRADED_STATUSES:
            label += f" {result['score']:g}/{result['max_score']:g}"
        if self.bar is not None:
            self.bar.set_postfix_str(f"{label:<40.40}", refresh=False)
            self.bar.update(1)
            if self.done >= self.total:
                self.close()
            return
        elapsed = time.monotonic() - self.started
        self.stream.write(f"[{self.done}/{self.total}] {elapsed:6.1f}s {label}\n")
        self.stream.flush()

    def close(self) -> None:
        """End the bar (also when a run stops early), leaving the cursor on a fresh line."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def summary_table(results: list[dict], assignment: str) -> str:
    """A plain-text table: one line per student, then counts and flagged cells."""
    lines = [f"\n{assignment}: {len(results)} submission(s)"]
    header = f"{'student':<20} {'score':>8} {'max':>6}  status"
    lines += [header, "-" * len(header)]
    for r in results:
        score = f"{r.get('score', 0):g}" if r["status"] in res.GRADED_STATUSES else "-"
        max_score = f"{r.get('max_score', 0):g}" if r["status"] in res.GRADED_STATUSES else "-"
        note = " (flagged for review)" if r.get("flagged") else ""
        lines.append(f"{r['student']:<20} {score:>8} {max_score:>6}  {r['status']}{note}")
    counts: dict[str, int] = {}
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    lines.append("-" * len(header))
    lines.append("  ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    for r in results:
        for cell in r.get("cells", []):
            if cell.get("flagged"):
                kernel = cell.get(
                    "kernel_score", cell["max_points"] if cell["kernel_passed"] else 0
                )
                lines.append(
                    f"FLAGGED {r['student']} {cell['grade_id']}: kernel run "
                    f"{kernel:g}/{cell['max_points']:g}, independent check "
                    f"{'passed' if cell['verified_passed'] else 'failed'}, "
                    f"{cell['points']:g} point(s) given"
                    + (f" ({cell['message'][:200]})" if cell.get("message") else "")
                )
    if any(r.get("verified") is False for r in results):
        lines.append(
            "WARNING: autograder.verify is not available: verdicts rest on the kernel run alone"
        )
    return "\n".join(terminal_safe(line) for line in lines) + "\n"


def exit_status(results: list[dict]) -> int:
    """Non-zero only when some submission could not be graded."""
    return 1 if any(r["status"] in res.ERROR_STATUSES for r in results) else 0
