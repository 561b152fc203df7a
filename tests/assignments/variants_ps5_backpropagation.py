"""Correct and wrong answers for ps5_backpropagation, graded through nbgrader by test_variants.py.

CORRECT variants must score full marks; each WRONG variant is a real misconception that must lose
points on its function's test cells only, with the tag given here in the failure output.
Answers may use ``np`` (imported in the notebook's first cell), as students do.
"""

from textwrap import dedent

ASSIGNMENT = "ps5_backpropagation"


def _src(text: str) -> str:
    return dedent(text).strip("\n")


CORRECT = {
    "linear_forward": [
        (
            "einsum",
            _src(
                """
                def linear_forward(X, W, b):
                    X, W, b = (np.asarray(a, dtype=float) for a in (X, W, b))
                    return np.einsum("ij,jk->ik", X, W) + b[None, :]
                """
            ),
        ),
        (
            "row-by-row-loop",
            _src(
                """
                def linear_forward(X, W, b):
                    X = np.array(X, dtype=float)
                    W = np.array(W, dtype=float)
                    rows = [x @ W + np.asarray(b, dtype=float) for x in X]
                    return np.array(rows).reshape(X.shape[0], W.shape[1])
                """
            ),
        ),
    ],
    "linear_backward": [
        (
            "explicit-loops",
            _src(
                """
                def linear_backward(dZ, X, W):
                    dZ, X, W = (np.asarray(a, dtype=float) for a in (dZ, X, W))
                    n, d_in = X.shape
                    d_out = W.shape[1]
                    dX = np.zeros((n, d_in))
                    dW = np.zeros((d_in, d_out))
                    db = np.zeros(d_out)
                    for i in range(n):
                        dX[i] = W @ dZ[i]
                        dW += np.outer(X[i], dZ[i])
                        db += dZ[i]
                    return dX, dW, db
                """
            ),
        ),
        (
            "einsum-and-ones",
            _src(
                """
                def linear_backward(dZ, X, W):
                    dZ = np.asarray(dZ, dtype=float)
                    X = np.asarray(X, dtype=float)
                    W = np.asarray(W, dtype=float)
                    dX = np.einsum("ik,jk->ij", dZ, W)
                    dW = np.einsum("ij,ik->jk", X, dZ)
                    db = np.ones(X.shape[0]) @ dZ
                    return dX, dW, db
                """
            ),
        ),
    ],
    "tanh_backward": [
        (
            "sech-squared",
            _src(
                """
                def tanh_backward(dA, Z):
                    return np.asarray(dA, dtype=float) / np.cosh(np.asarray(Z, dtype=float)) ** 2
                """
            ),
        ),
        (
            "product-form",
            _src(
                """
                def tanh_backward(dA, Z):
                    A = np.tanh(np.array(Z, dtype=float))
                    return np.multiply(dA, (1 - A) * (1 + A), dtype=float)
                """
            ),
        ),
    ],
    "mlp_loss_and_grads": [
        (
            "calls-the-layer-functions",
            _src(
                """
                def mlp_loss_and_grads(params, X, y):
                    X = np.asarray(X, dtype=float)
                    y = np.asarray(y, dtype=float)
                    Z1 = linear_forward(X, params["W1"], params["b1"])
                    H = np.tanh(Z1)
                    y_hat = linear_forward(H, params["W2"], params["b2"]).ravel()
                    loss = np.mean((y_hat - y) ** 2)
                    dY = (2 * (y_hat - y) / len(y)).reshape(-1, 1)
                    dH, dW2, db2 = linear_backward(dY, H, params["W2"])
                    _, dW1, db1 = linear_backward(tanh_backward(dH, Z1), X, params["W1"])
                    return float(loss), {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
                """
            ),
        ),
        (
            "one-example-at-a-time",
            _src(
                """
                def mlp_loss_and_grads(params, X, y):
                    X = np.asarray(X, dtype=float)
                    y = np.asarray(y, dtype=float)
                    P = {k: np.asarray(v, dtype=float) for k, v in params.items()}
                    grads = {k: np.zeros_like(v) for k, v in P.items()}
                    n = len(y)
                    total = 0.0
                    for x, target in zip(X, y):
                        h = np.tanh(x @ P["W1"] + P["b1"])
                        out = h @ P["W2"][:, 0] + P["b2"][0]
                        err = out - target
                        total += err**2
                        g = 2 * err / n
                        grads["W2"] += g * h[:, None]
                        grads["b2"] += g
                        dz = g * P["W2"][:, 0] * (1 - h**2)
                        grads["W1"] += np.outer(x, dz)
                        grads["b1"] += dz
                    return total / n, grads
                """
            ),
        ),
    ],
    "gradient_check": [
        (
            "vectorised-steps",
            _src(
                """
                def gradient_check(f, grad, w, h=1e-5):
                    w = np.array(w, dtype=float)
                    E = h * np.eye(w.size)
                    n = np.array([(f(w + e) - f(w - e)) / (2 * h) for e in E])
                    g = np.asarray(grad(np.array(w)), dtype=float)
                    denom = max(np.sqrt(np.sum(g**2)) + np.sqrt(np.sum(n**2)), 1e-12)
                    return np.sqrt(np.sum((g - n) ** 2)) / denom
                """
            ),
        ),
        (
            "copy-and-restore",
            _src(
                """
                def gradient_check(f, grad, w, h=1e-5):
                    x = np.array(w, dtype=float)
                    numeric = np.empty_like(x)
                    for i in range(x.size):
                        old = x[i]
                        x[i] = old + h
                        up = f(x)
                        x[i] = old - h
                        down = f(x)
                        x[i] = old
                        numeric[i] = (up - down) / (2 * h)
                    g = np.asarray(grad(x), dtype=float)
                    top = np.linalg.norm(g - numeric)
                    bottom = np.linalg.norm(g) + np.linalg.norm(numeric)
                    return float(top / bottom) if bottom > 1e-12 else float(top / 1e-12)
                """
            ),
        ),
    ],
    "train_mlp": [
        (
            "deepcopy-and-record-after",
            _src(
                """
                def train_mlp(params, X, y, lr=0.1, n_steps=100):
                    import copy

                    p = copy.deepcopy({k: np.asarray(v, dtype=float) for k, v in params.items()})
                    loss, grads = mlp_loss_and_grads(p, X, y)
                    losses = [loss]
                    for _ in range(n_steps):
                        for k in p:
                            p[k] -= lr * grads[k]
                        loss, grads = mlp_loss_and_grads(p, X, y)
                        losses.append(loss)
                    return p, np.asarray(losses, dtype=float)
                """
            ),
        ),
        (
            "preallocated-losses",
            _src(
                """
                def train_mlp(params, X, y, lr=0.1, n_steps=100):
                    p = {k: np.array(v, dtype=float) for k, v in params.items()}
                    losses = np.empty(n_steps + 1)
                    for step in range(n_steps + 1):
                        losses[step], grads = mlp_loss_and_grads(p, X, y)
                        if step < n_steps:
                            p = {k: p[k] - lr * grads[k] for k in p}
                    return p, losses
                """
            ),
        ),
    ],
}

WRONG = {
    "linear_forward": [
        (
            "missing-bias",
            _src(
                """
                def linear_forward(X, W, b):
                    return np.asarray(X, dtype=float) @ np.asarray(W, dtype=float)
                """
            ),
        ),
        (
            "transposed-weights",
            _src(
                """
                def linear_forward(X, W, b):
                    X, W, b = (np.asarray(a, dtype=float) for a in (X, W, b))
                    return X @ W.T + b
                """
            ),
        ),
        (
            "bias-per-row",
            _src(
                """
                def linear_forward(X, W, b):
                    X, W, b = (np.asarray(a, dtype=float) for a in (X, W, b))
                    return X @ W + b.reshape(-1, 1)
                """
            ),
        ),
        (
            "wrong-shape",
            _src(
                """
                def linear_forward(X, W, b):
                    X, W, b = (np.asarray(a, dtype=float) for a in (X, W, b))
                    return np.squeeze(X @ W + b)
                """
            ),
        ),
        (
            "integer-input",
            _src(
                """
                def linear_forward(X, W, b):
                    return np.asarray(X) @ np.asarray(W) + np.asarray(b)
                """
            ),
        ),
        (
            "reversed-product",
            _src(
                """
                def linear_forward(X, W, b):
                    X, W, b = (np.asarray(a, dtype=float) for a in (X, W, b))
                    return W @ X + b
                """
            ),
        ),
    ],
    "linear_backward": [
        (
            "forgot-transpose",
            _src(
                """
                def linear_backward(dZ, X, W):
                    dZ, X, W = (np.asarray(a, dtype=float) for a in (dZ, X, W))
                    return dZ @ W, X.T @ dZ, dZ.sum(axis=0)
                """
            ),
        ),
        (
            "transposed-weight-gradient",
            _src(
                """
                def linear_backward(dZ, X, W):
                    dZ, X, W = (np.asarray(a, dtype=float) for a in (dZ, X, W))
                    return dZ @ W.T, dZ.T @ X, dZ.sum(axis=0)
                """
            ),
        ),
        (
            "db-wrong-axis",
            _src(
                """
                def linear_backward(dZ, X, W):
                    dZ, X, W = (np.asarray(a, dtype=float) for a in (dZ, X, W))
                    return dZ @ W.T, X.T @ dZ, dZ.sum(axis=1)
                """
            ),
        ),
        (
            "db-mean-not-sum",
            _src(
                """
                def linear_backward(dZ, X, W):
                    dZ, X, W = (np.asarray(a, dtype=float) for a in (dZ, X, W))
                    return dZ @ W.T, X.T @ dZ, dZ.mean(axis=0)
                """
            ),
        ),
        (
            "averaged-over-batch",
            _src(
                """
                def linear_backward(dZ, X, W):
                    dZ, X, W = (np.asarray(a, dtype=float) for a in (dZ, X, W))
                    n = X.shape[0]
                    return dZ @ W.T, X.T @ dZ / n, dZ.sum(axis=0)
                """
            ),
        ),
        (
            "db-summed-everything",
            _src(
                """
                def linear_backward(dZ, X, W):
                    dZ, X, W = (np.asarray(a, dtype=float) for a in (dZ, X, W))
                    return dZ @ W.T, X.T @ dZ, np.sum(dZ)
                """
            ),
        ),
        (
            "wrong-order",
            _src(
                """
                def linear_backward(dZ, X, W):
                    dZ, X, W = (np.asarray(a, dtype=float) for a in (dZ, X, W))
                    return X.T @ dZ, dZ @ W.T, dZ.sum(axis=0)
                """
            ),
        ),
    ],
    "tanh_backward": [
        (
            "tanh-not-derivative",
            _src(
                """
                def tanh_backward(dA, Z):
                    return np.asarray(dA, dtype=float) * np.tanh(np.asarray(Z, dtype=float))
                """
            ),
        ),
        (
            "used-z-as-activation",
            _src(
                """
                def tanh_backward(dA, Z):
                    Z = np.asarray(Z, dtype=float)
                    return np.asarray(dA, dtype=float) * (1 - Z**2)
                """
            ),
        ),
        (
            "square-misplaced",
            _src(
                """
                def tanh_backward(dA, Z):
                    return np.asarray(dA, dtype=float) * (1 - np.tanh(np.asarray(Z, dtype=float))) ** 2
                """
            ),
        ),
        (
            "forgot-upstream-gradient",
            _src(
                """
                def tanh_backward(dA, Z):
                    return 1.0 - np.tanh(np.asarray(Z, dtype=float)) ** 2
                """
            ),
        ),
        (
            "swapped-arguments",
            _src(
                """
                def tanh_backward(dA, Z):
                    return np.asarray(Z, dtype=float) * (1 - np.tanh(np.asarray(dA, dtype=float)) ** 2)
                """
            ),
        ),
        (
            "input-modified",
            _src(
                """
                def tanh_backward(dA, Z):
                    dA = np.asarray(dA, dtype=float)
                    dA *= 1 - np.tanh(np.asarray(Z, dtype=float)) ** 2
                    return dA
                """
            ),
        ),
    ],
    "mlp_loss_and_grads": [
        (
            "sum-not-mean",
            _src(
                """
                def mlp_loss_and_grads(params, X, y):
                    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
                    H = np.tanh(X @ params["W1"] + params["b1"])
                    r = (H @ params["W2"] + params["b2"])[:, 0] - y
                    d = 2 * r[:, None]
                    dZ1 = (d @ params["W2"].T) * (1 - H**2)
                    grads = {"W1": X.T @ dZ1, "b1": dZ1.sum(axis=0), "W2": H.T @ d, "b2": d.sum(axis=0)}
                    return float(np.mean(r**2)), grads
                """
            ),
        ),
        (
            "tanh-not-derivative",
            _src(
                """
                def mlp_loss_and_grads(params, X, y):
                    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
                    H = np.tanh(X @ params["W1"] + params["b1"])
                    r = (H @ params["W2"] + params["b2"])[:, 0] - y
                    d = 2 * r[:, None] / len(y)
                    dZ1 = (d @ params["W2"].T) * H
                    grads = {"W1": X.T @ dZ1, "b1": dZ1.sum(axis=0), "W2": H.T @ d, "b2": d.sum(axis=0)}
                    return float(np.mean(r**2)), grads
                """
            ),
        ),
        (
            "broadcast-yhat-minus-y",
            _src(
                """
                def mlp_loss_and_grads(params, X, y):
                    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
                    H = np.tanh(X @ params["W1"] + params["b1"])
                    y_hat = H @ params["W2"] + params["b2"]
                    loss = np.mean((y_hat - y) ** 2)
                    d = 2 * (y_hat - y[:, None]) / len(y)
                    dZ1 = (d @ params["W2"].T) * (1 - H**2)
                    grads = {"W1": X.T @ dZ1, "b1": dZ1.sum(axis=0), "W2": H.T @ d, "b2": d.sum(axis=0)}
                    return float(loss), grads
                """
            ),
        ),
        (
            "missing-factor-2",
            _src(
                """
                def mlp_loss_and_grads(params, X, y):
                    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
                    H = np.tanh(X @ params["W1"] + params["b1"])
                    r = (H @ params["W2"] + params["b2"])[:, 0] - y
                    d = r[:, None] / len(y)
                    dZ1 = (d @ params["W2"].T) * (1 - H**2)
                    grads = {"W1": X.T @ dZ1, "b1": dZ1.sum(axis=0), "W2": H.T @ d, "b2": d.sum(axis=0)}
                    return float(np.mean(r**2)), grads
                """
            ),
        ),
        (
            "skipped-tanh-derivative",
            _src(
                """
                def mlp_loss_and_grads(params, X, y):
                    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
                    H = np.tanh(X @ params["W1"] + params["b1"])
                    r = (H @ params["W2"] + params["b2"])[:, 0] - y
                    d = 2 * r[:, None] / len(y)
                    dZ1 = d @ params["W2"].T  # forgot the factor 1 - H**2
                    grads = {"W1": X.T @ dZ1, "b1": dZ1.sum(axis=0), "W2": H.T @ d, "b2": d.sum(axis=0)}
                    return float(np.mean(r**2)), grads
                """
            ),
        ),
        (
            "input-modified",
            _src(
                """
                def mlp_loss_and_grads(params, X, y):
                    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
                    X -= X.mean(axis=0)  # centre the inputs first (in place: the caller's X too)
                    H = np.tanh(X @ params["W1"] + params["b1"])
                    r = (H @ params["W2"] + params["b2"])[:, 0] - y
                    d = 2 * r[:, None] / len(y)
                    dZ1 = (d @ params["W2"].T) * (1 - H**2)
                    grads = {"W1": X.T @ dZ1, "b1": dZ1.sum(axis=0), "W2": H.T @ d, "b2": d.sum(axis=0)}
                    return float(np.mean(r**2)), grads
                """
            ),
        ),
        (
            "gradient-sign",
            _src(
                """
                def mlp_loss_and_grads(params, X, y):
                    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
                    H = np.tanh(X @ params["W1"] + params["b1"])
                    r = y - (H @ params["W2"] + params["b2"])[:, 0]
                    d = 2 * r[:, None] / len(y)
                    dZ1 = (d @ params["W2"].T) * (1 - H**2)
                    grads = {"W1": X.T @ dZ1, "b1": dZ1.sum(axis=0), "W2": H.T @ d, "b2": d.sum(axis=0)}
                    return float(np.mean(r**2)), grads
                """
            ),
        ),
    ],
    "gradient_check": [
        (
            "forward-difference",
            _src(
                """
                def gradient_check(f, grad, w, h=1e-5):
                    w = np.asarray(w, dtype=float)
                    g = np.asarray(grad(w), dtype=float)
                    n = np.array([(f(w + h * e) - f(w)) / h for e in np.eye(w.size)])
                    return float(np.linalg.norm(g - n) / max(np.linalg.norm(g) + np.linalg.norm(n), 1e-12))
                """
            ),
        ),
        (
            "absolute-not-relative",
            _src(
                """
                def gradient_check(f, grad, w, h=1e-5):
                    w = np.asarray(w, dtype=float)
                    g = np.asarray(grad(w), dtype=float)
                    n = np.array([(f(w + h * e) - f(w - h * e)) / (2 * h) for e in np.eye(w.size)])
                    return float(np.linalg.norm(g - n))
                """
            ),
        ),
        (
            "wrong-denominator",
            _src(
                """
                def gradient_check(f, grad, w, h=1e-5):
                    w = np.asarray(w, dtype=float)
                    g = np.asarray(grad(w), dtype=float)
                    n = np.array([(f(w + h * e) - f(w - h * e)) / (2 * h) for e in np.eye(w.size)])
                    return float(np.linalg.norm(g - n) / max(np.linalg.norm(g), 1e-12))
                """
            ),
        ),
        (
            "missing-floor",
            _src(
                """
                def gradient_check(f, grad, w, h=1e-5):
                    w = np.asarray(w, dtype=float)
                    g = np.asarray(grad(w), dtype=float)
                    n = np.array([(f(w + h * e) - f(w - h * e)) / (2 * h) for e in np.eye(w.size)])
                    return float(np.linalg.norm(g - n) / (np.linalg.norm(g) + np.linalg.norm(n)))
                """
            ),
        ),
        (
            "wrong-norm",
            _src(
                """
                def gradient_check(f, grad, w, h=1e-5):
                    w = np.asarray(w, dtype=float)
                    g = np.asarray(grad(w), dtype=float)
                    n = np.array([(f(w + h * e) - f(w - h * e)) / (2 * h) for e in np.eye(w.size)])
                    return float(np.max(np.abs(g - n)) / max(np.max(np.abs(g)) + np.max(np.abs(n)), 1e-12))
                """
            ),
        ),
        (
            "h-ignored",
            _src(
                """
                def gradient_check(f, grad, w, h=1e-5):
                    w = np.asarray(w, dtype=float)
                    g = np.asarray(grad(w), dtype=float)
                    n = np.array([(f(w + 1e-5 * e) - f(w - 1e-5 * e)) / 2e-5 for e in np.eye(w.size)])
                    return float(np.linalg.norm(g - n) / max(np.linalg.norm(g) + np.linalg.norm(n), 1e-12))
                """
            ),
        ),
        (
            "input-modified",
            _src(
                """
                def gradient_check(f, grad, w, h=1e-5):
                    w = np.asarray(w, dtype=float)
                    n = np.zeros(w.size)
                    for i in range(w.size):
                        w[i] += h
                        up = f(w)
                        w[i] -= 2 * h
                        down = f(w)
                        n[i] = (up - down) / (2 * h)
                    g = np.asarray(grad(w), dtype=float)
                    return float(np.linalg.norm(g - n) / max(np.linalg.norm(g) + np.linalg.norm(n), 1e-12))
                """
            ),
        ),
    ],
    "train_mlp": [
        (
            "losses-off-by-one",
            _src(
                """
                def train_mlp(params, X, y, lr=0.1, n_steps=100):
                    p = {k: np.array(v, dtype=float) for k, v in params.items()}
                    losses = []
                    for _ in range(n_steps):
                        loss, grads = mlp_loss_and_grads(p, X, y)
                        losses.append(loss)
                        p = {k: p[k] - lr * grads[k] for k in p}
                    return p, np.array(losses, dtype=float)
                """
            ),
        ),
        (
            "params-modified-in-place",
            _src(
                """
                def train_mlp(params, X, y, lr=0.1, n_steps=100):
                    p = dict(params)  # a new dict, but the same arrays inside
                    for k in p:
                        p[k] = np.asarray(p[k], dtype=float)
                    losses = []
                    for _ in range(n_steps):
                        loss, grads = mlp_loss_and_grads(p, X, y)
                        losses.append(loss)
                        for k in p:
                            p[k] -= lr * grads[k]
                    losses.append(mlp_loss_and_grads(p, X, y)[0])
                    return p, np.array(losses)
                """
            ),
        ),
        (
            "shared-state",
            _src(
                """
                HISTORY = []


                def train_mlp(params, X, y, lr=0.1, n_steps=100):
                    p = {k: np.array(v, dtype=float) for k, v in params.items()}
                    for _ in range(n_steps):
                        loss, grads = mlp_loss_and_grads(p, X, y)
                        HISTORY.append(loss)
                        p = {k: p[k] - lr * grads[k] for k in p}
                    HISTORY.append(mlp_loss_and_grads(p, X, y)[0])
                    return p, np.array(HISTORY)
                """
            ),
        ),
        (
            "stale-final-params",
            _src(
                """
                def train_mlp(params, X, y, lr=0.1, n_steps=100):
                    p = {k: np.array(v, dtype=float) for k, v in params.items()}
                    previous = p
                    losses = []
                    for _ in range(n_steps):
                        loss, grads = mlp_loss_and_grads(p, X, y)
                        losses.append(loss)
                        previous = p
                        p = {k: p[k] - lr * grads[k] for k in p}
                    losses.append(mlp_loss_and_grads(p, X, y)[0])
                    return previous, np.array(losses)
                """
            ),
        ),
        (
            "ascent-not-descent",
            _src(
                """
                def train_mlp(params, X, y, lr=0.1, n_steps=100):
                    p = {k: np.array(v, dtype=float) for k, v in params.items()}
                    losses = []
                    for _ in range(n_steps):
                        loss, grads = mlp_loss_and_grads(p, X, y)
                        losses.append(loss)
                        p = {k: p[k] + lr * grads[k] for k in p}
                    losses.append(mlp_loss_and_grads(p, X, y)[0])
                    return p, np.array(losses)
                """
            ),
        ),
        (
            "lr-ignored",
            _src(
                """
                def train_mlp(params, X, y, lr=0.1, n_steps=100):
                    p = {k: np.array(v, dtype=float) for k, v in params.items()}
                    losses = []
                    for _ in range(n_steps):
                        loss, grads = mlp_loss_and_grads(p, X, y)
                        losses.append(loss)
                        p = {k: p[k] - 0.1 * grads[k] for k in p}
                    losses.append(mlp_loss_and_grads(p, X, y)[0])
                    return p, np.array(losses)
                """
            ),
        ),
        (
            "losses-not-array",
            _src(
                """
                def train_mlp(params, X, y, lr=0.1, n_steps=100):
                    p = {k: np.array(v, dtype=float) for k, v in params.items()}
                    losses = []
                    for _ in range(n_steps):
                        loss, grads = mlp_loss_and_grads(p, X, y)
                        losses.append(loss)
                        p = {k: p[k] - lr * grads[k] for k in p}
                    losses.append(mlp_loss_and_grads(p, X, y)[0])
                    return p, losses
                """
            ),
        ),
    ],
}
