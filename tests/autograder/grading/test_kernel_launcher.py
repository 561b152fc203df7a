"""The grading kernel's shortcut past IPython's token transforms (kernel_launcher.py).

A cell that CPython parses as plain Python skips IPython's search for its own syntax; every other
cell takes IPython's path. The shortcut is only right if the transformed cell is always the one
IPython makes, and if nothing else of the kernel's behaviour (its warnings) changes.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import nbformat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from IPython.core.inputtransformer2 import TransformerManager

from autograder.grading.kernel_launcher import skip_token_transforms_for_python

REPO = Path(__file__).resolve().parents[3]

# Lines of IPython syntax, of Python that looks like it (in strings, comments, operators), and
# of code that is neither (unfinished, badly indented): the two paths must agree on all of them.
FRAGMENTS = [
    "x = 1",
    "x != 2",
    "'%d' % 3",
    "y = 10 % 3",
    'f"{x!r} {x!s:>4}"',
    "# is this a question?",
    "s = 'why?'",
    "%time x = 1",
    "%%capture out",
    "a = %who_ls",
    "b = !echo hi",
    "!ls -l",
    "!!date",
    "x?",
    "len??",
    "%timeit?",
    ",print a b",
    ";print a b",
    "/print 1 2",
    "await something()",
    "async def g():",
    "def f():",
    "    return x ?",
    "    return x",
    "\tpass",
    "if x:",
    "else:",
    "(1,",
    "2)",
    "x = [",
    "]",
    "'unterminated",
    '"""doc',
    '"""',
    "x = 1 + \\",
    "  2",
    ">>> x = 5",
    "In [3]: x = 6",
    "   ...: y = 7",
    "\f",
    "",
    "lambda: (yield)",
    "x = 1; %time y",
    "print(x) ; !echo",
    "z = 5 ?",
    r's = "\d"',
]


@pytest.fixture
def shortcut(monkeypatch):
    """The shortcut installed for one test; IPython's own method comes back afterwards."""
    original = TransformerManager.do_token_transforms
    monkeypatch.setattr(TransformerManager, "do_token_transforms", original)
    skip_token_transforms_for_python()
    assert TransformerManager.do_token_transforms is not original
    return original


def _both(original, cell: str) -> tuple[str | Exception, str | Exception]:
    """IPython's transform of ``cell`` and the shortcut's (an exception counts as a result)."""
    results = []
    for method in (original, TransformerManager.do_token_transforms):
        manager = TransformerManager()
        manager.do_token_transforms = method.__get__(manager)
        try:
            results.append(manager.transform_cell(cell))
        except Exception as error:  # noqa: BLE001 - compared by type and text below
            results.append(error)
    return results[0], results[1]


def _same(ipython, ours) -> bool:
    if isinstance(ipython, Exception) or isinstance(ours, Exception):
        return type(ipython) is type(ours) and str(ipython) == str(ours)
    return ipython == ours


def test_every_code_cell_of_the_course_is_transformed_as_ipython_does(shortcut):
    cells = [
        cell.source
        for folder in ("course", "source", "release")
        for path in sorted((REPO / folder).rglob("*.ipynb"))
        for cell in nbformat.read(path, as_version=4).cells
        if cell.cell_type == "code"
    ]
    assert len(cells) > 100
    for cell in cells:
        ipython, ours = _both(shortcut, cell)
        assert _same(ipython, ours), cell


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=8), st.sampled_from(["", "  "]))
def test_any_mix_of_ipython_syntax_and_python_is_transformed_as_ipython_does(lines, indent):
    original = TransformerManager.do_token_transforms
    try:
        skip_token_transforms_for_python()
        cell = "\n".join(indent + line if i == 0 else line for i, line in enumerate(lines))
        ipython, ours = _both(original, cell)
    finally:
        TransformerManager.do_token_transforms = original
    assert _same(ipython, ours), cell


def test_the_look_at_a_cell_neither_warns_nor_forgets_which_warnings_were_shown(shortcut):
    def warn_here():
        warnings.warn("shown once per place", UserWarning, stacklevel=1)

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("default")
        filters = warnings.filters
        warn_here()
        TransformerManager().transform_cell('s = "\\d"\nt = 0x1for_\n')  # the parser warns here
        warn_here()  # the same place: "default" shows it only once
        assert warnings.filters is filters and filters[0][0] == "default"
    assert [str(w.message) for w in seen] == ["shown once per place"]
