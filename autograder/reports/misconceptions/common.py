"""Hints for any assignment: the shape of an answer (errors, types, shapes).

Each row: (tag, chapter, section, sentence for the student); see :mod:`autograder.reports.misconceptions`.
"""

from __future__ import annotations

from .sections import EXERCISES, TANGENT, D, W

ROWS = [
    # Any assignment: the shape of an answer.
    (
        "raised-error",
        W,
        EXERCISES,
        "Your function raised an error on one of the checks: run it on the example in the message and read the traceback.",
    ),
    (
        "integer-input",
        W,
        EXERCISES,
        "Your function fails when it is given integers: convert them to floats first (float(x), np.asarray(x, dtype=float)).",
    ),
    (
        "not-a-number",
        W,
        EXERCISES,
        "The check expected one number but your function returned something else: return a single float.",
    ),
    (
        "wrong-value",
        W,
        EXERCISES,
        "Your function returns a number, but not the right one: compare it by hand with the formula in the exercise.",
    ),
    (
        "wrong-type",
        W,
        EXERCISES,
        "What your function returned cannot be read as numbers: return floats or a NumPy array of floats.",
    ),
    (
        "wrong-shape",
        W,
        EXERCISES,
        "The result has the wrong shape: check how many rows and columns the exercise asks for.",
    ),
    (
        "wrong-return",
        W,
        EXERCISES,
        "The function must return a pair of values, as its docstring says.",
    ),
    ("not-an-array", W, EXERCISES, "Return a NumPy array of floats, not a list or another type."),
    ("not-a-list", W, EXERCISES, "Return a Python list, as the exercise asks."),
    (
        "not-callable",
        D,
        TANGENT,
        "Return a function of x from tangent_line: define an inner function and return it.",
    ),
    (
        "modifies-input",
        W,
        EXERCISES,
        "Your function changed the array it was given: build new arrays instead of writing into the caller's.",
    ),
    (
        "input-modified",
        W,
        EXERCISES,
        "Your function changed the array it was given (x -= ... or w[i] += h changes the caller's array): work on a copy.",
    ),
]
