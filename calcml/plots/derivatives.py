"""Static figures and the small numerical helpers behind them, for chapter 2 (derivatives).

Every ``*_figure`` function returns a Matplotlib ``Figure``; the chapter shows it with
``calcml.figures.show_figure(fig, alt)``. The helpers that compute the numbers a figure shows
(difference-quotient errors, a gradient step, the activation functions) are public too, so the
chapter and its tests use one implementation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.patches import Rectangle

from calcml.figures import COLORS, label_axes, new_figure

# -- activation functions and their derivatives ---------------------------------------------


def sigmoid(x):
    """The logistic function 1 / (1 + e^(-x)), written so that it never overflows."""
    x = np.asarray(x, dtype=float)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_derivative(x):
    """σ′(x) = σ(x)(1 − σ(x))."""
    s = sigmoid(x)
    return s * (1.0 - s)


def tanh_derivative(x):
    """tanh′(x) = 1 − tanh²(x)."""
    return 1.0 - np.tanh(np.asarray(x, dtype=float)) ** 2


def relu(x):
    return np.maximum(np.asarray(x, dtype=float), 0.0)


def relu_derivative(x):
    """1 for x > 0 and 0 for x ≤ 0: the convention of deep-learning libraries at the kink."""
    return (np.asarray(x, dtype=float) > 0).astype(float)


# -- difference quotients ---------------------------------------------------------------------


def _secant_slope(f: Callable, a: float, h: float) -> float:
    """(f(a + h) − f(a)) / h."""
    if h == 0:
        raise ValueError("the step h must not be 0")
    return float((f(a + h) - f(a)) / h)


def _forward_difference(f: Callable, x, h):
    """(f(x + h) − f(x)) / h; error O(h)."""
    return (f(x + h) - f(x)) / h


def _central_difference(f: Callable, x, h):
    """(f(x + h) − f(x − h)) / (2h); error O(h²)."""
    return (f(x + h) - f(x - h)) / (2 * h)


def secant_slope_rows(f: Callable, a: float, steps: Sequence[float]) -> list[tuple[float, float]]:
    """``(h, secant slope)`` for each step: the table of the chapter."""
    return [(float(h), _secant_slope(f, a, h)) for h in steps]


def difference_errors(
    f: Callable, df: Callable, x: float, steps: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Absolute errors of the forward and central differences against the exact ``df(x)``."""
    steps = np.asarray(steps, dtype=float)
    exact = df(x)
    forward = np.array([abs(_forward_difference(f, x, h) - exact) for h in steps])
    central = np.array([abs(_central_difference(f, x, h) - exact) for h in steps])
    return forward, central


def error_order(steps, errors) -> float:
    """Slope of log(error) against log(h): 1 for an O(h) method, 2 for O(h²)."""
    return float(np.polyfit(np.log10(steps), np.log10(errors), 1)[0])


# -- the gradient-descent example ------------------------------------------------------------


def toy_loss(w):
    """L(w) = (w − 3)²: a one-weight loss whose minimum sits at w = 3."""
    return (w - 3.0) ** 2


def toy_loss_grad(w):
    """L′(w) = 2(w − 3)."""
    return 2.0 * (w - 3.0)


def gradient_step(grad: Callable, w: float, lr: float) -> float:
    """One step of gradient descent: w − lr · grad(w)."""
    return w - lr * grad(w)


# -- the figures ------------------------------------------------------------------------------


def _minus(text: str) -> str:
    """Typographic minus signs, matching the ones Matplotlib puts on tick labels."""
    return text.replace("-", "\u2212")


def training_loss(step):
    """A smooth made-up training curve: fast early progress, then a long plateau."""
    step = np.asarray(step, dtype=float)
    return 0.2 + 1.8 * np.exp(-step / 10.0) + 0.8 * np.exp(-step / 120.0)


@dataclass(frozen=True)
class Stretch:
    """A stretch of training from ``start`` to ``end`` over which the loss drops by ``drop``."""

    start: float
    end: float
    drop: float

    @property
    def steps(self) -> float:
        return self.end - self.start

    @property
    def average_slope(self) -> float:
        return -self.drop / self.steps


def equal_drop_stretches(drop: float = 0.25, starts=(2.0, 40.0)) -> list[Stretch]:
    """For each start step, the end step at which the training loss has fallen by ``drop``."""
    fine = np.linspace(0, 400, 40001)
    losses = training_loss(fine)
    stretches = []
    for start in starts:
        target = float(training_loss(start)) - drop
        after = fine[(fine > start) & (losses <= target)]
        if after.size == 0:
            raise ValueError(f"the loss never drops by {drop} after step {start}")
        stretches.append(Stretch(float(start), float(after[0]), drop))
    return stretches


def training_loss_figure(drop: float = 0.25, starts=(2.0, 40.0)):
    """Two stretches of a training curve with the same loss drop, one steep, one nearly flat."""
    fig = new_figure(6.0, 3.4)
    ax = fig.axes[0]
    steps = np.linspace(0, 150, 600)
    ax.plot(steps, training_loss(steps), color=COLORS["curve"], lw=2, label="training loss")
    for stretch, color, name, text_at in zip(
        equal_drop_stretches(drop, starts),
        (COLORS["secant"], COLORS["second"]),
        ("A", "B"),
        ((18.0, 2.2), (100.0, 1.25)),
        strict=True,
    ):
        xs = np.array([stretch.start, stretch.end])
        ax.axvspan(*xs, color=color, alpha=0.18)
        ax.plot(xs, training_loss(xs), "o-", color=color, lw=2)
        ax.annotate(
            f"{name}: −{stretch.drop:.2f} in {stretch.steps:.1f} steps\n"
            f"average slope {_minus(f'{stretch.average_slope:.3f}')} per step",
            xy=(stretch.end, float(training_loss(stretch.end))),
            xytext=text_at,
            fontsize=9,
            arrowprops={"arrowstyle": "->", "color": color},
        )
    label_axes(ax, "Same drop in loss, very different average slopes", "training step", "loss")
    ax.set_ylim(0, 3.0)
    return fig


def secant_family_figure(a: float = 1.0, steps=(1.5, 1.0, 0.5, 0.2)):
    """Secants of x² through (a, a²) for shrinking h, closing in on the tangent."""
    fig = new_figure(5.5, 3.6)
    ax = fig.axes[0]
    xs = np.linspace(-0.5, 3.0, 300)
    ax.plot(xs, xs**2, color=COLORS["curve"], lw=2.2, label="f(x) = x²")
    greys = np.linspace(0.75, 0.3, len(steps))
    for h, grey in zip(steps, greys, strict=True):
        slope = _secant_slope(np.square, a, h)
        ax.plot(
            xs,
            a * a + slope * (xs - a),
            color=str(grey),
            lw=1.2,
            label=f"h = {h:g}: slope {slope:.2f}",
        )
        ax.plot([a + h], [(a + h) ** 2], "o", color=str(grey), ms=5)
    ax.plot(
        xs,
        a * a + 2 * a * (xs - a),
        "--",
        color=COLORS["tangent"],
        lw=2,
        label=f"tangent: slope {2 * a:g}",
    )
    ax.plot([a], [a * a], "o", color=COLORS["point"], ms=6, zorder=5)
    ax.set_ylim(-1, 7)
    ax.set_xlim(xs[0], xs[-1])
    ax.legend(fontsize=8, loc="upper left")
    label_axes(ax, f"Secants of x² at a = {a:g} approach the tangent", "x", "y")
    return fig


def activation_figure():
    """Sigmoid, tanh and ReLU (top) and their derivatives (bottom)."""
    fig = new_figure(7.5, 4.4, nrows=2, ncols=3, sharex=True)
    xs = np.linspace(-6, 6, 601)
    rows = [
        ("sigmoid σ(x)", sigmoid(xs), "σ′(x) = σ(1 − σ)", sigmoid_derivative(xs)),
        ("tanh(x)", np.tanh(xs), "tanh′(x) = 1 − tanh²", tanh_derivative(xs)),
        ("ReLU(x)", relu(xs), "ReLU′(x) (0 at x ≤ 0)", relu_derivative(xs)),
    ]
    for col, (name, values, dname, dvalues) in enumerate(rows):
        top, bottom = fig.axes[col], fig.axes[3 + col]
        top.plot(xs, values, color=COLORS["curve"], lw=2)
        label_axes(top, name, "", "value")
        if name.startswith("ReLU"):  # draw the jump of the derivative as a jump, not a ramp
            bottom.plot(xs[xs <= 0], dvalues[xs <= 0], color=COLORS["secant"], lw=2)
            bottom.plot(xs[xs > 0], dvalues[xs > 0], color=COLORS["secant"], lw=2)
            bottom.plot([0], [0], "o", color=COLORS["secant"], ms=4)
            bottom.plot([0], [1], "o", mfc="white", color=COLORS["secant"], ms=4)
        else:
            bottom.plot(xs, dvalues, color=COLORS["secant"], lw=2)
        label_axes(bottom, dname, "x", "slope")
        bottom.set_ylim(-0.1, 1.1)
    fig.suptitle("Activation functions (top) and their derivatives (bottom)")
    return fig


def vanishing_gradient_figure(max_layers: int = 20):
    """σ′ is at most 1/4, so a chain of sigmoid layers multiplies small numbers together."""
    fig = new_figure(7.5, 3.2, ncols=2)
    left, right = fig.axes
    xs = np.linspace(-8, 8, 801)
    left.plot(xs, sigmoid_derivative(xs), color=COLORS["secant"], lw=2, label="σ′(x)")
    left.axhline(0.25, color=COLORS["muted"], ls=":", label="maximum 1/4 at x = 0")
    for lo, hi in ((-8, -4), (4, 8)):
        left.axvspan(
            lo,
            hi,
            color=COLORS["accent"],
            alpha=0.15,
            label=f"|x| > 4: σ′ < {float(sigmoid_derivative(4.0)):.3f}" if lo > 0 else None,
        )
    left.set_ylim(-0.01, 0.34)
    left.legend(fontsize=8, loc="upper left")
    label_axes(left, "The sigmoid's slope", "pre-activation x", "σ′(x)")
    layers = np.arange(1, max_layers + 1)
    right.semilogy(
        layers, 0.25**layers, "o-", color=COLORS["curve"], ms=3, label="best case: (1/4)ⁿ"
    )
    right.semilogy(
        layers,
        sigmoid_derivative(2.0) ** layers,
        "s-",
        color=COLORS["second"],
        ms=3,
        label="every x = 2: σ′(2)ⁿ",
    )
    right.legend(fontsize=8)
    label_axes(
        right, "Product of n sigmoid slopes", "number of layers n", "gradient factor (log scale)"
    )
    return fig


def tangent_approximation_figure(a: float = 0.0):
    """eˣ and its tangent at a (left); the tangent's error shrinks like (x − a)² (right)."""
    fig = new_figure(7.5, 3.2, ncols=2)
    left, right = fig.axes
    xs = np.linspace(a - 2, a + 2, 400)
    tangent = np.exp(a) + np.exp(a) * (xs - a)
    left.plot(xs, np.exp(xs), color=COLORS["curve"], lw=2, label="f(x) = eˣ")
    left.plot(
        xs, tangent, "--", color=COLORS["tangent"], lw=2, label="tangent T(x) = f(a) + f′(a)(x − a)"
    )
    left.plot(
        xs,
        np.exp(a) + 1.5 * np.exp(a) * (xs - a),
        ":",
        color=COLORS["second"],
        lw=1.5,
        label=f"another line, slope {1.5 * np.exp(a):g}",
    )
    left.plot([a], [np.exp(a)], "o", color=COLORS["point"])
    left.set_ylim(-1, np.exp(a + 2))
    left.legend(fontsize=8, loc="upper left")
    label_axes(left, f"Tangent of eˣ at a = {a:g}", "x", "y")
    distances = np.logspace(-4, 0, 30)
    errors = np.abs(np.exp(a + distances) - (np.exp(a) + np.exp(a) * distances))
    right.loglog(distances, errors, "o", color=COLORS["secant"], ms=4, label="|f(x) − T(x)|")
    right.loglog(
        distances, np.exp(a) * distances**2 / 2, color=COLORS["muted"], label="f″(a)(x − a)²/2"
    )
    other = 1.5 * np.exp(a)  # a line through (a, f(a)) that is not the tangent
    right.loglog(
        distances,
        np.abs(np.exp(a + distances) - (np.exp(a) + other * distances)),
        "s",
        color=COLORS["second"],
        ms=3,
        label=f"line of slope {other:g}: error ~ |x − a|",
    )
    right.legend(fontsize=8)
    label_axes(right, "Error of the tangent model", "distance |x − a|", "error")
    return fig


def difference_error_figure(f: Callable = np.sin, df: Callable = np.cos, x: float = 1.0):
    """Log-log error against h of the forward and central differences of ``f`` at ``x``."""
    steps = np.logspace(-15, -0.5, 60)
    forward, central = difference_errors(f, df, x, steps)
    fig = new_figure(7.5, 3.8)
    ax = fig.axes[0]
    tiny = 1e-18  # an exact zero cannot be drawn on a log axis
    ax.loglog(
        steps,
        np.maximum(forward, tiny),
        "o-",
        ms=3,
        color=COLORS["secant"],
        label="forward difference",
    )
    ax.loglog(
        steps,
        np.maximum(central, tiny),
        "s-",
        ms=3,
        color=COLORS["curve"],
        alpha=0.7,  # lets the forward difference show through where round-off makes them overlap
        label="central difference",
    )
    big = steps > 1e-4
    ax.loglog(
        steps[big],
        4 * steps[big] * forward[-1] / steps[-1],
        ":",
        color=COLORS["secant"],
        lw=1.5,
        label="slope 1: O(h)",
    )
    ax.loglog(
        steps[big],
        4 * steps[big] ** 2 * central[-1] / steps[-1] ** 2,
        ":",
        color=COLORS["curve"],
        lw=1.5,
        label="slope 2: O(h²)",
    )
    ax.loglog(
        steps[steps < 1e-6],
        1e-16 / steps[steps < 1e-6],
        "--",
        color=COLORS["muted"],
        label="round-off ≈ 1e-16 / h",
    )
    ax.set_ylim(1e-13, 1)
    ax.annotate(
        "round-off dominates",
        xy=(1e-13, 2e-3),
        xytext=(3e-12, 1e-1),
        fontsize=9,
        color="0.35",
        arrowprops={"arrowstyle": "->", "color": "0.35"},
    )
    ax.annotate("truncation dominates →", xy=(3e-7, 2e-1), fontsize=9, color="0.35")
    fig.legend(fontsize=8, loc="outside right center")
    label_axes(ax, "Error of difference quotients for sin′(1)", "step h", "absolute error")
    return fig


def speedometer_figure(duration: float = 10.0, distance: float = 100.0):
    """Position, speed and acceleration of a car that starts and ends at rest."""
    t = np.linspace(0, duration, 300)
    u = t / duration
    position = distance * u**2 * (3 - 2 * u)
    speed = distance * (6 * u - 6 * u**2) / duration
    acceleration = distance * (6 - 12 * u) / duration**2
    fig = new_figure(6.0, 5.0, nrows=3, sharex=True)
    panels = [
        (position, "position s(t)", "m", COLORS["curve"]),
        (speed, "speed s′(t): the speedometer", "m/s", COLORS["secant"]),
        (acceleration, "acceleration s″(t)", "m/s²", COLORS["tangent"]),
    ]
    middle = duration / 2
    for ax, (values, title, unit, color) in zip(fig.axes, panels, strict=True):
        ax.plot(t, values, color=color, lw=2)
        ax.axhline(0, color="black", lw=0.6)
        ax.axvline(middle, color=COLORS["muted"], ls=":", lw=1.2)
        label_axes(ax, title, "", unit)
    # speed is the slope of the position: the tangent at the middle has the peak speed as slope
    peak = 1.5 * distance / duration
    near = np.linspace(middle - 1.5, middle + 1.5, 10)
    fig.axes[0].plot(
        near,
        distance / 2 + peak * (near - middle),
        "--",
        color=COLORS["secant"],
        lw=1.5,
        label=f"tangent at t = {middle:g} s: slope {peak:g} m/s",
    )
    fig.axes[0].legend(fontsize=8, loc="upper left")
    fig.axes[1].plot([middle], [peak], "o", color=COLORS["secant"])
    fig.axes[1].annotate(
        f"peak speed {peak:g} m/s",
        (middle, peak),
        xytext=(8, -12),
        textcoords="offset points",
        fontsize=8,
    )
    fig.axes[2].plot([middle], [0], "o", color=COLORS["tangent"])
    fig.axes[2].annotate(
        "zero acceleration", (middle, 0), xytext=(8, 6), textcoords="offset points", fontsize=8
    )
    fig.axes[-1].set_xlabel("time t (s)")
    return fig


def nondifferentiable_figure():
    """Where a derivative fails to exist (a jump, a hole, a corner, a cusp, a vertical tangent),
    next to a smooth point for comparison."""
    fig = new_figure(8.4, 5.2, nrows=2, ncols=3)
    jump, hole, corner, cusp, vertical, smooth = fig.axes
    left, right = np.linspace(-2, 0, 100), np.linspace(0, 2, 100)
    jump.plot(left, 0.5 * left, color=COLORS["curve"], lw=2)
    jump.plot(right, 0.5 * right + 1, color=COLORS["curve"], lw=2)
    jump.plot([0], [0], "o", color=COLORS["curve"])
    jump.plot([0], [1], "o", mfc="white", color=COLORS["curve"])
    label_axes(jump, "Jump: not even continuous", "x", "f(x)")
    xs = np.linspace(-2, 2, 401)
    hole.plot(xs, 0.5 * xs + 0.5, color=COLORS["curve"], lw=2)
    hole.plot([0], [0.5], "o", mfc="white", color=COLORS["curve"], zorder=3)
    hole.plot([0], [1.3], "o", color=COLORS["curve"])
    label_axes(hole, "Hole: f(0) is off the line", "x", "f(x)")
    corner.plot(xs, np.abs(xs), color=COLORS["curve"], lw=2, label="|x|")
    corner.plot(xs, relu(xs), color=COLORS["second"], lw=1.5, ls="--", label="ReLU")
    corner.legend(fontsize=8, loc="upper center")
    label_axes(corner, "Corner: one-sided slopes differ", "x", "f(x)")
    cusp.plot(xs, np.cbrt(xs) ** 2, color=COLORS["curve"], lw=2)
    label_axes(cusp, "Cusp: $x^{2/3}$", "x", "f(x)")
    vertical.plot(xs, np.cbrt(xs), color=COLORS["curve"], lw=2)
    vertical.axvline(0, color=COLORS["tangent"], ls="--", lw=1.5, label="vertical tangent x = 0")
    vertical.legend(fontsize=8, loc="upper left")
    label_axes(vertical, "Vertical tangent: $x^{1/3}$", "x", "f(x)")
    smooth.plot(xs, xs**3, color=COLORS["curve"], lw=2, label="x³")
    smooth.axhline(0, color=COLORS["tangent"], ls="--", lw=1.5, label="tangent y = 0")
    smooth.set_ylim(-3, 3)
    smooth.legend(fontsize=8, loc="upper left")
    label_axes(smooth, "Differentiable: x³ (f′(0) = 0)", "x", "f(x)")
    return fig


def subgradient_figure(slopes=(-1.0, -0.5, 0.0, 0.5, 1.0)):
    """Lines through the kink of |x| with slopes in [−1, 1] all stay below the graph."""
    fig = new_figure(5.5, 3.4)
    ax = fig.axes[0]
    xs = np.linspace(-2, 2, 401)
    ax.plot(xs, np.abs(xs), color=COLORS["curve"], lw=4, alpha=0.5, label="f(x) = |x|")
    for g in slopes:  # drawn on top and dashed, so that g = ±1 shows along the arms
        ax.plot(xs, g * xs, color=COLORS["accent"], lw=1.3, ls=(0, (4, 2)), zorder=3)
        ax.annotate(
            f"g = {_minus(f'{g:g}')}",
            (2.0, 2.0 * g),
            fontsize=7,
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
        )
    ax.plot([], [], color=COLORS["accent"], label="lines g·x with g in [−1, 1]")
    ax.plot([0], [0], "o", color=COLORS["point"])
    ax.set_ylim(-2.1, 2.1)
    ax.set_xlim(-2, 2.6)
    ax.legend(fontsize=8, loc="upper center")
    label_axes(ax, "Subgradients of |x| at 0", "x", "y")
    return fig


def implicit_circle_figure(radius: float = 5.0, point=(3.0, 4.0)):
    """The circle x² + y² = r² with the tangent at ``point``, slope −x/y from implicit differentiation."""
    fig = new_figure(4.6, 5.0)
    ax = fig.axes[0]
    theta = np.linspace(0, 2 * np.pi, 400)
    ax.plot(
        radius * np.cos(theta),
        radius * np.sin(theta),
        color=COLORS["curve"],
        lw=2,
        label=f"x² + y² = {radius**2:g}",
    )
    px, py = point
    slope = -px / py
    xs = np.linspace(px - 4, px + 4, 50)
    ax.plot(
        xs,
        py + slope * (xs - px),
        "--",
        color=COLORS["tangent"],
        lw=2,
        label=f"tangent, slope −x/y = {slope:g}",
    )
    ax.plot(
        [0, px], [0, py], ":", color=COLORS["muted"], label="radius (perpendicular to the tangent)"
    )
    ax.plot([px], [py], "o", color=COLORS["point"])
    ax.set_aspect("equal")
    ax.set_xlim(-6.5, 8)
    ax.set_ylim(-6.5, 8)
    fig.legend(fontsize=8, loc="outside lower center")
    label_axes(ax, f"Tangent to the circle at ({px:g}, {py:g})", "x", "y")
    return fig


def gradient_step_figure(w0: float = 5.0, lr: float = 0.1):
    """One gradient-descent step on L(w) = (w − 3)²: the slope at w0 decides direction and size."""
    w1 = gradient_step(toy_loss_grad, w0, lr)
    fig = new_figure(5.5, 3.4)
    ax = fig.axes[0]
    ws = np.linspace(0.5, 6.0, 300)
    ax.plot(ws, toy_loss(ws), color=COLORS["curve"], lw=2, label="L(w) = (w − 3)²")
    near = np.linspace(w0 - 1.0, w0 + 0.6, 20)
    ax.plot(
        near,
        toy_loss(w0) + toy_loss_grad(w0) * (near - w0),
        "--",
        color=COLORS["tangent"],
        lw=1.5,
        label=f"tangent at w = {w0:g}, slope {toy_loss_grad(w0):g}",
    )
    ax.plot(
        [w0],
        [toy_loss(w0)],
        "o",
        color=COLORS["secant"],
        ms=7,
        label=f"w = {w0:g}: L = {toy_loss(w0):.2f}",
    )
    ax.plot(
        [w1],
        [toy_loss(w1)],
        "D",
        color=COLORS["accent"],
        ms=7,
        label=f"w = {w1:.2f}: L = {toy_loss(w1):.2f}",
    )
    ax.annotate(
        "",
        xy=(w1, toy_loss(w1)),
        xytext=(w0, toy_loss(w0)),
        arrowprops={"arrowstyle": "->", "lw": 1.5},
    )
    ax.annotate(
        f"step −η·L′({w0:g}) = {_minus(f'{w1 - w0:+.2f}')}",
        xy=(w1, 0.4),
        xytext=(w0, 0.4),
        va="center",
        fontsize=8,
        arrowprops={"arrowstyle": "->", "color": COLORS["muted"]},
    )
    ax.plot([3], [0], "*", color=COLORS["point"], ms=10, label="minimum w = 3")
    ax.set_ylim(-0.5, 7)
    ax.legend(fontsize=8, loc="upper center")
    label_axes(ax, f"One gradient step with learning rate {lr:g}", "weight w", "loss L(w)")
    return fig


# -- pictures added for issue 13: the nudge, both one-sided secants, the product rule --------


def running_loss_slope(w):
    """L′(w) = mean(2x(wx − y)) for the running example's L(w) = mean((wx − y)²)."""
    from calcml.regression import AREA, RENT

    w = np.asarray(w, dtype=float)
    return np.mean(2 * AREA * (w[..., None] * AREA - RENT), axis=-1)


def nudge_zoom_figure(a: float = 1.0, half_widths=(1.0, 0.1, 0.01)):
    """Δf ≈ f′(a)Δx: the running example's loss L(w) near w = a, zoomed in tenfold twice.

    Each panel is the dotted box of the one before, blown up: the curve looks straighter and
    straighter and merges with its tangent. The last panel marks a nudge Δx, the true change Δf
    and the tangent's prediction f′(a)Δx.
    """
    from calcml.regression import slope_loss

    fa, slope = float(slope_loss(a)), float(running_loss_slope(a))
    fig = new_figure(9.0, 3.4, ncols=len(half_widths))
    limits = []
    for ax, w in zip(fig.axes, half_widths, strict=True):
        ws = np.linspace(a - w, a + w, 300)
        values = slope_loss(ws)
        tangent = fa + slope * (ws - a)
        ax.plot(ws, values, color=COLORS["curve"], lw=2.2, label="L(w)")
        ax.plot(ws, tangent, "--", color=COLORS["tangent"], lw=1.5, label="tangent at w = 1")
        ax.plot([a], [fa], "o", color=COLORS["point"], ms=4, zorder=5)
        lo, hi = float(min(values.min(), tangent.min())), float(max(values.max(), tangent.max()))
        pad = 0.08 * (hi - lo)
        limits.append((lo - pad, hi + pad))
        ax.set_xlim(a - w, a + w)
        ax.set_ylim(lo - pad, hi + pad)
        zoom = half_widths[0] / w
        label_axes(ax, f"zoom ×{zoom:g}: w in [{a - w:g}, {a + w:g}]", "weight w", "loss L(w)")
    for ax, w_next in zip(fig.axes[:-1], half_widths[1:], strict=False):
        ws = np.linspace(a - w_next, a + w_next, 50)
        vals = np.concatenate([slope_loss(ws), fa + slope * (ws - a)])
        ax.add_patch(
            Rectangle(
                (a - w_next, vals.min()),
                2 * w_next,
                vals.max() - vals.min(),
                fill=False,
                ls=":",
                lw=1.2,
                ec=COLORS["secant"],
            )
        )
    last, w = fig.axes[-1], half_widths[-1]
    dx = 0.8 * w
    df_true = float(slope_loss(a + dx)) - fa
    last.annotate(
        "", xy=(a + dx, fa), xytext=(a, fa), arrowprops={"arrowstyle": "<->", "color": "0.3"}
    )
    last.text(a + dx / 2, fa, "Δw", ha="center", va="bottom", fontsize=8)
    last.text(a + dx, fa + df_true / 2, " ΔL", ha="left", va="center", fontsize=8)
    last.plot([a + dx, a + dx], [fa, fa + df_true], color=COLORS["secant"], lw=2)
    last.text(
        0.04,
        0.05,
        f"nudge Δw = {dx:g}\ntrue change ΔL = {_minus(f'{df_true:.6f}')}\n"
        f"tangent's ΔL ≈ L′(1)·Δw = {_minus(f'{slope * dx:.6f}')}",
        transform=last.transAxes,
        ha="left",
        va="bottom",
        fontsize=8,
        bbox={"facecolor": "white", "edgecolor": "0.8"},
    )
    fig.axes[0].legend(fontsize=8, loc="upper center")
    fig.suptitle("Zoom in on a smooth curve and it turns into its tangent: ΔL ≈ L′(w)·Δw")
    return fig


def one_sided_secants_figure(steps=(0.8, 0.4, 0.1)):
    """Secants from the right and from the left, drawn together: at a smooth point (x² at 1) both
    families close in on one tangent; at a corner (|x| at 0) they stay at slopes +1 and −1."""
    fig = new_figure(8.4, 3.4, ncols=2)
    for ax, (f, a, name, xs) in zip(
        fig.axes,
        [
            (np.square, 1.0, "x² at a = 1: both sides agree", np.linspace(-0.2, 2.2, 200)),
            (np.abs, 0.0, "|x| at a = 0: the sides disagree", np.linspace(-1.2, 1.2, 200)),
        ],
        strict=True,
    ):
        ax.plot(xs, f(xs), color=COLORS["curve"], lw=2.2, label="f(x)")
        fa = float(f(a))
        for i, h in enumerate(steps):
            alpha = 0.35 + 0.65 * i / max(1, len(steps) - 1)
            for sign, color, side in (
                (1, COLORS["secant"], "right"),
                (-1, COLORS["accent"], "left"),
            ):
                slope = _secant_slope(f, a, sign * h)
                ax.plot(
                    xs,
                    fa + slope * (xs - a),
                    color=color,
                    alpha=alpha,
                    lw=1.3,
                    ls="-" if sign > 0 else "-.",
                    label=f"{side} secants, slopes "
                    + ", ".join(f"{_secant_slope(f, a, sign * s):g}" for s in steps)
                    if i == len(steps) - 1
                    else None,
                )
                ax.plot([a + sign * h], [float(f(a + sign * h))], "o", color=color, ms=3.5)
        if f is np.square:
            ax.plot(
                xs,
                fa + 2 * a * (xs - a),
                "--",
                color=COLORS["tangent"],
                lw=2,
                label=f"tangent, slope {2 * a:g}",
            )
        ax.plot([a], [fa], "o", color=COLORS["point"], ms=5, zorder=5)
        lo, hi = float(f(xs).min()), float(f(xs).max())
        ax.set_ylim(lo - 0.6 * (hi - lo) - 0.2, hi + 0.1 * (hi - lo))
        ax.set_xlim(xs[0], xs[-1])
        ax.legend(fontsize=7, loc="lower right")
        label_axes(ax, name, "x", "f(x)")
    fig.suptitle(f"Secants from both sides at once, for |h| = {', '.join(f'{s:g}' for s in steps)}")
    return fig


def product_rule_figure(x: float = 1.5, dx: float = 0.3):
    """The product rule as a growing rectangle: f(x)·g(x) grows by two strips and a corner.

    With f(x) = x and g(x) = x²/2 + 1, the rectangle of sides f and g gains the strip g·Δf on the
    right, the strip f·Δg on top and the corner Δf·Δg, which is small twice over.
    """
    f, g = (lambda t: t), (lambda t: t * t / 2 + 1)
    fx, gx, df, dg = f(x), g(x), f(x + dx) - f(x), g(x + dx) - g(x)
    fig = new_figure(6.0, 4.6)
    ax = fig.axes[0]
    pieces = [
        ((0, 0), fx, gx, COLORS["curve"], 0.25, f"f·g = {fx * gx:.3g}", 0),
        ((fx, 0), df, gx, COLORS["secant"], 0.45, f"g·Δf = {gx * df:.3g}", 90),
        ((0, gx), fx, dg, COLORS["tangent"], 0.45, f"f·Δg = {fx * dg:.3g}", 0),
        ((fx, gx), df, dg, COLORS["muted"], 0.7, "", 0),
    ]
    for (x0, y0), width, height, color, alpha, label, rotation in pieces:
        ax.add_patch(Rectangle((x0, y0), width, height, fc=color, alpha=alpha, ec="0.2", lw=1))
        ax.text(
            x0 + width / 2,
            y0 + height / 2,
            label,
            ha="center",
            va="center",
            fontsize=9,
            rotation=rotation,
        )
    ax.annotate(
        f"corner Δf·Δg = {df * dg:.3g}",
        xy=(fx + df / 2, gx + dg / 2),
        xytext=(fx + df + 0.15, gx + dg + 0.25),
        fontsize=9,
        arrowprops={"arrowstyle": "->", "color": "0.3"},
    )
    ax.plot([0, fx, fx, 0, 0], [0, 0, gx, gx, 0], color="0.1", lw=1.8)  # the area before the nudge
    below, beside = -0.12, -0.1
    for lo, hi, name in ((0, fx, f"f(x) = {fx:g}"), (fx, fx + df, "Δf")):
        ax.annotate("", xy=(hi, below), xytext=(lo, below), arrowprops={"arrowstyle": "<->"})
        ax.text((lo + hi) / 2, below - 0.08, name, ha="center", va="top", fontsize=9)
    for lo, hi, name in ((0, gx, f"g(x) = {gx:g}"), (gx, gx + dg, "Δg")):
        ax.annotate("", xy=(beside, hi), xytext=(beside, lo), arrowprops={"arrowstyle": "<->"})
        ax.text(
            beside - 0.06,
            (lo + hi) / 2,
            name,
            ha="right",
            va="center",
            fontsize=9,
            rotation=90 if name != "Δg" else 0,
        )
    ax.set_xlim(-0.75, fx + df + 1.1)
    ax.set_ylim(-0.5, gx + dg + 0.55)
    ax.set_aspect("equal")
    label_axes(
        ax,
        "The product rule as a growing rectangle: Δ(f·g) = g·Δf + f·Δg + Δf·Δg",
        f"width f(x) = x   (x = {x:g} grows by Δx = {dx:g})",
        "height g(x) = x²/2 + 1",
    )
    ax.title.set_fontsize(10)
    ax.grid(False)
    return fig
