"""The secant-to-tangent demo of chapter 2.

Pick a function and a point ``a``, then shrink the step ``h``: the secant through
``(a, f(a))`` and ``(a + h, f(a + h))`` turns into the tangent at ``a`` and its slope into
``f'(a)``. The step has a side toggle (from the right, from the left, or both secants at once) and
a logarithmic slider for its size, so ``h`` reaches ``±1e-10`` from the keyboard in a few presses.
At a corner (``|x|`` at 0) the two one-sided secants settle on different slopes, +1 and -1; at a
cusp (``x^(2/3)``) or a vertical tangent (``x^(1/3)``) their slopes grow without bound. Either way
the derivative does not exist there, and the readout says which failure it is.

With "explain the gap" on, the readout splits the gap between the secant slope and ``f'(a)``
exactly into truncation (the curve is not straight over ``[a, a + h]``) and rounding (double
precision), using the same secant slope and derivative computed in 50-digit arithmetic, so at
``|h| = 1e-10`` it says that round-off, not the curve, sets the gap.

The numbers and every sentence of the readout come from :func:`secant_reading` and
:func:`describe`, plain functions of (function, a, |h|, side, explain) that the tests sweep.

Usage in a notebook::

    from calcml.widgets.secant import secant_explorer
    secant_explorer("x^2", a=1.0, h=0.5)
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass

import ipywidgets as widgets
import mpmath
import numpy as np

from calcml.figures import COLORS, new_figure
from calcml.widgets.base import FigureApp, log_slider

#: Horizontal extent of the plot; ``a`` lives in [-2, 2] and ``|h|`` is at most 1.
X_RANGE = (-3.1, 3.1)
#: The slider's grid: ``a`` is rounded to it, so 0.05 · 40 − 2 is exactly the kink at 0.
A_STEP = 0.05
#: Values of the side control: +1 from the right, -1 from the left, 0 both secants at once.
RIGHT, LEFT, BOTH = 1, -1, 0
#: Below this relative size, |f(a+h) − f(a)| counts as a cancellation of leading digits.
CANCELLATION = 1e-3
#: Printed under the static table of secant slopes.
TABLE_NOTE = (
    "larger part: curve when the curve's bending between a and a+h (truncation) outweighs the "
    "16-digit rounding, rounding when it is the other way round, neither when both are below "
    "1e-14 (the slope matches f′(a), or at a corner the one-sided derivative), no limit where "
    "the secant slopes grow without bound"
)


def _cbrt_mp(x):
    """The real cube root, also of negative numbers (mpmath's ``cbrt`` is the complex one)."""
    return mpmath.sign(x) * mpmath.cbrt(abs(x))


@dataclass(frozen=True)
class DemoFunction:
    """A function of the demo with its exact derivative and a pleasant vertical range.

    ``kind_at_zero`` says what happens at 0 where the function is not differentiable:
    ``"corner"`` (one-sided derivatives finite and different), ``"cusp"`` (one-sided secant
    slopes run off to +∞ and −∞) or ``"vertical"`` (both run off to +∞).
    """

    key: str
    label: str
    f: Callable[[np.ndarray], np.ndarray]
    df: Callable[[float], float]
    y_range: tuple[float, float]
    #: the function and its derivative on ``mpmath`` numbers, to compute without rounding
    exact: Callable
    exact_df: Callable
    kind_at_zero: str | None = None

    def kind(self, a: float) -> str:
        """``"smooth"`` where f′(a) exists, else the kind of failure at 0."""
        return self.kind_at_zero if (self.kind_at_zero and a == 0.0) else "smooth"

    def derivative(self, a: float) -> float | None:
        """``f'(a)``, or ``None`` where the derivative does not exist."""
        return float(self.df(a)) if self.kind(a) == "smooth" else None

    def one_sided(self, a: float) -> tuple[float, float]:
        """Left and right derivatives at ``a`` (equal wherever ``f`` is differentiable; ±inf for
        the secant slopes that grow without bound)."""
        kind = self.kind(a)
        if kind == "corner":
            return -1.0, 1.0
        if kind == "cusp":
            return -math.inf, math.inf
        if kind == "vertical":
            return math.inf, math.inf
        d = float(self.df(a))
        return d, d

    def exact_secant_slope(self, a: float, h: float) -> float:
        """The secant slope of the floats ``a`` and ``h`` in 50-digit arithmetic: no rounding."""
        with mpmath.workdps(50):
            return float(self._exact_secant(a, h))

    def _exact_secant(self, a: float, h: float):
        a_mp, h_mp = mpmath.mpf(a), mpmath.mpf(h)
        return (self.exact(a_mp + h_mp) - self.exact(a_mp)) / h_mp

    def gap_parts(self, a: float, h: float, secant: float, target: float) -> tuple[float, float]:
        """``(truncation, rounding)`` with ``secant − target = truncation + rounding``.

        Truncation is the exact secant slope minus the exact derivative (``target`` itself at a
        corner), rounding the double-precision slope minus the exact one; both differences are
        taken in 50 digits and rounded once.
        """
        with mpmath.workdps(50):
            exact = self._exact_secant(a, h)
            goal = self.exact_df(mpmath.mpf(a)) if self.kind(a) == "smooth" else mpmath.mpf(target)
            return float(exact - goal), float(mpmath.mpf(secant) - exact)


FUNCTIONS: dict[str, DemoFunction] = {
    f.key: f
    for f in [
        DemoFunction(
            "x^2", "x²", np.square, lambda a: 2.0 * a, (-1.5, 9.5), lambda x: x * x, lambda x: 2 * x
        ),
        DemoFunction(
            "x^3",
            "x³",
            lambda x: np.power(x, 3),
            lambda a: 3.0 * a * a,
            (-9.0, 9.0),
            lambda x: x**3,
            lambda x: 3 * x**2,
        ),
        DemoFunction("sin", "sin x", np.sin, math.cos, (-1.8, 1.8), mpmath.sin, mpmath.cos),
        DemoFunction("exp", "eˣ", np.exp, math.exp, (-1.0, 9.0), mpmath.exp, mpmath.exp),
        DemoFunction(
            "abs",
            "|x|",
            np.abs,
            lambda a: math.copysign(1.0, a),
            (-0.8, 3.3),
            mpmath.fabs,
            mpmath.sign,
            "corner",
        ),
        DemoFunction(
            "cbrt",
            "x^(1/3)",
            np.cbrt,
            lambda a: abs(a) ** (-2.0 / 3.0) / 3.0,
            (-2.0, 2.0),
            _cbrt_mp,
            lambda x: abs(x) ** (mpmath.mpf(-2) / 3) / 3,
            "vertical",
        ),
        DemoFunction(
            "x^(2/3)",
            "x^(2/3)",
            lambda x: np.cbrt(x) ** 2,
            lambda a: math.copysign(2.0 / 3.0 * abs(a) ** (-1.0 / 3.0), a),
            (-0.8, 2.6),
            lambda x: _cbrt_mp(x) ** 2,
            lambda x: mpmath.sign(x) * 2 * abs(x) ** (mpmath.mpf(-1) / 3) / 3,
            "cusp",
        ),
    ]
}

#: Figure titles in mathtext where the plain label uses a caret.
TITLE_LABELS = {"cbrt": "$x^{1/3}$", "x^(2/3)": "$x^{2/3}$"}

FAILURE_WORDS = {
    "corner": "a corner",
    "cusp": "a cusp",
    "vertical": "a vertical tangent",
}


def _secant_slope(f: Callable, a: float, h: float) -> float:
    """(f(a + h) - f(a)) / h, evaluated in floating point as a learner would."""
    if h == 0:
        raise ValueError("the step h must not be 0: the secant needs two distinct points")
    return float((f(a + h) - f(a)) / h)


def snap_a(a: float) -> float:
    """``a`` on the slider's grid (multiples of 0.05, to 10 decimals): 5.6e-17 becomes 0."""
    return round(round(float(a) / A_STEP) * A_STEP, 10) + 0.0


def secant_table(function: str, a: float, steps=None) -> list[tuple[float, float, float | None]]:
    """Rows ``(h, secant slope, |slope - f'(a)|)`` for shrinking steps of both signs.

    The gap is ``None`` where ``f'(a)`` does not exist.
    """
    spec = _lookup(function)
    if steps is None:
        steps = [s * 10.0**-k for k in (1, 2, 3, 4, 6, 8, 10) for s in (1, -1)]
    exact = spec.derivative(a)
    rows = []
    for h in steps:
        slope = _secant_slope(spec.f, a, h)
        rows.append((float(h), slope, None if exact is None else abs(slope - exact)))
    return rows


def _lookup(function: str) -> DemoFunction:
    try:
        return FUNCTIONS[function]
    except KeyError:
        known = ", ".join(repr(k) for k in FUNCTIONS)
        raise ValueError(f"unknown function {function!r}: choose one of {known}") from None


# -- the numbers and the sentences ------------------------------------------------------------


@dataclass(frozen=True)
class SideReading:
    """The secant on one side: step ``h`` (signed), its slope, and what it should tend to."""

    h: float
    slope: float
    target: float  # f′(a), or the one-sided derivative (±inf where the slopes blow up)
    truncation: float  # nan where the target is infinite
    rounding: float
    fa: float
    fah: float


@dataclass(frozen=True)
class SecantReading:
    """Everything the readout and the picture say, for one setting of the controls."""

    spec: DemoFunction
    a: float
    size: float
    side: int
    kind: str  # "smooth", "corner", "cusp", "vertical"
    derivative: float | None
    left_derivative: float
    right_derivative: float
    right: SideReading
    left: SideReading

    @property
    def main(self) -> SideReading:
        """The secant of a one-sided setting (the right one when both are shown)."""
        return self.left if self.side == LEFT else self.right


def _side(spec: DemoFunction, a: float, h: float, target: float) -> SideReading:
    slope = _secant_slope(spec.f, a, h)
    if math.isfinite(target):
        truncation, rounding = spec.gap_parts(a, h, slope, target)
    else:
        truncation, rounding = math.nan, slope - spec.exact_secant_slope(a, h)
    return SideReading(
        h, slope, target, truncation, rounding, float(spec.f(a)), float(spec.f(a + h))
    )


def secant_reading(function: str, a: float, size: float, side: int = RIGHT) -> SecantReading:
    """The secant slopes at ``a`` for the steps ``+size`` and ``−size`` and their targets."""
    spec = _lookup(function)
    if side not in (RIGHT, LEFT, BOTH):
        raise ValueError(f"side must be +1 (right), -1 (left) or 0 (both), got {side!r}")
    if not 1e-10 * (1 - 1e-9) <= size <= 1.0:
        raise ValueError(f"the step size |h| must lie in [1e-10, 1], got {size}")
    a = snap_a(a)
    left_d, right_d = spec.one_sided(a)
    return SecantReading(
        spec,
        a,
        float(size),
        side,
        spec.kind(a),
        spec.derivative(a),
        left_d,
        right_d,
        _side(spec, a, float(size), right_d),
        _side(spec, a, -float(size), left_d),
    )


def _fmt(value: float, digits: int = 10) -> str:
    if math.isinf(value):
        return "+∞" if value > 0 else "−∞"
    return f"{value + 0.0:+.{digits}f}"  # + 0.0 turns -0.0 into 0.0


def _short(value: float) -> str:
    if math.isinf(value):
        return "+∞" if value > 0 else "−∞"
    return f"{value + 0.0:+g}"


def tolerance(target: float) -> float:
    """Below this size both parts of the gap count as nothing: the slopes agree."""
    return 1e-14 * max(1.0, abs(target))


def cancelled_digits(fa: float, fah: float) -> int:
    """About how many leading digits f(a+h) and f(a) share: −log10 of their relative difference,
    rounded (0 if that difference is not small)."""
    scale = max(abs(fa), abs(fah))
    if scale == 0:
        return 0
    relative = abs(fah - fa) / scale
    if relative >= CANCELLATION:
        return 0
    return 16 if relative == 0 else min(16, round(-math.log10(relative)))


def gap_verdict(s: SideReading, name: str) -> str:
    """One sentence on where the gap between the secant slope and ``name`` comes from."""
    t, r = s.truncation, s.rounding
    tol = tolerance(s.target)
    if max(abs(t), abs(r)) <= tol:
        return f"secant slope and {name} agree to within {tol:.0e}"
    if t == 0:
        return "the curve is straight between a and a+h: all of the gap is rounding"
    if abs(r) > abs(t):
        digits = cancelled_digits(s.fa, s.fah)
        why = (
            f"f(a+h) and f(a) agree in about {digits} of their 16 digits and the subtraction cancels "
            "them, so what is left is mostly rounding noise"
            if digits
            else "the 16-digit rounding of f(a+h), f(a) and of the division outweighs the "
            "bending of the curve"
        )
        return f"rounding dominates: {why}"
    return (
        "truncation dominates: the gap comes from the curve bending between a and a+h, a part "
        "that tends to 0 as h → 0"
    )


def _failure_sentence(reading: SecantReading) -> str:
    kind, label = reading.kind, reading.spec.label
    if kind == "corner":
        return (
            f"f′(a) does not exist: {FAILURE_WORDS[kind]} (left derivative "
            f"{_short(reading.left_derivative)}, right derivative {_short(reading.right_derivative)})"
        )
    if kind == "vertical":
        slopes = "|h|^(−2/3) from both sides, which grows without bound (to +∞) as h → 0"
    else:
        slopes = (
            "+|h|^(−1/3) from the right and −|h|^(−1/3) from the left, which run off to +∞ "
            "and −∞ as h → 0"
        )
    return f"f′(a) does not exist: {FAILURE_WORDS[kind]}. For {label} at 0 the secant slope is {slopes}"


def describe(reading: SecantReading, explain: bool = False) -> str:
    """The readout: secant slope(s), f′(a), the gap; with ``explain``, where the gap comes from."""
    spec, a, size = reading.spec, reading.a, reading.size
    if reading.side == BOTH:
        lines = [
            f"f(x) = {spec.label},  a = {a:.2f},  |h| = {size:.1e},  both sides at once",
            f"right secant slope  (f(a+|h|) − f(a))/|h|    = {_fmt(reading.right.slope)}",
            f"left secant slope   (f(a−|h|) − f(a))/(−|h|) = {_fmt(reading.left.slope)}",
            f"right − left = {reading.right.slope - reading.left.slope + 0.0:+.1e}",
        ]
        if reading.kind == "smooth":
            d = reading.derivative
            lines.append(
                f"derivative f′(a) = {_fmt(d)}: both slopes tend to it as |h| → 0 (gaps "
                f"{abs(reading.right.slope - d):.1e} right, {abs(reading.left.slope - d):.1e} left)"
            )
        elif reading.kind == "corner":
            lines.append(
                _failure_sentence(reading) + ": the two secants stay apart however small |h| is"
            )
        else:
            lines.append(_failure_sentence(reading))
        if explain and reading.kind in ("smooth", "corner"):
            for side_name, s in (("right", reading.right), ("left", reading.left)):
                lines.append(
                    f"  {side_name}: truncation {s.truncation + 0.0:+.1e}, rounding "
                    f"{s.rounding + 0.0:+.1e} → {gap_verdict(s, 'the target')}"
                )
        return "\n".join(lines)

    s = reading.main
    where = "from the right" if reading.side == RIGHT else "from the left"
    lines = [
        f"f(x) = {spec.label},  a = {a:.2f},  h = {s.h:+.1e} ({where})",
        f"secant slope  (f(a+h) − f(a))/h = {_fmt(s.slope)}",
    ]
    if reading.kind == "smooth":
        name = "f′(a)"
        lines += [
            f"derivative    f′(a)             = {_fmt(reading.derivative)}",
            f"gap           |secant − f′(a)|  = {abs(s.slope - s.target):.1e}",
        ]
    elif reading.kind == "corner":
        name = f"{'right' if reading.side == RIGHT else 'left'} derivative"
        lines += [
            f"derivative    {_failure_sentence(reading)}",
            f"gap           |secant − {name}| = {abs(s.slope - s.target):.1e}",
        ]
    else:
        lines.append(f"derivative    {_failure_sentence(reading)}")
        return "\n".join(lines)
    if explain:
        lines += [
            f"  secant − {name} = truncation + rounding:",
            f"  truncation  {s.truncation + 0.0:+.1e}  (the curve is not straight over [a, a+h])",
            f"  rounding    {s.rounding + 0.0:+.1e}  (16-digit arithmetic)",
            f"→ {gap_verdict(s, name)}",
        ]
    return "\n".join(lines)


def _window_containing(y_range: tuple[float, float], *ys: float) -> tuple[float, float]:
    """``y_range``, stretched to show every ``y``.

    The stretch comes in steps of half the usual height, so that dragging a slider redraws the
    axes (slow) only when a step is crossed, not on every move (fast blitting).
    """
    lo, hi = y_range
    quantum = 0.5 * (hi - lo)
    low, high = min(ys), max(ys)
    if low < lo:
        lo -= quantum * math.ceil((lo - low) / quantum + 0.1)
    if high > hi:
        hi += quantum * math.ceil((high - hi) / quantum + 0.1)
    return (float(lo), float(hi))


class SecantExplorer(FigureApp):
    """Curve, secant(s) and tangent of a chosen function, with a live text readout.

    Controls (attributes): ``function`` (ToggleButtons), ``a`` (FloatSlider), ``h_sign``
    (ToggleButtons: +1 from the right, -1 from the left, 0 both at once), ``h_size`` (log slider
    for ``|h|``) and ``explain`` (Checkbox: split the gap into truncation and rounding). The
    current step is ``self.h`` (``+|h|`` when both sides are shown). After every update
    ``reading`` (a :class:`SecantReading`), ``secant_slope``, ``exact_slope``, ``tangent_slope``
    (``None`` where there is no derivative), ``left_slope``/``right_slope`` and the plotted lines
    ``secant_line``, ``left_secant_line``, ``tangent_line`` are up to date.
    """

    def __init__(
        self,
        function: str = "x^2",
        a: float = 1.0,
        h: float = 0.5,
        both: bool = False,
        explain: bool = False,
    ):
        spec = _lookup(function)
        if not -2.0 <= a <= 2.0:
            raise ValueError(f"the point a must lie in [-2, 2], got {a}")
        if h == 0 or not 1e-10 <= abs(h) <= 1.0:
            raise ValueError(f"the step h must satisfy 1e-10 <= |h| <= 1, got {h}")

        self.function = widgets.ToggleButtons(
            options=[(FUNCTIONS[k].label, k) for k in FUNCTIONS],
            value=spec.key,
            description="f(x) =",
            tooltips=[f"f(x) = {FUNCTIONS[k].label}" for k in FUNCTIONS],
            style={"button_width": "64px"},
        )
        self.a = widgets.FloatSlider(
            value=a,
            min=-2.0,
            max=2.0,
            step=A_STEP,
            description="point a",
            continuous_update=True,
            readout_format=".2f",
            style={"description_width": "initial"},
        )
        self.h_sign = widgets.ToggleButtons(
            options=[
                ("h > 0 (from the right)", RIGHT),
                ("h < 0 (from the left)", LEFT),
                ("both sides at once", BOTH),
            ],
            value=BOTH if both else (RIGHT if h > 0 else LEFT),
            description="side",
            style={"description_width": "initial", "button_width": "160px"},
        )
        self.h_size = log_slider("size |h|", abs(h), -10, 0, step=0.25)
        self.explain = widgets.Checkbox(
            value=explain,
            description="explain the gap (truncation and rounding)",
            indent=False,
        )

        fig = new_figure(6.8, 3.5, dpi=96)
        fig.set_layout_engine("none")  # fixed positions: the texts beside the plot never move it
        ax = fig.axes[0]
        ax.set_position([0.1, 0.13, 0.54, 0.77])
        self.ax = ax
        self._xs = np.linspace(*X_RANGE, 801)
        (self.curve_line,) = ax.plot([], [], color=COLORS["curve"], lw=2, label="f(x)")
        (self.secant_line,) = ax.plot(
            [], [], color=COLORS["secant"], lw=1.8, label="secant from the right"
        )
        (self.left_secant_line,) = ax.plot(
            [], [], color=COLORS["accent"], lw=1.8, ls="-.", label="secant from the left"
        )
        (self.tangent_line,) = ax.plot(
            [], [], color=COLORS["tangent"], lw=1.6, ls="--", label="tangent at a"
        )
        (self.rise_run,) = ax.plot([], [], color="0.35", lw=1, ls=":")
        (self.points,) = ax.plot([], [], "o", color=COLORS["point"], ms=5, zorder=5)
        self.run_label = ax.text(0, 0, "", fontsize=8, ha="center", va="top", color="0.25")
        self.rise_label = ax.text(0, 0, "", fontsize=8, ha="left", va="center", color="0.25")
        self.point_labels = [
            ax.text(0, 0, "", fontsize=8, ha="center", va="bottom", color="0.1") for _ in range(3)
        ]
        self.slope_text = fig.text(0.66, 0.50, "", va="top", ha="left", fontsize=8.5)
        ax.set_xlim(*X_RANGE)
        ax.axhline(0, color="black", lw=0.6)
        ax.axvline(0, color="black", lw=0.6)
        ax.grid(True, alpha=0.3)
        ax.set_xlabel("x")
        ax.set_ylabel("f(x)")
        fig.legend(loc="upper left", bbox_to_anchor=(0.65, 0.92), fontsize=8, frameon=False)
        self._drawn_function = None
        self._ylim: tuple[float, float] | None = None
        self.reading: SecantReading | None = None
        self.secant_slope = self.exact_slope = math.nan
        self.tangent_slope: float | None = None
        self.left_slope = self.right_slope = math.nan

        super().__init__(
            fig,
            controls=[self.function, self.a, self.h_sign, self.h_size, self.explain],
            dynamic_artists=[
                self.secant_line,
                self.left_secant_line,
                self.tangent_line,
                self.rise_run,
                self.points,
                self.run_label,
                self.rise_label,
                *self.point_labels,
                self.slope_text,
            ],
            title="From secant to tangent",
            caption=(
                "The curve of the chosen function, the secant line through (a, f(a)) and "
                "(a+h, f(a+h)) (two secants, one from each side, when both sides are shown) and "
                "the tangent line at a; the readout gives the slopes."
            ),
        )

    # -- the state ---------------------------------------------------------------------------
    @property
    def spec(self) -> DemoFunction:
        return FUNCTIONS[self.function.value]

    @property
    def h(self) -> float:
        """The signed step: ``+|h|`` from the right (and when both sides are shown), else ``−|h|``."""
        return (-1.0 if self.h_sign.value == LEFT else 1.0) * float(self.h_size.value)

    def set_h(self, h: float) -> None:
        """Set side and size of the step at once (one redraw per control that changes)."""
        if h == 0:
            raise ValueError("the step h must not be 0")
        self.h_sign.value = RIGHT if h > 0 else LEFT
        self.h_size.value = abs(h)

    # -- FigureApp hooks ---------------------------------------------------------------------
    def update_figure(self) -> bool:
        spec = self.spec
        reading = secant_reading(
            spec.key, float(self.a.value), float(self.h_size.value), self.h_sign.value
        )
        self.reading = reading
        a, s = reading.a, reading.main
        full = self._drawn_function != spec.key
        if full:
            self.curve_line.set_data(self._xs, spec.f(self._xs))
            self.ax.set_title(
                f"Secant and tangent of f(x) = {TITLE_LABELS.get(spec.key, spec.label)}"
            )
            self._drawn_function = spec.key

        both = reading.side == BOTH
        shown = [reading.right, reading.left] if both else [s]
        # keep the second points (a ± h, f(a ± h)) in view: e^3 or (-3)^3 leave the usual window
        ylim = _window_containing(spec.y_range, *(side.fah for side in shown))
        if ylim != self._ylim:
            self.ax.set_ylim(*ylim)
            self._ylim = ylim
            full = True
        self.secant_slope = s.slope
        self.exact_slope = spec.exact_secant_slope(a, s.h)
        self.tangent_slope = reading.derivative
        self.left_slope, self.right_slope = reading.left_derivative, reading.right_derivative

        x0, x1 = X_RANGE
        fa = s.fa

        def line(slope):
            return [x0, x1], [fa + slope * (x0 - a), fa + slope * (x1 - a)]

        # colours keep their meaning: orange is always the right secant, pink the left one
        right_shown = reading.side in (RIGHT, BOTH)
        left_shown = reading.side in (LEFT, BOTH)
        self.secant_line.set_data(*(line(reading.right.slope) if right_shown else ([], [])))
        self.left_secant_line.set_data(*(line(reading.left.slope) if left_shown else ([], [])))
        if reading.kind == "smooth":
            self.tangent_line.set_data(*line(reading.derivative))
        elif reading.kind == "corner":  # no tangent: the one-sided "tangents" are the arms
            self.tangent_line.set_data([], [])
        else:  # cusp or vertical tangent: the tangent line stands upright
            self.tangent_line.set_data([a, a], list(ylim))

        xs, ys = [], []
        for side in shown:
            xs += [a, a + side.h, a + side.h, math.nan]
            ys += [fa, fa, side.fah, math.nan]
        self.rise_run.set_data(xs, ys)
        self.points.set_data(
            [a] + [a + side.h for side in shown], [fa] + [side.fah for side in shown]
        )
        self._label_step(reading, shown, ylim)

        if reading.kind == "smooth":
            tangent_text = f"f′(a) = {reading.derivative:.10g}"
        else:
            tangent_text = f"f′(a) does not exist:\n{FAILURE_WORDS[reading.kind]} at 0"
        if both:
            slopes = (
                f"right secant slope = {reading.right.slope:.10g}\n"
                f"left secant slope = {reading.left.slope:.10g}"
            )
        else:
            slopes = f"secant slope = {s.slope:.10g}"
        self.slope_text.set_text(f"{slopes}\n{tangent_text}")
        return full

    def _label_step(self, reading: SecantReading, shown, ylim) -> None:
        """Name the points and the run and rise of the (right) secant when they are big enough."""
        a, s = reading.a, shown[0]
        height = ylim[1] - ylim[0]
        visible = abs(s.h) >= 0.4
        names = ["a", "a+h" if reading.side != BOTH else "a+|h|", "a−|h|"]
        spots = [(a, s.fa)] + [(a + side.h, side.fah) for side in shown]
        for label, name, spot in zip(self.point_labels, names, spots + [None] * 3, strict=False):
            if spot is None or not visible:
                label.set_text("")
                continue
            label.set_position((spot[0], spot[1] + 0.03 * height))
            label.set_text(name)
        if visible:
            self.run_label.set_position((a + s.h / 2, s.fa - 0.02 * height))
            self.run_label.set_text("h" if reading.side != BOTH else "|h|")
            self.rise_label.set_position((a + s.h + 0.05, (s.fa + s.fah) / 2))
            self.rise_label.set_text("f(a+h) − f(a)" if abs(s.fah - s.fa) > 0.08 * height else "")
        else:
            self.run_label.set_text("")
            self.rise_label.set_text("")

    def readout(self) -> str:
        return describe(self.reading, bool(self.explain.value))

    # -- without a widget front end ----------------------------------------------------------
    def table_rows(self) -> list[tuple[float, float, float | None]]:
        return secant_table(self.spec.key, snap_a(self.a.value))

    def _parts(self, h: float) -> tuple[float, float] | None:
        """``(|truncation|, |rounding|)`` of the gap at step ``h``, or None where the slopes blow up."""
        spec, a = self.spec, snap_a(self.a.value)
        left, right = spec.one_sided(a)
        target = right if h > 0 else left
        if not math.isfinite(target):
            return None
        truncation, rounding = spec.gap_parts(a, h, _secant_slope(spec.f, a, h), target)
        return abs(truncation), abs(rounding)

    def _cause(self, h: float) -> str:
        """Which part of the gap is larger at step ``h``: "curve" (truncation), "rounding",
        "neither", or "no limit" where the secant slopes blow up."""
        parts = self._parts(h)
        if parts is None:
            return "no limit"
        spec, a = self.spec, snap_a(self.a.value)
        left, right = spec.one_sided(a)
        if max(parts) <= tolerance(right if h > 0 else left):
            return "neither"
        return "rounding" if parts[1] > parts[0] else "curve"

    def _table(self) -> list[tuple[str, ...]]:
        rows = []
        for h, slope, gap in self.table_rows():
            parts = self._parts(h)
            rows.append(
                (
                    f"{h:+.0e}",
                    f"{slope:.10f}",
                    "f′(a) n/a" if gap is None else f"{gap:.1e}",
                    "–" if parts is None else f"{parts[0]:.1e}",
                    "–" if parts is None else f"{parts[1]:.1e}",
                    self._cause(h),
                )
            )
        return rows

    HEADERS = ("h", "secant slope", "gap to f′(a)", "|truncation|", "|rounding|", "larger part")

    def table_text(self) -> str:
        """The secant slopes for shrinking h at the current a, as a plain-text table."""
        spec, a = self.spec, snap_a(self.a.value)
        widths = (10, 16, 12, 12, 10, 11)
        lines = [
            f"Secant slopes of f(x) = {spec.label} at a = {a:.2f}",
            "  ".join(f"{head:>{w}}" for head, w in zip(self.HEADERS, widths, strict=True)),
        ]
        for row in self._table():
            lines.append("  ".join(f"{cell:>{w}}" for cell, w in zip(row, widths, strict=True)))
        lines.append(TABLE_NOTE)
        return "\n".join(lines)

    def static_extra_html(self) -> str:
        """The table of :meth:`table_text` as an HTML table (readable without a monospace font)."""
        spec, a = self.spec, snap_a(self.a.value)
        cell = 'style="padding:0 0.8em;text-align:right;font-family:monospace"'
        rows = "".join(
            "<tr>" + "".join(f"<td {cell}>{html.escape(c)}</td>" for c in row) + "</tr>"
            for row in self._table()
        )
        head = "".join(f"<th>{html.escape(h)}</th>" for h in self.HEADERS)
        return (
            '<table class="calcml-secant-table">'
            f"<caption>Secant slopes of f(x) = {html.escape(spec.label)} at a = {a:.2f}</caption>"
            f"<thead><tr>{head}</tr></thead>"
            f"<tbody>{rows}</tbody></table><p>{html.escape(TABLE_NOTE)}</p>"
        )

    def _repr_mimebundle_(self, **kwargs):
        data = super()._repr_mimebundle_(**kwargs)
        data["text/plain"] = data["text/plain"] + "\n\n" + self.table_text()
        return data


def secant_explorer(
    function: str = "x^2", a: float = 1.0, h: float = 0.5, both: bool = False, explain: bool = False
) -> SecantExplorer:
    """The secant-to-tangent demo. ``function`` is one of ``x^2, x^3, sin, exp, abs, cbrt,
    x^(2/3)``; ``both`` shows the secants from both sides at once; ``explain`` splits the gap
    into truncation and rounding."""
    return SecantExplorer(function=function, a=a, h=h, both=both, explain=explain)
