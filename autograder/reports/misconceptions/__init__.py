"""The curated table of misconception tags: what each means for a student, and where to read up.

A hidden test names a likely misconception when it fails (``_fail(..., tag)`` in the source
notebooks' hidden tests; the trusted test runner takes the tag from the raised exception's
``misconception`` attribute, never from its message text). Only tags listed here are kept, at most
:data:`MAX_TAGS_PER_CELL` per test cell: ``feedback``, ``selfcheck`` and ``report`` show the
sentence and the chapter section of each. ``tests/autograder/reports/test_misconceptions.py`` fails when a
hidden test in ``source/`` can emit a tag this table lacks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: How a tag is spelled: lower-case words joined by hyphens.
TAG_SYNTAX = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
#: A tag written into a failure message as ``[tag: name]`` (the older convention): only ever
#: removed from messages, never read as a tag (a student's own text can contain it).
TAG_IN_TEXT = re.compile(r"\[tag: ?[^\]]{0,80}\]")
#: At most this many tags are kept for one test cell.
MAX_TAGS_PER_CELL = 3

_CHAPTERS = {
    "welcome": ("00-welcome.ipynb", "Welcome"),
    "derivatives": ("02-derivatives.ipynb", "Chapter 2, Derivatives"),
    "critical": ("03-critical-points.ipynb", "Chapter 3, Critical points and curvature"),
    "gradients": ("04-gradients.ipynb", "Chapter 4, Gradients and gradient descent"),
    "jacobians": ("05-jacobians-hessians.ipynb", "Chapter 5, Jacobians and Hessians"),
    "backprop": ("06-chain-rule-backprop.ipynb", "Chapter 6, The chain rule and backpropagation"),
}


@dataclass(frozen=True)
class Hint:
    """One tag's entry: a sentence for the student and the chapter section that explains it."""

    tag: str
    sentence: str
    chapter: str  # key of _CHAPTERS
    section: str  # the heading's text in that chapter notebook

    @property
    def where(self) -> str:
        """``Chapter 2, Derivatives, section "Numerical derivatives"``."""
        return f'{_CHAPTERS[self.chapter][1]}, section "{self.section}"'

    @property
    def link(self) -> str:
        """The section's address inside the course (JupyterLab's heading anchors)."""
        return f"course/{_CHAPTERS[self.chapter][0]}#{self.section.replace(' ', '-')}"


# The rows, one module per assignment (plus those any assignment can emit).
from . import common, ps1, ps2, ps3, ps4, ps5  # noqa: E402

_ROWS = [*common.ROWS, *ps1.ROWS, *ps2.ROWS, *ps3.ROWS, *ps4.ROWS, *ps5.ROWS]

TABLE: dict[str, Hint] = {tag: Hint(tag, sentence, ch, sec) for tag, ch, sec, sentence in _ROWS}


def known(tags: object) -> list[str]:
    """The tags of ``tags`` that the table lists, in order, without repeats, at most the bound."""
    if not isinstance(tags, (list, tuple)):
        return []
    kept: list[str] = []
    for tag in tags:
        if isinstance(tag, str) and tag in TABLE and tag not in kept:
            kept.append(tag)
    return kept[:MAX_TAGS_PER_CELL]


def hint(tag: str) -> Hint | None:
    return TABLE.get(tag)


def strip_tag_text(message: str) -> str:
    """``message`` without ``[tag: ...]`` markers (those of old results, or a student's own)."""
    return TAG_IN_TEXT.sub("", message or "").strip()
