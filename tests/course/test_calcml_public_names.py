"""The course's teaching package hands students no graded function.

A student could otherwise import the course's own implementation of a contract function and pass
the visible checks without writing it. Contract names are read from the assignments themselves
(the ``grade_id`` of every autograded-answer cell that defines a function), so a new assignment is
covered without editing this file.
"""

from __future__ import annotations

import ast
import importlib
import json
import pkgutil
from pathlib import Path

import calcml

REPO = Path(__file__).resolve().parents[2]
# Tooling, not imported by the chapters: the book builder (it needs the optional book extras),
# the Lab and class-hub launchers and the servers' start. A ``__main__`` module runs its program when imported.
NOT_TEACHING = {"calcml.book", "calcml.lab", "calcml.hub", "calcml.serverapp"}


def contract_functions() -> set[str]:
    names = set()
    for path in sorted((REPO / "source").glob("*/*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell["cell_type"] != "code" or not meta.get("solution") or meta.get("grade"):
                continue
            tree = ast.parse("".join(cell["source"]))
            defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
            if meta.get("grade_id") in defined:
                names.add(meta["grade_id"])
    return names


def teaching_modules():
    for info in pkgutil.walk_packages(calcml.__path__, prefix="calcml."):
        name = info.name
        if name.endswith(".__main__") or any(
            name == tool or name.startswith(tool + ".") for tool in NOT_TEACHING
        ):
            continue
        yield importlib.import_module(name)


def test_every_assignment_contributes_contract_functions():
    names = contract_functions()
    assert {"secant_slope", "central_difference", "classify_hessian", "newton_method"} <= names
    assignments = {p.parent.name for p in (REPO / "source").glob("*/*.ipynb")}
    assert len(names) >= 3 * len(assignments)


def test_no_public_name_in_calcml_is_a_contract_function():
    names = contract_functions()
    offenders = [
        f"{module.__name__}.{attr}"
        for module in teaching_modules()
        for attr in vars(module)
        if attr in names and not attr.startswith("_")
    ]
    assert offenders == [], f"calcml exposes graded functions: {offenders}"
