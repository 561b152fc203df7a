"""The curated table of misconception tags: what each means for a student, and where to read up.

A hidden test names a likely misconception when it fails (``_fail(..., tag)`` in the source
notebooks' hidden tests; the trusted test runner takes the tag from the raised exception's
``misconception`` attribute, never from its message text). Only tags listed here are kept, at most
:data:`MAX_TAGS_PER_CELL` per test cell: ``feedback``, ``selfcheck`` and ``report`` show the
sentence and the chapter section of each. ``tests/autograder/test_misconceptions.py`` fails when a
hidden test in ``source/`` can emit a tag this table lacks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: How a tag is spelled: lower-case words joined by hyphens.
TAG_SYNTAX = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
#: A tag written into a failure message as ``[tag: name]`` (the older convention): only ever
#: removed from messages, never read as a tag (a student's own text can contain it).
TAG_IN_TEXT = re.compile(r"\[tag: ?[^\]]{0,80}\]")
#: At most this many tags are kept for one test cell.
MAX_TAGS_PER_CELL = 3

_CHAPTERS = {
    "welcome": ("00-welcome.ipynb", "Welcome"),
    "derivatives": ("02-derivatives.ipynb", "Chapter 2, Derivatives"),
    "critical": ("03-critical-points.ipynb", "Chapter 3, Critical points and curvature"),
    "gradients": ("04-gradients.ipynb", "Chapter 4, Gradients and gradient descent"),
    "jacobians": ("05-jacobians-hessians.ipynb", "Chapter 5, Jacobians and Hessians"),
    "backprop": ("06-chain-rule-backprop.ipynb", "Chapter 6, The chain rule and backpropagation"),
}


@dataclass(frozen=True)
class Hint:
    """One tag's entry: a sentence for the student and the chapter section that explains it."""

    tag: str
    sentence: str
    chapter: str  # key of _CHAPTERS
    section: str  # the heading's text in that chapter notebook

    @property
    def where(self) -> str:
        """``Chapter 2, Derivatives, section "Numerical derivatives"``."""
        return f'{_CHAPTERS[self.chapter][1]}, section "{self.section}"'

    @property
    def link(self) -> str:
        """The section's address inside the course (JupyterLab's heading anchors)."""
        return f"course/{_CHAPTERS[self.chapter][0]}#{self.section.replace(' ', '-')}"


_D, _C, _G, _J, _W = "derivatives", "critical", "gradients", "jacobians", "welcome"
_B = "backprop"
_SECANT = "From secant to tangent"
_NUMERIC = "Numerical derivatives"
_TANGENT = "The tangent line: the best straight-line model"
_RULES = "Rules that save you the limit"
_SECOND = "The speedometer: first and second derivatives"
_EXERCISES = "How the exercises work"
_CRIT = "Critical points"
_CONCAVE = "Second derivative and concavity"
_TEST2 = "The second-derivative test, and when it says nothing"
_PARTIALS = "Numerical partials"
_DESCENT = "Gradient descent"
_REGRESSION = "Linear regression by gradient descent"
_NJAC = "Numerical Jacobians"
_HESSIAN = "The Hessian"
_HCLASS = "Classifying critical points with the Hessian"
_NEWTON = "Newton's method"
_LAYER = "The weight gradient of a linear layer is Xᵀδ"
_BYHAND = "Backpropagation through a two-layer network, by hand"
_ADJOINTS = "Reverse mode: adjoints flow backwards"
_GCHECK = "Gradient checking"
_TRAIN = "The ML thread: training a tiny network"

_ROWS = [
    # Any assignment: the shape of an answer.
    (
        "raised-error",
        _W,
        _EXERCISES,
        "Your function raised an error on one of the checks: run it on the example in the message and read the traceback.",
    ),
    (
        "integer-input",
        _W,
        _EXERCISES,
        "Your function fails when it is given integers: convert them to floats first (float(x), np.asarray(x, dtype=float)).",
    ),
    (
        "not-a-number",
        _W,
        _EXERCISES,
        "The check expected one number but your function returned something else: return a single float.",
    ),
    (
        "wrong-value",
        _W,
        _EXERCISES,
        "Your function returns a number, but not the right one: compare it by hand with the formula in the exercise.",
    ),
    (
        "wrong-type",
        _W,
        _EXERCISES,
        "What your function returned cannot be read as numbers: return floats or a NumPy array of floats.",
    ),
    (
        "wrong-shape",
        _W,
        _EXERCISES,
        "The result has the wrong shape: check how many rows and columns the exercise asks for.",
    ),
    (
        "wrong-return",
        _W,
        _EXERCISES,
        "The function must return a pair of values, as its docstring says.",
    ),
    ("not-an-array", _W, _EXERCISES, "Return a NumPy array of floats, not a list or another type."),
    ("not-a-list", _W, _EXERCISES, "Return a Python list, as the exercise asks."),
    (
        "not-callable",
        _D,
        _TANGENT,
        "Return a function of x from tangent_line: define an inner function and return it.",
    ),
    (
        "modifies-input",
        _W,
        _EXERCISES,
        "Your function changed the array it was given: build new arrays instead of writing into the caller's.",
    ),
    (
        "input-modified",
        _W,
        _EXERCISES,
        "Your function changed the array it was given (x -= ... or w[i] += h changes the caller's array): work on a copy.",
    ),
    # ps1: secant slope.
    (
        "zero-h-not-rejected",
        _D,
        _SECANT,
        "A secant needs two different points: check for h == 0 yourself and raise ValueError before dividing.",
    ),
    (
        "abs-h",
        _D,
        _SECANT,
        "You divided by |h|: the sign of h matters, a step to the left has a negative h.",
    ),
    (
        "divided-by-2h",
        _D,
        _SECANT,
        "You divided by 2h, but the two points x and x + h are h apart.",
    ),
    (
        "central-not-secant",
        _D,
        _SECANT,
        "That is the central difference; the secant slope uses the points x and x + h.",
    ),
    (
        "backward-difference",
        _D,
        _NUMERIC,
        "You used x - h and x (a backward difference) where the exercise asks for another pair of points.",
    ),
    (
        "wrong-secant-value",
        _D,
        _SECANT,
        "The secant slope is (f(x + h) - f(x)) / h: check your formula against it.",
    ),
    # ps1: central difference.
    (
        "forward-difference",
        _D,
        _NUMERIC,
        "Your error shrinks like h, not h²: that is a forward difference (f(x + h) - f(x)) / h; the central difference uses x + h and x - h.",
    ),
    (
        "divided-by-h-not-2h",
        _D,
        _NUMERIC,
        "The points x - h and x + h are 2h apart: divide by 2h, not h.",
    ),
    (
        "ignores-h",
        _D,
        _NUMERIC,
        "Your result does not change with the step you were given: use the h argument, not a fixed number.",
    ),
    (
        "h-ignored",
        _G,
        _PARTIALS,
        "Your result is the one for h = 1e-5 whatever h you are given: use the h argument.",
    ),
    (
        "wrong-central-value",
        _D,
        _NUMERIC,
        "The central difference is (f(x + h) - f(x - h)) / (2h): check your formula against it.",
    ),
    (
        "wrong-error-order",
        _D,
        _NUMERIC,
        "Your error does not shrink like h² when h shrinks: check that you use both x + h and x - h and divide by 2h.",
    ),
    ("wrong-default-h", _D, _NUMERIC, "The default step must be h = 1e-5, as the exercise says."),
    (
        "not-vectorised",
        _D,
        _NUMERIC,
        "Work on the whole array at once (x + h, f(x + h)) instead of looping into a list or turning x into one number.",
    ),
    # ps1: tangent line.
    (
        "wrong-tangent-value",
        _D,
        _TANGENT,
        "The tangent line is T(x) = f(a) + f'(a)(x - a): check each part against it.",
    ),
    (
        "f-at-x-not-a",
        _D,
        _TANGENT,
        "You evaluated f at x instead of at the point a: the tangent line is f(a) + f'(a)(x - a).",
    ),
    (
        "sign-of-x-minus-a",
        _D,
        _TANGENT,
        "Sign error: the term is f'(a) * (x - a), not f'(a) * (a - x).",
    ),
    (
        "forgot-minus-a",
        _D,
        _TANGENT,
        "The shift by a is missing: the slope multiplies (x - a), not x.",
    ),
    (
        "shared-state",
        _D,
        _TANGENT,
        "Each tangent line must remember its own f, a and slope: do not keep them in global variables.",
    ),
    # ps1: polynomial derivative.
    (
        "missing-power-factor",
        _D,
        _RULES,
        "The power rule multiplies by the exponent: the derivative of c_k x^k is k c_k x^(k-1).",
    ),
    (
        "wrong-shift",
        _D,
        _RULES,
        "Coefficient c_k is multiplied by k and moves to degree k - 1: your factors are shifted by one.",
    ),
    (
        "keeps-constant-term",
        _D,
        _RULES,
        "The derivative has one coefficient fewer: the constant term disappears.",
    ),
    (
        "decreasing-degree-order",
        _D,
        _RULES,
        "Here coefficients go c0, c1, c2, ... (increasing degree), the opposite of np.polyder's order.",
    ),
    (
        "constant-gives-empty",
        _D,
        _RULES,
        "The derivative of a constant is the zero polynomial: return array([0.0]), not an empty array.",
    ),
    (
        "wrong-derivative-coeffs",
        _D,
        _RULES,
        "The derivative of [c0, c1, ..., cn] is [c1, 2 c2, ..., n cn]: check your coefficients.",
    ),
    # ps1: second derivative.
    (
        "divided-by-h-not-h2",
        _D,
        _SECOND,
        "The second difference f(x + h) - 2 f(x) + f(x - h) is divided by h², not h.",
    ),
    ("divided-by-2h2", _D, _SECOND, "The second difference is divided by h², not 2h²."),
    (
        "sign-error",
        _D,
        _SECOND,
        "Sign error: the second difference is f(x + h) - 2 f(x) + f(x - h).",
    ),
    (
        "forward-second-difference",
        _D,
        _SECOND,
        "You used x, x + h, x + 2h (a forward second difference); use x - h, x and x + h.",
    ),
    (
        "nested-central-difference",
        _D,
        _SECOND,
        "You took a central difference of central differences (a step of 2h): use f(x + h) - 2 f(x) + f(x - h) over h².",
    ),
    (
        "wrong-second-value",
        _D,
        _SECOND,
        "The second derivative estimate is (f(x + h) - 2 f(x) + f(x - h)) / h²: check your formula against it.",
    ),
    # ps2: critical points and inflection points.
    (
        "complex-roots-kept",
        _C,
        _CRIT,
        "Only real roots are critical points on the real line: drop the complex ones.",
    ),
    (
        "sympy-objects-not-floats",
        _C,
        _CRIT,
        "Convert each sympy number with float(...) before you return it.",
    ),
    ("unsorted", _C, _CRIT, "The points are right but not in increasing order: sort them."),
    ("duplicates", _C, _CRIT, "Each point should appear once: a double root is one point."),
    (
        "solved-expr-not-derivative",
        _C,
        _CRIT,
        "You solved f(x) = 0; critical points solve f'(x) = 0.",
    ),
    (
        "used-second-derivative",
        _C,
        _CRIT,
        "You solved f''(x) = 0; critical points solve f'(x) = 0.",
    ),
    (
        "missed-real-roots",
        _C,
        _CRIT,
        "Some real roots were dropped: sympy may write a real root with I in it, so r.is_real can be None; check the imaginary part numerically.",
    ),
    (
        "wrong-critical-points",
        _C,
        _CRIT,
        "Critical points are the distinct real roots of f': compare yours with a plot of f'.",
    ),
    (
        "ignores-symbol-argument",
        _C,
        _CRIT,
        "The variable is an argument of your function: differentiate with respect to the symbol you are given, not a fixed x.",
    ),
    (
        "wrong-label",
        _C,
        _TEST2,
        "Return exactly one of the labels the exercise lists, spelled the same way.",
    ),
    (
        "zero-second-derivative-as-minimum",
        _C,
        _TEST2,
        "When f''(x0) = 0 the test is inconclusive: f'' >= 0 is not f'' > 0.",
    ),
    (
        "zero-second-derivative-as-maximum",
        _C,
        _TEST2,
        "When f''(x0) = 0 the test is inconclusive: f'' <= 0 is not f'' < 0.",
    ),
    (
        "swapped-min-max",
        _C,
        _TEST2,
        "Minimum and maximum are swapped: f'' > 0 means concave up, a minimum.",
    ),
    ("x0-truncated", _C, _TEST2, "Your x0 was cut to an integer: substitute x0 itself into f''."),
    (
        "used-first-derivative",
        _C,
        _TEST2,
        "At a critical point f' is 0 anyway: the test looks at the sign of f'', not f'.",
    ),
    (
        "wrong-classification",
        _C,
        _TEST2,
        "Look at the sign of f''(x0): positive is a minimum, negative a maximum, zero says nothing.",
    ),
    (
        "no-sign-change-included",
        _C,
        _CONCAVE,
        "A zero of f'' is an inflection point only if f'' changes sign there (x⁴ at 0 is not one).",
    ),
    (
        "wrong-inflection-points",
        _C,
        _CONCAVE,
        "Inflection points are the real zeros of f'' where its sign changes.",
    ),
    (
        "missed-inflection-points",
        _C,
        _CONCAVE,
        "Some sign changes of f'' were missed: zeros can be very close together, so test the sign between neighbouring zeros.",
    ),
    # ps3: numerical gradient.
    (
        "missing-2h",
        _G,
        _PARTIALS,
        "Every entry is twice too large: the two points are 2h apart, so divide by 2h.",
    ),
    (
        "all-coordinates-perturbed",
        _G,
        _PARTIALS,
        "Shift one coordinate at a time (w + h e_i): moving all of them at once gives the slope along (1, 1, ..., 1).",
    ),
    # ps3: gradient descent.
    (
        "aliased-history",
        _G,
        _DESCENT,
        "Every row of history is the same point: you stored one array and kept changing it; store copies or write w = w - lr * g.",
    ),
    (
        "history-missing-start",
        _G,
        _DESCENT,
        "The history must start with the starting point itself.",
    ),
    (
        "tol-not-strict",
        _G,
        _DESCENT,
        "Stop when the gradient's norm is strictly less than tol (use <, not <=).",
    ),
    (
        "wrong-norm",
        _G,
        _DESCENT,
        "The stopping test uses the Euclidean length of the gradient (np.linalg.norm), not its largest entry.",
    ),
    (
        "tol-checked-after-step",
        _G,
        _DESCENT,
        "Check the tolerance before each step: when the gradient is already small enough, take no step.",
    ),
    (
        "tol-ignored",
        _G,
        _DESCENT,
        "The loop went on after the gradient's norm fell below tol: stop there.",
    ),
    (
        "ascent-not-descent",
        _G,
        _DESCENT,
        "Your step went uphill: gradient descent subtracts, w - lr * grad(w).",
    ),
    ("lr-ignored", _G, _DESCENT, "The step used a fixed learning rate: use the lr you are given."),
    (
        "lr-applied-twice",
        _G,
        _DESCENT,
        "The learning rate was applied twice (lr² * grad): multiply the gradient by lr once.",
    ),
    (
        "wrong-update",
        _G,
        _DESCENT,
        "The first step should be w0 - lr * grad(w0): check your update rule.",
    ),
    (
        "n-steps-ignored",
        _G,
        _DESCENT,
        "The number of steps did not follow n_steps: loop exactly n_steps times.",
    ),
    (
        "off-by-one-steps",
        _G,
        _DESCENT,
        "One step too many or too few: n_steps steps give n_steps + 1 rows (the start and one row per step).",
    ),
    (
        "stopped-early",
        _G,
        _DESCENT,
        "The loop stopped early: stop only after n_steps steps or when the gradient's norm is below tol.",
    ),
    (
        "wrong-iterates",
        _G,
        _DESCENT,
        "Each row should be the previous point minus the step: check the update inside the loop.",
    ),
    ("returned-w-not-last", _G, _DESCENT, "Return the last point of history as the result."),
    (
        "process-mismatch",
        _G,
        _DESCENT,
        "Call the gradient at the current point before each step, and use that gradient for the step.",
    ),
    # ps3: mean squared error and linear regression.
    (
        "returns-array",
        _G,
        _REGRESSION,
        "The loss is one number: average the squared residuals (np.mean) and return a float.",
    ),
    (
        "sum-not-mean",
        _G,
        _REGRESSION,
        "That is the sum of squared residuals: divide by n (take the mean).",
    ),
    ("missing-square", _G, _REGRESSION, "The residuals were not squared before averaging."),
    (
        "half-mse",
        _G,
        _REGRESSION,
        "That is half the mean squared error: this loss has no factor 1/2.",
    ),
    (
        "rmse-not-mse",
        _G,
        _REGRESSION,
        "That is the root mean squared error: do not take the square root.",
    ),
    ("wrong-denominator", _G, _REGRESSION, "Divide by n, the number of examples, not n - 1."),
    (
        "x-transposed",
        _G,
        _REGRESSION,
        "The predictions are X @ w (one row of X per example), not X.T @ w.",
    ),
    (
        "gradient-sign",
        _G,
        _REGRESSION,
        "The sign is flipped: the gradient is -(2/n) Xᵀ(y - Xw) = (2/n) Xᵀ(Xw - y).",
    ),
    (
        "missing-factor-2",
        _G,
        _REGRESSION,
        "The factor 2 from differentiating the square is missing.",
    ),
    ("missing-1-over-n", _G, _REGRESSION, "The factor 1/n of the mean is missing."),
    (
        "x-not-transposed",
        _G,
        _REGRESSION,
        "Multiply by Xᵀ, not X: with as many columns as weights the shapes only match with the transpose.",
    ),
    (
        "closed-form",
        _G,
        _REGRESSION,
        "That is the exact least-squares solution: the exercise asks for n_steps gradient steps.",
    ),
    ("nonzero-start", _G, _REGRESSION, "Start the weights from zeros, as the exercise says."),
    (
        "loss-not-gradient",
        _G,
        _REGRESSION,
        "The step used the loss (one number) instead of the gradient (a vector).",
    ),
    (
        "wrong-weights",
        _G,
        _REGRESSION,
        "Repeat n_steps times w <- w - lr * gradient, starting from zeros: check each part.",
    ),
    # ps4: Jacobians, Hessians, Newton's method.
    (
        "transposed-jacobian",
        _J,
        _NJAC,
        "That is the transpose: row i of the Jacobian holds the partials of output f_i.",
    ),
    (
        "not-symmetric",
        _J,
        _HESSIAN,
        "A Hessian is symmetric: H[i, j] and H[j, i] are the same mixed partial.",
    ),
    (
        "diagonal-only",
        _J,
        _HESSIAN,
        "Only the diagonal was filled: the mixed partials (i ≠ j) are missing.",
    ),
    (
        "wrong-factor",
        _J,
        _HESSIAN,
        "The mixed partials are 4 times too large: the four-point formula divides by 4h².",
    ),
    (
        "min-max-swapped",
        _J,
        _HCLASS,
        "Minimum and maximum are swapped: all eigenvalues positive means a minimum.",
    ),
    (
        "diagonal-entries",
        _J,
        _HCLASS,
        "The diagonal entries alone do not decide: look at the eigenvalues of the whole matrix.",
    ),
    (
        "det-trace-shortcut",
        _J,
        _HCLASS,
        "The determinant-and-trace shortcut works only in 2 dimensions: use the signs of the eigenvalues.",
    ),
    (
        "singular-as-saddle",
        _J,
        _HCLASS,
        "A zero eigenvalue leaves the test undecided: that is inconclusive, not a saddle.",
    ),
    (
        "semidefinite-as-definite",
        _J,
        _HCLASS,
        "Only strictly positive eigenvalues make a minimum: a zero eigenvalue makes the test inconclusive.",
    ),
    ("wrong-sign", _J, _NEWTON, "The Newton step went the wrong way: x_new = x - solve(H, grad)."),
    (
        "gradient-step-not-newton",
        _J,
        _NEWTON,
        "That is a gradient step: Newton first solves H dx = grad(x), then moves by dx.",
    ),
    (
        "multiplied-not-solved",
        _J,
        _NEWTON,
        "You multiplied the gradient by H: Newton uses its inverse, through np.linalg.solve(H, grad).",
    ),
    (
        "diagonal-hessian-only",
        _J,
        _NEWTON,
        "You divided by the diagonal of H only: solve the full system H dx = grad.",
    ),
    (
        "hessian-not-updated",
        _J,
        _NEWTON,
        "The Hessian must be evaluated at the current point in every step, not once at x0.",
    ),
    # ps5: backpropagation (chapter 6).
    (
        "missing-bias",
        _B,
        _LAYER,
        "The layer must add the bias: Z = X @ W + b.",
    ),
    (
        "transposed-weights",
        _B,
        _LAYER,
        "W has shape (d_in, d_out), so multiply by W itself, not by W.T.",
    ),
    (
        "reversed-product",
        _B,
        _LAYER,
        "With one example per row the product is X @ W, not W @ X.",
    ),
    (
        "bias-per-row",
        _B,
        _LAYER,
        "The bias b has one entry per output unit and is added to every row, not as a column.",
    ),
    (
        "forgot-transpose",
        _B,
        _LAYER,
        "Going back through W needs its transpose (dX = dZ @ W.T), and the weight gradient needs X.T (dW = X.T @ dZ).",
    ),
    (
        "transposed-weight-gradient",
        _B,
        _LAYER,
        "The product dZ.T @ X is dW transposed: dW = X.T @ dZ has the shape of W.",
    ),
    (
        "db-wrong-axis",
        _B,
        _LAYER,
        "The bias gradient sums dZ over the examples (axis=0), not over the output units.",
    ),
    (
        "db-mean-not-sum",
        _B,
        _LAYER,
        "Every example uses b, so their gradients add up: take the sum over the examples, not the mean.",
    ),
    (
        "db-summed-everything",
        _B,
        _LAYER,
        "Sum over the examples only: db keeps one entry per output unit.",
    ),
    (
        "db-first-row-only",
        _B,
        _LAYER,
        "The bias gradient adds up the contributions of every row of dZ, not only the first.",
    ),
    (
        "averaged-over-batch",
        _B,
        _LAYER,
        "Do not divide dW by n: the 1/n of the loss is already inside dZ.",
    ),
    (
        "wrong-order",
        _B,
        _LAYER,
        "Return the three gradients in the order (dX, dW, db).",
    ),
    (
        "tanh-not-derivative",
        _B,
        _BYHAND,
        "The local derivative of tanh is 1 - tanh(Z)², not tanh(Z) itself.",
    ),
    (
        "used-z-as-activation",
        _B,
        _BYHAND,
        "Z is the input of tanh: the derivative is 1 - tanh(Z)², not 1 - Z².",
    ),
    (
        "square-misplaced",
        _B,
        _BYHAND,
        "Square tanh(Z) first, then subtract it from 1: 1 - tanh(Z)², not (1 - tanh(Z))².",
    ),
    (
        "plus-not-minus",
        _B,
        _BYHAND,
        "The sign inside is wrong: the derivative is 1 - tanh(Z)², not 1 + tanh(Z)².",
    ),
    (
        "forgot-upstream-gradient",
        _B,
        _ADJOINTS,
        "By the chain rule the local derivative is multiplied by the gradient arriving from above, dA.",
    ),
    (
        "swapped-arguments",
        _B,
        _BYHAND,
        "The call is tanh_backward(dA, Z): dA is the incoming gradient and Z the pre-activation.",
    ),
    (
        "wrong-derivative",
        _B,
        _BYHAND,
        "An extra factor crept into the local derivative: it is exactly 1 - tanh(Z)².",
    ),
    (
        "broadcast-yhat-minus-y",
        _B,
        _BYHAND,
        "A prediction of shape (n, 1) minus y of shape (n,) broadcasts to an n × n table: take (H @ W2 + b2)[:, 0].",
    ),
    (
        "loss-not-scalar",
        _B,
        _BYHAND,
        "Return the loss as one float, not as an array.",
    ),
    (
        "missing-keys",
        _B,
        _BYHAND,
        "The gradients must come as a dict with the same keys as params: W1, b1, W2 and b2.",
    ),
    (
        "skipped-tanh-derivative",
        _B,
        _BYHAND,
        "On the way back through the hidden layer, multiply by the local derivative 1 - H².",
    ),
    (
        "wrong-loss",
        _B,
        _BYHAND,
        "The loss does not match mean((ŷ - y)²): redo the forward pass step by step.",
    ),
    (
        "wrong-gradient",
        _B,
        _BYHAND,
        "A gradient matches no known mistake: redo the backward pass one layer at a time and check it against central differences.",
    ),
    (
        "params-modified-in-place",
        _B,
        _TRAIN,
        "Updating with -= changes the caller's arrays: build new arrays, starting from a copy of params.",
    ),
    (
        "absolute-not-relative",
        _B,
        _GCHECK,
        "Divide the norm of the difference by max(‖g‖ + ‖n‖, 1e-12) to get the relative error.",
    ),
    (
        "missing-floor",
        _B,
        _GCHECK,
        "When both gradients are zero the 1e-12 floor keeps 0/0 away: the answer is then 0.",
    ),
    (
        "losses-not-array",
        _B,
        _TRAIN,
        "Return the losses as a NumPy float array, not as a list.",
    ),
    (
        "wrong-params",
        _B,
        _TRAIN,
        "The final parameters are not those of gradient descent with your mlp_loss_and_grads.",
    ),
    (
        "stale-final-params",
        _B,
        _TRAIN,
        "Return the parameters after the last step: the ones whose loss is losses[-1].",
    ),
    (
        "mlp-loss-and-grads-unusable",
        _B,
        _BYHAND,
        "Your mlp_loss_and_grads fails on these inputs, so training cannot run: fix it first.",
    ),
    (
        "losses-off-by-one",
        _B,
        _TRAIN,
        "Taking n_steps steps gives n_steps + 1 losses: one before each step and one after the last.",
    ),
    (
        "wrong-losses",
        _B,
        _TRAIN,
        "The losses are not those of gradient descent with your mlp_loss_and_grads: check the update and the order of loss and step.",
    ),
]

TABLE: dict[str, Hint] = {tag: Hint(tag, sentence, ch, sec) for tag, ch, sec, sentence in _ROWS}


def known(tags: object) -> list[str]:
    """The tags of ``tags`` that the table lists, in order, without repeats, at most the bound."""
    if not isinstance(tags, (list, tuple)):
        return []
    kept: list[str] = []
    for tag in tags:
        if isinstance(tag, str) and tag in TABLE and tag not in kept:
            kept.append(tag)
    return kept[:MAX_TAGS_PER_CELL]


def hint(tag: str) -> Hint | None:
    return TABLE.get(tag)


def strip_tag_text(message: str) -> str:
    """``message`` without ``[tag: ...]`` markers (those of old results, or a student's own)."""
    return TAG_IN_TEXT.sub("", message or "").strip()
