"""The grader's execution step on hand-made kernel messages (no kernel needed): budgets, display
updates, prompt numbers and malformed messages (see :mod:`autograder.grading.execute`)."""

from __future__ import annotations

import json

import nbformat

from autograder.grading.execute import CappedExecute


def _executor(cells: int = 2) -> CappedExecute:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x") for _ in range(cells)])
    executor = CappedExecute(record_timing=False)
    executor.nb = nb
    executor.reset_execution_trackers()
    executor.clear_before_next_output = False  # (set per cell by nbclient)
    return executor


def _message(kind: str, content: dict, parent: str = "m") -> dict:
    return {
        "msg_type": kind,
        "header": {"msg_type": kind, "msg_id": f"{kind}-id"},
        "parent_header": {"msg_id": parent},
        "metadata": {},
        "content": content,
        "buffers": [],
    }


def _run(executor: CappedExecute, index: int, kind: str, content: dict) -> None:
    executor._running_cell = index
    executor.process_message(_message(kind, content), executor.nb.cells[index], index)


def test_widget_state_sent_in_a_loop_stays_within_the_budget():
    executor = _executor()
    for number in range(200):
        state = {"value": "w" * 100_000, "_model_name": "HTMLModel"}
        _run(executor, 0, "comm_msg", {"comm_id": f"c{number}", "data": {"state": state}})
    kept = len(json.dumps(executor.widget_state))
    assert kept <= executor.max_notebook_output_bytes + 200_000, kept


def test_display_metadata_is_charged():
    executor = _executor()
    for number in range(30):
        content = {"data": {"text/plain": str(number)}, "metadata": {"pad": "m" * 200_000}}
        _run(executor, 0, "display_data", content)
    outputs = executor.nb.cells[0].outputs
    assert len(outputs) < 30 and "truncated by the grader" in json.dumps(outputs)


def test_a_display_update_reaches_only_the_running_cell():
    executor = _executor()
    shown = {"data": {"text/plain": "first"}, "metadata": {}, "transient": {"display_id": "d"}}
    _run(executor, 0, "display_data", shown)
    update = {"data": {"text/plain": "later"}, "metadata": {}, "transient": {"display_id": "d"}}
    _run(executor, 1, "update_display_data", update)
    assert executor.nb.cells[0].outputs[0]["data"]["text/plain"] == "first"
    _run(executor, 0, "update_display_data", update)  # in its own cell it still works
    assert executor.nb.cells[0].outputs[0]["data"]["text/plain"] == "later"


def test_prompt_numbers_are_numbers_and_malformed_messages_are_dropped():
    executor = _executor()
    _run(executor, 0, "execute_input", {"code": "", "execution_count": "hidden test text"})
    assert executor.nb.cells[0].get("execution_count") is None
    _run(executor, 0, "execute_input", {"code": "", "execution_count": 7})
    assert executor.nb.cells[0].execution_count == 7
    for kind, content in [
        ("display_data", {"data": {"text/plain": "x"}, "metadata": {}, "transient": "no"}),
        ("display_data", {"data": ["not", "a", "dict"], "metadata": {}}),
        ("stream", {"name": None, "text": 5}),
        ("error", {"ename": None, "evalue": None, "traceback": "no"}),
        ("status", {}),
        ("comm_msg", {"comm_id": "c", "data": {"state": ["no"]}}),
        ("comm_open", {"comm_id": None, "data": None}),
    ]:
        _run(executor, 0, kind, content)  # must not raise
    assert executor.nb.cells[0].outputs == []


def _run_notebook(executor: CappedExecute, *sources: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src) for src in sources])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    executor.preprocess(nb, {"metadata": {"path": "."}})
    return nb


def _printed(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")


def test_a_cell_that_printed_a_lot_is_not_failed_while_its_output_drains():
    """The kernel replies before the grader has read everything the cell printed. On a busy
    machine that backlog takes longer than nbclient's 4 s ``iopub_timeout``, and nbgrader (which
    raises on that timeout) failed an honest cell as timed out. Here the grader is made slow on
    purpose (each message costs it 4 ms: about 6 s of backlog); the cell keeps all it printed.
    (1 500 messages stay within ZeroMQ's queues, 1 000 a side: past them PUB drops output, which
    the next test is about.)"""
    import time

    from traitlets.config import Config

    class SlowReader(CappedExecute):
        def process_message(self, msg, cell, cell_index):
            time.sleep(0.004)
            return super().process_message(msg, cell, cell_index)

    config = Config()
    config.Execute.timeout = 60
    nb = _run_notebook(
        SlowReader(config=config, record_timing=False),
        "for i in range(1500):\n    print(i, flush=True)",
    )
    assert _printed(nb.cells[0]).splitlines()[-1] == "1499"


def test_output_that_never_ends_with_idle_does_not_stop_the_notebook():
    """Past ZeroMQ's queue limits a flood of output loses messages, the kernel's final "idle"
    among them. The cell then counts as finished with what arrived, and the next cell runs
    (nbgrader's default failed the cell as a timeout and stopped the kernel)."""
    from traitlets.config import Config

    class LosesIdle(CappedExecute):
        def process_message(self, msg, cell, cell_index):
            if msg["msg_type"] == "status" and cell_index == 0:
                return None  # as if ZeroMQ had dropped it
            return super().process_message(msg, cell, cell_index)

    config = Config()
    config.Execute.timeout = 30
    config.Execute.iopub_timeout = 1
    nb = _run_notebook(
        LosesIdle(config=config, record_timing=False), "print('first')", "print('second')"
    )
    assert "first" in _printed(nb.cells[0])
    assert _printed(nb.cells[1]).strip() == "second"
