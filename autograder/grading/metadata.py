"""nbgrader's cell-metadata check with its JSON schema checked once, not once per cell.

``CheckCellMetadata`` validates every nbgrader cell with ``jsonschema.validate``, which first
checks nbgrader's own schema against the JSON-Schema meta-schema, on every call: ~1.7 ms a cell,
twice a notebook in the autograde chain, about 40 ms of a worker's CPU per submission. Here the
schema is compiled into a validator once per process and each cell is validated with it; the
errors are the ones ``jsonschema.validate`` raises (the best match of the same error list), and
every other rule (schema versions, cell types, grade/solution/locked combinations) is nbgrader's
own, unchanged (:class:`CachedSchemaValidator` only takes the place of the base class's last step).
"""

from __future__ import annotations

import traceback

from jsonschema import exceptions, validators
from nbformat.notebooknode import NotebookNode
from nbgrader.nbgraderformat import MetadataValidator, ValidationError
from nbgrader.nbgraderformat.common import (
    BaseMetadataValidator,
    SchemaTooNewError,
    SchemaTooOldError,
)
from nbgrader.preprocessors import CheckCellMetadata

_compiled: dict[int, object] = {}


def _validator(version: int, schema: dict):
    """The validator of nbgrader's schema ``version`` (a fixed file), checked against its meta-schema once."""
    validator = _compiled.get(version)
    if validator is None:
        cls = validators.validator_for(schema)
        cls.check_schema(schema)
        validator = _compiled[version] = cls(schema)
    return validator


class _CompiledBase(BaseMetadataValidator):
    """The base class's ``validate_cell`` with the schema compiled once."""

    def validate_cell(self, cell: NotebookNode) -> None:
        if "nbgrader" not in cell.metadata:
            return
        schema = cell.metadata["nbgrader"].get("schema_version", 0)
        if schema < self.schema_version:
            raise SchemaTooOldError(
                f"Outdated schema version: {schema} (expected {self.schema_version})",
                schema,
                self.schema_version,
            )
        if schema > self.schema_version:
            raise SchemaTooNewError(
                f"Schema version is too new: {schema} (expected {self.schema_version})",
                schema,
                self.schema_version,
            )
        validator = _validator(self.schema_version, self.schema)
        error = exceptions.best_match(validator.iter_errors(cell.metadata["nbgrader"]))
        if error is not None:
            raise error


class CachedSchemaValidator(MetadataValidator, _CompiledBase):
    """nbgrader's current ``MetadataValidator``; its ``super().validate_cell`` lands in _CompiledBase."""


class CachedCheckCellMetadata(CheckCellMetadata):
    """``CheckCellMetadata`` (same checks, same log and error) with the compiled schema."""

    def preprocess(self, nb: NotebookNode, resources: dict):
        try:
            CachedSchemaValidator().validate_nb(nb)
        except ValidationError:
            self.log.error(traceback.format_exc())
            msg = "Notebook failed to validate; the nbgrader metadata may be corrupted."
            self.log.error(msg)
            raise ValidationError(msg)  # noqa: B904 - as nbgrader raises it
        return nb, resources
