"""The curated misconception table covers every tag the hidden tests of ``source/`` can emit.

A tag is a string literal in a hidden test (passed to ``_fail``, or to a helper that passes it
on). Rather than follow every helper, this scan takes every literal of a hidden-test block that is
spelled like a tag and requires it to be in the table, unless it is one of the few known
non-tags (module names, sympy symbol names, labels a function returns). A new tag in a hidden
test therefore fails here until the table has a sentence and a chapter section for it.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from autograder.reports import misconceptions
from autograder.reports.misconceptions import MAX_TAGS_PER_CELL, TABLE, known

REPO = Path(__file__).resolve().parents[3]
SOURCES = sorted((REPO / "source").glob("*/*.ipynb"))
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
SPELLED_LIKE_A_TAG = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
# Literals of the hidden tests that are not tags (checked by hand: what each one is).
NOT_TAGS = {
    "numpy", "math", "warnings", "sympy", "ignore",  # modules, warnings.simplefilter("ignore")
    "sin", "cos", "exp", "t", "x", "g", "w", "y", "lr", "tol", "grad", "hess",  # names shown
    "iu", "shape", "array", "list", "numbers",  # dtype kinds, attribute and type names, words
    "inconclusive", "minimum", "maximum", "saddle",  # labels the functions return
    "f", "b", "db", "b1", "b2",  # parameter names shown in messages
    "tanh", "none", "central", "forward",  # switches of the reference helpers
}  # fmt: skip


def _hidden_blocks(path: Path) -> list[tuple[str, str]]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    blocks = []
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        for block in HIDDEN.findall(source):
            blocks.append((cell["metadata"]["nbgrader"]["grade_id"], block))
    return blocks


def emitted_tags() -> dict[str, set[str]]:
    """tag -> test cells whose hidden tests hold it as a literal."""
    found: dict[str, set[str]] = {}
    for path in SOURCES:
        for grade_id, block in _hidden_blocks(path):
            for node in ast.walk(ast.parse(block)):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    if SPELLED_LIKE_A_TAG.fullmatch(node.value) and node.value not in NOT_TAGS:
                        found.setdefault(node.value, set()).add(f"{path.stem}:{grade_id}")
    return found


def test_the_scan_sees_the_hidden_tests():
    assert len(SOURCES) >= 4
    assert all(_hidden_blocks(path) for path in SOURCES)


def test_every_tag_a_hidden_test_can_emit_is_in_the_table():
    missing = {tag: sorted(cells) for tag, cells in emitted_tags().items() if tag not in TABLE}
    assert not missing, f"tags without a curated sentence: {missing}"


def test_the_table_has_no_tag_no_test_emits():
    assert sorted(set(TABLE) - set(emitted_tags())) == []


@pytest.mark.parametrize("tag", sorted(TABLE))
def test_each_entry_speaks_to_the_student_and_links_a_real_section(tag):
    hint = TABLE[tag]
    assert misconceptions.TAG_SYNTAX.fullmatch(tag)
    assert hint.sentence[:1].isupper() and hint.sentence.endswith("."), hint.sentence
    assert "[tag" not in hint.sentence and len(hint.sentence) < 220
    chapter = REPO / hint.link.split("#")[0]
    headings = [
        line.lstrip("#").strip()
        for cell in json.loads(chapter.read_text(encoding="utf-8"))["cells"]
        if cell["cell_type"] == "markdown"
        for line in "".join(cell["source"]).splitlines()
        if line.startswith("#")
    ]
    assert hint.section in headings, (tag, hint.section, chapter.name)


def test_every_hidden_test_attaches_its_tag_to_the_error():
    """The tag travels as ``error.misconception``, which the trusted runner reads."""
    for path in SOURCES:
        for grade_id, block in _hidden_blocks(path):
            assert "error.misconception = tag" in block, f"{path.name}:{grade_id}"


def test_only_known_tags_are_kept_and_at_most_a_few():
    assert known(["forward-difference", "made-up", 3, "forward-difference"]) == [
        "forward-difference"
    ]
    assert len(known(list(TABLE))) == MAX_TAGS_PER_CELL
    assert known("forward-difference") == []
