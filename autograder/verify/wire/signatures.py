"""A function's signature and docstring as data, so a proxy on the other side can show the same."""

from __future__ import annotations

from .channel import Channel
from .common import MAX_MESSAGE, ProtocolError


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
