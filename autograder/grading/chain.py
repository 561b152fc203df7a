"""nbgrader's autograde chain as the course configures it, with the grader's own steps in place.

``nbgrader autograde`` runs two lists of preprocessors, ``Autograde.sanitize_preprocessors`` and
``Autograde.autograde_preprocessors``, and a course may change either in ``nbgrader_config.py``
(add a step, drop one, ``.append(...)``). The grader reads the same two traits, through nbgrader's
own ``Autograde`` class, so that whatever the course configured runs here too, with four stock
steps replaced by the grader's equivalents:

- ``OverwriteCells`` -> :class:`~autograder.grading.gradebook.SharedOverwriteCells` (the run's copy
  of the trusted cells, :mod:`autograder.grading.snapshot`; ``OverwriteKernelspec`` reads it too);
- ``Execute`` -> the grader's capped, sandboxed execution (:class:`~autograder.grading.execute.CappedExecute`);
- ``SaveAutoGrades`` -> :class:`~autograder.grading.gradebook.SharedSaveAutoGrades` and
  ``AssignLatePenalties`` -> :class:`~autograder.grading.gradebook.SharedAssignLatePenalties`, run by the
  main process, the only gradebook writer.

and the stock ``CheckCellMetadata`` (not a course's subclass of it) by
:class:`~autograder.grading.metadata.CachedCheckCellMetadata`, the same checks with the schema
compiled once.

Where each step runs: the sanitize list, then the autograde steps before ``Execute``, execution,
and every other autograde step in the worker, in the configured order; then the grader's verdict;
then the gradebook writers in the main process. (So a step a course placed after
``SaveAutoGrades`` runs before the scores are saved: nbgrader's own order would let it change the
notebook only after.) A course that drops ``OverwriteCells``, ``Execute`` or ``SaveAutoGrades``,
or replaces one of them by a class of its own, is refused: the trusted test cells, the sandbox
and the scores depend on them.
"""

from __future__ import annotations

from dataclasses import dataclass

from nbgrader.converters import Autograde
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    Execute,
    OverwriteCells,
    SaveAutoGrades,
)
from traitlets.config import Config
from traitlets.utils.importstring import import_item

from autograder.grading.gradebook import (
    CourseError,
    SharedAssignLatePenalties,
    SharedOverwriteCells,
    SharedSaveAutoGrades,
)
from autograder.grading.metadata import CachedCheckCellMetadata

# Steps without which the grader's verdict means nothing: each must be configured exactly once.
REQUIRED_SANITIZE = (OverwriteCells,)
REQUIRED_AUTOGRADE = (Execute, SaveAutoGrades)
# Gradebook writers: they run in the main process.
WRITERS = (SaveAutoGrades, AssignLatePenalties)


@dataclass(frozen=True)
class Chain:
    """The steps of grading one notebook, in order, split by where they run."""

    sanitize: tuple[type, ...]  # worker, before execution
    before_execute: tuple[type, ...]  # worker: autograde steps configured before Execute
    execute: type  # worker: the sandboxed, capped execution
    after_execute: tuple[type, ...]  # worker: every other autograde step but the writers
    save: tuple[type, ...]  # main process: SharedSaveAutoGrades, SharedAssignLatePenalties


def _resolve(step, trait: str) -> type:
    """A configured step as a class (nbconvert also accepts a dotted name)."""
    if isinstance(step, str):
        try:
            step = import_item(step)
        except Exception as error:  # noqa: BLE001 - any import failure is the course's to fix
            raise CourseError(f"Autograde.{trait}: cannot import {step!r} ({error})") from None
    if not isinstance(step, type):
        raise CourseError(
            f"Autograde.{trait}: {step!r} is not a preprocessor class (give the class or its "
            "dotted name)"
        )
    return step


def _substitute(step: type, trait: str, substitutes: dict[type, type]) -> type:
    """The grader's class for a stock step it replaces; a course's own variant is refused."""
    for stock, ours in substitutes.items():
        if step is stock or issubclass(step, ours):
            return ours if step is stock else step
        if issubclass(step, stock):
            raise CourseError(
                f"Autograde.{trait}: {step.__module__}.{step.__qualname__} replaces nbgrader's "
                f"{stock.__name__}, which the grader must run itself (as {ours.__name__}); "
                "configure the stock class"
            )
    return step


def _count(steps: list[type], stock: type, trait: str) -> None:
    found = sum(1 for step in steps if issubclass(step, stock))
    if found != 1:
        raise CourseError(
            f"Autograde.{trait} must hold {stock.__name__} exactly once (found {found}): "
            "the grader's verdict depends on it"
        )


def course_chain(config: Config, *, execute: type) -> Chain:
    """The chain of a course's ``config``; ``execute`` is the grader's Execute subclass.

    Raises :class:`~autograder.grading.gradebook.CourseError` when the configured lists cannot be run.
    """
    substitutes = {
        OverwriteCells: SharedOverwriteCells,
        Execute: execute,
        SaveAutoGrades: SharedSaveAutoGrades,
        AssignLatePenalties: SharedAssignLatePenalties,
    }
    converter = Autograde(config=config)
    lists = {}
    for trait, required in (
        ("sanitize_preprocessors", REQUIRED_SANITIZE),
        ("autograde_preprocessors", REQUIRED_AUTOGRADE),
    ):
        steps = [_resolve(step, trait) for step in getattr(converter, trait)]
        for stock in required:
            _count(steps, stock, trait)
        lists[trait] = [
            CachedCheckCellMetadata
            if step is CheckCellMetadata
            else _substitute(step, trait, substitutes)
            for step in steps
        ]
    sanitize = lists["sanitize_preprocessors"]
    if any(issubclass(step, (Execute, *WRITERS)) for step in sanitize):
        raise CourseError(
            "Autograde.sanitize_preprocessors: Execute, SaveAutoGrades and AssignLatePenalties "
            "belong in Autograde.autograde_preprocessors"
        )
    autograde = lists["autograde_preprocessors"]
    at = next(i for i, step in enumerate(autograde) if issubclass(step, Execute))
    writers_in = [step for step in autograde if issubclass(step, WRITERS)]
    if any(issubclass(step, WRITERS) for step in autograde[:at]):
        raise CourseError(
            "Autograde.autograde_preprocessors: SaveAutoGrades and AssignLatePenalties must come "
            "after Execute"
        )
    return Chain(
        sanitize=tuple(sanitize),
        before_execute=tuple(autograde[:at]),
        execute=autograde[at],
        after_execute=tuple(s for s in autograde[at + 1 :] if not issubclass(s, WRITERS)),
        save=tuple(writers_in),
    )
