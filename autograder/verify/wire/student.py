"""The student's process of verification, run by path inside the sandbox: cells, then calls.

Run as ``python student.py FD_IN FD_OUT``: it reads a ``start`` message, runs the student's code
cells under IPython's ``InteractiveShell`` (magics work, an error in one cell does not stop the
next, each cell has a time limit) up to the first test cell, reports which of the requested names
exist, then serves calls to them. An ``advance`` message runs the cells up to the next test and
reports again, so every test sees the notebook as it stood at that test (as in the kernel);
``shutdown`` ends it. The student's prints go to /dev/null, never to the pipes.
"""

from __future__ import annotations

import os
import signal
import sys

if not __package__:
    # Run by path inside the sandbox, where only this folder is bound: load the folder as the
    # private package ``_calcml_wire`` (PEP 366), so that its modules import one another as they
    # do in the grader, and no module of ours takes a top-level name a student's module may want.
    import importlib.util

    _here = os.path.dirname(os.path.abspath(__file__))
    _spec = importlib.util.spec_from_file_location(
        "_calcml_wire", os.path.join(_here, "__init__.py"), submodule_search_locations=[_here]
    )
    sys.modules["_calcml_wire"] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules["_calcml_wire"])
    __package__ = "_calcml_wire"

from .channel import Channel  # noqa: E402 - after the package is set up
from .common import MAX_MESSAGE, PeerGone, ProtocolError, _safe_text  # noqa: E402
from .signatures import _describe_function  # noqa: E402


class CellTimeout(BaseException):
    """Raised inside a student cell or call that ran past its time limit."""


class _Alarm:
    """A SIGALRM time limit that raises :class:`TimeoutError` (for calls) or :class:`CellTimeout`."""

    def __init__(self, seconds: float, exception: type[BaseException], what: str) -> None:
        self.seconds = max(0.001, seconds)
        self.exception = exception
        self.what = what

    def _fire(self, signum, frame) -> None:
        # Re-arm: code that swallows the first interruption gets another one every second.
        signal.setitimer(signal.ITIMER_REAL, 1.0)
        raise self.exception(f"{self.what} did not finish within {self.seconds:.3g} s")

    def __enter__(self) -> None:
        signal.signal(signal.SIGALRM, self._fire)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc: object) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _describe(shell_result) -> str | None:
    error = shell_result.error_in_exec or shell_result.error_before_exec
    if error is None:
        return None
    return f"{type(error).__name__}: {_safe_text(error)}"[:MAX_MESSAGE]


def student_main(argv: list[str]) -> None:
    fd_in, fd_out = int(argv[0]), int(argv[1])
    for fd in (fd_in, fd_out):
        os.set_inheritable(fd, False)
    # The student's prints (and anything pretending to be a protocol message) go nowhere.
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    channel = Channel(
        fd_in, fd_out, timer=lambda seconds: _Alarm(seconds, TimeoutError, "the call")
    )
    start = channel.receive()
    if start.get("op") != "start":
        raise SystemExit(2)
    cells = start.get("cells", [])
    skip = set(start.get("skip", []))
    names = start.get("names", [])
    cell_timeout = float(start.get("cell_timeout", 30.0))

    # As in a kernel: the working directory (where the student's own modules are) is importable,
    # just after the standard library; this script's folder is not.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    site = [
        i
        for i, p in enumerate(sys.path)
        if os.path.basename(p) in ("site-packages", "dist-packages")
    ]
    sys.path.insert(site[0] if site else len(sys.path), "")

    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    class VerificationShell(InteractiveShell):
        """A shell that takes notebook habits as a kernel does (`%matplotlib inline`, `%pylab`)."""

        kernel = None  # `get_ipython().kernel` exists in a notebook; there is no kernel here

        def enable_gui(self, gui=None):
            pass  # no event loop, and no figure is ever shown: nothing to switch on

    config = Config()
    config.HistoryManager.enabled = False
    shell = VerificationShell.instance(config=config)
    namespace = shell.user_ns
    channel.resolve_name = lambda name: namespace.get(name) if name in names else None
    done = 0

    def advance(until: object) -> None:
        # Cells run in notebook order, up to the next test, as in the kernel: a test sees the
        # definitions made before it, not ones made further down the notebook.
        nonlocal done
        end = until if type(until) is int else len(cells)
        for index in range(done, max(done, min(end, len(cells)))):
            done = index + 1
            if index in skip:
                continue
            channel.send({"op": "cell-start", "index": index})
            with _Alarm(cell_timeout, CellTimeout, f"cell {index + 1}"):
                result = shell.run_cell(cells[index], store_history=False)
            channel.send({"op": "cell-end", "index": index, "error": _describe(result)})
        report = {}
        for name in names:
            if name not in namespace:
                report[name] = {"kind": "missing"}
                continue
            value = namespace[name]
            if callable(value):
                report[name] = {"kind": "callable", **_describe_function(channel, value)}
            else:
                try:
                    report[name] = {"kind": "value", "value": channel.encode(value)}
                except Exception as error:
                    report[name] = {"kind": "unsendable", "error": _safe_text(error)}
        channel.send({"op": "ready", "names": report, "done": done})

    advance(start.get("until"))
    while True:
        try:
            with channel.conversation:  # (not while serving: the call may start threads)
                message = channel.pending.pop(0) if channel.pending else channel.receive()
        except (PeerGone, ProtocolError):
            break
        if message["op"] == "call":
            try:
                channel.serve(message)
            except (PeerGone, ProtocolError):
                break
        elif message["op"] == "advance":
            advance(message.get("until"))
        elif message["op"] == "shutdown":
            break
    os._exit(0)


if __name__ == "__main__":
    student_main(sys.argv[1:])
