"""Newton's method next to gradient descent in two dimensions, with a choice of step rule.

``newton_vs_descent_stepper()`` runs both methods from the same start on one of four functions
(the Rosenbrock banana, a tilted bowl, a saddle, a double well) and draws both paths on the level
sets (left) and f against the step on a symmetric-log scale (right). The Newton step solves
H(x)·Δ = ∇f(x); the step rule then takes all of it ("full step"), a fixed fraction α of it
("damped") or the longest of 1, ½, ¼, … that lowers f enough ("backtracking line search").

The readout says, for each method, where the run ended (a minimum, a saddle, a maximum, still
moving, blown up, a singular Hessian) and every step at which f went *up*, with whether the Hessian
was positive definite where that step was taken: a full Newton step can overshoot even then,
because the quadratic model is only trusted near the point where it was built.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
from matplotlib.colors import LogNorm, TwoSlopeNorm

from calcml.figures import COLORS, label_axes, new_figure
from calcml.widgets.base import FigureApp, log_slider
from calcml.widgets.quadform import classify_eigenvalues, hessian_from_eigen

GRAD_TOL = 1e-8
BLOW_UP = 1e6
ARMIJO = 1e-4  # backtracking accepts t when f(x − tΔ) ≤ f(x) − ARMIJO·t·∇f·Δ
MIN_T = 2.0**-30
#: f counts as having risen only by more than rounding: f_k > f_(k−1) + RISE_TOL·(1 + |f_(k−1)|)
RISE_TOL = 1e-10


@dataclass(frozen=True)
class Surface:
    """f: ℝ² → ℝ with its exact gradient and Hessian, a start and a view window."""

    label: str
    f: Callable[[np.ndarray, np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray], np.ndarray]
    hess: Callable[[np.ndarray], np.ndarray]
    start: tuple[float, float]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    lr: float  # a sensible default learning rate for gradient descent


def _rosenbrock() -> Surface:
    return Surface(
        "Rosenbrock f = (1 − x)² + 100(y − x²)²",
        lambda x, y: (1 - x) ** 2 + 100 * (y - x * x) ** 2,
        lambda v: np.array(
            [-2 * (1 - v[0]) - 400 * v[0] * (v[1] - v[0] ** 2), 200 * (v[1] - v[0] ** 2)]
        ),
        lambda v: np.array([[2 - 400 * (v[1] - 3 * v[0] ** 2), -400 * v[0]], [-400 * v[0], 200.0]]),
        (-1.2, 1.0),
        (-2.0, 2.0),
        (-1.0, 3.0),
        1e-3,
    )


_A = hessian_from_eigen(10.0, 1.0, 30.0)
_B = np.array([1.0, 2.0])


def _bowl() -> Surface:
    return Surface(
        "tilted bowl f = ½xᵀAx − bᵀx (curvatures 10 and 1)",
        lambda x, y: (
            0.5 * (_A[0, 0] * x * x + 2 * _A[0, 1] * x * y + _A[1, 1] * y * y)
            - _B[0] * x
            - _B[1] * y
        ),
        lambda v: _A @ v - _B,
        lambda v: _A.copy(),
        (-3.0, 2.5),
        (-4.0, 4.0),
        (-3.0, 4.5),
        0.1,
    )


def _saddle() -> Surface:
    return Surface(
        "saddle f = x² − y²",
        lambda x, y: x * x - y * y,
        lambda v: np.array([2 * v[0], -2 * v[1]]),
        lambda v: np.array([[2.0, 0.0], [0.0, -2.0]]),
        (1.5, 0.5),
        (-2.0, 2.0),
        (-2.0, 2.0),
        0.1,
    )


def _double_well() -> Surface:
    return Surface(
        "double well f = (x² − 1)² + y²",
        lambda x, y: (x * x - 1) ** 2 + y * y,
        lambda v: np.array([4 * v[0] * (v[0] ** 2 - 1), 2 * v[1]]),
        lambda v: np.array([[12 * v[0] ** 2 - 4, 0.0], [0.0, 2.0]]),
        (0.3, 1.0),
        (-2.0, 2.0),
        (-1.5, 1.5),
        0.05,
    )


SURFACES = {
    "Rosenbrock": _rosenbrock(),
    "tilted bowl": _bowl(),
    "saddle": _saddle(),
    "double well": _double_well(),
}
RULES = ("full step", "damped (α)", "backtracking line search")


@dataclass
class Run:
    """The iterates of one method, and why it stopped ("steps", "critical", "blow-up", "singular")."""

    points: list[np.ndarray]
    stop: str
    step_lengths: list[float]

    @property
    def last(self) -> np.ndarray:
        return self.points[-1]


def _value(s: Surface, v: np.ndarray) -> float:
    return float(s.f(v[0], v[1]))


def _stopped(s: Surface, v: np.ndarray) -> str | None:
    if not np.all(np.isfinite(v)) or np.max(np.abs(v)) > BLOW_UP:
        return "blow-up"
    if np.linalg.norm(s.grad(v)) < GRAD_TOL:
        return "critical"
    return None


def newton_run(s: Surface, start, n_steps: int, rule: str, alpha: float = 1.0) -> Run:
    """Newton's method: solve H·Δ = ∇f, then step by Δ, α·Δ or a backtracked t·Δ."""
    if rule not in RULES:
        raise ValueError(f"newton_run: unknown step rule {rule!r}; choose one of {RULES}")
    v = np.array(start, dtype=float)
    points, lengths = [v], []
    stop = _stopped(s, v) or "steps"
    for _ in range(n_steps if stop == "steps" else 0):
        g, h = s.grad(v), s.hess(v)
        if abs(np.linalg.det(h)) < 1e-12 * max(1.0, float(np.max(np.abs(h))) ** 2):
            stop = "singular"
            break
        delta = np.linalg.solve(h, g)
        if rule == "full step":
            t = 1.0
        elif rule == "damped (α)":
            t = float(alpha)
        else:
            t, f0, slope = 1.0, _value(s, v), float(g @ delta)
            # the Newton direction goes downhill only when slope > 0 (always, if H is positive
            # definite); otherwise no t lowers f and the full step is taken and reported
            while slope > 0 and t > MIN_T and _value(s, v - t * delta) > f0 - ARMIJO * t * slope:
                t /= 2
            if slope <= 0 or t <= MIN_T:
                t = 1.0
        v = v - t * delta
        points.append(v)
        lengths.append(t)
        reason = _stopped(s, v)
        if reason:
            stop = reason
            break
    return Run(points, stop, lengths)


def descent_run(s: Surface, start, n_steps: int, lr: float) -> Run:
    """Gradient descent x ← x − η∇f(x)."""
    v = np.array(start, dtype=float)
    points = [v]
    stop = _stopped(s, v) or "steps"
    for _ in range(n_steps if stop == "steps" else 0):
        with np.errstate(all="ignore"):
            v = v - lr * s.grad(v)
        points.append(v)
        reason = _stopped(s, v)
        if reason:
            stop = reason
            break
    return Run(points, stop, [lr] * (len(points) - 1))


def _kind_at(s: Surface, v: np.ndarray) -> str:
    return classify_eigenvalues(np.linalg.eigvalsh(s.hess(v)), tol=1e-9)


def _fmt(value: float, digits: int = 4) -> str:
    value = float(value)
    if not math.isfinite(value):
        return "inf" if value > 0 else "-inf" if value < 0 else "nan"
    value = round(value, 12)
    return f"{value + 0.0:.{digits}g}"


def _point(v: np.ndarray, digits: int = 4) -> str:
    return f"({_fmt(v[0], digits)}, {_fmt(v[1], digits)})"


def ending(s: Surface, run: Run) -> str:
    """Where a run ended, in words."""
    k = len(run.points) - 1
    steps = f"{k} step{'s' * (k != 1)}"
    if run.stop == "blow-up":
        return f"blows up: ‖x‖ passed {BLOW_UP:g} after {steps}"
    if run.stop == "singular":
        return (
            f"stopped after {steps}: H is singular at {_point(run.last)}, so H·Δ = ∇f has no "
            "unique solution and the Newton step is undefined"
        )
    if run.stop == "critical":
        kind = _kind_at(s, run.last)
        what = {
            "minimum": "a minimum (H positive definite)",
            "maximum": "a maximum (H negative definite)",
            "saddle": "a saddle point (H indefinite), not a minimum",
            "inconclusive": "a critical point where H is singular (the test is inconclusive)",
        }[kind]
        return f"reached {_point(run.last)} after {steps} (‖∇f‖ < {GRAD_TOL:g}): {what}"
    grad = float(np.linalg.norm(s.grad(run.last)))
    return (
        f"still moving after {steps}: at {_point(run.last)}, f = {_fmt(_value(s, run.last))}, "
        f"‖∇f‖ = {_fmt(grad, 3)}"
    )


def rises(s: Surface, run: Run) -> list[int]:
    """The steps k at which f(x_k) > f(x_{k−1}), by more than rounding (near a minimum the last
    digits of f are noise, and a rise of 1e-16 is no overshoot)."""
    values = [_value(s, v) for v in run.points]
    return [
        k
        for k in range(1, len(values))
        if values[k] > values[k - 1] + RISE_TOL * (1 + abs(values[k - 1]))
    ]


def rise_text(s: Surface, run: Run, newton: bool) -> str:
    found = rises(s, run)
    if not found:
        return "f fell (or stayed) at every step (up to rounding)."
    k = found[0]
    before, after = _value(s, run.points[k - 1]), _value(s, run.points[k])
    others = ""
    if len(found) > 1:
        others = f" (it rose at steps {', '.join(str(j) for j in found)} in all)"
    text = f"f rose at step {k}, {_fmt(before)} → {_fmt(after)}{others}."
    if newton:
        lam = np.linalg.eigvalsh(s.hess(run.points[k - 1]))
        eig = f"eigenvalues {_fmt(lam[0], 3)} and {_fmt(lam[1], 3)}"
        if np.all(lam > 0):
            text += (
                f" H was positive definite where that step was taken ({eig}): the step "
                "pointed downhill, but went too far, because the quadratic model is only good "
                "near the point where it was built."
            )
        else:
            text += (
                f" H was not positive definite there ({eig}): the model has no minimum, and the "
                "Newton step heads for its saddle or maximum instead."
            )
    return text


class NewtonVsDescent(FigureApp):
    """Both methods from one start: paths on the level sets, and f against the step."""

    MAX_STEPS = 40

    def __init__(
        self,
        surface: str = "Rosenbrock",
        rule: str = "full step",
        steps: int = 8,
        alpha: float = 0.5,
        lr: float | None = None,
    ):
        if surface not in SURFACES:
            raise ValueError(
                f"newton_vs_descent_stepper: unknown function {surface!r}; choose one of "
                f"{list(SURFACES)}"
            )
        if rule not in RULES:
            raise ValueError(
                f"newton_vs_descent_stepper: unknown step rule {rule!r}; choose one of {RULES}"
            )
        style = {"description_width": "150px"}
        wide = widgets.Layout(width="480px")
        self.picker = widgets.Dropdown(
            options=list(SURFACES), value=surface, description="function", style=style, layout=wide
        )
        self.rule_picker = widgets.Dropdown(
            options=list(RULES),
            value=rule,
            description="Newton step rule",
            style=style,
            layout=wide,
        )
        self.steps_slider = widgets.IntSlider(
            value=steps, min=0, max=self.MAX_STEPS, description="steps", style=style, layout=wide
        )
        self.alpha_slider = widgets.FloatSlider(
            value=alpha,
            min=0.05,
            max=1.0,
            step=0.05,
            description="damping α",
            style=style,
            layout=wide,
            readout_format=".2f",
        )
        self.lr_slider = log_slider(
            "gradient descent η",
            SURFACES[surface].lr if lr is None else lr,
            -4,
            0,
            step=0.1,
            readout_format=".1e",
            layout=wide,
        )
        self.lr_slider.style = style
        s = SURFACES[surface]
        common = dict(step=0.05, style=style, layout=wide)
        self.x_slider = widgets.FloatSlider(
            value=s.start[0], min=s.xlim[0], max=s.xlim[1], description="start x", **common
        )
        self.y_slider = widgets.FloatSlider(
            value=s.start[1], min=s.ylim[0], max=s.ylim[1], description="start y", **common
        )
        self._suspended = False
        self._drawn_for = None
        self._background_artists = []

        fig = new_figure(9.4, 3.9, ncols=2, width_ratios=[1.05, 1])
        self.ax_map, self.ax_f = fig.axes
        (self.newton_line,) = self.ax_map.plot(
            [], [], "-s", ms=5, lw=1.8, color=COLORS["secant"], label="Newton"
        )
        (self.gd_line,) = self.ax_map.plot(
            [], [], "-o", ms=2.5, lw=1.2, color=COLORS["tangent"], label="gradient descent"
        )
        (self.start_dot,) = self.ax_map.plot(
            [], [], "o", ms=8, mfc="white", mec=COLORS["point"], mew=1.5, label="start"
        )
        self.ax_map.legend(loc="upper left", fontsize=7, framealpha=0.9)
        (self.newton_f,) = self.ax_f.plot(
            [], [], "-s", ms=4, lw=1.6, color=COLORS["secant"], label="Newton"
        )
        (self.gd_f,) = self.ax_f.plot(
            [], [], "-o", ms=2.5, lw=1.2, color=COLORS["tangent"], label="gradient descent"
        )
        (self.rise_marks,) = self.ax_f.plot(
            [], [], "o", ms=11, mfc="none", mec=COLORS["accent"], mew=2, label="f went up"
        )
        self.ax_f.set_yscale("symlog", linthresh=1e-3)
        self.ax_f.set_xlim(-0.5, self.MAX_STEPS + 0.5)
        label_axes(self.ax_f, "f at each iterate (symmetric log scale)", "step k", "f(xₖ)")
        self.ax_f.legend(loc="upper right", fontsize=7)
        self.newton = self.gd = None
        super().__init__(
            fig,
            controls=[
                self.steps_slider,
                self.picker,
                self.rule_picker,
                self.alpha_slider,
                self.lr_slider,
                self.x_slider,
                self.y_slider,
            ],
            dynamic_artists=[
                self.newton_line,
                self.gd_line,
                self.start_dot,
                self.newton_f,
                self.gd_f,
                self.rise_marks,
            ],
            title="Newton's method and gradient descent, step by step",
            caption=(
                "Left: level sets of the chosen function with the Newton path (squares) and the "
                "gradient-descent path (dots) from the same hollow start. Right: f at each "
                "iterate against the step number on a symmetric log scale; rings mark steps "
                "where Newton's f went up."
            ),
        )
        self.picker.observe(self._on_surface, names="value")

    @property
    def surface(self) -> Surface:
        return SURFACES[self.picker.value]

    @property
    def start(self) -> tuple[float, float]:
        return float(self.x_slider.value), float(self.y_slider.value)

    def _on_change(self, change=None) -> None:
        if not self._suspended:
            self.refresh()

    def _on_surface(self, change) -> None:
        s = self.surface
        self._suspended = True
        try:
            for slider, (lo, hi), value in (
                (self.x_slider, s.xlim, s.start[0]),
                (self.y_slider, s.ylim, s.start[1]),
            ):
                slider.min, slider.max = min(lo, slider.min), max(hi, slider.max)
                slider.value = value
                slider.min, slider.max = lo, hi
            self.lr_slider.value = s.lr
        finally:
            self._suspended = False
        self.refresh()

    def _draw_static(self) -> None:
        s = self.surface
        for artist in self._background_artists:
            artist.remove()
        gx, gy = np.meshgrid(np.linspace(*s.xlim, 200), np.linspace(*s.ylim, 200))
        z = s.f(gx, gy)
        low, top = float(np.min(z)), float(np.max(z))
        if low >= 0:  # a valley: levels spaced by ratios show its floor and its walls
            levels = np.geomspace(max(1e-2, low + 1e-3), top, 22)
            fill = self.ax_map.contourf(
                gx, gy, z, levels=levels, cmap="Blues_r", norm=LogNorm(), alpha=0.6, extend="min"
            )
        else:
            levels = np.linspace(low, top, 24)
            fill = self.ax_map.contourf(
                gx,
                gy,
                z,
                levels=levels,
                cmap="RdBu_r",
                norm=TwoSlopeNorm(0.0, low, top) if top > 0 else None,
                alpha=0.55,
            )
        lines = self.ax_map.contour(gx, gy, z, levels=levels, colors="#335577", linewidths=0.4)
        # f axis: the values the window holds, with room for an overshoot out of it
        self.ax_f.set_ylim(min(-1e-3, 3 * low), 10 * max(top, 1.0))
        self._background_artists = [fill, lines]
        self.ax_map.set_xlim(*s.xlim)
        self.ax_map.set_ylim(*s.ylim)
        label_axes(self.ax_map, s.label, "x", "y")
        self.ax_map.grid(False)

    def update_figure(self) -> bool:
        s = self.surface
        full = self._drawn_for != self.picker.value
        if full:
            self._draw_static()
            self._drawn_for = self.picker.value
        n = int(self.steps_slider.value)
        self.newton = newton_run(
            s, self.start, n, self.rule_picker.value, float(self.alpha_slider.value)
        )
        self.gd = descent_run(s, self.start, n, float(self.lr_slider.value))
        for line, curve, run in (
            (self.newton_line, self.newton_f, self.newton),
            (self.gd_line, self.gd_f, self.gd),
        ):
            pts = np.array(run.points)
            line.set_data(pts[:, 0], pts[:, 1])
            with np.errstate(all="ignore"):
                curve.set_data(np.arange(len(pts)), [_value(s, v) for v in run.points])
        self.start_dot.set_data([self.start[0]], [self.start[1]])
        up = rises(s, self.newton)
        self.rise_marks.set_data(up, [_value(s, self.newton.points[k]) for k in up])
        return full

    def readout(self) -> str:
        s, newton, gd = self.surface, self.newton, self.gd
        rule = self.rule_picker.value
        if rule == "damped (α)":
            rule = f"damped, α = {self.alpha_slider.value:.2f}"
        lines = [
            f"{s.label}; start {_point(np.array(self.start))}, f = "
            f"{_fmt(_value(s, np.array(self.start)))}",
            f"Newton ({rule}): " + ending(s, newton),
            "  " + rise_text(s, newton, newton=True),
            f"Gradient descent (η = {self.lr_slider.value:.2g}): " + ending(s, gd),
            "  " + rise_text(s, gd, newton=False),
            f"{'k':>3}  {'Newton xₖ':>22}  {'f(xₖ)':>10}  {'eigenvalues of H(xₖ)':>22}  t",
        ]
        for k, v in enumerate(newton.points[:12]):
            lam = np.linalg.eigvalsh(s.hess(v)) if np.all(np.isfinite(v)) else [math.nan] * 2
            t = f"{newton.step_lengths[k - 1]:g}" if k else ""
            lines.append(
                f"{k:>3}  {_point(v, 6):>22}  {_fmt(_value(s, v)):>10}  "
                f"{_fmt(lam[0], 3) + ', ' + _fmt(lam[1], 3):>22}  {t}"
            )
        if len(newton.points) > 12:
            lines.append("  …")
        return "\n".join(lines)


def newton_vs_descent_stepper(
    surface: str = "Rosenbrock",
    rule: str = "full step",
    steps: int = 8,
    alpha: float = 0.5,
    lr: float | None = None,
) -> NewtonVsDescent:
    """Newton's method (full, damped or backtracking steps) next to gradient descent on one of
    ``SURFACES``: "Rosenbrock", "tilted bowl", "saddle", "double well"."""
    return NewtonVsDescent(surface, rule=rule, steps=steps, alpha=alpha, lr=lr)
