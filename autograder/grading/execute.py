"""nbgrader's ``Execute`` with capped output, and the mark on test cells the kernel never ran."""

from __future__ import annotations

import nbformat
from nbformat import NotebookNode
from nbgrader import utils as nbgrader_utils
from nbgrader.preprocessors import Execute
from traitlets import Integer

from autograder.grading.verdict import NOT_EXECUTED


class CappedExecute(Execute):
    """nbgrader's ``Execute`` that drops output beyond a per-cell and per-notebook byte budget.

    The cap is applied as messages arrive, so a submission printing 40 MB never builds a 40 MB
    notebook in memory or on disk.
    """

    max_cell_output_bytes = Integer(100_000).tag(config=True)
    max_notebook_output_bytes = Integer(1_000_000).tag(config=True)

    def reset_execution_trackers(self) -> None:
        super().reset_execution_trackers()
        self._cell_bytes: dict[int, int] = {}
        self._notebook_bytes = 0
        self._truncated: set[int] = set()

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        size = _content_size(msg["msg_type"], content)
        used = self._cell_bytes.get(cell_index, 0)
        room = min(
            self.max_cell_output_bytes - used,
            self.max_notebook_output_bytes - self._notebook_bytes,
        )
        if size <= room:
            self._cell_bytes[cell_index] = used + size
            self._notebook_bytes += size
            return super().output(outs, msg, display_id, cell_index)
        if msg["msg_type"] == "stream" and room > 0:
            content["text"] = content.get("text", "")[:room]
            self._cell_bytes[cell_index] = used + room
            self._notebook_bytes += room
            super().output(outs, msg, display_id, cell_index)
        if cell_index not in self._truncated:
            self._truncated.add(cell_index)
            # stdout, not stderr: stderr would make nbgrader count the cell as failed.
            outs.append(
                nbformat.v4.new_output(
                    "stream",
                    name="stdout",
                    text="\n... output truncated by the grader (too much output) ...\n",
                )
            )
        return None


def _content_size(msg_type: str, content: dict) -> int:
    if msg_type == "stream":
        return len(content.get("text", ""))
    if msg_type in ("display_data", "execute_result", "update_display_data"):
        return sum(len(str(v)) for v in content.get("data", {}).values())
    if msg_type == "error":
        return sum(len(line) for line in content.get("traceback", [])) + len(
            str(content.get("evalue", ""))
        )
    return 0


def _mark_unexecuted(nb: NotebookNode) -> None:
    """A test cell the kernel never ran (time limit, dead kernel) must not count as passed."""
    for cell in nb.cells:
        if cell.cell_type != "code" or not nbgrader_utils.is_grade(cell):
            continue
        if nbgrader_utils.is_solution(cell):
            continue
        if cell.get("execution_count") is None and not any(
            o.get("output_type") == "error" for o in cell.outputs
        ):
            cell.outputs.append(
                nbformat.v4.new_output(
                    "error",
                    ename=NOT_EXECUTED,
                    evalue="the kernel stopped before this test cell ran",
                    traceback=[f"{NOT_EXECUTED}: the kernel stopped before this test cell ran"],
                )
            )
