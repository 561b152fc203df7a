"""Notebooks in git carry no outputs, have one title, and the student release leaks no solutions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
COMMITTED = sorted(
    p
    for folder in ("course", "source", "release")
    for p in (REPO / folder).rglob("*.ipynb")
    if ".ipynb_checkpoints" not in p.parts
)
RELEASE = [p for p in COMMITTED if p.parts[len(REPO.parts)] == "release"]


def _rel(p: Path) -> str:
    return str(p.relative_to(REPO))


@pytest.mark.parametrize("path", COMMITTED, ids=_rel)
def test_notebook_has_no_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{_rel(path)} cell {i} has outputs"
            assert cell.get("execution_count") is None, (
                f"{_rel(path)} cell {i} has an execution count"
            )
    assert "widgets" not in nb.get("metadata", {}), f"{_rel(path)} stores widget state"


@pytest.mark.parametrize(
    "path", [p for p in COMMITTED if p.parts[len(REPO.parts)] == "course"], ids=_rel
)
def test_chapter_has_one_title_and_objectives(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    markdown = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]
    titles = [line for text in markdown for line in text.splitlines() if re.match(r"^# \S", line)]
    assert len(titles) == 1, f"{_rel(path)} has {len(titles)} '# ' titles: {titles}"
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "import *" not in code, f"{_rel(path)} uses a star import"
    assert "sys.path" not in code, (
        f"{_rel(path)} edits sys.path instead of importing the installed package"
    )


@pytest.mark.parametrize("path", RELEASE, ids=_rel)
def test_release_holds_no_solution_or_hidden_test(path):
    text = path.read_text(encoding="utf-8")
    for marker in (
        "### BEGIN SOLUTION",
        "### END SOLUTION",
        "### BEGIN HIDDEN TESTS",
        "### END HIDDEN TESTS",
    ):
        assert marker not in text, f"{_rel(path)} contains {marker!r}"
