"""Static figures for chapter 4: partial derivatives, gradients and gradient descent.

Every function returns a Matplotlib ``Figure``; the chapter shows it with
``calcml.figures.show_figure(fig, alt)``. Numbers the figures show (slopes, paths, errors) are
passed in by the notebook, which computes them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
from matplotlib.figure import Figure

from calcml.figures import COLORS, label_axes, new_figure

Surface = Callable[[np.ndarray, np.ndarray], np.ndarray]

PATH_COLORS = [COLORS["secant"], COLORS["accent"], COLORS["tangent"], COLORS["second"]]


def _grid(xlim, ylim, n: int = 200):
    return np.meshgrid(np.linspace(*xlim, n), np.linspace(*ylim, n))


def _contours(ax, f: Surface, xlim, ylim, levels=15, shade: bool = True):
    gx, gy = _grid(xlim, ylim)
    z = f(gx, gy)
    if shade:
        ax.contourf(gx, gy, z, levels=30, cmap="Blues_r", alpha=0.45)
    lines = ax.contour(gx, gy, z, levels=levels, colors="#335577", linewidths=0.7)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    return lines


def partial_slices_figure(
    f: Surface, point, dfdx: float, dfdy: float, half_width: float = 1.5
) -> Figure:
    """Two slices through ``point``: f(x, y₀) against x and f(x₀, y) against y, with their tangents.

    The tangent slopes are the partial derivatives ``dfdx`` and ``dfdy`` computed by the caller.
    """
    x0, y0 = point
    fig = new_figure(8.0, 3.3, ncols=2)
    ax_x, ax_y = fig.axes
    f0 = float(f(np.float64(x0), np.float64(y0)))
    s = np.linspace(-half_width, half_width, 200)
    t = np.linspace(-half_width / 2.5, half_width / 2.5, 2)
    ax_x.plot(
        x0 + s, f(x0 + s, np.full_like(s, y0)), color=COLORS["curve"], lw=2, label=f"f(x, {y0:g})"
    )
    ax_x.plot(
        x0 + t, f0 + dfdx * t, color=COLORS["tangent"], lw=2.5, label=f"slope ∂f/∂x = {dfdx:g}"
    )
    ax_y.plot(
        y0 + s, f(np.full_like(s, x0), y0 + s), color=COLORS["curve"], lw=2, label=f"f({x0:g}, y)"
    )
    ax_y.plot(
        y0 + t, f0 + dfdy * t, color=COLORS["tangent"], lw=2.5, label=f"slope ∂f/∂y = {dfdy:g}"
    )
    for ax in (ax_x, ax_y):
        ax.legend(loc="upper left", fontsize=8)
    ax_x.plot([x0], [f0], "o", color=COLORS["point"])
    ax_y.plot([y0], [f0], "o", color=COLORS["point"])
    label_axes(ax_x, f"Hold y = {y0:g} fixed, vary x", "x", "f(x, y)")
    label_axes(ax_y, f"Hold x = {x0:g} fixed, vary y", "y", "f(x, y)")
    return fig


def gradient_field_figure(
    f: Surface,
    grad: Callable,
    xlim,
    ylim,
    title: str,
    n_arrows: int = 11,
    labels: tuple[str, str] = ("x", "y"),
) -> Figure:
    """Level sets of f with gradient directions: each arrow crosses its level set at a right angle."""
    fig = new_figure(4.6, 4.2)
    ax = fig.axes[0]
    _contours(ax, f, xlim, ylim)
    ax_pts = np.meshgrid(np.linspace(*xlim, n_arrows)[1:-1], np.linspace(*ylim, n_arrows)[1:-1])
    gx, gy = grad(*ax_pts)
    # Arrows of one length show the direction clearly; the spacing of the level sets shows the size.
    size = np.hypot(gx, gy)
    size[size == 0] = 1.0
    arrow = 0.6 * (xlim[1] - xlim[0]) / n_arrows
    ax.quiver(
        *ax_pts,
        arrow * gx / size,
        arrow * gy / size,
        color=COLORS["secant"],
        angles="xy",
        scale_units="xy",
        scale=1,
        pivot="tail",
        width=0.006,
    )
    ax.set_aspect("equal")
    label_axes(ax, title, *labels)
    ax.grid(False)
    return fig


def directional_derivative_figure(gradient, point_label: str = "") -> Figure:
    """D_u f = ∇f · u for unit vectors u at every angle: largest along ∇f, zero across it."""
    g = np.asarray(gradient, dtype=float)
    angles = np.linspace(0, 360, 361)
    rad = np.radians(angles)
    d = g[0] * np.cos(rad) + g[1] * np.sin(rad)
    best = np.degrees(np.arctan2(g[1], g[0])) % 360
    norm = float(np.hypot(*g))
    fig = new_figure(6.0, 3.2)
    ax = fig.axes[0]
    ax.plot(angles, d, color=COLORS["curve"], lw=2, label="D_u f = ∇f · u")
    ax.axhline(norm, color=COLORS["tangent"], ls="--", lw=1.2, label=f"‖∇f‖ = {norm:.3g}")
    ax.axhline(-norm, color=COLORS["secant"], ls="--", lw=1.2, label="−‖∇f‖ (steepest descent)")
    ax.axvline(best, color=COLORS["muted"], lw=1)
    ax.annotate("u along ∇f", (best, norm), textcoords="offset points", xytext=(6, -14), fontsize=8)
    ax.set_xlim(0, 360)
    ax.set_xticks(range(0, 361, 45))
    ax.legend(loc="lower left", fontsize=8)
    label_axes(
        ax,
        f"Slope along u{point_label}",
        "angle of the unit vector u (degrees)",
        "D_u f (slope along u)",
    )
    return fig


def descent_paths_figure(
    f: Surface,
    paths: Mapping[str, np.ndarray],
    xlim,
    ylim,
    title: str,
    minimum=None,
    number_points: int = 0,
) -> Figure:
    """Contour plot with one or more gradient-descent paths (label → array of shape (k + 1, 2))."""
    fig = new_figure(5.0, 4.0)
    ax = fig.axes[0]
    _contours(ax, f, xlim, ylim)
    if not 1 <= len(paths) <= len(PATH_COLORS):
        raise ValueError(
            f"descent_paths_figure draws 1 to {len(PATH_COLORS)} paths, got {len(paths)}"
        )
    for (label, path), color in zip(paths.items(), PATH_COLORS[: len(paths)], strict=True):
        path = np.asarray(path, dtype=float)
        ax.plot(path[:, 0], path[:, 1], "-o", color=color, ms=3.5, lw=1.5, label=label)
        for i, (x, y) in enumerate(path[:number_points]):
            ax.annotate(
                str(i), (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7, color=color
            )
    ax.plot(
        *np.asarray(paths[next(iter(paths))])[0], "o", color=COLORS["point"], ms=6, label="start"
    )
    if minimum is not None:
        ax.plot(
            *minimum, "*", color=COLORS["tangent"], mec="black", mew=0.6, ms=13, label="minimum"
        )
    ax.legend(loc="upper right", fontsize=7, framealpha=0.85)
    label_axes(ax, title, "w₁", "w₂")
    ax.grid(False)
    return fig


def zigzag_figure(panels: list[tuple[Surface, np.ndarray, str]], xlim, ylim) -> Figure:
    """Side-by-side contour plots, one gradient-descent path each (surface, path, title)."""
    fig = new_figure(4.4 * len(panels), 2.8, ncols=len(panels))
    for ax, (f, path, title) in zip(fig.axes, panels, strict=True):
        _contours(ax, f, xlim, ylim)
        path = np.asarray(path)
        ax.plot(path[:, 0], path[:, 1], "-o", color=COLORS["secant"], ms=3, lw=1.4)
        ax.plot(*path[0], "o", color=COLORS["point"], ms=6)
        ax.plot(0, 0, "*", color=COLORS["tangent"], mec="black", mew=0.6, ms=12)
        ax.set_aspect("equal")
        label_axes(ax, title, "w₁", "w₂")
        ax.grid(False)
    return fig


def walker_in_fog_figure(
    f: Surface, grad: Callable, walker, xlim, ylim, radius: float = 0.5
) -> Figure:
    """The landscape hidden by fog except a small disc around the walker, who sees only the local slope."""
    fig = new_figure(4.8, 4.2)
    ax = fig.axes[0]
    _contours(ax, f, xlim, ylim, levels=20)
    gx, gy = _grid(xlim, ylim, 300)
    dist = np.hypot(gx - walker[0], gy - walker[1])
    fog = np.ones(gx.shape + (4,))
    fog[..., 3] = np.clip((dist - radius) / (0.25 * radius), 0, 1) * 0.9
    ax.imshow(fog, extent=(*xlim, *ylim), origin="lower", aspect="auto", zorder=3)
    g = np.asarray(grad(np.float64(walker[0]), np.float64(walker[1])), dtype=float)
    step = -g / np.linalg.norm(g) * radius * 0.9
    ax.plot(*walker, "o", color=COLORS["point"], ms=7, zorder=4)
    ax.annotate(
        "",
        xy=(walker[0] + step[0], walker[1] + step[1]),
        xytext=tuple(walker),
        arrowprops=dict(arrowstyle="-|>", color=COLORS["secant"], lw=2),
        zorder=5,
    )
    ax.text(
        walker[0],
        walker[1] - radius * 1.3,
        "walker: −∇f points downhill",
        ha="center",
        va="top",
        fontsize=8,
        zorder=5,
    )
    label_axes(ax, "The walker in fog sees only the slope underfoot", "x", "y")
    ax.grid(False)
    return fig


def regression_figure(x: np.ndarray, y: np.ndarray, weights, losses: np.ndarray) -> Figure:
    """The data with the line fitted by gradient descent, and the training loss against the step."""
    fig = new_figure(8.4, 3.4, ncols=2)
    ax_fit, ax_loss = fig.axes
    b, m = weights
    ax_fit.plot(x, y, "o", color=COLORS["curve"], ms=4, alpha=0.8, label="data")
    xs = np.linspace(float(np.min(x)), float(np.max(x)), 2)
    ax_fit.plot(
        xs, b + m * xs, color=COLORS["secant"], lw=2.5, label=f"fit: ŷ = {b:.3f} + {m:.3f}x"
    )
    ax_fit.legend(loc="upper left", fontsize=8)
    label_axes(ax_fit, "Linear regression fitted by gradient descent", "x", "y")
    ax_loss.semilogy(np.arange(len(losses)), losses, color=COLORS["curve"], lw=2)
    label_axes(ax_loss, "Training loss", "gradient-descent step", "MSE (log scale)")
    return fig


def gradient_check_figure(steps: np.ndarray, errors: Mapping[str, np.ndarray]) -> Figure:
    """Relative error between numerical and analytical gradients against the difference step h."""
    fig = new_figure(5.6, 3.6)
    ax = fig.axes[0]
    markers = ["o", "s", "^"]
    if not 1 <= len(errors) <= len(markers):
        raise ValueError(
            f"gradient_check_figure draws 1 to {len(markers)} error curves, got {len(errors)}"
        )
    for (label, err), color, marker in zip(
        errors.items(), PATH_COLORS[: len(errors)], markers[: len(errors)], strict=True
    ):
        ax.loglog(
            steps, np.maximum(err, 1e-17), marker=marker, color=color, lw=1.5, ms=4, label=label
        )
    ax.axhspan(
        1e-17, 1e-7, color=COLORS["tangent"], alpha=0.08, label="relative error < 1e-7: gradient OK"
    )
    ax.legend(loc="lower left", fontsize=8)
    label_axes(
        ax,
        "Gradient check: central differences vs the formula",
        "difference step h",
        "relative error",
    )
    return fig


def saddle_surface_figure() -> Figure:
    """The surface of x² − y²: a minimum along x and a maximum along y at the same point."""
    fig = new_figure(5.0, 4.0, nrows=0)
    ax = fig.add_subplot(projection="3d")
    gx, gy = _grid((-2, 2), (-2, 2), 40)
    ax.plot_surface(gx, gy, gx**2 - gy**2, cmap="RdBu_r", alpha=0.85, linewidth=0)
    s = np.linspace(-2, 2, 50)
    ax.plot(s, 0 * s, s**2, color=COLORS["tangent"], lw=2.5, label="along x: curves up")
    ax.plot(0 * s, s, -(s**2), color=COLORS["second"], lw=2.5, label="along y: curves down")
    ax.scatter([0], [0], [0], color="black", s=25)
    ax.set_title("A saddle point: f(x, y) = x² − y²")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_zlabel("f(x, y)")
    ax.legend(loc="upper left", fontsize=8)
    ax.view_init(elev=25, azim=-55)
    return fig
