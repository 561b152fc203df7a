"""Static figures for chapter 1 (limits and continuity). Each function returns an Agg Figure;
the chapter shows it with ``calcml.figures.show_figure(fig, alt)``."""

from __future__ import annotations

import numpy as np

from calcml.figures import COLORS, label_axes, new_figure
from calcml.widgets.limits import FUNCTIONS


def _open_dot(ax, x, y, color=COLORS["curve"]):
    ax.plot([x], [y], "o", ms=7, mfc="white", mec=color, mew=1.5, zorder=5)


def _closed_dot(ax, x, y, color=COLORS["curve"]):
    ax.plot([x], [y], "o", ms=7, color=color, zorder=5)


def _arrow(ax, start, end, color):
    ax.annotate("", xy=end, xytext=start, arrowprops=dict(arrowstyle="->", color=color, lw=2))


def one_sided_figure():
    """Approaching a from the left and from the right: a hole (same target) and a jump (two targets)."""
    fig = new_figure(8.6, 3.3, ncols=2)
    ax1, ax2 = fig.axes
    xs = np.linspace(-0.5, 2.5, 301)
    xs = xs[np.abs(xs - 1) > 1e-9]
    ax1.plot(xs, FUNCTIONS["hole"].func(xs), color=COLORS["curve"], lw=1.8)
    _open_dot(ax1, 1.0, 2.0)
    _arrow(ax1, (0.2, 1.2), (0.9, 1.9), COLORS["secant"])
    _arrow(ax1, (1.8, 2.8), (1.1, 2.1), COLORS["tangent"])
    ax1.text(0.2, 1.35, "from the left", color=COLORS["secant"], ha="right")
    ax1.text(1.8, 2.55, "from the right", color=COLORS["tangent"], ha="left")
    label_axes(ax1, "Hole: both sides head for 2", "x", "f(x) = (x² − 1)/(x − 1)")
    ax1.set_ylim(-0.5, 3.6)

    left = np.linspace(-1.5, 0, 100)
    right = np.linspace(0, 1.5, 100)
    ax2.plot(left, left - 1, color=COLORS["curve"], lw=1.8)
    ax2.plot(right, right + 1, color=COLORS["curve"], lw=1.8)
    _open_dot(ax2, 0.0, -1.0)
    _closed_dot(ax2, 0.0, 1.0)
    _arrow(ax2, (-0.9, -1.9), (-0.1, -1.1), COLORS["secant"])
    _arrow(ax2, (0.9, 1.9), (0.1, 1.1), COLORS["tangent"])
    ax2.text(-0.2, -0.6, "left limit −1", color=COLORS["secant"], ha="right")
    ax2.text(0.2, 0.5, "right limit 1", color=COLORS["tangent"], ha="left")
    label_axes(ax2, "Jump: the two sides disagree", "x", "g(x)")
    return fig


def discontinuity_gallery():
    """Four ways to fail continuity at a point: hole, jump, vertical asymptote, oscillation."""
    fig = new_figure(8.6, 5.6, nrows=2, ncols=2)
    (a1, a2), (a3, a4) = np.asarray(fig.axes).reshape(2, 2)

    xs = np.linspace(-0.5, 2.5, 301)
    a1.plot(xs, xs + 1, color=COLORS["curve"], lw=1.8)
    _open_dot(a1, 1.0, 2.0)
    _closed_dot(a1, 1.0, 3.0, COLORS["secant"])
    label_axes(a1, "Removable: limit 2, but f(1) = 3", "x", "f(x)")

    left, right = np.linspace(-1.5, 0, 100), np.linspace(0, 1.5, 100)
    a2.plot(left, left - 1, color=COLORS["curve"], lw=1.8)
    a2.plot(right, right + 1, color=COLORS["curve"], lw=1.8)
    _open_dot(a2, 0.0, -1.0)
    _closed_dot(a2, 0.0, 1.0)
    label_axes(a2, "Jump: one-sided limits differ", "x", "f(x)")

    neg, pos = np.linspace(-1.5, -0.08, 200), np.linspace(0.08, 1.5, 200)
    a3.plot(neg, 1 / neg, color=COLORS["curve"], lw=1.8)
    a3.plot(pos, 1 / pos, color=COLORS["curve"], lw=1.8)
    a3.axvline(0, color=COLORS["muted"], ls="--", lw=1)
    a3.set_ylim(-12, 12)
    label_axes(a3, "Infinite: 1/x has a vertical asymptote", "x", "1/x")

    t = np.linspace(1e-3, 0.6, 20000)
    xs = np.concatenate([-t[::-1], t])
    a4.plot(xs, np.sin(1 / xs), color=COLORS["curve"], lw=0.6)
    a4.set_ylim(-1.3, 1.3)
    label_axes(a4, "Oscillation: sin(1/x) never settles", "x", "sin(1/x)")
    return fig


def sinc_figure():
    """sin(x)/x squeezed between cos x and 1, with a hole at (0, 1)."""
    fig = new_figure(6.0, 3.4)
    ax = fig.axes[0]
    xs = np.linspace(-2 * np.pi, 2 * np.pi, 801)
    xs = xs[np.abs(xs) > 1e-9]
    ax.plot(xs, np.sin(xs) / xs, color=COLORS["curve"], lw=2, label="sin(x)/x")
    near = np.linspace(-np.pi / 2, np.pi / 2, 200)
    ax.plot(
        near,
        np.cos(near),
        color=COLORS["secant"],
        ls="--",
        lw=1.3,
        label="cos x (below, for |x| < π/2)",
    )
    ax.plot(near, np.ones_like(near), color=COLORS["tangent"], ls="--", lw=1.3, label="1 (above)")
    _open_dot(ax, 0.0, 1.0)
    ax.legend(fontsize=8, loc="upper right")  # the lower centre would hide the ends of cos x
    label_axes(ax, "sin(x)/x → 1 as x → 0 (squeezed between cos x and 1)", "x", "value")
    return fig


def compound_figure(n_max: int = 10_000):
    """(1 + 1/n)^n creeping up to e as n grows."""
    n = np.unique(np.logspace(0, np.log10(n_max), 60).astype(int))
    values = (1 + 1 / n) ** n
    fig = new_figure(6.0, 3.3)
    ax = fig.axes[0]
    ax.semilogx(n, values, "o-", ms=3, color=COLORS["curve"], label="(1 + 1/n)ⁿ")
    ax.axhline(np.e, color=COLORS["tangent"], ls="--", label=f"e ≈ {np.e:.6f}")
    ax.legend(fontsize=8, loc="lower right")
    label_axes(ax, "(1 + 1/n)ⁿ → e as n → ∞", "n (log scale)", "(1 + 1/n)ⁿ")
    return fig


def infinity_figure():
    """Limits at infinity: the sigmoid's two horizontal asymptotes, and a loss curve levelling off."""
    fig = new_figure(8.6, 3.3, ncols=2)
    ax1, ax2 = fig.axes
    xs = np.linspace(-8, 8, 400)
    ax1.plot(xs, 1 / (1 + np.exp(-xs)), color=COLORS["curve"], lw=2, label="σ(x) = 1/(1 + e⁻ˣ)")
    for level in (0.0, 1.0):
        ax1.axhline(level, color=COLORS["muted"], ls="--", lw=1)
    ax1.legend(fontsize=8, loc="upper left")
    label_axes(ax1, "σ(x) → 1 as x → ∞, → 0 as x → −∞", "x", "σ(x)")

    epochs = np.arange(0, 101)
    loss = 0.3 + 2.0 * np.exp(-epochs / 15)
    ax2.plot(epochs, loss, color=COLORS["secant"], lw=2, label="training loss")
    ax2.axhline(0.3, color=COLORS["muted"], ls="--", lw=1, label="limit 0.3")
    ax2.legend(fontsize=8)
    label_axes(ax2, "Loss 0.3 + 2e^(−t/15) levels off at 0.3", "epoch t", "loss")
    return fig


def difference_quotient_figure(a: float = 1.0):
    """The difference quotient of x² at a as a function of h: a straight line with a hole at h = 0."""
    hs = np.linspace(-1, 1, 201)
    hs = hs[np.abs(hs) > 1e-9]
    q = ((a + hs) ** 2 - a**2) / hs
    fig = new_figure(6.0, 3.3)
    ax = fig.axes[0]
    ax.plot(hs, q, color=COLORS["curve"], lw=2)
    _open_dot(ax, 0.0, 2 * a)
    sample = np.array([-0.5, -0.1, 0.1, 0.5])
    ax.plot(
        sample,
        ((a + sample) ** 2 - a**2) / sample,
        "o",
        color=COLORS["secant"],
        label="secant slopes",
    )
    ax.legend(fontsize=8, loc="upper left")
    label_axes(
        ax,
        f"((a + h)² − a²)/h at a = {a:g}: 0/0 at h = 0, limit {2 * a:g}",
        "h",
        "difference quotient",
    )
    return fig
