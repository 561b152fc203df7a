"""Abuse of the verification protocol by the student's process: nothing but a failed test.

The student's process holds its end of the pipe (``f._channel`` of any function a test passes
in) and may write whatever it wants on it, or raise whatever it wants. Each function below abuses
the protocol in one way; its test must fail (and the failure must say it came from the student's
side), no tag may come from the student, and the trusted test process must go on judging the
next function, which is honest and passes (a process that broke off in the middle of an answer,
or left bytes on the pipe, is replaced by a fresh one).
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from autograder.verify.job import verify_submission

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "verify"

# A reply that nests deeper than the decoder allows, sent as the answer to the running call.
DEEP_REPLY = """\
def secant_slope(f, x, h):
    channel = f._channel
    value = 1.0
    for _ in range(200):
        value = {"$t": "tuple", "v": [value]}
    channel.send({"op": "return", "id": channel._serving()[-1], "value": value})
    import time
    time.sleep(60)
"""

# An exception whose text cannot be read, that carries a tag of its own, and that claims to be a
# NumPy error and an AssertionError.
ODD_EXCEPTION = """\
class Sneaky(Exception):
    misconception = "forward-difference"

    def __init__(self):
        super().__init__("[tag: forward-difference]")
        self.misconception = "forward-difference"

    def __str__(self):
        raise RuntimeError("no text for you")

    @property
    def __class__(self):
        return AssertionError


Sneaky.__module__ = "numpy.linalg"
Sneaky.__qualname__ = "LinAlgError.__init__"


def central_difference(f, x, h=1e-5):
    raise Sneaky()
"""

# The tangent line answers with a forged reference to a handle the test never exported.
HANDLES = """\
def tangent_line(f, a, h=1e-5):
    channel = f._channel

    def T(x):
        channel.send({"op": "return", "id": channel._serving()[-1], "value": {"$t": "ref", "id": 987654}})
        import time
        time.sleep(60)

    return T
"""

# Raw bytes on the pipe: a frame of JSON nested far beyond what a parser can take, then a forged
# "raise" of SystemExit (not an Exception: it must not stop the test process).
RAW_FRAMES = """\
import os
import struct


def gradient_descent(grad, w0, lr=0.1, n_steps=100, tol=1e-8):
    channel = grad._channel
    call = channel._serving()[-1]
    body = b'{"op": "raise", "id": %d, "type": "SystemExit", "name": "SystemExit", "message": 0}' % call
    os.write(channel.fd_out, struct.pack(">I", len(body)) + body)
    bomb = b"[" * 200_000 + b"]" * 200_000
    os.write(channel.fd_out, struct.pack(">I", len(bomb)) + bomb)
    import time
    time.sleep(60)
"""


def _notebook() -> nbformat.NotebookNode:
    nb = nbformat.read(FIXTURES / "correct.ipynb", as_version=4)
    nb.cells = [c for c in nb.cells if "critical_points" not in _grade_id(c)]
    replace = {
        "secant_slope": DEEP_REPLY,
        "central_difference": ODD_EXCEPTION,
        "tangent_line": HANDLES,
        "gradient_descent": RAW_FRAMES,
    }
    for cell in nb.cells:
        if _grade_id(cell) in replace:
            cell.source = replace[_grade_id(cell)]
    return nb


def _grade_id(cell) -> str:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")


def test_protocol_abuse_fails_only_the_abusing_functions(tmp_path):
    source = nbformat.read(FIXTURES / "source.ipynb", as_version=4)
    source.cells = [c for c in source.cells if "critical_points" not in _grade_id(c)]
    course = tmp_path / "course"
    source_path = course / "source" / "ps" / "ps.ipynb"
    student_path = course / "submitted" / "s01" / "ps" / "ps.ipynb"
    for path, notebook in ((source_path, source), (student_path, _notebook())):
        path.parent.mkdir(parents=True)
        nbformat.write(notebook, path)
    checks = verify_submission(student_path, source_path, cell_timeout=10.0, timeout=120.0)

    abused = {
        "test_secant_slope",
        "test_central_difference",
        "test_tangent_line",
        "test_gradient_descent",
    }
    failed = {name for name, check in checks.items() if not check.passed}
    assert failed == abused, {n: checks[n].message for n in checks}
    assert checks["test_poly_derivative"].passed  # the test process went on judging
    for check in checks.values():
        assert check.tags == [], check  # no tag of the student's, whatever it raised
        assert "no text for you" not in check.message
    for name in ("test_secant_slope", "test_tangent_line"):
        assert "invalid data" in checks[name].message, checks[name]
    assert checks["test_gradient_descent"].message == "RemoteError"  # a forged SystemExit
    # The odd exception came back as a plain error from the student's side, not as the test's
    # own AssertionError.
    assert not checks["test_central_difference"].message.startswith("AssertionError: [tag")
