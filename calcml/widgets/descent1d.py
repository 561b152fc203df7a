"""The 1-D gradient-descent stepper: w ← w − η · L′(w) on a loss curve, one step at a time.

``descent_stepper_1d()`` has sliders for the learning rate η, the start point and the number of
steps; the path is drawn on the loss curve (left) and as w against the step number (right). The
readout lists the iterates, gives a verdict on the run shown and says what happens if one keeps
going. Every loss is a polynomial whose critical points are known exactly, so the verdict can say
whether a run that stopped moving sits at a minimum or is stuck at a point that is not one.

The verdict is read from the last few steps (their directions, their sizes and the loss), never
from the step size alone: a run that speeds up while it slides downhill is not "diverging", and a
run that bounces without growing is not "running away". On the quadratic L(w) = (c/2)(w − 3)² the
step multiplies the distance to the minimum by (1 − ηc), so η < 2/c converges and η > 2/c diverges:
the widget shows exactly that.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import ipywidgets as widgets
import numpy as np

from calcml.figures import COLORS, label_axes, new_figure
from calcml.regression import AREA, RENT
from calcml.widgets.base import FigureApp

#: iterates beyond this size count as blown up (and stop the run before overflow)
DIVERGENCE_BOUND = 1e6
#: |L′| below this counts as "at a critical point"
GRADIENT_TOL = 1e-6
#: how far the "keep going" forecast runs
FORECAST_STEPS = 10_000


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


@dataclass(frozen=True)
class CriticalPoint1D:
    """A point where L′ = 0, with what it is ("minimum", "maximum", "flat inflection")."""

    w: float
    kind: str

    @property
    def is_minimum(self) -> bool:
        return self.kind == "minimum"


def _horner(coeffs: Sequence[float]) -> Callable:
    """The polynomial with these coefficients (highest power first), for floats and arrays."""
    coeffs = [float(c) for c in coeffs]

    def value(w):
        total = 0.0 * w
        for c in coeffs:
            total = total * w + c
        return total

    return value


@dataclass(frozen=True)
class Loss:
    """A polynomial loss: its formula, its exact critical points and the sliders' ranges."""

    label: str
    coeffs: tuple[float, ...]  # highest power first
    critical: tuple[CriticalPoint1D, ...]
    wlim: tuple[float, float]
    ylim: tuple[float, float]
    lr_max: float
    lr_step: float
    start: float
    is_quadratic: bool = False

    @cached_property
    def loss(self) -> Callable:
        return _horner(self.coeffs)

    @cached_property
    def grad(self) -> Callable:
        return _horner(np.polyder(np.array(self.coeffs)))

    @cached_property
    def curvature(self) -> Callable:
        return _horner(np.polyder(np.array(self.coeffs), 2))

    @property
    def minima(self) -> tuple[float, ...]:
        return tuple(c.w for c in self.critical if c.is_minimum)

    def nearest_critical(self, w: float, minima_only: bool = False) -> CriticalPoint1D:
        points = [c for c in self.critical if c.is_minimum or not minima_only]
        return min(points, key=lambda c: abs(c.w - w))


def quadratic_loss(curvature: float = 2.0, center: float = 3.0) -> Loss:
    """L(w) = (c/2)(w − center)²: a bowl whose second derivative is c everywhere."""
    c = float(curvature)
    if not c > 0:
        raise ValueError(f"quadratic_loss: curvature must be positive, got {curvature}")
    limit = 2.0 / c
    scale = "" if c == 2 else f"{c / 2:g}"
    return Loss(
        label=f"L(w) = {scale}(w − {center:g})²",
        coeffs=(0.5 * c, -c * center, 0.5 * c * center**2),
        critical=(CriticalPoint1D(center, "minimum"),),
        wlim=(center - 5.0, center + 5.0),
        ylim=(-0.05 * 12.5 * c, 12.5 * c * 1.05),
        lr_max=round(1.3 * limit, 6),
        lr_step=round(limit / 100, 6),
        start=center - 4.0,
        is_quadratic=True,
    )


def _cubic_roots(a: float, b: float, c: float, d: float) -> list[float]:
    roots = np.roots([a, b, c, d])
    return sorted(float(r.real) for r in roots if abs(r.imag) < 1e-9)


def double_well_loss() -> Loss:
    """L(w) = w⁴ − 3w² + w: a global minimum near w = −1.30, a hilltop near 0.17, a local minimum near 1.13."""
    left, top, right = _cubic_roots(4.0, 0.0, -6.0, 1.0)
    return Loss(
        label="L(w) = w⁴ − 3w² + w",
        coeffs=(1.0, 0.0, -3.0, 1.0, 0.0),
        critical=(
            CriticalPoint1D(left, "minimum"),
            CriticalPoint1D(top, "maximum"),
            CriticalPoint1D(right, "minimum"),
        ),
        wlim=(-2.2, 2.2),
        ylim=(-4.5, 6.0),
        lr_max=0.3,
        lr_step=0.005,
        start=1.9,
    )


def flat_bottom_loss() -> Loss:
    """L(w) = w⁴: a minimum at 0 where L″ = 0 too, so the steps shrink with the distance (slow)."""
    return Loss(
        label="L(w) = w⁴",
        coeffs=(1.0, 0.0, 0.0, 0.0, 0.0),
        critical=(CriticalPoint1D(0.0, "minimum"),),
        wlim=(-1.5, 1.5),
        ylim=(-0.25, 5.2),
        lr_max=0.5,
        lr_step=0.005,
        start=1.0,
    )


def plateau_loss() -> Loss:
    """L(w) = w⁴ − 2w³ = w³(w − 2): a flat inflection at 0 (L′ = L″ = 0, not a minimum), a minimum at 1.5."""
    return Loss(
        label="L(w) = w⁴ − 2w³",
        coeffs=(1.0, -2.0, 0.0, 0.0, 0.0),
        critical=(CriticalPoint1D(0.0, "flat inflection"), CriticalPoint1D(1.5, "minimum")),
        wlim=(-1.5, 2.5),
        ylim=(-2.5, 12.5),
        lr_max=0.3,
        lr_step=0.005,
        start=-1.0,
    )


def rent_slope_loss() -> Loss:
    """The course's running example: L(w) = mean((w·x − y)²) for ŷ = w·x on the six flats."""
    a, b, c = float(np.mean(AREA**2)), float(np.mean(AREA * RENT)), float(np.mean(RENT**2))
    best = b / a
    limit = 2.0 / (2 * a)
    return Loss(
        label="rent slope L(w) = mean((w·x − y)²)",
        coeffs=(a, -2 * b, c),
        critical=(CriticalPoint1D(best, "minimum"),),
        wlim=(best - 2.5, best + 2.5),
        ylim=(-0.5, a * 2.5**2 * 1.1 + (c - b * b / a)),
        lr_max=round(1.3 * limit, 3),
        lr_step=0.005,
        start=0.0,
        is_quadratic=True,
    )


#: how many of the last steps a verdict looks at
WINDOW = 6


def _trend(ratios: np.ndarray, tol: float = 1e-3) -> str:
    """ "shrinking", "growing", "steady" or "mixed" for consecutive step-size ratios."""
    if np.all(np.abs(ratios - 1) <= tol):
        return "steady"
    mean = float(np.exp(np.mean(np.log(ratios))))
    if np.all(ratios <= 1 + tol) and mean < 1 - tol:
        return "shrinking"
    if np.all(ratios >= 1 - tol) and mean > 1 + tol:
        return "growing"
    return "mixed"


def _classify_steps(ws: np.ndarray, spec: Loss, lr: float) -> str:
    recent = ws[-(WINDOW + 1) :]
    steps = np.diff(recent)
    sizes = np.abs(steps)
    if np.any(sizes == 0):
        return "not settling"  # only reachable by underflow; say nothing strong
    trend = _trend(sizes[1:] / sizes[:-1])
    signs = np.sign(steps)
    if np.all(signs == signs[0]):
        with np.errstate(all="ignore"):
            losses = spec.loss(recent)
        if not np.all(np.diff(losses) < 0):
            return "not settling"
        return {"shrinking": "converging", "growing": "speeding up"}.get(trend, "downhill")
    if np.all(signs[1:] == -signs[:-1]):
        if trend == "shrinking":
            nearest = spec.nearest_critical(float(ws[-1]), minima_only=True)
            c = float(spec.curvature(nearest.w))
            if c <= 0 or lr < 2 / c:
                return "oscillating, converging"
            return "cannot settle"
        if trend == "growing":
            return "swings growing"
        if trend == "steady":
            return "bouncing"
    return "not settling"


def classify_run(ws: np.ndarray, spec: Loss, lr: float, tol: float = GRADIENT_TOL) -> str:
    """A verdict key of ``STATUS_TEXT`` for the run ``ws`` of gradient descent on ``spec`` with
    learning rate ``lr``, judged from its last iterate and its last (up to six) steps."""
    ws = np.asarray(ws, dtype=float)
    if lr == 0:
        return "not moving"
    last = float(ws[-1])
    if not math.isfinite(last) or abs(last) > DIVERGENCE_BOUND:
        return "blows up"
    if abs(float(spec.grad(last))) < tol:
        return "converged" if spec.nearest_critical(last).is_minimum else "stuck"
    if len(ws) - 1 < 3:
        return "too few steps"  # a trend needs three steps
    return _classify_steps(ws, spec, lr)


STATUS_TEXT = {
    "not moving": "not moving: η = 0, so every step is 0 and w stays at w₀",
    "blows up": f"blows up: |w| passed {DIVERGENCE_BOUND:g} and the run was stopped",
    "converged": (
        f"converged: |L′| < {GRADIENT_TOL:g} at the last iterate (the stopping rule), next to "
        "a minimum"
    ),
    "stuck": (
        f"stuck: |L′| < {GRADIENT_TOL:g} at the last iterate, next to a critical point that is "
        "not a minimum; with almost no slope to follow, gradient descent barely moves"
    ),
    "too few steps": "too few steps to tell: take at least 3",
    "converging": (
        "converging: the loss falls at every step, all steps go the same way and they shrink "
        "(not there yet)"
    ),
    "speeding up": (
        "speeding up downhill: the loss falls at every step and the steps grow as the slope "
        "steepens (not there yet)"
    ),
    "downhill": (
        "moving downhill: the loss falls at every step and all steps go the same way "
        "(not there yet)"
    ),
    "oscillating, converging": (
        "converging while oscillating: each step overshoots the minimum, but by less each time"
    ),
    "cannot settle": (
        "oscillating with shrinking swings, but η > 2/L″ at the nearest minimum, so w cannot "
        "settle there"
    ),
    "bouncing": (
        "bounded oscillation: w bounces from side to side and the swings stay the same size "
        "(no sign of settling)"
    ),
    "swings growing": "oscillating with growing swings: each step overshoots by more than the last",
    "not settling": (
        "not settling: the last steps follow no steady pattern (neither one way downhill nor a "
        "regular back-and-forth)"
    ),
}


@dataclass(frozen=True)
class Forecast:
    """What happens if the run goes on: ``outcome`` is "reaches", "blows up" or "still moving"."""

    outcome: str
    steps: int
    w: float
    point: CriticalPoint1D | None = None


def forecast(spec: Loss, w: float, lr: float, max_steps: int = FORECAST_STEPS) -> Forecast:
    """Keep stepping from ``w`` until |L′| < tol, |w| > 1e6, or ``max_steps`` more steps."""
    grad = spec.grad
    for k in range(max_steps + 1):
        g = float(grad(w))
        if abs(g) < GRADIENT_TOL:
            return Forecast("reaches", k, w, spec.nearest_critical(w))
        if k == max_steps:
            break
        w = w - lr * g
        if not math.isfinite(w) or abs(w) > DIVERGENCE_BOUND:
            return Forecast("blows up", k + 1, w)
    return Forecast("still moving", max_steps, w)


def forecast_text(spec: Loss, fc: Forecast) -> str:
    if fc.outcome == "blows up":
        return f"Keep going: it blows up after {fc.steps} more step{'s' * (fc.steps != 1)}."
    if fc.outcome == "reaches":
        point = fc.point
        kind = (
            f"next to the minimum at w = {_number(point.w)}"
            if point.is_minimum
            else f"next to the {point.kind} at w = {_number(point.w)}, not a minimum"
        )
        if fc.steps == 0:
            return f"Keep going: |L′| is already below {GRADIENT_TOL:g} at w = {_number(fc.w)}, {kind}."
        more = "1 more step brings" if fc.steps == 1 else f"{fc.steps} more steps bring"
        return f"Keep going: {more} |L′| below {GRADIENT_TOL:g}, at w = {_number(fc.w)}, {kind}."
    slope = float(spec.grad(fc.w))
    text = (
        f"Keep going: after {fc.steps:,} more steps w = {fc.w:.4g} and L′ = {slope:.2g}: "
        "still not at a critical point."
    ).replace(",", " ")
    near = spec.nearest_critical(fc.w)
    if abs(near.w - fc.w) < 0.1 and abs(float(spec.curvature(near.w))) < 1e-12:
        text += (
            f" Near w = {near.w:g} both L′ and L″ vanish, so the steps shrink as w closes in: "
            "progress there is slow."
        )
    return text


def _losses(curvature: float) -> dict[str, Loss]:
    return {
        "quadratic": quadratic_loss(curvature),
        "double well": double_well_loss(),
        "flat bottom w⁴": flat_bottom_loss(),
        "plateau w⁴ − 2w³": plateau_loss(),
        "rent slope (running example)": rent_slope_loss(),
    }


def _number(value: float, digits: int = 4) -> str:
    """A number for the readout without a negative zero."""
    value = round(float(value), 12)
    return f"{value + 0.0:.{digits}g}"


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
            description="learning rate η", continuous_update=True, readout_format=".3f"
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
        (self.flat_marker,) = self.ax_loss.plot(
            [], [], "X", ms=9, color=COLORS["accent"], label="critical, not a minimum"
        )
        (self.path,) = self.ax_loss.plot(
            [], [], "-o", ms=4, lw=1.1, color=COLORS["secant"], label="iterates"
        )
        (self.start_dot,) = self.ax_loss.plot(
            [],
            [],
            "o",
            ms=8,
            mfc="white",
            mec=COLORS["point"],
            mew=1.5,
            label="start",
            clip_on=False,
        )
        (self.end_dot,) = self.ax_loss.plot(
            [], [], "o", ms=8, color=COLORS["point"], label="last iterate"
        )
        self.ax_loss.legend(
            handles=[self.min_marker, self.flat_marker, self.path, self.start_dot, self.end_dot],
            fontsize=7,
            loc="upper center",
            ncols=2,
        )
        self.min_lines = []
        (self.trace,) = self.ax_trace.plot([], [], "-o", ms=3, lw=1.1, color=COLORS["secant"])
        self.ax_trace.set_xlim(-0.5, self.MAX_STEPS + 0.5)
        label_axes(self.ax_trace, "Iterate wₖ against step k", "step k", "wₖ")
        super().__init__(
            fig,
            controls=[self.chooser, self.lr_slider, self.start_slider, self.steps_slider],
            dynamic_artists=[self.path, self.start_dot, self.end_dot, self.trace],
            title="1-D gradient descent",
            caption=(
                "Left: the loss curve with the gradient-descent iterates joined in order, from the "
                "hollow start dot to the solid last dot. Right: each iterate wₖ against the step "
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
        return classify_run(self.iterates(), self.spec, float(self.lr_slider.value))

    def _draw_static(self) -> None:
        spec = self.spec
        ws = np.linspace(*spec.wlim, 400)
        self.curve.set_data(ws, spec.loss(ws))
        self.min_marker.set_data(list(spec.minima), [spec.loss(m) for m in spec.minima])
        others = [c.w for c in spec.critical if not c.is_minimum]
        self.flat_marker.set_data(others, [spec.loss(w) for w in others])
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

    def _bound_line(self, lr: float, target: CriticalPoint1D) -> str:
        c = float(self.spec.curvature(target.w))
        where = f"at the minimum w* = {_number(target.w)}"
        if c <= 1e-12:
            return (
                f"{where}: L″ = 0, so very close to w* every η is stable; farther out the "
                "curvature grows and sets the bound"
            )
        limit = 2 / c
        compare = "<" if lr < limit - 1e-12 else ">" if lr > limit + 1e-12 else "="
        return f"{where}: L″ = {_number(c)}, so 2/L″ = {_number(limit)}; η {compare} 2/L″"

    def readout(self) -> str:
        spec, ws = self.spec, self._ws
        lr = float(self.lr_slider.value)
        status = classify_run(ws, spec, lr)
        taken = len(ws) - 1
        verdict = STATUS_TEXT[status]
        if status == "swings growing" and spec.is_quadratic:
            verdict += " (on a quadratic |1 − ηL″| > 1, so the swings grow until it blows up)"
        last = float(ws[-1])
        fc = None
        if status not in ("not moving", "blows up"):
            fc = forecast(spec, last, lr)
        # the bound that matters is the one at the minimum the run is heading for, if it gets there
        if fc is not None and fc.outcome == "reaches" and fc.point.is_minimum:
            target = fc.point
        else:
            target = spec.nearest_critical(last if math.isfinite(last) else ws[0], True)
        lines = [
            f"{spec.label}; η = {lr:.3f}, start w₀ = {_number(ws[0], 3)}, "
            f"{taken} step{'s' * (taken != 1)}",
            self._bound_line(lr, target),
            "Verdict: " + verdict,
        ]
        if status == "not moving":
            lines.append("Keep going: with η = 0 nothing ever changes.")
        elif fc is not None:
            lines.append(forecast_text(spec, fc))
        lines.append(f"{'k':>3}  {'wₖ':>12}  {'L(wₖ)':>12}")
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
            lines.append(f"{k:>3}  {w + 0.0:12.6g}  {loss + 0.0:12.6g}")
        if taken < self.steps_slider.value:
            lines.append(f"stopped after {taken} steps: |w| passed {DIVERGENCE_BOUND:g}")
        return "\n".join(lines)


def descent_stepper_1d(
    loss: str = "quadratic",
    lr: float | None = None,
    start: float | None = None,
    steps: int = 10,
    curvature: float = 2.0,
):
    """Interactive 1-D gradient descent; ``loss`` is "quadratic" (curvature ``curvature``),
    "double well", "flat bottom w⁴", "plateau w⁴ − 2w³" or "rent slope (running example)"."""
    return DescentStepper1D(loss=loss, lr=lr, start=start, steps=steps, curvature=curvature)
