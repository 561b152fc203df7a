"""The wire's size bounds and error types, the same on both sides."""

from __future__ import annotations

MAX_FRAME = 64 * 1024 * 1024
MAX_DEPTH = 64
MAX_ITEMS = 1_000_000
MAX_STRING = 4 * 1024 * 1024
MAX_ELEMENTS = 16 * 1024 * 1024
MAX_MESSAGE = 4000
MAX_SREPR_NODES = 200_000


class ProtocolError(Exception):
    """The other side sent something that is not a valid message."""


class PeerGone(RuntimeError):
    """The other process closed its end of the pipe (it exited or was killed)."""


class CallTimeout(TimeoutError):
    """The other process did not answer before the deadline."""


class RemoteError(Exception):
    """An exception from the other side whose type is not a built-in exception."""


def _safe_text(exc: BaseException) -> str:
    try:
        text = str(exc)
    except BaseException:  # a hostile __str__ must not break the reply
        text = "<unprintable message>"
    if not isinstance(text, str):
        text = "<unprintable message>"
    return text[:MAX_MESSAGE]
