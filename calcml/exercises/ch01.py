"""'Your turn' exercises of chapter 1, limits and continuity (course/01-limits.ipynb)."""

from __future__ import annotations

import numpy as np

from calcml.regression import AREA, RENT, slope_loss
from calcml.yourturn import (
    Case,
    ChoiceExercise,
    ClassifyExercise,
    FunctionExercise,
    NumberExercise,
)

#: the slope of the running example's loss at w = 1: L(w) = w²·mean(x²) − 2w·mean(xy) + mean(y²)
_LOSS_SLOPE_AT_1 = float(2 * (np.mean(AREA**2) - np.mean(AREA * RENT)))

_LOSS_QUOTIENT_CODE = """\
from calcml.regression import slope_loss


def loss_quotient(h):
    return (slope_loss(1 + h) - slope_loss(1)) / h
"""

EXERCISES = (
    NumberExercise(
        key="ch01.limit-by-hand",
        hint=(
            "At x = 2 the fraction is 0/0, so cancel first: x³ − 8 is a difference of cubes, "
            "(x − 2)(x² + 2x + 4)."
        ),
        solution=(
            r"For $x \ne 2$, $x^3 - 8 = (x - 2)(x^2 + 2x + 4)$, so "
            r"$\frac{x^3 - 8}{x - 2} = x^2 + 2x + 4$."
            "\n\n"
            r"That is a polynomial, continuous at 2, so substitute: "
            r"$\lim_{x \to 2} \frac{x^3 - 8}{x - 2} = 4 + 4 + 4 = 12$."
        ),
        answer=12.0,
        slips={
            0.0: "0/0 is not 0: it says the formula gives no value at 2, not what the limit is.",
            8.0: "8 is x³ at 2, the numerator's value; the limit comes from cancelling x − 2.",
            4.0: "x³ − 8 is not (x − 2)(x + 2): that factoring is for x² − 4.",
            6.0: "The quotient simplifies to x² + 2x + 4, not to 3x: substitute x = 2 into it.",
        },
    ),
    ChoiceExercise(
        key="ch01.predict-jump-gap",
        hint="",
        solution=(
            r"For $\delta > 0$: $f(0 + \delta) = \delta + 1$ and $f(0 - \delta) = -\delta - 1$, "
            r"so the gap is $(\delta + 1) - (-\delta - 1) = 2 + 2\delta$."
            "\n\n"
            r"As $\delta \to 0$ it settles at $2$, the size of the jump, and never reaches $0$: "
            "the two one-sided limits, −1 and 1, differ, so there is no limit at 0."
        ),
        prompt=(
            "In the explorer below, choose <code>jump</code> (x + 1 for x ≥ 0, x − 1 for x < 0, at a = 0). "
            "Before you touch δ, predict: what does the gap |f(a + δ) − f(a − δ)| do as δ shrinks?"
        ),
        options=("it shrinks to 0", "it settles at 2", "it settles at 1", "it grows without bound"),
        answer=1,
        feedback=(
            "It would for a function with a limit at 0; here the two sides head for −1 and 1.",
            "The gap is 2 + 2δ: it tends to 2, the height of the jump.",
            "1 is f(0), the value at the point; the gap compares the two sides, −1 and 1.",
            "Both sides stay bounded (near −1 and 1), so their difference does too.",
        ),
    ),
    ClassifyExercise(
        key="ch01.classify-breaks",
        hint="",
        solution=(
            r"$\frac{x^2-4}{x-2} = x + 2$ for $x \ne 2$: limit 4, but no value at 2, a "
            "**removable** hole."
            "\n\n"
            r"$x/|x|$ is $-1$ for $x < 0$ and $1$ for $x > 0$: one-sided limits $-1$ and $1$, a "
            "**jump**."
            "\n\n"
            r"$1/x^2 \to +\infty$ from both sides: **infinite**."
            "\n\n"
            r"$\cos(1/x)$ takes every value in $[-1, 1]$ infinitely often near 0: **oscillating**."
            "\n\n"
            r"$|x| \to 0 = |0|$ from both sides: **continuous** (its corner matters for slopes, in "
            "chapter 2, not for continuity)."
            "\n\n"
            r"$-|x| \le x \sin(1/x) \le |x|$ squeezes it to $0 = f(0)$: **continuous**, although "
            r"$\sin(1/x)$ alone oscillates."
        ),
        prompt="What happens at the point named? Choose one label for each function.",
        labels=("continuous", "removable", "jump", "infinite", "oscillating"),
        items={
            "(x² − 4)/(x − 2) at x = 2": "removable",
            "x/|x| at x = 0": "jump",
            "1/x² at x = 0": "infinite",
            "cos(1/x) at x = 0": "oscillating",
            "|x| at x = 0": "continuous",
            "x·sin(1/x), with f(0) = 0, at x = 0": "continuous",
        },
        why={
            "(x² − 4)/(x − 2) at x = 2": "it equals x + 2 away from 2: the limit 4 exists, only "
            "the value at 2 is missing.",
            "x/|x| at x = 0": "it is −1 on the left and 1 on the right: two different one-sided "
            "limits.",
            "1/x² at x = 0": "it grows past every bound from both sides.",
            "cos(1/x) at x = 0": "it keeps swinging between −1 and 1, bounded but never settling.",
            "|x| at x = 0": "both sides approach 0, which is |0|: no hole, no jump (a corner is "
            "still continuous).",
            "x·sin(1/x), with f(0) = 0, at x = 0": "|x·sin(1/x)| ≤ |x| squeezes it to 0 = f(0).",
        },
    ),
    NumberExercise(
        key="ch01.epsilon-delta",
        hint=(
            "|f(x) − 3| = |2x + 1 − 3| = 2|x − 1|. For which distances |x − 1| is that below "
            "ε = 0.01?"
        ),
        solution=(
            r"$|f(x) - L| = |2x + 1 - 3| = 2|x - 1|$. This is below $\varepsilon$ exactly when "
            r"$|x - 1| < \varepsilon / 2$."
            "\n\n"
            r"So $\delta = \varepsilon/2 = 0.005$ works, and no larger $\delta$ does: at "
            r"$|x - 1|$ just below a larger $\delta$, $2|x - 1| \ge 0.01$."
        ),
        answer=0.005,
        slips={
            0.01: "With δ = ε a point at distance 0.009 is allowed, and there |f(x) − 3| = 0.018.",
            0.02: "The slope 2 doubles distances: divide ε by 2, don't multiply.",
        },
    ),
    FunctionExercise(
        key="ch01.loss-quotient",
        hint=(
            "It is the slope of the chord of the loss between w = 1 and w = 1 + h: "
            "(L(1 + h) − L(1)) / h, with L = `slope_loss`."
        ),
        solution=(
            r"The difference quotient of the loss at $w = 1$ is "
            r"$q(h) = \frac{L(1 + h) - L(1)}{h}$. <code>slope_loss</code> already computes $L$, so the "
            "function is one line."
        ),
        name="loss_quotient",
        cases=(
            Case((0.1,), float((slope_loss(1.1) - slope_loss(1.0)) / 0.1)),
            Case((0.01,), float((slope_loss(1.01) - slope_loss(1.0)) / 0.01)),
            Case((-0.5,), float((slope_loss(0.5) - slope_loss(1.0)) / -0.5)),
            Case((1.0,), float(slope_loss(2.0) - slope_loss(1.0))),
        ),
        solution_code=_LOSS_QUOTIENT_CODE,
    ),
    NumberExercise(
        key="ch01.loss-slope-limit",
        hint=(
            "Read the q(h) column as h shrinks: the digits that stop changing are the limit. "
            "It is a slope, so it can be negative."
        ),
        solution=(
            r"$L(w) = \overline{x^2}\, w^2 - 2\,\overline{xy}\, w + \overline{y^2}$ (bars are "
            r"means over the six flats), so $q(h) = 2\overline{x^2} - 2\overline{xy} + "
            r"\overline{x^2}\, h$: a line in $h$ with a hole at $h = 0$."
            "\n\n"
            r"Its limit is $2(\overline{x^2} - \overline{xy}) = 2(1.59667 - 2.79) \approx -2.387$: "
            r"$L'(1)$, the slope of the loss at $w = 1$. It is negative, so a larger $w$ lowers "
            "the loss: gradient descent would move w up."
        ),
        answer=_LOSS_SLOPE_AT_1,
        rtol=1e-3,
        slips={
            float(slope_loss(1.0)): "That is the loss L(1) itself; the limit of q is its slope.",
            -_LOSS_SLOPE_AT_1: "Check the sign: the loss falls as w grows past 1.",
            float((slope_loss(1.1) - slope_loss(1.0)) / 0.1): "That is q(0.1); shrink h further.",
        },
    ),
)
