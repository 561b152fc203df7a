"""Hints of ps2's hidden tests: critical points and inflection points.

Each row: (tag, chapter, section, sentence for the student); see :mod:`autograder.reports.misconceptions`.
"""

from __future__ import annotations

from .sections import CONCAVE, CRIT, TEST2, C

ROWS = [
    # ps2: critical points and inflection points.
    (
        "complex-roots-kept",
        C,
        CRIT,
        "Only real roots are critical points on the real line: drop the complex ones.",
    ),
    (
        "sympy-objects-not-floats",
        C,
        CRIT,
        "Convert each sympy number with float(...) before you return it.",
    ),
    ("unsorted", C, CRIT, "The points are right but not in increasing order: sort them."),
    ("duplicates", C, CRIT, "Each point should appear once: a double root is one point."),
    (
        "solved-expr-not-derivative",
        C,
        CRIT,
        "You solved f(x) = 0; critical points solve f'(x) = 0.",
    ),
    (
        "used-second-derivative",
        C,
        CRIT,
        "You solved f''(x) = 0; critical points solve f'(x) = 0.",
    ),
    (
        "missed-real-roots",
        C,
        CRIT,
        "Some real roots were dropped: sympy may write a real root with I in it, so r.is_real can be None; check the imaginary part numerically.",
    ),
    (
        "wrong-critical-points",
        C,
        CRIT,
        "Critical points are the distinct real roots of f': compare yours with a plot of f'.",
    ),
    (
        "ignores-symbol-argument",
        C,
        CRIT,
        "The variable is an argument of your function: differentiate with respect to the symbol you are given, not a fixed x.",
    ),
    (
        "wrong-label",
        C,
        TEST2,
        "Return exactly one of the labels the exercise lists, spelled the same way.",
    ),
    (
        "zero-second-derivative-as-minimum",
        C,
        TEST2,
        "When f''(x0) = 0 the test is inconclusive: f'' >= 0 is not f'' > 0.",
    ),
    (
        "zero-second-derivative-as-maximum",
        C,
        TEST2,
        "When f''(x0) = 0 the test is inconclusive: f'' <= 0 is not f'' < 0.",
    ),
    (
        "swapped-min-max",
        C,
        TEST2,
        "Minimum and maximum are swapped: f'' > 0 means concave up, a minimum.",
    ),
    ("x0-truncated", C, TEST2, "Your x0 was cut to an integer: substitute x0 itself into f''."),
    (
        "used-first-derivative",
        C,
        TEST2,
        "At a critical point f' is 0 anyway: the test looks at the sign of f'', not f'.",
    ),
    (
        "wrong-classification",
        C,
        TEST2,
        "Look at the sign of f''(x0): positive is a minimum, negative a maximum, zero says nothing.",
    ),
    (
        "no-sign-change-included",
        C,
        CONCAVE,
        "A zero of f'' is an inflection point only if f'' changes sign there (x⁴ at 0 is not one).",
    ),
    (
        "wrong-inflection-points",
        C,
        CONCAVE,
        "Inflection points are the real zeros of f'' where its sign changes.",
    ),
    (
        "missed-inflection-points",
        C,
        CONCAVE,
        "Some sign changes of f'' were missed: zeros can be very close together, so test the sign between neighbouring zeros.",
    ),
]
