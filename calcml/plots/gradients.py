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


def _contours(ax, f: Surface, xlim, ylim, levels=15, shade: bool = True, label_levels=True):
    """Shaded level sets of f, every other one labelled with its value (which way is downhill)."""
    gx, gy = _grid(xlim, ylim)
    z = f(gx, gy)
    if shade:
        ax.contourf(gx, gy, z, levels=30, cmap="Blues_r", alpha=0.45)
    lines = ax.contour(gx, gy, z, levels=levels, colors="#335577", linewidths=0.7)
    if label_levels:
        ax.clabel(lines, lines.levels[::2], fontsize=7, fmt="%.3g", inline=True)
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
    minimum=None,
) -> Figure:
    """Level sets of f with gradient directions (arrows of one length: direction only), each
    crossing its level set at a right angle; ``minimum`` is marked with a star."""
    fig = new_figure(4.6, 4.2)
    ax = fig.axes[0]
    _contours(ax, f, xlim, ylim)
    ax_pts = np.meshgrid(np.linspace(*xlim, n_arrows)[1:-1], np.linspace(*ylim, n_arrows)[1:-1])
    gx, gy = (np.asarray(g, dtype=float) for g in grad(*ax_pts))
    # Arrows of one length show the direction clearly; the spacing of the level sets shows the
    # size. Where the gradient is zero there is no direction: no arrow.
    size = np.hypot(gx, gy)
    keep = size > 1e-12 * max(float(size.max()), 1.0)
    ax_pts = [pts[keep] for pts in ax_pts]
    gx, gy, size = gx[keep], gy[keep], size[keep]
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
    if minimum is not None:
        ax.plot(
            *minimum, "*", color=COLORS["tangent"], mec="black", mew=0.6, ms=14, label="minimum"
        )
        ax.legend(loc="upper right", fontsize=8, framealpha=0.9)
    ax.set_aspect("equal")
    label_axes(ax, title, *labels)
    ax.grid(False)
    return fig


def directional_derivative_figure(
    gradient, point_label: str = "", example=None, example_label: str = ""
) -> Figure:
    """D_u f = ∇f · u for unit vectors u at every angle: largest along ∇f, zero across it.

    ``example`` (an angle in degrees) marks one worked direction with its value; the two angles
    where D_u f = 0 (u along the level set) are marked too.
    """
    g = np.asarray(gradient, dtype=float)
    angles = np.linspace(0, 360, 361)
    rad = np.radians(angles)
    d = g[0] * np.cos(rad) + g[1] * np.sin(rad)
    best = np.degrees(np.arctan2(g[1], g[0])) % 360
    norm = float(np.hypot(*g))
    fig = new_figure(7.4, 3.3)
    ax = fig.axes[0]
    ax.plot(angles, d, color=COLORS["curve"], lw=2, label=r"$D_u f = \nabla f \cdot u$")
    ax.axhline(norm, color=COLORS["tangent"], ls="--", lw=1.2, label=f"‖∇f‖ = {norm:.3g}")
    ax.axhline(-norm, color=COLORS["secant"], ls="--", lw=1.2, label="−‖∇f‖ (steepest descent)")
    ax.axhline(0, color=COLORS["muted"], lw=0.8)
    ax.axvline(best, color=COLORS["muted"], lw=1)
    ax.annotate(
        f"u along ∇f ({best:.1f}°)",
        (best, norm),
        textcoords="offset points",
        xytext=(-30, -30),
        fontsize=8,
    )
    zeros = sorted(((best + 90) % 360, (best + 270) % 360))
    ax.plot(
        zeros, [0, 0], "o", color=COLORS["point"], ms=5, label=r"$D_u f = 0$: u along the level set"
    )
    for z in zeros:
        ax.annotate(f"{z:.1f}°", (z, 0), textcoords="offset points", xytext=(4, 6), fontsize=8)
    if example is not None:
        value = g[0] * np.cos(np.radians(example)) + g[1] * np.sin(np.radians(example))
        ax.plot([example], [value], "D", color=COLORS["second"], ms=6, mec="black", mew=0.5)
        ax.annotate(
            example_label or f"{example:.1f}°: {value:.3g}",
            (example, value),
            textcoords="offset points",
            xytext=(14, 0),
            fontsize=8,
            bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.85),
        )
    ax.set_xlim(0, 360)
    ax.set_ylim(-1.25 * norm, 1.25 * norm)
    ax.set_xticks(range(0, 361, 45))
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    label_axes(
        ax,
        f"Slope along u{point_label}",
        "angle of the unit vector u (degrees)",
        r"$D_u f$ (slope along u)",
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
    labels: tuple[str, str] = ("w₁", "w₂"),
    size: tuple[float, float] = (5.0, 4.0),
    levels=15,
) -> Figure:
    """Contour plot with one or more gradient-descent paths (label → array of shape (k + 1, 2)).

    The first ``number_points`` iterates of the first path are numbered 0, 1, 2, …
    """
    fig = new_figure(*size)
    ax = fig.axes[0]
    _contours(ax, f, xlim, ylim, levels=levels)
    if not 1 <= len(paths) <= len(PATH_COLORS):
        raise ValueError(
            f"descent_paths_figure draws 1 to {len(PATH_COLORS)} paths, got {len(paths)}"
        )
    for n, ((label, path), color) in enumerate(
        zip(paths.items(), PATH_COLORS[: len(paths)], strict=True)
    ):
        path = np.asarray(path, dtype=float)
        ax.plot(
            path[:, 0],
            path[:, 1],
            "-o",
            color=color,
            ms=4,
            lw=1.5,
            mec="white",
            mew=0.5,
            label=label,
        )
        if n == 0:
            for i, (x, y) in enumerate(path[:number_points]):
                # Alternate the side of the label so the crowded last steps stay readable.
                offset = (-4, 7) if i % 2 == 0 else (3, -12)
                ax.annotate(
                    str(i),
                    (x, y),
                    textcoords="offset points",
                    xytext=offset,
                    fontsize=8,
                    color="black",
                    bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.8),
                )
    ax.plot(
        *np.asarray(paths[next(iter(paths))])[0], "o", color=COLORS["point"], ms=6, label="start"
    )
    if minimum is not None:
        ax.plot(
            *minimum, "*", color=COLORS["tangent"], mec="black", mew=0.6, ms=13, label="minimum"
        )
    ax.legend(loc="upper right", fontsize=7, framealpha=0.85)
    label_axes(ax, title, *labels)
    ax.grid(False)
    return fig


def zigzag_figure(panels: list[tuple[Surface, np.ndarray, str]], xlim, ylim) -> Figure:
    """Side-by-side contour plots, one gradient-descent path each (surface, path, title)."""
    fig = new_figure(4.6 * len(panels), 3.6, ncols=len(panels))
    for ax, (f, path, title) in zip(fig.axes, panels, strict=True):
        _contours(ax, f, xlim, ylim)
        path = np.asarray(path)
        ax.plot(path[:, 0], path[:, 1], "-o", color=COLORS["secant"], ms=3, lw=1.4, label="path")
        ax.plot(*path[0], "o", color=COLORS["point"], ms=6, label="start")
        ax.plot(0, 0, "*", color=COLORS["tangent"], mec="black", mew=0.6, ms=12, label="minimum")
        ax.set_aspect("equal")
        label_axes(ax, title, "w₁", "w₂")
        ax.legend(loc="upper right", fontsize=7, framealpha=0.85)
        ax.grid(False)
    return fig


def walker_in_fog_figure(
    f: Surface, grad: Callable, walker, xlim, ylim, radius: float = 0.5
) -> Figure:
    """The landscape hidden by fog except a small disc around the walker, who sees only the local slope."""
    fig = new_figure(4.8, 4.2)
    ax = fig.axes[0]
    _contours(ax, f, xlim, ylim, levels=20, label_levels=False)
    gx, gy = _grid(xlim, ylim, 300)
    dist = np.hypot(gx - walker[0], gy - walker[1])
    fog = np.full(gx.shape + (4,), 0.93)
    fog[..., 3] = np.clip((dist - radius) / (0.25 * radius), 0, 1)  # opaque outside the disc
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


def regression_figure(
    x: np.ndarray,
    y: np.ndarray,
    weights,
    losses: np.ndarray,
    min_loss: float,
    labels: tuple[str, str] = ("x", "y"),
) -> Figure:
    """The data with the line fitted by gradient descent, and L − L* (the gap to the least-squares
    minimum ``min_loss``) against the step on a log scale: a straight line means geometric
    convergence."""
    fig = new_figure(8.4, 3.4, ncols=2)
    ax_fit, ax_loss = fig.axes
    b, m = weights
    ax_fit.plot(x, y, "o", color=COLORS["curve"], ms=5, alpha=0.85, label="data")
    xs = np.linspace(float(np.min(x)), float(np.max(x)), 2)
    ax_fit.plot(
        xs, b + m * xs, color=COLORS["secant"], lw=2.5, label=f"fit: ŷ = {b:.3f} + {m:.3f}x"
    )
    ax_fit.legend(loc="upper left", fontsize=8)
    label_axes(ax_fit, "Linear regression fitted by gradient descent", *labels)
    gap = np.maximum(np.asarray(losses, dtype=float) - min_loss, 1e-16)
    ax_loss.semilogy(np.arange(len(gap)), gap, color=COLORS["curve"], lw=2)
    label_axes(
        ax_loss,
        "Distance to the least-squares minimum",
        "gradient-descent step",
        "L(w) − L* (log scale)",
    )
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
    floor = 1e-14
    for (label, err), color, marker in zip(
        errors.items(), PATH_COLORS[: len(errors)], markers[: len(errors)], strict=True
    ):
        ax.loglog(
            steps, np.maximum(err, floor), marker=marker, color=color, lw=1.5, ms=4, label=label
        )
    ax.axhspan(
        floor, 1e-7, color=COLORS["tangent"], alpha=0.08, label="relative error < 1e-7: gradient OK"
    )
    top = max(float(np.max(err)) for err in errors.values())
    ax.set_ylim(floor, max(1.0, 3 * top))
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
    fig = new_figure(5.4, 4.4, nrows=0)
    ax = fig.add_subplot(projection="3d", computed_zorder=False)
    gx, gy = _grid((-2, 2), (-2, 2), 40)
    ax.plot_surface(
        gx,
        gy,
        gx**2 - gy**2,
        cmap="RdBu_r",
        alpha=0.55,
        linewidth=0.2,
        edgecolor="#666666",
        rstride=3,
        cstride=3,
        zorder=1,
    )
    s = np.linspace(-2, 2, 50)
    up = ax.plot(s, 0 * s, s**2, color=COLORS["tangent"], lw=3, zorder=3)[0]
    down = ax.plot(0 * s, s, -(s**2), color=COLORS["second"], lw=3, zorder=3)[0]
    dot = ax.scatter([0], [0], [0], color="black", s=60, zorder=4, depthshade=False)
    ax.set_title("A saddle point: f(x, y) = x² − y²")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_zlabel("f(x, y)")
    ax.view_init(elev=25, azim=-55)
    ax.tick_params(labelsize=7, pad=0)
    fig.legend(
        [up, down, dot],
        ["along x: curves up", "along y: curves down", "saddle point: ∇f = 0"],
        loc="outside lower center",
        ncols=3,
        fontsize=8,
    )
    return fig


def _plane(ax, corners, color, alpha, zorder):
    """A flat quadrilateral in 3-D (four corner points, in order)."""
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection

    patch = Poly3DCollection(
        [corners], facecolor=color, edgecolor=color, alpha=alpha, zorder=zorder
    )
    ax.add_collection3d(patch)
    return patch


def tangent_plane_figure(
    f: Surface, point, dfdx: float, dfdy: float, half_width: float = 1.5
) -> Figure:
    """The surface z = f(x, y) cut by the two vertical planes through ``point`` (y = y₀ and
    x = x₀): each cut is a curve whose tangent has slope ∂f/∂x or ∂f/∂y; the two tangent lines
    span the tangent plane z = f(p) + ∂f/∂x (x − x₀) + ∂f/∂y (y − y₀)."""
    x0, y0 = (float(v) for v in point)
    f0 = float(f(np.float64(x0), np.float64(y0)))
    xlim, ylim = (x0 - half_width, x0 + half_width), (y0 - half_width, y0 + half_width)
    gx, gy = _grid(xlim, ylim, 30)
    z = f(gx, gy)
    zlo, zhi = float(z.min()), float(z.max())
    fig = new_figure(9.6, 4.4, nrows=0)
    s = np.linspace(-half_width, half_width, 60)
    t = np.linspace(-0.6 * half_width, 0.6 * half_width, 2)

    left = fig.add_subplot(1, 2, 1, projection="3d", computed_zorder=False)
    left.plot_surface(gx, gy, z, color=COLORS["curve"], alpha=0.25, linewidth=0, zorder=1)
    _plane(
        left,
        [(xlim[0], y0, zlo), (xlim[1], y0, zlo), (xlim[1], y0, zhi), (xlim[0], y0, zhi)],
        COLORS["tangent"],
        0.12,
        2,
    )
    _plane(
        left,
        [(x0, ylim[0], zlo), (x0, ylim[1], zlo), (x0, ylim[1], zhi), (x0, ylim[0], zhi)],
        COLORS["second"],
        0.12,
        2,
    )
    cut_x = left.plot(x0 + s, 0 * s + y0, f(x0 + s, 0 * s + y0), color=COLORS["tangent"], lw=2.5)
    cut_y = left.plot(0 * s + x0, y0 + s, f(0 * s + x0, y0 + s), color=COLORS["second"], lw=2.5)
    left.plot(x0 + t, 0 * t + y0, f0 + dfdx * t, color="black", lw=1.8, ls="--", zorder=4)
    left.plot(0 * t + x0, y0 + t, f0 + dfdy * t, color="black", lw=1.8, ls="--", zorder=4)
    left.scatter([x0], [y0], [f0], color="black", s=30, zorder=5, depthshade=False)
    left.set_title(f"Slice along y = {y0:g} and along x = {x0:g}", fontsize=10)
    left.legend(
        [cut_x[0], cut_y[0]],
        [f"y = {y0:g}: slope ∂f/∂x = {dfdx:g}", f"x = {x0:g}: slope ∂f/∂y = {dfdy:g}"],
        loc="upper left",
        fontsize=8,
    )

    right = fig.add_subplot(1, 2, 2, projection="3d", computed_zorder=False)
    right.plot_surface(gx, gy, z, color=COLORS["curve"], alpha=0.25, linewidth=0, zorder=1)
    px, py = _grid(
        (x0 - 0.6 * half_width, x0 + 0.6 * half_width),
        (y0 - 0.6 * half_width, y0 + 0.6 * half_width),
        2,
    )
    right.plot_surface(
        px,
        py,
        f0 + dfdx * (px - x0) + dfdy * (py - y0),
        color=COLORS["secant"],
        alpha=0.45,
        linewidth=0,
        zorder=2,
    )
    right.plot(x0 + t, 0 * t + y0, f0 + dfdx * t, color=COLORS["tangent"], lw=2.5, zorder=4)
    right.plot(0 * t + x0, y0 + t, f0 + dfdy * t, color=COLORS["second"], lw=2.5, zorder=4)
    right.scatter([x0], [y0], [f0], color="black", s=30, zorder=5, depthshade=False)
    right.set_title("The two tangent lines span the tangent plane", fontsize=10)
    for ax in (left, right):
        _tidy_3d(ax, xlim, ylim, (zlo, zhi))
    return fig


def _tidy_3d(ax, xlim, ylim, zlim):
    """Few ticks, labels that fit, one viewpoint for every 3-D panel of the chapter."""
    ax.set_xlabel("x", labelpad=-2)
    ax.set_ylabel("y", labelpad=-2)
    ax.set_zlabel("f(x, y)", labelpad=0)
    ax.set_xticks(np.linspace(*xlim, 3))
    ax.set_yticks(np.linspace(*ylim, 3))
    ax.set_zlim(*zlim)
    ax.tick_params(labelsize=7, pad=0)
    ax.set_box_aspect(None, zoom=0.88)
    ax.view_init(elev=22, azim=-58)


def directional_slice_figure(
    f: Surface, point, gradient, direction, half_width: float = 1.5
) -> Figure:
    """The vertical plane through ``point`` along the unit vector u cuts the surface in the curve
    t ↦ f(p + t u) and the tangent plane in a line of slope ∇f · u: the directional derivative.
    Left in 3-D, right the same slice flat, with the tangent line's slope."""
    p = np.asarray(point, dtype=float)
    g = np.asarray(gradient, dtype=float)
    u = np.asarray(direction, dtype=float)
    u = u / np.linalg.norm(u)
    slope = float(g @ u)
    f0 = float(f(np.float64(p[0]), np.float64(p[1])))
    xlim, ylim = (p[0] - half_width, p[0] + half_width), (p[1] - half_width, p[1] + half_width)
    gx, gy = _grid(xlim, ylim, 30)
    z = f(gx, gy)
    zlo, zhi = float(z.min()), float(z.max())
    # t runs over the part of the line p + t u that stays in the box
    reach = half_width / max(abs(u[0]), abs(u[1]))
    t = np.linspace(-reach, reach, 80)
    line_x, line_y = p[0] + t * u[0], p[1] + t * u[1]
    curve = f(line_x, line_y)
    tt = np.linspace(-0.6 * reach, 0.6 * reach, 2)

    fig = new_figure(9.6, 4.2, nrows=0)
    left = fig.add_subplot(1, 2, 1, projection="3d", computed_zorder=False)
    left.plot_surface(gx, gy, z, color=COLORS["curve"], alpha=0.22, linewidth=0, zorder=1)
    px, py = _grid(
        (p[0] - 0.6 * half_width, p[0] + 0.6 * half_width),
        (p[1] - 0.6 * half_width, p[1] + 0.6 * half_width),
        2,
    )
    left.plot_surface(
        px,
        py,
        f0 + g[0] * (px - p[0]) + g[1] * (py - p[1]),
        color=COLORS["secant"],
        alpha=0.35,
        linewidth=0,
        zorder=2,
    )
    a, b = (p[0] - reach * u[0], p[1] - reach * u[1]), (p[0] + reach * u[0], p[1] + reach * u[1])
    _plane(left, [(*a, zlo), (*b, zlo), (*b, zhi), (*a, zhi)], COLORS["muted"], 0.15, 3)
    left.plot(line_x, line_y, curve, color=COLORS["curve"], lw=2.5, zorder=4)
    left.plot(
        p[0] + tt * u[0], p[1] + tt * u[1], f0 + slope * tt, color="black", lw=2, ls="--", zorder=5
    )
    left.quiver(p[0], p[1], zlo, u[0], u[1], 0, length=0.6 * half_width, color="black", zorder=5)
    tip = p + 0.7 * half_width * u
    left.text(tip[0], tip[1], zlo, "u", fontsize=10, zorder=6)
    left.scatter([p[0]], [p[1]], [f0], color="black", s=30, zorder=6, depthshade=False)
    left.set_title("A vertical plane along u cuts surface and tangent plane", fontsize=10)
    _tidy_3d(left, xlim, ylim, (zlo, zhi))

    right = fig.add_subplot(1, 2, 2)
    right.plot(t, curve, color=COLORS["curve"], lw=2.5, label="f(p + t u) (the cut of the surface)")
    right.plot(
        tt,
        f0 + slope * tt,
        color="black",
        lw=2,
        ls="--",
        label=f"cut of the tangent plane: slope ∇f · u = {slope:.4g}",
    )
    right.plot([0], [f0], "o", color="black")
    right.legend(loc="upper left", fontsize=8)
    label_axes(
        right, r"The same slice, flat: its slope at t = 0 is $D_u f$", "t (distance along u)", "f"
    )
    return fig
