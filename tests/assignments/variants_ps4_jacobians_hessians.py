"""Correct and wrong answers for ps4_jacobians_hessians, graded through nbgrader by test_variants.py.

CORRECT variants must score full marks; each WRONG variant is a real misconception that must lose
points on its function's test cells only, with the tag given here in the failure output.
Answers may use ``np`` (imported in the notebook's first cell), as students do.
"""

from textwrap import dedent

ASSIGNMENT = "ps4_jacobians_hessians"


def _src(text: str) -> str:
    return dedent(text).strip("\n")


CORRECT = {
    "numerical_jacobian": [
        (
            "entry-by-entry-loops",
            _src(
                """
                def numerical_jacobian(f, x, h=1e-5):
                    x = np.array(x, dtype=float)
                    m = len(np.atleast_1d(f(x)))
                    J = np.zeros((m, len(x)))
                    for j in range(len(x)):
                        xp = x.copy()
                        xp[j] += h
                        xm = x.copy()
                        xm[j] -= h
                        fp, fm = np.atleast_1d(f(xp)), np.atleast_1d(f(xm))
                        for i in range(m):
                            J[i, j] = (fp[i] - fm[i]) / (2 * h)
                    return J
                """
            ),
        ),
        (
            "columns-then-transpose",
            _src(
                """
                def numerical_jacobian(f, x, h=1e-5):
                    x = np.asarray(x, dtype=float)
                    cols = [(np.asarray(f(x + h * e)) - np.asarray(f(x - h * e))) / (2 * h) for e in np.eye(x.size)]
                    return np.array(cols, dtype=float).T  # one row per input direction, transposed
                """
            ),
        ),
    ],
    "numerical_hessian": [
        (
            "three-point-diagonal",
            _src(
                """
                def numerical_hessian(f, x, h=1e-4):
                    x = np.asarray(x, dtype=float)
                    n = len(x)
                    E = np.eye(n) * h
                    H = np.empty((n, n))
                    fx = f(x)
                    for i in range(n):
                        H[i, i] = (f(x + E[i]) - 2 * fx + f(x - E[i])) / h**2
                        for j in range(i):
                            mixed = f(x + E[i] + E[j]) - f(x + E[i] - E[j]) - f(x - E[i] + E[j]) + f(x - E[i] - E[j])
                            H[i, j] = H[j, i] = mixed / (4 * h**2)
                    return H
                """
            ),
        ),
        (
            "jacobian-of-the-gradient",
            _src(
                """
                def numerical_hessian(f, x, h=1e-4):
                    x = np.asarray(x, dtype=float)
                    units = np.eye(x.size)

                    def gradient(z):
                        return np.array([(f(z + h * e) - f(z - h * e)) / (2 * h) for e in units])

                    H = np.array([(gradient(x + h * e) - gradient(x - h * e)) / (2 * h) for e in units])
                    return (H + H.T) / 2
                """
            ),
        ),
        (
            "full-double-loop-no-symmetrising",
            _src(
                """
                def numerical_hessian(f, x, h=1e-4):
                    x = np.array(x, dtype=float)
                    n = len(x)
                    H = np.zeros((n, n))
                    for i in range(n):
                        for j in range(n):
                            ei = np.zeros(n)
                            ei[i] = h
                            ej = np.zeros(n)
                            ej[j] = h
                            H[i][j] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * h**2)
                    return H
                """
            ),
        ),
    ],
    "classify_hessian": [
        (
            "eigvals-real-part-counts",
            _src(
                """
                def classify_hessian(H, tol=1e-8):
                    eigenvalues = np.linalg.eigvals(np.asarray(H, dtype=float)).real
                    positive = int(np.sum(eigenvalues > tol))
                    negative = int(np.sum(eigenvalues < -tol))
                    if positive == len(eigenvalues):
                        return "minimum"
                    if negative == len(eigenvalues):
                        return "maximum"
                    if positive and negative:
                        return "saddle"
                    return "inconclusive"
                """
            ),
        ),
        (
            "sorted-extremes",
            _src(
                """
                def classify_hessian(H, tol=1e-8):
                    lam = np.sort(np.linalg.eigvalsh(H))
                    smallest, largest = lam[0], lam[-1]
                    if smallest > tol:
                        return "minimum"
                    elif largest < -tol:
                        return "maximum"
                    elif smallest < -tol and largest > tol:
                        return "saddle"
                    else:
                        return "inconclusive"
                """
            ),
        ),
    ],
    "newton_method": [
        (
            "explicit-inverse",
            _src(
                """
                def newton_method(grad, hess, x0, n_steps=20, tol=1e-10):
                    x = np.array(x0, dtype=float)
                    history = [x.copy()]
                    for _ in range(n_steps):
                        g = np.array(grad(x), dtype=float)
                        if np.linalg.norm(g) < tol:
                            break
                        x = x - np.linalg.inv(hess(x)) @ g
                        history.append(x.copy())
                    return x, np.array(history)
                """
            ),
        ),
        (
            "preallocated-solve-for-delta",
            _src(
                """
                def newton_method(grad, hess, x0, n_steps=20, tol=1e-10):
                    x = np.asarray(x0, dtype=float).copy()
                    history = np.zeros((n_steps + 1, x.size))
                    history[0] = x
                    taken = 0
                    while taken < n_steps:
                        g = grad(x)
                        if np.linalg.norm(g) < tol:
                            break
                        delta = np.linalg.solve(hess(x), -np.asarray(g, dtype=float))
                        x += delta  # our own copy; history rows are copies
                        taken += 1
                        history[taken] = x
                    return x, history[: taken + 1]
                """
            ),
        ),
        (
            "least-squares-step",
            _src(
                """
                def newton_method(grad, hess, x0, n_steps=20, tol=1e-10):
                    x = np.array(x0, dtype=float)
                    history = [x.copy()]
                    for _ in range(n_steps):
                        g = grad(x)
                        if np.linalg.norm(g) < tol:
                            break
                        x = x - np.linalg.lstsq(hess(x), g, rcond=None)[0]
                        history.append(x.copy())
                    return x, np.array(history)
                """
            ),
        ),
    ],
}

WRONG = {
    "numerical_jacobian": [
        (
            "transposed-jacobian",
            _src(
                """
                def numerical_jacobian(f, x, h=1e-5):
                    x = np.asarray(x, dtype=float)
                    cols = [(np.asarray(f(x + h * e)) - np.asarray(f(x - h * e))) / (2 * h) for e in np.eye(x.size)]
                    return np.array(cols, dtype=float)  # row j holds d f / d x_j: the transpose
                """
            ),
        ),
        (
            "forward-difference",
            _src(
                """
                def numerical_jacobian(f, x, h=1e-5):
                    x = np.asarray(x, dtype=float)
                    fx = np.asarray(f(x), dtype=float)
                    return np.column_stack([(np.asarray(f(x + h * e)) - fx) / h for e in np.eye(x.size)])
                """
            ),
        ),
        (
            "missing-2h",
            _src(
                """
                def numerical_jacobian(f, x, h=1e-5):
                    x = np.asarray(x, dtype=float)
                    return np.column_stack([(np.asarray(f(x + h * e)) - np.asarray(f(x - h * e))) / h for e in np.eye(x.size)])
                """
            ),
        ),
        (
            "wrong-shape",
            _src(
                """
                def numerical_jacobian(f, x, h=1e-5):
                    x = np.asarray(x, dtype=float)
                    J = np.column_stack([(np.asarray(f(x + h * e)) - np.asarray(f(x - h * e))) / (2 * h) for e in np.eye(x.size)])
                    return np.squeeze(J)  # drops the axis of length 1 when m = 1
                """
            ),
        ),
        (
            "input-modified",
            _src(
                """
                def numerical_jacobian(f, x, h=1e-5):
                    columns = []
                    for j in range(len(x)):
                        x[j] += h
                        up = np.array(f(x), dtype=float)
                        x[j] -= 2 * h
                        down = np.array(f(x), dtype=float)
                        columns.append((up - down) / (2 * h))
                    return np.column_stack(columns)
                """
            ),
        ),
    ],
    "numerical_hessian": [
        (
            "wrong-factor",
            _src(
                """
                def numerical_hessian(f, x, h=1e-4):
                    x = np.asarray(x, dtype=float)
                    n = len(x)
                    E = np.eye(n) * h
                    H = np.empty((n, n))
                    for i in range(n):
                        H[i, i] = (f(x + E[i]) - 2 * f(x) + f(x - E[i])) / h**2
                        for j in range(i):
                            mixed = f(x + E[i] + E[j]) - f(x + E[i] - E[j]) - f(x - E[i] + E[j]) + f(x - E[i] - E[j])
                            H[i, j] = H[j, i] = mixed / h**2
                    return H
                """
            ),
        ),
        (
            "diagonal-only",
            _src(
                """
                def numerical_hessian(f, x, h=1e-4):
                    x = np.asarray(x, dtype=float)
                    n = len(x)
                    H = np.zeros((n, n))
                    for i in range(n):
                        e = np.zeros(n)
                        e[i] = h
                        H[i, i] = (f(x + e) - 2 * f(x) + f(x - e)) / h**2
                    return H
                """
            ),
        ),
        (
            "not-symmetric",
            _src(
                """
                def numerical_hessian(f, x, h=1e-4):
                    x = np.asarray(x, dtype=float)
                    n = len(x)
                    E = np.eye(n) * h
                    H = np.zeros((n, n))
                    for i in range(n):
                        for j in range(i, n):  # the upper triangle only
                            H[i, j] = (f(x + E[i] + E[j]) - f(x + E[i] - E[j]) - f(x - E[i] + E[j]) + f(x - E[i] - E[j])) / (4 * h**2)
                    return H
                """
            ),
        ),
        (
            "forward-difference",
            _src(
                """
                def numerical_hessian(f, x, h=1e-4):
                    x = np.asarray(x, dtype=float)
                    n = len(x)
                    E = np.eye(n) * h
                    H = np.zeros((n, n))
                    for i in range(n):
                        for j in range(n):
                            H[i, j] = (f(x + E[i] + E[j]) - f(x + E[i]) - f(x + E[j]) + f(x)) / h**2
                    return H
                """
            ),
        ),
        (
            "input-modified",
            _src(
                """
                def numerical_hessian(f, x, h=1e-4):
                    n = len(x)
                    H = np.zeros((n, n))
                    for i in range(n):
                        fx = f(x)
                        x[i] += h
                        up = f(x)
                        x[i] -= 2 * h  # ... and never moved back by h
                        down = f(x)
                        H[i, i] = (up - 2 * fx + down) / h**2
                    for i in range(n):
                        for j in range(i + 1, n):
                            ei, ej = h * np.eye(n)[i], h * np.eye(n)[j]
                            H[i, j] = H[j, i] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * h * h)
                    return H
                """
            ),
        ),
    ],
    "classify_hessian": [
        (
            "det-trace-shortcut",
            _src(
                """
                def classify_hessian(H, tol=1e-8):
                    det, trace = np.linalg.det(H), np.trace(H)
                    if abs(det) <= tol:
                        return "inconclusive"
                    if det < 0:
                        return "saddle"
                    return "minimum" if trace > 0 else "maximum"
                """
            ),
        ),
        (
            "tol-ignored",
            _src(
                """
                def classify_hessian(H, tol=1e-8):
                    lam = np.linalg.eigvalsh(H)
                    if np.all(lam > 0):
                        return "minimum"
                    if np.all(lam < 0):
                        return "maximum"
                    if np.any(lam > 0) and np.any(lam < 0):
                        return "saddle"
                    return "inconclusive"
                """
            ),
        ),
        (
            "singular-as-saddle",
            _src(
                """
                def classify_hessian(H, tol=1e-8):
                    lam = np.linalg.eigvalsh(H)
                    if np.all(lam > tol):
                        return "minimum"
                    if np.all(lam < -tol):
                        return "maximum"
                    return "saddle"
                """
            ),
        ),
        (
            "diagonal-entries",
            _src(
                """
                def classify_hessian(H, tol=1e-8):
                    d = np.diag(H)
                    if np.all(d > tol):
                        return "minimum"
                    if np.all(d < -tol):
                        return "maximum"
                    if np.any(d > tol) and np.any(d < -tol):
                        return "saddle"
                    return "inconclusive"
                """
            ),
        ),
        (
            "min-max-swapped",
            _src(
                """
                def classify_hessian(H, tol=1e-8):
                    lam = np.linalg.eigvalsh(H)
                    if np.all(lam > tol):
                        return "maximum"  # confuses 'curves up' with 'peak'
                    if np.all(lam < -tol):
                        return "minimum"
                    if np.any(lam > tol) and np.any(lam < -tol):
                        return "saddle"
                    return "inconclusive"
                """
            ),
        ),
        (
            "tol-not-strict",
            _src(
                """
                def classify_hessian(H, tol=1e-8):
                    ev = np.linalg.eigvalsh(np.asarray(H, dtype=float))
                    if np.all(ev >= tol):
                        return "minimum"
                    if np.all(ev <= -tol):
                        return "maximum"
                    if np.any(ev >= tol) and np.any(ev <= -tol):
                        return "saddle"
                    return "inconclusive"
                """
            ),
        ),
    ],
    "newton_method": [
        (
            "wrong-sign",
            _src(
                """
                def newton_method(grad, hess, x0, n_steps=20, tol=1e-10):
                    x = np.array(x0, dtype=float)
                    history = [x]
                    for _ in range(n_steps):
                        g = grad(x)
                        if np.linalg.norm(g) < tol:
                            break
                        x = x + np.linalg.solve(hess(x), g)
                        history.append(x)
                    return x, np.array(history)
                """
            ),
        ),
        (
            "gradient-step-not-newton",
            _src(
                """
                def newton_method(grad, hess, x0, n_steps=20, tol=1e-10):
                    x = np.array(x0, dtype=float)
                    history = [x]
                    for _ in range(n_steps):
                        g = grad(x)
                        if np.linalg.norm(g) < tol:
                            break
                        x = x - g
                        history.append(x)
                    return x, np.array(history)
                """
            ),
        ),
        (
            "multiplied-not-solved",
            _src(
                """
                def newton_method(grad, hess, x0, n_steps=20, tol=1e-10):
                    x = np.array(x0, dtype=float)
                    history = [x]
                    for _ in range(n_steps):
                        g = grad(x)
                        if np.linalg.norm(g) < tol:
                            break
                        x = x - hess(x) @ g
                        history.append(x)
                    return x, np.array(history)
                """
            ),
        ),
        (
            "history-missing-start",
            _src(
                """
                def newton_method(grad, hess, x0, n_steps=20, tol=1e-10):
                    x = np.array(x0, dtype=float)
                    history = []
                    for _ in range(n_steps):
                        g = grad(x)
                        if np.linalg.norm(g) < tol:
                            break
                        x = x - np.linalg.solve(hess(x), g)
                        history.append(x)
                    return x, np.array(history if history else [x])
                """
            ),
        ),
        (
            "tol-ignored",
            _src(
                """
                def newton_method(grad, hess, x0, n_steps=20, tol=1e-10):
                    x = np.array(x0, dtype=float)
                    history = [x]
                    for _ in range(n_steps):
                        x = x - np.linalg.solve(hess(x), grad(x))
                        history.append(x)
                    return x, np.array(history)
                """
            ),
        ),
        (
            "aliased-history",
            _src(
                """
                def newton_method(grad, hess, x0, n_steps=20, tol=1e-10):
                    x = np.array(x0, dtype=float)
                    history = [x]
                    for _ in range(n_steps):
                        g = grad(x)
                        if np.linalg.norm(g) < tol:
                            break
                        x -= np.linalg.solve(hess(x), g)
                        history.append(x)
                    return x, np.array(history)
                """
            ),
        ),
        (
            "tol-not-strict",
            _src(
                """
                def newton_method(grad, hess, x0, n_steps=20, tol=1e-10):
                    x = np.array(x0, dtype=float)
                    points = [x]
                    for _ in range(n_steps):
                        g = np.asarray(grad(x), dtype=float)
                        if np.linalg.norm(g) <= tol:
                            break
                        x = x - np.linalg.solve(hess(x), g)
                        points.append(x)
                    return x, np.array(points)
                """
            ),
        ),
        (
            "wrong-norm",
            _src(
                """
                def newton_method(grad, hess, x0, n_steps=20, tol=1e-10):
                    x = np.array(x0, dtype=float)
                    points = [x]
                    for _ in range(n_steps):
                        g = np.asarray(grad(x), dtype=float)
                        if np.abs(g).max() < tol:
                            break
                        x = x - np.linalg.solve(hess(x), g)
                        points.append(x)
                    return x, np.array(points)
                """
            ),
        ),
    ],
}
