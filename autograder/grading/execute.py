"""nbgrader's ``Execute`` with capped output, and the mark on test cells the kernel never ran.

Every message of the student's kernel is untrusted, not only its streams. :class:`CappedExecute`
therefore also

* charges a display's metadata, an error's name and a comm message against the same byte budget
  as the output text (a display with 200 MB of metadata, or widget state sent in a loop, would
  otherwise pile up in the grader's memory: nbclient keeps both);
* lets a display update (``update_display_data``, or a display reusing a ``display_id``) change
  only outputs of the cell that is running. In Jupyter an update may rewrite a display of any
  earlier cell; here a hook that saw a hidden test cell could then write its source into a cell
  before the tests, whose outputs nbgrader's feedback page shows;
* keeps a prompt number only when it is a number (a raw ``execute_input`` message can carry any
  JSON: the hidden test's source, or text that makes ``nbgrader generate_feedback`` refuse the
  notebook);
* drops a message whose fields do not have the types the protocol gives them, instead of letting
  nbclient fail on it and stop grading;
* knows the kernel is ready as soon as its reply to ``kernel_info`` and that request's "idle"
  status have arrived (jupyter_client's ``wait_for_ready`` then waits for 0.2 s of silence on
  IOPub, every submission; the grader waits there while no core works, as the verification is
  over by then);
* does not fail a cell whose output stops short of the kernel's "idle" message. The kernel replies
  before the grader has read everything the cell printed; on a busy machine that backlog takes
  longer than nbclient's 4 s ``iopub_timeout``, and past ZeroMQ's queue limits messages are
  dropped, the final "idle" among them. nbgrader (``raise_on_iopub_timeout=True``) then failed an
  honest cell that printed a lot as timed out, and stopped its kernel. Here the wait is up to
  10 s (``iopub_timeout``, at most the cell limit) and then the cell counts as finished with the
  output that arrived; the reply on the shell channel still says whether it raised, and the
  points come from the independent verification, so output lost this way never earns a point.
"""

from __future__ import annotations

import json
import time
from queue import Empty

import nbformat
from nbclient.util import ensure_async, run_hook, run_sync
from nbformat import NotebookNode
from nbgrader import utils as nbgrader_utils
from nbgrader.preprocessors import Execute
from traitlets import Integer, default

from autograder.grading.verdict import NOT_EXECUTED


class CappedExecute(Execute):
    """nbgrader's ``Execute`` that drops output beyond a per-cell and per-notebook byte budget.

    The cap is applied as messages arrive, so a submission printing 40 MB never builds a 40 MB
    notebook in memory or on disk.
    """

    max_cell_output_bytes = Integer(100_000).tag(config=True)
    max_notebook_output_bytes = Integer(1_000_000).tag(config=True)

    @default("iopub_timeout")
    def _iopub_timeout_default(self) -> int:
        return max(4, min(10, int(self.timeout or 30)))

    @default("raise_on_iopub_timeout")
    def _raise_on_iopub_timeout_default(self) -> bool:
        return False

    async def async_start_new_kernel_client(self):
        """nbclient's, with :func:`wait_until_ready` for ``wait_for_ready``."""
        assert self.km is not None
        try:
            self.kc = self.km.client()
            await ensure_async(self.kc.start_channels())
            await wait_until_ready(self.kc, self.startup_timeout)
        except Exception:
            await self._async_cleanup_kernel()
            raise
        self.kc.allow_stdin = False
        await run_hook(self.on_notebook_start, notebook=self.nb)
        return self.kc

    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    def reset_execution_trackers(self) -> None:
        super().reset_execution_trackers()
        self._cell_bytes: dict[int, int] = {}
        self._notebook_bytes = 0
        self._truncated: set[int] = set()
        self._running_cell: int | None = None

    def preprocess_cell(self, cell, resources, index):
        self._running_cell = index
        return super().preprocess_cell(cell, resources, index)

    def process_message(self, msg, cell, cell_index):
        if not _well_formed(msg):
            self.log.debug("dropped a malformed %r message", msg.get("msg_type"))
            return None
        content = msg["content"]
        count = content.get("execution_count")
        if "execution_count" in content and not (count is None or type(count) is int):
            content.pop("execution_count")
        if msg["msg_type"].startswith("comm"):
            size = _content_size(msg["msg_type"], content)
            if size > self.max_notebook_output_bytes - self._notebook_bytes:
                return None  # never stored: widget state beyond the budget
            self._notebook_bytes += size
        self._running_cell = cell_index
        return super().process_message(msg, cell, cell_index)

    def _update_display_id(self, display_id, msg) -> None:
        """Update the displays of ``display_id`` in the running cell only (see the module doc)."""
        cell_map = self._display_id_map.get(display_id)
        if not cell_map:
            return
        if _content_size("display_data", msg["content"]) > self.max_cell_output_bytes:
            return
        everywhere = dict(cell_map)
        here = self._running_cell
        self._display_id_map[display_id] = {k: v for k, v in everywhere.items() if k == here}
        try:
            super()._update_display_id(display_id, msg)
        finally:
            self._display_id_map[display_id] = everywhere

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


IOPUB_PROBE_SECONDS = 0.05


async def wait_until_ready(kc, timeout: float) -> None:
    """Ask ``kernel_info`` until the reply and the request's "idle" on IOPub both arrive.

    The "idle" proves IOPub is subscribed and that everything the request published has been
    read; what an earlier, unanswered attempt published precedes it and is dropped here.
    """
    deadline = time.monotonic() + timeout
    while True:
        msg_id = kc.kernel_info()
        reply = await _next(kc.shell_channel, min(deadline, time.monotonic() + 1.0), msg_id)
        if reply is not None and reply.get("msg_type") == "kernel_info_reply":
            until = time.monotonic() + IOPUB_PROBE_SECONDS
            while True:
                status = await _next(kc.iopub_channel, until, msg_id)
                if status is None:
                    break
                if status.get("msg_type") == "status" and (
                    status.get("content", {}).get("execution_state") == "idle"
                ):
                    handle = getattr(kc, "_handle_kernel_info_reply", None)
                    if handle is not None:
                        handle(reply)
                    return
        if not await ensure_async(kc.is_alive()):
            raise RuntimeError("Kernel died before replying to kernel_info")
        if time.monotonic() > deadline:
            raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")


async def _next(channel, until: float, msg_id: str) -> dict | None:
    """The next message on ``channel`` in reply to ``msg_id``, or None once ``until`` passes."""
    while True:
        remaining = until - time.monotonic()
        if remaining <= 0:
            return None
        try:
            msg = await ensure_async(channel.get_msg(timeout=remaining))
        except Empty:
            return None
        parent = msg.get("parent_header") if isinstance(msg, dict) else None
        if isinstance(parent, dict) and parent.get("msg_id") == msg_id:
            return msg


def _content_size(msg_type: str, content: dict) -> int:
    """What a message would add to the notebook (or to nbclient's memory), in characters."""
    if msg_type == "stream":
        return len(content.get("text", ""))
    if msg_type in ("display_data", "execute_result", "update_display_data"):
        return sum(len(str(v)) for v in content.get("data", {}).values()) + _json_size(
            content.get("metadata")
        )
    if msg_type == "error":
        return (
            sum(len(line) for line in content.get("traceback", []))
            + len(str(content.get("evalue", "")))
            + len(str(content.get("ename", "")))
        )
    if msg_type.startswith("comm"):
        return _json_size(content)
    return 0


def _json_size(value: object) -> int:
    if not value:
        return 0
    try:
        return len(json.dumps(value))
    except (TypeError, ValueError, RecursionError):
        return 1 << 40  # cannot be measured: counts as too big


_STR, _DICT, _LIST, _OPT_DICT = str, dict, list, (dict, type(None))
#: The field types of the messages nbclient reads (``None`` in a tuple: the field may be absent).
_FIELDS = {
    "status": {"execution_state": (_STR,)},
    "stream": {"name": (_STR,), "text": (_STR,)},
    "display_data": {"data": (_DICT,), "metadata": (_DICT, None), "transient": (*_OPT_DICT, None)},
    "update_display_data": {"data": (_DICT,), "metadata": (_DICT, None), "transient": (_DICT,)},
    "execute_result": {
        "data": (_DICT,),
        "metadata": (_DICT, None),
        "transient": (*_OPT_DICT, None),
    },
    "error": {"ename": (_STR,), "evalue": (_STR,), "traceback": (_LIST,)},
    "clear_output": {"wait": (bool, None)},
    "execute_input": {"code": (_STR, None)},
    "comm_open": {"comm_id": (_STR,), "data": (_DICT,), "target_name": (_STR, None)},
    "comm_msg": {"comm_id": (_STR,), "data": (_DICT,)},
    "comm_close": {"comm_id": (_STR,), "data": (_DICT, None)},
}


def _well_formed(msg: object) -> bool:
    """Whether nbclient can process ``msg`` without failing (the types of the fields it reads)."""
    if not isinstance(msg, dict) or not isinstance(msg.get("msg_type"), str):
        return False
    content, header = msg.get("content"), msg.get("header")
    if not isinstance(content, dict) or not isinstance(header, dict):
        return False
    if not isinstance(msg.get("parent_header"), dict):
        return False
    for name, kinds in _FIELDS.get(msg["msg_type"], {}).items():
        if name not in content:
            if None not in kinds:
                return False
            continue
        value = content[name]
        if not any(kind is not None and isinstance(value, kind) for kind in kinds):
            if not (value is None and type(None) in kinds):
                return False
    if msg["msg_type"] == "error" and not all(isinstance(x, str) for x in content["traceback"]):
        return False
    transient = content.get("transient")
    if isinstance(transient, dict) and not isinstance(transient.get("display_id", ""), str):
        return False
    data = content.get("data")
    if msg["msg_type"] in ("display_data", "update_display_data", "execute_result"):
        if not all(isinstance(key, str) for key in data):
            return False
    if msg["msg_type"].startswith("comm") and isinstance(data, dict):
        if not isinstance(data.get("state", {}), dict):
            return False
        paths = data.get("buffer_paths", [])
        if not isinstance(paths, list) or not all(isinstance(p, list) for p in paths):
            return False
    return True


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
