"""The critical-point explorer: f, f′ and f″ in three aligned panels.

``analyse_polynomial(expr)`` finds the critical points (f′ = 0) and the inflection points (f″ = 0
*and* changes sign) of a polynomial exactly with sympy, classifies each critical point by the
second-derivative test and, where that test is silent, by the first-derivative test (does f′
change sign?). ``critical_point_explorer()`` draws the three curves on a shared x axis with the
points marked, plus a cursor whose readout gives the signs of f′ and f″ under it.
"""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
import sympy as sp

from calcml.figures import COLORS, new_figure
from calcml.widgets.base import FigureApp

X = sp.Symbol("x", real=True)


@dataclass(frozen=True)
class CriticalPoint:
    """A real root x0 of f′ and what the tests say about it."""

    x: float
    value: float  # f(x0)
    second: float  # f″(x0)
    second_test: str  # "local minimum", "local maximum" or "inconclusive"
    nature: str  # "local minimum", "local maximum" or "not an extremum"


@dataclass(frozen=True)
class Analysis:
    expr: sp.Expr
    derivative: sp.Expr
    second_derivative: sp.Expr
    critical_points: tuple[CriticalPoint, ...]
    inflection_points: tuple[float, ...]

    def critical_xs(self) -> list[float]:
        return [p.x for p in self.critical_points]


def _real_roots_with_multiplicity(expr: sp.Expr, x: sp.Symbol) -> list[tuple[sp.Expr, int]]:
    """Distinct real roots of a polynomial, sorted, each with its multiplicity."""
    poly = sp.Poly(sp.expand(expr), x)
    if poly.is_zero:
        raise ValueError("the polynomial is identically zero: every x is a root")
    if poly.degree() < 1:
        return []
    roots = sp.real_roots(poly)  # repeated roots appear repeatedly, already sorted
    out: list[tuple[sp.Expr, int]] = []
    for root in roots:
        if out and out[-1][0] == root:
            out[-1] = (root, out[-1][1] + 1)
        else:
            out.append((root, 1))
    return out


def _sign_change_side(expr: sp.Expr, x: sp.Symbol, root: sp.Expr, multiplicity: int) -> int:
    """Sign of expr just to the right of a root of the given multiplicity (+1 or −1)."""
    # near the root, expr ≈ expr^(m)(root)/m! · (x − root)^m, so the sign on the right is that of
    # the m-th derivative at the root
    value = sp.diff(expr, x, multiplicity).subs(x, root)
    return 1 if float(sp.N(value, 30)) > 0 else -1


def analyse_polynomial(expr, x: sp.Symbol = X) -> Analysis:
    """Critical points (classified) and inflection points of a polynomial ``expr`` in ``x``."""
    expr = sp.sympify(expr)
    if not expr.is_polynomial(x):
        raise ValueError(f"analyse_polynomial: {expr} is not a polynomial in {x}")
    d1 = sp.diff(expr, x)
    d2 = sp.diff(expr, x, 2)
    points = []
    if not sp.Poly(d1, x).is_zero:
        for root, mult in _real_roots_with_multiplicity(d1, x):
            second = float(sp.N(d2.subs(x, root), 30))
            if abs(second) < 1e-12:
                second = 0.0
            test = (
                "local minimum" if second > 0 else "local maximum" if second < 0 else "inconclusive"
            )
            if mult % 2 == 0:
                nature = "not an extremum"  # f′ touches zero without changing sign
            else:
                right = _sign_change_side(d1, x, root, mult)
                nature = "local minimum" if right > 0 else "local maximum"
            points.append(
                CriticalPoint(
                    float(sp.N(root, 30)), float(sp.N(expr.subs(x, root), 30)), second, test, nature
                )
            )
    inflections = []
    if not sp.Poly(d2, x).is_zero:
        inflections = [
            float(sp.N(root, 30))
            for root, mult in _real_roots_with_multiplicity(d2, x)
            if mult % 2 == 1
        ]
    return Analysis(expr, d1, d2, tuple(points), tuple(inflections))


def _num(value: float, digits: int = 4) -> str:
    """A number for a readout, without a negative zero or floating-point dust."""
    value = round(float(value), 10)
    return f"{value + 0.0:.{digits}g}"


def describe_point(p: CriticalPoint) -> str:
    if p.second_test == "inconclusive":
        test = "f″ = 0 → the second-derivative test is inconclusive"
        if p.nature == "not an extremum":
            verdict = "f′ does not change sign, so it is neither a maximum nor a minimum"
        else:
            direction = "− to +" if p.nature == "local minimum" else "+ to −"
            verdict = f"f′ changes sign {direction}, so it is a {p.nature}"
        return f"x = {_num(p.x)}: f = {_num(p.value)}; {test}; {verdict}"
    sign = ">" if p.second > 0 else "<"
    return f"x = {_num(p.x)}: f = {_num(p.value)}; f″ = {_num(p.second)} {sign} 0 → {p.second_test}"


@dataclass(frozen=True)
class Preset:
    label: str
    expr: sp.Expr
    xlim: tuple[float, float]

    @property
    def is_polynomial(self) -> bool:
        return bool(self.expr.is_polynomial(X))


PRESETS: dict[str, Preset] = {
    "x²": Preset("x²", X**2, (-2.0, 2.0)),
    "−x²": Preset("−x²", -(X**2), (-2.0, 2.0)),
    "x³": Preset("x³", X**3, (-1.6, 1.6)),
    "x⁴": Preset("x⁴", X**4, (-1.4, 1.4)),
    "−x⁴": Preset("−x⁴", -(X**4), (-1.4, 1.4)),
    "x³ − 3x": Preset("x³ − 3x", X**3 - 3 * X, (-2.4, 2.4)),
    "x⁴ − 3x² + x": Preset("x⁴ − 3x² + x (tilted double well)", X**4 - 3 * X**2 + X, (-2.0, 2.0)),
}


def _sign_word(value: float, positive: str, negative: str, zero: str) -> str:
    if abs(value) < 1e-9:
        return f"({zero})"  # follows the printed value, which is already 0
    return f"> 0 ({positive})" if value > 0 else f"< 0 ({negative})"


class CriticalPointExplorer(FigureApp):
    """f, f′, f″ on a shared x axis with critical and inflection points marked; a movable cursor."""

    def __init__(self, function: str = "x³ − 3x", x: float = 0.5, functions: dict | None = None):
        self.presets = dict(PRESETS)
        if functions:
            for name, expr in functions.items():
                try:
                    parsed = sp.sympify(expr).subs(sp.Symbol("x"), X)
                except (sp.SympifyError, TypeError, AttributeError) as err:
                    raise ValueError(
                        f"critical_point_explorer: cannot read function {name!r} = {expr!r}: {err}"
                    ) from err
                if not isinstance(parsed, sp.Expr) or parsed.free_symbols - {X}:
                    raise ValueError(
                        f"critical_point_explorer: function {name!r} = {expr!r} must be a "
                        "formula in x alone"
                    )
                self.presets[name] = Preset(f"{name}: {_pretty(parsed)}", parsed, (-2.0, 2.0))
        if function not in self.presets:
            raise ValueError(
                f"critical_point_explorer: unknown function {function!r}; choose one of {list(self.presets)}"
            )
        self.chooser = widgets.Dropdown(
            options=[(p.label, k) for k, p in self.presets.items()],
            value=function,
            description="f(x)",
            style={"description_width": "70px"},
            layout=widgets.Layout(width="460px"),
        )
        lo, hi = self.presets[function].xlim
        self.cursor = widgets.FloatSlider(
            value=float(np.clip(x, lo, hi)),
            min=lo,
            max=hi,
            step=0.02,
            description="cursor x",
            continuous_update=True,
            style={"description_width": "70px"},
            layout=widgets.Layout(width="460px"),
        )
        self._suppress = False
        self._static_key = None
        self._fills = []

        fig = new_figure(6.0, 6.2, nrows=3, sharex=True)
        self.axes = fig.axes
        names = ["f(x)", "f′(x)", "f″(x)"]
        colors = [COLORS["curve"], "#444444", COLORS["accent"]]
        self.curves = [
            ax.plot([], [], color=c, lw=1.8)[0] for ax, c in zip(self.axes, colors, strict=True)
        ]
        for ax in self.axes[1:]:
            ax.axhline(0, color=COLORS["muted"], lw=0.8)
        (self.min_marker,) = self.axes[0].plot(
            [], [], "o", ms=8, color=COLORS["tangent"], label="local min"
        )
        (self.max_marker,) = self.axes[0].plot(
            [], [], "^", ms=8, color=COLORS["secant"], label="local max"
        )
        (self.flat_marker,) = self.axes[0].plot(
            [], [], "X", ms=8, color=COLORS["accent"], label="not an extremum", zorder=4
        )
        (self.infl_marker,) = self.axes[0].plot(
            [], [], "D", ms=10, mfc="white", mec=COLORS["point"], label="inflection", zorder=3
        )
        (self.zero1_marker,) = self.axes[1].plot([], [], "o", ms=6, color=COLORS["point"])
        (self.zero2_marker,) = self.axes[2].plot(
            [], [], "D", ms=6, mfc="white", mec=COLORS["point"]
        )
        for ax, name in zip(self.axes, names, strict=True):
            ax.set_ylabel(name)
            ax.grid(True, alpha=0.3)
        self.axes[2].set_xlabel("x")

        self.cursor_lines = [ax.axvline(0, color=COLORS["point"], lw=1, ls=":") for ax in self.axes]
        self.cursor_dots = [
            ax.plot([], [], "o", ms=8, color=COLORS["second"], mec=COLORS["point"])[0]
            for ax in self.axes
        ]
        (self.tangent,) = self.axes[0].plot(
            [], [], color=COLORS["second"], lw=1.8, label="tangent at the cursor"
        )

        super().__init__(
            fig,
            controls=[self.chooser, self.cursor],
            dynamic_artists=[*self.cursor_lines, *self.cursor_dots, self.tangent],
            title="Critical points and curvature",
            caption=(
                "Three aligned panels: f on top, f′ in the middle (shaded green where f′ > 0, "
                "orange where f′ < 0), f″ at the bottom (shaded where f″ > 0 and < 0). Critical "
                "points and inflection points are marked; a dotted cursor runs through all three panels."
            ),
        )

    # -- controls --------------------------------------------------------------------------
    def _on_change(self, change=None) -> None:
        if self._suppress:
            return
        if change is not None and change.get("owner") is self.chooser:
            lo, hi = self.presets[self.chooser.value].xlim
            self._suppress = True
            try:
                # widen first so that min < max holds at every moment
                self.cursor.min, self.cursor.max = (
                    min(lo, self.cursor.min),
                    max(hi, self.cursor.max),
                )
                self.cursor.value = float(np.clip(self.cursor.value, lo, hi))
                self.cursor.min, self.cursor.max = lo, hi
            finally:
                self._suppress = False
        self.refresh()

    @property
    def preset(self) -> Preset:
        return self.presets[self.chooser.value]

    # -- drawing ---------------------------------------------------------------------------
    def _draw_static(self) -> None:
        preset = self.preset
        if preset.is_polynomial:
            self.analysis = analyse_polynomial(preset.expr, X)
            a = self.analysis
            exprs = (a.expr, a.derivative, a.second_derivative)
        else:
            self.analysis = None
            exprs = (preset.expr, sp.diff(preset.expr, X), sp.diff(preset.expr, X, 2))
        self._f, self._d1, self._d2 = (_numeric(e) for e in exprs)
        lo, hi = preset.xlim
        xs = np.linspace(lo, hi, 400)
        for fill in self._fills:
            fill.remove()
        self._fills = []
        for ax, curve, func in zip(
            self.axes, self.curves, (self._f, self._d1, self._d2), strict=True
        ):
            ys = func(xs)
            curve.set_data(xs, ys)
            finite = ys[np.isfinite(ys)]
            low, high = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 1.0)
            if ax is not self.axes[0]:  # keep the zero line, the point of these panels, in view
                low, high = min(low, 0.0), max(high, 0.0)
            pad = 0.1 * max(high - low, 1.0)
            ax.set_ylim(low - pad, high + pad)
            ys = np.where(np.isfinite(ys), ys, 0.0)
            if ax is not self.axes[0]:
                self._fills.append(
                    ax.fill_between(
                        xs, 0, ys, where=ys > 0, color=COLORS["tangent"], alpha=0.18, lw=0
                    )
                )
                self._fills.append(
                    ax.fill_between(
                        xs, 0, ys, where=ys < 0, color=COLORS["secant"], alpha=0.18, lw=0
                    )
                )
        self.axes[0].set_xlim(lo, hi)
        self.axes[0].set_title(f"f(x) = {preset.label}: f, f′ and f″ on one x axis")

        def mark(marker, points):
            marker.set_data([p.x for p in points], [p.value for p in points])

        if self.analysis is None:
            for marker in (self.min_marker, self.max_marker, self.flat_marker, self.infl_marker):
                marker.set_data([], [])
            self.zero1_marker.set_data([], [])
            self.zero2_marker.set_data([], [])
            self._update_legend()
            return
        a = self.analysis
        crit = a.critical_points
        mark(self.min_marker, [p for p in crit if p.nature == "local minimum"])
        mark(self.max_marker, [p for p in crit if p.nature == "local maximum"])
        mark(self.flat_marker, [p for p in crit if p.nature == "not an extremum"])
        infl = list(a.inflection_points)
        self.infl_marker.set_data(infl, [float(self._f(v)) for v in infl])
        self.zero1_marker.set_data([p.x for p in crit], [0.0] * len(crit))
        self.zero2_marker.set_data(infl, [0.0] * len(infl))
        self._update_legend()

    def _update_legend(self) -> None:
        """List only the kinds of point this function has (and the cursor's tangent)."""
        shown = [
            m
            for m in (self.min_marker, self.max_marker, self.flat_marker, self.infl_marker)
            if len(m.get_xdata())
        ]
        self.axes[0].legend(handles=[*shown, self.tangent], loc="best", fontsize=7, ncols=2)

    def cursor_x(self) -> float:
        """The cursor on the slider's grid: arrow-key steps add up floating-point dust."""
        step = float(self.cursor.step)
        return round(round(float(self.cursor.value) / step) * step, 10) + 0.0

    def cursor_values(self) -> tuple[float, float, float, float]:
        x0 = self.cursor_x()
        return x0, *(float(g(np.array([x0]))[0]) for g in (self._f, self._d1, self._d2))

    def update_figure(self) -> bool:
        full = self.chooser.value != self._static_key
        if full:
            self._draw_static()
            self._static_key = self.chooser.value
        x0, f0, d1, d2 = self.cursor_values()
        d1 = d1 if np.isfinite(d1) else 0.0
        f0 = f0 if np.isfinite(f0) else 0.0
        d2 = d2 if np.isfinite(d2) else 0.0
        for line in self.cursor_lines:
            line.set_xdata([x0, x0])
        for dot, y in zip(self.cursor_dots, (f0, d1, d2), strict=True):
            dot.set_data([x0], [y])
        lo, hi = self.preset.xlim
        half = 0.15 * (hi - lo)
        self.tangent.set_data([x0 - half, x0 + half], [f0 - d1 * half, f0 + d1 * half])
        return full

    def readout(self) -> str:
        if self.analysis is None:
            return self._readout_not_polynomial()
        a = self.analysis
        lines = [
            f"f(x) = {self.preset.label};  f′(x) = {_pretty(a.derivative)};  "
            f"f″(x) = {_pretty(a.second_derivative)}"
        ]
        if a.critical_points:
            lines.append("Critical points (f′ = 0):")
            lines += ["  " + describe_point(p) for p in a.critical_points]
        elif sp.expand(a.derivative) == 0:
            lines.append("f′ = 0 everywhere: every x is a critical point (f is constant).")
        else:
            lines.append("No critical points: f′ is never 0.")
        lines.append(global_extremum_note(a))
        if a.inflection_points:
            lines.append(
                "Inflection points (f″ changes sign): "
                + ", ".join(f"x = {_num(v)}" for v in a.inflection_points)
            )
        else:
            lines.append("No inflection points: f″ never changes sign.")
        x0, f0, d1, d2 = self.cursor_values()
        lines.append(
            f"Cursor x = {x0:.2f}: f = {_num(f0)}, f′ = {_num(d1)} "
            f"{_sign_word(d1, 'increasing', 'decreasing', 'flat')}, "
            f"f″ = {_num(d2)} {_sign_word(d2, 'concave up', 'concave down', 'no bending')}"
        )
        return "\n".join(lines)

    def _readout_not_polynomial(self) -> str:
        x0 = self.cursor_x()
        h = 1e-5
        f = self._f
        left, mid, right = (float(v) for v in f(np.array([x0 - h, x0, x0 + h])))
        lines = [
            f"f(x) = {self.preset.label}",
            "Cannot analyse this function: the explorer finds and classifies critical points of "
            "polynomials only, and this is not one. The panels show what can be drawn: f, and "
            "sympy's f′ and f″ where they evaluate to real numbers (gaps where they do not).",
        ]
        if not np.isfinite(mid):
            lines.append(f"Cursor x = {x0:.2f}: f is not a real number here.")
            return "\n".join(lines)
        slopes = ""
        if np.isfinite(left) and np.isfinite(right):
            slopes = (
                f"; slope of the secant to the left {_num((mid - left) / h)}, "
                f"to the right {_num((right - mid) / h)} (h = {h:g})"
            )
        lines.append(f"Cursor x = {x0:.2f}: f = {_num(mid)}{slopes}.")
        return "\n".join(lines)


def global_extremum_note(a: Analysis) -> str:
    """Which local extremum, if any, is global on the whole real line (polynomials only)."""
    poly = sp.Poly(a.expr, X)
    degree, lead = poly.degree(), float(poly.LC())
    if degree == 0:
        return "f is constant: every x is a global minimum and a global maximum (non-strict)."
    if degree % 2 == 1:
        return "No global maximum or minimum on the whole line: f runs off to +∞ and −∞."
    kind = "local minimum" if lead > 0 else "local maximum"
    candidates = [p for p in a.critical_points if p.nature == kind]
    best = min(p.value for p in candidates) if lead > 0 else max(p.value for p in candidates)
    # ties such as x⁴ − 2x² at ±1: every minimiser is named, not only the first
    tied = [p for p in candidates if _same_value(p, best)]
    word = "minimum" if lead > 0 else "maximum"
    other = "maximum" if lead > 0 else "minimum"
    where = " and ".join(f"x = {_num(p.x)}" for p in tied)
    return f"Global {word} at {where} (f = {_num(best)}); there is no global {other}."


def _same_value(p: CriticalPoint, best: float) -> bool:
    return abs(p.value - best) <= 1e-9 * max(1.0, abs(best))


def _pretty(expr: sp.Expr) -> str:
    return sp.sstr(sp.expand(expr)).replace("**", "^").replace("*", "·")


def _numeric(expr: sp.Expr):
    """expr as a function of a NumPy array that returns real floats, NaN where it is undefined."""
    func = sp.lambdify(X, expr, "numpy")

    def evaluate(xs):
        xs = np.asarray(xs, dtype=float)
        with np.errstate(all="ignore"):
            try:
                ys = np.asarray(func(xs))
            except (TypeError, ValueError, ZeroDivisionError, NameError):
                return np.full(xs.shape, np.nan)
        if np.iscomplexobj(ys):
            ys = np.where(np.abs(ys.imag) < 1e-12, ys.real, np.nan)
        return np.broadcast_to(ys.astype(float), xs.shape).copy()

    return evaluate


def critical_point_explorer(
    function: str = "x³ − 3x", x: float = 0.5, functions: dict | None = None
):
    """Interactive f / f′ / f″ explorer; ``function`` names a preset (``PRESETS``); ``functions``
    adds your own, e.g. ``{"my cubic": "x**3 - 6*x**2 + 9*x"}``. Polynomials are analysed
    exactly; any other formula in x is drawn, with a message that it cannot be analysed."""
    return CriticalPointExplorer(function=function, x=x, functions=functions)
