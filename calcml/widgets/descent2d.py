"""A 2-D gradient-descent playground: the path of w <- w - lr * grad f(w) on a contour plot.

The contour plot of the chosen loss is the static background (drawn once per preset); a slider
move recomputes the path in plain Python floats and redraws only the path artists (blitting).

For a quadratic loss whose Hessian has largest eigenvalue L, each step multiplies the error along
that eigenvector by (1 - lr * L): the iterates converge when lr < 2/L and blow up when lr > 2/L.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from calcml.figures import COLORS, label_axes, new_figure
from calcml.widgets.base import FigureApp, log_slider

#: A gradient norm below this counts as "converged".
CONVERGED_GRAD_NORM = 1e-3
#: Iterates farther than this from the origin count as "diverged" (the loop stops there).
DIVERGED_NORM = 1e6
#: The step counts the step slider offers (a selection keeps it short to work from the keyboard).
STEP_CHOICES = (
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    8,
    10,
    15,
    20,
    30,
    40,
    50,
    75,
    100,
    150,
    200,
    300,
    500,
    750,
    1000,
    1500,
    2000,
)


@dataclass(frozen=True)
class Preset:
    """A loss surface for the playground; ``grad`` works on plain floats and returns a pair."""

    name: str
    formula: str
    loss: Callable[[float, float], float]
    grad: Callable[[float, float], tuple[float, float]]
    hessian_at_min: tuple[tuple[float, float], tuple[float, float]]
    quadratic: bool
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    start: tuple[float, float]
    lr: float
    steps: int
    special_point: tuple[float, float]
    special_label: str

    @property
    def largest_curvature(self) -> float:
        """L: the largest |eigenvalue| of the Hessian at the special point."""
        return float(np.max(np.abs(np.linalg.eigvalsh(np.array(self.hessian_at_min)))))


def _bowl_grad(x, y):
    return 2.0 * x, 2.0 * y


def _valley_grad(x, y):
    return x, 20.0 * y


def _saddle_grad(x, y):
    return 2.0 * x, -2.0 * y


def _rosen_grad(x, y):
    return -2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x)


PRESETS: dict[str, Preset] = {
    "round bowl": Preset(
        "round bowl",
        "f(x, y) = x² + y²",
        lambda x, y: x * x + y * y,
        _bowl_grad,
        ((2.0, 0.0), (0.0, 2.0)),
        True,
        (-3.0, 3.0),
        (-3.0, 3.0),
        (-2.5, 2.0),
        0.1,
        20,
        (0.0, 0.0),
        "minimum",
    ),
    "long valley": Preset(
        "long valley",
        "f(x, y) = (x² + 20y²) / 2",
        lambda x, y: 0.5 * (x * x + 20.0 * y * y),
        _valley_grad,
        ((1.0, 0.0), (0.0, 20.0)),
        True,
        (-3.0, 3.0),
        (-1.5, 1.5),
        (-2.8, 1.0),
        0.09,
        30,
        (0.0, 0.0),
        "minimum",
    ),
    "saddle": Preset(
        "saddle",
        "f(x, y) = x² − y²",
        lambda x, y: x * x - y * y,
        _saddle_grad,
        ((2.0, 0.0), (0.0, -2.0)),
        True,
        (-3.0, 3.0),
        (-3.0, 3.0),
        (-2.8, 0.05),
        0.1,
        20,
        (0.0, 0.0),
        "saddle point",
    ),
    "Rosenbrock": Preset(
        "Rosenbrock",
        "f(x, y) = (1 − x)² + 100(y − x²)²",
        lambda x, y: (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2,
        _rosen_grad,
        ((802.0, -400.0), (-400.0, 200.0)),
        False,
        (-2.0, 2.0),
        (-1.0, 3.0),
        (-1.2, 1.0),
        0.001,
        2000,
        (1.0, 1.0),
        "minimum (1, 1)",
    ),
}


@dataclass(frozen=True)
class DescentRun:
    """The outcome of a run: every iterate, the final loss and gradient norm, and a verdict."""

    path: np.ndarray  # shape (k + 1, 2): the start and every iterate
    loss: float
    grad_norm: float
    status: str  # "converged", "diverged" or "still moving"
    growing: bool  # the gradient norm grew over the run (a hint of divergence)


def run_descent(
    preset: str | Preset, lr: float, start: tuple[float, float], n_steps: int
) -> DescentRun:
    """Run ``n_steps`` of gradient descent with learning rate ``lr`` from ``start`` on a preset."""
    p = PRESETS[preset] if isinstance(preset, str) else preset
    if not lr > 0:
        raise ValueError(f"learning rate must be positive, got {lr!r}")
    if n_steps < 0:
        raise ValueError(f"number of steps must be at least 0, got {n_steps!r}")
    x, y = float(start[0]), float(start[1])
    xs, ys = [x], [y]
    gx, gy = p.grad(x, y)
    first_norm = math.hypot(gx, gy)
    diverged = False
    for _ in range(int(n_steps)):
        x, y = x - lr * gx, y - lr * gy
        xs.append(x)
        ys.append(y)
        if not (math.isfinite(x) and math.isfinite(y)) or math.hypot(x, y) > DIVERGED_NORM:
            diverged = True
            break
        gx, gy = p.grad(x, y)
        if math.hypot(gx, gy) < 1e-12:  # exactly at a stationary point: nothing more happens
            break
    path = np.column_stack([xs, ys])
    if diverged:
        return DescentRun(path, float("nan"), float("inf"), "diverged", True)
    norm = math.hypot(gx, gy)
    status = "converged" if norm < CONVERGED_GRAD_NORM else "still moving"
    return DescentRun(path, float(p.loss(x, y)), norm, status, norm > first_norm)


class DescentPlayground2D(FigureApp):
    """Contour plot of a loss with the gradient-descent path drawn on it."""

    def __init__(
        self,
        preset: str = "round bowl",
        lr: float | None = None,
        start=None,
        steps: int | None = None,
    ):
        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r}; choose one of {sorted(PRESETS)}")
        self._suspended = True
        p = PRESETS[preset]
        style = {"description_width": "initial"}
        self.preset_picker = widgets.Dropdown(
            options=list(PRESETS), value=preset, description="loss surface", style=style
        )
        self.lr_slider = log_slider(
            "learning rate η", lr or p.lr, -4.0, 0.5, step=0.05, readout_format=".4f"
        )
        self.x0_slider = widgets.FloatSlider(
            description="start x",
            min=p.xlim[0],
            max=p.xlim[1],
            step=0.05,
            value=p.start[0],
            style=style,
        )
        self.y0_slider = widgets.FloatSlider(
            description="start y",
            min=p.ylim[0],
            max=p.ylim[1],
            step=0.05,
            value=p.start[1],
            style=style,
        )
        self.steps_slider = widgets.SelectionSlider(
            description="steps",
            options=STEP_CHOICES,
            value=_nearest_step(steps if steps is not None else p.steps),
            style=style,
        )
        if start is not None:
            self.x0_slider.value, self.y0_slider.value = float(start[0]), float(start[1])

        fig = new_figure(5.0, 4.0)
        self.ax = fig.axes[0]
        (self.path_line,) = self.ax.plot(
            [], [], "-", color=COLORS["secant"], lw=1.6, marker="o", ms=3
        )
        (self.start_dot,) = self.ax.plot([], [], "o", color=COLORS["point"], ms=7, label="start")
        (self.end_dot,) = self.ax.plot(
            [], [], "X", color=COLORS["secant"], mec="white", ms=10, label="after the last step"
        )
        self._static_artists = []
        self._drawn_preset = None
        self.run: DescentRun | None = None
        super().__init__(
            fig,
            controls=[
                self.preset_picker,
                self.lr_slider,
                self.x0_slider,
                self.y0_slider,
                self.steps_slider,
            ],
            dynamic_artists=[self.path_line, self.start_dot, self.end_dot],
            title="Gradient descent in two dimensions",
            caption="Contour plot of the loss with the path of gradient descent drawn from the start point.",
        )
        self._suspended = False
        self.preset_picker.observe(self._on_preset, names="value")

    @property
    def preset(self) -> Preset:
        return PRESETS[self.preset_picker.value]

    def _on_change(self, change=None) -> None:
        if not self._suspended:
            self.refresh()

    def _on_preset(self, change) -> None:
        """A new surface: move the start sliders to its box and reset the defaults, then redraw once."""
        p = self.preset
        self._suspended = True
        try:
            for slider, (lo, hi), value in (
                (self.x0_slider, p.xlim, p.start[0]),
                (self.y0_slider, p.ylim, p.start[1]),
            ):
                slider.max = max(slider.max, hi)
                slider.min = lo
                slider.max = hi
                slider.value = value
            self.lr_slider.value = p.lr
            self.steps_slider.value = _nearest_step(p.steps)
        finally:
            self._suspended = False
        self.refresh()

    def _draw_background(self) -> None:
        p = self.preset
        for artist in self._static_artists:
            artist.remove()
        self._static_artists = []
        ax = self.ax
        xs = np.linspace(*p.xlim, 160)
        ys = np.linspace(*p.ylim, 160)
        gx, gy = np.meshgrid(xs, ys)
        z = p.loss(gx, gy)
        if p.name == "Rosenbrock":
            levels = np.logspace(-1, 3.5, 14)
        elif p.name == "saddle":
            levels = np.linspace(-9, 9, 19)
        else:
            levels = np.linspace(0, float(z.max()), 16)[1:]
        # Rosenbrock spans four orders of magnitude: shade it by log10 of the loss.
        shade = np.log10(z + 0.05) if p.name == "Rosenbrock" else z
        filled = ax.contourf(gx, gy, shade, levels=30, cmap="Blues_r", alpha=0.55)
        lines = ax.contour(gx, gy, z, levels=levels, colors="#335577", linewidths=0.6)
        star = ax.plot(
            *p.special_point,
            "*",
            color=COLORS["tangent"],
            ms=13,
            mec="black",
            mew=0.6,
            label=p.special_label,
        )[0]
        self._static_artists = [filled, lines, star]
        ax.set_xlim(*p.xlim)
        ax.set_ylim(*p.ylim)
        ax.set_aspect("equal" if p.name != "long valley" else "auto")
        label_axes(ax, f"{p.name}: {p.formula}", "x (weight 1)", "y (weight 2)")
        ax.grid(False)
        ax.legend(
            handles=[star, self.start_dot, self.end_dot],
            loc="lower right" if p.name == "Rosenbrock" else "upper right",
            fontsize=7,
            framealpha=0.85,
        )
        self._drawn_preset = p.name

    def update_figure(self) -> bool:
        full = self._drawn_preset != self.preset.name
        if full:
            self._draw_background()
        p = self.preset
        self.run = run_descent(
            p,
            self.lr_slider.value,
            (self.x0_slider.value, self.y0_slider.value),
            self.steps_slider.value,
        )
        path = self.run.path
        # Points far outside the view are clipped so the renderer never sees astronomically large
        # coordinates; the readout still reports the true values.
        span = max(p.xlim[1] - p.xlim[0], p.ylim[1] - p.ylim[0])
        shown = np.clip(path[np.all(np.isfinite(path), axis=1)], -20 * span, 20 * span)
        self.path_line.set_data(shown[:, 0], shown[:, 1])
        self.path_line.set_marker("o" if len(shown) <= 150 else "")
        self.start_dot.set_data(shown[:1, 0], shown[:1, 1])
        self.end_dot.set_data(shown[-1:, 0], shown[-1:, 1])
        return full

    def readout(self) -> str:
        p, run = self.preset, self.run
        lr = self.lr_slider.value
        L = p.largest_curvature
        if p.name == "saddle":
            rule = "curvature +2 along x but −2 along y: descent slides off along y"
        elif p.quadratic:
            limit = 2 / L
            if math.isclose(lr, limit, rel_tol=1e-9):
                where = (
                    "exactly at it: the steepest direction flips sign each step without shrinking"
                )
            else:
                where = f"{'below' if lr < limit else 'above'} it"
            rule = f"largest curvature L = {L:g}, so 2/L = {limit:.4g}: η = {lr:.4g} is {where}"
        else:
            rule = f"curvature varies; at the minimum L ≈ {L:.1f}, so 2/L ≈ {2 / L:.4f}"
        steps_taken = len(run.path) - 1
        lines = [
            f"{p.name}: {p.formula}; {rule}.",
            f"start ({run.path[0, 0]:.3g}, {run.path[0, 1]:.3g}), {steps_taken} step(s) of w ← w − η∇f.",
        ]
        if run.status == "diverged":
            lines.append(
                f"Diverged: after {steps_taken} step(s) the iterate is off to infinity (|w| > {DIVERGED_NORM:g})."
            )
        else:
            x, y = run.path[-1]
            lines.append(
                f"final point ({x:.4g}, {y:.4g}), loss {run.loss:.4g}, gradient norm {run.grad_norm:.3g}."
            )
            if run.status == "converged":
                lines.append(f"Converged: the gradient norm is below {CONVERGED_GRAD_NORM:g}.")
            else:
                hint = " and growing: heading for divergence" if run.growing else ""
                lines.append(
                    f"Still moving: the gradient norm is not yet below {CONVERGED_GRAD_NORM:g}{hint}."
                )
            if not (p.xlim[0] <= x <= p.xlim[1] and p.ylim[0] <= y <= p.ylim[1]):
                lines.append("The last point is outside the picture.")
        return "\n".join(lines)

    @property
    def status(self) -> str:
        return self.run.status


def _nearest_step(n: int) -> int:
    return min(STEP_CHOICES, key=lambda choice: abs(choice - int(n)))


def descent_playground_2d(
    preset: str = "round bowl", lr: float | None = None, start=None, steps: int | None = None
) -> DescentPlayground2D:
    """The 2-D gradient-descent playground, opened on ``preset`` (round bowl, long valley, saddle, Rosenbrock)."""
    return DescentPlayground2D(preset, lr=lr, start=start, steps=steps)
