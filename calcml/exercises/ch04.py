"""'Your turn' exercises of chapter 4 (partial derivatives, gradients and gradient descent)."""

from __future__ import annotations

import numpy as np

from calcml.regression import AREA, RENT, design_matrix
from calcml.yourturn import (
    Case,
    ChoiceExercise,
    ClassifyExercise,
    FunctionExercise,
    NumberExercise,
)


def _chapter_step(w, lr):
    w = np.asarray(w, dtype=float)
    return w - lr * np.array([2 * (w[0] - 3), 4 * (w[1] - 1)])


def _rent_loss_gradient(w):
    X = design_matrix(AREA)
    return 2 / len(RENT) * X.T @ (X @ np.asarray(w, dtype=float) - RENT)


EXERCISES = (
    NumberExercise(
        key="ch04.gradient-by-hand",
        hint=(
            "Differentiate f(x, y) = x²y + 3xy² once holding y fixed (∂f/∂x = 2xy + 3y²) and once "
            "holding x fixed (∂f/∂y = x² + 6xy), then put x = 2, y = −1 into both. Answer with "
            "the pair [∂f/∂x, ∂f/∂y]."
        ),
        solution=(
            "∂f/∂x = 2xy + 3y² = 2·2·(−1) + 3·(−1)² = −4 + 3 = −1.\n\n"
            "∂f/∂y = x² + 6xy = 2² + 6·2·(−1) = 4 − 12 = −8.\n\n"
            "So ∇f(2, −1) = (−1, −8). Check: a central difference in each coordinate, "
            "(f(2 + h, −1) − f(2 − h, −1)) / (2h) with h = 1e-5, gives −1.0000 as well."
        ),
        answer=(-1.0, -8.0),
        slips={
            (-8.0, -1.0): "The two entries are swapped: the first entry is ∂f/∂x.",
            (-7.0, -8.0): "(−1)² = +1, so 3y² = +3, not −3.",
            (-1.0, 16.0): "6xy = 6·2·(−1) = −12: keep the sign of y.",
            (-4.0, -8.0): "∂f/∂x has a second term: 3xy² gives 3y² when x is the variable.",
        },
    ),
    NumberExercise(
        key="ch04.directional-number",
        hint=(
            "D_u f = ∇f · u with u a unit vector: divide (−4, 3) by its length 5 first, then take "
            "the dot product with ∇f(1, 2) = (16, 13)."
        ),
        solution=(
            "u = (−4, 3)/5 = (−0.8, 0.6), a unit vector.\n\n"
            "D_u f = ∇f · u = 16·(−0.8) + 13·0.6 = −12.8 + 7.8 = −5.\n\n"
            "Negative: walking that way goes downhill, though not as steeply as along −∇f, "
            "where the slope is −‖∇f‖ ≈ −20.6."
        ),
        answer=-5.0,
        slips={
            -25.0: "(−4, 3) has length 5: divide it by 5 first, or the slope is 5 times too big.",
            5.0: "Check the signs: 16·(−0.8) is negative.",
            20.615528128088304: "That is ‖∇f‖, the slope along ∇f itself, not along this u.",
            20.0: "That is the worked example's direction (3, 4)/5, not (−4, 3)/5.",
        },
    ),
    FunctionExercise(
        key="ch04.descent-step",
        hint=(
            "The gradient of L(w) = (w₁ − 3)² + 2(w₂ − 1)² is (2(w₁ − 3), 4(w₂ − 1)). Return "
            "w − lr · that gradient as a NumPy array (np.asarray(w) turns a tuple into one)."
        ),
        solution=(
            "One step of gradient descent is w ← w − η∇L(w). Work out ∇L by hand, then subtract "
            "η times it from w. From (0, 0) with η = 0.1: ∇L = (−6, −4), so the step gives "
            "(0.6, 0.4), the first row of the table below."
        ),
        name="descent_step",
        cases=(
            Case((np.array([0.0, 0.0]), 0.1), _chapter_step((0.0, 0.0), 0.1)),
            Case((np.array([3.0, 1.0]), 0.5), _chapter_step((3.0, 1.0), 0.5)),
            Case((np.array([5.0, -1.0]), 0.25), _chapter_step((5.0, -1.0), 0.25)),
            Case((np.array([1.0, 2.0]), 0.6), _chapter_step((1.0, 2.0), 0.6)),
        ),
        solution_code=(
            "import numpy as np\n\n\n"
            "def descent_step(w, lr):\n"
            "    w = np.asarray(w, dtype=float)\n"
            "    gradient = np.array([2 * (w[0] - 3), 4 * (w[1] - 1)])\n"
            "    return w - lr * gradient\n"
        ),
    ),
    ClassifyExercise(
        key="ch04.valley-regimes",
        hint="",
        solution=(
            "The long valley (w₁² + 20w₂²)/2 has curvatures 1 and 20, so each step multiplies "
            "w₁ by 1 − η and w₂ by 1 − 20η.\n\n"
            "η = 0.04: factors 0.96 and 0.2, both in (0, 1): it slides in without overshooting.\n\n"
            "η = 0.09: factors 0.91 and −0.8: w₂ changes sign every step (the zig-zag) but "
            "shrinks, so it converges.\n\n"
            "η = 0.1 = 2/λ_max: the factor on w₂ is exactly −1: w₂ flips between +a and −a "
            "forever while w₁ converges.\n\n"
            "η = 0.15: the factor on w₂ is −2: the zig-zag doubles every step and the run "
            "diverges, although the factor 0.85 on w₁ alone would be fine."
        ),
        prompt=(
            "Plain gradient descent on the long valley $(w_1^2 + 20 w_2^2)/2$ from $(-2.8, 1)$. "
            "For each learning rate, what does the path do? (Use the factors $1 - \\eta\\lambda$.)"
        ),
        labels=(
            "slides in without overshooting",
            "overshoots but converges",
            "bounces forever",
            "diverges",
        ),
        items={
            "η = 0.04": "slides in without overshooting",
            "η = 0.09": "overshoots but converges",
            "η = 0.1": "bounces forever",
            "η = 0.15": "diverges",
        },
        why={
            "η = 0.04": "1 − 20·0.04 = 0.2 and 1 − 0.04 = 0.96 are both positive and below 1.",
            "η = 0.09": "1 − 20·0.09 = −0.8: negative (overshoot) but of size below 1 (shrinks).",
            "η = 0.1": "1 − 20·0.1 = −1 exactly: w₂ keeps its size and flips sign every step.",
            "η = 0.15": "1 − 20·0.15 = −2: of size above 1, so w₂ doubles every step.",
        },
    ),
    ChoiceExercise(
        key="ch04.predict-playground",
        hint="",
        solution=(
            "The chapter example has curvatures 2 and 4, so the factors are 1 − 2η and 1 − 4η. At "
            "η = 0.6 they are −0.2 and −1.4. Along w₁ the error shrinks (w₁ reaches 3 within a "
            "few steps), but along w₂ it changes sign and grows by 1.4 every step: a zig-zag "
            "across w₂ = 1 that widens until the run leaves the picture. The stable range is "
            "η < 2/λ_max = 2/4 = 0.5."
        ),
        prompt=(
            "The playground below opens on the chapter example $(w_1 - 3)^2 + 2(w_2 - 1)^2$, "
            "starting at $(0, 0)$. Before you drag: with plain gradient descent at $\\eta = 0.6$, "
            "what will the path do?"
        ),
        options=(
            "slide into (3, 1) without overshooting",
            "overshoot along w₂ but still converge",
            "bounce between the same two points forever",
            "zig-zag ever wider along w₂ and fly off",
        ),
        answer=3,
        feedback=(
            "That needs every factor 1 − ηλ in (0, 1), i.e. η ≤ 1/λ_max = 0.25.",
            "Overshooting while converging needs 1/λ_max < η < 2/λ_max, i.e. 0.25 < η < 0.5; "
            "0.6 is past 2/λ_max = 0.5.",
            "That happens exactly at η = 2/λ_max = 0.5 (factor −1); at 0.6 the factor is −1.4.",
            "Right: 1 − 4·0.6 = −1.4, so the error along w₂ flips sign and grows by 1.4 each "
            "step. Set η = 0.6 in the playground and watch the readout say so.",
        ),
    ),
    FunctionExercise(
        key="ch04.rent-gradient",
        hint=(
            "With X = design_matrix(AREA) (rows (1, xᵢ)) the predictions are X @ w and the "
            "residuals X @ w − RENT; the gradient is (2/n) Xᵀ times the residuals, n = 6. A sign "
            "flip gives −∇L, a forgotten 2 gives half of it."
        ),
        solution=(
            "L(w) = (1/n) Σ (xᵢᵀw − yᵢ)². By the chain rule, ∂/∂w_j of one term is "
            "2(xᵢᵀw − yᵢ)·x_ij, so ∇L(w) = (2/n) Σ (xᵢᵀw − yᵢ) xᵢ = (2/n) Xᵀ(Xw − y).\n\n"
            "At w = (0, 0) every prediction is 0, the residuals are −y and the gradient is "
            "(−4.0667, −5.58): both negative, so descent raises the intercept and the slope."
        ),
        name="rent_gradient",
        cases=tuple(
            Case((np.array(w),), _rent_loss_gradient(w))
            for w in ([0.0, 0.0], [0.5, 1.5], [-0.5, 2.0], [-0.0358490566, 1.7735849057])
        ),
        solution_code=(
            "import numpy as np\n"
            "from calcml.regression import AREA, RENT, design_matrix\n\n\n"
            "def rent_gradient(w):\n"
            "    X = design_matrix(AREA)\n"
            "    residuals = X @ np.asarray(w, dtype=float) - RENT\n"
            "    return 2 / len(RENT) * X.T @ residuals\n"
        ),
    ),
    NumberExercise(
        key="ch04.relative-error",
        hint=(
            "Write the numerical gradient as g and the buggy one as g/2. The numerator is "
            "‖g − g/2‖ = ‖g‖/2; the denominator is ‖g‖ + ‖g/2‖ = 3‖g‖/2. ‖g‖ cancels."
        ),
        solution=(
            "rel. error = ‖g − g/2‖ / (‖g‖ + ‖g/2‖) = (‖g‖/2) / (3‖g‖/2) = 1/3 ≈ 0.333, "
            "whatever the point and whatever g is (as long as it is not zero).\n\n"
            "That is far above 1e-7, so the check flags the bug. A gradient off by a constant "
            "factor c gives |1 − c| / (1 + |c|) for any c > 0."
        ),
        answer=1 / 3,
        rtol=1e-3,
        slips={
            0.5: "That is ‖g − g/2‖ / ‖g‖; the course's relative error divides by ‖g‖ + ‖g/2‖.",
            2.0: "The bug halves the gradient; the relative error compares the two, a number "
            "between 0 and 1.",
        },
    ),
)
