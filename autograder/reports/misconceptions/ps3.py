"""Hints of ps3's hidden tests: numerical gradient, gradient descent, mean squared error and regression.

Each row: (tag, chapter, section, sentence for the student); see :mod:`autograder.reports.misconceptions`.
"""

from __future__ import annotations

from .sections import DESCENT, PARTIALS, REGRESSION, G

ROWS = [
    # ps3: numerical gradient.
    (
        "missing-2h",
        G,
        PARTIALS,
        "Every entry is twice too large: the two points are 2h apart, so divide by 2h.",
    ),
    (
        "all-coordinates-perturbed",
        G,
        PARTIALS,
        "Shift one coordinate at a time (w + h e_i): moving all of them at once gives the slope along (1, 1, ..., 1).",
    ),
    # ps3: gradient descent.
    (
        "aliased-history",
        G,
        DESCENT,
        "Every row of history is the same point: you stored one array and kept changing it; store copies or write w = w - lr * g.",
    ),
    (
        "history-missing-start",
        G,
        DESCENT,
        "The history must start with the starting point itself.",
    ),
    (
        "tol-not-strict",
        G,
        DESCENT,
        "Stop when the gradient's norm is strictly less than tol (use <, not <=).",
    ),
    (
        "wrong-norm",
        G,
        DESCENT,
        "The stopping test uses the Euclidean length of the gradient (np.linalg.norm), not its largest entry.",
    ),
    (
        "tol-checked-after-step",
        G,
        DESCENT,
        "Check the tolerance before each step: when the gradient is already small enough, take no step.",
    ),
    (
        "tol-ignored",
        G,
        DESCENT,
        "The loop went on after the gradient's norm fell below tol: stop there.",
    ),
    (
        "ascent-not-descent",
        G,
        DESCENT,
        "Your step went uphill: gradient descent subtracts, w - lr * grad(w).",
    ),
    ("lr-ignored", G, DESCENT, "The step used a fixed learning rate: use the lr you are given."),
    (
        "lr-applied-twice",
        G,
        DESCENT,
        "The learning rate was applied twice (lr² * grad): multiply the gradient by lr once.",
    ),
    (
        "wrong-update",
        G,
        DESCENT,
        "The first step should be w0 - lr * grad(w0): check your update rule.",
    ),
    (
        "n-steps-ignored",
        G,
        DESCENT,
        "The number of steps did not follow n_steps: loop exactly n_steps times.",
    ),
    (
        "off-by-one-steps",
        G,
        DESCENT,
        "One step too many or too few: n_steps steps give n_steps + 1 rows (the start and one row per step).",
    ),
    (
        "stopped-early",
        G,
        DESCENT,
        "The loop stopped early: stop only after n_steps steps or when the gradient's norm is below tol.",
    ),
    (
        "wrong-iterates",
        G,
        DESCENT,
        "Each row should be the previous point minus the step: check the update inside the loop.",
    ),
    ("returned-w-not-last", G, DESCENT, "Return the last point of history as the result."),
    (
        "process-mismatch",
        G,
        DESCENT,
        "Call the gradient at the current point before each step, and use that gradient for the step.",
    ),
    # ps3: mean squared error and linear regression.
    (
        "returns-array",
        G,
        REGRESSION,
        "The loss is one number: average the squared residuals (np.mean) and return a float.",
    ),
    (
        "sum-not-mean",
        G,
        REGRESSION,
        "That is the sum of squared residuals: divide by n (take the mean).",
    ),
    ("missing-square", G, REGRESSION, "The residuals were not squared before averaging."),
    (
        "half-mse",
        G,
        REGRESSION,
        "That is half the mean squared error: this loss has no factor 1/2.",
    ),
    (
        "rmse-not-mse",
        G,
        REGRESSION,
        "That is the root mean squared error: do not take the square root.",
    ),
    ("wrong-denominator", G, REGRESSION, "Divide by n, the number of examples, not n - 1."),
    (
        "x-transposed",
        G,
        REGRESSION,
        "The predictions are X @ w (one row of X per example), not X.T @ w.",
    ),
    (
        "gradient-sign",
        G,
        REGRESSION,
        "The sign is flipped: the gradient is -(2/n) Xᵀ(y - Xw) = (2/n) Xᵀ(Xw - y).",
    ),
    (
        "missing-factor-2",
        G,
        REGRESSION,
        "The factor 2 from differentiating the square is missing.",
    ),
    ("missing-1-over-n", G, REGRESSION, "The factor 1/n of the mean is missing."),
    (
        "x-not-transposed",
        G,
        REGRESSION,
        "Multiply by Xᵀ, not X: with as many columns as weights the shapes only match with the transpose.",
    ),
    (
        "closed-form",
        G,
        REGRESSION,
        "That is the exact least-squares solution: the exercise asks for n_steps gradient steps.",
    ),
    ("nonzero-start", G, REGRESSION, "Start the weights from zeros, as the exercise says."),
    (
        "loss-not-gradient",
        G,
        REGRESSION,
        "The step used the loss (one number) instead of the gradient (a vector).",
    ),
    (
        "wrong-weights",
        G,
        REGRESSION,
        "Repeat n_steps times w <- w - lr * gradient, starting from zeros: check each part.",
    ),
]
