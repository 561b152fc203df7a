"""'Your turn' exercises of chapter 5 (Jacobians and Hessians)."""

from __future__ import annotations

import numpy as np

from calcml.regression import RENT, design_matrix
from calcml.yourturn import (
    Case,
    ChoiceExercise,
    ClassifyExercise,
    FunctionExercise,
    NumberExercise,
)

_X = design_matrix()
_H = 2 / len(RENT) * _X.T @ _X  # the Hessian of the rent line's loss
_LAMBDA = np.linalg.eigvalsh(_H)
_FIT = np.linalg.solve(_X.T @ _X, _X.T @ RENT)


def _softmax_jacobian(z) -> np.ndarray:
    z = np.asarray(z, dtype=float)
    s = np.exp(z - z.max())
    s = s / s.sum()
    return np.diag(s) - np.outer(s, s)


def _vjp(W, b, x, g) -> np.ndarray:
    a = np.tanh(W @ x + b)
    return (g * (1 - a**2)) @ W


_W = np.array([[1.0, -2.0], [0.5, 1.0], [2.0, 0.0]])
_B = np.array([0.1, -0.3, 0.2])
_W2 = np.array([[0.3, 0.1, -0.2, 0.4], [-1.0, 0.5, 0.0, 0.2]])
_B2 = np.array([0.0, 0.5])

EXERCISES = (
    FunctionExercise(
        key="ch05.softmax-jacobian",
        hint=(
            "Compute s = softmax(z) first (subtract max(z) before exponentiating, for safety). "
            "Then ∂sᵢ/∂zⱼ = sᵢ(δᵢⱼ − sⱼ): the matrix diag(s) − s sᵀ, that is "
            "`np.diag(s) - np.outer(s, s)`."
        ),
        solution=(
            "With $s_i = e^{z_i}/\\sum_k e^{z_k}$, the quotient rule gives "
            "$\\partial s_i/\\partial z_i = s_i - s_i^2$ and $\\partial s_i/\\partial z_j = "
            "-s_i s_j$ for $j \\ne i$: together $J = \\operatorname{diag}(s) - s s^\\top$.\n\n"
            "Every row sums to 0: adding the same number to every $z_j$ does not change the "
            "softmax, so moving along $(1, \\dots, 1)$ changes no output."
        ),
        name="softmax_jacobian",
        cases=(
            Case((np.array([0.0, 0.0]),), _softmax_jacobian([0.0, 0.0])),
            Case((np.array([1.0, 2.0, 3.0]),), _softmax_jacobian([1.0, 2.0, 3.0])),
            Case((np.array([2.0, -1.0]),), _softmax_jacobian([2.0, -1.0])),
            Case((np.array([500.0, 499.0, 0.0]),), _softmax_jacobian([500.0, 499.0, 0.0])),
        ),
        solution_code=(
            "import numpy as np\n\n\n"
            "def softmax_jacobian(z):\n"
            "    s = np.exp(z - np.max(z))\n"
            "    s = s / s.sum()\n"
            "    return np.diag(s) - np.outer(s, s)\n"
        ),
    ),
    FunctionExercise(
        key="ch05.tanh-layer-vjp",
        hint=(
            "The layer's Jacobian is diag(1 − a²)·W with a = tanh(Wx + b). A row vector gᵀ times "
            "it is (g * (1 − a²)) @ W: multiply elementwise first, then one vector–matrix "
            "product. Never build the diagonal matrix."
        ),
        solution=(
            "Reverse mode multiplies from the left: $g^\\top \\operatorname{diag}(1 - a^2)\\, W$. "
            "The diagonal matrix only scales each entry of $g$, so the whole product costs one "
            "elementwise multiply and one vector–matrix product, $O(mn)$ for an $m \\times n$ "
            "$W$, instead of the $O(m^2 n)$ of forming the Jacobian first."
        ),
        name="vjp_through_tanh_layer",
        cases=(
            Case(
                (_W, _B, np.array([0.4, -0.6]), np.array([1.0, -1.0, 0.5])),
                _vjp(_W, _B, np.array([0.4, -0.6]), np.array([1.0, -1.0, 0.5])),
            ),
            Case(
                (_W, _B, np.array([0.0, 0.0]), np.array([0.0, 1.0, 0.0])),
                _vjp(_W, _B, np.array([0.0, 0.0]), np.array([0.0, 1.0, 0.0])),
            ),
            Case(
                (_W2, _B2, np.array([1.0, -1.0, 0.5, 2.0]), np.array([2.0, -0.5])),
                _vjp(_W2, _B2, np.array([1.0, -1.0, 0.5, 2.0]), np.array([2.0, -0.5])),
            ),
        ),
        solution_code=(
            "import numpy as np\n\n\n"
            "def vjp_through_tanh_layer(W, b, x, g):\n"
            "    a = np.tanh(W @ x + b)\n"
            "    return (g * (1 - a**2)) @ W\n"
        ),
    ),
    NumberExercise(
        key="ch05.curvature-along",
        hint=(
            "The curvature along a direction is dᵀHd for a *unit* vector d: divide (1, 1) by its "
            "length √2 first, then compute d @ H @ d."
        ),
        solution=(
            "$d = (1, 1)/\\sqrt2$, $Hd = (4, 4)/\\sqrt2$, so $d^\\top H d = (4 + 4)/2 = 4$.\n\n"
            "$d$ is an eigenvector ($Hd = 4d$), so this is the largest curvature of $H$; along "
            "the perpendicular $(1, -1)/\\sqrt2$ it is the other eigenvalue, 2. Every other "
            "direction gives a number in between."
        ),
        answer=4.0,
        slips={
            8.0: "(1, 1) has length √2: with d = (1, 1) you get 2 × the curvature.",
            3.0: "That is H₁₁, the curvature along the x-axis, not along (1, 1).",
            2.0: "That is the curvature along (1, −1)/√2, the other eigenvector.",
        },
    ),
    ClassifyExercise(
        key="ch05.classify-hessians",
        hint="",
        solution=(
            "For a symmetric 2 × 2 matrix, det H = λ₁λ₂ and trace H = λ₁ + λ₂. det < 0: the "
            "eigenvalues have opposite signs, a saddle. det > 0: the same sign, which the trace "
            "gives (> 0 minimum, < 0 maximum). det = 0: an eigenvalue is 0, inconclusive.\n\n"
            "[[6, 0], [0, 2]]: det 12, trace 8, minimum. [[−6, 0], [0, 2]]: det −12, saddle. "
            "[[2, 3], [3, 2]]: det −5, a saddle (eigenvalues 5 and −1) although every entry is "
            "positive. [[−2, 1], [1, −2]]: det 3, trace −4, maximum (eigenvalues −1, −3). "
            "[[1, 2], [2, 4]]: det 0, inconclusive (eigenvalues 0 and 5). [[4, 1], [1, 1]]: "
            "det 3, trace 5, minimum."
        ),
        prompt=(
            "Each matrix is the Hessian at a critical point. What does the second-derivative test "
            "say? (det H = λ₁λ₂ and trace H = λ₁ + λ₂ settle it without computing eigenvalues.)"
        ),
        labels=("minimum", "maximum", "saddle", "inconclusive"),
        items={
            "[[6, 0], [0, 2]]": "minimum",
            "[[−6, 0], [0, 2]]": "saddle",
            "[[2, 3], [3, 2]]": "saddle",
            "[[−2, 1], [1, −2]]": "maximum",
            "[[1, 2], [2, 4]]": "inconclusive",
            "[[4, 1], [1, 1]]": "minimum",
        },
        why={
            "[[6, 0], [0, 2]]": "Diagonal: the eigenvalues are 6 and 2, both positive.",
            "[[−6, 0], [0, 2]]": "Eigenvalues −6 and 2: down along x, up along y.",
            "[[2, 3], [3, 2]]": (
                "Positive entries do not make a minimum: det = 4 − 9 < 0, eigenvalues 5 and −1."
            ),
            "[[−2, 1], [1, −2]]": "det = 3 > 0 and trace = −4 < 0: both eigenvalues negative.",
            "[[1, 2], [2, 4]]": "det = 0: one eigenvalue is 0 (the other is 5); the test is silent.",
            "[[4, 1], [1, 1]]": "det = 3 > 0 and trace = 5 > 0: both eigenvalues positive.",
        },
    ),
    ChoiceExercise(
        key="ch05.predict-newton",
        hint="",
        solution=(
            "No. On the Rosenbrock function from (−1.2, 1) the Hessian is positive definite at "
            "every iterate, so every Newton step points downhill, yet the second full step takes "
            "f from 4.73 to 1412. The quadratic model built at a point is only good near that "
            "point, and the full step trusts it far away. Damping (a fraction α of the step) or a "
            "line search (halve the step until f falls enough) fixes that."
        ),
        prompt=(
            "Newton's method with full steps on the Rosenbrock function from (−1.2, 1). The "
            "Hessian is positive definite at every iterate. Will f fall at every step? Decide, "
            "then run the stepper below."
        ),
        options=(
            "yes: a positive definite Hessian makes every Newton step go downhill",
            "no: a step can point downhill and still go so far that f rises",
            "no: Newton's method is heading for a saddle",
        ),
        answer=1,
        feedback=(
            "Positive definite H makes the Newton *direction* a descent direction: a short enough "
            "step lowers f. A full step may be far too long.",
            "Yes: the direction is downhill, but the full step overshoots (4.73 → 1412 at step 2).",
            "With H positive definite the model has a minimum, not a saddle: the step aims at it.",
        ),
    ),
    NumberExercise(
        key="ch05.rent-largest-step",
        hint=(
            "The Hessian of the rent line's loss is H = (2/n)XᵀX with X = `design_matrix()`. "
            "Gradient descent on a quadratic needs η < 2/λ_max: compute "
            "`np.linalg.eigvalsh(H)` and take the largest."
        ),
        solution=(
            "$H = \\frac{2}{6}X^\\top X = \\begin{pmatrix} 2 & 2.333 \\\\ 2.333 & 3.193 "
            "\\end{pmatrix}$ with eigenvalues $\\lambda_{\\min} \\approx 0.188$ and "
            "$\\lambda_{\\max} \\approx 5.005$. Along eigenvector $i$ one step multiplies the "
            "error by $1 - \\eta\\lambda_i$, so every direction shrinks only if "
            "$\\eta < 2/\\lambda_{\\max} \\approx 0.3996$.\n\n"
            "Even at that bound the flat direction shrinks by only $1 - 0.3996 \\times 0.188 "
            "\\approx 0.925$ per step: the condition number $\\lambda_{\\max}/\\lambda_{\\min} "
            "\\approx 26.6$ is why gradient descent zig-zags and crawls on this problem "
            "(chapter 4)."
        ),
        answer=float(2 / _LAMBDA[-1]),
        rtol=1e-3,
        slips={
            float(2 / _LAMBDA[0]): (
                "That is 2/λ_min: the steep direction would blow up; the bound comes from λ_max."
            ),
            float(1 / _LAMBDA[-1]): "That is 1/λ_max; the bound for convergence is twice it.",
            float(1 / np.mean(_X[:, 1] ** 2)): (
                "That is chapter 3's bound for the slope alone; with an intercept the Hessian is "
                "2 × 2 and its largest eigenvalue sets the bound."
            ),
        },
    ),
    NumberExercise(
        key="ch05.rent-newton-step",
        hint=(
            "One Newton step from w = (0, 0): solve HΔ = ∇L(0) with ∇L(w) = (2/n)Xᵀ(Xw − y), then "
            "w₁ = 0 − Δ. Use `np.linalg.solve`, not an inverse. Answer with (intercept, slope)."
        ),
        solution=(
            "$\\nabla L(0) = -\\frac{2}{n}X^\\top y$, so $H\\Delta = \\nabla L(0)$ reads "
            "$X^\\top X \\Delta = -X^\\top y$: $w_1 = -\\Delta$ solves the normal equations "
            "$X^\\top X w = X^\\top y$. Result: intercept $\\approx -0.0358$, slope $\\approx "
            "1.7736$: the least-squares line, in one step, because the loss is exactly quadratic."
        ),
        answer=tuple(float(v) for v in _FIT),
        rtol=1e-4,
        atol=1e-6,
        slips={
            tuple(float(-v) for v in _FIT): "Newton steps to w − Δ, not w + Δ.",
            (0.0, 1.747390396659708): (
                "That is chapter 3's slope for the line through the origin; with an intercept the "
                "best slope changes."
            ),
        },
    ),
)
