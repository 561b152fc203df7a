"""The cell-metadata check with a compiled schema judges every cell as nbgrader's own does."""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import validators
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from nbgrader.nbgraderformat import MetadataValidator, ValidationError
from nbgrader.preprocessors import CheckCellMetadata

from autograder.grading import metadata
from autograder.grading.metadata import CachedCheckCellMetadata, CachedSchemaValidator

REPO = Path(__file__).resolve().parents[3]
SOURCES = sorted((REPO / "source").glob("*/*.ipynb"))

# Values a field may take: right ones, wrong types, missing (None drops the key), odd strings.
VALUES = {
    "grade": st.sampled_from([True, False, "yes", 1, None]),
    "solution": st.sampled_from([True, False, 0, None]),
    "locked": st.sampled_from([True, False, None, []]),
    "task": st.sampled_from([True, False, None, "no"]),
    "grade_id": st.sampled_from(["test_one", "has space", "", 7, None, "ok-id_2"]),
    "points": st.sampled_from([0, 1, 2.5, -1, "3", None, float("inf")]),
    "schema_version": st.sampled_from([3, 2, 4, 0, "3", None]),
    "cell_type": st.sampled_from(["code", "markdown", "raw", 5, None]),
    "extra": st.sampled_from([None, "surplus", {"nested": True}]),
}


def _outcome(validator, cell):
    """What validating ``cell`` does: ('ok',) or (exception type, message)."""
    try:
        validator.validate_cell(copy.deepcopy(cell))
    except Exception as error:  # noqa: BLE001 - compared, not handled
        return type(error), str(error)
    return ("ok",)


@settings(max_examples=400, deadline=None)
@given(
    fields=st.fixed_dictionaries({}, optional=VALUES),
    kind=st.sampled_from(["code", "markdown"]),
)
def test_every_cell_gets_nbgraders_verdict(fields, kind):
    meta = {key: value for key, value in fields.items() if value is not None}
    cell = new_code_cell("x = 1") if kind == "code" else new_markdown_cell("text")
    cell.metadata["nbgrader"] = meta
    assert _outcome(CachedSchemaValidator(), cell) == _outcome(MetadataValidator(), cell)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_the_course_notebooks_pass_both_and_a_corrupted_cell_fails_both(path):
    nb = nbformat.read(path, as_version=4)
    for check in (CheckCellMetadata(), CachedCheckCellMetadata()):
        check.preprocess(copy.deepcopy(nb), {})
    graded = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade"))
    graded.metadata["nbgrader"]["points"] = "lots"
    messages = []
    for check in (CheckCellMetadata(), CachedCheckCellMetadata()):
        with pytest.raises(ValidationError) as caught:
            check.preprocess(copy.deepcopy(nb), {})
        messages.append(str(caught.value))
    assert messages[0] == messages[1]


def test_the_schema_is_checked_once_not_per_cell(monkeypatch):
    cells = []
    for i in range(60):
        cell = new_code_cell(f"assert {i}")
        cell.metadata["nbgrader"] = {
            "grade": True,
            "solution": False,
            "locked": True,
            "grade_id": f"t{i}",
            "points": 1,
            "schema_version": 3,
        }
        cells.append(cell)
    nb = new_notebook(cells=cells)
    schema = MetadataValidator().schema
    cls = validators.validator_for(schema)
    checks = []
    original = cls.check_schema.__func__
    monkeypatch.setattr(
        cls, "check_schema", classmethod(lambda c, s, **k: checks.append(1) or original(c, s, **k))
    )
    monkeypatch.setattr(metadata, "_compiled", {})
    for _ in range(3):
        CachedCheckCellMetadata().preprocess(nb, {})
    assert len(checks) == 1
    CheckCellMetadata().preprocess(nb, {})  # nbgrader's own: once per cell
    assert len(checks) == 1 + len(cells)
