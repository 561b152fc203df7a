"""Start the IPython kernel that runs one submission: ``python kernel_launcher.py -f CONN``.

This file is bound read-only into the sandbox on its own and run as a script, like
``ipykernel_launcher``, with two differences.

The kernel starts without its debugger. Grading never attaches a debugger, and importing debugpy
is the largest single part of an ipykernel's start-up (about 85 ms of CPU, paid once per
submission). The block is lifted again before the first cell runs, so a submission that imports
debugpy itself behaves as it would anywhere else.

With ``--calcml-room ROOM --calcml-wire WIRE --calcml-gate FD`` (bubblewrap only), the sandbox
also serves the verification's student side, before the kernel exists, so that a submission pays
for one sandbox and one Python start-up instead of two. Once the imports both sides need are
done, the process forks:

* the child is the verification's student process: it listens on ``ROOM/student.sock``, and the
  trusted test process (outside the sandbox) connects and drives it exactly as it drives a fresh
  ``python WIRE/student.py`` (the same file runs, in ``ROOM/work`` with the submission's files);
* the parent waits on the grader's gate (a pipe only it holds). When the grader opens the gate
  (after the verification has ended), it kills every other process of the sandbox's PID
  namespace, which is the child and whatever the child started, waits until none is left, empties
  what they may have written (``/tmp``, ``/dev/shm``, the room, the connection folder; the
  connection file is written back as read before the fork), and only then starts the kernel.

So the student's code of the verification never runs at the same time as the kernel, and never
after the kernel has seen a test cell: a hidden test the kernel runs cannot reach it. Until the
kill, the parent is not dumpable, so the child cannot attach to it or open its files through
``/proc``. The parent tells the grader on ``--calcml-ack FD`` once the kernel's sockets are bound;
a kernel that never says so is replaced by the grader with a fresh one.
"""

import os
import sys

ROOM_OPTIONS = ("--calcml-room", "--calcml-wire", "--calcml-gate", "--calcml-ack")
PR_SET_DUMPABLE = 4
PR_SET_PDEATHSIG = 1


def import_lazily(package: str, early: dict[str, str]) -> None:
    """Import ``package`` without running its ``__init__`` until a name only it defines is asked for.

    ipykernel needs a few of jupyter_client's modules, but ``import jupyter_client`` loads its whole
    client side as well (about 14 ms of CPU per kernel). Submodules import as usual; any other
    name (``jupyter_client.KernelManager``, ``from jupyter_client import *``) runs the real
    ``__init__`` first, so a submission that uses jupyter_client sees the whole package.
    ``early``: names the package re-exports, set at once from the submodule that defines them.
    """
    import importlib
    import importlib.util

    spec = importlib.util.find_spec(package)
    if spec is None or spec.loader is None or package in sys.modules:
        return
    module = importlib.util.module_from_spec(spec)

    def __getattr__(name: str):
        if not name.startswith("__") and importlib.util.find_spec(f"{package}.{name}") is not None:
            return importlib.import_module(f"{package}.{name}")
        del module.__dict__["__getattr__"]
        spec.loader.exec_module(module)
        return getattr(module, name)

    module.__getattr__ = __getattr__
    sys.modules[package] = module
    for name, value in early.items():  # what ipykernel takes from the package itself
        setattr(module, name, getattr(importlib.import_module(f"{package}.{value}"), name))


def skip_token_transforms_for_python() -> None:
    """Let IPython look for its own syntax in a cell only when the cell is not plain Python.

    Before it runs a cell, IPython tokenizes the whole cell with the pure-Python tokenizer to
    find ``%magic``, ``!cmd``, ``obj?`` and the other escapes, then tokenizes again after each
    one it rewrites. For a long hidden-test cell that is about a third of its run. Each of IPython's token transforms matches a token that cannot occur in
    valid Python (a ``?`` or lone ``!``; ``%`` right after an assignment's ``=``; ``! ? % , ; /``
    as the first token of a line), so a cell that CPython's parser accepts has none of them, and
    the transforms would return it unchanged: it goes straight on. Any other cell (and any that
    the parser cannot judge) takes IPython's own path, so the result is always IPython's.
    """
    import ast
    import warnings

    from IPython.core.inputtransformer2 import TransformerManager

    ipython_transforms = TransformerManager.do_token_transforms
    flags = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    silence = [("ignore", None, Warning, None, 0)]

    def do_token_transforms(self, lines):
        try:
            # The parser's own warnings (an invalid escape...) come when the cell runs, as they
            # always do, not from this look. The filters are swapped in place rather than
            # through catch_warnings(), which would reset which warnings were already shown.
            filters = warnings.filters
            saved = filters[:]
            filters[:] = silence
            try:
                compile("".join(lines), "<cell>", "exec", flags, dont_inherit=True)
            finally:
                filters[:] = saved
        except Exception:  # noqa: BLE001 - IPython syntax, or anything else: IPython decides
            return ipython_transforms(self, lines)
        return lines

    do_token_transforms.__doc__ = ipython_transforms.__doc__
    TransformerManager.do_token_transforms = do_token_transforms


def _take_options(argv: list[str]) -> dict[str, str]:
    """Remove the launcher's own options from ``argv`` (the kernel app does not know them)."""
    found = {}
    for name in ROOM_OPTIONS:
        if name in argv:
            index = argv.index(name)
            found[name] = argv[index + 1]
            del argv[index : index + 2]
    return found


def _prctl():
    import ctypes

    return ctypes.CDLL(None, use_errno=True).prctl


def _set_dumpable(value: int) -> None:
    _prctl()(PR_SET_DUMPABLE, value, 0, 0, 0)


def _serve_verification(room: str, wire: str) -> None:
    """In the child: become the verification's student process (``WIRE/student.py``)."""
    import runpy
    import socket

    _set_dumpable(1)
    path = os.path.join(room, "student.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    connection, _address = listener.accept()
    listener.close()
    os.unlink(path)
    fd_in = connection.detach()
    fd_out = os.dup(fd_in)
    os.chdir(os.path.join(room, "work"))
    del sys.modules["debugpy"]
    script = os.path.join(wire, "student.py")
    sys.argv = [script, str(fd_in), str(fd_out)]
    runpy.run_path(script, run_name="__main__")


def _others_alive(spare: tuple[int, ...] = ()) -> bool:
    """Whether a process other than this one, the namespace's init and ``spare`` still runs."""
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in (1, me, *spare):
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                state = handle.read().rpartition(")")[2].split()[0]
        except (OSError, IndexError):
            continue  # gone meanwhile
        if state not in ("Z", "X"):
            return True
    return False


def _end_the_rest(spare: tuple[int, ...] = ()) -> None:
    """SIGKILL every other process of the PID namespace (but ``spare``), wait until none runs."""
    import signal
    import time

    deadline = time.monotonic() + 10.0
    while True:
        if spare:  # the sandbox's holder stays: it ends when this process does
            for entry in os.listdir("/proc"):
                if entry.isdigit() and int(entry) not in (1, os.getpid(), *spare):
                    try:
                        os.kill(int(entry), signal.SIGKILL)
                    except OSError:
                        pass
        else:
            try:
                os.kill(-1, signal.SIGKILL)  # all but this process and init, in this namespace
            except ProcessLookupError:
                pass
        try:
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            pass
        if not _others_alive(spare):
            return
        if time.monotonic() > deadline:
            os._exit(125)
        time.sleep(0.001)


def _empty(folder: str, keep: tuple[str, ...]) -> None:
    """Remove what is in ``folder``, except the paths in ``keep`` and the folders leading to them."""
    import shutil

    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        path = entry.path
        if path in keep:
            continue
        if any(kept.startswith(path + os.sep) for kept in keep):
            _empty(path, keep)
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(path, onerror=_unlock_and_retry)
            else:
                os.unlink(path)
        except OSError:
            pass


def _unlock_and_retry(function, path, _info) -> None:
    try:
        os.chmod(os.path.dirname(path), 0o700)
        os.chmod(path, 0o700)
        function(path)
    except OSError:
        pass


def _after_the_gate(
    gate: int, room: str, connection_file: str, saved: bytes, spare: tuple[int, ...] = ()
) -> None:
    """In the parent: wait for the grader, end the verification's side, clean up."""
    while True:
        try:
            os.read(gate, 1)  # a byte, or end of file: either way the verification is over
            break
        except InterruptedError:
            continue
    os.close(gate)
    _end_the_rest(spare)
    conn_dir = os.path.dirname(connection_file)
    keep = (os.path.realpath(room), os.path.realpath(conn_dir), os.path.realpath(os.getcwd()))
    for folder in ("/tmp", "/dev/shm"):
        _empty(folder, keep)
    _empty(room, ())
    _empty(conn_dir, ())
    fd = os.open(connection_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(saved)
    _set_dumpable(1)


def _split_for_verification(options: dict[str, str], holder: int | None = None) -> int:
    """Fork the verification's student process off; return in the parent once it is gone.

    ``holder``: this process joined the sandbox from the zygote, and the sandbox's holder (this
    PID) stays. Returns the pipe on which to tell the grader that the kernel listens."""
    gate, ack = int(options["--calcml-gate"]), int(options["--calcml-ack"])
    room, wire = options["--calcml-room"], options["--calcml-wire"]
    # Not directly under bubblewrap's init (or joined from outside): no PID namespace of our own.
    if os.getppid() != (1 if holder is None else 0):
        os._exit(125)
    connection_file = os.path.abspath(sys.argv[sys.argv.index("-f") + 1])
    with open(connection_file, "rb") as handle:
        saved = handle.read()
    # What both sides import, once, before the fork.
    import numpy  # noqa: F401
    from IPython.core.interactiveshell import InteractiveShell  # noqa: F401
    from traitlets.config import Config  # noqa: F401

    _set_dumpable(0)
    parent = os.getpid()
    child = os.fork()
    if child == 0:
        try:
            # It dies with the kernel's process at once (not when bubblewrap's init notices).
            _prctl()(PR_SET_PDEATHSIG, 9, 0, 0, 0)  # SIGKILL
            if os.getppid() != parent:
                os._exit(0)
            os.close(gate)
            os.close(ack)
            _serve_verification(room, wire)
        finally:
            os._exit(0)
    _after_the_gate(gate, room, connection_file, saved, () if holder is None else (holder,))
    return ack


def _start_as_in_sandbox(seen: str) -> None:
    """Leave what Python's start-up did here but not in a sandbox, from what a sandboxed Python
    reported (JSON): its path, and the modules its start-up had loaded. The sandbox shows the
    editable install's ``.pth`` empty and cannot follow some links (Debian's ``sitecustomize``
    lives in /etc/python3.11), so those modules, and what they imported, are forgotten and
    their finders and path hooks removed; anything imported later comes from the sandbox."""
    import json

    seen = json.loads(seen)
    keep = set(seen["modules"])
    for name in [n for n in sys.modules if n not in keep]:
        del sys.modules[name]

    def ours(thing) -> bool:
        module = getattr(thing, "__module__", None) or type(thing).__module__
        return module in sys.modules

    sys.meta_path[:] = [finder for finder in sys.meta_path if ours(finder)]
    sys.path_hooks[:] = [hook for hook in sys.path_hooks if ours(hook)]
    sys.path_importer_cache.clear()
    if sys.path != seen["path"]:
        raise SystemExit(f"kernel zygote: sys.path {sys.path} is not the sandbox's {seen['path']}")


def _zygote(fd: int) -> tuple[list[str], int]:
    """Become the worker's kernel zygote (``autograder/grading/zygote.py``, with what both sides of
    a sandbox import already loaded); returns in each kernel it forks, inside its sandbox."""
    import importlib.util

    import numpy  # noqa: F401
    from IPython.core.interactiveshell import InteractiveShell  # noqa: F401
    from traitlets.config import Config  # noqa: F401

    here = os.path.dirname(os.path.abspath(__file__))
    loaded = []
    for name, path in (
        ("_calcml_join", os.path.join(here, os.pardir, "sandbox", "join.py")),
        ("_calcml_zygote", os.path.join(here, "zygote.py")),
    ):
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        loaded.append(module)
    join, zygote = loaded
    return zygote.serve(fd, join, _prctl())


if __name__ == "__main__":
    # The script's own folder is not the student's: the kernel puts the working directory on
    # sys.path itself (InteractiveShellApp.init_path), as it does under ipykernel_launcher.
    del sys.path[0]
    zygote = sys.argv[1:2] == ["--calcml-zygote"] and int(sys.argv[2])
    if zygote:  # outside the sandbox: start as a sandboxed Python starts
        _start_as_in_sandbox(sys.argv[3])
    sys.modules["debugpy"] = None  # makes ipykernel's optional import fail: no debugger
    import_lazily(
        "jupyter_client",
        {"write_connection_file": "connect", "find_connection_file": "connect"},
    )

    from ipykernel.kernelapp import IPKernelApp

    skip_token_transforms_for_python()

    holder = None
    if zygote:  # outside any sandbox: serve the worker; returns only in a joined kernel
        sys.argv, holder = _zygote(zygote)
    room_options = _take_options(sys.argv)
    ack = _split_for_verification(room_options, holder) if room_options else None

    app = IPKernelApp.instance()
    app.initialize()
    del sys.modules["debugpy"]
    if ack is not None:  # its sockets are bound: the grader's client connects at once
        os.write(ack, b"k")
        os.close(ack)
    app.start()
