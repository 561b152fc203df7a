"""Correct and wrong answers for ps3_gradient_descent, graded through nbgrader by test_variants.py.

CORRECT variants must score full marks; each WRONG variant is a real misconception that must lose
points on its function's test cells only, with the tag given here in the failure output.
Answers may use ``np`` (imported in the notebook's first cell), as students do.
"""

from textwrap import dedent

ASSIGNMENT = "ps3_gradient_descent"


def _src(text: str) -> str:
    return dedent(text).strip("\n")


CORRECT = {
    "numerical_gradient": [
        (
            "rows-of-the-identity",
            _src(
                """
                def numerical_gradient(f, w, h=1e-5):
                    w = np.asarray(w, dtype=float)
                    steps = h * np.eye(w.size)
                    return np.array([(f(w + e) - f(w - e)) / (2 * h) for e in steps])
                """
            ),
        ),
        (
            "shift-and-restore-a-copy",
            _src(
                """
                def numerical_gradient(f, w, h=1e-5):
                    x = np.array(w, dtype=float)  # our own copy, shifted and restored in place
                    grad = np.empty_like(x)
                    for i in range(len(x)):
                        old = x[i]
                        x[i] = old + h
                        up = f(x)
                        x[i] = old - h
                        down = f(x)
                        x[i] = old
                        grad[i] = (up - down) / (2 * h)
                    return grad
                """
            ),
        ),
        (
            "python-list-of-floats",
            _src(
                """
                def numerical_gradient(f, w, h=1e-5):
                    result = []
                    for i in range(len(w)):
                        plus = [float(v) for v in w]
                        minus = list(plus)
                        plus[i] += h
                        minus[i] -= h
                        result.append(float(f(np.array(plus)) - f(np.array(minus))) / (2 * h))
                    return result
                """
            ),
        ),
    ],
    "gradient_descent": [
        (
            "preallocated-history-in-place-update",
            _src(
                """
                def gradient_descent(grad, w0, lr=0.1, n_steps=100, tol=1e-8):
                    w = np.asarray(w0, dtype=float).copy()
                    history = np.empty((n_steps + 1, w.size))
                    history[0] = w
                    k = 0
                    while k < n_steps:
                        g = np.asarray(grad(w))
                        if np.sqrt(np.sum(g**2)) < tol:
                            break
                        w -= lr * g  # in place, but on our own copy; history rows are copies
                        k += 1
                        history[k] = w
                    return w, history[: k + 1]
                """
            ),
        ),
        (
            "grad-called-twice-per-step",
            _src(
                """
                def gradient_descent(grad, w0, lr=0.1, n_steps=100, tol=1e-8):
                    w = np.array(w0, dtype=float)
                    history = [w.copy()]
                    for step in range(n_steps):
                        if np.linalg.norm(grad(w)) < tol:
                            break
                        w = w - lr * np.array(grad(w))
                        history.append(w.copy())
                    return history[-1], np.vstack(history)
                """
            ),
        ),
    ],
    "mse_loss": [
        (
            "explicit-loop",
            _src(
                """
                def mse_loss(w, X, y):
                    total = 0.0
                    for row, target in zip(X, y):
                        prediction = sum(float(a) * float(b) for a, b in zip(row, w))
                        total += (target - prediction) ** 2
                    return total / len(y)
                """
            ),
        ),
        (
            "dot-product",
            _src(
                """
                def mse_loss(w, X, y):
                    r = np.subtract(y, np.dot(X, w), dtype=float)
                    return np.dot(r, r) / r.size
                """
            ),
        ),
    ],
    "mse_gradient": [
        (
            "sum-over-examples",
            _src(
                """
                def mse_gradient(w, X, y):
                    X = np.asarray(X, dtype=float)
                    grad = np.zeros(X.shape[1])
                    for x_i, y_i in zip(X, y):
                        grad += -2 * (y_i - x_i @ w) * x_i
                    return grad / len(X)
                """
            ),
        ),
        (
            "prediction-minus-target",
            _src(
                """
                def mse_gradient(w, X, y):
                    n = np.shape(X)[0]
                    return 2 / n * np.transpose(X) @ (np.dot(X, w) - y)
                """
            ),
        ),
    ],
    "fit_linear_regression": [
        (
            "precomputed-normal-matrices",
            _src(
                """
                def fit_linear_regression(X, y, lr=0.1, n_steps=1000):
                    X = np.asarray(X, dtype=float)
                    n, d = X.shape
                    XtX, Xty = X.T @ X, X.T @ np.asarray(y, dtype=float)
                    w = np.zeros(d)
                    step = 0
                    while step < n_steps:
                        w = w - lr * (2 / n) * (XtX @ w - Xty)
                        step += 1
                    return w
                """
            ),
        ),
        (
            "mean-of-per-example-gradients",
            _src(
                """
                def fit_linear_regression(X, y, lr=0.1, n_steps=1000):
                    X = np.array(X, dtype=float)
                    y = np.array(y, dtype=float)
                    w = np.zeros(X.shape[1])
                    for _ in range(n_steps):
                        residual = X @ w - y
                        grad = np.mean(2 * residual[:, None] * X, axis=0)
                        w = w - lr * grad
                    return w
                """
            ),
        ),
        (
            "stops-once-the-gradient-is-round-off",
            _src(
                """
                def fit_linear_regression(X, y, lr=0.1, n_steps=1000):
                    X = np.asarray(X, dtype=float)
                    y = np.asarray(y, dtype=float)

                    def grad(w):
                        return -2.0 / len(y) * (X.T @ (y - X @ w))

                    w = np.zeros(X.shape[1])
                    for _ in range(n_steps):
                        g = grad(w)
                        if np.linalg.norm(g) < 1e-12:  # converged to round-off: further steps change nothing visible
                            break
                        w = w - lr * g
                    return w
                """
            ),
        ),
    ],
}

WRONG = {
    "numerical_gradient": [
        (
            "forward-difference",
            _src(
                """
                def numerical_gradient(f, w, h=1e-5):
                    w = np.asarray(w, dtype=float)
                    grad = np.zeros(w.size)
                    for i in range(w.size):
                        e = np.zeros(w.size)
                        e[i] = h
                        grad[i] = (f(w + e) - f(w)) / h
                    return grad
                """
            ),
        ),
        (
            "missing-2h",
            _src(
                """
                def numerical_gradient(f, w, h=1e-5):
                    w = np.asarray(w, dtype=float)
                    grad = np.zeros(w.size)
                    for i in range(w.size):
                        e = np.zeros(w.size)
                        e[i] = h
                        grad[i] = (f(w + e) - f(w - e)) / h
                    return grad
                """
            ),
        ),
        (
            "all-coordinates-perturbed",
            _src(
                """
                def numerical_gradient(f, w, h=1e-5):
                    w = np.asarray(w, dtype=float)
                    grad = np.zeros(w.size)
                    for i in range(w.size):
                        grad[i] = (f(w + h) - f(w - h)) / (2 * h)
                    return grad
                """
            ),
        ),
        (
            "input-modified",
            _src(
                """
                def numerical_gradient(f, w, h=1e-5):
                    grad = np.zeros(len(w))
                    for i in range(len(w)):
                        w[i] += h
                        up = f(w)
                        w[i] -= 2 * h
                        down = f(w)
                        grad[i] = (up - down) / (2 * h)
                    return grad
                """
            ),
        ),
        (
            "wrong-shape",
            _src(
                """
                def numerical_gradient(f, w, h=1e-5):
                    w = np.asarray(w, dtype=float).reshape(-1, 1)  # a column vector, as on paper
                    grad = np.zeros_like(w)
                    for i in range(len(w)):
                        e = np.zeros_like(w)
                        e[i] = h
                        grad[i] = (f((w + e).ravel()) - f((w - e).ravel())) / (2 * h)
                    return grad
                """
            ),
        ),
    ],
    "gradient_descent": [
        (
            "ascent-not-descent",
            _src(
                """
                def gradient_descent(grad, w0, lr=0.1, n_steps=100, tol=1e-8):
                    w = np.array(w0, dtype=float)
                    history = [w]
                    for _ in range(n_steps):
                        g = grad(w)
                        if np.linalg.norm(g) < tol:
                            break
                        w = w + lr * g
                        history.append(w)
                    return w, np.array(history)
                """
            ),
        ),
        (
            "history-missing-start",
            _src(
                """
                def gradient_descent(grad, w0, lr=0.1, n_steps=100, tol=1e-8):
                    w = np.array(w0, dtype=float)
                    history = []
                    for _ in range(n_steps):
                        g = grad(w)
                        if np.linalg.norm(g) < tol:
                            break
                        w = w - lr * g
                        history.append(w)
                    if not history:
                        history.append(w)
                    return w, np.array(history)
                """
            ),
        ),
        (
            "aliased-history",
            _src(
                """
                def gradient_descent(grad, w0, lr=0.1, n_steps=100, tol=1e-8):
                    w = np.array(w0, dtype=float)
                    history = [w]
                    for _ in range(n_steps):
                        g = grad(w)
                        if np.linalg.norm(g) < tol:
                            break
                        w -= lr * g
                        history.append(w)
                    return w, np.array(history)
                """
            ),
        ),
        (
            "tol-ignored",
            _src(
                """
                def gradient_descent(grad, w0, lr=0.1, n_steps=100, tol=1e-8):
                    w = np.array(w0, dtype=float)
                    history = [w]
                    for _ in range(n_steps):
                        w = w - lr * grad(w)
                        history.append(w)
                    return w, np.array(history)
                """
            ),
        ),
        (
            "tol-checked-after-step",
            _src(
                """
                def gradient_descent(grad, w0, lr=0.1, n_steps=100, tol=1e-8):
                    w = np.array(w0, dtype=float)
                    history = [w]
                    for _ in range(n_steps):
                        g = grad(w)
                        w = w - lr * g
                        history.append(w)
                        if np.linalg.norm(g) < tol:
                            break
                    return w, np.array(history)
                """
            ),
        ),
        (
            "lr-ignored",
            _src(
                """
                def gradient_descent(grad, w0, lr=0.1, n_steps=100, tol=1e-8):
                    w = np.array(w0, dtype=float)
                    history = [w]
                    for _ in range(n_steps):
                        g = grad(w)
                        if np.linalg.norm(g) < tol:
                            break
                        w = w - 0.1 * g
                        history.append(w)
                    return w, np.array(history)
                """
            ),
        ),
        (
            "n-steps-ignored",
            _src(
                """
                def gradient_descent(grad, w0, lr=0.1, n_steps=100, tol=1e-8):
                    w = np.array(w0, dtype=float)
                    history = [w]
                    for _ in range(100):
                        g = grad(w)
                        if np.linalg.norm(g) < tol:
                            break
                        w = w - lr * g
                        history.append(w)
                    return w, np.array(history)
                """
            ),
        ),
        (
            "off-by-one-steps",
            _src(
                """
                def gradient_descent(grad, w0, lr=0.1, n_steps=100, tol=1e-8):
                    w = np.array(w0, dtype=float)
                    history = [w]
                    for _ in range(n_steps + 1):
                        g = grad(w)
                        if np.linalg.norm(g) < tol:
                            break
                        w = w - lr * g
                        history.append(w)
                    return w, np.array(history)
                """
            ),
        ),
        (
            "input-modified",
            _src(
                """
                def gradient_descent(grad, w0, lr=0.1, n_steps=100, tol=1e-8):
                    w = w0
                    history = [w.copy()]
                    for _ in range(n_steps):
                        g = grad(w)
                        if np.linalg.norm(g) < tol:
                            break
                        w -= lr * g
                        history.append(w.copy())
                    return w, np.array(history, dtype=float)
                """
            ),
        ),
        (
            "tol-not-strict",
            _src(
                """
                def gradient_descent(grad, w0, lr=0.1, n_steps=100, tol=1e-8):
                    w = np.array(w0, dtype=float)
                    points = [w]
                    for _ in range(n_steps):
                        g = np.asarray(grad(w), dtype=float)
                        if np.linalg.norm(g) <= tol:
                            break
                        w = w - lr * g
                        points.append(w)
                    return w, np.array(points)
                """
            ),
        ),
        (
            "wrong-norm",
            _src(
                """
                def gradient_descent(grad, w0, lr=0.1, n_steps=100, tol=1e-8):
                    w = np.array(w0, dtype=float)
                    points = [w]
                    for _ in range(n_steps):
                        g = np.asarray(grad(w), dtype=float)
                        if np.max(np.abs(g)) < tol:
                            break
                        w = w - lr * g
                        points.append(w)
                    return w, np.array(points)
                """
            ),
        ),
        (
            "lr-applied-twice",
            _src(
                """
                def gradient_descent(grad, w0, lr=0.1, n_steps=100, tol=1e-8):
                    w = np.array(w0, dtype=float)
                    points = [w]
                    for _ in range(n_steps):
                        step = lr * np.asarray(grad(w), dtype=float)
                        if np.linalg.norm(step / lr) < tol:
                            break
                        w = w - lr * step
                        points.append(w)
                    return w, np.array(points)
                """
            ),
        ),
    ],
    "mse_loss": [
        (
            "sum-not-mean",
            "def mse_loss(w, X, y):\n    return float(np.sum((y - X @ w) ** 2))",
        ),
        (
            "missing-square",
            "def mse_loss(w, X, y):\n    return float(np.mean(np.abs(y - X @ w)))",
        ),
        (
            "half-mse",
            "def mse_loss(w, X, y):\n    return float(np.mean((y - X @ w) ** 2) / 2)",
        ),
        (
            "returns-array",
            _src(
                """
                def mse_loss(w, X, y):
                    r = (y - X @ w).reshape(-1, 1)
                    return r.T @ r / len(y)  # a 1 x 1 matrix, not a number
                """
            ),
        ),
        (
            "input-modified",
            _src(
                """
                def mse_loss(w, X, y):
                    y -= X @ w  # reuses y's memory for the residuals
                    return float(np.mean(y**2))
                """
            ),
        ),
    ],
    "mse_gradient": [
        (
            "gradient-sign",
            "def mse_gradient(w, X, y):\n    return 2 / len(y) * X.T @ (y - X @ w)",
        ),
        (
            "missing-factor-2",
            "def mse_gradient(w, X, y):\n    return -1 / len(y) * X.T @ (y - X @ w)",
        ),
        (
            "missing-1-over-n",
            "def mse_gradient(w, X, y):\n    return -2 * X.T @ (y - X @ w)",
        ),
        (
            "x-not-transposed",
            "def mse_gradient(w, X, y):\n    return -2 / len(y) * X @ (y - X @ w)",
        ),
        (
            "wrong-shape",
            _src(
                """
                def mse_gradient(w, X, y):
                    y = np.reshape(y, (-1, 1))
                    w = np.reshape(w, (-1, 1))
                    return -2 / len(y) * X.T @ (y - X @ w)  # a (d, 1) column
                """
            ),
        ),
    ],
    "fit_linear_regression": [
        (
            "nonzero-start",
            _src(
                """
                def fit_linear_regression(X, y, lr=0.1, n_steps=1000):
                    w = np.ones(X.shape[1])
                    for _ in range(n_steps):
                        w = w + lr * 2 / len(y) * X.T @ (y - X @ w)
                    return w
                """
            ),
        ),
        (
            "lr-ignored",
            _src(
                """
                def fit_linear_regression(X, y, lr=0.1, n_steps=1000):
                    w = np.zeros(X.shape[1])
                    for _ in range(n_steps):
                        w = w + 0.1 * 2 / len(y) * X.T @ (y - X @ w)
                    return w
                """
            ),
        ),
        (
            "n-steps-ignored",
            _src(
                """
                def fit_linear_regression(X, y, lr=0.1, n_steps=1000):
                    w = np.zeros(X.shape[1])
                    for _ in range(1000):
                        w = w + lr * 2 / len(y) * X.T @ (y - X @ w)
                    return w
                """
            ),
        ),
        (
            "loss-not-gradient",
            _src(
                """
                def fit_linear_regression(X, y, lr=0.1, n_steps=1000):
                    w = np.zeros(X.shape[1])
                    for _ in range(n_steps):
                        w = w - lr * np.mean((y - X @ w) ** 2)
                    return w
                """
            ),
        ),
        (
            "closed-form",
            _src(
                """
                def fit_linear_regression(X, y, lr=0.1, n_steps=1000):
                    return np.linalg.solve(X.T @ X, X.T @ y)
                """
            ),
        ),
        (
            "off-by-one-steps",
            _src(
                """
                def fit_linear_regression(X, y, lr=0.1, n_steps=1000):
                    X = np.asarray(X, dtype=float)
                    y = np.asarray(y, dtype=float)
                    w = np.zeros(X.shape[1])
                    for _ in range(n_steps + 1):
                        w = w + lr * 2.0 / len(y) * (X.T @ (y - X @ w))
                    return w
                """
            ),
        ),
    ],
}
