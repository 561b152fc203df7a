"""Check a notebook the way the toolbar's Validate button does, with an exit status that means it.

``python -m autograder validate NOTEBOOK [NOTEBOOK ...]`` runs each notebook top to bottom in a
fresh kernel with nbgrader's own :class:`~nbgrader.validator.Validator` (so the verdict is exactly
the button's) and prints one line per notebook and one short line per failing test cell: its
``grade_id`` and the last line of its error, not nbgrader's pages of tracebacks. The exit status is
0 when every notebook passes, 1 when one fails, 2 when one cannot be read; stock
``nbgrader validate`` exits 0 either way. ``--invert`` checks the opposite (every test cell must
fail, as a released stub should): ``make validate`` uses both.

Only the visible tests run (a student's copy has no hidden ones), in the student's own kernel: this
is a check for the author of the notebook, not grading, so it needs no sandbox. The kernel talks
over ``ipc`` sockets in a private folder, so no "running over TCP without encryption" warning.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import TextIO

from traitlets.config import Config

from autograder.environment import ipc_kernel_config

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class NotebookUnreadable(Exception):
    """The file is no notebook nbgrader can validate (the message names the file)."""


def _cells_by_source(path: Path) -> dict[str, str]:
    """``source.strip() -> grade_id`` of the notebook's nbgrader cells (to name failing cells)."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NotebookUnreadable(f"{path}: not a readable notebook ({exc})") from exc
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise NotebookUnreadable(f"{path}: not a notebook in nbformat 4 (no list of cells)")
    names = {}
    for cell in nb["cells"]:
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id:
            names[source.strip()] = grade_id
    return names


def _last_line(error: str) -> str:
    lines = [line.strip() for line in _ANSI.sub("", error).splitlines() if line.strip()]
    if not lines:
        return "(no message)"
    if lines[-1].rstrip(":") == "NotImplementedError":
        return "not written yet (the stub still raises NotImplementedError)"
    return lines[-1][:200]


def _validator_config(kernel_dir: Path, invert: bool) -> Config:
    config = ipc_kernel_config(kernel_dir)
    config.Validator.invert = invert
    return config


def validate_notebook(path: Path, invert: bool = False) -> list[str]:
    """Validate one notebook; returns its problems as short lines (empty: it passes)."""
    from nbgrader.validator import Validator

    names = _cells_by_source(path)
    with tempfile.TemporaryDirectory(prefix="calcml-validate-") as kernel_dir:
        validator = Validator(config=_validator_config(Path(kernel_dir), invert))
        results = validator.validate(str(path.resolve()))

    def name(cell: dict) -> str:
        return names.get(
            cell["source"], cell["source"].splitlines()[0][:60] if cell["source"] else "?"
        )

    problems = []
    for cell in results.get("type_changed", []):
        problems.append(
            f"{name(cell)}: this cell was a {cell['new_type']} cell and is now a "
            f"{cell['old_type']} cell: change it back"
        )
    for cell in results.get("changed", []):
        problems.append(f"{name(cell)}: a locked cell was edited: restore it from a fresh copy")
    for cell in results.get("passed", []):
        problems.append(f"{name(cell)}: passes, but with --invert every test cell must fail")
    for cell in results.get("failed", []):
        problems.append(f"{name(cell)}: {_last_line(cell.get('raw_error', ''))}")
    return problems


def validate_all(notebooks: list[Path], invert: bool, stream: TextIO) -> int:
    """Validate each notebook with a progress line; 0 all pass, 1 one fails, 2 one is unreadable."""
    status = 0
    for path in notebooks:
        stream.write(f"validate{' --invert' if invert else ''} {path} (runs every cell) ... ")
        stream.flush()
        started = time.monotonic()
        try:
            if not path.is_file():
                raise NotebookUnreadable(f"{path}: no such notebook")
            problems = validate_notebook(path, invert)
        except NotebookUnreadable as exc:
            stream.write(f"error\n  {exc}\n")
            status = 2
            continue
        seconds = time.monotonic() - started
        if problems:
            stream.write(f"FAILED ({seconds:.1f} s)\n")
            stream.writelines(f"  {line}\n" for line in problems)
            status = max(status, 1)
        else:
            stream.write(f"passed ({seconds:.1f} s)\n")
        stream.flush()
    return status


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebooks", nargs="+", type=Path, metavar="NOTEBOOK")
    parser.add_argument(
        "--invert",
        action="store_true",
        help="pass only when every test cell fails (a released stub notebook)",
    )


def run(args: argparse.Namespace) -> int:
    return validate_all(args.notebooks, args.invert, sys.stdout)
