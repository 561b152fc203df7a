"""Static figures for chapter 3 (critical points and curvature). Each function returns an Agg
Figure; the chapter shows it with ``calcml.figures.show_figure(fig, alt)``."""

from __future__ import annotations

import re

import numpy as np
import sympy as sp

from calcml.figures import COLORS, label_axes, new_figure
from calcml.widgets.critical import X, analyse_polynomial
from calcml.widgets.descent1d import double_well_loss, gradient_descent_1d, quadratic_loss

_SUPERSCRIPT_DIGITS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _pretty_polynomial(expr) -> str:
    """x**3 - 3*x**2 + 5 as x³ − 3x² + 5, for titles."""
    text = re.sub(r"\*\*(\d+)", lambda m: m.group(1).translate(_SUPERSCRIPT_DIGITS), sp.sstr(expr))
    return text.replace("*", "").replace("-", "−")


def worked_polynomial_figure(expr, xlim=(-2.5, 2.5)):
    """f with its increasing / decreasing stretches shaded, extrema and inflection points marked."""
    analysis = analyse_polynomial(expr, X)
    f = sp.lambdify(X, analysis.expr, "numpy")
    d1 = sp.lambdify(X, analysis.derivative, "numpy")
    xs = np.linspace(*xlim, 500)
    ys = f(xs)
    slopes = np.broadcast_to(d1(xs), xs.shape)
    fig = new_figure(6.4, 3.6)
    ax = fig.axes[0]
    pad = 0.25 * float(np.ptp(ys))
    lo, hi = float(ys.min()) - pad, float(ys.max()) + pad
    ax.fill_between(
        xs,
        lo,
        hi,
        where=slopes > 0,
        color=COLORS["tangent"],
        alpha=0.12,
        lw=0,
        label="increasing (f′ > 0)",
    )
    ax.fill_between(
        xs,
        lo,
        hi,
        where=slopes < 0,
        color=COLORS["secant"],
        alpha=0.12,
        lw=0,
        label="decreasing (f′ < 0)",
    )
    ax.plot(xs, ys, color=COLORS["curve"], lw=2)
    for p in analysis.critical_points:
        marker = {"local minimum": "o", "local maximum": "^"}.get(p.nature, "X")
        ax.plot([p.x], [p.value], marker, ms=9, color=COLORS["point"], zorder=5)
        ax.annotate(
            f"{p.nature}\n({p.x:.3g}, {p.value:.3g})",
            (p.x, p.value),
            textcoords="offset points",
            xytext=(0, 12 if p.nature == "local maximum" else -28),
            ha="center",
            fontsize=8,
        )
    for x0 in analysis.inflection_points:
        ax.plot([x0], [f(x0)], "D", ms=8, mfc="white", mec=COLORS["point"], zorder=5)
        ax.annotate(
            f"inflection\n({x0:.3g}, {float(f(x0)):.3g})",
            (x0, float(f(x0))),
            textcoords="offset points",
            xytext=(28, 0),
            fontsize=8,
            va="center",
        )
    ax.set_ylim(lo, hi)
    ax.set_xlim(*xlim)
    fig.legend(fontsize=8, loc="outside lower center", ncols=2)
    label_axes(ax, f"f(x) = {_pretty_polynomial(analysis.expr)}", "x", "f(x)")
    return fig


def inconclusive_figure():
    """x³, x⁴ and −x⁴: f′(0) = f″(0) = 0 for all three, yet three different behaviours at 0."""
    fig = new_figure(8.6, 2.9, ncols=3, sharey=False)
    xs = np.linspace(-1.3, 1.3, 300)
    cases = [
        (xs**3, "x³: neither max nor min"),
        (xs**4, "x⁴: minimum"),
        (-(xs**4), "−x⁴: maximum"),
    ]
    for ax, (ys, title) in zip(fig.axes, cases, strict=True):
        ax.plot(xs, ys, color=COLORS["curve"], lw=2)
        ax.plot([0], [0], "o", color=COLORS["secant"], ms=7)
        label_axes(ax, title, "x", "f(x)")
    return fig


def concavity_figure():
    """Concave up: tangents lie below the curve. Concave down: tangents lie above."""
    fig = new_figure(8.6, 3.1, ncols=2)
    xs = np.linspace(-2, 2, 200)
    for ax, sign, title in [
        (fig.axes[0], 1, "Concave up (f″ > 0): tangents below"),
        (fig.axes[1], -1, "Concave down (f″ < 0): tangents above"),
    ]:
        ax.plot(xs, sign * xs**2, color=COLORS["curve"], lw=2)
        for a in (-1.2, 0.0, 1.2):
            near = np.linspace(a - 0.7, a + 0.7, 2)
            ax.plot(near, sign * (a**2 + 2 * a * (near - a)), color=COLORS["tangent"], lw=1.3)
            ax.plot([a], [sign * a**2], "o", color=COLORS["tangent"], ms=5)
        label_axes(ax, title, "x", "x²" if sign > 0 else "−x²")
    return fig


def convexity_chord_figure():
    """A convex loss lies under each chord; a non-convex one pokes above some chord."""
    fig = new_figure(8.6, 3.2, ncols=2)
    ax1, ax2 = fig.axes
    xs = np.linspace(-2, 2, 300)
    convex = 0.5 * xs**2 + 0.3 * xs + 0.5
    ax1.plot(xs, convex, color=COLORS["curve"], lw=2)
    a, b = -1.6, 1.2
    fa, fb = 0.5 * a**2 + 0.3 * a + 0.5, 0.5 * b**2 + 0.3 * b + 0.5
    ax1.plot([a, b], [fa, fb], "o-", color=COLORS["secant"], lw=1.5, label="chord")
    ax1.legend(fontsize=8)
    label_axes(ax1, "Convex: every chord lies above the curve", "w", "L(w)")

    well = double_well_loss()
    ws = np.linspace(-2.0, 2.0, 300)
    ax2.plot(ws, well.loss(ws), color=COLORS["curve"], lw=2)
    a, b = -1.3, 1.1
    ax2.plot(
        [a, b], [well.loss(a), well.loss(b)], "o-", color=COLORS["secant"], lw=1.5, label="chord"
    )
    ax2.set_ylim(-4.5, 4.0)
    ax2.legend(fontsize=8)
    label_axes(ax2, "Not convex: the curve rises above this chord", "w", "L(w)")
    return fig


def convex_losses_figure(seed: int = 0):
    """MSE of a one-weight linear model and the logistic loss are both convex in the weight."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, 20)
    y = 1.5 * x + rng.normal(0, 0.2, 20)
    ws = np.linspace(-1, 4, 200)
    mse = ((y[None, :] - ws[:, None] * x[None, :]) ** 2).mean(axis=1)
    fig = new_figure(8.6, 3.2, ncols=2)
    ax1, ax2 = fig.axes
    ax1.plot(ws, mse, color=COLORS["curve"], lw=2)
    best = float(x @ y / (x @ x))
    ax1.plot([best], [float(((y - best * x) ** 2).mean())], "*", ms=12, color=COLORS["tangent"])
    label_axes(ax1, "MSE of ŷ = w·x on 20 points: a parabola in w", "weight w", "MSE(w)")
    z = np.linspace(-6, 6, 300)
    ax2.plot(z, np.logaddexp(0, -z), color=COLORS["curve"], lw=2, label="log(1 + e^(−z))")
    sig = 1 / (1 + np.exp(-z))
    ax2.plot(
        z,
        sig * (1 - sig),
        color=COLORS["secant"],
        ls="--",
        lw=1.5,
        label="its 2nd derivative σ(z)(1 − σ(z)) > 0",
    )
    ax2.legend(fontsize=8)
    label_axes(ax2, "Logistic loss in the margin z = y·w·x", "z", "loss")
    return fig


def learning_rate_figure(curvature: float = 2.0, start: float = -1.0, n_steps: int = 12):
    """The same quadratic, three learning rates: smooth convergence, oscillation, divergence."""
    loss = quadratic_loss(curvature)
    limit = 2.0 / curvature
    rates = [(fraction * limit, f"{fraction:g} × 2/c") for fraction in (0.3, 0.9, 1.05)]
    fig = new_figure(9.0, 3.0, ncols=3, sharey=True)
    ws_curve = np.linspace(*loss.wlim, 300)
    for ax, (lr, label) in zip(fig.axes, rates, strict=True):
        ws = gradient_descent_1d(loss.grad, start, lr, n_steps)
        ax.plot(ws_curve, loss.loss(ws_curve), color=COLORS["curve"], lw=1.6)
        ax.plot(ws, loss.loss(ws), "-o", ms=3.5, lw=1, color=COLORS["secant"])
        ax.plot(ws[:1], loss.loss(ws[:1]), "o", ms=7, mfc="white", mec=COLORS["point"])
        ax.set_ylim(-1, 30)
        ax.set_xlim(*loss.wlim)
        label_axes(ax, f"η = {lr:.3g} ({label}, c = {curvature:g})", "w", "L(w)")
    return fig


def local_minimum_figure(lr: float = 0.02, n_steps: int = 60, starts=(-1.9, 0.3, 1.9)):
    """Gradient descent on the double well ends in whichever basin the start point lies in."""
    loss = double_well_loss()
    ws_curve = np.linspace(*loss.wlim, 300)
    fig = new_figure(6.4, 3.5)
    ax = fig.axes[0]
    ax.plot(ws_curve, loss.loss(ws_curve), color=COLORS["curve"], lw=2)
    colors = [COLORS["secant"], COLORS["accent"], COLORS["tangent"]]
    for start, color in zip(starts, colors, strict=True):
        ws = gradient_descent_1d(loss.grad, start, lr, n_steps)
        ax.plot(
            ws,
            loss.loss(ws),
            "-o",
            ms=3,
            lw=1,
            color=color,
            label=f"start {start:g} → ends at {ws[-1]:.3f}",
        )
    ax.set_ylim(*loss.ylim)
    ax.legend(fontsize=8, loc="upper center")
    label_axes(ax, f"{loss.label}: the start decides the minimum (lr = {lr:g})", "w", "L(w)")
    return fig


def newton_figure(w0: float = 2.0):
    """One Newton step on L(w) = eʷ − 2w: jump to the minimum of the local quadratic model."""

    def loss(w):
        return np.exp(w) - 2 * w

    g, h = np.exp(w0) - 2, np.exp(w0)
    w1 = w0 - g / h
    ws = np.linspace(-1.0, 2.6, 300)
    model = loss(w0) + g * (ws - w0) + 0.5 * h * (ws - w0) ** 2
    fig = new_figure(6.4, 3.5)
    ax = fig.axes[0]
    ax.plot(ws, loss(ws), color=COLORS["curve"], lw=2, label="L(w) = eʷ − 2w")
    ax.plot(
        ws, model, color=COLORS["secant"], ls="--", lw=1.5, label=f"quadratic model at w₀ = {w0:g}"
    )
    ax.plot([w0], [loss(w0)], "o", ms=8, color=COLORS["point"], label=f"start w₀ = {w0:g}")
    ax.plot(
        [w1], [loss(w1)], "s", ms=8, color=COLORS["secant"], label=f"w₁ = w₀ − L′/L″ = {w1:.3f}"
    )
    ax.plot(
        [np.log(2)],
        [loss(np.log(2))],
        "*",
        ms=13,
        color=COLORS["tangent"],
        label=f"true minimum ln 2 ≈ {np.log(2):.3f}",
    )
    ax.set_ylim(-0.5, 6)
    ax.legend(fontsize=8, loc="upper left")
    label_axes(ax, "Newton's method: minimise the quadratic model", "w", "L(w)")
    return fig
