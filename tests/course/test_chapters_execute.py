"""Every chapter runs top to bottom in a fresh kernel without an error."""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[2]
CHAPTERS = sorted((REPO / "course").glob("*.ipynb"))


def test_there_are_chapters():
    names = [p.name for p in CHAPTERS]
    assert any(n.startswith("02-") for n in names), names


@pytest.mark.slow
@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_executes_without_error(path, jupyter_env, monkeypatch):
    for key, value in jupyter_env.items():
        monkeypatch.setenv(key, value)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    errors = [
        (i, out.get("ename"), out.get("evalue"))
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    assert not errors, f"{path.name}: error outputs {errors}"
    stderr = [
        (i, out.get("text", "")[:200])
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "stream" and out.get("name") == "stderr"
    ]
    assert not stderr, f"{path.name}: warnings or errors printed to stderr {stderr}"
    print(f"{path.name} executed in {elapsed:.1f} s")
