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
    """sin(x)/x squeezed between cos x and 1, with a hole at (0, 1); the right panel zooms in."""
    fig = new_figure(8.6, 3.4, ncols=2)
    ax, zoom = fig.axes
    xs = np.linspace(-2 * np.pi, 2 * np.pi, 801)
    xs = xs[np.abs(xs) > 1e-9]
    near = np.linspace(-np.pi / 2, np.pi / 2, 200)
    for axis, span in ((ax, near), (zoom, np.linspace(-0.5, 0.5, 201))):
        grid = xs if axis is ax else span[np.abs(span) > 1e-9]
        axis.plot(grid, np.sin(grid) / grid, color=COLORS["curve"], lw=2, label="sin(x)/x")
        axis.plot(
            span, np.cos(span), color=COLORS["secant"], ls="--", lw=1.3, label="cos x (below)"
        )
        axis.plot(
            span, np.ones_like(span), color=COLORS["tangent"], ls=":", lw=1.6, label="1 (above)"
        )
        _open_dot(axis, 0.0, 1.0)
    ax.legend(fontsize=8, loc="lower center")
    ax.set_ylim(-0.45, 1.25)
    label_axes(ax, "sin(x)/x → 1 as x → 0", "x", "y")
    zoom.set_ylim(0.86, 1.015)
    zoom.legend(fontsize=8, loc="lower center")
    label_axes(zoom, "Zoom: cos x ≤ sin(x)/x ≤ 1 near 0", "x", "y")
    return fig


def unit_circle_figure(x: float = 0.8):
    """Why cos x ≤ sin(x)/x ≤ 1: triangle ⊂ sector ⊂ triangle in the unit circle, at angle x."""
    fig = new_figure(6.4, 3.5)
    ax = fig.axes[0]
    c, s, t = np.cos(x), np.sin(x), np.tan(x)
    ax.fill(
        [0, 1, 1],
        [0, 0, t],
        color=COLORS["second"],
        alpha=0.35,
        hatch="//",
        lw=0,
        label=f"triangle OAT: area ½ tan x = {t / 2:.3f}",
    )
    arc = np.linspace(0, x, 100)
    ax.fill(
        np.concatenate([[0], np.cos(arc)]),
        np.concatenate([[0], np.sin(arc)]),
        color=COLORS["tangent"],
        alpha=0.45,
        lw=0,
        label=f"sector OAP: area ½ x = {x / 2:.3f}",
    )
    ax.fill(
        [0, 1, c],
        [0, 0, s],
        color=COLORS["curve"],
        alpha=0.6,
        hatch="..",
        lw=0,
        label=f"triangle OAP: area ½ sin x = {s / 2:.3f}",
    )
    circle = np.linspace(0, np.pi / 2, 200)
    ax.plot(np.cos(circle), np.sin(circle), color=COLORS["point"], lw=1.2)
    ax.plot([0, 1, 1, 0], [0, 0, t, 0], color=COLORS["point"], lw=1)
    ax.plot([c, c], [0, s], color=COLORS["muted"], ls="--", lw=1)
    for name, (px, py), offset in (
        ("O", (0, 0), (-0.07, -0.06)),
        ("A", (1, 0), (0.02, -0.07)),
        ("P", (c, s), (-0.08, 0.03)),
        ("T", (1, t), (0.03, 0.0)),
    ):
        ax.plot([px], [py], "o", ms=4, color=COLORS["point"])
        ax.text(px + offset[0], py + offset[1], name, fontsize=11)
    ax.text(0.16, 0.05, "x", fontsize=11)
    ax.text(
        c + 0.02, s / 2, "sin x", fontsize=9, bbox=dict(boxstyle="round,pad=0.1", fc="white", lw=0)
    )
    ax.text(1.03, t / 2, "tan x", fontsize=9, color=COLORS["point"])
    ax.text(
        1.2,
        1.12,
        "areas: ½ sin x ≤ ½ x ≤ ½ tan x\n"
        "divide by ½ sin x:  1 ≤ x / sin x ≤ 1 / cos x\n"
        "flip:  cos x ≤ sin(x)/x ≤ 1",
        fontsize=9,
        va="top",
        bbox=dict(boxstyle="round", fc="white", ec=COLORS["muted"]),
    )
    ax.legend(fontsize=8, loc="lower right")
    ax.set_xlim(-0.12, 2.75)
    ax.set_ylim(-0.12, max(1.2, t + 0.1))
    ax.set_aspect("equal")
    label_axes(
        ax, f"The unit circle at angle x = {x:g} rad (0 < x < π/2)", "x-coordinate", "y-coordinate"
    )
    return fig


def compound_figure(n_max: int = 10_000):
    """(1 + 1/n)^n creeping up to e as n grows, and its gap to e shrinking like e/(2n)."""
    n = np.unique(np.logspace(0, np.log10(n_max), 60).astype(int))
    values = (1 + 1 / n) ** n
    fig = new_figure(8.6, 3.3, ncols=2)
    ax, gap = fig.axes
    ax.semilogx(n, values, "o-", ms=3, color=COLORS["curve"], label="(1 + 1/n)ⁿ")
    ax.axhline(np.e, color=COLORS["tangent"], ls="--", label=f"e ≈ {np.e:.6f}")
    ax.legend(fontsize=8, loc="lower right")
    label_axes(ax, "(1 + 1/n)ⁿ → e as n → ∞", "n (log scale)", "(1 + 1/n)ⁿ")
    gap.loglog(n, np.e - values, "o", ms=3, color=COLORS["curve"], label="e − (1 + 1/n)ⁿ")
    gap.loglog(n, np.e / (2 * n), color=COLORS["secant"], ls="--", label="e/(2n)")
    gap.legend(fontsize=8, loc="upper right")
    label_axes(gap, "The gap shrinks like e/(2n)", "n (log scale)", "gap to e (log scale)")
    return fig


def infinity_figure():
    """Limits at infinity: the sigmoid's two horizontal asymptotes, and a loss curve levelling off."""
    fig = new_figure(8.6, 3.3, ncols=2)
    ax1, ax2 = fig.axes
    xs = np.linspace(-8, 8, 400)
    ax1.plot(xs, 1 / (1 + np.exp(-xs)), color=COLORS["curve"], lw=2, label="σ(x) = 1/(1 + e⁻ˣ)")
    for level in (0.0, 1.0):
        ax1.axhline(
            level,
            color=COLORS["muted"],
            ls="--",
            lw=1,
            label="asymptotes y = 0 and y = 1" if level else None,
        )
    ax1.legend(fontsize=8, loc="upper left")
    label_axes(ax1, "σ(x) → 1 as x → ∞, → 0 as x → −∞", "x", "σ(x)")

    epochs = np.arange(0, 101)
    loss = 0.3 + 2.0 * np.exp(-epochs / 15)
    ax2.plot(epochs, loss, color=COLORS["secant"], lw=2, label="training loss")
    ax2.axhline(0.3, color=COLORS["muted"], ls="--", lw=1, label="its limit 0.3")
    ax2.legend(fontsize=8)
    label_axes(ax2, r"Loss $0.3 + 2e^{-t/15}$ converges to 0.3", "epoch t", "loss")
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
