"""Values on the wire: numbers, text, containers, NumPy arrays, sympy objects and callables as handles."""

from __future__ import annotations

import base64
import math
import re
import sys
from typing import TYPE_CHECKING

from .common import MAX_DEPTH, MAX_ELEMENTS, MAX_ITEMS, MAX_STRING, ProtocolError
from .srepr import parse_srepr

if TYPE_CHECKING:
    from .channel import Channel


_DTYPE = re.compile(r"^[<>|=]?(b1|[iu][1248]|f[248]|c(8|16))$")


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


class Codec:
    """Values to and from plain JSON data; the :class:`~.channel.Channel` holds the handle tables."""

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
