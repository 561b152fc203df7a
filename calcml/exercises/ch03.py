"""'Your turn' exercises of chapter 3 (critical points and curvature)."""

from __future__ import annotations

import numpy as np

from calcml.regression import AREA, RENT
from calcml.yourturn import (
    Case,
    ChoiceExercise,
    ClassifyExercise,
    FunctionExercise,
    NumberExercise,
)

_MEAN_X2 = float(np.mean(AREA**2))
_MEAN_XY = float(np.mean(AREA * RENT))


def _descent_on_bowl(w0: float, lr: float, n_steps: int) -> list[float]:
    """The reference iterates of w ← w − η·2(w − 3), for the cases below."""
    ws = [float(w0)]
    for _ in range(n_steps):
        ws.append(ws[-1] - lr * 2 * (ws[-1] - 3))
    return ws


EXERCISES = (
    NumberExercise(
        key="ch03.cubic-critical-points",
        hint=(
            "Differentiate term by term, take out the common factor 3, and factor the quadratic "
            "that is left: which two numbers multiply to −3 and add to −2?"
        ),
        solution=(
            "$f'(x) = 3x^2 - 6x - 9 = 3(x^2 - 2x - 3) = 3(x - 3)(x + 1)$.\n\n"
            "A product is 0 exactly when one factor is 0: $x = -1$ or $x = 3$. Sorted: "
            "`answer = [-1, 3]`."
        ),
        answer=(-1.0, 3.0),
        slips={
            (-3.0, 1.0): (
                "Those are the roots of $(x + 3)(x - 1) = x^2 + 2x - 3$: check the sign of the "
                "middle term, $-2x$."
            ),
            (-9.0, 3.0): "Divide by the common factor 3 first, then factor x² − 2x − 3.",
        },
    ),
    ClassifyExercise(
        key="ch03.classify-at-zero",
        hint="",
        solution=(
            "Use the first-derivative test, which also works where f′ does not exist: look at "
            "the sign of the slope just left and just right of 0.\n\n"
            "x⁴: f′ = 4x³ goes from − to +, a minimum (the second-derivative test was silent). "
            "x³: f′ = 3x² is + on both sides, not an extremum. −x⁴: + to −, a maximum.\n\n"
            "|x|: slope −1 then +1, a minimum at a corner, although f′(0) does not exist. "
            "x^(2/3): the slope −(2/3)|x|^(−1/3) on the left and +(2/3)x^(−1/3) on the right: − to "
            "+, a minimum at a cusp. x^(1/3) (the real cube root): slope (1/3)x^(−2/3) > 0 on both "
            "sides, rising through 0 with a vertical tangent, not an extremum."
        ),
        prompt=(
            "Each function has a critical point at $x = 0$ ($f'(0) = 0$ or $f'(0)$ undefined). "
            "What kind of point is it?"
        ),
        labels=("local minimum", "local maximum", "not an extremum"),
        items={
            "x⁴": "local minimum",
            "x³": "not an extremum",
            "−x⁴": "local maximum",
            "|x|": "local minimum",
            "x^(2/3)": "local minimum",
            "x^(1/3)": "not an extremum",
        },
        why={
            "x⁴": "f″(0) = 0 says nothing; f′ = 4x³ changes from − to + at 0.",
            "x³": "f′ = 3x² ≥ 0 on both sides: x³ keeps rising through 0.",
            "−x⁴": "f′ = −4x³ changes from + to −: a flat-topped maximum.",
            "|x|": "f′(0) does not exist, yet |x| ≥ 0 = |0|: the slope goes from −1 to +1.",
            "x^(2/3)": "x^(2/3) = (x^(1/3))² ≥ 0 = f(0); the slope goes from −∞-ish to +∞-ish.",
            "x^(1/3)": "The real cube root increases everywhere; at 0 the tangent is vertical.",
        },
    ),
    NumberExercise(
        key="ch03.rent-best-slope",
        hint=(
            "L(w) = mean((w·x − y)²), so L′(w) = mean(2x(w·x − y)) by the chain rule. Set it to 0 "
            "and solve for w: the sums Σxy and Σx² appear. Use `AREA` and `RENT` from "
            "`calcml.regression`."
        ),
        solution=(
            "$L'(w) = \\frac{2}{n}\\sum_i x_i(w x_i - y_i) = \\frac{2}{n}\\left(w\\sum x_i^2 - "
            "\\sum x_i y_i\\right) = 0$ gives $w^* = \\sum x_i y_i / \\sum x_i^2$ "
            "$= 16.74 / 9.58 \\approx 1.7474$.\n\n"
            "$L''(w) = \\frac{2}{n}\\sum x_i^2 > 0$ for every $w$, so $w^*$ is the minimum: a "
            "rent of about 1 747 € per 100 m²."
        ),
        answer=_MEAN_XY / _MEAN_X2,
        rtol=1e-4,
        slips={
            float(RENT.sum() / AREA.sum()): (
                "Σy/Σx is the slope through the averages, not the least-squares slope: solve "
                "L′(w) = 0 instead."
            ),
            float((AREA * RENT).sum() / AREA.sum()): "The denominator is Σx², not Σx.",
        },
    ),
    ChoiceExercise(
        key="ch03.predict-eta",
        hint="",
        solution=(
            "On $L(w) = (w - 3)^2$ the curvature is $c = 2$, and each step multiplies the "
            "distance to 3 by $1 - \\eta c = 1 - 1.8 = -0.8$. The minus sign flips the side "
            "(overshoot); $|{-0.8}| < 1$ shrinks the distance: a zig-zag that closes in."
        ),
        prompt=(
            "On $L(w) = (w - 3)^2$, from $w_0 = -1$, with $\\eta = 0.9$: what will the path do? "
            "Decide, then set the stepper below to η = 0.9 and check."
        ),
        options=(
            "slide straight down to 3",
            "overshoot 3 and zig-zag in, closer each time",
            "bounce between two points forever",
            "zig-zag outwards and blow up",
        ),
        answer=1,
        feedback=(
            "That needs 0 < ηc < 1; here ηc = 1.8, so each step jumps past 3.",
            "Yes: the factor 1 − ηc = −0.8 flips the side and shrinks the distance.",
            "That is ηc = 2 exactly (η = 1): the factor −1 keeps the distance.",
            "That needs ηc > 2 (η > 1); at η = 0.9 the factor −0.8 is smaller than 1 in size.",
        ),
    ),
    FunctionExercise(
        key="ch03.descent-loop",
        hint=(
            "Start a list with w0; repeat n_steps times: compute the slope 2(w − 3) at the last "
            "iterate, step against it, append. Return the whole list (n_steps + 1 numbers)."
        ),
        solution=(
            "Gradient descent is three lines: the slope where you stand, a step against it, "
            "repeat. Keeping every iterate gives the trace table of the chapter."
        ),
        name="descend",
        cases=(
            Case((-1.0, 0.1, 3), _descent_on_bowl(-1.0, 0.1, 3)),
            Case((5.0, 0.5, 2), _descent_on_bowl(5.0, 0.5, 2)),
            Case((-1.0, 1.1, 3), _descent_on_bowl(-1.0, 1.1, 3)),
            Case((2.0, 0.0, 2), _descent_on_bowl(2.0, 0.0, 2)),
            Case((4.0, 0.3, 0), _descent_on_bowl(4.0, 0.3, 0)),
        ),
        solution_code=(
            "def descend(w0, lr, n_steps):\n"
            "    ws = [w0]\n"
            "    for _ in range(n_steps):\n"
            "        slope = 2 * (ws[-1] - 3)  # L'(w) for L(w) = (w - 3)**2\n"
            "        ws.append(ws[-1] - lr * slope)\n"
            "    return ws\n"
        ),
    ),
    NumberExercise(
        key="ch03.rent-largest-step",
        hint=(
            "The rent loss is a quadratic in w with curvature L″ = 2·mean(x²) (compute it from "
            "`AREA`). Gradient descent on a quadratic converges exactly when 0 < η < 2/L″."
        ),
        solution=(
            "$L''(w) = 2\\,\\overline{x^2} = 2 \\times 1.5967 = 3.1933$, so the learning rate must "
            "stay below $2/L'' = 1/\\overline{x^2} \\approx 0.6263$. At $\\eta = 1/L'' \\approx "
            "0.313$ one step lands on $w^*$; between 0.313 and 0.626 the path zig-zags in; above "
            "0.626 it diverges."
        ),
        answer=1 / _MEAN_X2,
        rtol=1e-3,
        slips={
            0.5 / _MEAN_X2: (
                "That is 1/L″, the rate that lands in one step; the largest stable one is twice it."
            ),
            2 / _MEAN_X2: "L″ = 2·mean(x²): the 2 from differentiating the square is missing.",
            2 * _MEAN_X2: "That is L″ itself; the bound is 2 divided by it.",
        },
    ),
    ChoiceExercise(
        key="ch03.predict-basin",
        hint="",
        solution=(
            "The double well's hilltop is at $w \\approx 0.170$. At $w_0 = 0.15$, just left of it, "
            "$L'(0.15) = 4(0.15)^3 - 6(0.15) + 1 \\approx 0.114 > 0$, so the first step goes "
            "left, and every later one too: with a small η the path slides into the global "
            "minimum near −1.30, although the local one at 1.13 is nearer."
        ),
        prompt=(
            "Gradient descent on $L(w) = w^4 - 3w^2 + w$ with a small step, η = 0.02, from "
            "$w_0 = 0.15$. Where does it end? (Decide, then try it in the stepper.)"
        ),
        options=(
            "the global minimum near −1.30",
            "the local minimum near 1.13, the nearer one",
            "it stays near 0.15, where the curve is flat",
        ),
        answer=0,
        feedback=(
            "Yes: 0.15 lies left of the hilltop at 0.170, so the slope sends it left.",
            "Distance does not matter, the sign of the slope does: L′(0.15) > 0 sends it left.",
            "The slope there is small (≈ 0.11) but not 0: it moves, slowly at first.",
        ),
    ),
    NumberExercise(
        key="ch03.newton-step",
        hint=(
            "Compute L′(1) and L″(1) for L(w) = w⁴ − 3w² + w, then w₁ = w₀ − L′(w₀)/L″(w₀). "
            "Watch the sign: L′(1) is negative."
        ),
        solution=(
            "$L'(w) = 4w^3 - 6w + 1$, so $L'(1) = -1$; $L''(w) = 12w^2 - 6$, so $L''(1) = 6 > 0$ "
            "(the model parabola opens upwards).\n\n"
            "$w_1 = 1 - (-1)/6 = 7/6 \\approx 1.1667$, already close to the local minimum "
            "1.1309."
        ),
        answer=7 / 6,
        rtol=1e-4,
        slips={
            5 / 6: "The step is minus L′/L″ and L′(1) = −1 is negative, so w moves right.",
            7.0: "That is w₀ − L″/L′: the slope goes on top, the curvature underneath.",
            2.0: "That is w₀ − L′(w₀): a gradient step with η = 1, not a Newton step.",
        },
    ),
)
