"""Static figures for chapter 3 (critical points and curvature). Each function returns an Agg
Figure; the chapter shows it with ``calcml.figures.show_figure(fig, alt)``."""

from __future__ import annotations

import re

import numpy as np
import sympy as sp

from calcml.figures import COLORS, label_axes, new_figure
from calcml.widgets.critical import X, analyse_polynomial
from calcml.widgets.descent1d import (
    double_well_loss,
    flat_bottom_loss,
    gradient_descent_1d,
    quadratic_loss,
)

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
        alpha=0.16,
        lw=0,
        label="increasing (f′ > 0)",
    )
    ax.fill_between(
        xs,
        lo,
        hi,
        where=slopes < 0,
        color=COLORS["secant"],
        alpha=0.16,
        lw=0,
        label="decreasing (f′ < 0)",
    )
    # a band along the bottom for the sign of f″: where the curve bends up or down
    d2 = sp.lambdify(X, analysis.second_derivative, "numpy")
    bends = np.broadcast_to(d2(xs), xs.shape)
    band = lo + 0.07 * (hi - lo)
    ax.fill_between(
        xs,
        lo,
        band,
        where=bends > 0,
        color=COLORS["curve"],
        alpha=0.45,
        lw=0,
        label="band: concave up (f″ > 0)",
    )
    ax.fill_between(
        xs,
        lo,
        band,
        where=bends < 0,
        color=COLORS["second"],
        alpha=0.6,
        lw=0,
        label="band: concave down (f″ < 0)",
    )
    ax.plot(xs, ys, color=COLORS["curve"], lw=2)
    for p in analysis.critical_points:
        marker = {"local minimum": "o", "local maximum": "^"}.get(p.nature, "X")
        ax.plot([p.x], [p.value], marker, ms=9, color=COLORS["point"], zorder=5)
        ax.annotate(
            f"{p.nature}\n({p.x:.3g}, {p.value:.3g})".replace("-", "−"),
            (p.x, p.value),
            textcoords="offset points",
            xytext=(0, 12) if p.nature == "local maximum" else (44, 2),
            ha="center",
            fontsize=8,
        )
    for x0 in analysis.inflection_points:
        ax.plot([x0], [f(x0)], "D", ms=8, mfc="white", mec=COLORS["point"], zorder=5)
        ax.annotate(
            f"inflection\n({x0:.3g}, {float(f(x0)):.3g})".replace("-", "−"),
            (x0, float(f(x0))),
            textcoords="offset points",
            xytext=(28, 0),
            fontsize=8,
            va="center",
        )
    ax.set_ylim(lo, hi)
    ax.set_xlim(*xlim)
    fig.legend(fontsize=8, loc="outside lower center", ncols=2)
    for handle in fig.legends[0].legend_handles:
        handle.set_alpha(0.6)  # swatches visible even where the fills are pale
    label_axes(ax, f"f(x) = {_pretty_polynomial(analysis.expr)}", "x", "f(x)")
    return fig


def inconclusive_figure():
    """x³, x⁴ and −x⁴: f′(0) = f″(0) = 0 for all three, yet three different behaviours at 0."""
    fig = new_figure(8.6, 2.9, ncols=3, sharey=False)
    xs = np.linspace(-1.3, 1.3, 300)
    cases = [
        (xs**3, "x³: neither max nor min", ("f′ > 0 ↗", "↗ f′ > 0"), (0.85, 0.12)),
        (xs**4, "x⁴: minimum", ("f′ < 0 ↘", "↗ f′ > 0"), (0.5, 0.5)),
        (-(xs**4), "−x⁴: maximum", ("f′ > 0 ↗", "↘ f′ < 0"), (0.5, 0.5)),
    ]
    for ax, (ys, title, (left, right), (y_left, y_right)) in zip(fig.axes, cases, strict=True):
        ax.plot(xs, ys, color=COLORS["curve"], lw=2)
        ax.plot([0], [0], "o", color=COLORS["secant"], ms=7)
        # the first-derivative test: the sign of the slope on each side of 0
        for x_text, y_text, words in ((0.27, y_left, left), (0.73, y_right, right)):
            ax.text(x_text, y_text, words, transform=ax.transAxes, ha="center", fontsize=8)
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
    fig = new_figure(9.0, 3.2, ncols=3)
    ax1, ax2, ax3 = fig.axes
    ax1.plot(ws, mse, color=COLORS["curve"], lw=2, label="MSE(w)")
    best = float(x @ y / (x @ x))
    ax1.plot(
        [best],
        [float(((y - best * x) ** 2).mean())],
        "*",
        ms=12,
        color=COLORS["tangent"],
        label=f"minimum at w = {best:.3f}",
    )
    ax1.axvline(1.5, color=COLORS["muted"], ls=":", lw=1.2, label="slope 1.5 that made the data")
    ax1.legend(fontsize=7, loc="upper center")
    label_axes(ax1, "MSE of ŷ = w·x on 20 points", "weight w", "MSE(w)")
    z = np.linspace(-6, 6, 300)
    ax2.plot(z, np.logaddexp(0, -z), color=COLORS["curve"], lw=2)
    label_axes(ax2, "Logistic loss log(1 + e⁻ᶻ)", "margin z = y·w·x", "loss ℓ(z)")
    sig = 1 / (1 + np.exp(-z))
    ax3.plot(z, sig * (1 - sig), color=COLORS["secant"], lw=2)
    ax3.set_yscale("log")
    label_axes(ax3, "ℓ″(z) = σ(z)(1 − σ(z)) > 0", "margin z", "ℓ″(z), log scale")
    return fig


def learning_rate_figure(curvature: float = 2.0, start: float = -1.0, n_steps: int = 12):
    """The same quadratic, five learning rates (ηc = 0.2, 1, 1.8, 2, 2.2), and the distance to the
    minimum against the step on a log scale: the plot practitioners read."""
    loss = quadratic_loss(curvature)
    center = loss.minima[0]
    regimes = [
        (0.2, "monotone"),
        (1.0, "lands in one step"),
        (1.8, "oscillating, converging"),
        (2.0, "bouncing forever"),
        (2.2, "diverging"),
    ]
    fig = new_figure(9.0, 5.6, nrows=2, ncols=3)
    ws_curve = np.linspace(*loss.wlim, 300)
    distances = fig.axes[5]
    for ax, (product, word), color in zip(
        fig.axes[:5],
        regimes,
        [COLORS["tangent"], COLORS["curve"], COLORS["second"], COLORS["accent"], COLORS["secant"]],
        strict=True,
    ):
        lr = product / curvature
        ws = gradient_descent_1d(loss.grad, start, lr, n_steps)
        ax.plot(ws_curve, loss.loss(ws_curve), color=COLORS["curve"], lw=1.6)
        ax.plot(ws, loss.loss(ws), "-o", ms=3.5, lw=1, color=COLORS["secant"])
        ax.plot(ws[:1], loss.loss(ws[:1]), "o", ms=7, mfc="white", mec=COLORS["point"])
        ax.set_ylim(-1, 30)
        ax.set_xlim(*loss.wlim)
        label_axes(ax, f"η = {lr:.3g} (ηc = {product:g})\n{word}", "w", "L(w)")
        ax.title.set_fontsize(10)
        gap = np.abs(ws - center)
        shown = gap > 0
        distances.semilogy(
            np.arange(len(ws))[shown],
            gap[shown],
            "--o"
            if product < 1
            else "-o",  # 0.2 and 1.8 share |1 − ηc| = 0.8: one line on the other
            ms=6 if product < 1 else 3,
            mfc="none" if product < 1 else color,
            color=color,
            label=f"ηc = {product:g}: |1 − ηc| = {abs(1 - product):.1f}",
        )
    distances.set_ylim(0.1, 2000)  # room above the lines for the legend
    distances.legend(fontsize=6.5, loc="upper left", framealpha=0.9)
    label_axes(distances, "Distance to the minimum\n(log scale)", "step k", "|wₖ − w*|")
    distances.title.set_fontsize(10)
    return fig


def cobweb_figure(curvature: float = 2.0, start: float = -1.0, n_steps: int = 8):
    """The update map w ↦ w − ηL′(w) against the diagonal: each iterate bounces between them."""
    loss = quadratic_loss(curvature)
    center = loss.minima[0]
    fig = new_figure(9.0, 3.2, ncols=3)
    ws = np.linspace(-2.0, 8.0, 2)
    for ax, product, word in zip(
        fig.axes,
        (0.6, 1.6, 2.2),
        ("monotone", "oscillating, converging", "diverging"),
        strict=True,
    ):
        lr = product / curvature
        ax.plot(ws, ws, color=COLORS["muted"], lw=1, label="diagonal wₖ₊₁ = wₖ")
        ax.plot(
            ws,
            ws - lr * loss.grad(ws),
            color=COLORS["curve"],
            lw=1.8,
            label="update wₖ₊₁ = wₖ − ηL′(wₖ)",
        )
        path = gradient_descent_1d(loss.grad, start, lr, n_steps)
        xs, ys = [path[0]], [path[0]]
        for a, b in zip(path[:-1], path[1:], strict=True):
            xs += [a, b]
            ys += [b, b]
        ax.plot(xs, ys, color=COLORS["secant"], lw=1.1, label="the iterates")
        ax.plot([center], [center], "*", ms=11, color=COLORS["tangent"], label="minimum w* = 3")
        ax.set_xlim(-2, 8)
        ax.set_ylim(-2, 8)
        ax.set_aspect("equal")
        label_axes(ax, f"ηc = {product:g}: {word}", "wₖ", "wₖ₊₁")
    fig.axes[0].legend(fontsize=6.5, loc="upper left")
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
            label=f"start {start:g} → ends at {ws[-1]:.3f}".replace("-", "−"),
        )
    minima = list(loss.minima)
    ax.plot(
        minima,
        [loss.loss(m) for m in minima],
        "*",
        ms=13,
        color=COLORS["point"],
        label="the two minima",
        zorder=5,
    )
    ax.set_ylim(*loss.ylim)
    ax.legend(fontsize=8, loc="upper center")
    label_axes(ax, f"{loss.label}: the start decides the minimum (η = {lr:g})", "w", "L(w)")
    return fig


def basins_figure(lrs=None, n_starts: int = 300, n_steps: int = 1500):
    """Where gradient descent on the double well ends, for every start and learning rate.

    Top: the curve, the two basins of attraction for a small step (split at the hilltop) shaded.
    Bottom: a map over (start w₀, η): which minimum the run reaches, or neither (no limit, or it
    blows up). For small η the split is the hilltop; for large η the basins interleave.
    """
    loss = double_well_loss()
    left, top, right = (c.w for c in loss.critical)
    lrs = np.linspace(0.005, 0.3, 60) if lrs is None else np.asarray(lrs, dtype=float)
    starts = np.linspace(*loss.wlim, n_starts)
    w = np.tile(starts, (len(lrs), 1))
    eta = lrs[:, None] * np.ones_like(w)
    with np.errstate(all="ignore"):
        for _ in range(n_steps):
            w = w - eta * (4 * w**3 - 6 * w + 1)
            w = np.where(np.abs(w) > 1e6, np.nan, w)
    outcome = np.full(w.shape, 2.0)  # 2: neither
    outcome[np.abs(w - left) < 1e-6] = 0.0
    outcome[np.abs(w - right) < 1e-6] = 1.0
    fig = new_figure(6.6, 5.6, nrows=2, height_ratios=[1, 1.25])
    ax, ax_map = fig.axes
    ws = np.linspace(*loss.wlim, 400)
    ax.axvspan(
        loss.wlim[0],
        top,
        color=COLORS["curve"],
        alpha=0.15,
        label=f"basin of the global minimum {left:.2f}".replace("-", "−"),
    )
    ax.axvspan(
        top,
        loss.wlim[1],
        color=COLORS["second"],
        alpha=0.2,
        label=f"basin of the local minimum {right:.2f}",
    )
    ax.plot(ws, loss.loss(ws), color=COLORS["curve"], lw=2)
    ax.plot(
        [top],
        [loss.loss(top)],
        "X",
        ms=9,
        color=COLORS["accent"],
        label=f"hilltop {top:.3f}: the divide",
    )
    ax.plot([left, right], [loss.loss(left), loss.loss(right)], "*", ms=13, color=COLORS["point"])
    ax.set_xlim(*loss.wlim)
    ax.set_ylim(*loss.ylim)
    ax.legend(fontsize=7.5, loc="upper center")
    label_axes(ax, "Basins of attraction for small steps", "start w₀", "L(w)")
    from matplotlib.colors import ListedColormap

    cmap = ListedColormap([COLORS["curve"], COLORS["second"], "#DDDDDD"])
    ax_map.imshow(
        outcome,
        origin="lower",
        aspect="auto",
        cmap=cmap,
        vmin=-0.5,
        vmax=2.5,
        extent=(starts[0], starts[-1], lrs[0], lrs[-1]),
        interpolation="nearest",
    )
    ax_map.axvline(top, color=COLORS["accent"], lw=1, ls=":")
    for c, style in ((left, "--"), (right, "-.")):
        bound = 2 / float(loss.curvature(c))
        ax_map.axhline(
            bound,
            color=COLORS["point"],
            lw=1,
            ls=style,
            label=f"η = 2/L″ at {c:.2f}: {bound:.3f}".replace("-", "−"),
        )
    ax_map.legend(fontsize=7, loc="upper left", framealpha=0.9)
    label_axes(
        ax_map,
        f"Where {n_steps} steps end: blue global, orange local, grey neither",
        "start w₀",
        "learning rate η",
    )
    ax_map.grid(False)
    return fig


def slow_descent_figure(lr: float = 0.1, start: float = 1.0, n_steps: int = 1000):
    """Gradient descent on (w − 3)²-like curvature versus the flat bottom of w⁴: geometric against
    painfully slow, on log–log axes of the loss gap against the step."""
    flat = flat_bottom_loss()
    bowl = quadratic_loss(curvature=2.0, center=0.0)
    fig = new_figure(6.4, 3.6)
    ax = fig.axes[0]
    ks = np.arange(1, n_steps + 1)
    for spec, name, color in (
        (bowl, "w² (L″ = 2 at the minimum)", COLORS["curve"]),
        (flat, "w⁴ (L″ = 0 at the minimum)", COLORS["secant"]),
    ):
        ws = gradient_descent_1d(spec.grad, start, lr, n_steps)
        gap = spec.loss(ws[1:])
        keep = gap > 0
        ax.loglog(ks[keep], gap[keep], color=color, lw=2, label=name)
    ws = gradient_descent_1d(flat.grad, start, lr, n_steps)
    ax.annotate(
        f"after {n_steps} steps w⁴ is still at w = {ws[-1]:.3f}",
        (n_steps, ws[-1] ** 4),
        textcoords="offset points",
        xytext=(-10, 30),
        ha="right",
        fontsize=8,
        arrowprops=dict(arrowstyle="->", color=COLORS["point"]),
    )
    ax.set_ylim(1e-18, 2)
    ax.legend(fontsize=8, loc="lower left")
    label_axes(ax, f"Loss against step, η = {lr:g} from w₀ = {start:g}", "step k", "L(wₖ) − L(w*)")
    return fig


def kinks_figure():
    """Three critical points where f′ does not exist: a corner, a cusp and a vertical tangent."""
    fig = new_figure(9.0, 3.0, ncols=3)
    xs = np.linspace(-1.2, 1.2, 401)
    cases = [
        (np.abs(xs), "|x|: a corner", "slopes −1 then +1"),
        (np.cbrt(xs) ** 2, "x^(2/3): a cusp", "slopes → −∞ then +∞"),
        (np.cbrt(xs), "x^(1/3): a vertical tangent", "slope → +∞ on both sides"),
    ]
    for ax, (ys, title, note) in zip(fig.axes, cases, strict=True):
        ax.plot(xs, ys, color=COLORS["curve"], lw=2)
        ax.plot([0], [0], "o", color=COLORS["secant"], ms=7)
        ax.text(
            0.5,
            0.88,
            note,
            transform=ax.transAxes,
            ha="center",
            fontsize=8,
            bbox=dict(boxstyle="round", fc="white", ec="0.7"),
        )
        label_axes(ax, title, "x", "f(x)")
    return fig


def sign_chart_figure(expr, xlim=(-3.0, 5.0)):
    """Number-line sign charts of f′ and f″ with arrows (rising/falling) and cups/caps (bending)."""
    analysis = analyse_polynomial(expr, X)
    fig = new_figure(7.2, 2.9, nrows=2, sharex=True)
    rows = [
        (
            fig.axes[0],
            analysis.derivative,
            [p.x for p in analysis.critical_points],
            ("↗ increasing", "↘ decreasing"),
            "sign of f′",
        ),
        (
            fig.axes[1],
            analysis.second_derivative,
            list(analysis.inflection_points),
            ("∪ concave up", "∩ concave down"),
            "sign of f″",
        ),
    ]
    for ax, derivative, cuts, (up, down), name in rows:
        g = sp.lambdify(X, derivative)
        edges = [xlim[0], *cuts, xlim[1]]
        ax.axhline(0, color=COLORS["point"], lw=1.2)
        for a, b in zip(edges[:-1], edges[1:], strict=True):
            middle = 0.5 * (a + b)
            positive = g(middle) > 0
            color = COLORS["tangent"] if positive else COLORS["secant"]
            ax.axvspan(a, b, ymin=0.25, ymax=0.75, color=color, alpha=0.18, lw=0)
            ax.text(
                middle,
                0.35,
                "+" if positive else "−",
                ha="center",
                va="center",
                fontsize=15,
                color=color,
                fontweight="bold",
            )
            ax.text(middle, -0.42, up if positive else down, ha="center", va="center", fontsize=9)
        for c in cuts:
            ax.plot([c], [0], "o", ms=7, mfc="white", mec=COLORS["point"], zorder=5)
            where = f"{c:g}".replace("-", "−")
            ax.text(c, 0.72, f"{name[8:]} = 0 at x = {where}", ha="center", fontsize=8)
        ax.set_ylim(-0.8, 1.0)
        ax.set_yticks([])
        ax.set_xlim(*xlim)
        label_axes(ax, f"{name}: {_pretty_polynomial(sp.factor(derivative))}", "x", name)
        ax.grid(False)
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
    vertex = loss(w0) + g * (w1 - w0) + 0.5 * h * (w1 - w0) ** 2
    ax.plot([w1], [vertex], "v", ms=8, color=COLORS["secant"], label="vertex of the model")
    ax.plot([w1, w1], [vertex, loss(w1)], ":", color=COLORS["secant"], lw=1.5)
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
