"""Correct and wrong answers for ps1_derivatives, graded through nbgrader by test_variants.py.

CORRECT variants must score full marks; each WRONG variant is a real misconception that must lose
points on its function's test cells only, with the tag given here in the failure output.
"""

from textwrap import dedent

ASSIGNMENT = "ps1_derivatives"


def _src(text: str) -> str:
    return dedent(text).strip("\n")


CORRECT = {
    "secant_slope": [
        (
            "numpy-scalar",
            _src(
                """
                def secant_slope(f, x, h):
                    h = np.float64(h)
                    if not h:
                        raise ValueError(f"h = {h}: the secant needs two points")
                    rise = f(x + h) - f(x)
                    return float(rise / h)
                """
            ),
        ),
        (
            "two-points",
            _src(
                """
                def secant_slope(f, x, h):
                    x1, x2 = x, x + h
                    if x2 == x1:
                        raise ValueError("the two points coincide")
                    return (f(x2) - f(x1)) / (x2 - x1)
                """
            ),
        ),
    ],
    "central_difference": [
        (
            "plain-expression",
            "def central_difference(f, x, h=1e-5):\n    return (f(x + h) - f(x - h)) / (2 * h)",
        ),
        (
            "mean-of-one-sided-slopes",
            _src(
                """
                def central_difference(f, x, h=1e-5):
                    right = (f(x + h) - f(x)) / h
                    left = (f(x) - f(x - h)) / h
                    return (right + left) / 2
                """
            ),
        ),
        (
            "loop-over-entries",
            _src(
                """
                def central_difference(f, x, h=1e-5):
                    arr = np.array(x, dtype=float)
                    if arr.ndim == 0:
                        return (f(float(arr) + h) - f(float(arr) - h)) / (2 * h)
                    out = np.empty_like(arr)
                    for index in np.ndindex(arr.shape):
                        out[index] = (f(arr[index] + h) - f(arr[index] - h)) / (2 * h)
                    return out
                """
            ),
        ),
    ],
    "tangent_line": [
        (
            "lambda",
            _src(
                """
                def tangent_line(f, a, h=1e-5):
                    slope = (f(a + h) - f(a - h)) / (2 * h)
                    return lambda x: f(a) + slope * (x - a)
                """
            ),
        ),
        (
            "callable-object",
            _src(
                """
                def tangent_line(f, a, h=1e-5):
                    class Line:
                        def __init__(self, point, value, slope):
                            self.point, self.value, self.slope = point, value, slope

                        def __call__(self, x):
                            return self.value + self.slope * (np.asarray(x, dtype=float) - self.point)

                    a = float(a)
                    return Line(a, f(a), (f(a + h) - f(a - h)) / (2 * h))
                """
            ),
        ),
        (
            "slope-intercept",
            _src(
                """
                def tangent_line(f, a, h=1e-5):
                    m = (f(a + h) - f(a - h)) / (2 * h)
                    b = f(a) - m * a

                    def line(x):
                        return m * np.asarray(x, dtype=float) + b

                    return line
                """
            ),
        ),
    ],
    "poly_derivative": [
        (
            "enumerate",
            _src(
                """
                def poly_derivative(coeffs):
                    terms = [k * c for k, c in enumerate(coeffs)][1:]
                    return np.array(terms or [0.0], dtype=float)
                """
            ),
        ),
        (
            "numpy-polynomial",
            _src(
                """
                def poly_derivative(coeffs):
                    from numpy.polynomial import polynomial

                    return polynomial.polyder(np.array(coeffs, dtype=float))
                """
            ),
        ),
        (
            "loop-append",
            _src(
                """
                def poly_derivative(coeffs):
                    out = []
                    for k in range(1, len(coeffs)):
                        out.append(k * float(coeffs[k]))
                    if not out:
                        out = [0.0]
                    return np.array(out)
                """
            ),
        ),
    ],
    "second_derivative": [
        (
            "stencil-weights",
            _src(
                """
                def second_derivative(f, x, h=1e-4):
                    points = x + h * np.array([-1.0, 0.0, 1.0])
                    values = np.array([f(p) for p in points])
                    return float(np.dot([1.0, -2.0, 1.0], values)) / h**2
                """
            ),
        ),
        (
            "difference-of-slopes",
            _src(
                """
                def second_derivative(f, x, h=1e-4):
                    right = (f(x + h) - f(x)) / h
                    left = (f(x) - f(x - h)) / h
                    return (right - left) / h
                """
            ),
        ),
        (
            "central-difference-of-half-step-slopes",
            _src(
                """
                def second_derivative(f, x, h=1e-4):
                    def slope(t):
                        return (f(t + h / 2) - f(t - h / 2)) / h
                    return (slope(x + h / 2) - slope(x - h / 2)) / h
                """
            ),
        ),
    ],
}

WRONG = {
    "secant_slope": [
        (
            "zero-h-not-rejected",
            "def secant_slope(f, x, h):\n    return (f(x + h) - f(x)) / h",
        ),
        (
            "abs-h",
            _src(
                """
                def secant_slope(f, x, h):
                    if h == 0:
                        raise ValueError("h must be non-zero")
                    return (f(x + h) - f(x)) / abs(h)
                """
            ),
        ),
        (
            "divided-by-2h",
            _src(
                """
                def secant_slope(f, x, h):
                    if h == 0:
                        raise ValueError("h must be non-zero")
                    return (f(x + h) - f(x)) / (2 * h)
                """
            ),
        ),
        (
            "central-not-secant",
            _src(
                """
                def secant_slope(f, x, h):
                    if h == 0:
                        raise ValueError("h must be non-zero")
                    return (f(x + h) - f(x - h)) / (2 * h)
                """
            ),
        ),
        (
            "backward-difference",
            _src(
                """
                def secant_slope(f, x, h):
                    if h == 0:
                        raise ValueError("h must be non-zero")
                    return (f(x) - f(x - h)) / h
                """
            ),
        ),
    ],
    "central_difference": [
        (
            "forward-difference",
            "def central_difference(f, x, h=1e-5):\n    return (f(x + h) - f(x)) / h",
        ),
        (
            "divided-by-h-not-2h",
            "def central_difference(f, x, h=1e-5):\n    return (f(x + h) - f(x - h)) / h",
        ),
        (
            "backward-difference",
            "def central_difference(f, x, h=1e-5):\n    return (f(x) - f(x - h)) / h",
        ),
        (
            "ignores-h",
            _src(
                """
                def central_difference(f, x, h=1e-5):
                    step = 1e-5
                    return (f(x + step) - f(x - step)) / (2 * step)
                """
            ),
        ),
        (
            "not-vectorised",
            _src(
                """
                def central_difference(f, x, h=1e-5):
                    if np.ndim(x) == 0:
                        return (f(x + h) - f(x - h)) / (2 * h)
                    return [(f(t + h) - f(t - h)) / (2 * h) for t in np.ravel(x)]
                """
            ),
        ),
        (
            "modifies-input",
            _src(
                """
                def central_difference(f, x, h=1e-5):
                    if np.ndim(x) == 0:
                        return (f(x + h) - f(x - h)) / (2 * h)
                    x += h  # shift the caller's array, then try to put it back
                    upper = f(x)
                    x -= 2 * h
                    lower = f(x)
                    x += h  # x + h - 2h + h is not always x again in floating point
                    return (upper - lower) / (2 * h)
                """
            ),
        ),
    ],
    "tangent_line": [
        (
            "forward-difference",
            _src(
                """
                def tangent_line(f, a, h=1e-5):
                    slope = (f(a + h) - f(a)) / h
                    return lambda x: f(a) + slope * (x - a)
                """
            ),
        ),
        (
            "f-at-x-not-a",
            _src(
                """
                def tangent_line(f, a, h=1e-5):
                    slope = (f(a + h) - f(a - h)) / (2 * h)
                    return lambda x: f(x) + slope * (x - a)
                """
            ),
        ),
        (
            "sign-of-x-minus-a",
            _src(
                """
                def tangent_line(f, a, h=1e-5):
                    slope = (f(a + h) - f(a - h)) / (2 * h)
                    return lambda x: f(a) + slope * (a - x)
                """
            ),
        ),
        (
            "not-vectorised",
            _src(
                """
                def tangent_line(f, a, h=1e-5):
                    fa = f(a)
                    slope = (f(a + h) - f(a - h)) / (2 * h)

                    def T(x):
                        return float(fa + slope * (x - a))

                    return T
                """
            ),
        ),
        (
            "shared-state",
            _src(
                """
                def tangent_line(f, a, h=1e-5):
                    global _point, _value, _slope
                    _point, _value = a, f(a)
                    _slope = (f(a + h) - f(a - h)) / (2 * h)
                    return lambda x: _value + _slope * (x - _point)
                """
            ),
        ),
    ],
    "poly_derivative": [
        (
            "missing-power-factor",
            _src(
                """
                def poly_derivative(coeffs):
                    if len(coeffs) == 1:
                        return np.array([0.0])
                    return np.array(coeffs[1:], dtype=float)
                """
            ),
        ),
        (
            "wrong-shift",
            _src(
                """
                def poly_derivative(coeffs):
                    if len(coeffs) == 1:
                        return np.array([0.0])
                    return np.array([(k + 1) * c for k, c in enumerate(coeffs[:-1])], dtype=float)
                """
            ),
        ),
        (
            "constant-gives-empty",
            _src(
                """
                def poly_derivative(coeffs):
                    c = np.asarray(coeffs, dtype=float)
                    return c[1:] * np.arange(1, len(c))
                """
            ),
        ),
        (
            "keeps-constant-term",
            _src(
                """
                def poly_derivative(coeffs):
                    c = np.asarray(coeffs, dtype=float)
                    return c * np.arange(len(c))
                """
            ),
        ),
        (
            "modifies-input",
            _src(
                """
                def poly_derivative(coeffs):
                    for k in range(len(coeffs)):
                        coeffs[k] = coeffs[k] * k
                    return np.array(coeffs[1:] if len(coeffs) > 1 else [0.0], dtype=float)
                """
            ),
        ),
        (
            "decreasing-degree-order",
            "def poly_derivative(coeffs):\n    return np.polyder(np.asarray(coeffs, dtype=float))",
        ),
    ],
    "second_derivative": [
        (
            "divided-by-h-not-h2",
            _src(
                """
                def second_derivative(f, x, h=1e-4):
                    return (f(x + h) - 2 * f(x) + f(x - h)) / h
                """
            ),
        ),
        (
            "divided-by-2h2",
            _src(
                """
                def second_derivative(f, x, h=1e-4):
                    return (f(x + h) - 2 * f(x) + f(x - h)) / (2 * h**2)
                """
            ),
        ),
        (
            "sign-error",
            _src(
                """
                def second_derivative(f, x, h=1e-4):
                    return (2 * f(x) - f(x + h) - f(x - h)) / h**2
                """
            ),
        ),
        (
            "forward-second-difference",
            _src(
                """
                def second_derivative(f, x, h=1e-4):
                    return (f(x + 2 * h) - 2 * f(x + h) + f(x)) / h**2
                """
            ),
        ),
        (
            "nested-central-difference",
            _src(
                """
                def second_derivative(f, x, h=1e-4):
                    def slope(t):
                        return (f(t + h) - f(t - h)) / (2 * h)

                    return (slope(x + h) - slope(x - h)) / (2 * h)
                """
            ),
        ),
    ],
}
