"""The secant-to-tangent demo of chapter 2.

Pick a function and a point ``a``, then shrink the step ``h``: the secant through
``(a, f(a))`` and ``(a + h, f(a + h))`` turns into the tangent at ``a`` and its slope into
``f'(a)``. The step has a sign toggle and a logarithmic slider for its size, so ``h`` reaches
``±1e-10`` from the keyboard in a few presses. For ``|x|`` at ``0`` the secants from the right and
from the left settle on different slopes (+1 and -1): the derivative does not exist there.

The readout splits the gap between the secant slope and ``f'(a)`` exactly into truncation (the
curve is not straight over ``[a, a + h]``) and rounding (double precision), using the same secant
slope computed in 50-digit arithmetic, so at ``|h| = 1e-10`` it says that round-off, not the
curve, sets the gap.

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

from calcml.figures import COLORS, label_axes, new_figure
from calcml.widgets.base import FigureApp, log_slider

#: Horizontal extent of the plot; ``a`` lives in [-2, 2] and ``|h|`` is at most 1.
X_RANGE = (-3.1, 3.1)
#: Below this distance from a kink, ``a`` counts as sitting on it (slider values are floats).
KINK_TOLERANCE = 1e-9
#: Printed under the static table of secant slopes.
TABLE_NOTE = (
    "curve: the curve bends between a and a+h (truncation, shrinks with |h|); rounding: "
    "16-digit arithmetic cancels the leading digits of f(a+h) − f(a) (grows as |h| shrinks); "
    "neither: the slope matches f′(a), or at a kink the one-sided derivative, to within 1e-14"
)


@dataclass(frozen=True)
class DemoFunction:
    """A function of the demo with its exact derivative and a pleasant vertical range."""

    key: str
    label: str
    f: Callable[[np.ndarray], np.ndarray]
    df: Callable[[float], float]
    y_range: tuple[float, float]
    #: the same function on ``mpmath`` numbers, to compute secant slopes without rounding
    exact: Callable = None
    kinks: tuple[float, ...] = ()

    def derivative(self, a: float) -> float | None:
        """``f'(a)``, or ``None`` where the derivative does not exist."""
        if any(abs(a - k) < KINK_TOLERANCE for k in self.kinks):
            return None
        return float(self.df(a))

    def one_sided(self, a: float) -> tuple[float, float]:
        """Left and right derivatives at ``a`` (equal wherever ``f`` is differentiable)."""
        if self.key == "abs" and abs(a) < KINK_TOLERANCE:
            return -1.0, 1.0
        d = float(self.df(a))
        return d, d

    def exact_secant_slope(self, a: float, h: float) -> float:
        """The secant slope of the floats ``a`` and ``h`` in 50-digit arithmetic: no rounding.

        Comparing it with the double-precision slope separates the two parts of the gap: the
        curve not being straight over ``[a, a + h]`` (truncation) and 16-digit rounding.
        """
        with mpmath.workdps(50):
            a_mp, h_mp = mpmath.mpf(a), mpmath.mpf(h)
            return float((self.exact(a_mp + h_mp) - self.exact(a_mp)) / h_mp)


FUNCTIONS: dict[str, DemoFunction] = {
    f.key: f
    for f in [
        DemoFunction("x^2", "x²", np.square, lambda a: 2.0 * a, (-1.5, 9.5), lambda x: x * x),
        DemoFunction(
            "x^3",
            "x³",
            lambda x: np.power(x, 3),
            lambda a: 3.0 * a * a,
            (-9.0, 9.0),
            lambda x: x**3,
        ),
        DemoFunction("sin", "sin x", np.sin, math.cos, (-1.8, 1.8), mpmath.sin),
        DemoFunction("exp", "eˣ", np.exp, math.exp, (-1.0, 9.0), mpmath.exp),
        DemoFunction(
            "abs", "|x|", np.abs, lambda a: math.copysign(1.0, a), (-0.8, 3.3), mpmath.fabs, (0.0,)
        ),
    ]
}


def _secant_slope(f: Callable, a: float, h: float) -> float:
    """(f(a + h) - f(a)) / h, evaluated in floating point as a learner would."""
    if h == 0:
        raise ValueError("the step h must not be 0: the secant needs two distinct points")
    return float((f(a + h) - f(a)) / h)


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


def _window_containing(y_range: tuple[float, float], y: float) -> tuple[float, float]:
    """``y_range``, stretched to show ``y``.

    The stretch comes in steps of half the usual height, so that dragging a slider redraws the
    axes (slow) only when a step is crossed, not on every move (fast blitting).
    """
    lo, hi = y_range
    quantum = 0.5 * (hi - lo)
    if y < lo:
        lo -= quantum * math.ceil((lo - y) / quantum + 0.1)
    elif y > hi:
        hi += quantum * math.ceil((y - hi) / quantum + 0.1)
    return (float(lo), float(hi))


def _fmt(value: float, digits: int = 10) -> str:
    return f"{value + 0.0:+.{digits}f}"  # + 0.0 turns -0.0 into 0.0


class SecantExplorer(FigureApp):
    """Curve, secant and tangent of a chosen function, with a live text readout.

    Controls (attributes): ``function`` (ToggleButtons), ``a`` (FloatSlider), ``h_sign``
    (ToggleButtons, +1 or -1) and ``h_size`` (log slider for ``|h|``). The current step is
    ``self.h``. After every update ``secant_slope``, ``exact_slope`` (the same secant slope
    without rounding), ``tangent_slope`` (``None`` where there is no derivative), ``left_slope``/``right_slope`` and the plotted lines ``secant_line``,
    ``tangent_line`` (Matplotlib ``Line2D``) are up to date.
    """

    def __init__(self, function: str = "x^2", a: float = 1.0, h: float = 0.5):
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
            style={"button_width": "56px"},
        )
        self.a = widgets.FloatSlider(
            value=a,
            min=-2.0,
            max=2.0,
            step=0.05,
            description="point a",
            continuous_update=True,
            readout_format=".2f",
            style={"description_width": "initial"},
        )
        self.h_sign = widgets.ToggleButtons(
            options=[("h > 0 (from the right)", 1), ("h < 0 (from the left)", -1)],
            value=1 if h > 0 else -1,
            description="sign of h",
            style={"description_width": "initial", "button_width": "170px"},
        )
        self.h_size = log_slider("size |h|", abs(h), -10, 0, step=0.25)

        fig = new_figure(5.0, 3.4, dpi=96)
        ax = fig.axes[0]
        self.ax = ax
        self._xs = np.linspace(*X_RANGE, 400)
        (self.curve_line,) = ax.plot([], [], color=COLORS["curve"], lw=2, label="f(x)")
        (self.secant_line,) = ax.plot([], [], color=COLORS["secant"], lw=1.6, label="secant")
        (self.tangent_line,) = ax.plot(
            [], [], color=COLORS["tangent"], lw=1.6, ls="--", label="tangent"
        )
        (self.rise_run,) = ax.plot([], [], color=COLORS["muted"], lw=1, ls=":")
        (self.points,) = ax.plot([], [], "o", color=COLORS["point"], ms=5, zorder=5)
        self.slope_text = ax.text(
            0.3,
            0.96,
            "",
            transform=ax.transAxes,
            va="top",
            ha="left",
            fontsize=9,
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85},
        )
        ax.set_xlim(*X_RANGE)
        ax.axhline(0, color="black", lw=0.6)
        ax.axvline(0, color="black", lw=0.6)
        ax.legend(loc="lower right", fontsize=8)
        self._drawn_function = None
        self._ylim: tuple[float, float] | None = None
        self.secant_slope = self.exact_slope = math.nan
        self.tangent_slope: float | None = None
        self.left_slope = self.right_slope = math.nan

        super().__init__(
            fig,
            controls=[self.function, self.a, self.h_sign, self.h_size],
            dynamic_artists=[
                self.secant_line,
                self.tangent_line,
                self.rise_run,
                self.points,
                self.slope_text,
            ],
            title="From secant to tangent",
            caption=(
                "The curve of the chosen function, the secant line through (a, f(a)) and "
                "(a+h, f(a+h)) and the tangent line at a; the readout gives both slopes."
            ),
        )

    # -- the state ---------------------------------------------------------------------------
    @property
    def spec(self) -> DemoFunction:
        return FUNCTIONS[self.function.value]

    @property
    def h(self) -> float:
        """The signed step: ``h_sign * h_size``."""
        return float(self.h_sign.value) * float(self.h_size.value)

    def set_h(self, h: float) -> None:
        """Set sign and size of the step at once (one redraw per control that changes)."""
        if h == 0:
            raise ValueError("the step h must not be 0")
        self.h_sign.value = 1 if h > 0 else -1
        self.h_size.value = abs(h)

    # -- FigureApp hooks ---------------------------------------------------------------------
    def update_figure(self) -> bool:
        spec, a, h = self.spec, float(self.a.value), self.h
        full = self._drawn_function != spec.key
        if full:
            self.curve_line.set_data(self._xs, spec.f(self._xs))
            label_axes(self.ax, f"Secant and tangent of f(x) = {spec.label}", "x", "f(x)")
            self._drawn_function = spec.key

        fa, fah = float(spec.f(a)), float(spec.f(a + h))
        # keep the second point (a + h, f(a + h)) in view: e^3 or (-3)^3 leave the usual window
        ylim = _window_containing(spec.y_range, fah)
        if ylim != self._ylim:
            self.ax.set_ylim(*ylim)
            self._ylim = ylim
            full = True
        self.secant_slope = _secant_slope(spec.f, a, h)
        self.exact_slope = spec.exact_secant_slope(a, h)
        self.tangent_slope = spec.derivative(a)
        self.left_slope, self.right_slope = spec.one_sided(a)

        x0, x1 = X_RANGE
        self.secant_line.set_data(
            [x0, x1], [fa + self.secant_slope * (x0 - a), fa + self.secant_slope * (x1 - a)]
        )
        if self.tangent_slope is not None:
            self.tangent_line.set_data(
                [x0, x1], [fa + self.tangent_slope * (x0 - a), fa + self.tangent_slope * (x1 - a)]
            )
        else:  # two one-sided tangent rays meeting at the kink
            self.tangent_line.set_data(
                [x0, a, x1], [fa + self.left_slope * (x0 - a), fa, fa + self.right_slope * (x1 - a)]
            )
        self.rise_run.set_data([a, a + h, a + h], [fa, fa, fah])
        self.points.set_data([a, a + h], [fa, fah])
        tangent_text = (
            f"f′(a) = {self.tangent_slope:.10g}"
            if self.tangent_slope is not None
            else f"f′(a) does not exist; dashed: one-sided\ntangents of slopes "
            f"{self.left_slope:+g} and {self.right_slope:+g}"
        )
        self.slope_text.set_text(f"secant slope = {self.secant_slope:.10g}\n{tangent_text}")
        return full

    def readout(self) -> str:
        spec, a, h = self.spec, float(self.a.value), self.h
        lines = [
            f"f(x) = {spec.label},  a = {a:.2f},  h = {h:+.1e}",
            f"secant slope  (f(a+h) − f(a))/h = {_fmt(self.secant_slope)}",
        ]
        if self.tangent_slope is not None:
            target, name = self.tangent_slope, "f′(a)"
            gap = abs(self.secant_slope - target)
            lines += [
                f"derivative    f′(a)             = {_fmt(target)}",
                f"gap           |secant − f′(a)|  = {gap:.1e}",
            ]
        else:
            side, target = ("right", self.right_slope) if h > 0 else ("left", self.left_slope)
            name = f"{side} derivative"
            gap = abs(self.secant_slope - target)
            lines += [
                f"derivative    f′(a) does not exist: left derivative {self.left_slope:+g}, "
                f"right derivative {self.right_slope:+g}",
                f"gap           |secant − {side} derivative| = {gap:.1e}",
            ]
        lines += self._gap_explanation(target, name)
        return "\n".join(lines)

    def _gap_explanation(self, target: float, name: str) -> list[str]:
        """Split the gap into truncation (the curve bends over [a, a+h]) and rounding, exactly.

        ``exact_slope`` is the secant slope of the same floats ``a`` and ``h`` in 50-digit
        arithmetic, so ``secant - target = truncation + rounding`` holds to the digits shown.
        """
        truncation = self.exact_slope - target
        rounding = self.secant_slope - self.exact_slope
        lines = [
            f"  secant − {name} = truncation + rounding:",
            f"  truncation  {truncation + 0.0:+.1e}  (the curve is not straight over [a, a+h]; "
            "shrinks with |h|)",
            f"  rounding    {rounding + 0.0:+.1e}  (16-digit arithmetic; grows roughly like 1/|h|)",
        ]
        tolerance = 1e-14 * max(1.0, abs(target))
        if max(abs(truncation), abs(rounding)) <= tolerance:
            lines.append(f"→ secant slope and {name} agree to within {tolerance:.0e}")
        elif truncation == 0:
            lines.append("→ the curve is straight between a and a+h: all of the gap is rounding")
        elif abs(rounding) > abs(truncation):
            lines.append(
                "→ rounding dominates: f(a+h) and f(a) agree in most of their digits, the "
                "subtraction cancels them, and a smaller |h| makes the slope worse, not better"
            )
        else:
            lines.append("→ truncation dominates: a smaller |h| brings the secant slope closer")
        return lines

    # -- without a widget front end ----------------------------------------------------------
    def table_rows(self) -> list[tuple[float, float, float | None]]:
        return secant_table(self.spec.key, float(self.a.value))

    def _cause(self, h: float) -> str:
        """Which part of the gap is larger at step ``h``: "curve" (truncation), "rounding", "neither"."""
        spec, a = self.spec, float(self.a.value)
        left, right = spec.one_sided(a)
        target = right if h > 0 else left
        exact = spec.exact_secant_slope(a, h)
        truncation, rounding = abs(exact - target), abs(_secant_slope(spec.f, a, h) - exact)
        if max(truncation, rounding) <= 1e-14 * max(1.0, abs(target)):
            return "neither"
        return "rounding" if rounding > truncation else "curve"

    def table_text(self) -> str:
        """The secant slopes for shrinking h at the current a, as a plain-text table."""
        spec, a = self.spec, float(self.a.value)
        lines = [
            f"Secant slopes of f(x) = {spec.label} at a = {a:.2f}",
            f"{'h':>10}  {'secant slope':>16}  {'gap to f′(a)':>12}  {'gap mostly from':>15}",
        ]
        for h, slope, gap in self.table_rows():
            gap_text = "f′(a) n/a" if gap is None else f"{gap:.1e}"
            lines.append(f"{h:>+10.0e}  {slope:>16.10f}  {gap_text:>12}  {self._cause(h):>15}")
        lines.append(TABLE_NOTE)
        return "\n".join(lines)

    def static_extra_html(self) -> str:
        """The table of :meth:`table_text` as an HTML table (readable without a monospace font)."""
        spec, a = self.spec, float(self.a.value)
        cell = 'style="padding:0 0.8em;text-align:right;font-family:monospace"'
        rows = "".join(
            f"<tr><td {cell}>{h:+.0e}</td><td {cell}>{slope:.10f}</td>"
            f"<td {cell}>{'f′(a) n/a' if gap is None else f'{gap:.1e}'}</td>"
            f"<td {cell}>{self._cause(h)}</td></tr>"
            for h, slope, gap in self.table_rows()
        )
        return (
            '<table class="calcml-secant-table">'
            f"<caption>Secant slopes of f(x) = {html.escape(spec.label)} at a = {a:.2f}</caption>"
            "<thead><tr><th>h</th><th>secant slope</th><th>gap to f′(a)</th>"
            "<th>gap mostly from</th></tr></thead>"
            f"<tbody>{rows}</tbody></table><p>{html.escape(TABLE_NOTE)}</p>"
        )

    def _repr_mimebundle_(self, **kwargs):
        data = super()._repr_mimebundle_(**kwargs)
        data["text/plain"] = data["text/plain"] + "\n\n" + self.table_text()
        return data


def secant_explorer(function: str = "x^2", a: float = 1.0, h: float = 0.5) -> SecantExplorer:
    """The secant-to-tangent demo. ``function`` is one of ``x^2, x^3, sin, exp, abs``."""
    return SecantExplorer(function=function, a=a, h=h)
