"""Every numbered chapter has the shape the spec asks for: objectives, figures, a widget, a quiz, a summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from calcml.quiz import Quiz, multiple_choice, true_false

REPO = Path(__file__).resolve().parents[2]
CHAPTERS = sorted(p for p in (REPO / "course").glob("0[1-9]-*.ipynb"))


def _cells(path: Path, kind: str) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == kind]


def test_the_six_chapters_are_there():
    assert [p.name[:2] for p in CHAPTERS] == ["01", "02", "03", "04", "05", "06"]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_has_objectives_figures_widget_quiz_and_summary(path):
    markdown = "\n".join(_cells(path, "markdown"))
    code = _cells(path, "code")
    assert "Learning objectives" in markdown, f"{path.name}: no learning objectives"
    assert "## Summary" in markdown, f"{path.name}: no summary"
    assert sum("show_figure(" in c for c in code) >= 5, f"{path.name}: fewer than 5 static figures"
    assert any("from calcml.widgets" in c for c in code), f"{path.name}: no interactive widget"
    quiz_cells = [c for c in code if c.lstrip().startswith("Quiz(")]
    assert len(quiz_cells) == 1, f"{path.name}: {len(quiz_cells)} quiz cells"
    names = {"Quiz": Quiz, "multiple_choice": multiple_choice, "true_false": true_false}
    quiz = eval(quiz_cells[0], names)  # the cell is a literal Quiz([...]) built from these names
    assert 4 <= len(quiz.questions) <= 8, f"{path.name}: {len(quiz.questions)} quiz questions"
    assert all(q.explanation.strip() for q in quiz.questions), (
        f"{path.name}: a question lacks its explanation"
    )
