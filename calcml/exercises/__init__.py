"""Where the chapters' 'Your turn' exercises live: one module per chapter, ``chNN.py``.

Each module defines ``EXERCISES``, a tuple of :mod:`calcml.yourturn` exercises whose keys start
with the module's name (``ch02.secant-by-hand`` lives in ``ch02.py``). Keeping them here, not in
the notebook, means the notebook's source shows the task and never the answer.
"""

from __future__ import annotations

import importlib
import pkgutil

from calcml.yourturn import Exercise


def chapter_modules() -> list[str]:
    return sorted(
        info.name for info in pkgutil.iter_modules(__path__) if info.name.startswith("ch")
    )


def exercises_of(chapter: str) -> dict[str, Exercise]:
    """The exercises of ``chapter`` (``"ch02"``) by key, checked for well-formed keys."""
    module = importlib.import_module(f"{__name__}.{chapter}")
    found: dict[str, Exercise] = {}
    for ex in module.EXERCISES:
        if not ex.key.startswith(chapter + "."):
            raise ValueError(
                f"{module.__file__}: exercise key {ex.key!r} must start with {chapter + '.'!r}"
            )
        if ex.key in found:
            raise ValueError(f"{module.__file__}: exercise key {ex.key!r} is defined twice")
        found[ex.key] = ex
    return found


def lookup(key: str) -> Exercise:
    chapter, dot, _slug = key.partition(".")
    if not dot or chapter not in chapter_modules():
        raise KeyError(
            f"no exercise {key!r}: keys look like 'ch02.slug' and the chapters with exercises are "
            + ", ".join(chapter_modules())
        )
    found = exercises_of(chapter)
    if key not in found:
        raise KeyError(
            f"no exercise {key!r} in calcml/exercises/{chapter}.py; it has: " + ", ".join(found)
        )
    return found[key]
