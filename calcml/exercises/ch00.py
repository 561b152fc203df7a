"""'Your turn' exercises of the welcome notebook (course/00-welcome.ipynb)."""

from __future__ import annotations

from calcml.regression import AREA, RENT, slope_loss
from calcml.yourturn import Case, ChoiceExercise, FunctionExercise, NumberExercise

_RENT_LOSS_CODE = """\
import numpy as np
from calcml.regression import AREA, RENT


def rent_loss(w):
    predictions = w * AREA  # the line through the origin with slope w
    return np.mean((predictions - RENT) ** 2)
"""

EXERCISES = (
    ChoiceExercise(
        key="ch00.predict-secant",
        hint="",
        solution=(
            r"$\frac{(1+h)^2 - 1}{h} = \frac{2h + h^2}{h} = 2 + h$, which is bigger than 2 for every "
            r"$h > 0$."
            "\n\n"
            "In the picture: the parabola bends upwards, so the chord from $a = 1$ to a point on "
            "its right climbs more steeply than the tangent at $a = 1$."
        ),
        prompt=(
            r"For $f(x) = x^2$ at $a = 1$ and a step $h > 0$, is the slope of the secant through "
            r"$(1, f(1))$ and $(1 + h, f(1 + h))$ bigger or smaller than the tangent's slope $2$?"
        ),
        options=("bigger than 2", "exactly 2", "smaller than 2"),
        answer=0,
        feedback=(
            "The secant slope is 2 + h: a little more than 2, and closer to 2 the smaller h is.",
            "Only the tangent has slope exactly 2; a secant with h > 0 has slope 2 + h.",
            "That would be true to the left of a (h < 0): there the slope 2 + h is below 2.",
        ),
    ),
    NumberExercise(
        key="ch00.secant-by-hand",
        hint=(
            "The slope is rise over run: (f(a + h) − f(a)) / h with f(x) = x², a = 3 and h = 0.1. "
            "Work out 3.1² first."
        ),
        solution=(
            r"$f(3.1) = 3.1^2 = 9.61$ and $f(3) = 9$, so the rise is $0.61$ over a run of "
            r"$h = 0.1$: the slope is $0.61 / 0.1 = 6.1$."
            "\n\n"
            r"Check with the formula: the secant slope of $x^2$ is $2a + h = 6 + 0.1 = 6.1$."
        ),
        answer=6.1,
        slips={
            9.61: "9.61 is f(a + h) itself; the slope compares it with f(a) = 9.",
            0.61: "0.61 is the rise; divide it by the run h = 0.1.",
            6.0: "6 is the tangent's slope 2a; the secant with h = 0.1 is a little steeper.",
            0.1 / 0.61: "That is run over rise: the slope is rise over run.",
        },
    ),
    ChoiceExercise(
        key="ch00.better-slope",
        hint="",
        solution=(
            "The rent per 100 m² of floor, y/x, is between 1.6 and 1.8 for every flat, so the "
            "slope 2 overshoots each flat by a little, while the slope 1 undershoots each one by "
            "a lot."
            "\n\n"
            r"The losses say the same: $L(1) \approx 0.897$ and $L(2) \approx 0.107$."
        ),
        prompt=(
            "Six flats: floor area x (in 100 m²) 0.5, 0.8, 1.0, 1.2, 1.5, 2.0 and monthly rent y "
            "(in 1 000 €) 0.9, 1.3, 1.8, 2.0, 2.7, 3.5. Which line through the origin fits them "
            r"better, $\hat y = 1 \cdot x$ or $\hat y = 2 \cdot x$?"
        ),
        options=("w = 1", "w = 2", "both fit equally well"),
        answer=1,
        feedback=(
            "With w = 1 every prediction is far too low: 1.5 instead of 2.7 for the 150 m² flat.",
            "Each flat's rent per area, y/x, lies between 1.6 and 1.8: much nearer 2 than 1.",
            "Compare y/x for each flat with 1 and with 2: one of them is always nearer.",
        ),
    ),
    FunctionExercise(
        key="ch00.rent-loss",
        hint=(
            "Predict with `w * AREA`, subtract `RENT`, square, and take the mean with `np.mean`. "
            "A value six times too large means a sum instead of a mean."
        ),
        solution=(
            r"The loss of the slope $w$ is the mean squared error "
            r"$L(w) = \frac{1}{6}\sum_i (w x_i - y_i)^2$: predict every rent at once with NumPy, "
            "subtract the true rents, square and average."
        ),
        name="rent_loss",
        cases=(
            Case((1.0,), float(slope_loss(1.0))),
            Case((2.0,), float(slope_loss(2.0))),
            Case((1.75,), float(slope_loss(1.75))),
            Case((0.0,), float((RENT**2).mean())),
            Case((-1.0,), float(((-AREA - RENT) ** 2).mean())),
        ),
        solution_code=_RENT_LOSS_CODE,
    ),
)
