"""Chapter 2 (derivatives): the 'Your turn' exercises, in the order the chapter asks them."""

from __future__ import annotations

import numpy as np

from calcml.regression import AREA, RENT, slope_loss
from calcml.yourturn import Case, ChoiceExercise, ClassifyExercise, FunctionExercise, NumberExercise


def _running_slope(w: float, x, y) -> float:
    """L′(w) from the sums: (2/n)(w Σx² − Σxy), a different route from the chain-rule formula."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return float(2 * (w * (x @ x) - x @ y) / len(x))


_L1 = float(slope_loss(1.0))
_DL1 = _running_slope(1.0, AREA, RENT)
_NUDGE = 0.01
_W_STAR = float(AREA @ RENT / (AREA @ AREA))

EXERCISES = (
    NumberExercise(
        key="ch02.secant-by-hand",
        hint="The secant slope is rise over run: (f(a+h) − f(a)) / h, with a = 1 and h = 0.5, "
        "so the second point is at x = 1.5.",
        solution=r"""$f(1.5) = 1.5^3 = 3.375$ and $f(1) = 1$, so the rise is $3.375 - 1 = 2.375$ over a
run of $h = 0.5$:

$$\frac{f(1.5) - f(1)}{0.5} = \frac{2.375}{0.5} = 4.75.$$

The tangent slope is $f'(1) = 3$; the secant is steeper because $x^3$ bends upwards between 1
and 1.5. (In general the secant slope of $x^3$ is $3a^2 + 3ah + h^2 = 3 + 1.5 + 0.25$.)""",
        answer=4.75,
        slips={
            3.0: "3 is the tangent slope f′(1), the limit as h → 0; here h = 0.5 is not small.",
            2.375: "That is the rise f(1.5) − f(1); divide it by the run h = 0.5.",
            6.75: "That is f(1.5)/0.5: subtract f(1) = 1 before dividing.",
        },
    ),
    NumberExercise(
        key="ch02.definition-cube",
        hint="Expand (2 + h)³ = 8 + 3·4·h + 3·2·h² + h³, subtract f(2) = 8, divide every term "
        "by h, and read off the number and the coefficient of h.",
        solution=r"""With $(a+h)^3 = a^3 + 3a^2h + 3ah^2 + h^3$:

$$\frac{(a+h)^3 - a^3}{h} = \frac{3a^2h + 3ah^2 + h^3}{h} = 3a^2 + 3a\,h + h^2.$$

At $a = 2$ that is $12 + 6h + h^2$, so $A = 12$ and $B = 6$. Letting $h \to 0$ leaves
$f'(2) = 12$, and in general $f'(a) = 3a^2$: the power rule for $n = 3$, proved from the
definition.""",
        answer=(12.0, 6.0),
        slips={
            (0.0, 0.0): "(2 + h)³ is not 2³ + h³: multiply out (2 + h)(2 + h)(2 + h); the "
            "cross terms are where the derivative lives.",
            (4.0, 1.0): "Those are the numbers for x² (2a + h at a = 2); this exercise is x³.",
            (12.0, 3.0): "Check the h² term of (2 + h)³: it is 3·2·h² = 6h², which becomes 6h "
            "after dividing by h.",
        },
    ),
    ChoiceExercise(
        key="ch02.predict-cube-secant",
        hint="",
        solution=r"""The secant slope of $x^3$ at $a = 0$ is $\frac{h^3 - 0}{h} = h^2$: positive for
every $h \neq 0$, from either side, and it shrinks to $f'(0) = 0$. Both secants tilt upwards,
because $x^3$ is increasing; only in the limit do they lie flat. A zero derivative does not
mean a minimum or a maximum: $x^3$ has neither at 0.""",
        prompt=r"Before you drag: for $f(x) = x^3$ at $a = 0$, what will the secant slope do as "
        r"$|h|$ shrinks, from the right ($h > 0$) and from the left ($h < 0$)?",
        options=(
            "positive on both sides, shrinking to 0",
            "positive from the right, negative from the left",
            "exactly 0 for every h",
            "it grows without bound",
        ),
        answer=0,
        feedback=(
            "Yes: the slope is h², positive for both signs of h, and it shrinks to f′(0) = 0.",
            "That is what |x| would do (+1 and −1). For x³ the slope is h³/h = h², which is "
            "positive for negative h too: the curve rises on both sides of 0.",
            "Only the limit is 0. For any h ≠ 0 the secant joins (0, 0) to (h, h³), which is "
            "not flat: its slope is h².",
            "That happens for x^(1/3), whose graph stands vertical at 0. For x³ the slope is h², "
            "which gets smaller, not larger, as h shrinks.",
        ),
    ),
    ClassifyExercise(
        key="ch02.classify-at-zero",
        hint="",
        solution=r"""Look at the one-sided secant slopes at 0, $\frac{f(h) - f(0)}{h}$:

- $x^3$: $h^2 \to 0$ from both sides, so $f'(0) = 0$ exists: **differentiable**.
- $|x|$: exactly $+1$ for $h > 0$ and $-1$ for $h < 0$: finite one-sided derivatives that
  differ, a **corner**. ReLU is the same with slopes $1$ and $0$: a **corner**.
- $x^{2/3}$: $h^{2/3}/h = \operatorname{sign}(h)\,|h|^{-1/3}$, running off to $+\infty$ on the right and
  $-\infty$ on the left: a **cusp**.
- $x^{1/3}$: $h^{1/3}/h = |h|^{-2/3} \to +\infty$ from both sides: the graph stands upright, a
  **vertical tangent**. The limit is not finite, so there is no derivative.""",
        prompt="What happens at x = 0? Choose a label for each function, then press Check.",
        labels=("differentiable", "corner", "cusp", "vertical tangent"),
        items={
            "x³": "differentiable",
            "|x|": "corner",
            "ReLU(x)": "corner",
            "x^(2/3)": "cusp",
            "x^(1/3)": "vertical tangent",
        },
        why={
            "x³": "Its secant slopes h² tend to 0 from both sides: f′(0) = 0 exists (flat, not "
            "broken).",
            "|x|": "Its secant slopes are exactly +1 on the right and −1 on the left: two finite "
            "one-sided derivatives that differ.",
            "ReLU(x)": "Its secant slopes are 1 on the right and 0 on the left: finite and "
            "different, like |x|.",
            "x^(2/3)": "Its secant slopes ±|h|^(−1/3) run off to +∞ on the right and −∞ on the "
            "left: the two sides point straight up into a sharp tip.",
            "x^(1/3)": "Its secant slopes |h|^(−2/3) grow to +∞ from both sides: same sign, so "
            "the graph stands vertical rather than folding into a tip.",
        },
    ),
    NumberExercise(
        key="ch02.nudge",
        hint="Use ΔL ≈ L′(w)·Δw with Δw = 0.01: L(1.01) ≈ L(1) + L′(1)·0.01. The slope is "
        "negative, so the loss goes down.",
        solution=rf"""The tangent model says $L(1 + \Delta w) \approx L(1) + L'(1)\,\Delta w$:

$$L(1.01) \approx {_L1:.6f} + ({_DL1:.6f})(0.01) = {_L1 + _DL1 * _NUDGE:.6f}.$$

The exact value is $L(1.01) = {float(slope_loss(1 + _NUDGE)):.6f}$: the estimate is off by about
$1.6 \times 10^{{-4}}$, which is $\frac{{L''(1)}}{{2}}(0.01)^2$, the size of the first term the
tangent leaves out. A nudge of $0.01$ in $w$ changes the loss by about $0.01 \cdot L'(1)$: the
derivative is the exchange rate between the two.""",
        answer=_L1 + _DL1 * _NUDGE,
        rtol=5e-5,
        slips={
            float(slope_loss(1 + _NUDGE)): "That is the exact L(1.01), computed from the data; "
            "the question asks for the tangent's estimate L(1) + L′(1)·0.01.",
            _L1 - _DL1 * _NUDGE: "The sign is off: L′(1) is negative, so a step to the right "
            "lowers the loss. Add L′(1)·Δw, do not subtract it.",
            _L1 + _DL1: "Multiply the slope by the nudge Δw = 0.01 before adding it.",
        },
    ),
    FunctionExercise(
        key="ch02.loss-slope",
        hint="Outer function: the square, with derivative 2·(inner). Inner: w·x − y, with "
        "derivative x in w. Multiply them for each flat, then average: np.mean(...).",
        solution=r"""For one flat the loss is $(w x_i - y_i)^2$: the outer function squares, the inner
one is $w x_i - y_i$, whose derivative in $w$ is $x_i$. The chain rule gives
$2(w x_i - y_i)\cdot x_i$, and the derivative of a mean is the mean of the derivatives:

$$L'(w) = \frac{1}{n}\sum_i 2x_i\,(w x_i - y_i).$$

With NumPy arrays the sum over the flats is one vectorised line.""",
        name="loss_slope",
        cases=(
            Case((1.0, AREA, RENT), _DL1),
            Case((0.0, np.array([1.0, 2.0]), np.array([1.0, 1.0])), -3.0),
            Case((2.0, np.array([1.0, 2.0]), np.array([1.0, 1.0])), 7.0),
            Case((_W_STAR, AREA, RENT), _running_slope(_W_STAR, AREA, RENT), atol=1e-9),
            Case((-0.5, AREA, RENT), _running_slope(-0.5, AREA, RENT)),
        ),
        solution_code="""import numpy as np


def loss_slope(w, x, y):
    return np.mean(2 * x * (w * x - y))
""",
    ),
)
