"""The 1-D gradient-descent stepper: w ← w − lr · L′(w) on a loss curve, one step at a time.

``descent_stepper_1d()`` has sliders for the learning rate, the start point and the number of
steps; the path is drawn on the loss curve (left) and as w against the step number (right). The
readout lists the iterates and says whether the run converged, is still converging, oscillates or
diverges. On the quadratic L(w) = (c/2)(w − 3)² the step multiplies the distance to the minimum by
(1 − lr·c), so lr < 2/c converges and lr > 2/c diverges: the widget shows exactly that.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from calcml.figures import COLORS, label_axes, new_figure
from calcml.widgets.base import FigureApp

#: iterates beyond this size count as diverged (and stop the run before overflow)
DIVERGENCE_BOUND = 1e6


def gradient_descent_1d(
    grad: Callable[[float], float], w0: float, lr: float, n_steps: int
) -> np.ndarray:
    """Iterates w0, w1, …, w_n of w ← w − lr·grad(w); stops early once |w| > 1e6 or w is not finite."""
    if n_steps < 0:
        raise ValueError(f"gradient_descent_1d: n_steps must be ≥ 0, got {n_steps}")
    ws = [float(w0)]
    for _ in range(int(n_steps)):
        w = ws[-1]
        try:
            w_next = w - lr * float(grad(w))
        except OverflowError:
            w_next = math.inf
        ws.append(w_next)
        if not math.isfinite(w_next) or abs(w_next) > DIVERGENCE_BOUND:
            break
    return np.array(ws, dtype=float)


def classify_run(ws: np.ndarray, grad: Callable[[float], float], tol: float = 1e-6) -> str:
    """One of "converged", "converging", "oscillating, converging", "oscillating", "diverging",
    "too few steps"; judged from the last few steps of the run."""
    ws = np.asarray(ws, dtype=float)
    last = ws[-1]
    if not math.isfinite(last) or abs(last) > DIVERGENCE_BOUND:
        return "diverging"
    if abs(float(grad(last))) < tol:
        return "converged"
    steps = np.diff(ws)
    if len(steps) < 3:
        return "too few steps"
    recent = steps[-4:]
    sizes = np.abs(recent)
    if np.any(sizes == 0):
        return "converged"
    ratio = float(np.exp(np.mean(np.log(sizes[1:] / sizes[:-1]))))  # growth factor per step
    alternating = bool(np.all(np.sign(recent[1:]) == -np.sign(recent[:-1])))
    if ratio > 1 + 1e-3:
        return "diverging"
    if ratio >= 1 - 1e-3:
        return "oscillating" if alternating else "converging"
    return "oscillating, converging" if alternating else "converging"


STATUS_TEXT = {
    "converged": "converged: the gradient at the last iterate is essentially 0",
    "converging": "converging: every step moves the same way and the steps shrink (not there yet)",
    "oscillating, converging": "converging while oscillating: each step overshoots the minimum, but by less each time",
    "oscillating": "oscillating: w bounces from side to side and the steps do not shrink",
    "diverging": "diverging: the steps grow and w runs away from the minimum",
    "too few steps": "too few steps to tell: take at least 3",
}


@dataclass(frozen=True)
class Loss:
    label: str
    loss: Callable[[float], float]
    grad: Callable[[float], float]
    curvature: Callable[[float], float]
    wlim: tuple[float, float]
    ylim: tuple[float, float]
    lr_max: float
    lr_step: float
    start: float
    minima: tuple[float, ...]


def quadratic_loss(curvature: float = 2.0, center: float = 3.0) -> Loss:
    """L(w) = (c/2)(w − center)²: a bowl whose second derivative is c everywhere."""
    c = float(curvature)
    if not c > 0:
        raise ValueError(f"quadratic_loss: curvature must be positive, got {curvature}")
    limit = 2.0 / c
    scale = "" if c == 2 else f"{c / 2:g}"
    return Loss(
        f"L(w) = {scale}(w − {center:g})²",
        lambda w: 0.5 * c * (w - center) ** 2,
        lambda w: c * (w - center),
        lambda w: c,
        (center - 5.0, center + 5.0),
        (-0.05 * 12.5 * c, 12.5 * c * 1.05),
        round(1.3 * limit, 6),
        round(limit / 100, 6),
        center - 4.0,
        (center,),
    )


def double_well_loss() -> Loss:
    """L(w) = w⁴ − 3w² + w: a global minimum near w = −1.30 and a local one near w = 1.13."""
    roots = np.roots([4.0, 0.0, -6.0, 1.0])
    minima = tuple(
        sorted(float(r.real) for r in roots if abs(r.imag) < 1e-12 and 12 * r.real**2 - 6 > 0)
    )
    return Loss(
        "L(w) = w⁴ − 3w² + w",
        lambda w: w**4 - 3 * w**2 + w,
        lambda w: 4 * w**3 - 6 * w + 1,
        lambda w: 12 * w**2 - 6,
        (-2.2, 2.2),
        (-4.5, 6.0),
        0.3,
        0.005,
        1.9,
        minima,
    )


def _losses(curvature: float) -> dict[str, Loss]:
    return {"quadratic": quadratic_loss(curvature), "double well": double_well_loss()}


class DescentStepper1D(FigureApp):
    """Learning rate, start point and number of steps → the gradient-descent path and a verdict."""

    MAX_STEPS = 50

    def __init__(
        self,
        loss: str = "quadratic",
        lr: float | None = None,
        start: float | None = None,
        steps: int = 10,
        curvature: float = 2.0,
    ):
        self.losses = _losses(curvature)
        if loss not in self.losses:
            raise ValueError(
                f"descent_stepper_1d: unknown loss {loss!r}; choose one of {list(self.losses)}"
            )
        spec = self.losses[loss]
        self.chooser = widgets.Dropdown(options=list(self.losses), value=loss, description="loss")
        self.lr_slider = widgets.FloatSlider(
            description="learning rate", continuous_update=True, readout_format=".3f"
        )
        self.start_slider = widgets.FloatSlider(
            description="start w₀", continuous_update=True, step=0.05
        )
        self.steps_slider = widgets.IntSlider(
            value=int(steps), min=0, max=self.MAX_STEPS, description="steps", continuous_update=True
        )
        for control in (self.chooser, self.lr_slider, self.start_slider, self.steps_slider):
            control.style = {"description_width": "110px"}
            control.layout.width = "460px"  # aligned labels, and a slider long enough to aim
        self._suppress = False
        self._configure_sliders(spec, lr, start)
        self._static_key = None

        fig = new_figure(8.6, 3.4, ncols=2)
        self.ax_loss, self.ax_trace = fig.axes
        (self.curve,) = self.ax_loss.plot([], [], color=COLORS["curve"], lw=1.8)
        (self.min_marker,) = self.ax_loss.plot(
            [], [], "*", ms=12, color=COLORS["tangent"], label="minima"
        )
        (self.path,) = self.ax_loss.plot(
            [], [], "-o", ms=4, lw=1.1, color=COLORS["secant"], label="iterates"
        )
        (self.start_dot,) = self.ax_loss.plot(
            [], [], "o", ms=8, mfc="white", mec=COLORS["point"], mew=1.5, label="start"
        )
        (self.end_dot,) = self.ax_loss.plot(
            [], [], "o", ms=8, color=COLORS["point"], label="last iterate"
        )
        self.ax_loss.legend(
            handles=[self.min_marker, self.path, self.start_dot, self.end_dot],
            fontsize=7,
            loc="upper center",
        )
        self.min_lines = []
        (self.trace,) = self.ax_trace.plot([], [], "-o", ms=3, lw=1.1, color=COLORS["secant"])
        self.ax_trace.set_xlim(-0.5, self.MAX_STEPS + 0.5)
        label_axes(self.ax_trace, "Iterate w_k against step k", "step k", "w_k")
        super().__init__(
            fig,
            controls=[self.chooser, self.lr_slider, self.start_slider, self.steps_slider],
            dynamic_artists=[self.path, self.start_dot, self.end_dot, self.trace],
            title="1-D gradient descent",
            caption=(
                "Left: the loss curve with the gradient-descent iterates joined in order, from the "
                "hollow start dot to the solid last dot. Right: each iterate w_k against the step "
                "number k, with the minima as dashed lines."
            ),
        )

    def _configure_sliders(self, spec: Loss, lr: float | None, start: float | None) -> None:
        self._suppress = True
        try:
            self.lr_slider.min, self.lr_slider.max = 0.0, max(self.lr_slider.max, spec.lr_max)
            self.lr_slider.step = spec.lr_step
            self.lr_slider.value = float(
                np.clip(0.3 * spec.lr_max if lr is None else lr, 0.0, spec.lr_max)
            )
            self.lr_slider.max = spec.lr_max
            lo, hi = spec.wlim
            self.start_slider.min, self.start_slider.max = (
                min(lo, self.start_slider.min),
                max(hi, self.start_slider.max),
            )
            self.start_slider.value = float(np.clip(spec.start if start is None else start, lo, hi))
            self.start_slider.min, self.start_slider.max = lo, hi
        finally:
            self._suppress = False

    def _on_change(self, change=None) -> None:
        if self._suppress:
            return
        if change is not None and change.get("owner") is self.chooser:
            self._configure_sliders(self.spec, None, None)
        self.refresh()

    @property
    def spec(self) -> Loss:
        return self.losses[self.chooser.value]

    def iterates(self) -> np.ndarray:
        spec = self.spec
        return gradient_descent_1d(
            spec.grad, self.start_slider.value, self.lr_slider.value, self.steps_slider.value
        )

    def status(self) -> str:
        return classify_run(self.iterates(), self.spec.grad)

    def _draw_static(self) -> None:
        spec = self.spec
        ws = np.linspace(*spec.wlim, 400)
        self.curve.set_data(ws, spec.loss(ws))
        self.min_marker.set_data(list(spec.minima), [spec.loss(m) for m in spec.minima])
        self.ax_loss.set_xlim(*spec.wlim)
        self.ax_loss.set_ylim(*spec.ylim)
        label_axes(self.ax_loss, spec.label, "weight w", "loss L(w)")
        for line in self.min_lines:
            line.remove()
        self.min_lines = [
            self.ax_trace.axhline(m, color=COLORS["tangent"], ls="--", lw=1) for m in spec.minima
        ]
        self.ax_trace.set_ylim(*spec.wlim)

    def update_figure(self) -> bool:
        full = self.chooser.value != self._static_key
        if full:
            self._draw_static()
            self._static_key = self.chooser.value
        spec = self.spec
        ws = self.iterates()
        with np.errstate(all="ignore"):
            ls = np.array([spec.loss(w) for w in ws])
        self._ws = ws
        self.path.set_data(ws, ls)
        self.start_dot.set_data(ws[:1], ls[:1])
        self.end_dot.set_data(ws[-1:], ls[-1:])
        self.trace.set_data(np.arange(len(ws)), ws)
        return full

    def readout(self) -> str:
        spec, ws = self.spec, self._ws
        lr = float(self.lr_slider.value)
        status = classify_run(ws, spec.grad)
        finite = [w for w in ws if math.isfinite(w)]
        nearest = min(spec.minima, key=lambda m: abs(m - finite[-1]))
        c = float(spec.curvature(nearest))
        compare = "<" if lr < 2 / c - 1e-12 else ">" if lr > 2 / c + 1e-12 else "="
        lines = [
            f"{spec.label}; learning rate {lr:.3f}, start w₀ = {ws[0]:.3f}, {len(ws) - 1} steps",
            f"curvature at the minimum w* = {nearest:.4g}: L″ = {c:.4g}, so 2/L″ = {2 / c:.4g}; "
            f"lr {compare} 2/L″",
            "Verdict: " + STATUS_TEXT[status],
            f"{'k':>3}  {'w_k':>12}  {'L(w_k)':>12}",
        ]
        shown = list(range(len(ws)))
        if len(ws) > 11:
            shown = list(range(8)) + [None] + list(range(len(ws) - 3, len(ws)))
        for k in shown:
            if k is None:
                lines.append("  …")
                continue
            w = ws[k]
            with np.errstate(all="ignore"):
                loss = spec.loss(w) if abs(w) < 1e75 else math.inf
            lines.append(f"{k:>3}  {w:12.6g}  {loss:12.6g}")
        if len(ws) - 1 < self.steps_slider.value:
            lines.append(f"stopped after {len(ws) - 1} steps: |w| passed {DIVERGENCE_BOUND:g}")
        return "\n".join(lines)


def descent_stepper_1d(
    loss: str = "quadratic",
    lr: float | None = None,
    start: float | None = None,
    steps: int = 10,
    curvature: float = 2.0,
):
    """Interactive 1-D gradient descent; ``loss`` is "quadratic" (curvature ``curvature``) or
    "double well" (a local and a global minimum)."""
    return DescentStepper1D(loss=loss, lr=lr, start=start, steps=steps, curvature=curvature)
