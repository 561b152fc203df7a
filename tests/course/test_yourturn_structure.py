"""Every chapter, the welcome included, has at least four 'Your turn' exercises where the idea is
taught, and every quiz sits under a 'Check your understanding' heading with feedback for each
wrong option. Read from the notebooks as committed, so a new chapter is covered without edits."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from calcml.exercises import chapter_modules, exercises_of
from calcml.quiz import Quiz, multiple_choice, true_false

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO / "course").glob("[0-9][0-9]-*.ipynb"))
HEADING = re.compile(r"^#{2,4}\s+(.*)$", re.M)


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _source(cell: dict) -> str:
    return "".join(cell["source"])


def _calls(code: str) -> list[tuple[str, str]]:
    """(function, key) for every check("key", ...) / ask("key") call in a code cell."""
    found = []
    for node in ast.walk(ast.parse(code)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"check", "ask"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            found.append((node.func.id, node.args[0].value))
    return found


def _exercise_sections(path: Path) -> list[tuple[str, list[str]]]:
    """Each 'Your turn' heading with the exercise keys its section's code cells check."""
    sections: list[tuple[str, list[str]]] = []
    current = None
    for cell in _cells(path):
        text = _source(cell)
        if cell["cell_type"] == "markdown":
            for heading in HEADING.findall(text):
                current = heading if heading.startswith("Your turn") else None
                if current:
                    sections.append((current, []))
        elif current is not None:
            sections[-1][1].extend(key for _f, key in _calls(text))
    return sections


def _chapter(path: Path) -> str:
    return "ch" + path.name[:2]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_chapter_has_four_your_turn_exercises_each_checked_in_the_notebook(path):
    sections = _exercise_sections(path)
    assert len(sections) >= 4, f"{path.name}: {len(sections)} 'Your turn' sections, need 4"
    registered = exercises_of(_chapter(path))
    for heading, keys in sections:
        assert keys, f"{path.name}: 'Your turn' section {heading!r} has no check(...)/ask(...) cell"
        unknown = [k for k in keys if k not in registered]
        assert not unknown, f"{path.name}: {heading!r} checks unknown exercises {unknown}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_registered_exercise_is_used_once_and_not_all_at_the_end(path):
    chapter = _chapter(path)
    assert chapter in chapter_modules(), f"no calcml/exercises/{chapter}.py for {path.name}"
    used = [key for _h, keys in _exercise_sections(path) for key in keys]
    assert sorted(used) == sorted(exercises_of(chapter)), (
        f"{path.name}: used {sorted(used)} but calcml/exercises/{chapter}.py defines "
        f"{sorted(exercises_of(chapter))}"
    )
    cells = _cells(path)
    positions = [i for i, c in enumerate(cells) if c["cell_type"] == "code" and _calls(_source(c))]
    assert positions[0] < len(cells) * 0.6, f"{path.name}: every exercise sits at the end"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_quiz_has_its_heading_and_feedback_for_each_wrong_option(path):
    cells = _cells(path)
    names = {"Quiz": Quiz, "multiple_choice": multiple_choice, "true_false": true_false}
    quizzes = 0
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "code" or not _source(cell).lstrip().startswith("Quiz("):
            continue
        quizzes += 1
        before = [_source(c) for c in cells[:i] if c["cell_type"] == "markdown"]
        assert before and "Check your understanding" in (HEADING.findall(before[-1]) or [""])[-1], (
            f"{path.name}: the quiz is not right under a 'Check your understanding' heading"
        )
        quiz = eval(_source(cell), names)  # a literal Quiz([...]) built from these names
        for q in quiz.questions:
            assert q.why_not, f"{path.name}: question {q.prompt[:50]!r} has no per-option feedback"
    assert quizzes >= 1, f"{path.name}: no quiz"
