"""Hints of ps4's hidden tests: Jacobians, Hessians and Newton's method.

Each row: (tag, chapter, section, sentence for the student); see :mod:`autograder.reports.misconceptions`.
"""

from __future__ import annotations

from .sections import HCLASS, HESSIAN, NEWTON, NJAC, J

ROWS = [
    # ps4: Jacobians, Hessians, Newton's method.
    (
        "transposed-jacobian",
        J,
        NJAC,
        "That is the transpose: row i of the Jacobian holds the partials of output f_i.",
    ),
    (
        "not-symmetric",
        J,
        HESSIAN,
        "A Hessian is symmetric: H[i, j] and H[j, i] are the same mixed partial.",
    ),
    (
        "diagonal-only",
        J,
        HESSIAN,
        "Only the diagonal was filled: the mixed partials (i ≠ j) are missing.",
    ),
    (
        "wrong-factor",
        J,
        HESSIAN,
        "The mixed partials are 4 times too large: the four-point formula divides by 4h².",
    ),
    (
        "min-max-swapped",
        J,
        HCLASS,
        "Minimum and maximum are swapped: all eigenvalues positive means a minimum.",
    ),
    (
        "diagonal-entries",
        J,
        HCLASS,
        "The diagonal entries alone do not decide: look at the eigenvalues of the whole matrix.",
    ),
    (
        "det-trace-shortcut",
        J,
        HCLASS,
        "The determinant-and-trace shortcut works only in 2 dimensions: use the signs of the eigenvalues.",
    ),
    (
        "singular-as-saddle",
        J,
        HCLASS,
        "A zero eigenvalue leaves the test undecided: that is inconclusive, not a saddle.",
    ),
    (
        "semidefinite-as-definite",
        J,
        HCLASS,
        "Only strictly positive eigenvalues make a minimum: a zero eigenvalue makes the test inconclusive.",
    ),
    ("wrong-sign", J, NEWTON, "The Newton step went the wrong way: x_new = x - solve(H, grad)."),
    (
        "gradient-step-not-newton",
        J,
        NEWTON,
        "That is a gradient step: Newton first solves H dx = grad(x), then moves by dx.",
    ),
    (
        "multiplied-not-solved",
        J,
        NEWTON,
        "You multiplied the gradient by H: Newton uses its inverse, through np.linalg.solve(H, grad).",
    ),
    (
        "diagonal-hessian-only",
        J,
        NEWTON,
        "You divided by the diagonal of H only: solve the full system H dx = grad.",
    ),
    (
        "hessian-not-updated",
        J,
        NEWTON,
        "The Hessian must be evaluated at the current point in every step, not once at x0.",
    ),
]
