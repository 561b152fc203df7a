"""Hints of ps1's hidden tests: secant slope, central difference, tangent line, polynomial and second derivatives.

Each row: (tag, chapter, section, sentence for the student); see :mod:`autograder.reports.misconceptions`.
"""

from __future__ import annotations

from .sections import NUMERIC, PARTIALS, RULES, SECANT, SECOND, TANGENT, D, G

ROWS = [
    # ps1: secant slope.
    (
        "zero-h-not-rejected",
        D,
        SECANT,
        "A secant needs two different points: check for h == 0 yourself and raise ValueError before dividing.",
    ),
    (
        "abs-h",
        D,
        SECANT,
        "You divided by |h|: the sign of h matters, a step to the left has a negative h.",
    ),
    (
        "divided-by-2h",
        D,
        SECANT,
        "You divided by 2h, but the two points x and x + h are h apart.",
    ),
    (
        "central-not-secant",
        D,
        SECANT,
        "That is the central difference; the secant slope uses the points x and x + h.",
    ),
    (
        "backward-difference",
        D,
        NUMERIC,
        "You used x - h and x (a backward difference) where the exercise asks for another pair of points.",
    ),
    (
        "wrong-secant-value",
        D,
        SECANT,
        "The secant slope is (f(x + h) - f(x)) / h: check your formula against it.",
    ),
    # ps1: central difference.
    (
        "forward-difference",
        D,
        NUMERIC,
        "Your error shrinks like h, not h²: that is a forward difference (f(x + h) - f(x)) / h; the central difference uses x + h and x - h.",
    ),
    (
        "divided-by-h-not-2h",
        D,
        NUMERIC,
        "The points x - h and x + h are 2h apart: divide by 2h, not h.",
    ),
    (
        "ignores-h",
        D,
        NUMERIC,
        "Your result does not change with the step you were given: use the h argument, not a fixed number.",
    ),
    (
        "h-ignored",
        G,
        PARTIALS,
        "Your result is the one for h = 1e-5 whatever h you are given: use the h argument.",
    ),
    (
        "wrong-central-value",
        D,
        NUMERIC,
        "The central difference is (f(x + h) - f(x - h)) / (2h): check your formula against it.",
    ),
    (
        "wrong-error-order",
        D,
        NUMERIC,
        "Your error does not shrink like h² when h shrinks: check that you use both x + h and x - h and divide by 2h.",
    ),
    ("wrong-default-h", D, NUMERIC, "The default step must be h = 1e-5, as the exercise says."),
    (
        "not-vectorised",
        D,
        NUMERIC,
        "Work on the whole array at once (x + h, f(x + h)) instead of looping into a list or turning x into one number.",
    ),
    # ps1: tangent line.
    (
        "wrong-tangent-value",
        D,
        TANGENT,
        "The tangent line is T(x) = f(a) + f'(a)(x - a): check each part against it.",
    ),
    (
        "f-at-x-not-a",
        D,
        TANGENT,
        "You evaluated f at x instead of at the point a: the tangent line is f(a) + f'(a)(x - a).",
    ),
    (
        "sign-of-x-minus-a",
        D,
        TANGENT,
        "Sign error: the term is f'(a) * (x - a), not f'(a) * (a - x).",
    ),
    (
        "forgot-minus-a",
        D,
        TANGENT,
        "The shift by a is missing: the slope multiplies (x - a), not x.",
    ),
    (
        "shared-state",
        D,
        TANGENT,
        "Each tangent line must remember its own f, a and slope: do not keep them in global variables.",
    ),
    # ps1: polynomial derivative.
    (
        "missing-power-factor",
        D,
        RULES,
        "The power rule multiplies by the exponent: the derivative of c_k x^k is k c_k x^(k-1).",
    ),
    (
        "wrong-shift",
        D,
        RULES,
        "Coefficient c_k is multiplied by k and moves to degree k - 1: your factors are shifted by one.",
    ),
    (
        "keeps-constant-term",
        D,
        RULES,
        "The derivative has one coefficient fewer: the constant term disappears.",
    ),
    (
        "decreasing-degree-order",
        D,
        RULES,
        "Here coefficients go c0, c1, c2, ... (increasing degree), the opposite of np.polyder's order.",
    ),
    (
        "constant-gives-empty",
        D,
        RULES,
        "The derivative of a constant is the zero polynomial: return array([0.0]), not an empty array.",
    ),
    (
        "wrong-derivative-coeffs",
        D,
        RULES,
        "The derivative of [c0, c1, ..., cn] is [c1, 2 c2, ..., n cn]: check your coefficients.",
    ),
    # ps1: second derivative.
    (
        "divided-by-h-not-h2",
        D,
        SECOND,
        "The second difference f(x + h) - 2 f(x) + f(x - h) is divided by h², not h.",
    ),
    ("divided-by-2h2", D, SECOND, "The second difference is divided by h², not 2h²."),
    (
        "sign-error",
        D,
        SECOND,
        "Sign error: the second difference is f(x + h) - 2 f(x) + f(x - h).",
    ),
    (
        "forward-second-difference",
        D,
        SECOND,
        "You used x, x + h, x + 2h (a forward second difference); use x - h, x and x + h.",
    ),
    (
        "nested-central-difference",
        D,
        SECOND,
        "You took a central difference of central differences (a step of 2h): use f(x + h) - 2 f(x) + f(x - h) over h².",
    ),
    (
        "wrong-second-value",
        D,
        SECOND,
        "The second derivative estimate is (f(x + h) - 2 f(x) + f(x - h)) / h²: check your formula against it.",
    ),
]
