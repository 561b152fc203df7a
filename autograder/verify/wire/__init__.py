"""The wire protocol both sides of verification speak, and the student's side of it.

The protocol is length-prefixed JSON frames over two pipes (never stdout: the student's prints go
to /dev/null). Values are plain data only: numbers (nan and inf included), strings, lists, tuples,
dicts, sets, NumPy arrays and scalars (numeric dtypes, with shape), sympy objects as ``srepr``
text rebuilt by a whitelisting parser (never ``eval``), and callables as handles that the other
side calls back. Exceptions travel as the nearest built-in exception type and their message.
In-place changes to NumPy array, list and dict arguments are copied back to the caller.

Modules: :mod:`.common` (bounds, errors), :mod:`.srepr` (the sympy parser), :mod:`.codec` (values),
:mod:`.channel` (frames and calls), :mod:`.signatures` (a function's signature as data) and
:mod:`.student` (the student's process, run by path inside the sandbox).

This folder is bound read-only into the sandbox on its own, so every module here depends on the
standard library only (NumPy, sympy and IPython are imported when needed) and imports its
siblings relatively: inside the sandbox the rest of the ``autograder`` package is not visible,
and :mod:`.student` loads this folder as a private package. The trusted test process
(:mod:`autograder.verify.trusted`) imports the same modules as ``autograder.verify.wire``; that
runs none of the student's code.
"""
