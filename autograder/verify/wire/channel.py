"""One end of the pipe pair: length-prefixed JSON frames, and calls served in both directions."""

from __future__ import annotations

import builtins
import json
import os
import select
import struct
import sys
import threading
import time

from .codec import Codec, _update_in_place
from .common import (
    MAX_FRAME,
    MAX_MESSAGE,
    CallTimeout,
    PeerGone,
    ProtocolError,
    RemoteError,
    _safe_text,
)

_HEADER = struct.Struct(">I")


def _nearest_builtin_exception(exc: BaseException) -> str:
    for klass in type(exc).__mro__:
        if getattr(builtins, klass.__name__, None) is klass and issubclass(klass, Exception):
            if klass in (StopIteration, StopAsyncIteration):
                return "RuntimeError"
            return klass.__name__
    return "RuntimeError"


_LIBRARIES = ("numpy", "sympy", "scipy")


def _library_exception(module: object, qualname: object) -> type | None:
    """An exception class of NumPy or sympy (say ``numpy.linalg.LinAlgError``) already loaded here.

    Only classes reachable by attribute lookup in an imported module of those libraries are
    used, so a test's ``except numpy.linalg.LinAlgError`` sees the type the student's code raised.
    """
    if not isinstance(module, str) or not isinstance(qualname, str):
        return None
    if module.split(".")[0] not in _LIBRARIES or module not in sys.modules:
        return None
    value: object = sys.modules[module]
    for part in qualname.split("."):
        if not part.isidentifier() or part.startswith("__"):
            return None
        value = getattr(value, part, None)
    if isinstance(value, type) and issubclass(value, Exception):
        return value
    return None


class Channel(Codec):
    """One end of the pipe pair: sends and serves calls, re-entrantly."""

    def __init__(self, fd_in: int, fd_out: int, *, timer=None) -> None:
        self.fd_in = fd_in
        self.fd_out = fd_out
        self.handles: dict[int, object] = {}
        self.handle_ids: dict[int, int] = {}
        self.next_handle = 1
        self.next_call = 1
        self.resolve_name = None  # name -> callable, for calls by name (the student side)
        self.deadline: float | None = None  # absolute time.monotonic() limit for answers
        self.generation = 0
        self.broken = False
        self.timer = timer  # student side: arms a time limit around each top-level call
        # Per thread: the incoming calls being served (innermost last). An outgoing call names
        # the innermost as its "parent", so the other side can tell a call nested in one of its
        # own calls from a new one.
        self._local = threading.local()
        # Student side only: new top-level calls that reached a thread other than the main one
        # (a thread the student left running, waiting for its own answer) wait here for the
        # main loop instead of being served on that thread.
        self.route_calls = timer is not None
        self.pending: list[dict] = []
        # One conversation at a time: student code may call the test's functions from several
        # threads (a thread pool over f), and each call is a send and its answer, not to be
        # interleaved with another's. Re-entrant: a call may serve calls made back into it.
        self.conversation = threading.RLock()

    # framing ---------------------------------------------------------------------------------
    def send(self, message: dict) -> None:
        try:
            data = json.dumps(message, allow_nan=True, separators=(",", ":")).encode()
        except (TypeError, ValueError, RecursionError) as error:
            raise ProtocolError(f"cannot serialise a message: {error}") from None
        if len(data) > MAX_FRAME:
            raise ValueError(f"message of {len(data)} bytes exceeds the {MAX_FRAME}-byte limit")
        view = memoryview(_HEADER.pack(len(data)) + data)
        try:
            with self.conversation:
                while view:
                    written = os.write(self.fd_out, view)
                    view = view[written:]
        except (BrokenPipeError, OSError) as error:
            self.broken = True
            raise PeerGone(f"the other process is gone ({error})") from None

    def _read_exact(self, size: int) -> bytes:
        chunks = []
        while size:
            if self.deadline is not None:
                remaining = self.deadline - time.monotonic()
                if remaining <= 0:
                    self.broken = True
                    raise CallTimeout("no answer before the time limit")
                ready, _, _ = select.select([self.fd_in], [], [], remaining)
                if not ready:
                    continue
            try:
                chunk = os.read(self.fd_in, min(size, 1 << 20))
            except OSError as error:
                self.broken = True
                raise PeerGone(f"the other process is gone ({error})") from None
            if not chunk:
                self.broken = True
                raise PeerGone("the other process closed the connection")
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def receive(self) -> dict:
        (size,) = _HEADER.unpack(self._read_exact(_HEADER.size))
        if size > MAX_FRAME:
            self.broken = True
            raise ProtocolError(f"frame of {size} bytes exceeds the limit")
        body = self._read_exact(size)
        try:
            message = json.loads(body)
        except (ValueError, RecursionError) as error:
            self.broken = True
            raise ProtocolError(f"frame is not JSON: {error}") from None
        if not isinstance(message, dict) or not isinstance(message.get("op"), str):
            self.broken = True
            raise ProtocolError("frame is not a message object")
        return message

    # values ------------------------------------------------------------------------------------
    def _serving(self) -> list:
        serving = getattr(self._local, "serving", None)
        if serving is None:
            serving = self._local.serving = []
        return serving

    # calls -----------------------------------------------------------------------------------------
    def call(self, target: int | str, args: tuple, kwargs: dict) -> object:
        """Call ``target`` in the other process and return its result (or raise its exception)."""
        with self.conversation:
            return self._call(target, args, kwargs)

    def _call(self, target: int | str, args: tuple, kwargs: dict) -> object:
        if self.broken:
            raise RuntimeError("the student process is not answering any more")
        call_id = self.next_call
        self.next_call += 1
        message = {
            "op": "call",
            "id": call_id,
            "target": target,
            "args": self.encode(list(args)),
            "kwargs": self.encode(dict(kwargs)),
        }
        if self.deadline is not None:
            message["timeout"] = max(0.0, self.deadline - time.monotonic())
        serving = self._serving()
        message["parent"] = serving[-1] if serving else None
        self.send(message)
        while True:
            reply = self.receive()
            op = reply["op"]
            if op == "call" and (not self.route_calls or reply.get("parent") == call_id):
                self.serve(reply)
                continue
            if self.route_calls and op in ("call", "advance", "shutdown"):
                # Not part of this call (it reached a thread the student left running): the
                # main loop takes it, in order, once this call is answered.
                self.pending.append(reply)
                continue
            if op not in ("return", "raise") or reply.get("id") != call_id:
                self.broken = True
                raise ProtocolError(f"unexpected {op!r} message while waiting for an answer")
            self._copy_back(args, kwargs, reply.get("mutated", []))
            if op == "return":
                return self.decode(reply.get("value"))
            raise self._exception(reply)

    def _exception(self, reply: dict) -> BaseException:
        type_name, name = reply.get("type"), reply.get("name")
        message = reply.get("message", "")
        if not isinstance(message, str):
            message = ""
        message = message[:MAX_MESSAGE]
        library = _library_exception(reply.get("module"), reply.get("qualname"))
        if library is not None:
            try:
                return library(message)
            except Exception:
                pass
        if isinstance(name, str) and name != type_name:
            message = f"{name[:100]}: {message}" if message else name[:100]
        klass = getattr(builtins, type_name, None) if isinstance(type_name, str) else None
        if (
            isinstance(klass, type)
            and issubclass(klass, Exception)
            and klass not in (StopIteration, StopAsyncIteration)
        ):
            try:
                return klass(message)
            except Exception:
                pass
        return RemoteError(message)

    def _copy_back(self, args: tuple, kwargs: dict, mutated: object) -> None:
        if not isinstance(mutated, list) or not mutated:
            return
        import numpy

        roots = {"a": list(args), "k": kwargs}
        for entry in mutated[:1000]:
            if not isinstance(entry, dict) or not isinstance(entry.get("path"), list):
                raise ProtocolError("bad mutation record")
            path = entry["path"]
            try:
                target = roots[path[0]]
                for step in path[1:]:
                    target = target[step]
            except (KeyError, IndexError, TypeError):
                raise ProtocolError("mutation record points nowhere") from None
            if type(target) in (list, dict):
                new = self.decode(entry.get("value"))
                if type(new) is type(target):
                    _update_in_place(numpy, target, new)
                continue
            if not isinstance(target, numpy.ndarray) or not target.flags.writeable:
                continue
            new = self.decode(entry.get("value"))
            if isinstance(new, numpy.ndarray) and new.shape == target.shape:
                numpy.copyto(target, new, casting="unsafe")

    @staticmethod
    def _mutables(args: list, kwargs: dict) -> list[tuple[list, object]]:
        """The arguments a call could change in place, with their paths: NumPy arrays, lists and
        dicts (a parameter dict of arrays is a common argument), however they are nested."""
        numpy = sys.modules.get("numpy")
        found: list[tuple[list, object]] = []

        def walk(value: object, path: list, depth: int) -> None:
            if depth > 4 or len(found) > 1000:
                return
            if numpy is not None and isinstance(value, numpy.ndarray):
                found.append((path, value))
            elif isinstance(value, (list, tuple)):
                if type(value) is list:
                    found.append((path, value))
                for index, item in enumerate(value[:1000]):
                    walk(item, [*path, index], depth + 1)
            elif type(value) is dict and all(type(key) in (str, int) for key in value):
                found.append((path, value))
                for key in list(value)[:1000]:
                    walk(value[key], [*path, key], depth + 1)

        for index, value in enumerate(args):
            walk(value, ["a", index], 0)
        for key, value in kwargs.items():
            walk(value, ["k", key], 0)
        return found

    def _snapshot(self, value: object) -> bytes | None:
        try:
            if isinstance(value, (list, dict)):
                return json.dumps(self.encode(value), allow_nan=True).encode()
            return value.tobytes()
        except Exception:
            return None

    def serve(self, message: dict) -> None:
        """Run one incoming ``call`` and send its ``return`` or ``raise``."""
        call_id = message.get("id")
        target = message.get("target")
        function = None
        if type(target) is int:
            function = self.handles.get(target)
        elif isinstance(target, str) and self.resolve_name is not None:
            function = self.resolve_name(target)
        if function is None or not callable(function):
            self.send(
                {
                    "op": "raise",
                    "id": call_id,
                    "type": "NameError",
                    "name": "NameError",
                    "message": f"no function {str(target)[:100]!r} to call",
                }
            )
            return
        try:
            args = self.decode(message.get("args", []))
            kwargs = self.decode(message.get("kwargs", {"$t": "dict", "v": []}))
            if not isinstance(args, list) or not isinstance(kwargs, dict):
                raise ProtocolError("arguments are not a list and a dict")
            if not all(isinstance(key, str) for key in kwargs):
                raise ProtocolError("keyword names are not strings")
        except ProtocolError as error:
            self.send(
                {
                    "op": "raise",
                    "id": call_id,
                    "type": "TypeError",
                    "name": "TypeError",
                    "message": f"bad arguments: {error}",
                }
            )
            return
        mutables = self._mutables(args, kwargs)
        snapshots = [self._snapshot(value) for _, value in mutables]
        timeout = message.get("timeout")
        serving = self._serving()
        serving.append(call_id)
        try:
            if (
                self.timer is not None
                and len(serving) == 1
                and threading.current_thread() is threading.main_thread()
                and isinstance(timeout, (int, float))
            ):
                with self.timer(float(timeout)):
                    result = function(*args, **kwargs)
            else:
                result = function(*args, **kwargs)
            reply = {"op": "return", "id": call_id, "value": self.encode(result)}
        except (PeerGone, CallTimeout, ProtocolError):
            raise
        except BaseException as error:  # the callee's failure goes back to the caller
            reply = {
                "op": "raise",
                "id": call_id,
                "type": _nearest_builtin_exception(error),
                "name": type(error).__name__[:100],
                "module": str(type(error).__module__)[:200],
                "qualname": str(type(error).__qualname__)[:200],
                "message": _safe_text(error),
            }
        finally:
            serving.pop()
        mutated = []
        for (path, value), before in zip(mutables, snapshots, strict=True):
            try:
                if before is not None and self._snapshot(value) != before:
                    mutated.append({"path": path, "value": self.encode(value)})
            except Exception:
                pass
        if mutated:
            reply["mutated"] = mutated
        self.send(reply)
