"""The limit explorer: shrink the distance δ and watch f(a − δ) and f(a + δ).

``limit_explorer()`` shows a function near a point ``a`` with two dots at ``a − δ`` and ``a + δ``
(left panel) and the two one-sided values plotted against δ on a log axis (right panel), so
"the values settle on one number" or "they do not" is visible at a glance. The readout is a small
table of left and right values for the current δ and two smaller ones, plus a verdict computed
from the numbers: common value, jump, blow-up or oscillation.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
from matplotlib.ticker import MaxNLocator, NullLocator

from calcml.figures import COLORS, label_axes, new_figure
from calcml.widgets.base import FigureApp, log_slider


def _hole(x):
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (x**2 - 1) / (x - 1)


def _jump(x):
    x = np.asarray(x, dtype=float)
    return np.where(x >= 0, x + 1.0, x - 1.0)


def _reciprocal(x):
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 / x


def _sin_inverse(x):
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sin(1.0 / x)


def _sinc(x):
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sin(x) / x


def _compound(x):
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x == 0, np.nan, np.power(1.0 + x, 1.0 / x))


def _square(x):
    x = np.asarray(x, dtype=float)
    return x**2


@dataclass(frozen=True)
class LimitFunction:
    """A function of the catalogue: how to compute it, where it is interesting, how to draw it."""

    label: str
    func: Callable
    a: float
    ylim: tuple[float, float] | None  # None: choose from the function's values near a
    note: str


FUNCTIONS: dict[str, LimitFunction] = {
    "hole": LimitFunction(
        "(x² − 1)/(x − 1)", _hole, 1.0, (-0.5, 4.0), "removable discontinuity (a hole) at x = 1"
    ),
    "jump": LimitFunction(
        "x + 1 for x ≥ 0, x − 1 for x < 0", _jump, 0.0, (-3.0, 3.0), "jump at x = 0"
    ),
    "infinite": LimitFunction(
        "1/x",
        _reciprocal,
        0.0,
        (-10.0, 10.0),
        "infinite discontinuity (vertical asymptote) at x = 0",
    ),
    "oscillating": LimitFunction(
        "sin(1/x)", _sin_inverse, 0.0, (-1.5, 1.5), "endless oscillation near x = 0"
    ),
    "sinc": LimitFunction("sin(x)/x", _sinc, 0.0, (-0.4, 1.4), "0/0 at x = 0, yet the limit is 1"),
    "compound": LimitFunction(
        "(1 + x)^(1/x)", _compound, 0.0, (1.5, 3.5), "1^∞ form at x = 0; the limit is e"
    ),
    "square": LimitFunction("x²", _square, 1.0, (-0.5, 4.0), "continuous everywhere"),
}

#: the a slider spans the function's point of interest ± A_RANGE; the left panel shows it all
A_RANGE = 1.25

#: δ values used to judge the limit numerically (independent of the slider position).
VERDICT_DELTAS = 10.0 ** -np.arange(2, 8)


def _value(func: Callable, x: float) -> float:
    """f(x) as a float; nan where f is undefined (0/0, division by zero, overflow)."""
    with np.errstate(all="ignore"):
        try:
            value = float(np.asarray(func(np.array([x], dtype=float)), dtype=float).reshape(-1)[0])
        except (ZeroDivisionError, OverflowError, ValueError):
            return math.nan
    return value if math.isfinite(value) else math.nan


@dataclass(frozen=True)
class Verdict:
    """What the numbers say about the limit of f at a."""

    kind: str  # "limit", "jump", "infinite", "oscillating"
    left: float  # the one-sided limit estimate (nan if none)
    right: float
    value_at_a: float  # f(a), nan if undefined

    @property
    def limit(self) -> float:
        return 0.5 * (self.left + self.right) if self.kind == "limit" else math.nan

    @property
    def continuous(self) -> bool:
        return (
            self.kind == "limit"
            and math.isfinite(self.value_at_a)
            and abs(self.value_at_a - self.limit) <= 1e-6 * max(1.0, abs(self.limit))
        )


def _side(values: np.ndarray) -> tuple[str, float]:
    """Classify one side: ("settles", estimate), ("blows up", ±inf) or ("wanders", nan)."""
    values = np.asarray(values, dtype=float)
    if np.all(np.isfinite(values)):
        tail = values[-3:]
        scale = max(1.0, float(np.max(np.abs(tail))))
        if np.ptp(tail) <= 1e-3 * scale:
            return "settles", float(values[-1])
        magnitudes = np.abs(values)
        if magnitudes[-1] > 1e4 and np.all(np.diff(magnitudes) > 0):
            return "blows up", math.copysign(math.inf, values[-1])
    return "wanders", math.nan


def limit_verdict(func: Callable, a: float, deltas=VERDICT_DELTAS) -> Verdict:
    """Judge lim_{x→a} f(x) from f(a − δ) and f(a + δ) for shrinking δ (1e-2 … 1e-7)."""
    deltas = np.asarray(deltas, dtype=float)
    left = np.array([_value(func, a - d) for d in deltas])
    right = np.array([_value(func, a + d) for d in deltas])
    (left_kind, left_est), (right_kind, right_est) = _side(left), _side(right)
    at_a = _value(func, a)
    if left_kind == "settles" and right_kind == "settles":
        scale = max(1.0, abs(left_est), abs(right_est))
        kind = "limit" if abs(left_est - right_est) <= 1e-3 * scale else "jump"
    elif "blows up" in (left_kind, right_kind):
        kind = "infinite"
    else:
        kind = "oscillating"
    return Verdict(kind, left_est, right_est, at_a)


def _fmt(value: float) -> str:
    if math.isnan(value):
        return "undefined"
    if math.isinf(value):
        return "+∞" if value > 0 else "−∞"
    return f"{value:.8g}"


def describe_verdict(v: Verdict) -> str:
    """One or two sentences a learner can read instead of the picture."""
    if v.kind == "limit":
        text = f"Left and right values approach a common value ≈ {v.limit:.6g}: the limit exists."
    elif v.kind == "jump":
        text = (
            f"Left values approach {v.left:.6g}, right values approach {v.right:.6g}: "
            "they disagree (a jump), so the limit does not exist."
        )
    elif v.kind == "infinite":
        text = (
            f"The values grow without bound (left → {_fmt(v.left)}, right → {_fmt(v.right)}): "
            "an infinite discontinuity, no finite limit."
        )
    else:
        text = (
            "The values keep jumping around as δ shrinks: they approach no common value, no limit."
        )
    if v.kind == "limit":
        if math.isnan(v.value_at_a):
            text += " f(a) is undefined, so f is not continuous at a (a removable discontinuity)."
        elif v.continuous:
            text += " f(a) equals the limit, so f is continuous at a."
        else:
            text += (
                f" f(a) = {v.value_at_a:.6g} differs from the limit, so f is not continuous at a."
            )
    return text


def _auto_ylim(ys: np.ndarray) -> tuple[float, float]:
    """A y range that shows the bulk of the values and ignores blow-ups."""
    finite = ys[np.isfinite(ys)]
    if finite.size == 0:
        return -1.0, 1.0
    lo, hi = np.percentile(finite, [2, 98])
    pad = 0.15 * max(hi - lo, 1e-3 * max(1.0, abs(hi)))
    return float(lo - pad), float(hi + pad)


class LimitExplorer(FigureApp):
    """Pick a function and a point a; shrink δ; compare f(a − δ) with f(a + δ)."""

    DELTA_GRID = np.logspace(-6, 0, 400)

    def __init__(
        self,
        function: str | Callable = "hole",
        a: float | None = None,
        delta: float = 0.5,
        label: str | None = None,
    ):
        self.functions = dict(FUNCTIONS)
        if callable(function):
            self.functions["custom"] = LimitFunction(
                label or getattr(function, "__name__", "custom f"),
                function,
                0.0 if a is None else float(a),
                None,
                "your function",
            )
            function = "custom"
        if function not in self.functions:
            raise ValueError(
                f"limit_explorer: unknown function {function!r}; choose one of {sorted(self.functions)} "
                "or pass a callable"
            )
        start_a = self.functions[function].a if a is None else float(a)
        self.chooser = widgets.Dropdown(
            options=[(f"{k}: {v.label}", k) for k, v in self.functions.items()],
            value=function,
            description="f(x)",
        )
        centre = self.functions[function].a
        self.a_slider = widgets.FloatSlider(
            value=start_a,
            min=min(centre - A_RANGE, start_a),
            max=max(centre + A_RANGE, start_a),
            step=0.25,
            description="a",
        )
        self.delta_slider = log_slider("δ (distance)", delta, -6, 0)
        for control in (self.chooser, self.a_slider, self.delta_slider):
            control.style = {"description_width": "110px"}
            control.layout.width = "480px"  # aligned labels, and a slider long enough to aim
        self._suppress = False
        self._static_key = None  # the function whose graph is drawn
        self._point_key = None  # the a that the markers and the right panel show

        fig = new_figure(8.6, 3.3, ncols=2)
        self.ax_f, self.ax_d = fig.axes
        (self.curve,) = self.ax_f.plot([], [], color=COLORS["curve"], lw=1.6)
        self.a_line = self.ax_f.axvline(0, color=COLORS["muted"], ls="--", lw=1)
        (self.hole_marker,) = self.ax_f.plot(
            [], [], "o", ms=7, mfc="white", mec=COLORS["curve"], mew=1.5
        )
        (self.value_marker,) = self.ax_f.plot([], [], "o", ms=6, color=COLORS["curve"])
        (self.left_dot,) = self.ax_f.plot(
            [], [], "o", ms=8, color=COLORS["secant"], label="f(a − δ)"
        )
        (self.right_dot,) = self.ax_f.plot(
            [], [], "s", ms=7, color=COLORS["tangent"], label="f(a + δ)"
        )
        self.ax_f.legend(handles=[self.left_dot, self.right_dot], loc="upper left", fontsize=8)
        # tick labels are most of the cost of a full redraw: a handful is enough
        self.ax_f.xaxis.set_major_locator(MaxNLocator(6, steps=[1, 2, 2.5, 5, 10]))
        self.ax_f.yaxis.set_major_locator(MaxNLocator(6, steps=[1, 2, 2.5, 5, 10]))

        (self.left_curve,) = self.ax_d.plot(
            [], [], color=COLORS["secant"], lw=1.3, label="f(a − δ)"
        )
        (self.right_curve,) = self.ax_d.plot(
            [], [], color=COLORS["tangent"], lw=1.3, ls="--", label="f(a + δ)"
        )
        self.ax_d.set_xscale("log")
        self.ax_d.xaxis.set_minor_locator(
            NullLocator()
        )  # decades are enough; minor ticks cost draw time
        self.ax_d.set_xlim(1.0, 1e-6)  # δ shrinks to the right
        self.ax_d.legend(loc="lower right", fontsize=8)
        self.delta_line = self.ax_d.axvline(delta, color=COLORS["point"], lw=1)
        (self.left_now,) = self.ax_d.plot([], [], "o", ms=7, color=COLORS["secant"])
        (self.right_now,) = self.ax_d.plot([], [], "s", ms=6, color=COLORS["tangent"])
        label_axes(
            self.ax_d, "One-sided values as δ shrinks", "δ (log scale, shrinking →)", "value"
        )

        super().__init__(
            fig,
            controls=[self.chooser, self.a_slider, self.delta_slider],
            dynamic_artists=[
                # everything that moves with a or δ, so that neither needs a full redraw
                self.left_curve,
                self.right_curve,
                self.a_line,
                self.hole_marker,
                self.value_marker,
                self.left_dot,
                self.right_dot,
                self.delta_line,
                self.left_now,
                self.right_now,
            ],
            title="Limit explorer",
            caption=(
                "Left: the graph of f with a dashed line at x = a and dots at a − δ and a + δ. Right: f(a − δ) and "
                "f(a + δ) against δ on a log axis; where the two curves meet on the right, the limit exists."
            ),
        )

    # -- controls --------------------------------------------------------------------------
    def _on_change(self, change=None) -> None:
        if self._suppress:
            return
        if change is not None and change.get("owner") is self.chooser:
            # a new function starts at its own interesting point
            # (and a slider range around it, which the left panel shows in full)
            centre = self.functions[self.chooser.value].a
            slider = self.a_slider
            self._suppress = True
            try:
                slider.min, slider.max = (
                    min(slider.min, centre - A_RANGE),
                    max(slider.max, centre + A_RANGE),
                )
                slider.value = centre
                slider.min, slider.max = centre - A_RANGE, centre + A_RANGE
            finally:
                self._suppress = False
        self.refresh()

    @property
    def entry(self) -> LimitFunction:
        return self.functions[self.chooser.value]

    @property
    def a(self) -> float:
        return float(self.a_slider.value)

    @property
    def delta(self) -> float:
        return float(self.delta_slider.value)

    def values(self, delta: float | None = None) -> tuple[float, float]:
        """(f(a − δ), f(a + δ)) for the current or the given δ; nan where f is undefined."""
        d = self.delta if delta is None else float(delta)
        return _value(self.entry.func, self.a - d), _value(self.entry.func, self.a + d)

    def verdict(self) -> Verdict:
        return limit_verdict(self.entry.func, self.a)

    # -- drawing ---------------------------------------------------------------------------
    def _draw_static(self) -> None:
        """The part that depends on the function only: its graph over the whole slider range."""
        entry, func = self.entry, self.entry.func
        x_lo, x_hi = self.a_slider.min - 0.25, self.a_slider.max + 0.25
        xs = np.linspace(x_lo, x_hi, 4001)
        with np.errstate(all="ignore"):
            ys = np.asarray(func(xs), dtype=float)
        lo, hi = entry.ylim or _auto_ylim(ys)
        ys = np.where((ys < lo - 50) | (ys > hi + 50), np.nan, ys)
        # break the line across a jump or an asymptote instead of drawing a false vertical segment
        steps = np.abs(np.diff(ys))
        typical = np.nanmedian(steps) if np.any(np.isfinite(steps)) else 0.0
        big = steps > max(20 * typical, 0.02 * (hi - lo))
        # only an isolated big step is a jump; a run of them is a fast oscillation (sin(1/x))
        # that should be drawn as the dense band it is, not cut into fragments
        neighbours = np.zeros_like(big)
        neighbours[1:] |= big[:-1]
        neighbours[:-1] |= big[1:]
        ys[1:][big & ~neighbours] = np.nan
        self.curve.set_data(xs, ys)
        self.ax_f.set_xlim(x_lo, x_hi)
        self.ax_f.set_ylim(lo, hi)
        label_axes(self.ax_f, f"f(x) = {entry.label}", "x", "f(x)")
        self.ax_d.set_ylim(lo, hi)

    def _draw_point(self) -> None:
        """The part that depends on a: the dashed line x = a, the markers at a, the right panel's curves."""
        a, func = self.a, self.entry.func
        self.a_line.set_xdata([a, a])
        verdict = self.verdict()
        # open circles at one-sided limits that f(a) does not fill in
        open_ys = []
        if verdict.kind in ("limit", "jump"):
            for y in {verdict.left, verdict.right} if verdict.kind == "jump" else {verdict.limit}:
                if not (math.isfinite(verdict.value_at_a) and abs(y - verdict.value_at_a) < 1e-6):
                    open_ys.append(y)
        self.hole_marker.set_data([a] * len(open_ys), open_ys)
        if math.isfinite(verdict.value_at_a):
            self.value_marker.set_data([a], [verdict.value_at_a])
        else:
            self.value_marker.set_data([], [])
        grid = self.DELTA_GRID
        with np.errstate(all="ignore"):
            left = np.asarray(func(a - grid), dtype=float)
            right = np.asarray(func(a + grid), dtype=float)
        self.left_curve.set_data(grid, left)
        self.right_curve.set_data(grid, right)
        self._verdict = verdict

    def update_figure(self) -> bool:
        # Only a new function changes the static picture (graph, axes, title). Moving a changes
        # dynamic artists alone, so it is blitted like a move of δ.
        full = self.chooser.value != self._static_key
        if full:
            self._draw_static()
            self._static_key = self.chooser.value
        if full or self.a != self._point_key:
            self._draw_point()
            self._point_key = self.a
        a, d = self.a, self.delta
        left, right = self.values()
        self.left_dot.set_data([a - d], [left])
        self.right_dot.set_data([a + d], [right])
        self.delta_line.set_xdata([d, d])
        self.left_now.set_data([d], [left])
        self.right_now.set_data([d], [right])
        return full

    def table_rows(self) -> list[tuple[float, float, float]]:
        """(δ, f(a − δ), f(a + δ)) for the current δ and two ten-times-smaller ones."""
        return [(d, *self.values(d)) for d in (self.delta, self.delta / 10, self.delta / 100)]

    def readout(self) -> str:
        entry, a = self.entry, self.a
        lines = [
            f"f(x) = {entry.label}, x → a = {a:g}",
            f"{'δ':>9}  {'f(a − δ)':>14}  {'f(a + δ)':>14}",
        ]
        for d, left, right in self.table_rows():
            lines.append(f"{d:9.2e}  {_fmt(left):>14}  {_fmt(right):>14}")
        left, right = self.values()
        if math.isfinite(left) and math.isfinite(right):
            lines.append(
                f"gap |f(a + δ) − f(a − δ)| at δ = {self.delta:.1e}: {abs(right - left):.3g}"
            )
        lines.append(f"f(a) = {_fmt(self._verdict.value_at_a)}")
        lines.append(describe_verdict(self._verdict))
        return "\n".join(lines)

    def static_extra_html(self) -> str:
        return ""


def limit_explorer(
    function: str | Callable = "hole",
    a: float | None = None,
    delta: float = 0.5,
    label: str | None = None,
):
    """Interactive limit explorer; ``function`` is a catalogue key (see ``FUNCTIONS``) or a callable
    (``label`` names a callable in the title and readout; its ``__name__`` otherwise)."""
    return LimitExplorer(function=function, a=a, delta=delta, label=label)
