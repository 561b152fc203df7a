"""Static figures for chapter 5: Jacobians, Hessians and Newton's method.

Every function returns a Matplotlib ``Figure``; the chapter shows it with
``calcml.figures.show_figure(fig, alt)``. Numbers in titles and labels are passed in by the notebook.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from calcml.figures import COLORS, label_axes, new_figure

Surface = Callable[[np.ndarray, np.ndarray], np.ndarray]
PATH_COLORS = [COLORS["secant"], COLORS["tangent"], COLORS["accent"], COLORS["second"]]


def deformed_grid_figure(
    F: Callable,
    xlim,
    ylim,
    title: str,
    n_lines: int = 11,
    input_labels: tuple[str, str] = ("x₁", "x₂"),
    output_labels: tuple[str, str] = ("F₁(x)", "F₂(x)"),
) -> Figure:
    """A rectangular grid of the input plane next to its image under F: ℝ² → ℝ²."""
    fig = new_figure(8.0, 3.8, ncols=2)
    ax_in, ax_out = fig.axes
    along_x = np.linspace(*xlim, 100)
    along_y = np.linspace(*ylim, 100)
    for i, c in enumerate(np.linspace(*ylim, n_lines)):  # horizontal lines y = c
        color = COLORS["curve"] if i else COLORS["secant"]
        ax_in.plot(along_x, np.full_like(along_x, c), color=color, lw=1)
        ax_out.plot(*F(along_x, np.full_like(along_x, c)), color=color, lw=1)
    for i, c in enumerate(np.linspace(*xlim, n_lines)):  # vertical lines x = c
        color = COLORS["second"] if i else COLORS["tangent"]
        ax_in.plot(np.full_like(along_y, c), along_y, color=color, lw=1)
        ax_out.plot(*F(np.full_like(along_y, c), along_y), color=color, lw=1)
    label_axes(ax_in, "Input grid", *input_labels)
    label_axes(ax_out, title, *output_labels)
    for ax in fig.axes:
        ax.set_aspect("equal", adjustable="datalim")
    return fig


def critical_point_gallery(cases: Sequence[tuple[str, Surface]], extent: float = 1.5) -> Figure:
    """Contour plots of several functions around the origin, one panel each (title, f)."""
    n = len(cases)
    ncols = min(n, 2)
    nrows = -(-n // ncols)
    fig = new_figure(4.0 * ncols, 3.7 * nrows, nrows=nrows, ncols=ncols)
    s = np.linspace(-extent, extent, 161)
    gx, gy = np.meshgrid(s, s)
    for ax in fig.axes[n:]:  # an odd number of cases leaves one panel empty
        ax.remove()
    for ax, (title, f) in zip(fig.axes, cases, strict=True):
        z = f(gx, gy)
        top = float(np.max(np.abs(z)))
        ax.contourf(gx, gy, z, levels=np.linspace(-top, top, 25), cmap="RdBu_r")
        ax.contour(gx, gy, z, levels=np.linspace(-top, top, 13), colors="black", linewidths=0.5)
        ax.plot(0, 0, "o", color=COLORS["point"], ms=5)
        ax.set_aspect("equal")
        label_axes(ax, title, "x", "y")
        ax.title.set_fontsize(10)
        ax.grid(False)
    return fig


def taylor_models_figure(
    t: np.ndarray, exact: np.ndarray, first: np.ndarray, second: np.ndarray, title: str
) -> Figure:
    """f along a line through a point, with its first- and second-order Taylor models."""
    fig = new_figure(6.0, 3.6)
    ax = fig.axes[0]
    ax.plot(t, exact, color=COLORS["curve"], lw=2.5, label="f(p + t·d)")
    ax.plot(t, first, "--", color=COLORS["secant"], lw=1.8, label="first order: f + t ∇f·d")
    ax.plot(t, second, "-.", color=COLORS["tangent"], lw=1.8, label="second order: + ½t² dᵀHd")
    ax.plot([0], [exact[np.argmin(np.abs(t))]], "o", color=COLORS["point"])
    lo, hi = float(np.min(exact)), float(np.max(exact))
    pad = 0.3 * (hi - lo + 1e-9)
    ax.set_ylim(lo - pad, hi + pad)
    ax.legend(loc="best", fontsize=8)
    label_axes(ax, title, "t (distance along d)", "g(p + t·d)")
    return fig


def newton_vs_descent_figure(
    f: Surface, paths: Mapping[str, np.ndarray], xlim, ylim, title: str, minimum=None
) -> Figure:
    """Contour plot with the paths of gradient descent and Newton's method (darker = lower f);
    ``minimum`` (a point) is starred."""
    fig = new_figure(5.0, 4.0)
    ax = fig.axes[0]
    gx, gy = np.meshgrid(np.linspace(*xlim, 200), np.linspace(*ylim, 200))
    z = f(gx, gy)
    ax.contourf(gx, gy, z, levels=30, cmap="Blues_r", alpha=0.45)
    ax.contour(gx, gy, z, levels=15, colors="#335577", linewidths=0.7)
    markers = ["o", "s", "^"]
    if not 1 <= len(paths) <= len(markers):
        raise ValueError(
            f"newton_vs_descent_figure draws 1 to {len(markers)} paths, got {len(paths)}"
        )
    for (label, path), color, marker in zip(
        paths.items(), PATH_COLORS[: len(paths)], markers[: len(paths)], strict=True
    ):
        path = np.asarray(path)
        ms = 4 if len(path) < 10 else 2.5
        ax.plot(path[:, 0], path[:, 1], "-", marker=marker, color=color, ms=ms, lw=1.6, label=label)
    first = np.asarray(next(iter(paths.values())))[0]
    ax.plot(*first, "o", color=COLORS["point"], ms=7, label="start")
    if minimum is not None:
        ax.plot(*minimum, "*", color=COLORS["second"], mec=COLORS["point"], ms=15, label="minimum")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.legend(loc="upper right", fontsize=8, framealpha=0.85)
    label_axes(ax, title, "x₁", "x₂")
    ax.grid(False)
    return fig


def hessian_cost_figure(n_params: np.ndarray, marks: Mapping[str, float]) -> Figure:
    """Memory of an n × n Hessian and the work of one Newton solve, against the number of weights n."""
    n = np.asarray(n_params, dtype=float)
    fig = new_figure(6.0, 3.8)
    ax = fig.axes[0]
    ax.loglog(n, 8 * n, color=COLORS["tangent"], lw=2, label="gradient: 8n bytes")
    ax.loglog(n, 8 * n**2, color=COLORS["curve"], lw=2, label="Hessian: 8n² bytes")
    ax.loglog(
        n, n**3 / 3, color=COLORS["secant"], lw=2, ls="--", label="Newton solve: ≈ n³/3 operations"
    )
    for name, value in marks.items():
        ax.axvline(value, color=COLORS["muted"], lw=1)
        ax.text(
            value,
            0.97,
            f" {name}",
            rotation=90,
            va="top",
            ha="right",
            fontsize=8,
            color="#444",
            transform=ax.get_xaxis_transform(),
        )
    ax.set_ylim(1, float(n.max()) ** 3)
    ax.legend(loc="lower right", fontsize=8)
    label_axes(
        ax, "Why deep learning stays first order", "number of weights n", "bytes or operations"
    )
    return fig


def curvature_along_figure(H: np.ndarray) -> Figure:
    """Left: level sets of ½xᵀHx with its eigenvectors. Right: the curvature dᵀHd of the
    direction d = (cos φ, sin φ) against φ, swinging between the two eigenvalues."""
    H = np.asarray(H, dtype=float)
    lam, vecs = np.linalg.eigh(H)
    fig = new_figure(8.6, 3.6, ncols=2, width_ratios=[1, 1.3])
    ax_map, ax_curve = fig.axes
    s = np.linspace(-1.6, 1.6, 161)
    gx, gy = np.meshgrid(s, s)
    z = 0.5 * (H[0, 0] * gx * gx + 2 * H[0, 1] * gx * gy + H[1, 1] * gy * gy)
    ax_map.contour(gx, gy, z, levels=8, colors="#335577", linewidths=0.8)
    styles = [(COLORS["second"], "-"), (COLORS["tangent"], "--")]
    for i, (color, style) in enumerate(styles):
        v = vecs[:, i] * 1.4
        ax_map.annotate("", v, (0, 0), arrowprops=dict(arrowstyle="->", color=color, lw=2))
        ax_map.plot([], [], style, color=color, lw=2, label=f"eigenvector, λ = {lam[i]:g}")
    ax_map.set_aspect("equal")
    ax_map.legend(fontsize=7, loc="lower left")
    label_axes(ax_map, "Level sets of ½ xᵀHx", "x₁", "x₂")
    phi = np.linspace(0, 180, 361)
    d = np.stack([np.cos(np.radians(phi)), np.sin(np.radians(phi))])
    curvature = np.einsum("in,ij,jn->n", d, H, d)
    ax_curve.plot(phi, curvature, color=COLORS["curve"], lw=2, label="dᵀHd")
    for i, (color, style) in enumerate(styles):
        angle = float(np.degrees(np.arctan2(vecs[1, i], vecs[0, i]))) % 180
        ax_curve.axhline(lam[i], color=color, ls=style, lw=1.2)
        ax_curve.plot([angle], [lam[i]], "o", color=color, ms=7)
        ax_curve.annotate(
            f"λ = {lam[i]:g} at φ = {angle:.0f}°",
            (angle, lam[i]),
            textcoords="offset points",
            xytext=(-8 if angle > 90 else 8, 6 if i else -14),
            ha="right" if angle > 90 else "left",
            fontsize=8,
        )
    ax_curve.set_xlim(0, 180)
    ax_curve.set_ylim(lam[0] - 0.6, lam[1] + 0.6)
    label_axes(ax_curve, "Curvature along d = (cos φ, sin φ)", "direction φ (degrees)", "dᵀHd")
    return fig


def newton_overshoot_figure(values: Mapping[str, Sequence[float]], pd_rises=()) -> Figure:
    """f at each iterate for several step rules, on a log scale; ``pd_rises`` are (label, k)
    pairs of steps where f rose although the Hessian was positive definite."""
    fig = new_figure(6.4, 3.6)
    ax = fig.axes[0]
    colors = [COLORS["secant"], COLORS["curve"], COLORS["accent"], COLORS["tangent"]]
    markers = ["s", "^", "D", "o"]
    for (label, ys), color, marker in zip(values.items(), colors, markers, strict=False):
        ys = np.maximum(np.asarray(ys, dtype=float), 1e-30)
        ax.semilogy(np.arange(len(ys)), ys, "-", marker=marker, ms=4, color=color, label=label)
    for label, k in pd_rises:
        y = float(values[label][k])
        ax.plot([k], [y], "o", ms=13, mfc="none", mec=COLORS["point"], mew=1.5)
        ax.annotate(
            f"f rose to {y:.0f}\nwith H positive definite",
            (k, y),
            textcoords="offset points",
            xytext=(12, -6),
            fontsize=8,
        )
    ax.set_ylim(1e-16, 1e5)
    ax.legend(fontsize=8, loc="lower left")
    label_axes(ax, "Rosenbrock from (−1.2, 1): f at each iterate", "step k", "f(xₖ), log scale")
    return fig
