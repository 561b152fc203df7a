"""The student's side of verification, and the wire protocol both sides speak.

Run inside the sandbox as ``python _student_runner.py FD_IN FD_OUT``: it reads a ``start`` message,
runs the student's code cells under IPython's ``InteractiveShell`` (magics work, an error in one
cell does not stop the next, each cell has a time limit) up to the first test cell, reports which
of the requested names exist, then serves calls to them. An ``advance`` message runs the cells up
to the next test and reports again, so every test sees the notebook as it stood at that test (as in
the kernel); ``shutdown`` ends it.

The protocol is length-prefixed JSON frames over two pipes (never stdout: the student's prints go
to /dev/null). Values are plain data only: numbers (nan and inf included), strings, lists, tuples,
dicts, sets, NumPy arrays and scalars (numeric dtypes, with shape), sympy objects as ``srepr``
text rebuilt by a whitelisting parser (never ``eval``), and callables as handles that the other
side calls back. Exceptions travel as the nearest built-in exception type and their message.
In-place changes to NumPy array, list and dict arguments are copied back to the caller.

The trusted test process (:mod:`autograder._test_runner`) imports this module for the protocol;
that runs none of the student's code. This file depends on the standard library only (NumPy,
sympy and IPython are imported when needed), because inside the sandbox the rest of the
``autograder`` package is not visible.
"""

from __future__ import annotations

import ast
import base64
import builtins
import json
import math
import os
import re
import select
import signal
import struct
import sys
import threading
import time

MAX_FRAME = 64 * 1024 * 1024
MAX_DEPTH = 64
MAX_ITEMS = 1_000_000
MAX_STRING = 4 * 1024 * 1024
MAX_ELEMENTS = 16 * 1024 * 1024
MAX_MESSAGE = 4000
MAX_SREPR_NODES = 200_000

# The numerals srepr writes for a Float, and the symbol names a course may use (x_1, x_{1}, \\theta).
_SYMBOL_NAME = re.compile(r"[\w{}^\\.,\[\] ]{1,200}")
_FLOAT_TEXT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,6})?|[+-]?inf|nan")
_DTYPE = re.compile(r"^[<>|=]?(b1|[iu][1248]|f[248]|c(8|16))$")
_HEADER = struct.Struct(">I")


def _wire_dtype(numpy, array):
    """``array`` in a dtype the wire carries: extended precision travels as float64/complex128."""
    if array.dtype.kind == "f" and array.dtype.itemsize > 8:
        return array.astype(numpy.float64)
    if array.dtype.kind == "c" and array.dtype.itemsize > 16:
        return array.astype(numpy.complex128)
    return array


def _replace_item(numpy, container, key, new_item) -> None:
    """Put ``new_item`` at ``container[key]`` keeping what the caller may hold references to:
    an array of the same shape is written into, a dict or list is updated in place, item by item
    (the decoder bounds the depth)."""
    old_item = container.get(key) if isinstance(container, dict) else container[key]
    if (
        isinstance(old_item, numpy.ndarray)
        and isinstance(new_item, numpy.ndarray)
        and old_item.shape == new_item.shape
        and old_item.flags.writeable
    ):
        numpy.copyto(old_item, new_item, casting="unsafe")
    elif type(old_item) in (dict, list) and type(new_item) is type(old_item):
        _update_in_place(numpy, old_item, new_item)
    else:
        container[key] = new_item


def _update_in_place(numpy, target: list | dict, new: list | dict) -> None:
    if isinstance(target, dict):
        for key in [key for key in target if key not in new]:
            del target[key]
        for key, new_item in new.items():
            _replace_item(numpy, target, key, new_item)
    elif len(new) == len(target):
        for index, new_item in enumerate(new):
            _replace_item(numpy, target, index, new_item)
    else:
        target[:] = new


class ProtocolError(Exception):
    """The other side sent something that is not a valid message."""


class PeerGone(RuntimeError):
    """The other process closed its end of the pipe (it exited or was killed)."""


class CallTimeout(TimeoutError):
    """The other process did not answer before the deadline."""


class RemoteError(Exception):
    """An exception from the other side whose type is not a built-in exception."""


# --------------------------------------------------------------------------------------------
# sympy: srepr text -> expression, through a whitelist (no eval)


def _sympy_names() -> dict[str, object]:
    import sympy
    from sympy.core.function import FunctionClass

    allowed: dict[str, object] = {}
    for name in dir(sympy):
        if name.startswith("_"):
            continue
        value = getattr(sympy, name)
        if isinstance(value, type) and (
            issubclass(value, sympy.Basic) or issubclass(value, sympy.MatrixBase)
        ):
            allowed[name] = value
        elif isinstance(value, (FunctionClass, sympy.Basic)):
            allowed[name] = value
    for name in ("MutableDenseMatrix", "ImmutableDenseMatrix", "Dummy", "Wild"):
        if hasattr(sympy, name):
            allowed[name] = getattr(sympy, name)
    allowed["Str"] = sympy.core.symbol.Str  # srepr names a MatrixSymbol with it
    for name in ("var", "symbols", "sympify", "S", "Lambda", "lambdify", "parse_expr"):
        allowed.pop(name, None)
    return allowed


_SYMPY_NAMES: dict[str, object] | None = None


def parse_srepr(text: str) -> object:
    """Rebuild a sympy object from ``srepr`` text, allowing only sympy constructors and literals."""
    global _SYMPY_NAMES
    if not isinstance(text, str) or len(text) > MAX_STRING:
        raise ProtocolError("sympy payload is not a string of acceptable size")
    if _SYMPY_NAMES is None:
        _SYMPY_NAMES = _sympy_names()
    names = _SYMPY_NAMES
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        raise ProtocolError(f"sympy payload does not parse: {error}") from None
    count = sum(1 for _ in ast.walk(tree))
    if count > MAX_SREPR_NODES:
        raise ProtocolError("sympy payload is too large")

    import sympy
    from sympy.core.function import FunctionClass

    def string_argument(func: object, index: int, text: str) -> str:
        # Most sympy constructors hand a string to sympify(), which evaluates it as Python. A
        # string may only stand where srepr writes one: the name of a symbol or an undefined
        # function (stored as it is), or the numeral of a Float (checked to be a numeral).
        # Names are kept free of quotes and brackets, so that even code that prints an
        # expression back to Python (lambdify does) can never meet one that reads as code.
        if index == 0:
            if func is sympy.Function and text.isidentifier() and len(text) <= 200:
                return text
            if func in name_classes and _SYMBOL_NAME.fullmatch(text):
                return text
            if func is sympy.Float and _FLOAT_TEXT.fullmatch(text):
                return text
        raise ProtocolError(
            f"sympy payload passes the string {text[:40]!r} to {getattr(func, '__name__', func)}"
        )

    name_classes = (sympy.Symbol, sympy.Dummy, sympy.Wild, sympy.core.symbol.Str)

    def value(node: ast.AST, depth: int) -> object:
        if depth > 200:
            raise ProtocolError("sympy payload is nested too deeply")
        if isinstance(node, ast.Constant) and type(node.value) is str:
            raise ProtocolError("sympy payload holds a string outside a name or a numeral")
        if isinstance(node, ast.Constant) and type(node.value) in (int, float, bool):
            return node.value
        if isinstance(node, ast.Constant) and node.value is None:
            return None
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = value(node.operand, depth + 1)
            if type(operand) not in (int, float) and not isinstance(operand, sympy.Basic):
                raise ProtocolError("sympy payload negates something that is not a number")
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, (ast.Tuple, ast.List)):
            items = [value(item, depth + 1) for item in node.elts]
            return tuple(items) if isinstance(node, ast.Tuple) else items
        if isinstance(node, ast.Name):
            if node.id not in names:
                raise ProtocolError(f"sympy payload uses a name that is not allowed: {node.id}")
            return names[node.id]
        if isinstance(node, ast.Call):
            func = value(node.func, depth + 1)
            if not (isinstance(func, type) or isinstance(func, FunctionClass)):
                raise ProtocolError("sympy payload calls something that is not a sympy class")
            if isinstance(node.func, ast.Call) and not isinstance(func, FunctionClass):
                raise ProtocolError("sympy payload calls a result that is not a function class")
            args = []
            for index, arg in enumerate(node.args):
                if isinstance(arg, ast.Starred):
                    raise ProtocolError("sympy payload uses *args")
                if isinstance(arg, ast.Constant) and type(arg.value) is str:
                    args.append(string_argument(func, index, arg.value))
                else:
                    args.append(value(arg, depth + 1))
            kwargs = {}
            for keyword in node.keywords:
                if keyword.arg is None:
                    raise ProtocolError("sympy payload uses **kwargs")
                # Keyword values are flags and sizes (real=True, precision=53), never text.
                kwargs[keyword.arg] = value(keyword.value, depth + 1)
            try:
                return func(*args, **kwargs)
            except Exception as error:
                raise ProtocolError(f"sympy payload does not build: {error}") from None
        raise ProtocolError(f"sympy payload contains a {type(node).__name__}, which is not allowed")

    return value(tree.body, 0)


# --------------------------------------------------------------------------------------------
# The channel: framing, encoding, calls in both directions


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


def _safe_text(exc: BaseException) -> str:
    try:
        text = str(exc)
    except BaseException:  # a hostile __str__ must not break the reply
        text = "<unprintable message>"
    if not isinstance(text, str):
        text = "<unprintable message>"
    return text[:MAX_MESSAGE]


class RemoteCallable:
    """A callable that lives in the other process; calling it sends a ``call`` message."""

    def __init__(self, channel: Channel, target: int | str, name: str) -> None:
        self._channel = channel
        self._target = target
        self._generation = channel.generation
        self.__name__ = name
        self.__qualname__ = name

    def __call__(self, *args, **kwargs):
        if self._generation != self._channel.generation:
            raise RuntimeError(
                f"{self.__name__} belonged to a student process that has been restarted"
            )
        return self._channel.call(self._target, args, kwargs)

    def __repr__(self) -> str:
        return f"<function {self.__name__} (runs in another process)>"


class Channel:
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

    def export(self, function: object) -> int:
        with self.conversation:
            key = id(function)
            if key in self.handle_ids and self.handles.get(self.handle_ids[key]) is function:
                return self.handle_ids[key]
            handle = self.next_handle
            self.next_handle += 1
            self.handles[handle] = function
            self.handle_ids[key] = handle
            return handle

    def encode(self, value: object, depth: int = 0) -> object:
        if depth > MAX_DEPTH:
            raise TypeError("value is nested too deeply to send")
        if value is None or value is True or value is False:
            return value
        kind = type(value)
        if kind is int:
            return value if -(2**53) < value < 2**53 else {"$t": "int", "v": str(value)}
        if kind is float:
            return value if math.isfinite(value) else {"$t": "float", "v": repr(value)}
        if kind is str:
            if len(value) > MAX_STRING:
                raise TypeError("string is too long to send")
            return value
        numpy = sys.modules.get("numpy")
        if numpy is not None:
            if isinstance(value, numpy.ndarray):
                return self._encode_array(numpy, value, depth)
            if isinstance(value, numpy.generic):
                array = _wire_dtype(numpy, numpy.asarray(value))
                if array.dtype.kind in "biufc" and _DTYPE.match(array.dtype.str):
                    return {
                        "$t": "npscalar",
                        "dtype": array.dtype.str,
                        "data": base64.b64encode(array.tobytes()).decode(),
                    }
                item = value.item()
                if isinstance(item, numpy.generic):  # item() of some types is the same type
                    raise TypeError(f"cannot send a value of type {type(value).__name__}")
                return self.encode(item, depth + 1)
        sympy = sys.modules.get("sympy")
        if sympy is not None and isinstance(value, (sympy.Basic, sympy.MatrixBase)):
            return {"$t": "sympy", "v": sympy.srepr(value)}
        if isinstance(value, RemoteCallable) and value._channel is self:
            return {"$t": "ref", "id": value._target}
        if isinstance(value, (list, tuple, set, frozenset)):
            items = list(value)
            if len(items) > MAX_ITEMS:
                raise TypeError("sequence is too long to send")
            encoded = [self.encode(item, depth + 1) for item in items]
            if isinstance(value, list):
                return encoded
            tag = "tuple" if isinstance(value, tuple) else type(value).__name__
            tag = tag if tag in ("tuple", "set", "frozenset") else "set"
            return {"$t": tag, "v": encoded}
        if isinstance(value, dict):
            pairs = list(value.items())
            if len(pairs) > MAX_ITEMS:
                raise TypeError("dict is too long to send")
            return {
                "$t": "dict",
                "v": [[self.encode(k, depth + 1), self.encode(v, depth + 1)] for k, v in pairs],
            }
        if isinstance(value, bool):
            return bool(value)
        if isinstance(value, int):
            return self.encode(int(value), depth + 1)
        if isinstance(value, float):
            return self.encode(float(value), depth + 1)
        if isinstance(value, complex):
            number = complex(value)
            return {
                "$t": "complex",
                "re": self.encode(number.real, depth + 1),
                "im": self.encode(number.imag, depth + 1),
            }
        if isinstance(value, str):
            return self.encode(str.__str__(value), depth + 1)
        if callable(value):
            name = getattr(value, "__name__", "function")
            name = name[:100] if isinstance(name, str) else "function"
            return {"$t": "callable", "id": self.export(value), "name": name}
        raise TypeError(f"cannot send a value of type {type(value).__name__}")

    def _encode_array(self, numpy, value, depth: int) -> dict:
        array = numpy.asarray(value)
        if array.size > MAX_ELEMENTS:
            raise TypeError("array is too large to send")
        array = _wire_dtype(numpy, array)
        if array.dtype.kind in "biufc" and _DTYPE.match(array.dtype.str):
            return {
                "$t": "ndarray",
                "dtype": array.dtype.str,
                "shape": list(array.shape),  # a 0-d array stays 0-d
                "data": base64.b64encode(array.tobytes(order="C")).decode(),
            }
        if array.dtype.kind in "OUS":
            items = [self.encode(item, depth + 1) for item in array.reshape(-1).tolist()]
            return {"$t": "objarray", "shape": list(array.shape), "v": items}
        raise TypeError(f"cannot send an array of dtype {array.dtype}")

    def decode(self, data: object, depth: int = 0) -> object:
        if depth > MAX_DEPTH:
            raise ProtocolError("value is nested too deeply")
        if data is None or isinstance(data, (bool, int, float)):
            return data
        if isinstance(data, str):
            if len(data) > MAX_STRING:
                raise ProtocolError("string is too long")
            return data
        if isinstance(data, list):
            if len(data) > MAX_ITEMS:
                raise ProtocolError("list is too long")
            return [self.decode(item, depth + 1) for item in data]
        if not isinstance(data, dict):
            raise ProtocolError("unexpected JSON value")
        tag = data.get("$t")
        if tag == "float":
            if data.get("v") not in ("nan", "inf", "-inf"):
                raise ProtocolError("bad special float")
            return float(data["v"])
        if tag == "int":
            text = data.get("v")
            if not isinstance(text, str) or not re.fullmatch(r"-?[0-9]{1,4000}", text):
                raise ProtocolError("bad big integer")
            return int(text)
        if tag == "complex":
            real, imag = (
                self.decode(data.get("re"), depth + 1),
                self.decode(data.get("im"), depth + 1),
            )
            if type(real) not in (int, float) or type(imag) not in (int, float):
                raise ProtocolError("bad complex number")
            return complex(real, imag)
        if tag in ("tuple", "set", "frozenset"):
            items = data.get("v")
            if not isinstance(items, list):
                raise ProtocolError(f"bad {tag}")
            decoded = self.decode(items, depth + 1)
            try:
                return {"tuple": tuple, "set": set, "frozenset": frozenset}[tag](decoded)
            except TypeError:
                raise ProtocolError(f"unhashable item in a {tag}") from None
        if tag == "dict":
            pairs = data.get("v")
            if not isinstance(pairs, list) or len(pairs) > MAX_ITEMS:
                raise ProtocolError("bad dict")
            result = {}
            for pair in pairs:
                if not isinstance(pair, list) or len(pair) != 2:
                    raise ProtocolError("bad dict item")
                key = self.decode(pair[0], depth + 1)
                try:
                    result[key] = self.decode(pair[1], depth + 1)
                except TypeError:
                    raise ProtocolError("unhashable dict key") from None
            return result
        if tag in ("ndarray", "npscalar", "objarray"):
            return self._decode_array(tag, data, depth)
        if tag == "sympy":
            return parse_srepr(data.get("v"))
        if tag == "callable":
            handle, name = data.get("id"), data.get("name", "function")
            if type(handle) is not int or not isinstance(name, str):
                raise ProtocolError("bad callable handle")
            return RemoteCallable(self, handle, name[:100])
        if tag == "ref":
            handle = data.get("id")
            if type(handle) is not int or handle not in self.handles:
                raise ProtocolError("reference to an unknown callable")
            return self.handles[handle]
        raise ProtocolError(f"unknown value tag {tag!r}")

    def _decode_array(self, tag: str, data: dict, depth: int) -> object:
        import numpy

        if tag == "objarray":
            shape, items = data.get("shape"), data.get("v")
            count = self._check_shape(shape)
            if not isinstance(items, list) or len(items) != count:
                raise ProtocolError("object array has the wrong number of items")
            array = numpy.empty(count, dtype=object)
            for index, item in enumerate(items):
                array[index] = self.decode(item, depth + 1)
            return array.reshape(shape)
        dtype_text = data.get("dtype")
        if not isinstance(dtype_text, str) or not _DTYPE.match(dtype_text):
            raise ProtocolError(f"array dtype {dtype_text!r} is not allowed")
        dtype = numpy.dtype(dtype_text)
        try:
            raw = base64.b64decode(data.get("data", ""), validate=True)
        except (ValueError, TypeError):
            raise ProtocolError("array data is not base64") from None
        if tag == "npscalar":
            if len(raw) != dtype.itemsize:
                raise ProtocolError("scalar has the wrong number of bytes")
            return numpy.frombuffer(raw, dtype=dtype)[0]
        shape = data.get("shape")
        count = self._check_shape(shape)
        if len(raw) != count * dtype.itemsize:
            raise ProtocolError("array data does not match its shape and dtype")
        return numpy.frombuffer(raw, dtype=dtype).reshape(shape).copy()

    @staticmethod
    def _check_shape(shape: object) -> int:
        if not isinstance(shape, list) or len(shape) > 32:
            raise ProtocolError("bad array shape")
        count = 1
        for size in shape:
            if type(size) is not int or size < 0:
                raise ProtocolError("bad array shape")
            count *= size
        if count > MAX_ELEMENTS:
            raise ProtocolError("array is too large")
        return count

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


# --------------------------------------------------------------------------------------------
# The student's process


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


def _describe_function(channel: Channel, function: object) -> dict:
    """The signature (with defaults as data) and docstring, so a proxy can show the same ones."""
    import inspect

    description: dict = {}
    doc = getattr(function, "__doc__", None)
    if isinstance(doc, str):
        description["doc"] = doc[:MAX_MESSAGE]
    try:
        signature = inspect.signature(function)
        params = []
        for parameter in signature.parameters.values():
            entry = [parameter.name, int(parameter.kind)]
            if parameter.default is not parameter.empty:
                entry.append(channel.encode(parameter.default))
            params.append(entry)
    except Exception:  # no signature, or a default that is not plain data
        return description
    description["params"] = params
    return description


def build_signature(channel: Channel, params: object):
    """An ``inspect.Signature`` from a description sent by :func:`_describe_function`, or None."""
    import inspect

    if not isinstance(params, list) or len(params) > 100:
        return None
    parameters = []
    try:
        for entry in params:
            if not isinstance(entry, list) or len(entry) not in (2, 3):
                return None
            name, kind = entry[0], entry[1]
            if not isinstance(name, str) or not name.isidentifier() or type(kind) is not int:
                return None
            default = channel.decode(entry[2]) if len(entry) == 3 else inspect.Parameter.empty
            parameters.append(
                inspect.Parameter(name, inspect._ParameterKind(kind), default=default)
            )
        return inspect.Signature(parameters)
    except (ValueError, TypeError, ProtocolError):
        return None


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
