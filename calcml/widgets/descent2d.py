"""A 2-D gradient-descent playground: the path of plain descent, momentum or Adam on a contour plot.

Every change of the method, learning rate or start point runs the optimiser once, in plain Python
floats, up to ``STEP_CAP`` steps (or until it converges, stalls at a saddle or blows up); the step
slider only chooses how much of that run is drawn. So the readout can say what the run *does*, not
only where the steps shown happen to end: converged (and at which step), stuck at a saddle point,
diverged, oscillating without progress, or still moving at the cap.

The contour plot and the axes of the loss-vs-step panel are the static background (drawn once per
preset); a control change redraws only the path and the loss curve (blitting, as in ``FigureApp``).

On a quadratic loss with curvatures λ (the eigenvalues of its constant Hessian) plain descent
multiplies the error along each eigenvector by 1 − ηλ per step: it converges when η < 2/λ_max and
blows up when η > 2/λ_max. Momentum (heavy ball, v ← βv + ∇f, w ← w − ηv) converges when
0 < ηλ < 2(1 + β) for every λ. Adam has no such rule: each of its steps is about η per weight.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch

from calcml.figures import COLORS, label_axes, new_figure
from calcml.widgets.base import FigureApp

#: A run has converged (or stalled) once the gradient norm and the next step are both below these.
CONVERGED_GRAD_NORM = 1e-3
CONVERGED_STEP = 1e-3
#: Iterates farther than this from the origin count as "diverged" (the run stops there).
DIVERGED_NORM = 1e6
#: Every run goes on for at most this many steps; the step slider shows a prefix of it.
STEP_CAP = 10_000
#: "Oscillating" or "still moving" at the cap: compare the lowest loss of the last WINDOW steps
#: with that of the WINDOW steps before them.
WINDOW = 1_000
#: Relative change of the lowest loss below which two windows count as "no progress".
NO_PROGRESS = 1e-9
#: The step counts the step slider offers (a selection keeps it short to work from the keyboard).
STEP_CHOICES = (
    *(0, 1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 40, 50, 75, 100, 150, 200, 300, 500, 750),
    *(1000, 1500, 2000, 3000, 5000, 7500, STEP_CAP),
)
#: Learning rates the slider offers: 1, 1.5, 2, 2.5, 3, …, 9 in each decade from 10⁻⁴, up to 3,
#: so the thresholds 1/λ and 2/λ of the presets (0.05, 0.1, 0.25, 0.5, 1) are exactly reachable.
LR_CHOICES = tuple(
    float(f"{m}e{e}")
    for e in range(-4, 1)
    for m in ("1", "1.5", "2", "2.5", "3", "4", "5", "6", "7", "8", "9")
    if float(f"{m}e{e}") <= 3.0
)
#: The optimisers: name → (kind, β). Adam uses β₁ = 0.9, β₂ = 0.999, ε = 1e-8.
METHODS = {
    "plain gradient descent": ("plain", 0.0),
    "momentum, β = 0.5": ("momentum", 0.5),
    "momentum, β = 0.9": ("momentum", 0.9),
    "Adam": ("adam", 0.9),
}
ADAM_BETA2 = 0.999
ADAM_EPS = 1e-8


@dataclass(frozen=True)
class Preset:
    """A loss surface for the playground; ``grad`` and ``hessian`` work on plain floats."""

    name: str
    formula: str
    loss: Callable[[float, float], float]
    grad: Callable[[float, float], tuple[float, float]]
    hessian: Callable[[float, float], tuple[tuple[float, float], tuple[float, float]]]
    quadratic: bool
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    start: tuple[float, float]
    lr: float
    steps: int
    special_point: tuple[float, float]
    special_label: str
    min_loss: float | None  # the lowest value of the loss; None if it has none (unbounded below)
    start_step: float = 0.05

    @property
    def hessian_at_min(self) -> np.ndarray:
        return np.array(self.hessian(*self.special_point), dtype=float)

    @property
    def curvatures(self) -> np.ndarray:
        """The eigenvalues of the Hessian at the special point (constant for a quadratic)."""
        return np.linalg.eigvalsh(self.hessian_at_min)

    @property
    def largest_curvature(self) -> float:
        """λ_max: the largest |eigenvalue| of the Hessian at the special point."""
        return float(np.max(np.abs(self.curvatures)))


def _const(h):
    return lambda x, y: h


def _rosen_hessian(x, y):
    return ((2.0 - 400.0 * (y - x * x) + 800.0 * x * x, -400.0 * x), (-400.0 * x, 200.0))


PRESETS: dict[str, Preset] = {
    "round bowl": Preset(
        "round bowl",
        "f(w) = w₁² + w₂²",
        lambda x, y: x * x + y * y,
        lambda x, y: (2.0 * x, 2.0 * y),
        _const(((2.0, 0.0), (0.0, 2.0))),
        True,
        (-3.0, 3.0),
        (-3.0, 3.0),
        (-2.5, 2.0),
        0.1,
        20,
        (0.0, 0.0),
        "minimum",
        0.0,
    ),
    "chapter example": Preset(
        "chapter example",
        "f(w) = (w₁ − 3)² + 2(w₂ − 1)²",
        lambda x, y: (x - 3.0) ** 2 + 2.0 * (y - 1.0) ** 2,
        lambda x, y: (2.0 * (x - 3.0), 4.0 * (y - 1.0)),
        _const(((2.0, 0.0), (0.0, 4.0))),
        True,
        (-1.0, 7.0),
        (-3.0, 5.0),
        (0.0, 0.0),
        0.1,
        8,
        (3.0, 1.0),
        "minimum (3, 1)",
        0.0,
    ),
    "long valley": Preset(
        "long valley",
        "f(w) = (w₁² + 20w₂²) / 2",
        lambda x, y: 0.5 * (x * x + 20.0 * y * y),
        lambda x, y: (x, 20.0 * y),
        _const(((1.0, 0.0), (0.0, 20.0))),
        True,
        (-3.0, 3.0),
        (-1.5, 1.5),
        (-2.8, 1.0),
        0.09,
        30,
        (0.0, 0.0),
        "minimum",
        0.0,
    ),
    "saddle": Preset(
        "saddle",
        "f(w) = w₁² − w₂²",
        lambda x, y: x * x - y * y,
        lambda x, y: (2.0 * x, -2.0 * y),
        _const(((2.0, 0.0), (0.0, -2.0))),
        True,
        (-3.0, 3.0),
        (-3.0, 3.0),
        (-2.8, 0.05),
        0.1,
        20,
        (0.0, 0.0),
        "saddle point",
        None,
        start_step=0.01,
    ),
    "Rosenbrock": Preset(
        "Rosenbrock",
        "f(w) = (1 − w₁)² + 100(w₂ − w₁²)²",
        lambda x, y: (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2,
        lambda x, y: (-2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x)),
        _rosen_hessian,
        False,
        (-2.0, 2.0),
        (-1.0, 3.0),
        (-1.2, 1.0),
        0.001,
        2000,
        (1.0, 1.0),
        "minimum (1, 1)",
        0.0,
    ),
}

#: What a run can end as. "converged" and "saddle" mean: stopped at a stationary point (a minimum,
#: or a point where the loss curves down in some direction).
OUTCOMES = ("converged", "saddle", "unstable", "diverged", "oscillating", "still moving")


@dataclass(frozen=True)
class DescentRun:
    """The outcome of a run: every iterate, its loss and gradient norm, and what the run did.

    ``stop_step`` is the step at which the run stopped (converged, stuck or diverged), or None if
    it used all its steps; it is 0 when the start is already a stationary point (no step moves).
    """

    path: np.ndarray  # shape (k + 1, 2): the start and every iterate
    losses: np.ndarray  # shape (k + 1,)
    grad_norms: np.ndarray  # shape (k + 1,)
    status: str  # one of OUTCOMES
    stop_step: int | None
    method: str
    lr: float
    first_settled: int | None = None  # the first step at which the tolerances held
    exits: int = 0  # how often the run left the tolerances after meeting them

    @property
    def loss(self) -> float:
        return float(self.losses[-1]) if self.status != "diverged" else float("nan")

    @property
    def grad_norm(self) -> float:
        return float(self.grad_norms[-1]) if self.status != "diverged" else float("inf")

    @property
    def steps(self) -> int:
        return len(self.path) - 1

    def windows(self) -> tuple[float, float] | None:
        """(lowest loss of the WINDOW steps before the last WINDOW, lowest loss of the last WINDOW)."""
        window = _window(self.steps)
        if window is None:
            return None
        losses = self.losses
        return float(losses[-2 * window - 1 : -window - 1].min()), float(
            losses[-window - 1 :].min()
        )


def _window(n_steps: int) -> int | None:
    """The comparison window of a run of ``n_steps`` steps: WINDOW, or a tenth of a shorter run."""
    if n_steps >= 2 * WINDOW:
        return WINDOW
    if n_steps >= 100:
        return n_steps // 10
    return None


def _is_minimum(p: Preset, x: float, y: float) -> bool:
    return bool(np.all(np.linalg.eigvalsh(np.array(p.hessian(x, y), dtype=float)) >= -1e-12))


def run_descent(
    preset: str | Preset,
    lr: float,
    start: tuple[float, float],
    n_steps: int,
    method: str = "plain gradient descent",
) -> DescentRun:
    """Run at most ``n_steps`` steps of ``method`` with learning rate ``lr`` from ``start``.

    The run "converged" at step k (``stop_step``) if from step k to the end of the run the
    gradient norm and the length of the next step both stay below the tolerances, at a minimum
    ("saddle" if the Hessian there has a negative eigenvalue). It keeps going after that, so a
    point that only
    passes close to a minimum and then leaves (η just above 2/λ_max) is not called converged.
    It stops when the iterate leaves |w| ≤ 1e6 ("diverged"). A start where the gradient is zero
    takes no step (``stop_step`` 0).
    """
    p = PRESETS[preset] if isinstance(preset, str) else preset
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {list(METHODS)}")
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"learning rate must be a positive number, got {lr!r}")
    if n_steps < 0:
        raise ValueError(f"number of steps must be at least 0, got {n_steps!r}")
    kind, beta = METHODS[method]
    grad, hypot, isfinite, sqrt = p.grad, math.hypot, math.isfinite, math.sqrt
    x, y = float(start[0]), float(start[1])
    xs, ys = [x], [y]
    gx, gy = grad(x, y)
    norms = [hypot(gx, gy)]
    stop, diverged = None, False
    settled = None  # the step from which the gradient and the next step stay below tolerance
    first_settled, exits = None, 0  # the first such step; how often the run left them again
    if norms[0] < 1e-12:
        stop = 0  # already at a stationary point: no step moves
        n_steps = 0
    vx = vy = 0.0  # momentum's velocity, or Adam's first moment
    sx = sy = 0.0  # Adam's second moment
    b1t = b2t = 1.0
    n_steps = int(n_steps)
    for k in range(n_steps + 1):
        # The step from point k (taken below unless k is the last point).
        if kind == "plain":
            dx, dy = lr * gx, lr * gy
        elif kind == "momentum":
            vx, vy = beta * vx + gx, beta * vy + gy
            dx, dy = lr * vx, lr * vy
        else:
            vx, vy = beta * vx + (1 - beta) * gx, beta * vy + (1 - beta) * gy
            sx = ADAM_BETA2 * sx + (1 - ADAM_BETA2) * gx * gx
            sy = ADAM_BETA2 * sy + (1 - ADAM_BETA2) * gy * gy
            b1t, b2t = b1t * beta, b2t * ADAM_BETA2
            dx = lr * (vx / (1 - b1t)) / (sqrt(sx / (1 - b2t)) + ADAM_EPS)
            dy = lr * (vy / (1 - b1t)) / (sqrt(sy / (1 - b2t)) + ADAM_EPS)
        # Point k has settled if its gradient is small and the step it would take next is too.
        if k >= 1:
            if norms[k] < CONVERGED_GRAD_NORM and hypot(dx, dy) < CONVERGED_STEP:
                if settled is None:
                    settled = k
                    if first_settled is None:
                        first_settled = k
            elif settled is not None:
                settled = None
                exits += 1
        if k == n_steps:
            break
        x, y = x - dx, y - dy
        xs.append(x)
        ys.append(y)
        if not (isfinite(x) and isfinite(y)) or hypot(x, y) > DIVERGED_NORM:
            norms.append(math.inf)
            stop, diverged, settled = k + 1, True, None
            break
        gx, gy = grad(x, y)
        norms.append(hypot(gx, gy))
    path = np.column_stack([xs, ys])
    with np.errstate(over="ignore", invalid="ignore"):
        losses = np.asarray(p.loss(path[:, 0], path[:, 1]), dtype=float)
    grad_norms = np.asarray(norms)
    if stop is None and settled is not None:
        stop = settled
    if diverged:
        status = "diverged"
    elif stop is not None:
        if not _is_minimum(p, x, y):
            status = "saddle"
        elif stop == 0:
            status = "converged"
        elif kind == "adam":
            status = "converged" if exits == 0 else "oscillating"
        elif p.quadratic or local_factor(p, method, lr, x, y) < 1:
            # On a quadratic the run itself decides: an unstable direction it never excited
            # (a start exactly on an axis) stays exactly zero.
            status = "converged"
        else:
            status = "unstable"
    else:
        window = _window(len(path) - 1)
        status = "still moving"
        if window is not None:
            before = losses[-2 * window - 1 : -window - 1].min()
            last = losses[-window - 1 :].min()
            if last >= before - NO_PROGRESS * max(1.0, abs(before)):
                status = "oscillating"
    return DescentRun(
        path, losses, grad_norms, status, stop, method, float(lr), first_settled, exits
    )


def local_factor(p: Preset, method: str, lr: float, x: float, y: float) -> float:
    """How much one step of plain descent or momentum multiplies a small error near (x, y).

    The largest |root| over the Hessian's eigenvalues λ there: |1 − ηλ| for plain descent, the
    larger |root| of r² − (1 + β − ηλ) r + β = 0 for momentum. Below 1 the point attracts the
    iterates; above 1 a tiny error grows and the run leaves.
    """
    kind, beta = METHODS[method]
    if kind == "adam":
        raise ValueError("Adam's steps depend on its history: it has no fixed local factor")
    worst = 0.0
    for lam in np.linalg.eigvalsh(np.array(p.hessian(x, y), dtype=float)):
        if kind == "plain":
            worst = max(worst, abs(1 - lr * lam))
        else:
            worst = max(worst, *np.abs(np.roots([1.0, -(1 + beta - lr * lam), beta])))
    return float(worst)


def rule_text(p: Preset, method: str, lr: float) -> str:
    """What theory says about this method and η on this surface (one sentence, no verdict)."""
    kind, beta = METHODS[method]
    lam = p.curvatures
    lam_max = p.largest_curvature
    if p.min_loss is None:
        return (
            f"curvature +{lam.max():g} along w₁ but {_num(lam.min())} along w₂: the loss has no lowest "
            "point, it falls without end along w₂"
        )
    if kind == "adam":
        return (
            "Adam divides each weight's step by the size of its recent gradients, so each step is "
            f"about η = {lr:.4g} long per weight whatever the slope: no 2/λ_max rule"
        )
    if not p.quadratic:
        bound = (2 if kind == "plain" else 2 * (1 + beta)) / lam_max
        rule = "2/λ_max" if kind == "plain" else "2(1 + β)/λ_max"
        return (
            f"the curvature varies; at the minimum λ_max ≈ {lam_max:.1f}, so there {rule} ≈ "
            f"{bound:.4f}: η = {lr:.4g} is {'below' if lr < bound else 'above'} it"
        )
    if kind == "plain":
        factors = ", ".join(_num(1 - lr * c, ".3g") for c in sorted(lam))
        limit = 2 / lam_max
        if math.isclose(lr, limit, rel_tol=1e-9):
            where = "exactly 2/λ_max: the steepest direction flips sign each step without shrinking"
        elif lr > limit:
            where = "above 2/λ_max: that direction's factor has size above 1"
        elif lr > 1 / lam_max:
            where = "between 1/λ_max and 2/λ_max: the steepest direction overshoots but shrinks"
        else:
            where = "at most 1/λ_max: no factor is negative, no overshoot"
        return (
            f"curvatures λ = {', '.join(f'{c:g}' for c in sorted(lam))}; each step multiplies the "
            f"error along them by 1 − ηλ = {factors}; η = {lr:.4g} is {where}"
        )
    bound = 2 * (1 + beta) / lam_max
    return (
        f"curvatures λ = {', '.join(f'{c:g}' for c in sorted(lam))}; momentum with β = {beta:g} "
        f"is stable for η < 2(1 + β)/λ_max = {bound:.4g}: η = {lr:.4g} is "
        f"{'below' if lr < bound else 'above'} it"
    )


def verdict_text(p: Preset, run: DescentRun, shown: int) -> str:
    """The verdict for a run (up to STEP_CAP steps) of which the first ``shown`` steps are drawn."""
    k = run.stop_step
    # A loss with no lowest point lets descent run off whatever η is: say so, never blame η.
    unbounded = (
        " The loss has no lowest point: along w₂ it falls without end, so descent runs off "
        "however small η is."
        if p.min_loss is None
        else ""
    )
    later = (
        "" if k is None or k <= shown else f" (the {shown} step(s) shown are still on their way)"
    )
    if run.status == "diverged":
        if k <= shown:
            return f"Diverged at step {k}: the iterate left |w| ≤ {DIVERGED_NORM:g}.{unbounded}"
        return (
            f"Diverging: the {shown} step(s) shown stay in range, but the run blows up "
            f"(|w| > {DIVERGED_NORM:g}) at step {k}.{unbounded}"
        )
    tolerances = (
        f"the gradient norm stays below {CONVERGED_GRAD_NORM:g} and every step moves less than "
        f"{CONVERGED_STEP:g}"
    )
    if k == 0:
        where = "a minimum" if run.status == "converged" else "a saddle point, not a minimum"
        return f"Starts at {where}: the gradient is 0 there, so no step moves."
    if run.status == "converged":
        caveat = (
            " Adam with a fixed η is not guaranteed to stay: its steps do not shrink with the "
            "gradient."
            if METHODS[run.method][0] == "adam"
            else ""
        )
        if (
            METHODS[run.method][0] != "adam"
            and local_factor(p, run.method, run.lr, *run.path[-1]) >= 1
        ):
            caveat = (
                " It stays only because the start lies exactly on the line through the minimum "
                "along which η is small enough, so the direction in which η is too large never "
                "moves: the smallest offset from that line would grow."
            )
        return (
            f"Converged at step {k}{later}: from there to step {run.steps} {tolerances}, at a "
            f"minimum.{caveat}"
        )
    if run.status == "saddle":
        return (
            f"Stuck at the saddle point from step {k}{later}: {tolerances}, but the loss curves "
            "down along w₂ there, so this is not a minimum; any offset from the w₁-axis would "
            "grow and escape."
        )
    if run.status == "unstable":
        x, y = run.path[-1]
        factor = local_factor(p, run.method, run.lr, x, y)
        return (
            f"Unstable at the minimum: it meets the tolerances from step {k}{later}, but η is too "
            f"large there: a small error grows by a factor {factor:.4g} per step, so the run "
            "cannot stay and a longer run leaves again."
        )
    bursts = (
        f" It met the tolerances at step {run.first_settled} but left them again "
        f"{run.exits} time(s): Adam's steps stay about η long as the gradient shrinks."
        if run.exits
        else ""
    )
    if run.status == "oscillating" and k is not None:
        return (
            f"Oscillating around the minimum: it is within the tolerances from step {k} to the "
            f"end, but it has left them before.{bursts}"
        )
    before, last = run.windows() or (float("nan"), float("nan"))
    window = _window(run.steps) or 0
    if run.status == "oscillating":
        lo, hi = run.losses[-window - 1 :].min(), run.losses[-window - 1 :].max()
        return (
            f"Oscillating: after {run.steps} steps it is still bouncing without progress: over the "
            f"last {window} steps the loss (between {lo:.4g} and {hi:.4g}) got no lower than in "
            f"the {window} before.{bursts}"
        )
    if window:
        return (
            f"Still moving at the cap: after {run.steps} steps the gradient norm "
            f"{run.grad_norm:.3g} is above {CONVERGED_GRAD_NORM:g} and the loss still falls "
            f"(lowest {last:.4g} in the last {window} steps, {before:.4g} in the {window} "
            f"before).{bursts}{unbounded}"
        )
    return (
        f"Still moving: after {run.steps} steps the gradient norm {run.grad_norm:.3g} is above "
        f"{CONVERGED_GRAD_NORM:g}.{unbounded}"
    )


class DescentPlayground2D(FigureApp):
    """Contour plot of a loss with the path of an optimiser, and its loss against the step."""

    def __init__(
        self,
        preset: str = "round bowl",
        lr: float | None = None,
        start=None,
        steps: int | None = None,
        method: str = "plain gradient descent",
    ):
        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r}; choose one of {sorted(PRESETS)}")
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}; choose one of {list(METHODS)}")
        if lr is not None and not lr > 0:
            raise ValueError(f"learning rate must be positive, got {lr!r}")
        self._suspended = True
        p = PRESETS[preset]
        style = {"description_width": "initial"}
        self.preset_picker = widgets.Dropdown(
            options=list(PRESETS), value=preset, description="loss surface", style=style
        )
        self.method_picker = widgets.Dropdown(
            options=list(METHODS), value=method, description="method", style=style
        )
        self.lr_slider = widgets.SelectionSlider(
            description="learning rate η",
            options=[(f"{v:g}", v) for v in LR_CHOICES],
            value=_nearest(LR_CHOICES, lr if lr is not None else p.lr),
            style=style,
        )
        self.x0_slider = widgets.FloatSlider(
            description="start w₁", min=p.xlim[0], max=p.xlim[1], step=p.start_step, style=style
        )
        self.y0_slider = widgets.FloatSlider(
            description="start w₂", min=p.ylim[0], max=p.ylim[1], step=p.start_step, style=style
        )
        self.x0_slider.value, self.y0_slider.value = p.start
        self.steps_slider = widgets.SelectionSlider(
            description="steps shown",
            options=STEP_CHOICES,
            value=_nearest(STEP_CHOICES, steps if steps is not None else p.steps),
            style=style,
        )
        if start is not None:
            self.x0_slider.value, self.y0_slider.value = float(start[0]), float(start[1])

        fig = new_figure(7.2, 3.7, ncols=2, gridspec_kw={"width_ratios": [1.45, 1.0]})
        self.ax, self.loss_ax = fig.axes
        (self.path_line,) = self.ax.plot(
            [], [], "-", color=COLORS["secant"], lw=1.6, marker="o", ms=4.5, mec="white", mew=0.6
        )
        (self.start_dot,) = self.ax.plot([], [], "o", color=COLORS["point"], ms=7, label="start")
        (self.end_dot,) = self.ax.plot(
            [], [], "X", color=COLORS["secant"], mec="white", ms=10, label="after the last step"
        )
        (self.loss_future,) = self.loss_ax.plot(
            [], [], "-", color=COLORS["muted"], lw=1.2, label="rest of the run"
        )
        (self.loss_line,) = self.loss_ax.plot(
            [], [], "-", color=COLORS["secant"], lw=1.8, label="steps shown"
        )
        (self.loss_now,) = self.loss_ax.plot([], [], "X", color=COLORS["secant"], mec="white", ms=9)
        # −∇f at the last point shown: the direction the next plain step takes (length fixed).
        self.downhill = FancyArrowPatch(
            (0, 0), (0, 0), arrowstyle="-|>", mutation_scale=14, color="black", lw=1.6, zorder=5
        )
        self.ax.add_patch(self.downhill)
        self._static_artists = []
        self._drawn_preset = None
        self._cache: dict = {}
        self.run: DescentRun | None = None
        super().__init__(
            fig,
            controls=[
                self.preset_picker,
                self.method_picker,
                self.lr_slider,
                self.x0_slider,
                self.y0_slider,
                self.steps_slider,
            ],
            dynamic_artists=[
                self.path_line,
                self.start_dot,
                self.end_dot,
                self.loss_future,
                self.loss_line,
                self.loss_now,
                self.downhill,
            ],
            title="Gradient descent in two dimensions",
            caption=(
                "Left: contour plot of the loss with the optimiser's path from the start point and "
                "an arrow along minus the gradient at the last point shown. "
                "Right: the loss against the step, for the steps shown and the rest of the run."
            ),
        )
        self._suspended = False
        self.preset_picker.observe(self._on_preset, names="value")
        # On the website (precomputed frames): the learning rate, the method, the steps shown.
        self.sweep_first = [self.lr_slider, self.method_picker, self.steps_slider]

    @property
    def preset(self) -> Preset:
        return PRESETS[self.preset_picker.value]

    def _on_change(self, change=None) -> None:
        # A new preset is redrawn once by _on_preset, after the sliders have moved to its defaults.
        if self._suspended or (change is not None and change.get("owner") is self.preset_picker):
            return
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
                slider.step = p.start_step
                slider.value = value
            self.lr_slider.value = _nearest(LR_CHOICES, p.lr)
            self.steps_slider.value = _nearest(STEP_CHOICES, p.steps)
        finally:
            self._suspended = False
        self.refresh()

    def _draw_background(self) -> None:
        p = self.preset
        for artist in self._static_artists:
            if artist.axes is not None or getattr(artist, "figure", None) is not None:
                try:
                    artist.remove()
                except ValueError:  # a contour label goes with its contour set
                    pass
        self._static_artists = []
        ax = self.ax
        xs = np.linspace(*p.xlim, 160)
        ys = np.linspace(*p.ylim, 160)
        gx, gy = np.meshgrid(xs, ys)
        z = p.loss(gx, gy)
        if p.name == "Rosenbrock":
            levels = np.array([0.5, 2, 10, 50, 200, 800, 2000])
        elif p.name == "saddle":
            levels = np.linspace(-8, 8, 9)
        else:
            levels = np.unique(np.round(np.linspace(0, float(z.max()) * 0.8, 7)[1:], 1))
        # Rosenbrock spans four orders of magnitude: shade it by log10 of the loss.
        shade = np.log10(z + 0.05) if p.name == "Rosenbrock" else z
        filled = ax.contourf(gx, gy, shade, levels=30, cmap="Blues_r", alpha=0.55)
        lines = ax.contour(gx, gy, z, levels=levels, colors="#335577", linewidths=0.7)
        labels = ax.clabel(lines, fontsize=7, fmt="%g", inline=True)
        star = ax.plot(
            *p.special_point,
            "*",
            color=COLORS["tangent"],
            ms=13,
            mec="black",
            mew=0.6,
            label=p.special_label,
        )[0]
        self._static_artists = [filled, lines, star, *labels]
        ax.set_xlim(*p.xlim)
        ax.set_ylim(*p.ylim)
        ax.set_aspect("equal")  # so that −∇f is drawn at right angles to the level sets
        label_axes(ax, f"{p.name}: {p.formula}", "w₁ (first weight)", "w₂ (second weight)")
        ax.title.set_fontsize(10)
        ax.grid(False)
        arrow_key = Line2D([], [], color="black", marker=">", lw=1.6, label="−∇f there")
        # Under the figure, so it never hides the path (the long valley is a flat strip).
        legend = self.fig.legend(
            handles=[star, self.start_dot, self.end_dot, arrow_key],
            loc="outside lower center",
            ncols=4,
            fontsize=8,
            frameon=False,
        )
        self._static_artists.append(legend)
        self._draw_loss_axes(p)
        self._drawn_preset = p.name

    def _draw_loss_axes(self, p: Preset) -> None:
        ax = self.loss_ax
        ax.set_xscale("log")
        ax.set_xlim(1, STEP_CAP + 1)
        if p.min_loss is None:
            ax.set_yscale("symlog", linthresh=1e-2)
            ax.set_ylim(-1e13, 1e2)
            ax.set_yticks([-1e12, -1e8, -1e4, -1, 0, 1, 100])
            ax.minorticks_off()
            ylabel = "loss f(w) (symlog scale)"
        else:
            ax.set_yscale("log")
            z = p.loss(*np.meshgrid(np.linspace(*p.xlim, 40), np.linspace(*p.ylim, 40)))
            ax.set_ylim(1e-9, 10 ** math.ceil(math.log10(3 * float(z.max()))))
            ylabel = "f(w) − f_min (log scale)"
        label_axes(ax, "Loss against the step", "step + 1 (log scale)", ylabel)
        ax.legend(
            handles=[self.loss_line, self.loss_future],
            loc="upper right",
            fontsize=7,
            framealpha=0.85,
        )

    def _current_run(self) -> DescentRun:
        p = self.preset
        key = (
            p.name,
            self.method_picker.value,
            self.lr_slider.value,
            self.x0_slider.value,
            self.y0_slider.value,
        )
        if key not in self._cache:
            if len(self._cache) > 64:
                self._cache.clear()
            self._cache[key] = run_descent(
                p, self.lr_slider.value, key[3:], STEP_CAP, method=self.method_picker.value
            )
        return self._cache[key]

    @property
    def shown_steps(self) -> int:
        return min(int(self.steps_slider.value), self.run.steps)

    def update_figure(self) -> bool:
        full = self._drawn_preset != self.preset.name
        if full:
            self._draw_background()
        p = self.preset
        self.run = self._current_run()
        n = self.shown_steps
        path = self.run.path[: n + 1]
        # Points far outside the view are clipped so the renderer never sees astronomically large
        # coordinates; the readout still reports the true values.
        span = max(p.xlim[1] - p.xlim[0], p.ylim[1] - p.ylim[0])
        shown = np.clip(path[np.all(np.isfinite(path), axis=1)], -20 * span, 20 * span)
        self.path_line.set_data(shown[:, 0], shown[:, 1])
        self.path_line.set_marker("o" if len(shown) <= 150 else "")
        self.start_dot.set_data(shown[:1, 0], shown[:1, 1])
        self.end_dot.set_data(shown[-1:, 0], shown[-1:, 1])
        x, y = path[-1]
        inside = p.xlim[0] <= x <= p.xlim[1] and p.ylim[0] <= y <= p.ylim[1]
        gx, gy = p.grad(x, y) if inside else (0.0, 0.0)
        norm = math.hypot(gx, gy)
        self.downhill.set_visible(bool(inside and norm > 1e-12))
        if self.downhill.get_visible():
            length = 0.12 * span
            self.downhill.set_positions((x, y), (x - length * gx / norm, y - length * gy / norm))
        # The loss panel: the shown steps in colour, the rest of the run in grey.
        values = self.run.losses - (p.min_loss or 0.0)
        if p.min_loss is not None:
            values = np.maximum(values, 1e-9)
        values = np.clip(np.nan_to_num(values, nan=1e13, posinf=1e13, neginf=-1e13), -1e13, 1e13)
        steps = np.arange(1, len(values) + 1)
        self.loss_line.set_data(steps[: n + 1], values[: n + 1])
        self.loss_future.set_data(steps[n:], values[n:])
        self.loss_now.set_data(steps[n : n + 1], values[n : n + 1])
        return full

    def readout(self) -> str:
        p, run = self.preset, self.run
        lr = self.lr_slider.value
        method = self.method_picker.value
        n = self.shown_steps
        x, y = run.path[n]
        lines = [
            f"{p.name}: {p.formula}; {method}; {rule_text(p, method, lr)}.",
            f"start ({run.path[0, 0]:.3g}, {run.path[0, 1]:.3g}); {n} step(s) shown"
            + (f" (the run stops at step {n})." if n < self.steps_slider.value else "."),
        ]
        if math.isfinite(x) and math.isfinite(y) and math.hypot(x, y) <= DIVERGED_NORM:
            lines.append(
                f"after them: point ({x:.4g}, {y:.4g}), loss {run.losses[n]:.4g}, gradient norm "
                f"{run.grad_norms[n]:.3g}."
            )
            if not (p.xlim[0] <= x <= p.xlim[1] and p.ylim[0] <= y <= p.ylim[1]):
                lines.append("That point is outside the picture.")
        lines.append(verdict_text(p, run, n))
        return "\n".join(lines)

    @property
    def status(self) -> str:
        return self.run.status


def _num(value: float, spec: str = "g") -> str:
    """A number with a real minus sign (−), as in the formulas."""
    return format(value, spec).replace("-", "−")


def _nearest(choices, value):
    return min(choices, key=lambda choice: abs(choice - value))


def descent_playground_2d(
    preset: str = "round bowl",
    lr: float | None = None,
    start=None,
    steps: int | None = None,
    method: str = "plain gradient descent",
) -> DescentPlayground2D:
    """The 2-D descent playground on ``preset`` (round bowl, chapter example, long valley, saddle,
    Rosenbrock), with plain gradient descent, momentum or Adam."""
    return DescentPlayground2D(preset, lr=lr, start=start, steps=steps, method=method)
